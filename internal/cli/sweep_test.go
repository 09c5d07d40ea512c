package cli

import (
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/report"
	"github.com/nnergy/nnergy/sweep"
)

const smallSweep = "testdata/sweep/small.yaml"

func TestSweepGolden(t *testing.T) {
	// A store of its own: the first run evaluates every point, the second
	// takes them from it.
	t.Setenv(storeEnv, filepath.Join(t.TempDir(), "results.db"))
	plot := filepath.Join(t.TempDir(), "front.svg")
	var b strings.Builder
	for _, args := range [][]string{
		{"sweep", smallSweep},
		{"sweep", smallSweep, "--pareto", "energy,latency", "--plot", plot},
		{"sweep", smallSweep, "--list"},
		{"sweep", smallSweep, "--list", "--shard", "1/2"},
	} {
		code, out, errOut := runNnergy(t, args...)
		if code != 0 || errOut != "" {
			t.Fatalf("%v: exit %d, stderr %q", args, code, errOut)
		}
		fmt.Fprintf(&b, "$ nnergy %s\n%s\n", strings.ReplaceAll(strings.Join(args, " "), plot, "front.svg"), out)
	}
	checkGolden(t, "sweep_small.golden", b.String())
	svg, err := os.ReadFile(plot)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "sweep_small.svg", string(svg))
	var marks svgMarks
	if err := xml.Unmarshal(svg, &marks); err != nil {
		t.Fatalf("the plot is not well-formed SVG: %v", err)
	}
	red := 0
	for _, c := range marks.Circles {
		if c.Fill == "#e15759" {
			red++
		}
	}
	// The fronts of both workloads, as the JSON has them.
	rep := sweepJSON(t, smallSweep, "--pareto", "energy,latency")
	want := 0
	for _, f := range rep.Pareto.Fronts {
		want += len(f.Points)
	}
	if red != want || want == 0 {
		t.Errorf("the plot marks %d front points, the fronts hold %d", red, want)
	}
}

