package cli

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/dataflow"
	"github.com/nnergy/nnergy/internal/outfile"
	"github.com/nnergy/nnergy/measure"
	"github.com/nnergy/nnergy/netadapt"
	"github.com/nnergy/nnergy/netadaptv2"
	"github.com/nnergy/nnergy/nn"
	"github.com/nnergy/nnergy/page"
	"github.com/nnergy/nnergy/report"
	"github.com/nnergy/nnergy/store"
)

type adaptFlags struct {
	model, data, dataDir, arch, dataflow, budget, measure, selection string
	checkpoint, resume, finetuneCmd, out, plot, report, method       string
	history                                                          []string
	initReduction, decay, lr, longLR                                 float64
	shortSteps, longEpochs, batch, holdout, evalImages, workers      int
	densityImages, maxIterations, cpuSamples                         int
	maxEvals                                                         int64
	search                                                           bool
	seed                                                             uint64
	v2                                                               adaptV2Flags
}

func (e *env) adaptCmd() *cobra.Command {
	var f adaptFlags
	c := &cobra.Command{
		Use:   "adapt",
		Short: "Adapt a network to an energy, latency or MAC budget with NetAdapt or NetAdaptV2",
		Long: `Adapt a trained network to a resource budget with NetAdapt (Yang et al.,
ECCV 2018), measuring every candidate with --measure:

  model  the hardware model of --arch (energy in pJ, latency in s, EDP);
         layers mapped by the dataflow builder, or by the mapper (--search)
  cpu    latency on this CPU from per-layer lookup tables (NetAdapt's
         method), timed in interleaved rounds; the result is re-measured
         against the start by whole passes at the end
  macs   MACs and parameter counts

--budget is METRIC=VALUE: a bare VALUE in (0, 1) is a fraction of the
starting resource (energy=0.5); otherwise it is absolute, with a unit for
energy (pJ, nJ, uJ, mJ, J) and latency (ns, us, ms, s): energy=12uJ,
latency=2ms; macs and params take counts (macs=1.5M). Energy and latency
are per image (batch 1).

Iteration i removes the fewest filters of each prunable layer (keeping the
largest L2 norms) that bring the resource to current - r*decay^(i-1), with
r = --init-reduction of the starting resource; the proposals are fine-tuned
for --short-steps mini-batches and scored on --holdout training images held
out from fine-tuning; the best (--select accuracy: highest accuracy; ratio:
least accuracy lost per resource saved) is kept. At the budget the model is
fine-tuned for --finetune-epochs and scored on the test set (--eval-images).

--finetune-cmd CMD fine-tunes with your own code instead: each model is
written as ONNX to a temporary file whose path is CMD's last argument (or
replaces {model}); CMD writes the fine-tuned ONNX back to that path (or to
the path that replaces {out}) and prints the held-out accuracy (0..1, or a
percentage like 97.5%) as its last line of output. The environment has
NNERGY_PHASE (score: the starting model, only print its accuracy; short: a
proposal; long: the final fine-tune, run when --finetune-epochs > 0),
NNERGY_ITERATION, NNERGY_LAYER and NNERGY_SEED.

--checkpoint DIR saves the model and history after every iteration;
--resume DIR continues such a run (give the same --model and options).

` + adaptV2Help,
		Example: `  nnergy adapt --model lenet.onnx --data mnist --arch eyeriss --budget energy=0.5 --out adapted.onnx --history h.json --history h.csv --plot pareto.svg
  nnergy adapt --model lenet.onnx --data mnist --measure cpu --budget latency=0.5 --select ratio
  nnergy adapt --model model.onnx --data mnist --budget energy=12uJ --finetune-cmd 'python finetune.py'
  nnergy adapt --model lenet.onnx --data fashion-mnist --measure macs --budget macs=0.5 --method netadapt,netadaptv2 --plot both.svg`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return e.adapt(c, &f) },
	}
	d := netadapt.DefaultSetup()
	fl := c.Flags()
	fl.StringVar(&f.model, "model", "lenet5", "trained model: .nnw or .onnx file, or a zoo network (untrained)")
	registerData(fl, &f.data, &f.dataDir, "mnist", "")
	fl.StringVar(&f.budget, "budget", d.Budget.String(), "METRIC=VALUE: a fraction of the start (energy=0.5) or absolute (energy=12uJ, latency=2ms, macs=1M)")
	fl.StringVar(&f.measure, "measure", d.Measure.String(), "model (hardware model of --arch), cpu (latency tables on this CPU) or macs")
	fl.StringVar(&f.arch, "arch", "eyeriss", "with --measure model: architecture preset or YAML file")
	fl.StringVar(&f.dataflow, "dataflow", d.Dataflow.String(), "with --measure model: dataflow of the mapping builder (ws, os, is, rs, nlr)")
	fl.BoolVar(&f.search, "search", false, "with --measure model: map each unique layer shape with the mapper (--max-evals) instead of the builder")
	fl.Int64Var(&f.maxEvals, "max-evals", d.MaxEvals, "with --search: cost-model evaluations per unique layer shape at most, every iteration (fewer than eval's: every iteration maps the network again)")
	fl.IntVar(&f.densityImages, "density-images", 0, "with --measure model: model activation sparsity measured on N training images (0: dense, as nnergy eval)")
	fl.IntVar(&f.cpuSamples, "cpu-samples", d.CPUSamples, "with --measure cpu: input channel counts timed per layer (output counts: every one, up to 256)")
	fl.Float64Var(&f.initReduction, "init-reduction", d.InitReduction, "first iteration's reduction, fraction of the starting resource")
	fl.Float64Var(&f.decay, "decay", d.Decay, "per-iteration decay of the reduction")
	fl.StringVar(&f.selection, "select", d.Select.String(), "accuracy (highest) or ratio (least accuracy lost per resource saved)")
	fl.IntVar(&f.shortSteps, "short-steps", d.ShortSteps, "mini-batches of each proposal's short-term fine-tune")
	fl.IntVar(&f.longEpochs, "finetune-epochs", d.LongEpochs, "epochs of the long-term fine-tune at the end (0: none)")
	deprecatedAlias(fl, "long-epochs", "finetune-epochs")
	registerTrainBatch(fl, &f.batch, d.Batch)
	fl.Float64Var(&f.lr, "short-lr", d.LR, "learning rate of each proposal's short-term fine-tune (Adam, constant)")
	deprecatedAlias(fl, "lr", "short-lr")
	fl.Float64Var(&f.longLR, "finetune-lr", d.LongLR, "learning rate of the long-term fine-tune at the end (Adam, cosine)")
	deprecatedAlias(fl, "long-lr", "finetune-lr")
	fl.IntVar(&f.holdout, "holdout", d.Holdout, "training images held out to score proposals (not fine-tuned on)")
	fl.IntVar(&f.evalImages, "eval-images", 0, "score the start and the result on the first N test images (0: all)")
	fl.IntVar(&f.maxIterations, "max-iterations", d.MaxIterations, "stop after N iterations")
	fl.IntVar(&f.workers, "workers", 0, "proposals handled in parallel, one core each (0: one per CPU); the result does not depend on it")
	fl.Uint64Var(&f.seed, "seed", d.Seed, "seed for zoo weights and fine-tuning")
	fl.StringVar(&f.checkpoint, "checkpoint", "", "save the model and history to DIR after every iteration")
	fl.StringVar(&f.resume, "resume", "", "continue the run checkpointed in DIR")
	fl.StringVar(&f.finetuneCmd, "finetune-cmd", "", "fine-tune and score with this shell command instead (see above)")
	fl.StringVar(&f.out, "out", "", "write the adapted model (.onnx or .nnw)")
	fl.StringSliceVar(&f.history, "history", nil, "write the run to FILE.json (everything) or FILE.csv (every proposal); repeatable")
	fl.StringVar(&f.plot, "plot", "", "write accuracy against resource of every proposal as SVG or PNG (by the extension)")
	registerReportFlag(fl, &f.report)
	fl.StringVar(&f.method, "method", "netadapt", "netadapt, netadaptv2, or both comma-separated to compare them (see above)")
	registerAdaptV2Flags(fl, &f.v2)
	return c
}

