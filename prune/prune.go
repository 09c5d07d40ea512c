// Package prune removes weights and filters from trainable networks
// (package nn) towards a sparsity or energy target, scoring every step with
// a measure.Measurer:
//
//   - Magnitude pruning: unstructured (the smallest weights masked, by one
//     global threshold or the same fraction in every layer) or filter-level
//     (the filters with the smallest L2 norms removed from every layer, with
//     nn.RemoveFilters), in steps until the target is met.
//   - Energy-aware pruning (Yang, Chen and Sze, CVPR 2017): at each step the
//     layer that costs the most modelled energy is pruned by magnitude, and
//     the kept weights are restored by a closed-form least-squares fit of the
//     layer's output feature map on a calibration batch ([Restore]); a step
//     whose layer output error stays above a tolerance is undone and the
//     layer left alone, and when every layer is left alone the tolerance
//     doubles. With filters, the layers that read the pruned channels are
//     restored instead.
//
// Both end with an optional fine-tune, and every step's sparsity, modelled
// resource and accuracy is recorded.
package prune

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/nnergy/nnergy/internal/enum"
	"github.com/nnergy/nnergy/measure"
	"github.com/nnergy/nnergy/nn"
	"github.com/nnergy/nnergy/nn/data"
)

// Method is a pruning algorithm.
type Method uint8

// The methods.
const (
	Magnitude Method = iota
	EnergyAware
)

var methodNames = enum.New[Method]("prune", "method", "magnitude", "energy-aware")

func (m Method) String() string { return methodNames.String(m) }

// ParseMethod returns the method named s: magnitude or energy-aware.
func ParseMethod(s string) (Method, error) { return methodNames.Parse(s) }

// Granularity is what a pruning step removes.
type Granularity uint8

// The granularities.
const (
	Weight Granularity = iota // single weights, held at zero by masks
	Filter                    // whole output filters, removed from the model
)

var granularityNames = enum.New[Granularity]("prune", "granularity", "weight", "filter")

func (g Granularity) String() string { return granularityNames.String(g) }

// ParseGranularity returns the granularity named s: weight or filter.
func ParseGranularity(s string) (Granularity, error) { return granularityNames.Parse(s) }

// Target says when pruning stops: at a sparsity (the fraction of the
// original convolution and linear weights that are zero or removed) or at
// a fraction of the original modelled energy.
type Target struct {
	Energy   bool
	Fraction float64
}

// ParseTarget reads energy=F or sparsity=F with 0 < F < 1.
func ParseTarget(s string) (Target, error) {
	k, v, ok := strings.Cut(s, "=")
	f, err := strconv.ParseFloat(v, 64)
	if !ok || err != nil || !(f > 0 && f < 1) || (k != "energy" && k != "sparsity") {
		return Target{}, fmt.Errorf("prune: target %q: want energy=F or sparsity=F with 0 < F < 1", s)
	}
	return Target{Energy: k == "energy", Fraction: f}, nil
}

func (t Target) String() string {
	return t.kind() + "=" + strconv.FormatFloat(t.Fraction, 'g', -1, 64)
}

func (t Target) kind() string {
	if t.Energy {
		return "energy"
	}
	return "sparsity"
}

// before reports whether pruning meets t before u (same kind): a higher
// energy fraction or a lower sparsity.
func (t Target) before(u Target) bool {
	if t.Energy {
		return t.Fraction > u.Fraction
	}
	return t.Fraction < u.Fraction
}

// ParseTargets reads one target or several of one kind:
// energy=0.75,0.5,0.25 (or energy=0.75,energy=0.5). It returns the most
// pruned as the target and the others as milestones.
func ParseTargets(s string) (Target, []Target, error) {
	k, _, _ := strings.Cut(s, "=")
	var all []Target
	for _, part := range strings.Split(s, ",") {
		if !strings.Contains(part, "=") {
			part = k + "=" + part
		}
		t, err := ParseTarget(part)
		if err != nil {
			return Target{}, nil, err
		}
		if len(all) > 0 && t.Energy != all[0].Energy {
			return Target{}, nil, fmt.Errorf("prune: targets %q: all of one kind, energy or sparsity", s)
		}
		all = append(all, t)
	}
	last := 0
	for i, t := range all {
		if all[last].before(t) {
			last = i
		}
	}
	var ms []Target
	for i, t := range all {
		if i != last && t != all[last] {
			ms = append(ms, t)
		}
	}
	return all[last], ms, nil
}