func sweepJSON(t *testing.T, args ...string) *report.Sweep {
	t.Helper()
	code, out, errOut := runNnergy(t, append(append([]string{"sweep"}, args...), "--format", "json")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	v, err := report.Decode([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	rep, ok := v.(*report.Sweep)
	if !ok {
		t.Fatalf("a %T report", v)
	}
	return rep
}

func TestSweepJSONAndCSV(t *testing.T) {
	rep := sweepJSON(t, smallSweep, "--pareto", "latency,energy,edp", "--workers", "2")
	if rep.TotalPoints != 18 || len(rep.Points) != 18 || len(rep.Workloads) != 2 || rep.Shard.Count != 1 {
		t.Fatalf("%d points of %d, %d workloads, shard %+v", len(rep.Points), rep.TotalPoints, len(rep.Workloads), rep.Shard)
	}
	invalid := 0
	for _, p := range rep.Points {
		if !p.Valid {
			invalid++
			if !strings.Contains(p.Reason, "more than size_words 2048") || len(p.Results) != 0 {
				t.Errorf("point %s: %q, %d results", p.ID, p.Reason, len(p.Results))
			}
			continue
		}
		if len(p.Results) != 2 || p.Method != "search" || p.Dataflow != "rs" {
			t.Errorf("point %s: %+v", p.ID, p)
		}
		for _, r := range p.Results {
			wl := rep.Workloads[r.Workload]
			if !r.OK || r.MACs != wl.MACs || math.Abs(r.EnergyPerInferencePJ*float64(wl.Batch)-r.EnergyPJ) > 1e-9*r.EnergyPJ {
				t.Errorf("point %s workload %d: %+v", p.ID, r.Workload, r)
			}
			if len(r.LevelsEnergyPJ) != len(rep.Levels) {
				t.Errorf("%d level energies for levels %v", len(r.LevelsEnergyPJ), rep.Levels)
			}
		}
	}
	if invalid != 6 {
		t.Errorf("%d invalid points, want the 6 with a 2048-word GLB", invalid)
	}
	if rep.Pareto == nil || len(rep.Pareto.Fronts) != 2 || !slices.Equal(rep.Pareto.Objectives, []string{"latency", "energy", "edp"}) {
		t.Fatalf("pareto %+v", rep.Pareto)
	}

	// The CSV holds the same figures, and marks the same fronts.
	code, out, errOut := runNnergy(t, "sweep", smallSweep, "--pareto", "latency,energy,edp", "--format", "csv")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, c := range rows[0] {
		col[c] = i
	}
	if len(rows) != 1+18*2 || !slices.Equal(rows[0][2:7], []string{"x", "y", "glb", "obj", "pes"}) {
		t.Fatalf("csv header %v, %d rows", rows[0], len(rows))
	}
	front := map[string]bool{}
	for _, f := range rep.Pareto.Fronts {
		for _, id := range f.Points {
			front[fmt.Sprint(f.Workload, id)] = true
		}
	}
	for k, row := range rows[1:] {
		p, w := rep.Points[k/2], k%2
		if row[col["id"]] != p.ID || row[col["batch"]] != itoa(rep.Workloads[w].Batch) {
			t.Fatalf("row %d: %v", k, row)
		}
		switch {
		case !p.Valid:
			if row[col["status"]] != "invalid" || row[col["reason"]] != p.Reason {
				t.Errorf("row %d: %v", k, row)
			}
		default:
			r := p.Results[w]
			if row[col["status"]] != "ok" || row[col["energy_pj"]] != fmtF(r.EnergyPJ, 1) || row[col["cycles"]] != i64(r.Cycles) {
				t.Errorf("row %d: %v, json %+v", k, row, r)
			}
		}
		if row[col["pareto"]] != fmt.Sprint(front[fmt.Sprint(w, p.ID)]) {
			t.Errorf("row %d: pareto %s", k, row[col["pareto"]])
		}
	}
}

// TestSweepISCA16 runs the ISCA 2016 sweep (a smaller search) and nnergy
// compare with the same search: every dataflow's energy and cycles are
// the same.
func TestSweepISCA16(t *testing.T) {
	rep := sweepJSON(t, "testdata/sweep/isca16.yaml")
	code, out, errOut := runNnergy(t, "compare", "--model", "alexnet", "--batch", "16", "--dataflow", "rs,ws,os,is,nlr",
		"--max-evals", "300", "--workers", "2", "--format", "json")
	if code != 0 {
		t.Fatalf("compare: exit %d: %s", code, errOut)
	}
	var c report.Compare
	if err := json.Unmarshal([]byte(out), &c); err != nil {
		t.Fatal(err)
	}
	if len(rep.Points) != len(c.Architectures) {
		t.Fatalf("%d points, %d dataflows", len(rep.Points), len(c.Architectures))
	}
	for i, a := range c.Architectures {
		p := rep.Points[i]
		var energy float64
		for _, g := range c.Groups {
			energy += g.Results[i].EnergyPJ
		}
		got := p.Results[0].EnergyPJ
		if p.Dataflow != a.Dataflow || math.Abs(got-energy) > 1e-12*energy {
			t.Errorf("%s: sweep %s %.6f pJ, compare %.6f pJ", a.Dataflow, p.Dataflow, got, energy)
		}
		if glb := p.Values[len(p.Values)-1]; glb.Name != "glb_words" || glb.Value != itoa(int(a.GLBBytes/2)) {
			t.Errorf("%s: GLB %s words, compare's %d bytes", a.Dataflow, glb.Value, a.GLBBytes)
		}
	}
}

func TestSweepPrintArch(t *testing.T) {
	s, err := sweep.Load(smallSweep)
	if err != nil {
		t.Fatal(err)
	}
	p := &s.Points[10]
	if s.Label(p) != "x=7 y=6 glb=55296 obj=energy" {
		t.Fatalf("point 10 is %s", s.Label(p))
	}
	code, out, errOut := runNnergy(t, "sweep", smallSweep, "--print-arch", p.ID)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.HasPrefix(out, "# point "+p.ID+" of sweep small: x=7 y=6 glb=55296 obj=energy\n") {
		t.Errorf("header: %q", out[:min(len(out), 80)])
	}
	spec, err := arch.Parse("point.yaml", []byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if rf := spec.Levels[spec.Level("RF")]; rf.MeshX != 7 || rf.MeshY != 6 || spec.Levels[spec.Level("GLB")].SizeWords != 55296 {
		t.Errorf("the printed architecture has RF mesh %dx%d", rf.MeshX, rf.MeshY)
	}
}

// TestSweepShards: the shards' points, by --shard or from the
// environment, are the sweep's, each once.
func TestSweepShards(t *testing.T) {
	whole := sweepJSON(t, smallSweep)
	seen := map[string]report.SweepPoint{}
	for i := range 4 {
		var rep *report.Sweep
		if i%2 == 0 {
			rep = sweepJSON(t, smallSweep, "--shard", fmt.Sprintf("%d/4", i))
		} else {
			t.Setenv("JOB_COMPLETION_INDEX", itoa(i))
			rep = sweepJSON(t, smallSweep, "--shards", "4")
		}
		if rep.Shard.Index != i || rep.Shard.Count != 4 || rep.TotalPoints != 18 {
			t.Errorf("shard %d: %+v of %d", i, rep.Shard, rep.TotalPoints)
		}
		for _, p := range rep.Points {
			if _, dup := seen[p.ID]; dup {
				t.Errorf("point %s in two shards", p.ID)
			}
			seen[p.ID] = p
		}
	}
	if len(seen) != len(whole.Points) {
		t.Fatalf("the shards hold %d points, the sweep %d", len(seen), len(whole.Points))
	}
	for _, p := range whole.Points {
		q, ok := seen[p.ID]
		if !ok {
			t.Errorf("point %s in no shard", p.ID)
			continue
		}
		// The figures must agree; where they came from (evaluated, or
		// taken from the store that an earlier run filled) may not.
		p.FromStore, p.StoredSearches = false, 0
		q.FromStore, q.StoredSearches = false, 0
		a, _ := json.Marshal(p)
		b, _ := json.Marshal(q)
		if string(a) != string(b) {
			t.Errorf("point %s differs in its shard:\n%s\n%s", p.ID, a, b)
		}
	}
}

func TestSweepErrors(t *testing.T) {
	cases := [][]string{
		{smallSweep, "--pareto", "energy"},
		{smallSweep, "--pareto", "energy,watts"},
		{smallSweep, "--format", "xml"},
		{smallSweep, "--plot", "front.pdf"},
		{smallSweep, "--workers", "-1"},
		{smallSweep, "--shard", "4/4"},
		{smallSweep, "--shard", "1/2", "--shards", "2"},
		{smallSweep, "--shards", "3"},
		{smallSweep, "--print-arch", "nosuchpoint"},
		{smallSweep, "--print-arch", "f003694b7a4a"},
		{"testdata/sweep/missing.yaml"},
		{"../../sweep/testdata/errors/zip.yaml"},
	}
	var b strings.Builder
	for _, c := range cases {
		args := append([]string{"sweep"}, c...)
		code, out, errOut := runNnergy(t, args...)
		if out != "" {
			t.Errorf("%v wrote to stdout: %q", c, out)
		}
		fmt.Fprintf(&b, "$ nnergy %s\nexit %d\n%s\n", strings.Join(args, " "), code, errOut)
	}
	t.Setenv("SLURM_ARRAY_TASK_ID", "1")
	code, _, errOut := runNnergy(t, "sweep", smallSweep)
	fmt.Fprintf(&b, "$ SLURM_ARRAY_TASK_ID=1 nnergy sweep %s\nexit %d\n%s\n", smallSweep, code, errOut)
	checkGolden(t, "sweep_errors.golden", b.String())
}

// The invalid point of --print-arch in TestSweepErrors.
func TestSweepInvalidID(t *testing.T) {
	s, err := sweep.Load(smallSweep)
	if err != nil {
		t.Fatal(err)
	}
	if p := s.Point("f003694b7a4a"); p == nil || s.Label(p) != "x=2 y=2 glb=2048 obj=energy" {
		t.Errorf("f003694b7a4a is not the point x=2 y=2 glb=2048 obj=energy any more; update TestSweepErrors")
	}
}
