package report

import (
	"fmt"
	"math"
	"strings"

	"github.com/nnergy/nnergy/netadapt"
	"github.com/nnergy/nnergy/prune"
)

// Prune is the history nnergy prune --history writes: every step of every
// method run from the same start.
type Prune struct {
	Header
	Model string `json:"model"`
	Data  string `json:"data"`
	// Arch is the architecture the energy is modelled on, Dataflow its
	// mapping's dataflow, MappingSource builder or mapper.
	Arch          string `json:"arch"`
	Dataflow      string `json:"dataflow"`
	MappingSource Source `json:"mapping_source"`
	// Granularity is weight (masks) or filter (filters removed).
	Granularity string `json:"granularity"`
	// Targets are the targets in pruning order, each energy=F or
	// sparsity=F.
	Targets []string   `json:"targets"`
	Runs    []PruneRun `json:"runs"`
}

// PruneRun is one method's run.
type PruneRun struct {
	// Method is magnitude or energy-aware; empty only in a history read
	// from a file written before methods were recorded.
	Method string `json:"method"`
	// Reached says whether the final target was met before fine-tuning.
	Reached bool        `json:"reached"`
	Steps   []PruneStep `json:"steps"`
}

// Phase says what a pruning step did.
type Phase string

// The phases.
const (
	PhaseStart    Phase = "start"    // the model before pruning (step 0)
	PhasePrune    Phase = "prune"    // a pruning step
	PhaseFinetune Phase = "finetune" // the fine-tune of the model kept at a target
)

// PruneStep is one step of a pruning run, measured after it.
type PruneStep struct {
	Step  int   `json:"step"`
	Phase Phase `json:"phase"`
	// Action says what the step did, for people.
	Action string `json:"action"`
	// Layer names the layer an energy-aware step pruned.
	Layer string `json:"layer,omitempty"`
	// Sparsity is the fraction of the original convolution and linear
	// weights that are zero or removed.
	Sparsity float64 `json:"sparsity"`
	EnergyPJ float64 `json:"energy_pj"`
	// EnergyRatio is EnergyPJ over the start's.
	EnergyRatio    float64 `json:"energy_ratio"`
	LatencySeconds float64 `json:"latency_seconds"`
	MACs           int64   `json:"macs"`
	Params         int64   `json:"params"`
	// Accuracy is on the test set, null without one.
	Accuracy *float64 `json:"accuracy"`
	// Target is the target whose model a fine-tune step tuned.
	Target string `json:"target,omitempty"`
	// LayerError and PlainError are the relative output error of the layer
	// an energy-aware step restored, after and before the least-squares
	// fit.
	LayerError float64 `json:"layer_error,omitempty"`
	PlainError float64 `json:"plain_error,omitempty"`
}

// PruneInfo describes a pruning run for its history.
type PruneInfo struct {
	Model, Data, Arch, Dataflow string
	MappingSource               Source
	Granularity                 prune.Granularity
	Targets                     []prune.Target
}

// NewPruneInfo describes a pruning run of s, of the model and data set so
// named: its architecture, mapping, granularity and targets.
func NewPruneInfo(model, data string, s *prune.Setup) PruneInfo {
	src := SourceBuilder
	if s.Search {
		src = SourceMapper
	}
	return PruneInfo{Model: model, Data: data, Arch: s.Arch.Name, Dataflow: s.Dataflow.String(), MappingSource: src,
		Granularity: s.Granularity, Targets: append(append([]prune.Target(nil), s.Milestones...), s.Target)}
}

// MethodResult is the result of one pruning method.
type MethodResult struct {
	Method prune.Method
	Result *prune.Result
}

// NewPrune returns the history of runs.
func NewPrune(info PruneInfo, runs []MethodResult) *Prune {
	h := &Prune{Header: header(KindPrune), Model: info.Model, Data: info.Data, Arch: info.Arch, Dataflow: info.Dataflow,
		MappingSource: info.MappingSource, Granularity: info.Granularity.String(), Targets: []string{}, Runs: []PruneRun{}}
	for _, t := range info.Targets {
		h.Targets = append(h.Targets, t.String())
	}
	for _, r := range runs {
		pr := PruneRun{Method: r.Method.String(), Reached: r.Result.Reached, Steps: []PruneStep{}}
		for _, s := range r.Result.Steps {
			pr.Steps = append(pr.Steps, NewPruneStep(s))
		}
		h.Runs = append(h.Runs, pr)
	}
	return h
}

// NewPruneStep returns the report of step s.
func NewPruneStep(s prune.Step) PruneStep {
	p := PruneStep{Step: s.Step, Phase: PhasePrune, Action: s.Action, Layer: s.Layer, Sparsity: s.Sparsity, EnergyPJ: s.EnergyPJ,
		EnergyRatio: s.EnergyRatio, LatencySeconds: s.LatencyS, MACs: s.MACs, Params: s.Params, Target: s.Target,
		LayerError: s.LayerError, PlainError: s.PlainError}
	switch {
	case s.Step == 0:
		p.Phase = PhaseStart
	case s.Target != "":
		p.Phase = PhaseFinetune
	}
	if !math.IsNaN(s.Accuracy) {
		a := s.Accuracy
		p.Accuracy = &a
	}
	return p
}

