package server

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"strings"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/dataflow"
	"github.com/nnergy/nnergy/measure"
	"github.com/nnergy/nnergy/netadapt"
	"github.com/nnergy/nnergy/netadaptv2"
	"github.com/nnergy/nnergy/nn"
	"github.com/nnergy/nnergy/nn/data"
	nnonnx "github.com/nnergy/nnergy/nn/onnx"
	nnzoo "github.com/nnergy/nnergy/nn/zoo"
	"github.com/nnergy/nnergy/onnx"
	"github.com/nnergy/nnergy/report"
	"github.com/nnergy/nnergy/store"
)

// Defaults of the prune and adapt requests that the command line's flags
// share.
const (
	defaultModel = "lenet5"
	defaultData  = "mnist"
	defaultArch  = "eyeriss"
)

// AdaptRequest is the body of POST /api/v1/jobs/adapt: the options of
// nnergy adapt that make sense on a server, each named as its flag
// (init_reduction is --init-reduction), with the same defaults. The model
// is a zoo network (initialised from seed) or an ONNX model in the
// multipart part "onnx"; the architecture a preset or arch YAML text.
type AdaptRequest struct {
	// Model is a zoo network of the training engine (empty: lenet5, or the
	// ONNX model).
	Model string `json:"model,omitempty"`
	// Data is mnist (from the server's data directory) or synthetic.
	Data string `json:"data"`
	// Arch is a preset (empty: eyeriss, unless ArchYAML is given).
	Arch          string  `json:"arch,omitempty"`
	ArchYAML      string  `json:"arch_yaml,omitempty"`
	Dataflow      string  `json:"dataflow"`
	Search        bool    `json:"search"`
	MaxEvals      int64   `json:"max_evals"`
	DensityImages int     `json:"density_images"`
	CPUSamples    int     `json:"cpu_samples"`
	Budget        string  `json:"budget"`
	Measure       string  `json:"measure"`
	Select        string  `json:"select"`
	InitReduction float64 `json:"init_reduction"`
	Decay         float64 `json:"decay"`
	ShortSteps    int     `json:"short_steps"`
	LongEpochs    int     `json:"long_epochs"`
	Batch         int     `json:"batch"`
	LR            float64 `json:"lr"`
	LongLR        float64 `json:"long_lr"`
	Holdout       int     `json:"holdout"`
	EvalImages    int     `json:"eval_images"`
	MaxIterations int     `json:"max_iterations"`
	// Workers is the proposals handled at once, at most the server's
	// cores (0: 1).
	Workers int    `json:"workers"`
	Seed    uint64 `json:"seed"`
	// Method is netadapt or netadaptv2 (one; the command line's
	// comparison of both is two jobs here). The V2 fields are NetAdaptV2's
	// options, named as nnergy adapt's --v2-* flags.
	Method         string  `json:"method"`
	V2Proposals    int     `json:"v2_proposals"`
	V2Layers       int     `json:"v2_layers"`
	V2Epochs       int     `json:"v2_epochs"`
	V2LR           float64 `json:"v2_lr"`
	V2MinWidth     float64 `json:"v2_min_width"`
	V2Random       int     `json:"v2_random"`
	V2Sandwich     bool    `json:"v2_sandwich"`
	V2Split        bool    `json:"v2_split"`
	V2CalibBatches int     `json:"v2_calib_batches"`
	V2ShortTune    bool    `json:"v2_short_tune"`
	// V2Bypass: channel-level bypasses (nnergy adapt --v2-bypass).
	V2Bypass bool `json:"v2_bypass"`
}

// DefaultAdaptRequest returns the request whose fields are the defaults
// of nnergy adapt.
func DefaultAdaptRequest() AdaptRequest {
	d, v := netadapt.DefaultSetup(), netadaptv2.DefaultOptions()
	return AdaptRequest{Data: defaultData, Dataflow: d.Dataflow.String(), MaxEvals: d.MaxEvals, CPUSamples: d.CPUSamples,
		Budget: d.Budget.String(), Measure: d.Measure.String(), Select: d.Select.String(), InitReduction: d.InitReduction,
		Decay: d.Decay, ShortSteps: d.ShortSteps, LongEpochs: d.LongEpochs, Batch: d.Batch, LR: d.LR, LongLR: d.LongLR,
		Holdout: d.Holdout, EvalImages: d.EvalImages, MaxIterations: d.MaxIterations, Seed: d.Seed,
		Method: netadaptv2.NetAdapt.String(), V2Proposals: v.Proposals, V2Layers: v.Layers, V2Epochs: v.Epochs, V2LR: v.LR,
		V2MinWidth: v.Sampling.MinWidth, V2Random: v.Sampling.Random, V2Sandwich: v.Sampling.Sandwich, V2Split: v.Sampling.Split, V2CalibBatches: v.CalibBatches,
		V2Bypass: !v.NoBypass}
}

