package timeloop_test

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/cost"
	"github.com/nnergy/nnergy/internal/golden"
	"github.com/nnergy/nnergy/timeloop"
	"github.com/nnergy/nnergy/workload"
)

// tlCounts are one level's counts of one tensor in a Timeloop stats.txt,
// summed over the utilized instances.
type tlCounts struct {
	reads, fills, updates float64
	energyPJ              float64
}

// tlStats is what the comparison reads from a stats.txt.
type tlStats struct {
	counts   map[string]map[string]*tlCounts // level -> tensor
	macPJ    float64
	leakPJ   float64 // storage levels' leakage
	cycles   int64
	energyUJ float64
	util     float64 // of the MAC units, 0..1
}

// parseStats reads the per-level, per-tensor counts of a Timeloop
// stats.txt: per-instance scalar reads, fills and updates times the
// utilized instances, and each tensor's total energy.
func parseStats(t *testing.T, path string) *tlStats {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	st := &tlStats{counts: map[string]map[string]*tlCounts{}}
	var level string
	var cur *tlCounts
	var inst float64
	val := func(line string) float64 {
		_, v, _ := strings.Cut(line, ":")
		f := strings.Fields(v)
		x, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			t.Fatalf("%s: %q: %v", path, line, err)
		}
		return x
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	summary := false
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "=== ") && !summary:
			level = strings.Trim(line, "= ")
			cur = nil
		case line == "Summary Stats" || line == "Operational Intensity Stats":
			summary = true
		case summary && strings.HasPrefix(line, "Cycles:"):
			st.cycles = int64(val(line))
		case summary && strings.HasPrefix(line, "Utilization:"):
			st.util = val(strings.TrimSuffix(line, "%")) / 100
		case summary && strings.HasPrefix(line, "Energy:"):
			st.energyUJ = val(line)
		case summary:
		case line == "Weights:" || line == "Inputs:" || line == "Outputs:":
			cur = &tlCounts{}
			if st.counts[level] == nil {
				st.counts[level] = map[string]*tlCounts{}
			}
			st.counts[level][strings.TrimSuffix(line, ":")] = cur
		case strings.HasPrefix(line, "Leakage energy (total)"):
			st.leakPJ += val(line)
		case level == "mac" && strings.HasPrefix(line, "Energy (total)"):
			st.macPJ = val(line)
		case cur == nil:
		case strings.HasPrefix(line, "Utilized instances (max)"):
			inst = val(line)
		case strings.HasPrefix(line, "Scalar reads (per-instance)"):
			cur.reads = val(line) * inst
		case strings.HasPrefix(line, "Scalar fills (per-instance)"):
			cur.fills = val(line) * inst
		case strings.HasPrefix(line, "Scalar updates (per-instance)"):
			cur.updates = val(line) * inst
		case strings.HasPrefix(line, "Energy (total)"):
			cur.energyPJ = val(line)
		}
	}
	return st
}

func pctDiff(nn, tl float64) string {
	if tl == 0 {
		if nn == 0 {
			return "0"
		}
		return "new"
	}
	return strconv.FormatFloat(100*(nn-tl)/tl, 'f', 2, 64)
}

// against lists the designs compared with Timeloop and, per design, the
// cells where the counts differ with the counting convention of issue 14
// (item 3) behind each. Every other count must agree exactly, nnergy's
// reads less its drains against Timeloop's reads (Timeloop charges a drain
// only as the parent's update).
var against = []struct {
	dir         string
	conventions map[string]string
	// energy explains cells whose counts agree and energies do not.
	energy map[string]string
}{
	{"testdata/eyeriss_like", map[string]string{
		"DRAM Inputs":       "sliding-window overlap: nnergy refills only the words of the next GLB tile it did not hold (87 per Q step, 3 at each Q wrap: 717 words); Timeloop's fills here are 16 whole tiles of 9831",
		"shared_glb Inputs": "partial-overlap multicast: PEs at (Q, S) and (Q', S') with 2Q+S = 2Q'+S' read the same input word at once; nnergy counts one GLB read for them, Timeloop multicasts only identical tiles",
	}, nil},
	{"testdata/simple_weight_stationary", map[string]string{
		"output_activation_reg Outputs": "partial-sum reload into reducing PEs: C (3) spreads along Y, so 3 PEs add into one output; Timeloop fills the reloaded partial sum into all 3 registers, nnergy into one (fills); and the drain, as below (reads)",
	}, nil},
	{"testdata/simple_output_stationary", map[string]string{
		"DRAM Inputs":       "sliding-window overlap: nnergy refills only the words of the next GLB tile it did not hold; Timeloop refills whole tiles",
		"shared_glb Inputs": "sliding-window overlap (the GLB's fills are DRAM's reads above)",
	}, nil},
	{"testdata/simba_like", map[string]string{
		"PEAccuBuffer Outputs": "partial-sum reload into reducing PEs: C (3) spreads along X over the PEs, so 3 PEs add into one output; Timeloop fills the reloaded partial sum into all 3 accumulators, nnergy into one (fills); and the drain, as below (reads)",
	}, nil},
}

