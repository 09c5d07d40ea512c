package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/codesign"
	"github.com/nnergy/nnergy/internal/outfile"
	"github.com/nnergy/nnergy/measure"
	"github.com/nnergy/nnergy/netadapt"
	"github.com/nnergy/nnergy/nn"
	"github.com/nnergy/nnergy/prune"
	"github.com/nnergy/nnergy/report"
	"github.com/nnergy/nnergy/store"
	"github.com/nnergy/nnergy/sweep"
)

type codesignFlags struct {
	model, data, dataDir, sweepFile, budget, method, objective, selection string
	out, shard, format                                                    string
	top, shards, workers, adaptWorkers                                    int
	shortSteps, longEpochs, batch, holdout, evalImages                    int
	densityImages, calibration, maxIterations                             int
	initReduction, decay, lr, longLR                                      float64
	seed                                                                  uint64
	progress                                                              progressMode
}

// codesignTrainWorkers trains the long-term and pruning fine-tunes: fixed,
// so that results do not depend on the machine (nn.Train is reproducible
// for a seed and a number of workers).
const codesignTrainWorkers = 2

func (e *env) codesignCmd() *cobra.Command {
	var f codesignFlags
	c := &cobra.Command{
		Use:   "codesign",
		Short: "Search the hardware and the network together: a sweep's designs, each with the network adapted to it",
		Long: `Measure the trained network --model on every design point of the sweep file
--sweep (docs/format/sweep.md; its networks and batches are not used: the
network is --model at batch 1, each point mapped as the sweep says, builder
or search), take the candidates, adapt the network to each candidate with
that design's hardware model, and report the Pareto front over (accuracy,
energy, latency, area) of every combination: the unadapted network on
every design and each adapted one on its design.

The candidates are the Pareto front of the designs over --pareto (any of
energy, latency, edp, area; default energy,latency), or with --top K the K
designs with the least unadapted energy or latency (the budget's metric).

--method netadapt (NetAdapt to --budget, as nnergy adapt), energy-aware
(energy-aware filter pruning to --budget's energy, as nnergy prune
--method energy-aware --granularity filter) or both. --budget is as
nnergy adapt's: energy=0.5 (of each design's unadapted energy), energy=2uJ,
latency=0.5 or latency=50us. Accuracies are on the test set (--eval-images).

Every job (a method on a candidate) is stored in the results store as an
item of the run's inputs, with its adapted model: a run that is
interrupted resumes where it stopped, and --shard i/N (or --shards N with
JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID) runs part i of N of the jobs,
split by the sweep's shard function; a run whose jobs are all stored
reports the whole front. --out DIR writes each job's model as
DIR/ID-METHOD.onnx, its history as DIR/ID-METHOD.json and each candidate's
architecture as DIR/ID.yaml. The run is deterministic for a --seed.`,
		Example: `  nnergy codesign --model lenet5.onnx --data mnist --sweep examples/sweeps/codesign-lenet.yaml --budget energy=0.5 --out codesign/
  nnergy codesign --model lenet5.onnx --sweep examples/sweeps/codesign-lenet.yaml --top 1 --method both
  nnergy codesign --model lenet5.onnx --sweep examples/sweeps/codesign-lenet.yaml --shard 0/2 --store postgres://...`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return e.codesign(c, &f) },
	}
	fl := c.Flags()
	fl.StringVar(&f.model, "model", "lenet5", "trained model: .nnw or .onnx file, or a zoo network (untrained)")
	registerData(fl, &f.data, &f.dataDir, "mnist", "")
	fl.StringVar(&f.sweepFile, "sweep", "", "sweep file whose design points are searched (required)")
	fl.StringVar(&f.budget, "budget", "energy=0.5", "energy or latency budget on every candidate: a fraction of its unadapted figure (energy=0.5) or absolute (energy=2uJ, latency=50us)")
	fl.StringVar(&f.method, "method", "netadapt", "netadapt, energy-aware or both")
	fl.StringVar(&f.objective, "pareto", "energy,latency", "Pareto front of the designs, whose designs are the candidates, over any of energy, latency, edp, area, comma-separated")
	deprecatedAlias(fl, "objective", "pareto")
	fl.IntVar(&f.top, "top", 0, "take the K designs with the least unadapted budget metric as candidates instead of the front")
	fl.StringVar(&f.out, "out", "", "write every adapted model, its history and its design's architecture to this directory")
	fl.StringVar(&f.shard, "shard", "", "run part i (from 0) of N of the jobs, i/N")
	fl.IntVar(&f.shards, "shards", 0, "number of shards when JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID gives the index")
	fl.IntVar(&f.workers, "workers", 1, "designs measured and jobs run at once")
	fl.IntVar(&f.adaptWorkers, "adapt-workers", 0, "NetAdapt proposals handled at once per job (0: one per CPU); the result does not depend on it")
	fl.StringVar(&f.format, "format", formatTable, "output format: table or json")
	fl.Uint64Var(&f.seed, "seed", 1, "seed for zoo weights, fine-tuning and every job")
	fl.IntVar(&f.evalImages, "eval-images", 0, "score accuracy on the first N test images (0: all)")
	fl.IntVar(&f.densityImages, "density-images", 0, "model activation sparsity measured on N training images (0: dense)")
	fl.Float64Var(&f.initReduction, "init-reduction", 0.025, "netadapt: first iteration's reduction, fraction of the starting resource")
	fl.Float64Var(&f.decay, "decay", 0.96, "netadapt: per-iteration decay of the reduction")
	fl.StringVar(&f.selection, "select", "accuracy", "netadapt: accuracy (highest) or ratio (least accuracy lost per resource saved)")
	fl.IntVar(&f.shortSteps, "short-steps", 100, "netadapt: mini-batches of each proposal's short-term fine-tune")
	fl.IntVar(&f.holdout, "holdout", 5000, "netadapt: training images held out to score proposals")
	fl.IntVar(&f.maxIterations, "max-iterations", 500, "netadapt: stop after N iterations")
	fl.IntVar(&f.longEpochs, "finetune-epochs", 1, "epochs of the final fine-tune of both methods (0: none)")
	deprecatedAlias(fl, "long-epochs", "finetune-epochs")
	registerTrainBatch(fl, &f.batch, 64)
	fl.Float64Var(&f.lr, "short-lr", 0.0005, "netadapt: learning rate of each proposal's short-term fine-tune (Adam, constant)")
	deprecatedAlias(fl, "lr", "short-lr")
	fl.Float64Var(&f.longLR, "finetune-lr", 0.0005, "learning rate of the final fine-tune (Adam, cosine)")
	deprecatedAlias(fl, "long-lr", "finetune-lr")
	registerRestoreImages(fl, &f.calibration, 512, "energy-aware: ")
	registerProgress(fl, &f.progress, true)
	return c
}

