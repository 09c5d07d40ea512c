// Package netadaptv2 adapts a network (package nn) to a resource budget
// with NetAdaptV2 (Yang, Liao and Sze, CVPR 2021): one super-network
// trained with ordered dropout stands in for the fine-tuning of every
// candidate, and multi-layer coordinate descent shrinks several layers at
// once, scoring each candidate by the super-network's accuracy without
// training. Any measure.Measurer scores the resource, as in package
// netadapt (the hardware model, CPU latency, MACs).
//
// The run: (1) train the starting model as a super-network with ordered
// dropout ([TrainSuper]: each step trains sub-networks that keep a prefix
// of each layer's filters, see [Sampling]); (2) from the full widths,
// iteration i sets NetAdapt's target current − r·d^(i−1) (never below the
// budget) and samples Proposals candidates, each shrinking Layers units
// at once by the least amount that meets the target per the measurer;
// each is scored on held-out data by the super-network masked to its
// widths (batch norm recalibrated; optionally after a short fine-tune of
// the extracted sub-network), and the best by the selection rule becomes
// the current widths; (3) at the budget the sub-network is extracted by
// surgery and trained (the long-term fine-tune; without it, its batch norm
// recalibrated as when it was scored) and re-measured.
//
// Channel-level bypass connections (CBC, on unless Config.NoBypass) make
// depth a search dimension: a layer whose input and output have one shape
// is a bypass unit (see [Unit]) whose width runs down to 0; at width k it
// computes its first k channels and the others carry its input (nn.CBC),
// in training, scoring and the extracted network alike, and at 0 it
// leaves the network (nn.PartialBypass). The other units keep at least
// their smallest width.
package netadaptv2

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"

	"github.com/nnergy/nnergy/internal/outfile"
	"github.com/nnergy/nnergy/internal/pool"
	"github.com/nnergy/nnergy/measure"
	"github.com/nnergy/nnergy/netadapt"
	"github.com/nnergy/nnergy/nn"
	"github.com/nnergy/nnergy/nn/data"
)

// Config sets up a run. Zero fields take the defaults given.
type Config struct {
	Measurer measure.Measurer
	Budget   netadapt.Budget
	// InitReduction and Decay set each iteration's target as in NetAdapt
	// (defaults 0.025 and 0.96).
	InitReduction float64
	Decay         float64
	Select        netadapt.Selection
	// Proposals per iteration (default 8), each shrinking Layers units at
	// once (default 2; all of them when fewer can shrink).
	Proposals int
	Layers    int
	// Super trains the super-network; its Train is the training set and
	// its Sampling the ordered-dropout rule (default DefaultSampling).
	Super TrainConfig
	// Holdout scores the proposals (the super-network masked to their
	// widths); Calibration gives CalibBatches batches of 64 to recalibrate
	// batch norm (default Super.Train, 20 batches).
	Holdout      *data.Set
	Calibration  *data.Set
	CalibBatches int
	// Tuner scores the starting model (netadapt.Score), trains the
	// discovered network (netadapt.Long, when LongTerm) and, with
	// ShortTune, fine-tunes each proposal's extracted sub-network before
	// scoring it (netadapt.Short).
	Tuner     netadapt.Tuner
	LongTerm  bool
	ShortTune bool
	// Workers is the number of proposals scored at once (default every
	// CPU); the result does not depend on it.
	Workers       int
	MaxIterations int // default 500
	Seed          uint64
	// NoBypass turns off the channel-level bypass connections: no unit is
	// a bypass unit (see [Unit]), every width stays at least its Min.
	NoBypass bool
	// Checkpoint, if set, is a directory where the super-network and the
	// search state are written (see [Resume]).
	Checkpoint  string
	OnTrained   func(TrainStats)
	OnIteration func(netadapt.Iteration, []netadapt.Proposal)
	scoreEach   bool // tests: score every proposal, those with the same widths too
}

// Result is the run's history in package netadapt's form (so reports,
// plots and comparisons take either method) and what is particular to
// NetAdaptV2.
type Result struct {
	*netadapt.Result
	Units  []Unit `json:"units"`
	Widths Widths `json:"widths"` // the discovered network's
	// SuperAccuracy is the trained super-network's held-out accuracy at
	// full width.
	SuperAccuracy float64    `json:"super_accuracy"`
	Train         TrainStats `json:"train"`
	scored        int        // proposals scored on the super-network (those with the same widths once)
}

