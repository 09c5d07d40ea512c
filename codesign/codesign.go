// Package codesign searches the hardware and the network together: the
// design points of a sweep (package sweep) and a trained network (package
// nn) adapted to each of them.
//
// [Run] first measures the unadapted network on every design point of the
// sweep with that point's hardware model (measure.Hardware with the point's
// architecture and mapper: the dataflow's builder, or the mapper within
// the dataflow or over the whole mapspace), and the point's area. The
// candidates are the Pareto front of the designs over [Options.Objectives],
// or the [Options.Top] designs with the least of the budget's metric.
// Every candidate then runs each [Method] with its own measurer: NetAdapt
// (package netadapt) to the budget, and energy-aware filter pruning
// (package prune) to the budget's energy. Every adapted model is scored on
// the test set and measured on its design. The result is the Pareto front
// over (accuracy, energy, latency, area) of every combination: the
// unadapted network on every design and every adapted one on its design.
//
// A run is a list of jobs (candidate × method) in a fixed order. Jobs run
// on a pool ([Options.Workers]) or in shards ([Options.Shard], sweep's
// shard function over the jobs); [Options.Resume] returns jobs that an
// earlier run stored and [Options.Done] stores each finished one, so that
// an interrupted run resumes and shards share their results. Every job
// uses the run's seed, and NetAdapt's results do not depend on its
// workers, so a run is deterministic for a seed.
package codesign

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/nnergy/nnergy/explore"
	"github.com/nnergy/nnergy/internal/enum"
	"github.com/nnergy/nnergy/internal/pool"
	"github.com/nnergy/nnergy/measure"
	"github.com/nnergy/nnergy/netadapt"
	"github.com/nnergy/nnergy/nn"
	"github.com/nnergy/nnergy/nn/data"
	"github.com/nnergy/nnergy/prune"
	"github.com/nnergy/nnergy/sweep"
)

// Method is how a candidate design adapts the network.
type Method uint8

// The methods.
const (
	// NetAdapt shrinks layers by removing filters until the budget is met
	// (package netadapt).
	NetAdapt Method = iota
	// EnergyAware removes filters of the layers in order of their modelled
	// energy, restoring each layer's output by least squares, until the
	// budget's energy is met (package prune).
	EnergyAware
)

var methodNames = enum.New[Method]("codesign", "method", "netadapt", "energy-aware")

func (m Method) String() string { return methodNames.String(m) }

// ParseMethods reads netadapt, energy-aware or both (netadapt then
// energy-aware).
func ParseMethods(s string) ([]Method, error) {
	if s == "both" {
		return []Method{NetAdapt, EnergyAware}, nil
	}
	m, err := methodNames.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("codesign: unknown method %q (want netadapt, energy-aware or both)", s)
	}
	return []Method{m}, nil
}

// Objective is a figure of a design that the candidates' front minimizes.
type Objective uint8

// The objectives.
const (
	Energy  Objective = iota // pJ per inference
	Latency                  // seconds per inference
	EDP                      // energy × latency
	Area                     // µm²
)

var objectiveNames = enum.New[Objective]("codesign", "objective", "energy", "latency", "edp", "area")

func (o Objective) String() string { return objectiveNames.String(o) }

// ParseObjectives reads a comma-separated list of one to four distinct
// objectives, such as "energy,latency".
func ParseObjectives(s string) ([]Objective, error) {
	return objectiveNames.ParseSet(s)
}

// Value returns the objective's figure of d.
func (o Objective) Value(d *Design) float64 {
	switch o {
	case Latency:
		return d.Resource.LatencyS
	case EDP:
		return d.Resource.EnergyPJ * d.Resource.LatencyS
	case Area:
		return d.AreaUM2
	}
	return d.Resource.EnergyPJ
}