// startAdapt answers POST /api/v1/jobs/adapt as startEval does.
func (s *Server) startAdapt(w http.ResponseWriter, r *http.Request) {
	req := DefaultAdaptRequest()
	a, ok := request(w, r, &req, resolveAdapt)
	if !ok {
		return
	}
	set := a.set
	unit := report.ResourceUnit(set.Budget.Metric.String())
	s.start(w, r, store.KindAdapt, a.run, Progress{ResourceUnit: unit}, func(ctx context.Context, j *job) (any, error) {
		set.OnIteration = func(it netadapt.Iteration, _ []netadapt.Proposal) {
			j.update(func(p *Progress) {
				acc := it.Accuracy
				p.Iterations, p.Accuracy, p.Resource = it.Iteration, &acc, it.Resource
			})
		}
		p, err := set.Prepare()
		if err != nil {
			return nil, err
		}
		o, err := p.RunSearch(ctx, a.search)
		if err != nil {
			return nil, err
		}
		info := a.info
		info.WallSeconds, info.CPUSeconds = o.Wall.Seconds(), o.CPU.Seconds()
		return report.NewAdapt(info, o.Result)
	})
}

// adaptJob is what an adapt request resolves to: the setup, the report's
// description of the run and what the run records.
type adaptJob struct {
	set *netadapt.Setup
	// search is the method's search (nil: NetAdapt's), with v2 its
	// options when the method is NetAdaptV2.
	search netadapt.Search
	v2     *netadaptv2.Options
	info   report.AdaptInfo
	run    runInfo
}

// resolveAdapt reads an adapt request.
func resolveAdapt(req *AdaptRequest, model []byte) (*adaptJob, error) {
	var info report.AdaptInfo
	var rinfo runInfo
	set := netadapt.DefaultSetup()
	var errs []error
	var err error
	if set.Budget, err = netadapt.ParseBudget(req.Budget); err != nil {
		errs = append(errs, err)
	}
	if set.Select, err = netadapt.ParseSelection(req.Select); err != nil {
		errs = append(errs, err)
	}
	if set.Measure, err = measure.ParseKind(req.Measure); err != nil {
		errs = append(errs, err)
	}
	if set.Dataflow, err = dataflow.ParseDataflow(req.Dataflow); err != nil {
		errs = append(errs, fmt.Errorf("dataflow %q: want %s", req.Dataflow, dataflow.Choices()))
	}
	set.Search, set.MaxEvals, set.DensityImages, set.CPUSamples = req.Search, req.MaxEvals, req.DensityImages, req.CPUSamples
	set.InitReduction, set.Decay, set.ShortSteps, set.LongEpochs = req.InitReduction, req.Decay, req.ShortSteps, req.LongEpochs
	set.Batch, set.LR, set.LongLR, set.Holdout, set.EvalImages = req.Batch, req.LR, req.LongLR, req.Holdout, req.EvalImages
	set.MaxIterations, set.Workers, set.Seed = req.MaxIterations, max(req.Workers, 1), req.Seed
	errs = append(errs, tooManyWorkers(req.Workers), set.Check(func(o string) string { return o }))
	var search netadapt.Search
	var v2 *netadaptv2.Options
	method, err := netadaptv2.ParseMethod(req.Method)
	switch {
	case err != nil:
		errs = append(errs, fmt.Errorf("method: %v", err))
	case method == netadaptv2.NetAdaptV2:
		v := netadaptv2.Options{Proposals: req.V2Proposals, Layers: req.V2Layers, Epochs: req.V2Epochs, Batch: req.Batch, LR: req.V2LR,
			Sampling: netadaptv2.Sampling{MinWidth: req.V2MinWidth, Random: req.V2Random, Sandwich: req.V2Sandwich, Split: req.V2Split}, Seed: req.Seed,
			CalibBatches: req.V2CalibBatches, ShortTune: req.V2ShortTune, NoBypass: !req.V2Bypass}
		if err := v.Check(func(o string) string { return o }); err != nil {
			errs = append(errs, err)
		}
		search, v2 = v.Search(), &v
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("server: adapt: %w", err)
	}
	if set.Measure == measure.ModelKind {
		if set.Arch, err = archOf(presetOr(req.Arch, req.ArchYAML, defaultArch), req.ArchYAML); err != nil {
			return nil, err
		}
	}
	in, err := resolveNN(req.Model, model, req.Seed, req.Data)
	if err != nil {
		return nil, err
	}
	set.Model, set.Train, set.Test = in.model, in.train, in.test
	if err := set.Check(func(o string) string { return o }); err != nil {
		return nil, fmt.Errorf("server: adapt: %w", err)
	}
	info = report.AdaptInfo{Model: in.name, Data: req.Data, Measurer: set.Measure.String(), Method: method.String()}
	if set.Arch != nil {
		info.Arch = set.Arch.Name
		rinfo.arch = string(arch.Format(set.Arch))
	}
	rinfo.model, rinfo.digest = in.name, in.digest
	rinfo.command, rinfo.settings = flagsOf("adapt", req, in.name)
	return &adaptJob{set: &set, search: search, v2: v2, info: info, run: rinfo}, nil
}