type run struct {
	ctx    context.Context
	cfg    Config
	metric measure.Metric
	s      *Super
	res    *Result
	w      Widths
	next   int
	acc    float64
	cur    float64
}

// Run adapts a copy of m to cfg.Budget.
func Run(ctx context.Context, m *nn.Model, cfg Config) (*Result, error) {
	r, err := newRun(ctx, cfg)
	if err != nil {
		return nil, err
	}
	c := m.Clone()
	ms, err := r.cfg.Measurer.Measure(ctx, c)
	if err != nil {
		return nil, err
	}
	init := ms.Total.Value(r.metric)
	if !(init > 0) {
		return nil, fmt.Errorf("netadaptv2: the measurer reports no %s for the model", r.metric)
	}
	_, acc, err := r.cfg.Tuner.Tune(ctx, m.Clone(), netadapt.Job{Phase: netadapt.Score, Seed: seed(r.cfg.Seed, 0, 0)})
	if err != nil {
		return nil, err
	}
	if r.s, err = NewSuper(c, r.cfg.Super.Sampling.MinWidth, !r.cfg.NoBypass); err != nil {
		return nil, err
	}
	st, err := TrainSuper(ctx, r.s, r.cfg.Super)
	if err != nil {
		return nil, err
	}
	if r.cfg.OnTrained != nil {
		r.cfg.OnTrained(st)
	}
	r.w = r.s.FullWidths()
	superAcc, err := r.score(ctx, r.w)
	if err != nil {
		return nil, err
	}
	budget := r.cfg.Budget.Resolve(init)
	r.res = &Result{Result: &netadapt.Result{Metric: r.metric.String(), Initial: init, Budget: budget,
		InitReduction: r.cfg.InitReduction * init, Decay: r.cfg.Decay, InitialAccuracy: acc,
		Iterations: []netadapt.Iteration{}, Proposals: []netadapt.Proposal{}},
		Units: r.s.Units, SuperAccuracy: superAcc, Train: st}
	r.next, r.acc, r.cur = 1, superAcc, init
	if r.cfg.Checkpoint != "" {
		if err := r.save(); err != nil {
			return nil, err
		}
	}
	return r.loop()
}