// checkCheckpointDir checks, before the run, that --checkpoint of the
// command cmd (adapt, train) names a directory nnergy can write, or one it
// can create.
func checkCheckpointDir(cmd, dir string) error {
	if dir == "" {
		return nil
	}
	st, err := os.Stat(dir)
	switch {
	case err == nil && !st.IsDir():
		return fmt.Errorf("%s: --checkpoint %s: not a directory", cmd, dir)
	case err == nil:
	case errors.Is(err, os.ErrNotExist):
		dir = filepath.Dir(dir)
	default:
		return fmt.Errorf("%s: --checkpoint: %w", cmd, err)
	}
	if err := outfile.CheckDir("--checkpoint", dir); err != nil {
		return errors.New(cmd + ": " + strings.TrimPrefix(err.Error(), "outfile: "))
	}
	return nil
}

// flagName is the flag of an option as the HTTP API names it.
func flagName(option string) string { return "--" + strings.ReplaceAll(option, "_", "-") }

func (e *env) adapt(c *cobra.Command, f *adaptFlags) (err error) {
	budget, err := netadapt.ParseBudget(f.budget)
	if err != nil {
		return usagef("--budget: %v", err)
	}
	sel, err := netadapt.ParseSelection(f.selection)
	if err != nil {
		return usageError{err}
	}
	kind, err := measure.ParseKind(f.measure)
	if err != nil {
		return usageError{err}
	}
	df, err := dataflow.ParseDataflow(f.dataflow)
	if err != nil {
		return usageError{err}
	}
	methods, err := adaptMethods(f)
	if err != nil {
		return err
	}
	// With several methods, each writes its own file (methodPath).
	for _, method := range methods {
		for _, h := range f.history {
			if err := e.checkOut("adapt", "--history", methodPath(h, method, len(methods), false), historyExts...); err != nil {
				return err
			}
		}
		if err := e.checkOut("adapt", "--out", methodPath(f.out, method, len(methods), false), modelExts...); err != nil {
			return err
		}
	}
	if err := checkCheckpointDir("adapt", f.checkpoint); err != nil {
		return err
	}
	if err := e.checkOut("adapt", "--plot", f.plot, plotExts...); err != nil {
		return err
	}
	if err := e.checkOut("adapt", "--report", f.report, reportExts...); err != nil {
		return err
	}
	if f.resume != "" {
		if _, err := os.Stat(f.resume); err != nil {
			return usagef("adapt: --resume: %v", err)
		}
	}
	s := netadapt.Setup{Budget: budget, Select: sel, Measure: kind, Dataflow: df, Search: f.search, MaxEvals: f.maxEvals,
		DensityImages: f.densityImages, CPUSamples: f.cpuSamples, InitReduction: f.initReduction, Decay: f.decay,
		ShortSteps: f.shortSteps, LongEpochs: f.longEpochs, Batch: f.batch, LR: f.lr, LongLR: f.longLR, Holdout: f.holdout,
		EvalImages: f.evalImages, MaxIterations: f.maxIterations, Workers: f.workers, Seed: f.seed,
		Checkpoint: f.checkpoint, Resume: f.resume}
	// The options alone first, so that a bad one is told before the data
	// loads; then the holdout against the data.
	if err := s.Check(flagName); err != nil {
		return usagef("adapt: %v", err)
	}
	if s.Train, s.Test, err = loadNNData(f.data, f.dataDir); err != nil {
		return err
	}
	if err := s.Check(flagName); err != nil {
		return usagef("adapt: %v", err)
	}
	var name string
	if s.Model, name, err = loadNNModel(f.model, f.seed); err != nil {
		return err
	}
	archName := ""
	if kind == measure.ModelKind {
		if s.Arch, err = arch.Load(f.arch); err != nil {
			return err
		}
		archName = s.Arch.Name
	}
	if f.finetuneCmd != "" {
		s.Tuner = &netadapt.Command{Cmd: f.finetuneCmd}
	}
	tw := &adaptTable{w: e.stdout, metric: budget.Metric}
	s.OnIteration = tw.row
	var archText string
	if s.Arch != nil {
		archText = archYAML(s.Arch)
	}
	digest, err := nn.Digest(s.Model)
	if err != nil {
		return err
	}
	rec, err := e.begin(c, store.KindAdapt, runInputs{arch: archText, workload: name, digest: digest})
	if err != nil {
		return err
	}
	defer func() {
		err = rec.end(c.Context(), err)
		if ckpt := s.Checkpoint; err != nil && c.Context().Err() != nil && ckpt != "" {
			if _, serr := os.Stat(ckpt); serr == nil {
				fmt.Fprintf(e.stderr, "nnergy adapt: interrupted; %s holds the last finished iteration: the same command with --resume %s continues it\n", ckpt, ckpt)
			}
		}
	}()
	var outs []adaptOutcome
	n := len(methods)
	var first *netadapt.Prepared
	for i, method := range methods {
		s.Checkpoint = methodPath(f.checkpoint, method, n, true)
		var p *netadapt.Prepared
		if first != nil && kind == measure.CPUKind {
			// One set of latency tables for every method: timed apart,
			// the same start came to 79 µs by one method's tables and 53 µs
			// by the other's on a loaded machine.
			p = first.WithCheckpoint(s.Checkpoint)
		} else if p, err = s.Prepare(); err != nil {
			return err
		}
		if first == nil {
			first = p
		}
		if f.resume != "" {
			// Another model, budget, architecture or method would mix
			// into the checkpoint's run silently.
			if err := p.CheckResume(c.Context(), method.String()); err != nil {
				return usageError{err}
			}
		}
		what := fmt.Sprintf("%s on %s", budget.Metric, p.Measurer)
		if kind == measure.CountKind {
			what = budget.Metric.String()
		}
		if i == 0 {
			fmt.Fprintf(e.stdout, "adapting %s on %s: budget %s, %s, select %s, %d proposals at once\n",
				name, f.data, budget, what, sel, p.Workers)
			layers, err := printPrunable(e.stdout, s.Model, true)
			if err != nil {
				return err
			}
			for _, l := range layers {
				tw.layerW = max(tw.layerW, len(l))
			}
		}
		if n > 1 {
			fmt.Fprintf(e.stdout, "\n== %s\n", method)
			tw.head = false
		}
		if method == netadaptv2.NetAdaptV2 {
			tw.layerW = max(tw.layerW, 40)
		}
		if f.resume != "" {
			fmt.Fprintf(e.stdout, "resuming from %s\n", f.resume)
		}
		start := time.Now()
		o, err := p.RunSearch(c.Context(), e.adaptSearch(method, f))
		if err != nil {
			return err
		}
		res := o.Result
		u := budget.Metric
		fmt.Fprintf(e.stdout, "\n%d iterations, %d proposals in %s; %s\n", len(res.Iterations), len(res.Proposals),
			time.Since(start).Round(time.Second), res.Stop)
		status := "met"
		if !res.Met {
			status = "NOT met"
		}
		fmt.Fprintf(e.stdout, "budget %s (%s) %s: %s -> %s (%.1f%%)\n", budget, netadapt.FormatValue(u, res.Budget), status,
			netadapt.FormatValue(u, res.Initial), netadapt.FormatValue(u, res.Resource), 100*res.Resource/res.Initial)
		fmt.Fprintf(e.stdout, "held-out accuracy %s -> %s", pctAcc(res.InitialAccuracy), pctAcc(res.Accuracy))
		if f.longEpochs > 0 {
			fmt.Fprintf(e.stdout, " (after the long-term fine-tune, %d epoch%s)", f.longEpochs, map[bool]string{true: "s"}[f.longEpochs != 1])
		}
		fmt.Fprintln(e.stdout)
		out := adaptOutcome{method: method, res: res, test: math.NaN()}
		if o.Tested {
			out.test = o.After.Accuracy
			fmt.Fprintf(e.stdout, "test accuracy %s -> %s on %d images\n", pctAcc(o.Before.Accuracy), pctAcc(o.After.Accuracy), o.After.N)
		}
		if kind == measure.CPUKind && budget.Metric == measure.Latency {
			if err := e.adaptRemeasure(s.Model, res, budget); err != nil {
				return err
			}
		}
		out.wall, out.cpu = o.Wall, o.CPU
		fmt.Fprintf(e.stdout, "%s took %s wall, %s CPU\n", method, out.wall.Round(time.Millisecond), out.cpu.Round(time.Millisecond))
		outs = append(outs, out)
		if path := methodPath(f.out, method, n, false); path != "" {
			if err := saveNNModel(path, res.Model); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "saved %s\n", path)
		}
		h, err := report.NewAdapt(report.AdaptInfo{Model: name, Data: f.data, Measurer: kind.String(), Arch: archName,
			Method: method.String(), WallSeconds: out.wall.Seconds(), CPUSeconds: out.cpu.Seconds()}, res)
		if err != nil {
			return err
		}
		rec.setReport(h)
		for _, path := range f.history {
			if err := writeAdaptHistory(methodPath(path, method, n, false), h); err != nil {
				return err
			}
		}
		if err := writeReportPage("adapt", f.report, func(w io.Writer) error { return page.Adapt(w, h) }); err != nil {
			return err
		}
		if f.plot != "" && n == 1 {
			title := fmt.Sprintf("%s: %s to %s, %s", filepath.Base(name), map[netadaptv2.Method]string{netadaptv2.NetAdapt: "NetAdapt",
				netadaptv2.NetAdaptV2: "NetAdaptV2"}[method], budget, what)
			if err := writePlot(f.plot, page.AdaptChart(title, res)); err != nil {
				return err
			}
		}
	}
	if len(outs) > 1 {
		what := budget.Metric.String()
		printAdaptComparison(e.stdout, what, outs)
		if f.plot != "" {
			title := fmt.Sprintf("%s: NetAdapt and NetAdaptV2 to %s", filepath.Base(name), budget)
			if err := writePlot(f.plot, page.AdaptCompareChart(title, adaptCompareRuns(outs))); err != nil {
				return err
			}
		}
	}
	return nil
}