// Config sets up a pruning run. Zero fields take the defaults given.
type Config struct {
	Method      Method
	Granularity Granularity
	// Target is where pruning stops.
	Target Target
	// Milestones are earlier targets of the same kind (less pruned than
	// Target) at which the model is also kept: each is fine-tuned and
	// scored like the final one, so one pruning run gives the accuracy at
	// several targets. Any order.
	Milestones []Target
	// PerLayer makes magnitude weight pruning mask the same fraction of
	// every layer instead of the smallest weights of the whole network.
	PerLayer bool
	// Increment is the sparsity added per magnitude step (weights), the
	// fraction of a layer's weights or filters removed per step (energy-
	// aware weights; filters). Default 0.1.
	Increment float64
	// Measurer scores every step. It must report energy when the target
	// is energy or the method is energy-aware.
	Measurer measure.Measurer
	// Calibration is the batch of inputs on which energy-aware pruning
	// fits each layer's output.
	Calibration *nn.Tensor
	// Tolerance is the relative output error ‖y − y₀‖²/‖y₀‖² a restored
	// layer may keep at first (default 0.02); it doubles each time no
	// layer can be pruned further within it, up to 1.
	Tolerance float64
	// Ridge regularizes the least-squares fits (default 1e-4 of the mean
	// diagonal).
	Ridge float64
	// MaxLayerSparsity caps the sparsity of one layer (default 0.98).
	MaxLayerSparsity float64
	// Test scores the accuracy after every step (none when nil).
	Test *data.Set
	// Train and Finetune fine-tune the pruned model at the end (skipped
	// when Train is nil or Finetune.Epochs is 0). Masks keep pruned
	// weights at zero.
	Train    *data.Set
	Finetune nn.TrainConfig
	// MaxSteps bounds the pruning steps (default 500).
	MaxSteps int
	// Workers for evaluation and calibration passes (default: every CPU).
	Workers int
	// OnStep, if set, is called after every recorded step (on a resume,
	// first for each step the checkpoint holds).
	OnStep func(Step)
	// Checkpoint, if set, is a directory where the run is saved after
	// every pruning step; Resume, if set, a directory holding the
	// checkpoint of this run (the same start model and options) to go on
	// from. A resumed run ends as the uninterrupted one does.
	Checkpoint, Resume string
}

// Step is one recorded state of the model.
type Step struct {
	Step   int    `json:"step"`
	Action string `json:"action"`
	Layer  string `json:"layer,omitempty"`
	// Sparsity is the fraction of the original convolution and linear
	// weights that are zero or removed.
	Sparsity    float64 `json:"sparsity"`
	EnergyPJ    float64 `json:"energy_pj"`
	EnergyRatio float64 `json:"energy_ratio"` // of the original
	LatencyS    float64 `json:"latency_s"`
	MACs        int64   `json:"macs"`
	Params      int64   `json:"params"`
	Accuracy    float64 `json:"accuracy"` // on Test; NaN without one
	// Target is set on the fine-tuning steps: the target (or milestone)
	// whose model was fine-tuned. The pruning steps leave it empty.
	Target string `json:"target,omitempty"`
	// LayerError is the relative output error of the restored layer after
	// the least-squares fit, PlainError the same before it (energy-aware).
	LayerError float64 `json:"layer_error,omitempty"`
	PlainError float64 `json:"plain_error,omitempty"`
}

// Result is the pruned model and the history of the run.
type Result struct {
	Model   *nn.Model
	Steps   []Step
	Reached bool // the target was met (before fine-tuning)
	// Targets has the milestones in pruning order and then the target.
	Targets []TargetResult
	// Tolerance is the layer error tolerance at the end (energy-aware).
	Tolerance float64
}

// TargetResult is the model kept at one target or milestone.
type TargetResult struct {
	Target  Target
	Reached bool
	// Pruned is the first pruning step that met the target (the last step
	// when it was not reached), Tuned the state after fine-tuning (Pruned
	// again without fine-tuning).
	Pruned, Tuned Step
	Model         *nn.Model
}

