package cli

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/dataflow"
	"github.com/nnergy/nnergy/internal/outfile"
	"github.com/nnergy/nnergy/measure"
	"github.com/nnergy/nnergy/nn"
	nnonnx "github.com/nnergy/nnergy/nn/onnx"
	"github.com/nnergy/nnergy/page"
	"github.com/nnergy/nnergy/prune"
	"github.com/nnergy/nnergy/report"
	"github.com/nnergy/nnergy/store"
)

type pruneFlags struct {
	model, data, dataDir, method, target, arch, dataflow, granularity string
	out, plot, report, checkpoint, resume                             string
	history, also                                                     []string
	increment, tolerance, lr                                          float64
	finetune, batch, calib, densityImages, evalImages, limit, workers int
	maxEvals                                                          int64
	perLayer, search                                                  bool
	seed                                                              uint64
}

func (e *env) pruneCmd() *cobra.Command {
	var f pruneFlags
	c := &cobra.Command{
		Use:   "prune",
		Short: "Prune a network to a sparsity or modelled-energy target",
		Long: `Prune a trained network by magnitude or energy-aware (Yang, Chen and Sze,
CVPR 2017), scoring every step by its modelled energy on --arch: the
model's weight sparsity and its activation densities (measured on
--density-images training images) flow into the sparse energy model.

  magnitude     weights: the smallest weights of the whole network masked
                (--per-layer: the same fraction of every layer), --increment
                more sparsity per step; filters: the --increment fraction of
                each layer's filters with the smallest L2 norms removed
  energy-aware  each step prunes the layer with the most modelled energy
                (weights: --increment of what is left; filters: of its
                filters) and restores the kept weights of the layer (weights)
                or of the layers that read it (filters) by least squares on
                --restore-images images; a layer whose output error stays above
                --tolerance is left alone, and the tolerance doubles when
                every layer is

Pruning stops at the target (energy=F: F of the original energy; sparsity=F:
F of the weights zero or removed), then fine-tunes for --finetune-epochs.
Several targets of one kind (--target energy=0.75,0.5,0.25) prune once to
the last and keep the model at each earlier one: every kept model is
fine-tuned and scored, and a table compares them (write them all with
--out 'pruned-{target}.onnx').
Every step (sparsity, energy, accuracy) is printed, and written with
--history (.json or .csv, repeatable) and --plot (.svg or .png).`,
		Example: `  nnergy prune --model lenet.nnw --data mnist --method energy-aware --target energy=0.5 --arch eyeriss --granularity filter --out pruned.nnw
  nnergy prune --model lenet.nnw --data mnist --method magnitude --target sparsity=0.8 --arch eyeriss-v2 --history h.json --plot h.svg`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return e.prune(c, &f) },
	}
	d := prune.DefaultSetup()
	fl := c.Flags()
	fl.StringVar(&f.model, "model", "lenet5", "trained model: .nnw or .onnx file, or a zoo network (untrained)")
	registerData(fl, &f.data, &f.dataDir, "mnist", "")
	fl.StringVar(&f.method, "method", d.Methods[0].String(), "magnitude or energy-aware; both (magnitude,energy-aware) to compare them from the same start")
	fl.StringVar(&f.target, "target", d.Target.String(), "energy=F (of the original modelled energy) or sparsity=F; several: energy=0.75,0.5,0.25")
	fl.StringVar(&f.granularity, "granularity", d.Granularity.String(), "weight (masks) or filter (filters removed)")
	fl.StringVar(&f.arch, "arch", "eyeriss", "architecture of the energy model: preset name or YAML file")
	fl.StringVar(&f.dataflow, "dataflow", d.Dataflow.String(), "dataflow of the mapping builder: ws, os, is, rs or nlr")
	fl.BoolVar(&f.search, "search", false, "map each unique layer with the mapper (--max-evals) instead of the builder")
	fl.Int64Var(&f.maxEvals, "max-evals", d.MaxEvals, "with --search: cost-model evaluations per unique layer shape at most, every step (fewer than eval's: every step maps the network again)")
	fl.StringSliceVar(&f.also, "also-arch", nil, "also report the final model's energy on these architectures")
	fl.Float64Var(&f.increment, "increment", d.Increment, "sparsity per magnitude step, or fraction of a layer pruned per energy-aware or filter step")
	fl.BoolVar(&f.perLayer, "per-layer", false, "magnitude weights: the same sparsity in every layer instead of a global threshold")
	fl.Float64Var(&f.tolerance, "tolerance", d.Tolerance, "energy-aware: initial relative output error a restored layer may keep")
	registerRestoreImages(fl, &f.calib, d.Calibration, "")
	fl.IntVar(&f.densityImages, "density-images", d.DensityImages, "training images on which activation densities are measured (0: activations dense)")
	fl.IntVar(&f.evalImages, "eval-images", 0, "score accuracy on the first N test images (0: all)")
	fl.IntVar(&f.finetune, "finetune-epochs", d.FinetuneEpochs, "epochs of the fine-tune at the end (0: none)")
	registerTrainImages(fl, &f.limit, "fine-tune on")
	fl.Float64Var(&f.lr, "finetune-lr", d.LR, "learning rate of the fine-tune at the end (Adam, cosine)")
	deprecatedAlias(fl, "lr", "finetune-lr")
	registerTrainBatch(fl, &f.batch, d.Batch)
	fl.Uint64Var(&f.seed, "seed", d.Seed, "seed for zoo weights and fine-tuning")
	fl.IntVar(&f.workers, "workers", 0, "worker goroutines (0: one per CPU)")
	fl.StringVar(&f.out, "out", "", "write the pruned model (.nnw, or .onnx); with several targets, {target} in the name writes each")
	fl.StringVar(&f.checkpoint, "checkpoint", "", "save the run to DIR after every pruning step (with several methods, DIR/METHOD)")
	fl.StringVar(&f.resume, "resume", "", "continue the run checkpointed in DIR (with the same --model and options)")
	fl.StringSliceVar(&f.history, "history", nil, "write the steps to FILE.json or FILE.csv (repeatable)")
	fl.StringVar(&f.plot, "plot", "", "write accuracy against modelled energy of every step as SVG or PNG (by the extension)")
	registerReportFlag(fl, &f.report)
	return c
}

