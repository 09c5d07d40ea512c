// Package netadapt adapts a trained network (package nn) to a resource
// budget with NetAdapt (Yang et al., ECCV 2018), scoring every candidate
// with a measure.Measurer: modelled energy, latency or EDP on an
// accelerator, latency on this CPU, or MACs and parameters.
//
// Starting from the model's measured resource R₀, iteration i sets the
// target current − r·d^(i−1), where r is InitReduction·R₀ (default
// 0.025·R₀) and d the Decay (default 0.96); the target never goes below
// the budget. Each convolution or linear layer whose filters can be
// removed (nn.RemoveFilters keeps the model consistent, residual-coupled
// layers included) makes one proposal: the fewest of its filters removed,
// keeping those with the largest L2 norms, such that the measured resource
// meets the target. Every proposal is fine-tuned briefly and scored on
// held-out data by a [Tuner] (the built-in [Trainer], or a user's
// [Command]); the best one, by the highest accuracy or by the least
// accuracy lost per unit of resource saved, becomes the current model.
// Iterations stop when the budget is met or no layer can meet a target;
// then the model is fine-tuned for the long term. Every proposal is
// recorded.
//
// Proposals are measured and fine-tuned in parallel (Config.Workers), each
// on its own copy of the model with a seed derived from the run's seed,
// the iteration and the layer, so a run gives the same result whatever
// the number of workers. With Config.Checkpoint, the model and the history
// are written after every iteration, and [Resume] continues an
// interrupted run to the same result.
package netadapt

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"

	"github.com/nnergy/nnergy/internal/enum"
	"github.com/nnergy/nnergy/measure"
	"github.com/nnergy/nnergy/nn"
)

// Selection is the rule that picks an iteration's proposal.
type Selection uint8

// The rules.
const (
	// HighestAccuracy keeps the proposal with the highest accuracy after
	// its short-term fine-tune (the paper's rule).
	HighestAccuracy Selection = iota
	// BestRatio keeps the proposal that loses the least accuracy per unit
	// of resource saved, (a₀ − a)/(R₀ − R) against the current model (the
	// rule of the reference implementation).
	BestRatio
)

var selectionNames = enum.New[Selection]("netadapt", "selection", "accuracy", "ratio")

func (s Selection) String() string { return selectionNames.String(s) }

// ParseSelection returns the rule named s: accuracy or ratio.
func ParseSelection(s string) (Selection, error) { return selectionNames.Parse(s) }

// Config sets up a run. Zero fields take the defaults given.
type Config struct {
	Measurer measure.Measurer
	Budget   Budget
	// InitReduction is the first iteration's reduction as a fraction of
	// the initial resource (default 0.025); Decay shrinks it per iteration
	// (default 0.96).
	InitReduction float64
	Decay         float64
	Select        Selection
	// Tuner fine-tunes and scores proposals (Phase Short), the starting
	// model (Phase Score) and the result (Phase Long, when LongTerm).
	Tuner    Tuner
	LongTerm bool
	// Workers is the number of proposals handled at once (default: every
	// CPU).
	Workers int
	// MaxIterations bounds the run (default 500).
	MaxIterations int
	Seed          uint64
	// Checkpoint, if set, is a directory where the model and the history
	// are written after every iteration (see [Resume]).
	Checkpoint string
	// OnIteration, if set, is called after every iteration.
	OnIteration func(Iteration, []Proposal)
}

// Proposal is one candidate of an iteration.
type Proposal struct {
	Iteration int    `json:"iteration"`
	Layer     string `json:"layer"`
	Removed   int    `json:"removed"` // filters removed from Layer
	Filters   int    `json:"filters"` // filters Layer keeps
	// Resource is measured before the fine-tune (the pruning decision),
	// Ratio is it over the initial resource.
	Resource float64 `json:"resource"`
	Ratio    float64 `json:"ratio"`
	Accuracy float64 `json:"accuracy"` // after the short-term fine-tune
	Chosen   bool    `json:"chosen"`
}

// Iteration is what one iteration chose.
type Iteration struct {
	Iteration int     `json:"iteration"`
	Target    float64 `json:"target"`
	Layer     string  `json:"layer"`
	Removed   int     `json:"removed"`
	Filters   int     `json:"filters"`
	// Resource is the chosen model's, measured after its fine-tune.
	Resource  float64 `json:"resource"`
	Ratio     float64 `json:"ratio"`
	Accuracy  float64 `json:"accuracy"`
	Proposals int     `json:"proposals"`
}