type run struct {
	ctx context.Context
	cfg Config
	// kept holds the milestones met so far, in order.
	kept    []TargetResult
	m       *nn.Model
	orig    int // original convolution and linear weights
	base    measure.Measurement
	res     *Result
	last    measure.Measurement
	workers int
	// origin is the start model, unchanged; start its digest (with a
	// checkpoint or a resume).
	origin *nn.Model
	start  string
	// tol is the energy-aware tolerance reached, saturated the layers
	// that cannot be pruned further within it.
	tol       float64
	saturated map[string]bool
	// level is the sparsity magnitude weight pruning has masked to (the
	// model's own rounds to whole weights).
	level float64
	// pruning is set while the pruning steps run (each is checkpointed).
	pruning bool
	// keptSaved is how many kept models the checkpoint has; savedModel
	// names its current model file.
	keptSaved  int
	savedModel string
}

// Run prunes a copy of m as cfg says and returns it with the history.
func Run(ctx context.Context, m *nn.Model, cfg Config) (*Result, error) {
	if cfg.Measurer == nil {
		return nil, fmt.Errorf("prune: no measurer")
	}
	if cfg.Increment == 0 {
		cfg.Increment = 0.1
	}
	if !(cfg.Increment > 0 && cfg.Increment < 1) {
		return nil, fmt.Errorf("prune: increment %v outside (0, 1)", cfg.Increment)
	}
	if cfg.Tolerance == 0 {
		cfg.Tolerance = 0.02
	}
	if cfg.Ridge == 0 {
		cfg.Ridge = 1e-4
	}
	if cfg.MaxLayerSparsity == 0 {
		cfg.MaxLayerSparsity = 0.98
	}
	if cfg.MaxSteps == 0 {
		cfg.MaxSteps = 500
	}
	if !(cfg.Target.Fraction > 0 && cfg.Target.Fraction < 1) {
		return nil, fmt.Errorf("prune: target %v outside (0, 1)", cfg.Target.Fraction)
	}
	ms := slices.Clone(cfg.Milestones)
	for _, t := range ms {
		if t.Energy != cfg.Target.Energy || !(t.Fraction > 0 && t.Fraction < 1) || !t.before(cfg.Target) {
			return nil, fmt.Errorf("prune: milestone %v: want a %s target less pruned than %v", t, cfg.Target.kind(), cfg.Target)
		}
	}
	slices.SortFunc(ms, func(a, b Target) int {
		if a.before(b) {
			return -1
		}
		if b.before(a) {
			return 1
		}
		return 0
	})
	cfg.Milestones = slices.Compact(ms)
	if cfg.Method == EnergyAware && cfg.Calibration == nil {
		return nil, fmt.Errorf("prune: energy-aware pruning needs a calibration batch")
	}
	r := &run{ctx: ctx, cfg: cfg, m: m.Clone(), origin: m, res: &Result{Tolerance: cfg.Tolerance}, workers: cfg.Workers,
		tol: cfg.Tolerance, saturated: map[string]bool{}}
	for _, n := range r.m.Nodes {
		if w, _ := weightsOf(n.Layer); w != nil {
			r.orig += w.Len()
		}
	}
	var err error
	if r.base, err = cfg.Measurer.Measure(ctx, r.m); err != nil {
		return nil, err
	}
	if (cfg.Target.Energy || cfg.Method == EnergyAware) && !(r.base.Total.EnergyPJ > 0) {
		return nil, fmt.Errorf("prune: the measurer reports no energy; an energy target and energy-aware pruning need one")
	}
	r.last = r.base
	if cfg.Checkpoint != "" || cfg.Resume != "" {
		if r.start, err = nn.Digest(m); err != nil {
			return nil, err
		}
	}
	r.pruning = true
	if cfg.Resume != "" {
		if err := r.restore(cfg.Resume); err != nil {
			return nil, err
		}
		if err := r.measure(); err != nil {
			return nil, err
		}
		if cfg.OnStep != nil {
			for _, s := range r.res.Steps {
				cfg.OnStep(s)
			}
		}
	} else {
		r.level = r.sparsity()
		if err := r.record("start", "", nil); err != nil {
			return nil, err
		}
	}
	// A run resumed after the step that met the target prunes no more.
	if cfg.Resume == "" || !r.done() {
		switch {
		case cfg.Method == EnergyAware:
			err = r.energyAware()
		case cfg.Granularity == Filter:
			err = r.magnitudeFilters()
		default:
			err = r.magnitudeWeights()
		}
		if err != nil {
			return nil, err
		}
	}
	r.pruning = false
	if cfg.Method == EnergyAware {
		r.res.Tolerance = r.tol
	}
	r.res.Reached = r.met(cfg.Target)
	// Milestones never met are reported at the last step, unreached.
	for _, t := range cfg.Milestones[len(r.kept):] {
		r.kept = append(r.kept, TargetResult{Target: t, Pruned: r.res.Steps[len(r.res.Steps)-1], Model: r.m.Clone()})
	}
	final := TargetResult{Target: cfg.Target, Reached: r.res.Reached, Pruned: r.res.Steps[len(r.res.Steps)-1], Model: r.m}
	r.kept = append(r.kept, final)
	for i := range r.kept {
		k := &r.kept[i]
		k.Tuned = k.Pruned
		if cfg.Train == nil || cfg.Finetune.Epochs == 0 {
			continue
		}
		ft := cfg.Finetune
		if ft.Workers == 0 {
			ft.Workers = cfg.Workers
		}
		if _, err := nn.Train(ctx, k.Model, cfg.Train, nil, ft); err != nil {
			return nil, err
		}
		r.m = k.Model
		if err := r.measure(); err != nil {
			return nil, err
		}
		action := fmt.Sprintf("fine-tune %d epochs", ft.Epochs)
		if len(r.kept) > 1 {
			action += " at " + k.Target.String()
		}
		if err := r.record(action, "", nil); err != nil {
			return nil, err
		}
		r.res.Steps[len(r.res.Steps)-1].Target = k.Target.String()
		k.Tuned = r.res.Steps[len(r.res.Steps)-1]
	}
	r.res.Targets = r.kept
	r.res.Model = final.Model
	return r.res, nil
}