func (e *env) prune(c *cobra.Command, f *pruneFlags) (err error) {
	var methods []prune.Method
	for _, name := range strings.Split(f.method, ",") {
		method, err := prune.ParseMethod(strings.TrimSpace(name))
		if err != nil {
			return usageError{err}
		}
		if !slices.Contains(methods, method) {
			methods = append(methods, method)
		}
	}
	gran, err := prune.ParseGranularity(f.granularity)
	if err != nil {
		return usageError{err}
	}
	target, milestones, err := prune.ParseTargets(f.target)
	if err != nil {
		return usagef("--target: %v", err)
	}
	if err := e.checkOut("prune", "--out", f.out, modelExts...); err != nil {
		return err
	}
	if f.out != "" && len(methods) > 1 && !strings.Contains(f.out, "{method}") {
		return usagef("prune: --out %q: with several methods the name needs {method}", f.out)
	}
	df, err := dataflow.ParseDataflow(f.dataflow)
	if err != nil {
		return usageError{err}
	}
	s := prune.Setup{Methods: methods, Granularity: gran, Target: target, Milestones: milestones, PerLayer: f.perLayer,
		Increment: f.increment, Tolerance: f.tolerance, Dataflow: df, Search: f.search, MaxEvals: f.maxEvals,
		Calibration: f.calib, DensityImages: f.densityImages, EvalImages: f.evalImages, FinetuneEpochs: f.finetune,
		Limit: f.limit, Batch: f.batch, LR: f.lr, Workers: f.workers, Seed: f.seed}
	if err := s.Check(flagName); err != nil {
		return usagef("prune: %v", err)
	}
	if err := checkCheckpointDir("prune", f.checkpoint); err != nil {
		return err
	}
	if f.resume != "" {
		if _, err := os.Stat(f.resume); err != nil {
			return usagef("prune: --resume: %v", err)
		}
	}
	s.Checkpoint, s.Resume = f.checkpoint, f.resume
	for _, h := range f.history {
		if err := e.checkOut("prune", "--history", h, historyExts...); err != nil {
			return err
		}
	}
	if err := e.checkOut("prune", "--plot", f.plot, plotExts...); err != nil {
		return err
	}
	if err := e.checkOut("prune", "--report", f.report, reportExts...); err != nil {
		return err
	}

	if s.Train, s.Test, err = loadNNData(f.data, f.dataDir); err != nil {
		return err
	}
	var name string
	if strings.HasSuffix(f.model, ".onnx") {
		s.Model, err = nnonnx.ReadFile(f.model)
		name = f.model
	} else {
		s.Model, name, err = loadNNModel(f.model, f.seed)
	}
	if err != nil {
		return err
	}
	m := s.Model
	if s.Arch, err = arch.Load(f.arch); err != nil {
		return err
	}
	p, err := s.Prepare()
	if err != nil {
		return err
	}
	hw := p.Hardware
	var runs []pruneRun
	var also []*measure.Hardware
	specs := []*arch.Spec{hw.Spec()}
	for _, a := range f.also {
		spec, err := arch.Load(a)
		if err != nil {
			return err
		}
		h, err := s.Hardware(spec)
		if err != nil {
			return err
		}
		if h.Spec().Name != hw.Spec().Name { // --arch has its column already
			also = append(also, h)
			specs = append(specs, h.Spec())
		}
	}
	digest, err := nn.Digest(m)
	if err != nil {
		return err
	}
	rec, err := e.begin(c, store.KindPrune, runInputs{arch: archYAML(specs...), workload: name, digest: digest})
	if err != nil {
		return err
	}
	defer func() {
		err = rec.end(c.Context(), err)
		if ckpt := f.checkpoint; err != nil && c.Context().Err() != nil && ckpt != "" {
			if _, serr := os.Stat(ckpt); serr == nil {
				fmt.Fprintf(e.stderr, "nnergy prune: interrupted; %s holds the last finished step: the same command with --resume %s continues it\n", ckpt, ckpt)
			}
		}
	}()
	var tw *pruneTable
	s.OnStep = func(_ prune.Method, st prune.Step) { tw.row(st) }
	for i, method := range methods {
		if i > 0 {
			fmt.Fprintln(e.stdout)
		}
		fmt.Fprintf(e.stdout, "pruning %s on %s: %s, %s, target %s, energy on %s (%s builder%s)\n",
			name, f.data, method, gran, f.target, hw.Spec().Name, df, map[bool]string{true: ", searched", false: ""}[f.search])
		if gran == prune.Filter {
			if _, err := printPrunable(e.stdout, m, false); err != nil {
				return err
			}
		}
		fmt.Fprintln(e.stdout)
		tw = &pruneTable{w: e.stdout}
		before := hw.Stats()
		res, err := p.Run(c.Context(), method)
		if err != nil {
			return err
		}
		last := res.Steps[len(res.Steps)-1]
		st := hw.Stats()
		fmt.Fprintf(e.stdout, "\n%d steps; layer evaluations: %d computed, %d from the cache\n", len(res.Steps), st.Misses-before.Misses, st.Hits-before.Hits)
		if res.Reached {
			fmt.Fprintf(e.stdout, "target %s reached: ", target)
		} else {
			fmt.Fprintf(e.stdout, "target %s NOT reached (nothing left to prune within the limits): ", target)
		}
		fmt.Fprintf(e.stdout, "sparsity %.1f%%, energy %.1f%% of the original on %s, accuracy %s (from %s)\n",
			100*last.Sparsity, 100*last.EnergyRatio, hw.Spec().Name, pctAcc(last.Accuracy), pctAcc(res.Steps[0].Accuracy))
		runs = append(runs, pruneRun{method: method, res: res})
	}
	if len(runs) > 1 || len(runs[0].res.Targets) > 1 || len(also) > 0 {
		if err := e.pruneTargets(c, hw, also, m, runs); err != nil {
			return err
		}
	}
	if f.out != "" {
		for _, r := range runs {
			for i, t := range r.res.Targets {
				path := strings.ReplaceAll(f.out, "{method}", r.method.String())
				path = strings.ReplaceAll(path, "{target}", strings.ReplaceAll(t.Target.String(), "=", "-"))
				if !strings.Contains(f.out, "{target}") && i < len(r.res.Targets)-1 {
					continue // without {target}, only the final model
				}
				if strings.HasSuffix(path, ".onnx") {
					err = nnonnx.WriteFile(path, t.Model)
				} else {
					err = nn.SaveFile(path, t.Model)
				}
				if err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "saved %s\n", path)
			}
		}
	}
	info := report.NewPruneInfo(name, f.data, &s)
	mr := make([]report.MethodResult, len(runs))
	for i, r := range runs {
		mr[i] = report.MethodResult{Method: r.method, Result: r.res}
	}
	h := report.NewPrune(info, mr)
	if err := report.CheckFinite(h); err != nil {
		return err
	}
	rec.setReport(h)
	for _, path := range f.history {
		if err := writePruneHistory(path, h); err != nil {
			return err
		}
	}
	if err := writeReportPage("prune", f.report, func(w io.Writer) error { return page.Prune(w, h) }); err != nil {
		return err
	}
	if f.plot != "" {
		title := fmt.Sprintf("%s: %s %s pruning, target %s, energy on %s", filepath.Base(name), f.method, gran, f.target, hw.Spec().Name)
		if err := writePlot(f.plot, page.PruneChart(title, pageRuns(runs))); err != nil {
			return err
		}
	}
	return nil
}