// Result is the adapted model and the history of the run.
type Result struct {
	Model  *nn.Model `json:"-"`
	Metric string    `json:"metric"`
	// Initial is the starting resource, Budget and InitReduction are in
	// its unit.
	Initial         float64     `json:"initial"`
	Budget          float64     `json:"budget"`
	InitReduction   float64     `json:"init_reduction"`
	Decay           float64     `json:"decay"`
	InitialAccuracy float64     `json:"initial_accuracy"`
	Iterations      []Iteration `json:"iterations"`
	Proposals       []Proposal  `json:"proposals"`
	// Resource and Accuracy are the final model's (after the long-term
	// fine-tune when there is one); Met says whether Resource is within
	// the budget.
	Resource float64 `json:"resource"`
	Accuracy float64 `json:"accuracy"`
	Met      bool    `json:"met"`
	Stop     string  `json:"stop"`
}

// slack is the relative tolerance of "meets": measurements sum floats.
const slack = 1e-12

// Meets reports whether resource v meets target, within a relative 1e-12
// (measurements sum floats).
func Meets(v, target float64) bool { return v <= target*(1+slack) }

type run struct {
	ctx    context.Context
	cfg    Config
	metric measure.Metric
	m      *nn.Model
	res    *Result
	next   int     // the next iteration
	acc    float64 // the current model's accuracy
	cur    float64 // the current model's resource
}

// Run adapts a copy of m to cfg.Budget.
func Run(ctx context.Context, m *nn.Model, cfg Config) (*Result, error) {
	r, err := newRun(ctx, cfg)
	if err != nil {
		return nil, err
	}
	r.m = m.Clone()
	ms, err := r.cfg.Measurer.Measure(ctx, r.m)
	if err != nil {
		return nil, err
	}
	init := ms.Total.Value(r.metric)
	if !(init > 0) {
		return nil, fmt.Errorf("netadapt: the measurer reports no %s for the model", r.metric)
	}
	_, acc, err := r.cfg.Tuner.Tune(ctx, r.m.Clone(), Job{Phase: Score, Seed: seedFor(r.cfg.Seed, 0, 0)})
	if err != nil {
		return nil, err
	}
	r.res = &Result{Metric: r.metric.String(), Initial: init, Budget: r.cfg.Budget.Resolve(init),
		InitReduction: r.cfg.InitReduction * init, Decay: r.cfg.Decay, InitialAccuracy: acc,
		Iterations: []Iteration{}, Proposals: []Proposal{}}
	r.next, r.acc, r.cur = 1, acc, init
	return r.loop()
}