func newRun(ctx context.Context, cfg Config) (*run, error) {
	if cfg.Measurer == nil {
		return nil, errors.New("netadaptv2: no measurer")
	}
	if cfg.Tuner == nil {
		return nil, errors.New("netadaptv2: no tuner")
	}
	if cfg.Holdout == nil || cfg.Holdout.Len() == 0 {
		return nil, errors.New("netadaptv2: no held-out set to score proposals")
	}
	if cfg.InitReduction == 0 {
		cfg.InitReduction = 0.025
	}
	if cfg.Decay == 0 {
		cfg.Decay = 0.96
	}
	if cfg.Proposals == 0 {
		cfg.Proposals = 8
	}
	if cfg.Layers == 0 {
		cfg.Layers = 2
	}
	if cfg.Super.Sampling == (Sampling{}) {
		cfg.Super.Sampling = DefaultSampling
	}
	if cfg.Calibration == nil {
		cfg.Calibration = cfg.Super.Train
	}
	if cfg.CalibBatches == 0 {
		cfg.CalibBatches = 20
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.MaxIterations <= 0 {
		cfg.MaxIterations = 500
	}
	if err := netadapt.CheckSchedule(cfg.Budget, cfg.InitReduction, cfg.Decay); err != nil {
		return nil, err
	}
	if cfg.Proposals < 1 || cfg.Layers < 1 {
		return nil, fmt.Errorf("netadaptv2: %d proposals of %d layers: both must be at least 1", cfg.Proposals, cfg.Layers)
	}
	return &run{ctx: ctx, cfg: cfg, metric: cfg.Budget.Metric}, nil
}

// seed derives the seed of one piece of work from the run's.
func seed(s uint64, iteration, k int) uint64 {
	return s*0x9e3779b97f4a7c15 + uint64(iteration)<<20 + uint64(k) + 1
}

// score returns the held-out accuracy of the super-network masked to w,
// batch norm recalibrated. It runs the sub-network cut out by surgery,
// which computes the same outputs as the masked super-network (the
// dropped filters are zero there) at the sub-network's own size, so a
// proposal costs in proportion to its MACs rather than the full network's.
func (r *run) score(ctx context.Context, w Widths) (float64, error) {
	m, err := r.s.Extract(w)
	if err != nil {
		return 0, err
	}
	return r.accuracy(m)
}

// accuracy returns the held-out accuracy of a sub-network (changed: its
// batch norm recalibrated).
func (r *run) accuracy(m *nn.Model) (float64, error) {
	if err := Recalibrate(m, r.cfg.Calibration, r.cfg.CalibBatches, 64, 1); err != nil {
		return 0, err
	}
	sc, err := nn.Evaluate(m, r.cfg.Holdout, 256, 1)
	return sc.Accuracy, err
}

func (r *run) measure(ctx context.Context, w Widths) (float64, error) {
	m, err := r.s.Extract(w)
	if err != nil {
		return 0, err
	}
	ms, err := r.cfg.Measurer.Measure(ctx, m)
	if err != nil {
		return 0, err
	}
	return ms.Total.Value(r.metric), nil
}

func (r *run) loop() (*Result, error) {
	res := r.res
	var err error
	res.Stop, err = netadapt.Iterate(r.ctx, &r.next, r.cfg.MaxIterations, res.Result, func() bool { return netadapt.Meets(r.cur, res.Budget) },
		r.iterate, func() error {
			if r.cfg.Checkpoint == "" {
				return nil
			}
			r.next++ // the checkpoint resumes at the next iteration
			defer func() { r.next-- }()
			return r.save()
		}, r.cfg.OnIteration)
	if err != nil {
		return nil, err
	}
	m, err := r.s.Extract(r.w)
	if err != nil {
		return nil, err
	}
	res.Widths = r.w.Clone()
	res.Accuracy, res.Resource = r.acc, r.cur
	if r.cfg.LongTerm {
		if m, res.Accuracy, err = r.cfg.Tuner.Tune(r.ctx, m, netadapt.Job{Phase: netadapt.Long, Seed: seed(r.cfg.Seed, 0, 1)}); err != nil {
			return nil, err
		}
	} else if err := Recalibrate(m, r.cfg.Calibration, r.cfg.CalibBatches, 64, 1); err != nil {
		// Without the long-term fine-tune the network keeps the batch-norm
		// statistics it was scored with, not the super-network's mixture.
		return nil, err
	}
	ms, err := r.cfg.Measurer.Measure(r.ctx, m)
	if err != nil {
		return nil, err
	}
	res.Resource = ms.Total.Value(r.metric)
	res.Met = netadapt.Meets(res.Resource, res.Budget)
	res.Model = m
	return res, nil
}

// proposal is one candidate of an iteration.
type proposal struct {
	w        Widths
	resource float64
	acc      float64
	ok       bool
}

// propose returns widths that shrink the units chosen from w, with
// weights a, by the least common step t in [0, 1] that meets target:
// unit u goes to max(Min, ⌊w·(1 − t·a)⌋). ok is false when even t = 1
// (the chosen units at their smallest widths) does not meet it.
func (r *run) propose(ctx context.Context, w Widths, chosen []int, a []float64, target float64) (Widths, float64, bool, error) {
	at := func(t float64) Widths {
		v := w.Clone()
		for j, u := range chosen {
			v[u] = max(r.s.Units[u].Min, int(math.Floor(float64(w[u])*(1-t*a[j])+1e-9)))
		}
		return v
	}
	cache := map[string]float64{}
	res := func(v Widths) (float64, error) {
		key := fmt.Sprint(v)
		if x, ok := cache[key]; ok {
			return x, nil
		}
		x, err := r.measure(ctx, v)
		cache[key] = x
		return x, err
	}
	hiW := at(1)
	x, err := res(hiW)
	if err != nil || !netadapt.Meets(x, target) {
		return nil, 0, false, err
	}
	lo, hi := 0.0, 1.0
	for range 20 {
		mid := (lo + hi) / 2
		v := at(mid)
		x, err := res(v)
		if err != nil {
			return nil, 0, false, err
		}
		if netadapt.Meets(x, target) {
			hi = mid
		} else {
			lo = mid
		}
	}
	v := at(hi)
	x, err = res(v)
	if err != nil {
		return nil, 0, false, err
	}
	return v, x, true, nil
}

// iterate runs iteration r.next; ok is false when no proposal meets its
// target.
func (r *run) iterate() (bool, error) {
	res := r.res
	target := netadapt.Target(r.cur, res.InitReduction, res.Decay, r.next, res.Budget)
	rng := rand.New(rand.NewPCG(r.cfg.Seed, uint64(r.next)))
	var can []int
	for u, x := range r.s.Units {
		if r.w[u] > x.Min {
			can = append(can, u)
		}
	}
	if len(can) == 0 {
		return false, nil
	}
	// The proposals' choices are drawn first, in order, so the result does
	// not depend on the workers.
	type draw struct {
		units []int
		a     []float64
	}
	draws := make([]draw, r.cfg.Proposals)
	for p := range draws {
		perm := rng.Perm(len(can))
		k := min(r.cfg.Layers, len(can))
		d := draw{}
		for _, i := range perm[:k] {
			d.units = append(d.units, can[i])
		}
		slices.Sort(d.units)
		for range d.units {
			d.a = append(d.a, 0.5+0.5*rng.Float64())
		}
		draws[p] = d
	}
	outs := make([]proposal, len(draws))
	err := pool.Run(r.ctx, r.cfg.Workers, len(draws), func(ctx context.Context, j int) error {
		o := &outs[j]
		var err error
		o.w, o.resource, o.ok, err = r.propose(ctx, r.w, draws[j].units, draws[j].a, target)
		if err != nil || !o.ok || !r.cfg.ShortTune {
			return err
		}
		m, err := r.s.Extract(o.w)
		if err != nil {
			return err
		}
		_, o.acc, err = r.cfg.Tuner.Tune(ctx, m, netadapt.Job{Phase: netadapt.Short, Iteration: r.next,
			Layer: r.s.Describe(r.w, o.w), Seed: seed(r.cfg.Seed, r.next, j)})
		return err
	})
	if err != nil {
		return false, err
	}
	if !r.cfg.ShortTune {
		// A proposal's score depends on its widths only: proposals drawn
		// differently that came to the same widths are scored once.
		var uniq []int
		first := map[string]int{}
		same := make([]int, len(outs))
		for j, o := range outs {
			if !o.ok {
				continue
			}
			key := fmt.Sprint(o.w)
			if r.cfg.scoreEach {
				key = fmt.Sprint(j)
			}
			k, ok := first[key]
			if !ok {
				k = j
				first[key] = j
				uniq = append(uniq, j)
			}
			same[j] = k
		}
		if err := pool.Run(r.ctx, r.cfg.Workers, len(uniq), func(ctx context.Context, i int) error {
			o := &outs[uniq[i]]
			var err error
			o.acc, err = r.score(ctx, o.w)
			return err
		}); err != nil {
			return false, err
		}
		for j := range outs {
			if outs[j].ok {
				outs[j].acc = outs[same[j]].acc
			}
		}
		r.res.scored += len(uniq)
	}
	best := -1
	for j := range outs {
		if outs[j].ok && (best < 0 || r.better(outs[j], outs[best])) {
			best = j
		}
	}
	if best < 0 {
		return false, nil
	}
	n := 0
	for j, o := range outs {
		if !o.ok {
			continue
		}
		removed, kept := r.change(o.w)
		res.Proposals = append(res.Proposals, netadapt.Proposal{Iteration: r.next, Layer: r.s.Describe(r.w, o.w),
			Removed: removed, Filters: kept, Resource: o.resource, Ratio: o.resource / res.Initial, Accuracy: o.acc, Chosen: j == best})
		n++
	}
	b := outs[best]
	removed, kept := r.change(b.w)
	it := netadapt.Iteration{Iteration: r.next, Target: target, Layer: r.s.Describe(r.w, b.w), Removed: removed, Filters: kept,
		Resource: b.resource, Ratio: b.resource / res.Initial, Accuracy: b.acc, Proposals: n}
	r.w, r.acc, r.cur = b.w, b.acc, b.resource
	res.Iterations = append(res.Iterations, it)
	return true, nil
}

// change returns the filters w removes from the current widths and the
// filters the changed units keep.
func (r *run) change(w Widths) (removed, kept int) {
	for u := range w {
		if w[u] != r.w[u] {
			removed += r.w[u] - w[u]
			kept += w[u]
		}
	}
	return removed, kept
}

func (r *run) better(a, b proposal) bool {
	return r.cfg.Select.Better(r.acc, r.cur, a.acc, a.resource, b.acc, b.resource)
}

// The files of a checkpoint directory.
const (
	checkpointModel = "super.nnw"
	checkpointState = "state.json"
)

type state struct {
	Version  int     `json:"version"`
	Method   string  `json:"method"`
	Next     int     `json:"next_iteration"`
	Seed     uint64  `json:"seed"`
	MinWidth float64 `json:"min_width"`
	Bypass   bool    `json:"bypass,omitempty"` // bypass units (absent in checkpoints older than them: off)
	Widths   Widths  `json:"widths"`
	Accuracy float64 `json:"accuracy"`
	Resource float64 `json:"resource"`
	Result   *Result `json:"result"`
}

// save writes the super-network (once) and the search state, each
// through a rename (nn.SaveFile and outfile.WriteFile).
func (r *run) save() error {
	dir := r.cfg.Checkpoint
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("netadaptv2: checkpoint: %w", err)
	}
	model := filepath.Join(dir, checkpointModel)
	if _, err := os.Stat(model); err != nil || r.next == 1 {
		if err := nn.SaveFile(model, r.s.Model); err != nil {
			return fmt.Errorf("netadaptv2: checkpoint: %w", err)
		}
	}
	st := state{Version: 1, Method: "netadaptv2", Next: r.next, Seed: r.cfg.Seed, MinWidth: r.cfg.Super.Sampling.MinWidth, Bypass: !r.cfg.NoBypass,
		Widths: r.w, Accuracy: r.acc, Resource: r.cur, Result: r.res}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("netadaptv2: checkpoint: %w", err)
	}
	if err := outfile.WriteFile(filepath.Join(dir, checkpointState), append(b, '\n')); err != nil {
		return fmt.Errorf("netadaptv2: checkpoint: %w", err)
	}
	return nil
}