// adaptRemeasure checks a CPU-latency result the way a user would, outside
// the lookup tables: whole inference passes of the start and the adapted
// model (1 worker, batch 1, as the tables), interleaved so that other load
// falls on both alike.
func (e *env) adaptRemeasure(start *nn.Model, res *netadapt.Result, budget netadapt.Budget) error {
	const runs = 300
	d, err := nn.CompareLatency([]*nn.Model{start, res.Model}, nn.LatencyConfig{Batch: 1, Workers: 1, Runs: runs})
	if err != nil {
		return err
	}
	ratio := float64(d[1]) / float64(d[0])
	met := d[1].Seconds() <= budget.Absolute
	if budget.Fraction > 0 {
		met = ratio <= budget.Fraction
	}
	status := "met"
	if !met {
		status = "NOT met"
	}
	fmt.Fprintf(e.stdout, "re-measured (whole passes, interleaved, 1 worker, median of %d): %s -> %s (%.1f%%), budget %s %s\n",
		runs, latencyMicro(d[0]), latencyMicro(d[1]), 100*ratio, budget, status)
	return nil
}

// adaptTable prints the iterations as they come.
type adaptTable struct {
	w      io.Writer
	metric measure.Metric
	head   bool
	layerW int // the longest layer name (the column is at least 12 wide)
}