// pruneRun is the result of one method; label, when set, names the run in
// plots instead of its method (nnergy plot: the history's file name).
type pruneRun struct {
	method prune.Method
	res    *prune.Result
	label  string
}

// pruneTargets prints one row per method and target: the step that met
// it, its accuracy before and after fine-tuning, and its energy on --arch
// and on every --also-arch (as a fraction of the unpruned model's there).
func (e *env) pruneTargets(c *cobra.Command, hw *measure.Hardware, also []*measure.Hardware, orig *nn.Model, runs []pruneRun) error {
	w := func(name string) int { return max(8, len(name)+1) }
	fmt.Fprintf(e.stdout, "\n%-12s  %-14s  %7s  %4s  %8s  %8s  %8s  %*s", "method", "target", "reached", "step", "sparsity", "pruned", "tuned", w(hw.Spec().Name), hw.Spec().Name)
	base := make([]float64, len(also))
	for i, h := range also {
		ms, err := h.Measure(c.Context(), orig)
		if err != nil {
			return err
		}
		base[i] = ms.Total.EnergyPJ
		fmt.Fprintf(e.stdout, "  %*s", w(h.Spec().Name), h.Spec().Name)
	}
	fmt.Fprintln(e.stdout)
	for _, r := range runs {
		for _, t := range r.res.Targets {
			fmt.Fprintf(e.stdout, "%-12s  %-14s  %7s  %4d  %7.1f%%  %8s  %8s  %*.1f%%", r.method, t.Target, map[bool]string{true: "yes", false: "no"}[t.Reached],
				t.Pruned.Step, 100*t.Tuned.Sparsity, pctAcc(t.Pruned.Accuracy), pctAcc(t.Tuned.Accuracy), w(hw.Spec().Name)-1, 100*t.Tuned.EnergyRatio)
			for i, h := range also {
				ms, err := h.Measure(c.Context(), t.Model)
				if err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "  %*.1f%%", w(h.Spec().Name)-1, 100*ms.Total.EnergyPJ/base[i])
			}
			fmt.Fprintln(e.stdout)
		}
	}
	return nil
}

