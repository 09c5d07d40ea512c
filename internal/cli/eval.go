package cli

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nnergy/nnergy/cost"
	"github.com/nnergy/nnergy/dataflow"
	"github.com/nnergy/nnergy/explore"
	"github.com/nnergy/nnergy/mapper"
	"github.com/nnergy/nnergy/mapping"
	"github.com/nnergy/nnergy/mapspace"
	"github.com/nnergy/nnergy/page"
	"github.com/nnergy/nnergy/report"
	"github.com/nnergy/nnergy/store"
	"github.com/nnergy/nnergy/workload"
)

type evalFlags struct {
	arch, model, dataflow, format, mapping, constraints    string
	density, sparsityFrom, calibrate, dataDir, report, out string
	calibrateImages                                        int
	layers                                                 []string
	mf                                                     modelFlags
	search                                                 bool
	sf                                                     searchFlags
	explain                                                bool
	explainAgainst                                         string
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
Timeloop files work too (an architecture: top-level key for --arch, with
the ERT and ART beside it; problem: for --model; mapping: for --mapping):
they are imported as 'nnergy import timeloop' does, its report on stderr.
Each layer is mapped with the deterministic builder of --dataflow.`,
		Example: `  nnergy eval --arch eyeriss --model alexnet --batch 4
  nnergy eval --arch systolic --model resnet50 --dataflow ws --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			if err := checkTimeloopOut("eval", f.format, f.out); err != nil {
				return err
			}
			if err := checkFormat("eval", f.format); err != nil && f.format != formatTimeloop {
				return err
			}
			if err := e.checkOut("eval", "--report", f.report, reportExts...); err != nil {
				return err
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
			tl, err := loadTimeloop("eval", f.arch, f.model, f.mapping, e.stderr)
			if err != nil {
				return err
			}
			spec, err := tl.loadArch(f.arch)
			if err != nil {
				return err
			}
			net, err := tl.loadModel(func() (*workload.Network, error) { return f.mf.load("eval", f.model) })
			if err != nil {
				return err
			}
			if len(f.layers) > 0 {
				var ls []*workload.Layer
				for _, name := range f.layers {
					l, err := net.Layer(name)
					if err != nil {
						return err
					}
					ls = append(ls, l)
				}
				net = net.WithLayers(ls)
			}
			if err := applySparsityFrom(net, f.sparsityFrom); err != nil {
				return err
			}
			if err := applyCalibration(net, f.model, f.calibrate, f.dataDir, f.calibrateImages); err != nil {
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
			stats := map[string]mapper.Stats{}
			switch {
			case f.search:
				user, err := searchConstraints(f.constraints, nil, tl, f.arch, e.stderr) // levels checked in the run, which records the failure
				if err != nil {
					return err
				}
				var start func(*workload.Layer) (*mapping.Mapping, error)
				if df != nil {
					start = func(l *workload.Layer) (*mapping.Mapping, error) { return dataflow.Build(*df, l, m) }
				}
				mapFn = explore.ConstrainedSearch(m, func(l *workload.Layer) mapspace.Constraints { return constraintsFor(df, user, l, spec) },
					start, set, func(l *workload.Layer, st mapper.Stats) { stats[l.Name] = st })
			case f.constraints != "":
				return usagef("eval: --constraints needs --search")
			default:
				mapFn = explore.DataflowMapper(m, *df)
			}
			against, err := explainFlags("eval", f.explain, f.explainAgainst, cmd.Flags().Changed("explain-against"))
			if err != nil {
				return err
			}
			opt := report.EvalOptions{Source: report.SourceBuilder, Dataflow: df}
			if f.search {
				opt.Source, opt.Objective, opt.Searches = report.SourceMapper, set.Objective, stats
			}
			if f.mapping != "" {
				if len(net.Layers) != 1 {
					return usagef("eval: --mapping needs exactly one layer (use --layer)")
				}
				levels := make([]string, len(spec.Levels))
				for i, lv := range spec.Levels {
					levels[i] = lv.Name
				}
				mp, err := tl.loadMapping(f.mapping, levels)
				if err != nil {
					return err
				}
				mapFn = func(context.Context, *workload.Layer) (*mapping.Mapping, error) { return mp, nil }
				opt = report.EvalOptions{Source: report.SourceFile, MappingFile: f.mapping}
			}
			opt.ExplainAgainst = against
			if f.format == formatTimeloop {
				if len(net.Layers) != 1 {
					return usagef("eval: --format timeloop needs exactly one layer (use --layer)")
				}
				mp, err := mapFn(cmd.Context(), net.Layers[0])
				clearProgress(set, e.stderr)
				if err != nil {
					return err
				}
				return e.writeTimeloop("eval", spec, tl.layout(), net.Layers[0], mp, f.out)
			}
			rec, err := e.begin(cmd, store.KindEval, runInputs{arch: archYAML(spec), workload: f.model, digest: workload.Digest(net.Layers)})
			if err != nil {
				return err
			}
			defer func() { err = rec.end(cmd.Context(), err) }()
			var res *explore.Network
			var stopped *explore.Stopped
			if opt.Source == report.SourceMapper {
				// A signal keeps the best found so far, as in map.
				var fallback explore.Mapper
				if df != nil {
					fallback = explore.DataflowMapper(m, *df)
				}
				res, stopped, err = explore.EvaluateStopped(cmd.Context(), m, net, mapFn, fallback)
			} else {
				res, err = explore.Evaluate(cmd.Context(), m, net, mapFn)
			}
			clearProgress(set, e.stderr)
			if err != nil {
				return err
			}
			if stopped != nil && len(res.Layers) == 0 {
				return cmd.Context().Err()
			}
			rep, err := report.NewEval(cmd.Context(), m, res, opt)
			if stopped != nil && err == nil {
				rep.Partial = report.NewPartial(stopped, "")
			}
			if err != nil {
				return err
			}
			rec.setReport(rep)
			if err := writeReportPage("eval", f.report, func(w io.Writer) error { return page.Eval(w, rep) }); err != nil {
				return err
			}
			switch f.format {
			case formatJSON:
				return writeJSON(e.stdout, rep)
			case formatCSV:
				return writeEvalCSV(e.stdout, rep)
			}
			if err := writeEvalTable(e.stdout, rep); err != nil {
				return err
			}
			return writeExplain(e.stdout, rep)
		},
	}
	fl := c.Flags()
	fl.StringVar(&f.arch, "arch", "eyeriss", "architecture: preset name or YAML file")
	fl.StringVar(&f.model, "model", "alexnet", "network: zoo name or workload YAML file")
	f.mf.register(fl, 1)
	fl.StringVar(&f.dataflow, "dataflow", "rs", "dataflow: ws, os, is, rs or nlr, or best (search the whole mapspace)")
	fl.StringVar(&f.constraints, "constraints", "", "with --search: YAML file of mapping constraints (docs/format/constraints.md), laid over the dataflow's")
	fl.BoolVar(&f.search, "search", false, "search every unique layer's mapping with the mapper within --dataflow (default: the dataflow's deterministic builder)")
	fl.StringVar(&f.density, "density", "", "tensor densities (fraction of nonzeros): weights=0.3,inputs=0.5 for every layer, conv2:inputs=0.6 for one")
	registerData(fl, &f.calibrate, &f.dataDir, "", "; its images run through the --model (.onnx or .nnw) to measure each layer's activation densities (default: none, the densities given)")
	deprecatedAlias(fl, "calibrate", "data")
	fl.IntVar(&f.calibrateImages, "density-images", 256, "with --data: test images on which activation densities are measured")
	deprecatedAlias(fl, "calibrate-images", "density-images")
	fl.StringVar(&f.sparsityFrom, "sparsity-from", "", "ONNX model whose weights' nonzero fractions become the layers' weight densities")
	f.sf.register(fl)
	fl.StringSliceVar(&f.layers, "layer", nil, "evaluate only these layers (comma-separated or repeated)")
	fl.StringVar(&f.mapping, "mapping", "", "evaluate the one --layer under the mapping in this file (loop-nest text, see docs/format/mapping.md)")
	fl.StringVar(&f.format, "format", formatTable, "output format: table, json, csv, or timeloop (the one --layer's mapping as Timeloop's map.yaml)")
	fl.StringVar(&f.out, "out", "", "with --format timeloop: directory to write the design as Timeloop inputs to (arch, ERT, ART, problem, map.yaml)")
	registerReportFlag(fl, &f.report)
	fl.BoolVar(&f.explain, "explain", false, "list per level and tensor which counting convention changes which count, and by how much, between the architecture's conventions and --explain-against's (docs/timeloop.md)")
	fl.StringVar(&f.explainAgainst, "explain-against", "default", "with --explain: the conventions to compare with: default (nnergy's), timeloop, or an architecture YAML file (its conventions:)")
	return c
}