// Options set up a run. Fields without a default must be set.
type Options struct {
	Sweep *sweep.Sweep
	// Model is the trained network; it is not changed.
	Model *nn.Model
	// Budget is NetAdapt's budget on every candidate: energy or latency,
	// a fraction of the candidate's unadapted figure or absolute.
	// Energy-aware pruning needs an energy budget.
	Budget  netadapt.Budget
	Methods []Method
	// Objectives of the candidates' front (default energy, latency).
	Objectives []Objective
	// Top, when positive, takes the Top designs with the least of the
	// budget's metric as candidates instead of the front.
	Top int
	// Hardware is the template of every design's measurer: its
	// Calibration, DensityStep and Workers apply; the dataflow, search
	// and settings are the design's.
	Hardware measure.HardwareConfig
	// NetAdapt is the template of every NetAdapt run (its Tuner is
	// required); Measurer, Budget, Seed, Checkpoint and OnIteration are
	// set per job.
	NetAdapt netadapt.Config
	// Prune is the template of every energy-aware run (Calibration is
	// required); Method, Granularity (filters), Measurer, Target,
	// Milestones, Test (Options.Test), OnStep and Finetune.Seed are set
	// per job.
	Prune prune.Config
	// Test scores the unadapted and every adapted model.
	Test *data.Set
	// Seed of every job.
	Seed uint64
	// Workers is the number of jobs run at once (default 1), EvalWorkers
	// the workers of each test-set evaluation (default: every CPU).
	Workers, EvalWorkers int
	// Shard is the part of the jobs to run (zero: all).
	Shard sweep.Shard
	// Resume, if set, returns job j's outcome stored by an earlier run
	// (ok false: none).
	Resume func(j int) (o *Outcome, ok bool, err error)
	// Done, if set, is called with every job's outcome that this run
	// computed, from one goroutine at a time; an error stops the run.
	Done func(j int, o *Outcome) error
	// Progress, if set, is called when a phase starts a step: "design"
	// with a design's index, "job" with a job's; from one goroutine at a
	// time.
	Progress func(phase string, i, n int)
}