func pctAcc(a float64) string {
	if math.IsNaN(a) {
		return "-"
	}
	return fmt.Sprintf("%.2f%%", 100*a)
}

// pruneTable prints the steps as they come, in fixed-width columns.
type pruneTable struct {
	w    io.Writer
	head bool
}

func (t *pruneTable) row(s prune.Step) {
	if !t.head {
		fmt.Fprintf(t.w, "%4s  %8s  %10s  %7s  %8s  %9s  %s\n", "step", "sparsity", "energy_uJ", "energy", "accuracy", "layer_err", "action")
		t.head = true
	}
	le := "-"
	if s.Layer != "" {
		le = fmt.Sprintf("%.4f", s.LayerError)
	}
	fmt.Fprintf(t.w, "%4d  %7.1f%%  %10.3f  %6.1f%%  %8s  %9s  %s\n", s.Step, 100*s.Sparsity, s.EnergyPJ/1e6, 100*s.EnergyRatio, pctAcc(s.Accuracy), le, s.Action)
}

// pruneCSVHeader is the columns of prune --history FILE.csv.
var pruneCSVHeader = []string{"step", "action", "layer", "sparsity", "energy_pj", "energy_ratio", "latency_s", "macs", "params", "accuracy", "layer_error", "plain_error", "target", "method"}