// Resume continues the run checkpointed in dir with cfg, which must have
// the checkpoint's metric and seed: the trained super-network and the
// search so far come from the checkpoint (no retraining), the budget and
// schedule too.
func Resume(ctx context.Context, dir string, cfg Config) (*Result, error) {
	path := filepath.Join(dir, checkpointState)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("netadaptv2: resume: %w", err)
	}
	var st state
	if err := netadapt.DecodeState(b, &st); err != nil {
		return nil, fmt.Errorf("netadaptv2: resume: %s: %w", path, err)
	}
	if st.Version != 1 || st.Method != "netadaptv2" || st.Result == nil || st.Result.Result == nil || st.Next < 1 {
		return nil, fmt.Errorf("netadaptv2: resume: %s is not a netadaptv2 checkpoint", path)
	}
	if cfg.Budget, err = netadapt.ResumeBudget(st.Result.Result, st.Seed, cfg.Budget.Metric, cfg.Seed); err != nil {
		return nil, err
	}
	if cfg.Checkpoint == "" {
		cfg.Checkpoint = dir
	}
	cfg.Super.Sampling.MinWidth = st.MinWidth
	cfg.NoBypass = !st.Bypass
	r, err := newRun(ctx, cfg)
	if err != nil {
		return nil, err
	}
	m, err := nn.LoadFile(filepath.Join(dir, checkpointModel))
	if err != nil {
		return nil, fmt.Errorf("netadaptv2: resume: %w", err)
	}
	if r.s, err = NewSuper(m, st.MinWidth, st.Bypass); err != nil {
		return nil, err
	}
	if len(st.Widths) != len(r.s.Units) {
		return nil, fmt.Errorf("netadaptv2: resume: %d widths for %d units", len(st.Widths), len(r.s.Units))
	}
	r.res, r.w, r.next, r.acc, r.cur = st.Result, st.Widths, st.Next, st.Accuracy, st.Resource
	r.res.Stop = ""
	return r.loop()
}
