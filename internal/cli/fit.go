package cli

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/cost"
	"github.com/nnergy/nnergy/explore"
	"github.com/nnergy/nnergy/fit"
	"github.com/nnergy/nnergy/report"
	"github.com/nnergy/nnergy/store"
	"github.com/nnergy/nnergy/sweep"
	"github.com/nnergy/nnergy/workload"
)

type fitFlags struct {
	model, power, fps, area, arch, sweep, dataflow, format string
	search, quiet                                          bool
	misses                                                 int
	mf                                                     modelFlags
	sf                                                     searchFlags
}

func (e *env) fitCmd() *cobra.Command {
	var f fitFlags
	c := &cobra.Command{
		Use:   "fit",
		Short: "Does a network fit a device's power, frame-rate and area budget, by what margin, and what limits it",
		Long: `Check a network (--model) against a device budget: --power (W, mW or uW)
at --fps frames per second, and optionally --area (mm2 or um2).

With --arch, the network is mapped and costed on that architecture (as
nnergy eval: the builder of --dataflow, or a search with --search or
--dataflow best, under the search flags) and fit reports the margin on
each axis, 1 - use/limit: power at the required frame rate, throughput
(the frame rate against the highest the design reaches, batch / latency)
and area; the limiter (the
axis of least margin, or capacity when a layer has no legal mapping);
what bounds the cycles (compute, a named level's bandwidth, DRAM
bandwidth, the network into a level), from the cost model's per-layer
bounds; and where the power goes.

The power at the required frame rate is the dynamic energy per frame
times the frame rate plus the leakage of the whole chip, which leaks
whether it computes or idles; with gate_unused in the architecture, only
the instances in use leak while they run (the static energy per frame
times the frame rate). A frame is one inference: --batch N counts N.

With --sweep, every point of the sweep file runs the --model at --batch
(the file's networks and batches are replaced; its mapper settings apply,
and the mapping flags are for --arch only)
and fit lists the designs that fit, cheapest first (lowest power at the
required frame rate, then smallest area), and the closest --misses misses
with what they miss by.`,
		Example: `  nnergy fit --model mobilenet --power 1W --fps 30 --arch eyeriss
  nnergy fit --model lenet5 --power 5mW --fps 10 --area 1mm2 --arch edge-npu
  nnergy fit --model mobilenet --power 1W --fps 30 --area 6.5mm2 --sweep examples/sweeps/phone.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.fit(cmd, &f)
		},
	}
	fl := c.Flags()
	fl.StringVar(&f.model, "model", "", "network: zoo name, workload YAML, ONNX or .nnw file (required)")
	f.mf.register(fl, 1)
	fl.StringVar(&f.power, "power", "", "power budget: a number and W, mW or uW, such as 1W or 500mW (required)")
	fl.StringVar(&f.fps, "fps", "", "required frame rate, frames (inferences) per second, such as 30 or 30fps (required)")
	fl.StringVar(&f.area, "area", "", "area budget: a number and mm2 or um2, such as 10mm2 (default: none)")
	fl.StringVar(&f.arch, "arch", "", "architecture: preset name or YAML file (give --arch or --sweep)")
	fl.StringVar(&f.sweep, "sweep", "", "sweep file whose design points to check (give --arch or --sweep)")
	fl.StringVar(&f.dataflow, "dataflow", "rs", "with --arch: ws, os, is, rs or nlr, or best (search the whole mapspace)")
	fl.BoolVar(&f.search, "search", false, "with --arch: search every unique layer's mapping within --dataflow (default: the dataflow's builder)")
	f.sf.register(fl)
	fl.IntVar(&f.misses, "misses", 5, "with --sweep: the closest misses to list in the table (JSON lists them all)")
	fl.StringVar(&f.format, "format", formatTable, "output format: table or json")
	return c
}

// mappingFlag returns the first mapping flag given (they apply to --arch
// only), or "".
func mappingFlag(cmd *cobra.Command) string {
	for _, name := range []string{"dataflow", "search", "objective", "algorithm", "max-evals", "victory", "timeout", "workers", "seed"} {
		if cmd.Flags().Changed(name) {
			return name
		}
	}
	return ""
}

// budget reads the budget flags.
func (f *fitFlags) budget() (fit.Budget, error) {
	var b fit.Budget
	var err error
	if f.power == "" || f.fps == "" {
		return b, usagef("fit: --power and --fps are required (such as --power 1W --fps 30)")
	}
	if b.PowerWatts, err = fit.ParsePower(f.power); err != nil {
		return b, usagef("fit: --power: %s", strings.TrimPrefix(err.Error(), "fit: "))
	}
	if b.FPS, err = fit.ParseRate(f.fps); err != nil {
		return b, usagef("fit: --fps: %s", strings.TrimPrefix(err.Error(), "fit: "))
	}
	if f.area != "" {
		if b.AreaUM2, err = fit.ParseArea(f.area); err != nil {
			return b, usagef("fit: --area: %s", strings.TrimPrefix(err.Error(), "fit: "))
		}
	}
	return b, nil
}

func (e *env) fit(cmd *cobra.Command, f *fitFlags) (err error) {
	if f.format != formatTable && f.format != formatJSON {
		return usagef("fit: unknown format %q (want table or json)", f.format)
	}
	if f.model == "" {
		return usagef("fit: --model is required (a zoo name, workload YAML, ONNX or .nnw file)")
	}
	b, err := f.budget()
	if err != nil {
		return err
	}
	switch {
	case (f.arch == "") == (f.sweep == ""):
		return usagef("fit: give --arch (one architecture) or --sweep (a sweep file's design points)")
	case f.sweep != "" && mappingFlag(cmd) != "":
		return usagef("fit: --%s applies to --arch; a sweep maps as its file says", mappingFlag(cmd))
	case f.misses < 0:
		return usagef("fit: --misses must not be negative, got %d", f.misses)
	}
	net, err := f.mf.load("fit", f.model)
	if err != nil {
		return err
	}
	var rep *report.Fit
	if f.arch != "" {
		rep, err = e.fitArch(cmd, f, b, net.Name, net)
	} else {
		rep, err = e.fitSweep(cmd, f, b, net)
	}
	if err != nil {
		return err
	}
	if f.format == formatJSON {
		return writeJSON(e.stdout, rep)
	}
	return writeFitTable(e.stdout, rep, f.misses)
}

func (e *env) fitArch(cmd *cobra.Command, f *fitFlags, b fit.Budget, name string, net *workload.Network) (rep *report.Fit, err error) {
	df, err := parseDataflowFlag(f.dataflow)
	if err != nil {
		return nil, err
	}
	set, err := f.sf.settings("fit", e.stderr)
	if err != nil {
		return nil, err
	}
	spec, err := arch.Load(f.arch)
	if err != nil {
		return nil, err
	}
	m, err := cost.New(spec)
	if err != nil {
		return nil, err
	}
	mp := explore.Mapper(nil)
	if f.search || df == nil {
		mp = explore.DataflowSearch(m, df, set, nil)
	} else {
		mp = explore.DataflowMapper(m, *df)
	}
	rec, err := e.begin(cmd, store.KindFit, runInputs{arch: archYAML(spec), workload: f.model, digest: workload.Digest(net.Layers)})
	if err != nil {
		return nil, err
	}
	defer func() { err = rec.end(cmd.Context(), err) }()
	res, err := explore.Evaluate(cmd.Context(), m, net, mp)
	clearProgress(set, e.stderr)
	var v fit.Verdict
	switch {
	case cmd.Context().Err() != nil:
		return nil, cmd.Context().Err()
	case err != nil:
		// A layer without a legal mapping: the design lacks capacity.
		v = fit.Cannot(spec, strings.TrimPrefix(err.Error(), "explore: "), b)
	default:
		v = fit.Check(spec, res, b)
	}
	rep = report.NewFit(f.model, name, max(net.Batch, 1), b, spec, &v)
	if err := report.CheckFinite(rep); err != nil {
		return nil, err
	}
	rec.setReport(rep)
	return rep, nil
}

func (e *env) fitSweep(cmd *cobra.Command, f *fitFlags, b fit.Budget, net *workload.Network) (rep *report.Fit, err error) {
	s, err := sweep.Load(f.sweep)
	if err != nil {
		return nil, err
	}
	s.Workloads = []sweep.Workload{{Model: f.model, Batch: max(net.Batch, 1), Network: net}}
	rec, err := e.begin(cmd, store.KindFit, runInputs{arch: archYAML(s.Arch), workload: f.model, digest: workload.Digest(net.Layers)})
	if err != nil {
		return nil, err
	}
	defer func() { err = rec.end(cmd.Context(), err) }()
	o := sweep.Options{}
	if rec != nil { // points and layer searches stored, as by nnergy sweep
		o.Store = rec.st.Sweep()
	}
	res, err := e.runSweep(cmd.Context(), s, o, f.sf.progress, "fit: sweep")
	if err != nil {
		return nil, err
	}
	fits, misses, err := fit.Sweep(res, 0, b)
	if err != nil {
		return nil, err
	}
	rep = report.NewFitSweep(f.model, res, 0, b, fits, misses)
	if err := report.CheckFinite(rep); err != nil {
		return nil, err
	}
	rec.setReport(rep)
	return rep, nil
}

// watts writes a power with a unit that suits it: W, mW or uW.
func watts(w float64) string {
	a := math.Abs(w)
	switch {
	case a >= 1:
		return strconv.FormatFloat(w, 'f', 3, 64) + " W"
	case a >= 1e-3:
		return strconv.FormatFloat(w*1e3, 'f', 3, 64) + " mW"
	}
	return strconv.FormatFloat(w*1e6, 'f', 3, 64) + " uW"
}

// joules writes an energy given in pJ with a unit that suits it.
func joules(pj float64) string {
	switch a := math.Abs(pj); {
	case a >= 1e9:
		return strconv.FormatFloat(pj/1e9, 'f', 3, 64) + " mJ"
	case a >= 1e6:
		return strconv.FormatFloat(pj/1e6, 'f', 3, 64) + " uJ"
	case a >= 1e3:
		return strconv.FormatFloat(pj/1e3, 'f', 3, 64) + " nJ"
	}
	return strconv.FormatFloat(pj, 'f', 3, 64) + " pJ"
}

func mm2(um2 float64) string { return strconv.FormatFloat(um2/1e6, 'g', 4, 64) + " mm2" }

func fps(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) + " fps" }

// margin writes a margin as a percentage of the limit, signed.
func margin(m float64) string { return strconv.FormatFloat(100*m, 'f', 1, 64) + "%" }

func budgetText(b report.FitBudget) string {
	t := watts(b.PowerWatts) + " at " + fps(b.FPS)
	if b.AreaUM2 > 0 {
		t += ", " + mm2(b.AreaUM2)
	}
	return t
}

func writeFitTable(w io.Writer, rep *report.Fit, misses int) error {
	if d := rep.Design; d != nil {
		fmt.Fprintf(w, "fit: %s, %s on %s (%s); budget %s\n", rep.Network, batchText(rep.Batch, false), d.Arch, d.ArchSource, budgetText(rep.Budget))
		if d.GateUnused {
			fmt.Fprintln(w, "power at the frame rate = dynamic energy per frame × fps + static energy per frame × fps (gate_unused: only the instances in use leak, while they run)")
		} else {
			fmt.Fprintln(w, "power at the frame rate = dynamic energy per frame × fps + leakage of the whole chip")
		}
		return writeFitDesign(w, rep, d)
	}
	s := rep.Sweep
	fmt.Fprintf(w, "fit: %s, %s on sweep %s (%s, %s", rep.Network, batchText(rep.Batch, false), s.Name, s.File, plural(s.TotalPoints, "point"))
	if s.Invalid > 0 {
		fmt.Fprintf(w, ", %d invalid", s.Invalid)
	}
	fmt.Fprintf(w, "); budget %s\n", budgetText(rep.Budget))
	fmt.Fprintf(w, "power at the frame rate = %s\n", rep.PowerRule)
	fmt.Fprintf(w, "\ndesigns that fit: %d, cheapest first (%s):\n", len(s.Fits), s.Order)
	if err := writeFitList(w, rep, s.Fits, false); err != nil {
		return err
	}
	n := min(misses, len(s.Misses))
	switch {
	case len(s.Misses) == 0:
		fmt.Fprintln(w, "\ndesigns that miss: none")
		return nil
	case n == 0:
		fmt.Fprintf(w, "\ndesigns that miss: %d (--misses lists the closest)\n", len(s.Misses))
		return nil
	}
	fmt.Fprintf(w, "\ndesigns that miss: %d; the closest %d (%s):\n", len(s.Misses), n, s.MissOrder)
	return writeFitList(w, rep, s.Misses[:n], true)
}

// writeFitList writes a sweep's verdicts as a table.
func writeFitList(w io.Writer, rep *report.Fit, ds []report.FitDesign, miss bool) error {
	if len(ds) == 0 {
		fmt.Fprintln(w, "(none)")
		return nil
	}
	t := textTable{left: map[int]bool{0: true, 1: true}}
	t.header = []string{"id", "parameters", "power", "max fps", "area mm2", "power margin", "fps margin", "area margin", "throughput bound", "limiter"}
	last := len(t.header) - 1
	t.left[last], t.left[last-1] = true, true
	for _, d := range ds {
		row := []string{d.Point, d.Label}
		if d.Limiter == "capacity" {
			row = append(row, "-", "-", g4(d.AreaUM2/1e6), "-", "-", areaMarginText(rep, &d), "-", "capacity: "+d.Reason)
			t.rows = append(t.rows, row)
			continue
		}
		lim := d.Limiter
		if miss {
			lim = "misses " + missText(rep, &d)
		}
		row = append(row, watts(d.PowerWatts), g4(d.MaxFPS), g4(d.AreaUM2/1e6), margin(d.PowerMargin), margin(d.ThroughputMargin),
			areaMarginText(rep, &d), boundText(&d), lim)
		t.rows = append(t.rows, row)
	}
	return t.write(w)
}

func areaMarginText(rep *report.Fit, d *report.FitDesign) string {
	if rep.Budget.AreaUM2 == 0 {
		return "-"
	}
	return margin(d.AreaMargin)
}

// missText lists the axes a design misses and by how much.
func missText(rep *report.Fit, d *report.FitDesign) string {
	var out []string
	if d.PowerMargin < 0 {
		out = append(out, fmt.Sprintf("power by %s", watts(d.PowerWatts-rep.Budget.PowerWatts)))
	}
	if d.ThroughputMargin < 0 {
		out = append(out, fmt.Sprintf("throughput by %s", fps(rep.Budget.FPS-d.MaxFPS)))
	}
	if rep.Budget.AreaUM2 > 0 && d.AreaMargin < 0 {
		out = append(out, fmt.Sprintf("area by %s", mm2(d.AreaUM2-rep.Budget.AreaUM2)))
	}
	return strings.Join(out, ", ")
}

// boundText names what bounds most of the cycles.
func boundText(d *report.FitDesign) string {
	if len(d.Bounds) == 0 {
		return "-"
	}
	return fitBoundName(d.Bounds[0]) + " " + strconv.FormatFloat(100*d.Bounds[0].Share, 'f', 0, 64) + "%"
}

func fitBoundName(b report.FitBound) string {
	switch b.Bound {
	case report.BoundLevel:
		if b.Outermost && !strings.EqualFold(b.Level, "DRAM") {
			return b.Level + " (off-chip) bandwidth"
		}
		return b.Level + " bandwidth"
	case report.BoundNetwork:
		return "network into " + b.Level
	}
	return "compute"
}

func writeFitDesign(w io.Writer, rep *report.Fit, d *report.FitDesign) error {
	verdict := "fits"
	if !d.Fits {
		verdict = "does not fit"
	}
	if d.Limiter == "capacity" {
		fmt.Fprintf(w, "verdict: %s: capacity: %s\n", verdict, d.Reason)
		fmt.Fprintf(w, "area %s, leakage %s\n", mm2(d.AreaUM2), watts(d.LeakageWatts))
		return nil
	}
	what := "least margin"
	if !d.Fits {
		what = "limited by"
	}
	fmt.Fprintf(w, "verdict: %s; %s %s", verdict, what, d.Limiter)
	if d.Limiter == "throughput" && len(d.Bounds) > 0 {
		fmt.Fprintf(w, " (%s)", boundText(d))
	}
	fmt.Fprintln(w)
	t := textTable{left: map[int]bool{0: true}}
	t.header = []string{"axis", "need", "have", "margin"}
	t.rows = append(t.rows, []string{"power", watts(d.PowerWatts), watts(rep.Budget.PowerWatts), margin(d.PowerMargin)})
	t.rows = append(t.rows, []string{"throughput", fps(rep.Budget.FPS), fps(d.MaxFPS), margin(d.ThroughputMargin)})
	if rep.Budget.AreaUM2 > 0 {
		t.rows = append(t.rows, []string{"area", mm2(d.AreaUM2), mm2(rep.Budget.AreaUM2), margin(d.AreaMargin)})
	} else {
		t.rows = append(t.rows, []string{"area", mm2(d.AreaUM2), "no budget", "-"})
	}
	fmt.Fprintln(w)
	if err := t.write(w); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nenergy per frame %s = %s dynamic + %s static; latency %.4g ms per run of %d\n",
		joules(d.EnergyPerFramePJ), joules(d.DynamicPerFramePJ), joules(d.StaticPerFramePJ), d.LatencySeconds*1e3, rep.Batch)
	leak := "leakage of the whole chip"
	if d.GateUnused {
		leak = "leakage of the instances in use (gate_unused)"
	}
	fmt.Fprintf(w, "power at %s: %s = %s dynamic + %s %s\n", fps(rep.Budget.FPS), watts(d.PowerWatts), watts(d.DynamicWatts), watts(d.LeakageAtFPSWatts), leak)
	var parts []string
	for _, p := range d.PowerParts {
		parts = append(parts, p.Name+" "+watts(p.Watts))
	}
	fmt.Fprintf(w, "  by part: %s\n", strings.Join(parts, ", "))
	var bs []string
	for _, b := range d.Bounds {
		bs = append(bs, fmt.Sprintf("%s %.0f%% (%s)", fitBoundName(b), 100*b.Share, plural(b.Layers, "layer")))
	}
	fmt.Fprintf(w, "cycles bound by: %s\n", strings.Join(bs, ", "))
	return nil
}