// codesignOptions decodes and checks the flags into options (everything
// but the data, the model and the store).
func codesignOptions(f *codesignFlags) (codesign.Options, error) {
	var o codesign.Options
	var err error
	if err := checkFormat("codesign", f.format); err != nil {
		return o, err
	}
	if f.format == formatCSV {
		return o, usagef("codesign: --format csv: want table or json")
	}
	if f.sweepFile == "" {
		return o, usagef("codesign: --sweep FILE is required")
	}
	if o.Budget, err = netadapt.ParseBudget(f.budget); err != nil {
		return o, usagef("--budget: %v", err)
	}
	if m := o.Budget.Metric; m != measure.Energy && m != measure.Latency {
		return o, usagef("codesign: --budget %s: want an energy or latency budget", f.budget)
	}
	if o.Methods, err = codesign.ParseMethods(f.method); err != nil {
		return o, usageError{err}
	}
	if o.Objectives, err = codesign.ParseObjectives(f.objective); err != nil {
		return o, usageError{err}
	}
	sel, err := netadapt.ParseSelection(f.selection)
	if err != nil {
		return o, usageError{err}
	}
	switch {
	case f.top < 0:
		return o, usagef("codesign: --top must not be negative, got %d", f.top)
	case f.workers < 1:
		return o, usagef("codesign: --workers must be at least 1, got %d", f.workers)
	case !(f.initReduction > 0 && f.initReduction < 1):
		return o, usagef("codesign: --init-reduction %v outside (0, 1)", f.initReduction)
	case !(f.decay > 0 && f.decay <= 1):
		return o, usagef("codesign: --decay %v outside (0, 1]", f.decay)
	case f.shortSteps < 1 || f.batch < 1 || f.maxIterations < 1 || f.calibration < 1:
		return o, usagef("codesign: --short-steps, --train-batch, --max-iterations and --restore-images must be at least 1")
	case f.longEpochs < 0 || f.holdout < 0 || f.evalImages < 0 || f.adaptWorkers < 0 || f.densityImages < 0:
		return o, usagef("codesign: counts must not be negative")
	case !(f.lr > 0) || !(f.longLR > 0):
		return o, usagef("codesign: --short-lr and --finetune-lr must be positive")
	}
	for _, m := range o.Methods {
		if m == codesign.EnergyAware && o.Budget.Metric != measure.Energy {
			return o, usagef("codesign: --method %s prunes to an energy budget, not --budget %s (use --method netadapt)", f.method, f.budget)
		}
	}
	if o.Shard, err = sweepShard(&sweepFlags{shard: f.shard, shards: f.shards}); err != nil {
		return o, err
	}
	aw := f.adaptWorkers
	if aw == 0 {
		aw = runtime.GOMAXPROCS(0)
	}
	o.Top, o.Seed, o.Workers = f.top, f.seed, f.workers
	o.Hardware = measure.HardwareConfig{Workers: 1}
	o.NetAdapt = netadapt.Config{InitReduction: f.initReduction, Decay: f.decay, Select: sel, LongTerm: f.longEpochs > 0,
		Workers: aw, MaxIterations: f.maxIterations}
	o.Prune = prune.Config{Workers: codesignTrainWorkers}
	return o, nil
}