// TestAgainstTimeloop imports each design with its default problem and
// reference mapping, evaluates it, and holds the per-level, per-tensor
// comparison with Timeloop's stats.txt to a golden table (docs/timeloop.md
// quotes them), twice: with the conventions the import sets (`conventions:
// timeloop`), under which every count must be Timeloop's and every energy,
// the cycles and the utilization within 0.5 % of it (but for the cells
// named in energy, each with its reason); and with nnergy's default
// conventions, under which counts that both tools count the same way must
// agree exactly and the others are the named conventions.
func TestAgainstTimeloop(t *testing.T) {
	for _, d := range against {
		t.Run(d.dir[len("testdata/"):], func(t *testing.T) {
			r := importDesign(t, d.dir)
			if r.Spec.Conventions != arch.TimeloopConventions {
				t.Fatalf("the import sets conventions %v, want timeloop", r.Spec.Conventions)
			}
			tl := parseStats(t, d.dir+"/timeloop-mapper.stats.txt")
			var b strings.Builder
			b.WriteString("With `conventions: timeloop` (as imported):\n\n")
			compareDesign(t, &b, r, tl, true, d.conventions, d.energy)
			def := *r.Spec
			def.Conventions = 0
			r.Spec = &def
			b.WriteString("\nWith nnergy's default conventions:\n\n")
			compareDesign(t, &b, r, tl, false, d.conventions, d.energy)
			golden.Check(t, d.dir+"/compare.md", []byte(b.String()))
		})
	}
}

// within reports whether nn is within 0.5 % of tl.
func within(nn, tl float64) bool { return math.Abs(nn-tl) <= 0.005*math.Abs(tl) }