func (t *adaptTable) header() {
	fmt.Fprintf(t.w, "\n%4s  %-*s  %7s  %7s  %12s  %12s  %7s  %8s  %9s\n", "iter", max(12, t.layerW), "layer", "removed", "filters",
		"target", t.metric.String(), "ratio", "accuracy", "proposals")
	t.head = true
}

func (t *adaptTable) row(it netadapt.Iteration, _ []netadapt.Proposal) {
	if !t.head {
		t.header()
	}
	fmt.Fprintf(t.w, "%4d  %-*s  %7d  %7d  %12s  %12s  %6.1f%%  %8s  %9d\n", it.Iteration, max(12, t.layerW), it.Layer, it.Removed, it.Filters,
		netadapt.FormatValue(t.metric, it.Target), netadapt.FormatValue(t.metric, it.Resource), 100*it.Ratio, pctAcc(it.Accuracy), it.Proposals)
}

// adaptCSVHeader returns the columns of adapt --history FILE.csv for a
// resource of unit (report.Adapt.ResourceUnit).
func adaptCSVHeader(unit string) []string {
	col := map[string]string{"pj": "energy_pj", "seconds": "latency_s", "pj_seconds": "edp_pj_s", "macs": "macs", "params": "params"}[unit]
	return []string{"iteration", "layer", "removed", "filters", col, "ratio", "accuracy", "chosen"}
}

// writeAdaptHistory writes h to path: the report as JSON, or one CSV row
// per proposal.
func writeAdaptHistory(path string, h *report.Adapt) error {
	return outfile.Write(path, func(fh io.Writer) error {
		if strings.HasSuffix(path, ".json") {
			return writeJSON(fh, h)
		}
		cw := csv.NewWriter(fh)
		cw.Write(adaptCSVHeader(h.ResourceUnit))
		for _, p := range h.Proposals {
			cw.Write([]string{strconv.Itoa(p.Iteration), p.Layer, strconv.Itoa(p.RemovedFilters), strconv.Itoa(p.KeptFilters),
				strconv.FormatFloat(p.Resource, 'g', 10, 64), fmtF(p.ResourceRatio, 5), fmtF(p.Accuracy, 5), strconv.FormatBool(p.Chosen)})
		}
		cw.Flush()
		return cw.Error()
	})
}