func (e *env) codesign(c *cobra.Command, f *codesignFlags) (err error) {
	o, err := codesignOptions(f)
	if err != nil {
		return err
	}
	train, test, err := loadNNData(f.data, f.dataDir)
	if err != nil {
		return err
	}
	if f.holdout >= train.Len() {
		return usagef("codesign: --holdout %d leaves no training images (the set has %d)", f.holdout, train.Len())
	}
	fit, hold := train.SplitTail(f.holdout)
	o.Test = test.Head(f.evalImages)
	m, name, err := loadNNModel(f.model, f.seed)
	if err != nil {
		return err
	}
	o.Model = m
	if o.Sweep, err = sweep.Load(f.sweepFile); err != nil {
		return err
	}
	if f.densityImages > 0 {
		o.Hardware.Calibration = measure.Batch(fit, f.densityImages)
	}
	o.NetAdapt.Tuner = &netadapt.Trainer{Train: fit, Holdout: hold, ShortSteps: f.shortSteps, LongEpochs: f.longEpochs,
		Batch: f.batch, LR: f.lr, LongLR: f.longLR, Workers: 1, LongWorkers: codesignTrainWorkers}
	o.Prune.Calibration = measure.Batch(fit, f.calibration)
	if f.longEpochs > 0 {
		o.Prune.Train = fit
		o.Prune.Finetune = nn.TrainConfig{Epochs: f.longEpochs, Batch: f.batch, Optimizer: &nn.Adam{},
			Schedule: nn.CosineLR{Base: f.longLR}, Workers: codesignTrainWorkers}
	}
	digest, err := nn.Digest(m)
	if err != nil {
		return err
	}
	key, err := codesignKey(c, f.sweepFile, o.Sweep, digest)
	if err != nil {
		return err
	}
	rec, err := e.begin(c, store.KindCodesign, runInputs{arch: archYAML(o.Sweep.Arch), workload: name, digest: digest})
	if err != nil {
		return err
	}
	defer func() { err = rec.end(c.Context(), err) }()
	if rec != nil {
		if err := rec.codesignItems(c.Context(), key, &o); err != nil {
			return err
		}
	}
	progress := f.progress.on(e.stderr)
	if progress {
		o.Progress = func(phase string, i, n int) {
			fmt.Fprintf(e.stderr, "\r\033[Kcodesign %s: %s %d of %d", o.Sweep.Name, phase, i+1, n)
		}
	}
	res, err := codesign.Run(c.Context(), o)
	if progress {
		fmt.Fprint(e.stderr, "\r\033[K")
	}
	if err != nil {
		return err
	}
	rep, err := report.NewCodesign(report.CodesignInfo{Model: name, Data: f.data, Budget: f.budget, ModelFiles: codesignFiles(f.out, res)}, res)
	if err != nil {
		return err
	}
	if err := writeCodesignOut(f.out, res, rep); err != nil {
		return err
	}
	rec.setReport(rep)
	if f.format == formatJSON {
		return writeJSON(e.stdout, rep)
	}
	return writeCodesignTable(e.stdout, rep)
}