// writePruneHistory writes h to path: the report as JSON, or one CSV row
// per step.
func writePruneHistory(path string, h *report.Prune) error {
	return outfile.Write(path, func(fh io.Writer) error {
		if strings.HasSuffix(path, ".json") {
			return writeJSON(fh, h)
		}
		cw := csv.NewWriter(fh)
		cw.Write(pruneCSVHeader)
		for _, r := range h.Runs {
			for _, s := range r.Steps {
				acc := ""
				if s.Accuracy != nil {
					acc = fmtF(*s.Accuracy, 4)
				}
				cw.Write([]string{i64(int64(s.Step)), s.Action, s.Layer, fmtF(s.Sparsity, 4), fmtF(s.EnergyPJ, 1), fmtF(s.EnergyRatio, 4),
					fmt.Sprintf("%.6g", s.LatencySeconds), i64(s.MACs), i64(s.Params), acc, fmtF(s.LayerError, 5), fmtF(s.PlainError, 5), s.Target, r.Method})
			}
		}
		cw.Flush()
		return cw.Error()
	})
}

// printPrunable says which layers can lose filters (or, with heads,
// attention heads), the only ones filter pruning and NetAdapt consider,
// and why the other convolution and linear layers are skipped. It returns
// the prunable layers.
func printPrunable(w io.Writer, m *nn.Model, heads bool) ([]string, error) {
	all, refused, err := nn.Prunable(m)
	if err != nil {
		return nil, err
	}
	var ok []string
	for _, name := range all {
		if _, attn := m.Node(name).Layer.(*nn.MatMul); attn && !heads {
			refused = append(refused, nn.Refusal{Node: name, Err: fmt.Errorf("its attention heads are removed by nnergy adapt, not by filter pruning")})
			continue
		}
		ok = append(ok, name)
	}
	list := strings.Join(ok, ", ")
	if len(ok) == 0 {
		list = "none"
	}
	fmt.Fprintf(w, "prunable layers (%d): %s\n", len(ok), list)
	for _, r := range refused {
		fmt.Fprintf(w, "  skipping %s: %v\n", r.Node, r.Err)
	}
	return ok, nil
}

// pageRuns returns runs as page.PruneChart draws them.
func pageRuns(runs []pruneRun) []page.PruneRun {
	out := make([]page.PruneRun, len(runs))
	for i, r := range runs {
		out[i] = page.PruneRun{Method: r.method, Result: r.res, Label: r.label}
	}
	return out
}