func (r *run) measure() error {
	ms, err := r.cfg.Measurer.Measure(r.ctx, r.m)
	r.last = ms
	return err
}

// sparsity is the fraction of the original weights that are zero or gone.
func (r *run) sparsity() float64 {
	nz := 0
	for _, n := range r.m.Nodes {
		if w, _ := weightsOf(n.Layer); w != nil {
			nz += w.Len() - w.Zeros()
		}
	}
	return 1 - float64(nz)/float64(r.orig)
}

// met reports whether the last measurement meets t.
func (r *run) met(t Target) bool {
	if t.Energy {
		return r.last.Total.EnergyPJ <= t.Fraction*r.base.Total.EnergyPJ*(1+1e-12)
	}
	return r.sparsity() >= t.Fraction-1e-9
}

// done reports whether the last measurement meets the target.
func (r *run) done() bool { return r.met(r.cfg.Target) }

// pending returns the first milestone not yet met, or the target.
func (r *run) pending() Target {
	if len(r.kept) < len(r.cfg.Milestones) {
		return r.cfg.Milestones[len(r.kept)]
	}
	return r.cfg.Target
}

// record appends a step for the model as last measured.
func (r *run) record(action, layer string, errs *[2]float64) error {
	s := Step{Step: len(r.res.Steps), Action: action, Layer: layer, Sparsity: r.sparsity(),
		EnergyPJ: r.last.Total.EnergyPJ, LatencyS: r.last.Total.LatencyS, MACs: r.last.Total.MACs,
		Params: r.last.Total.Params, Accuracy: math.NaN()}
	if r.base.Total.EnergyPJ > 0 {
		s.EnergyRatio = s.EnergyPJ / r.base.Total.EnergyPJ
	}
	if errs != nil {
		s.PlainError, s.LayerError = errs[0], errs[1]
	}
	if r.cfg.Test != nil {
		sc, err := nn.Evaluate(r.m, r.cfg.Test, 0, r.workers)
		if err != nil {
			return err
		}
		s.Accuracy = sc.Accuracy
	}
	r.res.Steps = append(r.res.Steps, s)
	if r.cfg.OnStep != nil {
		r.cfg.OnStep(s)
	}
	// Keep the model at every milestone this step meets. (The fine-tunes
	// at the end record steps too, but by then every milestone is kept.)
	for len(r.kept) < len(r.cfg.Milestones) && r.met(r.pending()) {
		r.kept = append(r.kept, TargetResult{Target: r.pending(), Reached: true, Pruned: s, Model: r.m.Clone()})
	}
	if r.pruning && r.cfg.Checkpoint != "" {
		return r.save()
	}
	return nil
}

// stepsDone returns the pruning steps recorded (the start is not one).
func (r *run) stepsDone() int { return len(r.res.Steps) - 1 }

// weightNodes lists the convolution and linear nodes in model order.
func weightNodes(m *nn.Model) []string {
	var out []string
	for _, n := range m.Nodes {
		if w, _ := weightsOf(n.Layer); w != nil {
			out = append(out, n.Name)
		}
	}
	return out
}