// codesignKey names a codesign run's items in the store: the SHA-256 of
// the sweep file, its base architecture, the model and every flag that
// changes a job's result (not the shard, the workers, the output or the
// store).
func codesignKey(c *cobra.Command, file string, s *sweep.Sweep, modelDigest string) (string, error) {
	text, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	settings, err := flagSettings(c)
	if err != nil {
		return "", err
	}
	var flags map[string]string
	if err := json.Unmarshal(settings, &flags); err != nil {
		return "", err
	}
	for _, k := range []string{"shard", "shards", "workers", "adapt-workers", "out", "format", "quiet", "progress", "model", "sweep"} {
		delete(flags, k)
	}
	for now, was := range codesignKeyNames {
		if v, ok := flags[now]; ok {
			delete(flags, now)
			flags[was] = v
		}
	}
	names := make([]string, 0, len(flags))
	for k := range flags {
		names = append(names, k)
	}
	sort.Strings(names)
	h := sha256.New()
	fmt.Fprintf(h, "codesign 1\nsweep %q\n%s\narch\n%s\nmodel %s\n", s.Name, text, arch.Format(s.Arch), modelDigest)
	for _, k := range names {
		fmt.Fprintf(h, "%s=%s\n", k, flags[k])
	}
	return "codesign:" + hex.EncodeToString(h.Sum(nil))[:24], nil
}

// codesignKeyNames maps flags renamed by the vocabulary of docs/cli.md to
// the names the key was made with before, so that the jobs a store holds
// from then are still found.
var codesignKeyNames = map[string]string{"train-batch": "batch", "restore-images": "calibration", "pareto": "objective",
	"short-lr": "lr", "finetune-lr": "long-lr", "finetune-epochs": "long-epochs"}

// codesignItem is a job's outcome as the store keeps it.
type codesignItem struct {
	Outcome *codesign.Outcome `json:"outcome"`
	// Model is the adapted model in nnergy's native format.
	Model []byte `json:"model"`
}

// codesignItems makes o resume the jobs stored under key and store every
// job it runs there.
func (r *recording) codesignItems(ctx context.Context, key string, o *codesign.Options) error {
	items, err := r.st.Items(ctx, key)
	if err != nil {
		return err
	}
	stored := map[int][]byte{}
	for _, it := range items {
		if it.Done {
			stored[it.Index] = it.Value
		}
	}
	o.Resume = func(j int) (*codesign.Outcome, bool, error) {
		b, ok := stored[j]
		if !ok {
			return nil, false, nil
		}
		var it codesignItem
		if err := json.Unmarshal(b, &it); err != nil {
			return nil, false, fmt.Errorf("codesign: stored job %s/%d: %v", key, j, err)
		}
		m, err := nn.Load(bytes.NewReader(it.Model))
		if err != nil {
			return nil, false, fmt.Errorf("codesign: stored job %s/%d: %v", key, j, err)
		}
		it.Outcome.Model = m
		return it.Outcome, true, nil
	}
	o.Done = func(j int, out *codesign.Outcome) error {
		var mb bytes.Buffer
		if err := nn.Save(&mb, out.Model); err != nil {
			return err
		}
		b, err := json.Marshal(codesignItem{Outcome: out, Model: mb.Bytes()})
		if err != nil {
			return fmt.Errorf("codesign: storing job %d: %v", j, err)
		}
		_, err = r.st.PutItems(ctx, store.Item{RunKey: key, Index: j, Value: b, Done: true})
		return err
	}
	return nil
}