// Validate reports every problem of o at once.
func (o *Options) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf("codesign: "+format, a...)) }
	if o.Sweep == nil {
		bad("no sweep")
	} else if len(o.Sweep.Points) == 0 {
		bad("the sweep has no design points")
	}
	if o.Model == nil {
		bad("no model")
	}
	if o.Test == nil || o.Test.Len() == 0 {
		bad("no test set to score the models on")
	}
	switch b := o.Budget; {
	case b.Metric != measure.Energy && b.Metric != measure.Latency:
		bad("budget %s: want an energy or latency budget", b.Metric)
	case b.Fraction == 0 && !(b.Absolute > 0):
		bad("no budget")
	case b.Fraction != 0 && !(b.Fraction > 0 && b.Fraction < 1):
		bad("budget fraction %v outside (0, 1)", b.Fraction)
	}
	if len(o.Methods) == 0 {
		bad("no method")
	}
	for i, m := range o.Methods {
		if int(m) >= len(methodNames.List()) {
			bad("method %d unknown", m)
		}
		if slices.Contains(o.Methods[:i], m) {
			bad("method %s listed twice", m)
		}
		switch m {
		case NetAdapt:
			if o.NetAdapt.Tuner == nil {
				bad("netadapt needs a tuner")
			}
		case EnergyAware:
			if o.Budget.Metric != measure.Energy {
				bad("energy-aware pruning prunes to an energy budget, not %s (use netadapt)", o.Budget.Metric)
			}
			if o.Prune.Calibration == nil {
				bad("energy-aware pruning needs a calibration batch")
			}
		}
	}
	for i, ob := range o.Objectives {
		if int(ob) >= len(objectiveNames.List()) {
			bad("objective %d unknown", ob)
		}
		if slices.Contains(o.Objectives[:i], ob) {
			bad("objective %s listed twice", ob)
		}
	}
	if o.Top < 0 {
		bad("top %d is negative", o.Top)
	}
	if o.Workers < 0 || o.EvalWorkers < 0 {
		bad("workers must not be negative")
	}
	if err := o.Shard.Check(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Design is the unadapted network on one design point.
type Design struct {
	Point  *sweep.Point
	Design sweep.Design
	// Reason says why the design has no figures: its architecture is
	// invalid or it cannot run the network.
	Reason string
	// Resource is the unadapted network's, at batch 1.
	Resource measure.Resource
	// AreaUM2 is the design's area (arch.Spec.Area).
	AreaUM2 float64
	// Candidate marks the designs that the methods run on.
	Candidate bool

	hw *measure.Hardware
}

// OK reports whether the design has figures.
func (d *Design) OK() bool { return d.Reason == "" }

// Job is one method on one candidate design.
type Job struct {
	// Design indexes Result.Designs (and the sweep's points).
	Design int
	Method Method
}

// Outcome is a job's result.
type Outcome struct {
	// PointID is the design point's ID, and Method the method's name.
	PointID string `json:"point_id"`
	Method  string `json:"method"`
	// Accuracy is the adapted model's on the test set; EnergyPJ and
	// LatencyS are its figures on the design.
	Accuracy float64 `json:"accuracy"`
	EnergyPJ float64 `json:"energy_pj"`
	LatencyS float64 `json:"latency_s"`
	// Budget is the budget in its metric's unit on this design; Met says
	// whether the adapted model is within it.
	Budget float64 `json:"budget"`
	Met    bool    `json:"met"`
	// Adapt is NetAdapt's history, Prune the energy-aware pruning's steps.
	Adapt *netadapt.Result `json:"adapt,omitempty"`
	Prune []prune.Step     `json:"prune,omitempty"`
	// Model is the adapted network.
	Model *nn.Model `json:"-"`
}

// Combo is one (network, design) combination.
type Combo struct {
	// Design indexes Result.Designs; Job indexes Result.Jobs, or is -1
	// for the unadapted network.
	Design, Job int
	Accuracy    float64
	EnergyPJ    float64
	LatencyS    float64
	AreaUM2     float64
}

// Result is a run's designs, jobs and front.
type Result struct {
	Options *Options
	// Accuracy is the unadapted model's on the test set.
	Accuracy float64
	// Designs holds every point of the sweep, in its order.
	Designs []Design
	// Jobs are every candidate × method, candidates in design order.
	Jobs []Job
	// Outcomes holds each job's outcome; nil for a job of another shard
	// that is not stored yet.
	Outcomes []*Outcome
	// Ran counts the jobs this run computed, Resumed those it read back.
	Ran, Resumed int
	// Front is the Pareto front over (−accuracy, energy, latency, area)
	// of the unadapted network on every design that runs it and every
	// outcome, ordered by accuracy (highest first), then energy.
	Front []Combo

	// mu serializes the callbacks and the outcomes.
	mu sync.Mutex
}

// Complete reports whether every job has an outcome.
func (r *Result) Complete() bool { return !slices.Contains(r.Outcomes, nil) }

// Run measures the designs, picks the candidates and runs the jobs of
// o.Shard that o.Resume does not return. It returns an error when ctx ends
// or a job fails; designs that cannot run the network carry their reasons.
func Run(ctx context.Context, o Options) (*Result, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if len(o.Objectives) == 0 {
		o.Objectives = []Objective{Energy, Latency}
	}
	if o.Workers == 0 {
		o.Workers = 1
	}
	if o.EvalWorkers == 0 {
		o.EvalWorkers = runtime.GOMAXPROCS(0)
	}
	res := &Result{Options: &o}
	sc, err := nn.Evaluate(o.Model, o.Test, 0, o.EvalWorkers)
	if err != nil {
		return nil, fmt.Errorf("codesign: scoring the model: %w", err)
	}
	res.Accuracy = sc.Accuracy
	if err := res.measure(ctx); err != nil {
		return nil, err
	}
	if err := res.candidates(); err != nil {
		return nil, err
	}
	for i := range res.Designs {
		if res.Designs[i].Candidate {
			for _, m := range o.Methods {
				res.Jobs = append(res.Jobs, Job{Design: i, Method: m})
			}
		}
	}
	res.Outcomes = make([]*Outcome, len(res.Jobs))
	var todo []int
	mine := o.Shard.Indices(len(res.Jobs), o.Sweep.ShardSeed)
	for j := range res.Jobs {
		if o.Resume != nil {
			out, ok, err := o.Resume(j)
			if err != nil {
				return nil, err
			}
			if ok {
				if err := res.adopt(j, out); err != nil {
					return nil, err
				}
				res.Resumed++
				continue
			}
		}
		if _, ok := slices.BinarySearch(mine, j); ok {
			todo = append(todo, j)
		}
	}
	if err := pool.Run(ctx, o.Workers, len(todo), func(ctx context.Context, k int) error {
		j := todo[k]
		if o.Progress != nil {
			res.progress("job", j, len(res.Jobs))
		}
		out, err := res.run(ctx, j)
		if err != nil {
			return err
		}
		res.mu.Lock()
		defer res.mu.Unlock()
		res.Outcomes[j] = out
		res.Ran++
		if o.Done != nil {
			return o.Done(j, out)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	return res, res.front()
}

func (r *Result) progress(phase string, i, n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Options.Progress(phase, i, n)
}

// adopt checks a stored outcome against job j and keeps it.
func (r *Result) adopt(j int, out *Outcome) error {
	jb := r.Jobs[j]
	id := r.Designs[jb.Design].Point.ID
	if out == nil || out.Model == nil {
		return fmt.Errorf("codesign: stored job %d (%s on %s) has no model", j, jb.Method, id)
	}
	if out.PointID != id || out.Method != jb.Method.String() {
		return fmt.Errorf("codesign: stored job %d is %s on %s, want %s on %s: the stored run differs", j, out.Method, out.PointID, jb.Method, id)
	}
	r.Outcomes[j] = out
	return nil
}

// measure measures the unadapted network on every design.
func (r *Result) measure(ctx context.Context) error {
	o := r.Options
	s := o.Sweep
	r.Designs = make([]Design, len(s.Points))
	return pool.Run(ctx, o.Workers, len(s.Points), func(ctx context.Context, i int) error {
		if o.Progress != nil {
			r.progress("design", i, len(s.Points))
		}
		d := &r.Designs[i]
		d.Point = &s.Points[i]
		sd, reason := s.Design(d.Point)
		d.Design = sd
		if reason != "" {
			d.Reason = reason
			return nil
		}
		cfg := o.Hardware
		if sd.Mapper.Dataflow != nil {
			cfg.Dataflow = *sd.Mapper.Dataflow
		}
		cfg.Search = sd.Mapper.Method == sweep.Search
		cfg.Unconstrained = cfg.Search && sd.Mapper.Dataflow == nil
		cfg.Settings = sd.Mapper.Search
		cfg.Settings.Progress = nil
		if !cfg.Search && sd.Mapper.Dataflow == nil {
			d.Reason = "the builder needs a dataflow" // the sweep rejects it; kept as a reason
			return nil
		}
		hw, err := measure.NewHardware(sd.Arch, cfg)
		if err != nil {
			d.Reason = strings.TrimPrefix(err.Error(), "measure: ")
			return nil
		}
		ms, err := hw.Measure(ctx, o.Model)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			d.Reason = strings.TrimPrefix(err.Error(), "measure: ")
			return nil
		}
		d.hw, d.Resource, d.AreaUM2 = hw, ms.Total, sd.Arch.Area().TotalUM2
		return nil
	})
}

// candidates marks the front of the designs over the objectives, or the
// Top with the least of the budget's metric.
func (r *Result) candidates() error {
	o := r.Options
	var ok []int
	for i := range r.Designs {
		if r.Designs[i].OK() {
			ok = append(ok, i)
		}
	}
	if len(ok) == 0 {
		return fmt.Errorf("codesign: no design of the sweep runs the network (the first: %s)", r.Designs[0].Reason)
	}
	if o.Top > 0 {
		slices.SortStableFunc(ok, func(a, b int) int {
			return cmp.Compare(r.Designs[a].Resource.Value(o.Budget.Metric), r.Designs[b].Resource.Value(o.Budget.Metric))
		})
		for _, i := range ok[:min(o.Top, len(ok))] {
			r.Designs[i].Candidate = true
		}
		return nil
	}
	rows := make([][]float64, len(ok))
	for k, i := range ok {
		for _, ob := range o.Objectives {
			rows[k] = append(rows[k], ob.Value(&r.Designs[i]))
		}
	}
	f, err := explore.Pareto(rows)
	if err != nil {
		return fmt.Errorf("codesign: %w", err)
	}
	for _, k := range f {
		r.Designs[ok[k]].Candidate = true
	}
	return nil
}

// run runs job j.
func (r *Result) run(ctx context.Context, j int) (*Outcome, error) {
	o := r.Options
	jb := r.Jobs[j]
	d := &r.Designs[jb.Design]
	out := &Outcome{PointID: d.Point.ID, Method: jb.Method.String()}
	initial := d.Resource.Value(o.Budget.Metric)
	out.Budget = o.Budget.Absolute
	if o.Budget.Fraction > 0 {
		out.Budget = o.Budget.Fraction * initial
	}
	switch jb.Method {
	case NetAdapt:
		cfg := o.NetAdapt
		cfg.Measurer, cfg.Budget, cfg.Seed, cfg.Checkpoint, cfg.OnIteration = d.hw, o.Budget, o.Seed, "", nil
		a, err := netadapt.Run(ctx, o.Model, cfg)
		if err != nil {
			return nil, fmt.Errorf("codesign: netadapt on %s: %w", d.Point.ID, err)
		}
		out.Adapt, out.Model = a, a.Model
	case EnergyAware:
		cfg := o.Prune
		frac := out.Budget / initial
		if !(frac > 0 && frac < 1) {
			return nil, fmt.Errorf("codesign: energy-aware pruning on %s: the budget %g pJ is not below the unadapted %g pJ", d.Point.ID, out.Budget, initial)
		}
		cfg.Method, cfg.Granularity, cfg.Measurer = prune.EnergyAware, prune.Filter, d.hw
		cfg.Target, cfg.Milestones, cfg.Test, cfg.OnStep = prune.Target{Energy: true, Fraction: frac}, nil, o.Test, nil
		cfg.Finetune.Seed = o.Seed
		p, err := prune.Run(ctx, o.Model, cfg)
		if err != nil {
			return nil, fmt.Errorf("codesign: energy-aware pruning on %s: %w", d.Point.ID, err)
		}
		out.Prune, out.Model = p.Steps, p.Model
	}
	sc, err := nn.Evaluate(out.Model, o.Test, 0, o.EvalWorkers)
	if err != nil {
		return nil, fmt.Errorf("codesign: scoring %s on %s: %w", jb.Method, d.Point.ID, err)
	}
	ms, err := d.hw.Measure(ctx, out.Model)
	if err != nil {
		return nil, fmt.Errorf("codesign: measuring %s on %s: %w", jb.Method, d.Point.ID, err)
	}
	out.Accuracy, out.EnergyPJ, out.LatencyS = sc.Accuracy, ms.Total.EnergyPJ, ms.Total.LatencyS
	out.Met = ms.Total.Value(o.Budget.Metric) <= out.Budget*(1+1e-12)
	return out, nil
}

// front computes the Pareto front of the combinations known.
func (r *Result) front() error {
	var all []Combo
	for i := range r.Designs {
		d := &r.Designs[i]
		if d.OK() {
			all = append(all, Combo{Design: i, Job: -1, Accuracy: r.Accuracy, EnergyPJ: d.Resource.EnergyPJ, LatencyS: d.Resource.LatencyS, AreaUM2: d.AreaUM2})
		}
	}
	for j, out := range r.Outcomes {
		if out != nil {
			d := &r.Designs[r.Jobs[j].Design]
			all = append(all, Combo{Design: r.Jobs[j].Design, Job: j, Accuracy: out.Accuracy, EnergyPJ: out.EnergyPJ, LatencyS: out.LatencyS, AreaUM2: d.AreaUM2})
		}
	}
	rows := make([][]float64, len(all))
	for i, c := range all {
		rows[i] = []float64{-c.Accuracy, c.EnergyPJ, c.LatencyS, c.AreaUM2}
	}
	f, err := explore.Pareto(rows)
	if err != nil {
		return fmt.Errorf("codesign: %w", err)
	}
	slices.SortStableFunc(f, func(a, b int) int { return slices.Compare(rows[a], rows[b]) })
	r.Front = make([]Combo, len(f))
	for k, i := range f {
		r.Front[k] = all[i]
	}
	return nil
}