// mappingText says how an evaluation mapped its layers, for people:
// "rs (builder)", "rs (searched, objective energy)" or "mapping FILE".
func mappingText(rep *report.Eval) string {
	switch rep.MappingSource {
	case report.SourceFile:
		return "mapping " + rep.MappingFile
	case report.SourceMapper:
		return rep.Dataflow + " (searched, objective " + strings.Join(rep.Objective, ",") + ")"
	}
	return rep.Dataflow + " (builder)"
}

func pct(part, whole float64) string {
	if whole == 0 {
		return "-"
	}
	return strconv.FormatFloat(100*part/whole, 'f', 1, 64)
}

func fmtF(v float64, prec int) string { return strconv.FormatFloat(v, 'f', prec, 64) }

func evalRow(name string, r *report.Figures) []string {
	row := []string{name, siCount(r.MACs), fmtF(r.EnergyPJ/1e6, 2), fmtF(r.EnergyPJPerMAC, 2)}
	if d := r.Dense; d != nil {
		dense := fmtF(d.EnergyPJ/1e6, 2)
		if d.BeyondLimits {
			dense += "*"
		}
		row = append(row, dense, pct(d.EnergyPJ-r.EnergyPJ, d.EnergyPJ), i64(d.Cycles))
	}
	// Levels and MACs dynamic, then all leakage: the shares add up to 100.
	for _, l := range r.Levels {
		row = append(row, pct(l.StoragePJ+l.NetworkPJ, r.EnergyPJ))
	}
	row = append(row, pct(r.MACEnergyPJ, r.EnergyPJ), pct(r.StaticPJ, r.EnergyPJ),
		i64(r.Cycles), fmtF(r.LatencySeconds*1e3, 3),
		fmtF(100*r.Utilization, 1), fmtF(r.EnergyOverLowerBound, 2))
	return row
}