// ToPrune returns p as a step of package prune (accuracy NaN when null).
func (p *PruneStep) ToPrune() prune.Step {
	s := prune.Step{Step: p.Step, Action: p.Action, Layer: p.Layer, Sparsity: p.Sparsity, EnergyPJ: p.EnergyPJ,
		EnergyRatio: p.EnergyRatio, LatencyS: p.LatencySeconds, MACs: p.MACs, Params: p.Params, Accuracy: math.NaN(),
		Target: p.Target, LayerError: p.LayerError, PlainError: p.PlainError}
	if p.Accuracy != nil {
		s.Accuracy = *p.Accuracy
	}
	return s
}

// Adapt is the history nnergy adapt --history writes: every iteration and
// every proposal of a NetAdapt run.
type Adapt struct {
	Header
	Model string `json:"model"`
	Data  string `json:"data"`
	// Measurer is model (the hardware model of Arch), cpu (latency on the
	// CPU that ran it) or macs (counts).
	Measurer string `json:"measurer"`
	Arch     string `json:"arch,omitempty"`
	// Metric is the resource adapted: energy, latency, edp, macs or params;
	// ResourceUnit the unit of every *_resource field: pj, seconds,
	// pj_seconds, macs or params.
	Metric       string `json:"metric"`
	ResourceUnit string `json:"resource_unit"`
	// InitialResource is the start's, BudgetResource the budget,
	// InitReductionResource the first iteration's reduction.
	InitialResource       float64 `json:"initial_resource"`
	BudgetResource        float64 `json:"budget_resource"`
	InitReductionResource float64 `json:"init_reduction_resource"`
	// Decay is the per-iteration decay of the reduction.
	Decay           float64 `json:"decay"`
	InitialAccuracy float64 `json:"initial_accuracy"`
	// FinalResource and FinalAccuracy are the result's (after the long-term
	// fine-tune when there was one); Met says whether it is within the
	// budget.
	FinalResource float64 `json:"final_resource"`
	FinalAccuracy float64 `json:"final_accuracy"`
	Met           bool    `json:"met"`
	// Stop says why the run ended: budget_met, max_iterations or
	// no_proposal; StopText says it for people.
	Stop       string           `json:"stop"`
	StopText   string           `json:"stop_text"`
	Iterations []AdaptIteration `json:"iterations"`
	Proposals  []AdaptProposal  `json:"proposals"`
	// Method is netadapt or netadaptv2 (absent: netadapt). With
	// netadaptv2 a proposal's Layer lists every layer it shrank, as
	// "conv2 16→12, fc1 120→90", and its filter counts sum over them.
	Method string `json:"method,omitempty"`
	// SearchSeconds and SearchCPUSeconds are the wall and CPU time of the
	// run (the process's user and system time), when recorded.
	SearchSeconds    float64 `json:"search_seconds,omitempty"`
	SearchCPUSeconds float64 `json:"search_cpu_seconds,omitempty"`
}

// AdaptIteration is what one iteration chose.
type AdaptIteration struct {
	Iteration int `json:"iteration"`
	// TargetResource is the resource the iteration had to reach.
	TargetResource float64 `json:"target_resource"`
	Layer          string  `json:"layer"`
	RemovedFilters int     `json:"removed_filters"`
	KeptFilters    int     `json:"kept_filters"`
	// Resource is the chosen model's after its fine-tune, ResourceRatio
	// it over the initial resource.
	Resource      float64 `json:"resource"`
	ResourceRatio float64 `json:"resource_ratio"`
	Accuracy      float64 `json:"accuracy"`
	Proposals     int     `json:"proposals"`
}

// AdaptProposal is one layer's proposal in one iteration.
type AdaptProposal struct {
	Iteration      int    `json:"iteration"`
	Layer          string `json:"layer"`
	RemovedFilters int    `json:"removed_filters"`
	KeptFilters    int    `json:"kept_filters"`
	// Resource is measured before the fine-tune, ResourceRatio is it over
	// the initial resource.
	Resource      float64 `json:"resource"`
	ResourceRatio float64 `json:"resource_ratio"`
	// Accuracy is after the short-term fine-tune.
	Accuracy float64 `json:"accuracy"`
	Chosen   bool    `json:"chosen"`
}

// AdaptInfo describes a NetAdapt run for its history.
type AdaptInfo struct {
	Model, Data string
	// Measurer is model, cpu or macs; Arch is set with model.
	Measurer, Arch string
	// Method is netadapt or netadaptv2 (empty: netadapt, not recorded).
	Method string
	// WallSeconds and CPUSeconds are the run's times (0: not recorded).
	WallSeconds, CPUSeconds float64
}