func compareDesign(t *testing.T, b *strings.Builder, r *timeloop.Result, tl *tlStats, tlConv bool, conventions, energy map[string]string) {
	m, err := cost.New(r.Spec)
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.Evaluate(r.Network.Layers[0], r.Mapping)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Valid {
		t.Fatalf("imported mapping invalid: %v", res.Violations)
	}
	b.WriteString("| level | tensor | reads TL | reads nnergy (drains) | fills TL | fills nnergy | updates TL | updates nnergy | energy TL (pJ) | energy nnergy (pJ) | energy Δ % | why |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n")
	for _, lv := range res.Levels {
		for tn := range workload.NumTensors {
			name := workload.Tensor(tn).String()
			c := tl.counts[lv.Name][name]
			nr := lv.Tensors[tn]
			if c == nil {
				if nr.Reads+nr.Writes != 0 {
					t.Errorf("%s %s: nnergy counts %d reads and %d writes, Timeloop none", lv.Name, name, nr.Reads, nr.Writes)
				}
				continue
			}
			key := lv.Name + " " + name
			why, known := conventions[key]
			same := float64(nr.Reads-nr.Drains) == c.reads && float64(nr.Fills) == c.fills && float64(nr.Updates) == c.updates
			switch {
			case tlConv && (!same || nr.Drains != 0):
				t.Errorf("%s: with conventions: timeloop, nnergy reads %d (drains %d) fills %d updates %d, Timeloop %.0f %.0f %.0f", key, nr.Reads, nr.Drains, nr.Fills, nr.Updates, c.reads, c.fills, c.updates)
			case tlConv:
				why = "same"
			case !known && !same:
				t.Errorf("%s: nnergy reads-drains %d fills %d updates %d, Timeloop %.0f %.0f %.0f", key, nr.Reads-nr.Drains, nr.Fills, nr.Updates, c.reads, c.fills, c.updates)
			case known && same:
				t.Errorf("%s: counts agree now; drop it from conventions", key)
			case !known && nr.Drains > 0:
				why = "drain: nnergy charges a read at this level for each word drained to the parent; Timeloop only the parent's update"
			case !known:
				why = "same"
			}
			// Where the counts agree, so must the energy (within 0.5 %: the
			// words Timeloop rounds up to whole blocks), but for a named
			// convention.
			if ew, ok := energy[key]; ok {
				why = ew
				if within(nr.EnergyPJ, c.energyPJ) {
					t.Errorf("%s: energies agree now; drop it from energy", key)
				}
			} else if same && nr.Drains == 0 && !within(nr.EnergyPJ, c.energyPJ) {
				t.Errorf("%s: the counts agree, the energy is %.0f pJ against Timeloop's %.0f", key, nr.EnergyPJ, c.energyPJ)
			}
			fmt.Fprintf(b, "| %s | %s | %.0f | %d (%d) | %.0f | %d | %.0f | %d | %.0f | %.0f | %s | %s |\n", lv.Name, name,
				c.reads, nr.Reads, nr.Drains, c.fills, nr.Fills, c.updates, nr.Updates, c.energyPJ, nr.EnergyPJ, pctDiff(nr.EnergyPJ, c.energyPJ), why)
		}
	}
	fmt.Fprintf(b, "| MACs | | | | | | | | %.0f | %.0f | %s | same |\n", tl.macPJ, res.MACEnergyPJ, pctDiff(res.MACEnergyPJ, tl.macPJ))
	var leak, tlTotal float64
	for _, lv := range res.Levels {
		leak += lv.StaticPJ
	}
	for _, ts := range tl.counts {
		for _, c := range ts {
			tlTotal += c.energyPJ
		}
	}
	tlTotal += tl.macPJ + tl.leakPJ
	fmt.Fprintf(b, "| leakage, storage | | | | | | | | %.0f | %.0f | %s | both charge the utilized instances only (gate_unused) |\n", tl.leakPJ, leak, pctDiff(leak, tl.leakPJ))
	macLeak := "Timeloop does not charge the compute level's leak action"
	if tlConv {
		macLeak = "same: `mac_leakage: none`"
		if res.MACStaticPJ != 0 {
			t.Errorf("MAC leakage %.0f pJ with conventions: timeloop", res.MACStaticPJ)
		}
	}
	fmt.Fprintf(b, "| leakage, MACs | | | | | | | | 0 | %.0f | %s | %s |\n", res.MACStaticPJ, pctDiff(res.MACStaticPJ, 0), macLeak)
	fmt.Fprintf(b, "| total | | | | | | | | %.0f | %.0f | %s | Timeloop prints %.2f uJ |\n", tlTotal, res.EnergyPJ, pctDiff(res.EnergyPJ, tlTotal), tl.energyUJ)
	fmt.Fprintf(b, "\ncycles: Timeloop %d, nnergy %d; utilization: Timeloop %.2f %%, nnergy %.2f %%\n", tl.cycles, res.Cycles, 100*tl.util, 100*res.Utilization())
	if res.Cycles != tl.cycles {
		t.Errorf("cycles %d, Timeloop %d", res.Cycles, tl.cycles)
	}
	if math.Abs(res.Utilization()-tl.util) > 0.0001 {
		t.Errorf("utilization %.4f, Timeloop %.4f", res.Utilization(), tl.util)
	}
	if !within(leak, tl.leakPJ) {
		t.Errorf("storage leakage %.2f pJ, Timeloop %.2f", leak, tl.leakPJ)
	}
	if math.Abs(tlTotal/1e6-tl.energyUJ) > 0.01 {
		t.Errorf("Timeloop's energies sum to %.2f uJ, its total is %.2f", tlTotal/1e6, tl.energyUJ)
	}
	if math.Abs(res.MACEnergyPJ-tl.macPJ) > 0.01*tl.macPJ/100 {
		t.Errorf("MAC energy %.2f pJ, Timeloop %.2f", res.MACEnergyPJ, tl.macPJ)
	}
	if tlConv && !within(res.EnergyPJ, tlTotal) {
		t.Errorf("total energy %.0f pJ with conventions: timeloop, Timeloop %.0f", res.EnergyPJ, tlTotal)
	}
}