func writeEvalTable(w io.Writer, rep *report.Eval) error {
	tot := &rep.Total
	t := textTable{left: map[int]bool{0: true}}
	t.header = []string{"layer", "MACs", "energy_uJ", "pJ/MAC"}
	if tot.Dense != nil {
		t.header = append(t.header, "dense_uJ", "saved%", "dense_cycles")
	}
	for _, l := range tot.Levels {
		t.header = append(t.header, l.Name+"%")
	}
	t.header = append(t.header, "MAC%", "static%", "cycles", "latency_ms", "util%", "E/LB")
	for i := range rep.Layers {
		t.rows = append(t.rows, evalRow(rep.Layers[i].Name, &rep.Layers[i].Figures))
	}
	t.rows = append(t.rows, evalRow("total", &tot.Figures))
	fmt.Fprintf(w, "%s on %s, %s, dataflow %s, clock %.0f MHz\n\n", rep.Model, rep.Arch, batchText(rep.Batch, rep.BatchUnknown), mappingText(rep), rep.ClockHz/1e6)
	if err := t.write(w); err != nil {
		return err
	}
	if tot.Dense != nil && tot.Dense.BeyondLimits {
		fmt.Fprintf(w, "\n* dense tiles exceed the capacities the mapping was chosen for (compressed); the dense figures count the same traffic as if they fit\n")
	}
	if s := rep.Search; s != nil {
		fmt.Fprintf(w, "\n%d unique layer shapes searched: %d evaluations in %.1f s, %d proven optimal for their space", s.Searches, s.Evaluations, s.Seconds, s.Optimal)
		if s.MaxGapPercent > 0 {
			fmt.Fprintf(w, ", the others within %.1f%% of their optimum", s.MaxGapPercent)
		}
		fmt.Fprintln(w)
	}
	writePartial(w, rep.Partial)
	_, err := fmt.Fprintf(w, "\nenergy %.2f uJ per inference (%.2f uJ per batch, %.2f pJ/MAC, %.2fx the lower bound)\n"+
		"latency %.3f ms per batch, %.1f fps, average power %.1f mW at %.0f MHz\n"+
		"DRAM traffic %.2f MB per batch (%.4f words/MAC), %.1f of %d MAC units busy on average (%.1f%%)\n",
		tot.EnergyPerInferencePJ/1e6, tot.EnergyPJ/1e6, tot.EnergyPJPerMAC, tot.EnergyOverLowerBound,
		tot.LatencySeconds*1e3, tot.InferencesPerSecond, tot.PowerWatts*1e3, rep.ClockHz/1e6,
		tot.DRAMBytes/1e6, tot.DRAMWordsPerMAC, tot.BusyMACUnitsMean, rep.MACUnits, 100*tot.Utilization)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "static %.2f uJ per batch (%s%% of the energy): leakage %.2f mW %s; area %s\n",
		tot.StaticPJ/1e6, pct(tot.StaticPJ, tot.EnergyPJ), rep.LeakageWatts*1e3, gateText(rep.GateUnused), areaText(&rep.Area))
	return err
}