func (r *run) magnitudeWeights() error {
	s := r.level
	for step := r.stepsDone(); step < r.cfg.MaxSteps; step++ {
		if err := r.ctx.Err(); err != nil {
			return err
		}
		next := math.Round((s+r.cfg.Increment)*1e9) / 1e9
		if t := r.pending(); !t.Energy {
			next = min(next, t.Fraction)
		}
		next = min(next, r.cfg.MaxLayerSparsity)
		if next <= s {
			return nil
		}
		s = next
		r.level = s
		if err := r.maskTo(s); err != nil {
			return err
		}
		if err := r.measure(); err != nil {
			return err
		}
		how := "global"
		if r.cfg.PerLayer {
			how = "per layer"
		}
		if err := r.record(fmt.Sprintf("mask %s to %.0f%%", how, 100*s), "", nil); err != nil {
			return err
		}
		if r.done() {
			return nil
		}
	}
	return nil
}

// maskTo masks the smallest weights so that a fraction s of every layer
// (PerLayer) or of all weights is zero.
func (r *run) maskTo(s float64) error {
	names := weightNodes(r.m)
	if r.cfg.PerLayer {
		for _, name := range names {
			w, _ := weightsOf(r.m.Node(name).Layer)
			if err := w.MaskSmallest(s); err != nil {
				return err
			}
		}
		return nil
	}
	type ref struct {
		p   int
		i   int
		mag float64
	}
	var all []ref
	var ps []*nn.Param
	for pi, name := range names {
		w, _ := weightsOf(r.m.Node(name).Layer)
		ps = append(ps, w)
		for i, v := range w.Data {
			mag := math.Abs(float64(v))
			if w.Mask != nil && !w.Mask[i] {
				mag = -1
			}
			all = append(all, ref{pi, i, mag})
		}
	}
	slices.SortStableFunc(all, func(a, b ref) int { return cmp.Compare(a.mag, b.mag) })
	keep := make([][]bool, len(ps))
	for i, p := range ps {
		keep[i] = make([]bool, p.Len())
		for j := range keep[i] {
			keep[i][j] = true
		}
	}
	for _, x := range all[:int(math.Round(s*float64(len(all))))] {
		keep[x.p][x.i] = false
	}
	for i, p := range ps {
		if err := p.SetMask(keep[i]); err != nil {
			return err
		}
	}
	return nil
}

// smallestFilters returns the k filters of node with the smallest L2 norms.
func smallestFilters(m *nn.Model, node string, k int) ([]int, error) {
	norms, err := nn.FilterNorms(m, node)
	if err != nil {
		return nil, err
	}
	idx := make([]int, len(norms))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(norms[a], norms[b]) })
	out := slices.Clone(idx[:k])
	slices.Sort(out)
	return out, nil
}

// removable returns how many filters to remove from node in one step and
// whether it can lose them (it is not the output, and RemoveFilters
// accepts it).
func (r *run) removable(node string) ([]int, bool) {
	w, _ := weightsOf(r.m.Node(node).Layer)
	filters := w.Shape[0]
	k := max(1, int(math.Round(r.cfg.Increment*float64(filters))))
	if filters-k < 1 {
		return nil, false
	}
	idx, err := smallestFilters(r.m, node, k)
	if err != nil {
		return nil, false
	}
	if _, err := nn.RemoveFilters(r.m.Clone(), node, idx); err != nil {
		return nil, false
	}
	return idx, true
}

func (r *run) magnitudeFilters() error {
	for step := r.stepsDone(); step < r.cfg.MaxSteps; step++ {
		if err := r.ctx.Err(); err != nil {
			return err
		}
		removed := 0
		for _, name := range weightNodes(r.m) {
			idx, ok := r.removable(name)
			if !ok {
				continue
			}
			if _, err := nn.RemoveFilters(r.m, name, idx); err != nil {
				return err
			}
			removed += len(idx)
		}
		if removed == 0 {
			return nil
		}
		if err := r.measure(); err != nil {
			return err
		}
		if err := r.record(fmt.Sprintf("remove %d filters (%.0f%% of each layer)", removed, 100*r.cfg.Increment), "", nil); err != nil {
			return err
		}
		if r.done() {
			return nil
		}
	}
	return nil
}