var resourceUnits = map[string]string{"energy": "pj", "latency": "seconds", "edp": "pj_seconds", "macs": "macs", "params": "params"}

// ResourceUnit is the resource_unit of an adapt report whose metric is
// metric (energy, latency, edp, macs, params); "" for another.
func ResourceUnit(metric string) string { return resourceUnits[metric] }

// NewAdapt returns the history of res.
func NewAdapt(info AdaptInfo, res *netadapt.Result) (*Adapt, error) {
	switch info.Measurer {
	case "model", "cpu", "macs":
	default:
		return nil, fmt.Errorf("report: NetAdapt measurer %q: want model, cpu or macs", info.Measurer)
	}
	switch info.Method {
	case "", "netadapt", "netadaptv2":
	default:
		return nil, fmt.Errorf("report: NetAdapt method %q: want netadapt or netadaptv2", info.Method)
	}
	h, err := newAdapt(info, res, true)
	if err != nil {
		return nil, err
	}
	h.Method, h.SearchSeconds, h.SearchCPUSeconds = info.Method, info.WallSeconds, info.CPUSeconds
	return checked(h)
}

// newAdapt returns the history of res; when strict is false (a file of
// before reports were versioned) an unknown stop reason leaves Stop empty.
func newAdapt(info AdaptInfo, res *netadapt.Result, strict bool) (*Adapt, error) {
	unit, ok := resourceUnits[res.Metric]
	if !ok {
		return nil, fmt.Errorf("report: NetAdapt metric %q: want energy, latency, edp, macs or params", res.Metric)
	}
	stop, err := stopID(res.Stop)
	if err != nil && strict {
		return nil, err
	}
	h := &Adapt{Header: header(KindAdapt), Model: info.Model, Data: info.Data, Measurer: info.Measurer, Arch: info.Arch,
		Metric: res.Metric, ResourceUnit: unit, InitialResource: res.Initial, BudgetResource: res.Budget,
		InitReductionResource: res.InitReduction, Decay: res.Decay, InitialAccuracy: res.InitialAccuracy,
		FinalResource: res.Resource, FinalAccuracy: res.Accuracy, Met: res.Met, Stop: stop, StopText: res.Stop,
		Iterations: []AdaptIteration{}, Proposals: []AdaptProposal{}}
	for _, it := range res.Iterations {
		h.Iterations = append(h.Iterations, AdaptIteration{Iteration: it.Iteration, TargetResource: it.Target, Layer: it.Layer,
			RemovedFilters: it.Removed, KeptFilters: it.Filters, Resource: it.Resource, ResourceRatio: it.Ratio,
			Accuracy: it.Accuracy, Proposals: it.Proposals})
	}
	for _, p := range res.Proposals {
		h.Proposals = append(h.Proposals, AdaptProposal{Iteration: p.Iteration, Layer: p.Layer, RemovedFilters: p.Removed,
			KeptFilters: p.Filters, Resource: p.Resource, ResourceRatio: p.Ratio, Accuracy: p.Accuracy, Chosen: p.Chosen})
	}
	return h, nil
}

// stopID returns the identifier of a NetAdapt stop reason.
func stopID(text string) (string, error) {
	switch {
	case text == "budget met":
		return "budget_met", nil
	case strings.HasPrefix(text, "stopped after "):
		return "max_iterations", nil
	case strings.HasPrefix(text, "no layer can meet "):
		return "no_proposal", nil
	}
	return "", fmt.Errorf("report: unknown NetAdapt stop reason %q", text)
}

// Result returns h as a result of package netadapt (without the model).
func (h *Adapt) Result() *netadapt.Result {
	res := &netadapt.Result{Metric: h.Metric, Initial: h.InitialResource, Budget: h.BudgetResource,
		InitReduction: h.InitReductionResource, Decay: h.Decay, InitialAccuracy: h.InitialAccuracy,
		Resource: h.FinalResource, Accuracy: h.FinalAccuracy, Met: h.Met, Stop: h.StopText}
	for _, it := range h.Iterations {
		res.Iterations = append(res.Iterations, netadapt.Iteration{Iteration: it.Iteration, Target: it.TargetResource, Layer: it.Layer,
			Removed: it.RemovedFilters, Filters: it.KeptFilters, Resource: it.Resource, Ratio: it.ResourceRatio,
			Accuracy: it.Accuracy, Proposals: it.Proposals})
	}
	for _, p := range h.Proposals {
		res.Proposals = append(res.Proposals, netadapt.Proposal{Iteration: p.Iteration, Layer: p.Layer, Removed: p.RemovedFilters,
			Filters: p.KeptFilters, Resource: p.Resource, Ratio: p.ResourceRatio, Accuracy: p.Accuracy, Chosen: p.Chosen})
	}
	return res
}