// writePartial says, under a table, that the run was stopped and what its
// report lacks.
func writePartial(w io.Writer, p *report.Partial) {
	if p == nil {
		return
	}
	fmt.Fprintf(w, "\npartial: stopped (%s) before the search ended; the best mappings found so far", p.Reason)
	if len(p.Unsearched) > 0 {
		fmt.Fprintf(w, "; not searched, the dataflow's builder mapping: %s", strings.Join(p.Unsearched, ", "))
	}
	if len(p.Missing) > 0 {
		fmt.Fprintf(w, "; left out: %s", strings.Join(p.Missing, ", "))
	}
	fmt.Fprintln(w)
}

// gateText says which instances leak.
func gateText(gated bool) string {
	if gated {
		return "with every instance on (unused ones are power-gated)"
	}
	return "(every instance leaks, used or not)"
}

// areaText gives an architecture's area in mm² and its split, for people:
// "2.85 mm2 (GLB 21.9%, RF 58.8%, MACs 19.3%)".
func areaText(a *report.Area) string {
	if a.TotalUM2 == 0 {
		return "not modelled (no technology classes or area_um2)"
	}
	var parts []string
	for _, l := range a.Levels {
		if l.TotalUM2 > 0 {
			parts = append(parts, l.Name+" "+pct(l.TotalUM2, a.TotalUM2)+"%")
		}
	}
	parts = append(parts, "MACs "+pct(a.ComputeUM2, a.TotalUM2)+"%")
	return fmtF(a.TotalUM2/1e6, 2) + " mm2 (" + strings.Join(parts, ", ") + ")"
}

// evalCSVHeader returns the columns of eval --format csv for the levels
// named.
func evalCSVHeader(levels []string) []string {
	head := []string{"layer", "macs", "energy_pj", "dynamic_pj", "static_pj", "lower_bound_pj", "cycles", "utilization"}
	for _, l := range levels {
		head = append(head, l+"_pj")
	}
	return append(head, "mac_pj")
}

func writeEvalCSV(w io.Writer, rep *report.Eval) error {
	cw := csv.NewWriter(w)
	var levels []string
	for _, l := range rep.Total.Levels {
		levels = append(levels, l.Name)
	}
	if err := cw.Write(evalCSVHeader(levels)); err != nil {
		return err
	}
	row := func(name string, r *report.Figures) []string {
		s := []string{name, i64(r.MACs), fmtF(r.EnergyPJ, 1), fmtF(r.DynamicPJ, 1), fmtF(r.StaticPJ, 1),
			fmtF(r.LowerBoundPJ, 1), i64(r.Cycles), fmtF(r.Utilization, 4)}
		for _, l := range r.Levels {
			s = append(s, fmtF(l.EnergyPJ, 1))
		}
		return append(s, fmtF(r.MACEnergyPJ+r.MACStaticPJ, 1))
	}
	for i := range rep.Layers {
		if err := cw.Write(row(rep.Layers[i].Name, &rep.Layers[i].Figures)); err != nil {
			return err
		}
	}
	if err := cw.Write(row("total", &rep.Total.Figures)); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}