// codesignFiles returns the model file of every done job under dir
// (none without dir).
func codesignFiles(dir string, res *codesign.Result) []string {
	files := make([]string, len(res.Jobs))
	for j, jb := range res.Jobs {
		if dir != "" && res.Outcomes[j] != nil {
			files[j] = filepath.Join(dir, res.Designs[jb.Design].Point.ID+"-"+jb.Method.String()+".onnx")
		}
	}
	return files
}

// writeCodesignOut writes every done job's model and history (its adapt
// or prune report), and every candidate's architecture, to dir.
func writeCodesignOut(dir string, res *codesign.Result, rep *report.Codesign) error {
	if dir == "" {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for i := range res.Designs {
		d := &res.Designs[i]
		if d.Candidate {
			if err := outfile.WriteFile(filepath.Join(dir, d.Point.ID+".yaml"), d.Design.YAML); err != nil {
				return err
			}
		}
	}
	for j, cj := range rep.Jobs {
		if cj.ModelFile == "" {
			continue
		}
		if err := saveNNModel(cj.ModelFile, res.Outcomes[j].Model); err != nil {
			return err
		}
		var v any = cj.Prune
		if cj.Adapt != nil {
			v = cj.Adapt
		}
		if err := outfile.Write(strings.TrimSuffix(cj.ModelFile, ".onnx")+".json", func(w io.Writer) error { return writeJSON(w, v) }); err != nil {
			return err
		}
	}
	return nil
}

// writeCodesignTable prints the designs, the jobs and the front.
func writeCodesignTable(w io.Writer, rep *report.Codesign) error {
	fmt.Fprintf(w, "codesign %s on %s over sweep %s: %d designs, budget %s, %s; unadapted accuracy %s on %d test images\n",
		rep.Model, rep.Data, rep.Sweep, len(rep.Designs), rep.Budget, strings.Join(rep.Methods, " and "), pctAcc(rep.Accuracy), rep.TestImages)
	how := "front over " + strings.Join(rep.Objectives, ", ")
	if rep.Top > 0 {
		how = fmt.Sprintf("top %d by %s", rep.Top, rep.Metric)
	}
	fmt.Fprintf(w, "\nunadapted network on every design (* candidate: %s)\n", how)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "design\tparameters\tenergy\tlatency\tarea mm²\t\t")
	for _, d := range rep.Designs {
		var vals []string
		for _, v := range d.Values {
			vals = append(vals, v.Name+"="+v.Value)
		}
		mark := ""
		if d.Candidate {
			mark = "*"
		}
		if !d.OK {
			fmt.Fprintf(tw, "%s\t%s\t-\t-\t-\t%s\t\n", d.ID, strings.Join(vals, " "), d.Reason)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.3f\t%s\t\n", d.ID, strings.Join(vals, " "), netadapt.FormatValue(measure.Energy, d.EnergyPJ),
			netadapt.FormatValue(measure.Latency, d.LatencySeconds), d.AreaUM2/1e6, mark)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\njobs (%d ran, %d from the store)\n", rep.Ran, rep.Resumed)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "design\tmethod\taccuracy\tenergy\tratio\tlatency\tratio\tbudget\t")
	for _, j := range rep.Jobs {
		if !j.Done {
			fmt.Fprintf(tw, "%s\t%s\tnot done (another shard's)\t\t\t\t\t\t\n", j.Design, j.Method)
			continue
		}
		met := "met"
		if !j.Met {
			met = "NOT met"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.1f%%\t%s\t%.1f%%\t%s\t\n", j.Design, j.Method, pctAcc(j.Accuracy),
			netadapt.FormatValue(measure.Energy, j.EnergyPJ), 100*j.EnergyRatio,
			netadapt.FormatValue(measure.Latency, j.LatencySeconds), 100*j.LatencyRatio, met)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nPareto front over accuracy, energy, latency, area")
	if !rep.Complete {
		fmt.Fprintln(w, "(of the jobs done so far: run the other shards, then any shard again, for the whole front)")
	}
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "design\tmethod\taccuracy\tenergy\tlatency\tarea mm²\t")
	for _, p := range rep.Front {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%.3f\t\n", p.Design, p.Method, pctAcc(p.Accuracy),
			netadapt.FormatValue(measure.Energy, p.EnergyPJ), netadapt.FormatValue(measure.Latency, p.LatencySeconds), p.AreaUM2/1e6)
	}
	return tw.Flush()
}