func newRun(ctx context.Context, cfg Config) (*run, error) {
	if cfg.Measurer == nil {
		return nil, fmt.Errorf("netadapt: no measurer")
	}
	if cfg.Tuner == nil {
		return nil, fmt.Errorf("netadapt: no tuner")
	}
	if cfg.InitReduction == 0 {
		cfg.InitReduction = 0.025
	}
	if cfg.Decay == 0 {
		cfg.Decay = 0.96
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.MaxIterations <= 0 {
		cfg.MaxIterations = 500
	}
	if err := CheckSchedule(cfg.Budget, cfg.InitReduction, cfg.Decay); err != nil {
		return nil, err
	}
	return &run{ctx: ctx, cfg: cfg, metric: cfg.Budget.Metric}, nil
}

// loop runs iterations from r.next until the budget is met, then the
// long-term fine-tune.
func (r *run) loop() (*Result, error) {
	res := r.res
	var err error
	res.Stop, err = Iterate(r.ctx, &r.next, r.cfg.MaxIterations, res, func() bool { return Meets(r.cur, res.Budget) }, r.iterate,
		func() error {
			if r.cfg.Checkpoint == "" {
				return nil
			}
			return r.save(r.next + 1)
		}, r.cfg.OnIteration)
	if err != nil {
		return nil, err
	}
	res.Accuracy, res.Resource = r.acc, r.cur
	if r.cfg.LongTerm {
		m, acc, err := r.cfg.Tuner.Tune(r.ctx, r.m, Job{Phase: Long, Seed: seedFor(r.cfg.Seed, 0, 1)})
		if err != nil {
			return nil, err
		}
		ms, err := r.cfg.Measurer.Measure(r.ctx, m)
		if err != nil {
			return nil, err
		}
		r.m, res.Accuracy, res.Resource = m, acc, ms.Total.Value(r.metric)
	}
	res.Met = Meets(res.Resource, res.Budget)
	res.Model = r.m
	return res, nil
}

// Iterate runs the iterations of a search from *next until done reports
// the budget met: iterate runs iteration *next (ok false when no proposal
// meets its target) and appends it to res; then save (checkpoints) and
// onIteration, if set, follow. It stops after maxIterations, and returns
// the reason, the Result.Stop texts: "budget met", "stopped after N
// iterations" or "no layer can meet iteration N's target"; or the first
// error, ctx's included. *next is the iteration that did not run.
func Iterate(ctx context.Context, next *int, maxIterations int, res *Result, done func() bool, iterate func() (bool, error),
	save func() error, onIteration func(Iteration, []Proposal)) (string, error) {
	for ; !done(); *next++ {
		if *next > maxIterations {
			return fmt.Sprintf("stopped after %d iterations", maxIterations), nil
		}
		if err := ctx.Err(); err != nil {
			return "", err
		}
		ok, err := iterate()
		if err != nil {
			return "", err
		}
		if !ok {
			return fmt.Sprintf("no layer can meet iteration %d's target", *next), nil
		}
		if err := save(); err != nil {
			return "", err
		}
		if onIteration != nil {
			it := res.Iterations[len(res.Iterations)-1]
			onIteration(it, res.Proposals[len(res.Proposals)-it.Proposals:])
		}
	}
	return "budget met", nil
}

// Layers returns the convolution and linear layers of m that can lose a
// filter: not the output, more than one filter, and accepted by
// nn.RemoveFilters (see nn.Prunable, which says why the others cannot).
// NetAdapt proposes only these.
func Layers(m *nn.Model) []string {
	ok, _, err := nn.Prunable(m)
	if err != nil {
		return nil
	}
	return ok
}

func filters(m *nn.Model, n *nn.Node) int {
	switch l := n.Layer.(type) {
	case *nn.Conv:
		return l.OutC
	case *nn.Linear:
		return l.Out
	case *nn.MatMul:
		// An attention product's heads (see nn.RemoveHeads).
		if ns, err := nn.FilterNorms(m, n.Name); err == nil {
			return len(ns)
		}
	}
	return 0
}

// Smallest returns the k filters of node with the smallest L2 norms, in
// increasing index order: the ones NetAdapt removes to keep the largest.
func Smallest(m *nn.Model, node string, k int) ([]int, error) {
	norms, err := nn.FilterNorms(m, node)
	if err != nil {
		return nil, err
	}
	if k > len(norms) {
		return nil, fmt.Errorf("netadapt: %s has %d filters, cannot remove %d", node, len(norms), k)
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

// Propose returns m with the fewest filters of node removed (keeping the
// largest L2 norms) whose measured resource meets target, the number
// removed and the resource; ok is false when even keeping one filter does
// not meet it. The count is found by bisection and then lowered while one
// filter fewer still meets the target, so the result always meets it and
// one filter fewer never does.
func Propose(ctx context.Context, m *nn.Model, node string, ms measure.Measurer, metric measure.Metric, target float64) (p *nn.Model, removed int, resource float64, ok bool, err error) {
	n := m.Node(node)
	if n == nil {
		return nil, 0, 0, false, fmt.Errorf("netadapt: no node %q", node)
	}
	total := filters(m, n)
	type try struct {
		m *nn.Model
		v float64
	}
	tries := map[int]try{}
	at := func(k int) (try, error) {
		if t, ok := tries[k]; ok {
			return t, nil
		}
		c := m.Clone()
		idx, err := Smallest(c, node, k)
		if err != nil {
			return try{}, err
		}
		if _, err := nn.RemoveFilters(c, node, idx); err != nil {
			return try{}, err
		}
		mm, err := ms.Measure(ctx, c)
		if err != nil {
			return try{}, err
		}
		t := try{c, mm.Total.Value(metric)}
		tries[k] = t
		return t, nil
	}
	if total < 2 {
		return nil, 0, 0, false, nil
	}
	hi := total - 1
	t, err := at(hi)
	if err != nil || !Meets(t.v, target) {
		return nil, 0, 0, false, err
	}
	lo := 0 // lo does not meet (0 removed: the current model is above the target)
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		t, err := at(mid)
		if err != nil {
			return nil, 0, 0, false, err
		}
		if Meets(t.v, target) {
			hi = mid
		} else {
			lo = mid
		}
	}
	for hi > 1 {
		t, err := at(hi - 1)
		if err != nil {
			return nil, 0, 0, false, err
		}
		if !Meets(t.v, target) {
			break
		}
		hi--
	}
	t = tries[hi]
	return t.m, hi, t.v, true, nil
}

// iterate runs iteration r.next; ok is false when no layer can meet its
// target.
func (r *run) iterate() (bool, error) {
	res := r.res
	target := Target(r.cur, res.InitReduction, res.Decay, r.next, res.Budget)
	layers := Layers(r.m)
	type out struct {
		m        *nn.Model
		p        Proposal
		ok       bool
		err      error
		resource float64
	}
	outs := make([]out, len(layers))
	ctx, cancel := context.WithCancel(r.ctx)
	defer cancel()
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(r.cfg.Workers, len(layers)) {
		wg.Go(func() {
			for j := range jobs {
				o := &outs[j]
				pm, k, v, ok, err := Propose(ctx, r.m, layers[j], r.cfg.Measurer, r.metric, target)
				if err == nil && ok {
					o.p = Proposal{Iteration: r.next, Layer: layers[j], Removed: k, Filters: filters(pm, pm.Node(layers[j])),
						Resource: v, Ratio: v / res.Initial}
					o.m, o.p.Accuracy, err = r.cfg.Tuner.Tune(ctx, pm, Job{Phase: Short, Iteration: r.next,
						Layer: layers[j], Seed: seedFor(r.cfg.Seed, r.next, j)})
					o.ok = err == nil
				}
				if err != nil {
					o.err = err
					cancel()
				}
			}
		})
	}
	for j := range layers {
		if ctx.Err() != nil {
			break
		}
		jobs <- j
	}
	close(jobs)
	wg.Wait()
	if err := r.ctx.Err(); err != nil {
		return false, err
	}
	// The first error that is not the cancellation it caused.
	var first error
	for j := range outs {
		if err := outs[j].err; err != nil && (first == nil || errors.Is(first, context.Canceled) && !errors.Is(err, context.Canceled)) {
			first = err
		}
	}
	if first != nil {
		return false, first
	}
	best := -1
	for j := range outs {
		if outs[j].ok && (best < 0 || r.better(outs[j].p, outs[best].p)) {
			best = j
		}
	}
	if best < 0 {
		return false, nil
	}
	n := 0
	for j := range outs {
		if outs[j].ok {
			outs[j].p.Chosen = j == best
			res.Proposals = append(res.Proposals, outs[j].p)
			n++
		}
	}
	b := outs[best]
	ms, err := r.cfg.Measurer.Measure(r.ctx, b.m)
	if err != nil {
		return false, err
	}
	r.m, r.acc, r.cur = b.m, b.p.Accuracy, ms.Total.Value(r.metric)
	res.Iterations = append(res.Iterations, Iteration{Iteration: r.next, Target: target, Layer: b.p.Layer,
		Removed: b.p.Removed, Filters: b.p.Filters, Resource: r.cur, Ratio: r.cur / res.Initial,
		Accuracy: r.acc, Proposals: n})
	return true, nil
}

// better reports whether proposal a beats b (b earlier in layer order).
func (r *run) better(a, b Proposal) bool {
	return r.cfg.Select.Better(r.acc, r.cur, a.Accuracy, a.Resource, b.Accuracy, b.Resource)
}

// Better reports whether a proposal of accuracy aAcc and resource aRes
// beats one of bAcc and bRes under rule s, against a current model of
// accuracy acc and resource cur: the higher accuracy (HighestAccuracy), or
// the least accuracy lost per unit of resource saved (BestRatio); ties go
// to the higher accuracy, then the lower resource.
func (s Selection) Better(acc, cur, aAcc, aRes, bAcc, bRes float64) bool {
	if s == BestRatio {
		la, lb := lossPerSaved(acc, cur, aAcc, aRes), lossPerSaved(acc, cur, bAcc, bRes)
		if la != lb {
			return la < lb
		}
	}
	if aAcc != bAcc {
		return aAcc > bAcc
	}
	return aRes < bRes
}

// lossPerSaved is the accuracy lost per unit of resource saved against
// the current model.
func lossPerSaved(acc, cur, pAcc, pRes float64) float64 {
	saved := cur - pRes
	if !(saved > 0) {
		return math.Inf(1)
	}
	return (acc - pAcc) / saved
}