// presetOr returns preset, or def when neither preset nor text is given.
func presetOr(preset, text, def string) string {
	if preset == "" && text == "" {
		return def
	}
	return preset
}

// request reads a job request onto req, which holds the defaults of the
// fields it leaves out, and resolves it with its ONNX model (nil for
// none); it writes the error and returns false when either fails.
func request[T, J any](w http.ResponseWriter, r *http.Request, req *T, resolve func(*T, []byte) (*J, error)) (*J, bool) {
	model, code, err := readRequestInto(r, req)
	if err == nil {
		var j *J
		if j, err = resolve(req, model); err == nil {
			return j, true
		}
		code = http.StatusBadRequest
	}
	writeError(w, code, errorText(err))
	return nil, false
}

// archOf returns the architecture of a request: a preset or arch YAML
// text, exactly one of them.
func archOf(preset, text string) (*arch.Spec, error) {
	switch {
	case (preset == "") == (text == ""):
		return nil, errors.New("server: give exactly one of arch (a preset name) and arch_yaml")
	case preset != "":
		return arch.Preset(preset)
	}
	return arch.Parse("arch_yaml", []byte(text))
}

// nnInputs are the model and data of a prune or adapt request.
type nnInputs struct {
	model *nn.Model
	// name is the zoo name, or onnx; digest the model's (nn.Digest).
	name, digest string
	train, test  *data.Set
}

// tooManyWorkers says why a job may not run n workers, or returns nil.
func tooManyWorkers(n int) error {
	if cores := runtime.GOMAXPROCS(0); n > cores {
		return fmt.Errorf("workers %d: more than the server's %d cores", n, cores)
	}
	return nil
}

// resolveNN returns the model of a request (a zoo network initialised
// from seed, default lenet5, or an uploaded ONNX model) and its data set.
// Mnist comes from the server's data directory: missing, the error names
// the command that fetches it.
func resolveNN(name string, model []byte, seed uint64, dataName string) (*nnInputs, error) {
	var in nnInputs
	var err error
	switch {
	case model != nil && name != "":
		return nil, errors.New("server: give model (a zoo name) or an ONNX model, not both")
	case model != nil:
		var om *onnx.Model
		if om, err = onnx.Parse("onnx", model); err == nil {
			in.model, err = nnonnx.Import(om)
		}
		in.name = "onnx"
	default:
		in.name = cmp.Or(name, defaultModel)
		in.model, err = nnzoo.New(in.name, seed)
	}
	if err == nil {
		in.digest, err = nn.Digest(in.model)
	}
	if err != nil {
		return nil, err
	}
	if !slices.Contains(data.Names(), dataName) {
		return nil, fmt.Errorf("server: data %q: want %s", dataName, strings.Join(data.Names(), " or "))
	}
	if in.train, in.test, err = data.Load(dataName, ""); err != nil {
		return nil, fmt.Errorf("server: %v", err)
	}
	return &in, nil
}

// jobFlagNames maps the JSON fields of prune and adapt jobs (released, not
// renamed) to the command-line flags of the same setting where they differ
// (docs/cli.md), by command.
var jobFlagNames = map[string]map[string]string{
	"prune": {"batch": "train-batch", "calibration": "restore-images", "limit": "train-images", "lr": "finetune-lr"},
	"adapt": {"batch": "train-batch", "lr": "short-lr", "long-lr": "finetune-lr", "long-epochs": "finetune-epochs"},
}

// flagsOf returns the command line and the settings a run of cmd records
// for a request: every field as the flag of its name (jobFlagNames where
// they differ), the arch YAML as --arch arch_yaml and the model as name.
func flagsOf(cmd string, req any, name string) ([]string, map[string]string) {
	b, _ := json.Marshal(req)
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	d.Decode(&m)
	settings := map[string]string{}
	for k, v := range m {
		k = strings.ReplaceAll(k, "_", "-")
		settings[cmp.Or(jobFlagNames[cmd][k], k)] = fmt.Sprint(v)
	}
	if _, ok := settings["arch-yaml"]; ok {
		delete(settings, "arch-yaml")
		settings["arch"] = "arch_yaml"
	}
	settings["model"] = name
	keys := make([]string, 0, len(settings))
	for k := range settings {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	line := []string{"nnergy", cmd}
	for _, k := range keys {
		line = append(line, "--"+k, settings[k])
	}
	return line, settings
}