// energyAware prunes the layer with the most modelled energy at every step.
func (r *run) energyAware() error {
	names := weightNodes(r.m)
	// The original outputs of every layer (of the start model, also when
	// resumed): what the restored layers fit.
	orig, err := measure.Activations(r.origin, r.cfg.Calibration, names, r.workers)
	if err != nil {
		return err
	}
	saturated := r.saturated
	for step := r.stepsDone(); step < r.cfg.MaxSteps; {
		if err := r.ctx.Err(); err != nil {
			return err
		}
		order := slices.Clone(r.last.Layers)
		slices.SortStableFunc(order, func(a, b measure.LayerResource) int { return cmp.Compare(b.EnergyPJ, a.EnergyPJ) })
		pruned := false
		for _, l := range order {
			if w, _ := weightsOf(r.m.Node(l.Name).Layer); saturated[l.Name] || w == nil {
				// Matrix products of two activations (attention) have
				// no weights to prune.
				continue
			}
			prev := r.m.Clone()
			var errs [2]float64
			var action string
			var ok bool
			if r.cfg.Granularity == Filter {
				action, ok, errs, err = r.removeAndRestore(l.Name)
			} else {
				action, ok, errs, err = r.maskAndRestore(l.Name, orig[l.Name])
			}
			if err != nil {
				return err
			}
			if !ok || errs[1] > r.tol {
				r.m = prev
				saturated[l.Name] = true
				continue
			}
			if err := r.measure(); err != nil {
				return err
			}
			if err := r.record(action, l.Name, &errs); err != nil {
				return err
			}
			step++
			pruned = true
			break
		}
		if pruned {
			if r.done() {
				break
			}
			continue
		}
		if r.tol >= 1 {
			break
		}
		r.tol = min(2*r.tol, 1)
		clear(saturated)
	}
	return nil
}

// maskAndRestore raises node's sparsity by one increment of what is left
// and restores its kept weights to fit ref, its original output.
func (r *run) maskAndRestore(node string, ref *nn.Tensor) (string, bool, [2]float64, error) {
	n := r.m.Node(node)
	w, _ := weightsOf(n.Layer)
	s := w.Sparsity()
	next := min(s+r.cfg.Increment*(1-s), r.cfg.MaxLayerSparsity)
	if next-s < 0.5/float64(w.Len()) {
		return "", false, [2]float64{}, nil
	}
	if err := w.MaskSmallest(next); err != nil {
		return "", false, [2]float64{}, err
	}
	in, err := measure.Activations(r.m, r.cfg.Calibration, n.Inputs[:1], r.workers)
	if err != nil {
		return "", false, [2]float64{}, err
	}
	before, after, err := Restore(r.m, node, in[n.Inputs[0]], ref, r.cfg.Ridge)
	if err != nil {
		return "", false, [2]float64{}, err
	}
	return fmt.Sprintf("mask %s to %.0f%%, restore", node, 100*w.Sparsity()), true, [2]float64{before, after}, nil
}

// removeAndRestore removes one increment of node's filters (the smallest
// L2 norms) and restores the dense layers that read the removed channels to
// fit their outputs before the removal. The error is the largest of theirs.
func (r *run) removeAndRestore(node string) (string, bool, [2]float64, error) {
	idx, ok := r.removable(node)
	if !ok {
		return "", false, [2]float64{}, nil
	}
	dry := r.m.Clone()
	changes, err := nn.RemoveFilters(dry, node, idx)
	if err != nil {
		return "", false, [2]float64{}, err
	}
	var readers []string
	for _, c := range changes {
		if (c.Kind == nn.KindConv || c.Kind == nn.KindLinear) && len(c.Out) == 0 && len(c.In) > 0 {
			readers = append(readers, c.Node)
		}
	}
	refs, err := measure.Activations(r.m, r.cfg.Calibration, readers, r.workers)
	if err != nil {
		return "", false, [2]float64{}, err
	}
	if _, err := nn.RemoveFilters(r.m, node, idx); err != nil {
		return "", false, [2]float64{}, err
	}
	var errs [2]float64
	for _, rd := range readers {
		n := r.m.Node(rd)
		in, err := measure.Activations(r.m, r.cfg.Calibration, n.Inputs[:1], r.workers)
		if err != nil {
			return "", false, errs, err
		}
		before, after, err := Restore(r.m, rd, in[n.Inputs[0]], refs[rd], r.cfg.Ridge)
		if err != nil {
			return "", false, errs, err
		}
		errs[0], errs[1] = max(errs[0], before), max(errs[1], after)
	}
	return fmt.Sprintf("remove %d filters of %s, restore %s", len(idx), node, strings.Join(readers, ", ")), true, errs, nil
}
