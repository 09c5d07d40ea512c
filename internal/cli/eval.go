package cli

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/cost"
	"github.com/nnergy/nnergy/dataflow"
	"github.com/nnergy/nnergy/explore"
	"github.com/nnergy/nnergy/mapper"
	"github.com/nnergy/nnergy/mapping"
	"github.com/nnergy/nnergy/mapspace"
	"github.com/nnergy/nnergy/workload"
)

type evalFlags struct {
	arch, model, dataflow, format, mapping, constraints string
	density, sparsityFrom, calibrate                    string
	calibrateImages                                     int
	layers                                              []string
	batch                                               int
	search                                              bool
	sf                                                  searchFlags
}

func (e *env) evalCmd() *cobra.Command {
	var f evalFlags
	c := &cobra.Command{
		Use:   "eval",
		Short: "Evaluate the energy, latency and utilization of a network on an accelerator",
		Long: `Evaluate every layer of a network on an accelerator: energy (with its
breakdown per memory level and tensor), cycles, latency at the clock,
utilization, and the ratio to the compulsory lower bound.

--arch takes a preset name (see 'nnergy archs') or an architecture YAML file;
--model takes a zoo name (see 'nnergy models') or a workload YAML file.
Each layer is mapped with the deterministic builder of --dataflow.`,
		Example: `  nnergy eval --arch eyeriss --model alexnet --batch 4
  nnergy eval --arch systolic --model resnet50 --dataflow ws --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat("eval", f.format); err != nil {
				return err
			}
			if f.batch < 1 {
				return usagef("eval: --batch must be at least 1, got %d", f.batch)
			}
			df, err := parseDataflowFlag(f.dataflow)
			if err != nil {
				return err
			}
			set, err := f.sf.settings("eval", e.stderr)
			if err != nil {
				return err
			}
			if df == nil {
				f.search = true
			}
			spec, err := arch.Load(f.arch)
			if err != nil {
				return err
			}
			net, err := loadNetwork(f.model)
			if err != nil {
				return err
			}
			net = net.WithBatch(f.batch)
			if len(f.layers) > 0 {
				sub := &workload.Network{Name: net.Name, Input: net.Input}
				for _, name := range f.layers {
					l, err := net.Layer(name)
					if err != nil {
						return err
					}
					sub.Layers = append(sub.Layers, l)
				}
				net = sub
			}
			if err := applySparsityFrom(net, f.sparsityFrom); err != nil {
				return err
			}
			if err := applyCalibration(net, f.model, f.calibrate, f.calibrateImages); err != nil {
				return err
			}
			if err := applyDensity(net, f.density); err != nil {
				return err
			}
			m, err := cost.New(spec)
			if err != nil {
				return err
			}
			var mapFn explore.Mapper
			var stats []mapper.Stats
			switch {
			case f.search:
				user, err := readConstraints(f.constraints)
				if err != nil {
					return err
				}
				var start func(*workload.Layer) (*mapping.Mapping, error)
				if df != nil {
					start = func(l *workload.Layer) (*mapping.Mapping, error) { return dataflow.Build(*df, l, m) }
				}
				mapFn = explore.ConstrainedSearch(m, func(l *workload.Layer) mapspace.Constraints { return constraintsFor(df, user, l, spec) },
					start, set, func(_ *workload.Layer, st mapper.Stats) { stats = append(stats, st) })
			case f.constraints != "":
				return usagef("eval: --constraints needs --search")
			default:
				mapFn = explore.DataflowMapper(m, *df)
			}
			if f.mapping != "" {
				if len(net.Layers) != 1 {
					return usagef("eval: --mapping needs exactly one layer (use --layer)")
				}
				mp, err := readMapping(f.mapping)
				if err != nil {
					return err
				}
				mapFn = func(context.Context, *workload.Layer) (*mapping.Mapping, error) { return mp, nil }
			}
			res, err := explore.Evaluate(cmd.Context(), m, net, mapFn)
			clearProgress(set, e.stderr)
			if err != nil {
				return err
			}
			how := f.dataflow
			switch {
			case f.mapping != "":
				how = "mapping " + f.mapping
			case f.search:
				how += " (searched, objective " + set.Objective.String() + ")"
			default:
				how += " (builder)"
			}
			var dense *explore.Network
			if hasZeros(net) {
				// The same mappings with every tensor dense, side by side.
				dense, err = explore.DenseTwin(m, res)
				if err != nil {
					return err
				}
			}
			rep := newEvalReport(spec, res, how)
			if dense != nil {
				for i := range rep.Layers {
					rep.Layers[i].Dense = newDense(&dense.Layers[i].Result)
				}
				rep.Total.Dense = newDense(&dense.Total)
			}
			if f.search && f.mapping == "" {
				rep.Search = summarize(stats)
			}
			switch f.format {
			case formatJSON:
				return writeJSON(e.stdout, rep)
			case formatCSV:
				return writeEvalCSV(e.stdout, spec, res)
			}
			return writeEvalTable(e.stdout, spec, res, dense, rep)
		},
	}
	fl := c.Flags()
	fl.StringVar(&f.arch, "arch", "eyeriss", "architecture: preset name or YAML file")
	fl.StringVar(&f.model, "model", "alexnet", "network: zoo name or workload YAML file")
	fl.IntVar(&f.batch, "batch", 1, "batch size (N)")
	fl.StringVar(&f.dataflow, "dataflow", "rs", "dataflow: ws, os, is, rs or nlr, or best (search the whole mapspace)")
	fl.StringVar(&f.constraints, "constraints", "", "with --search: YAML file of mapping constraints (docs/format/constraints.md), laid over the dataflow's")
	fl.BoolVar(&f.search, "search", false, "search every unique layer's mapping with the mapper within --dataflow (default: the dataflow's deterministic builder)")
	fl.StringVar(&f.density, "density", "", "tensor densities (fraction of nonzeros): weights=0.3,inputs=0.5 for every layer, conv2:inputs=0.6 for one")
	fl.StringVar(&f.calibrate, "calibrate", "", "data set (mnist or synthetic) whose images run through the --model (.onnx or .nnw) to measure each layer's activation densities")
	fl.IntVar(&f.calibrateImages, "calibrate-images", 256, "images of the --calibrate set to run")
	fl.StringVar(&f.sparsityFrom, "sparsity-from", "", "ONNX model whose weights' nonzero fractions become the layers' weight densities")
	f.sf.register(fl)
	fl.StringSliceVar(&f.layers, "layer", nil, "evaluate only these layers (comma-separated or repeated)")
	fl.StringVar(&f.mapping, "mapping", "", "evaluate the one --layer under the mapping in this file (loop-nest text, see docs/format/mapping.md)")
	fl.StringVar(&f.format, "format", formatTable, "output format: table, json or csv")
	return c
}

// evalLevel is one level of a layer's breakdown in JSON.
type evalLevel map[string]any

func levelsJSON(ls []cost.LevelResult) []evalLevel {
	out := make([]evalLevel, len(ls))
	for i, l := range ls {
		v := evalLevel{
			"name":       l.Name,
			"energy_pj":  l.EnergyPJ,
			"storage_pj": l.StoragePJ,
			"network_pj": l.NetworkPJ,
			"instances":  l.Instances,
			"cycles":     l.Cycles,
		}
		for t, tr := range l.Tensors {
			v[workload.Tensor(t).String()] = tr
		}
		out[i] = v
	}
	return out
}

type evalLayer struct {
	Name         string      `json:"name"`
	MACs         int64       `json:"macs"`
	EnergyPJ     float64     `json:"energy_pj"`
	MACEnergyPJ  float64     `json:"mac_energy_pj"`
	PJPerMAC     float64     `json:"pj_per_mac"`
	LowerBoundPJ float64     `json:"lower_bound_pj"`
	BoundRatio   float64     `json:"energy_over_lower_bound"`
	Cycles       int64       `json:"cycles"`
	BoundBy      string      `json:"bound_by,omitempty"`
	LatencyS     float64     `json:"latency_s"`
	Utilization  float64     `json:"utilization"`
	Mapping      string      `json:"mapping,omitempty"`
	Levels       []evalLevel `json:"levels"`
	// Dense is the same mapping with every tensor dense (only when some
	// tensor has zeros).
	Dense *denseFigures `json:"dense,omitempty"`
}

type denseFigures struct {
	EnergyPJ float64 `json:"energy_pj"`
	Cycles   int64   `json:"cycles"`
	// LevelsPJ is the dense energy of each level, in the order of levels:
	// the saving of a level is its dense energy less its energy.
	LevelsPJ []float64 `json:"levels_pj"`
}

func newDense(r *cost.Result) *denseFigures {
	d := &denseFigures{EnergyPJ: r.EnergyPJ, Cycles: r.Cycles}
	for _, l := range r.Levels {
		d.LevelsPJ = append(d.LevelsPJ, l.EnergyPJ)
	}
	return d
}

type evalTotal struct {
	evalLayer
	Batch                 int     `json:"batch"`
	EnergyPerInferencePJ  float64 `json:"energy_per_inference_pj"`
	FPS                   float64 `json:"fps"`
	PowerW                float64 `json:"power_w"`
	DRAMWords             int64   `json:"dram_words"`
	DRAMBytes             float64 `json:"dram_bytes"`
	LowerBoundCycles      int64   `json:"lower_bound_cycles"`
	ComputeCycles         int64   `json:"compute_cycles"`
	MACUnits              int64   `json:"mac_units"`
	ActiveMACUnitsAverage float64 `json:"active_mac_units_average"`
}

type evalReport struct {
	Arch     string       `json:"arch"`
	Model    string       `json:"model"`
	Batch    int          `json:"batch"`
	Dataflow string       `json:"dataflow"`
	ClockHz  float64      `json:"clock_hz"`
	Layers   []evalLayer  `json:"layers"`
	Total    evalTotal    `json:"total"`
	Search   *searchTotal `json:"search,omitempty"`
}

// searchTotal sums the searches of the unique layer shapes.
type searchTotal struct {
	Searches  int     `json:"searches"`
	Evaluated int64   `json:"evaluated"`
	Optimal   int     `json:"optimal"`
	Seconds   float64 `json:"seconds"`
}

func summarize(sts []mapper.Stats) *searchTotal {
	t := &searchTotal{Searches: len(sts)}
	for _, st := range sts {
		t.Evaluated += st.Evaluated
		t.Seconds += st.Elapsed.Seconds()
		if st.Optimal {
			t.Optimal++
		}
	}
	return t
}

func newEvalLayer(spec *arch.Spec, r *cost.Result, mp *mapping.Mapping) evalLayer {
	el := evalLayer{
		Name: r.Layer, MACs: r.MACs, EnergyPJ: r.EnergyPJ, MACEnergyPJ: r.MACEnergyPJ,
		PJPerMAC: r.PJPerMAC(), LowerBoundPJ: r.LowerBoundPJ, BoundRatio: r.BoundRatio(),
		Cycles: r.Cycles, BoundBy: r.BoundBy, LatencyS: float64(r.Cycles) / spec.ClockHz,
		Utilization: r.Utilization(), Levels: levelsJSON(r.Levels),
	}
	if mp != nil {
		el.Mapping = mp.Format()
	}
	return el
}

func newEvalReport(spec *arch.Spec, res *explore.Network, df string) evalReport {
	rep := evalReport{Arch: spec.Name, Model: res.Name, Batch: res.Batch, Dataflow: df, ClockHz: spec.ClockHz}
	for i := range res.Layers {
		rep.Layers = append(rep.Layers, newEvalLayer(spec, &res.Layers[i].Result, res.Layers[i].Mapping))
	}
	t := &res.Total
	tot := evalTotal{evalLayer: newEvalLayer(spec, t, nil), Batch: res.Batch}
	tot.Name = "total"
	tot.EnergyPerInferencePJ = t.EnergyPJ / float64(res.Batch)
	if tot.LatencyS > 0 {
		tot.FPS = float64(res.Batch) / tot.LatencyS
		tot.PowerW = t.EnergyPJ * 1e-12 / tot.LatencyS
	}
	if len(t.Levels) > 0 {
		for _, tr := range t.Levels[0].Tensors {
			tot.DRAMWords += tr.Reads + tr.Writes
		}
		for i, tr := range t.Levels[0].Tensors {
			bits := 16
			if len(res.Layers) > 0 {
				bits = spec.Bits(res.Layers[0].Layer, workload.Tensor(i))
			}
			tot.DRAMBytes += float64(tr.Reads+tr.Writes) * float64(bits) / 8 * tr.Ratio
		}
	}
	tot.LowerBoundCycles = t.LowerBoundCycles
	tot.ComputeCycles = t.ComputeCycles
	tot.MACUnits = t.MACUnits
	tot.ActiveMACUnitsAverage = t.ActiveMACUnits()
	rep.Total = tot
	return rep
}

func pct(part, whole float64) string {
	if whole == 0 {
		return "-"
	}
	return strconv.FormatFloat(100*part/whole, 'f', 1, 64)
}

func fmtF(v float64, prec int) string { return strconv.FormatFloat(v, 'f', prec, 64) }

func evalRow(spec *arch.Spec, r *cost.Result, dense *cost.Result) []string {
	row := []string{r.Layer, siCount(r.MACs), fmtF(r.EnergyPJ/1e6, 2), fmtF(r.PJPerMAC(), 2)}
	if dense != nil {
		row = append(row, fmtF(dense.EnergyPJ/1e6, 2), pct(dense.EnergyPJ-r.EnergyPJ, dense.EnergyPJ), i64(dense.Cycles))
	}
	for _, l := range r.Levels {
		row = append(row, pct(l.EnergyPJ, r.EnergyPJ))
	}
	row = append(row, pct(r.MACEnergyPJ, r.EnergyPJ),
		i64(r.Cycles), fmtF(float64(r.Cycles)/spec.ClockHz*1e3, 3),
		fmtF(100*r.Utilization(), 1), fmtF(r.BoundRatio(), 2))
	return row
}

func writeEvalTable(w io.Writer, spec *arch.Spec, res, dense *explore.Network, rep evalReport) error {
	t := textTable{left: map[int]bool{0: true}}
	t.header = []string{"layer", "MACs", "energy_uJ", "pJ/MAC"}
	if dense != nil {
		t.header = append(t.header, "dense_uJ", "saved%", "dense_cycles")
	}
	for _, l := range spec.Levels {
		t.header = append(t.header, l.Name+"%")
	}
	t.header = append(t.header, "MAC%", "cycles", "latency_ms", "util%", "E/LB")
	for i := range res.Layers {
		var d *cost.Result
		if dense != nil {
			d = &dense.Layers[i].Result
		}
		t.rows = append(t.rows, evalRow(spec, &res.Layers[i].Result, d))
	}
	var d *cost.Result
	if dense != nil {
		d = &dense.Total
	}
	t.rows = append(t.rows, evalRow(spec, &res.Total, d))
	fmt.Fprintf(w, "%s on %s, batch %d, dataflow %s, clock %.0f MHz\n\n", res.Name, spec.Name, res.Batch, rep.Dataflow, spec.ClockHz/1e6)
	if err := t.write(w); err != nil {
		return err
	}
	tot := rep.Total
	if s := rep.Search; s != nil {
		fmt.Fprintf(w, "\n%d unique layer shapes searched: %d evaluations in %.1f s, %d proven optimal for their space\n", s.Searches, s.Evaluated, s.Seconds, s.Optimal)
	}
	_, err := fmt.Fprintf(w, "\nenergy %.2f uJ per inference (%.2f uJ per batch, %.2f pJ/MAC, %.2fx the lower bound)\n"+
		"latency %.3f ms per batch, %.1f fps, average power %.1f mW at %.0f MHz\n"+
		"DRAM traffic %.2f MB per batch (%.4f words/MAC), %.1f of %d MAC units busy on average (%.1f%%)\n",
		tot.EnergyPerInferencePJ/1e6, tot.EnergyPJ/1e6, tot.PJPerMAC, tot.BoundRatio,
		tot.LatencyS*1e3, tot.FPS, tot.PowerW*1e3, spec.ClockHz/1e6,
		tot.DRAMBytes/1e6, float64(tot.DRAMWords)/float64(max(tot.MACs, 1)), tot.ActiveMACUnitsAverage, tot.MACUnits, 100*tot.Utilization)
	return err
}

func writeEvalCSV(w io.Writer, spec *arch.Spec, res *explore.Network) error {
	cw := csv.NewWriter(w)
	head := []string{"layer", "macs", "energy_pj", "lower_bound_pj", "cycles", "utilization"}
	for _, l := range spec.Levels {
		head = append(head, l.Name+"_pj")
	}
	head = append(head, "mac_pj")
	if err := cw.Write(head); err != nil {
		return err
	}
	row := func(r *cost.Result) []string {
		s := []string{r.Layer, i64(r.MACs), fmtF(r.EnergyPJ, 1), fmtF(r.LowerBoundPJ, 1), i64(r.Cycles), fmtF(r.Utilization(), 4)}
		for _, l := range r.Levels {
			s = append(s, fmtF(l.EnergyPJ, 1))
		}
		return append(s, fmtF(r.MACEnergyPJ, 1))
	}
	for i := range res.Layers {
		if err := cw.Write(row(&res.Layers[i].Result)); err != nil {
			return err
		}
	}
	if err := cw.Write(row(&res.Total)); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// readMapping reads a mapping in the loop-nest text form.
func readMapping(path string) (*mapping.Mapping, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return mapping.Parse(path, string(b))
}
