package netadapt

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/dataflow"
	"github.com/nnergy/nnergy/mapper"
	"github.com/nnergy/nnergy/measure"
	"github.com/nnergy/nnergy/nn"
	"github.com/nnergy/nnergy/nn/data"
)

// Setup is a whole NetAdapt run as nnergy adapt and the HTTP API's adapt
// jobs take it: the model and data, how candidates are measured and
// fine-tuned, and the run's bounds. Both go through Check, Prepare and
// Run, so that they record the same run for the same inputs.
type Setup struct {
	// Model is the starting model. Train and Test are the data set's
	// training and test sets: the last Holdout training images score
	// proposals and the others fine-tune them; the first EvalImages test
	// images (0: all) score the start and the result.
	Model       *nn.Model
	Train, Test *data.Set

	Budget Budget
	Select Selection
	// Measure is the measurer: ModelKind on Arch (mapped by Dataflow's
	// builder, or by the mapper with MaxEvals per unique layer shape when
	// Search; activation densities measured on DensityImages training
	// images, 0: dense), CPUKind (CPUSamples input channel counts timed
	// per layer) or CountKind.
	Measure       measure.Kind
	Arch          *arch.Spec
	Dataflow      dataflow.Dataflow
	Search        bool
	MaxEvals      int64
	DensityImages int
	CPUSamples    int

	InitReduction, Decay float64
	// ShortSteps mini-batches of Batch images fine-tune each proposal at
	// LR; LongEpochs (0: none) fine-tune the result at LongLR.
	ShortSteps, LongEpochs, Batch int
	LR, LongLR                    float64
	Holdout, EvalImages           int
	MaxIterations                 int
	// Workers is the proposals handled at once (0: GOMAXPROCS); the result
	// does not depend on it. Seed seeds the fine-tunes and the mapper.
	Workers int
	Seed    uint64

	// Tuner, when set, fine-tunes and scores instead of the built-in
	// Trainer the fields above describe, and the test set is not used.
	Tuner Tuner
	// Checkpoint and Resume are directories (see Config and [Resume]).
	Checkpoint, Resume string
	OnIteration        func(Iteration, []Proposal)
}

// DefaultSetup returns the defaults of nnergy adapt (without a model or
// data).
func DefaultSetup() Setup {
	return Setup{Budget: Budget{Metric: measure.Energy, Fraction: 0.5}, Select: HighestAccuracy, Measure: measure.ModelKind,
		Dataflow: dataflow.RS, MaxEvals: 2000, CPUSamples: 5, InitReduction: 0.025, Decay: 0.96, ShortSteps: 100, LongEpochs: 1,
		Batch: 64, LR: 0.0005, LongLR: 0.0005, Holdout: 5000, MaxIterations: 500, Seed: 1}
}

// Check returns every problem of s's options at once, or nil; the
// holdout's only once Train is set. name turns the name of an option as
// the HTTP API spells it (init_reduction) into the caller's
// (--init-reduction).
func (s *Setup) Check(name func(option string) string) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if !s.Measure.Reports(s.Budget.Metric) {
		bad("%s %s does not report %s (it reports %s)", name("measure"), s.Measure, s.Budget.Metric, metricList(s.Measure.Metrics()))
	}
	if !(s.InitReduction > 0 && s.InitReduction < 1) {
		bad("%s %v outside (0, 1)", name("init_reduction"), s.InitReduction)
	}
	if !(s.Decay > 0 && s.Decay <= 1) {
		bad("%s %v outside (0, 1]", name("decay"), s.Decay)
	}
	for _, c := range []struct {
		option string
		v, min int
	}{{"short_steps", s.ShortSteps, 1}, {"batch", s.Batch, 1}, {"max_iterations", s.MaxIterations, 1}, {"cpu_samples", s.CPUSamples, 2},
		{"long_epochs", s.LongEpochs, 0}, {"holdout", s.Holdout, 0}, {"eval_images", s.EvalImages, 0}, {"workers", s.Workers, 0},
		{"density_images", s.DensityImages, 0}} {
		if c.v < c.min {
			bad("%s %d: want at least %d", name(c.option), c.v, c.min)
		}
	}
	if s.MaxEvals < 1 {
		bad("%s %d: want at least 1", name("max_evals"), s.MaxEvals)
	}
	if s.Search && s.Measure != measure.ModelKind {
		bad("%s maps layers on the architecture: it needs %s model", name("search"), name("measure"))
	}
	if !(s.LR > 0) || !(s.LongLR > 0) || math.IsInf(s.LR, 0) || math.IsInf(s.LongLR, 0) {
		bad("%s and %s must be positive and finite", name("lr"), name("long_lr"))
	}
	if s.Train != nil && s.Holdout >= s.Train.Len() {
		bad("%s %d leaves no training images (the set has %d)", name("holdout"), s.Holdout, s.Train.Len())
	}
	return errors.Join(errs...)
}

func metricList(ms []measure.Metric) string {
	s := make([]string, len(ms))
	for i, m := range ms {
		s[i] = m.String()
	}
	return strings.Join(s, ", ")
}

// Prepared is a Setup with its measurer built, ready to run.
type Prepared struct {
	s   *Setup
	cfg Config
	// Measurer describes the measurer for people ("eyeriss (rs
	// builder)"); Workers is the proposals handled at once.
	Measurer string
	Workers  int
	test     *data.Set
	// fit fine-tunes proposals; hold scores them.
	fit, hold *data.Set
}

// Prepare checks s (naming its options as the HTTP API does) and builds
// its measurer and tuner.
func (s *Setup) Prepare() (*Prepared, error) {
	if s.Model == nil || s.Train == nil || s.Test == nil {
		return nil, errors.New("netadapt: a setup needs a model, a training and a test set")
	}
	if s.Measure == measure.ModelKind && s.Arch == nil {
		return nil, errors.New("netadapt: measure model needs an architecture")
	}
	if err := s.Check(func(o string) string { return o }); err != nil {
		return nil, fmt.Errorf("netadapt: %w", err)
	}
	fit, hold := s.Train.SplitTail(s.Holdout)
	workers := s.Workers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	pick := measure.Selection{Kind: s.Measure, Base: s.Model, Batch: 1,
		CPU: measure.CPUConfig{Samples: s.CPUSamples, Latency: nn.LatencyConfig{Batch: 1, Workers: 1}},
		Hardware: measure.HardwareConfig{Dataflow: s.Dataflow, Workers: 1, Search: s.Search,
			Settings: mapper.Settings{MaxEvaluations: s.MaxEvals, Workers: 1, Seed: s.Seed}}}
	if s.Measure == measure.ModelKind {
		pick.Arch = s.Arch
		if s.DensityImages > 0 {
			pick.Hardware.Calibration = measure.Batch(fit, s.DensityImages)
		}
	}
	ms, on, err := measure.New(pick)
	if err != nil {
		return nil, err
	}
	tuner := s.Tuner
	if tuner == nil {
		tuner = &Trainer{Train: fit, Holdout: hold, ShortSteps: s.ShortSteps, LongEpochs: s.LongEpochs,
			Batch: s.Batch, LR: s.LR, LongLR: s.LongLR, Workers: 1, LongWorkers: runtime.GOMAXPROCS(0)}
	}
	cfg := Config{Measurer: ms, Budget: s.Budget, InitReduction: s.InitReduction, Decay: s.Decay, Select: s.Select,
		Tuner: tuner, LongTerm: s.LongEpochs > 0, Workers: workers, MaxIterations: s.MaxIterations, Seed: s.Seed,
		Checkpoint: s.Checkpoint, OnIteration: s.OnIteration}
	return &Prepared{s: s, cfg: cfg, Measurer: on, Workers: workers, test: s.Test.Head(s.EvalImages), fit: fit, hold: hold}, nil
}

// WithCheckpoint returns a copy of p that checkpoints to dir and shares
// p's measurer, so that two methods
// compared from one start are measured alike: with CPU latency, by the
// same lookup tables, timed once, rather than each by its own timing of
// a machine whose load changes between them.
func (p *Prepared) WithCheckpoint(dir string) *Prepared {
	s := *p.s
	s.Checkpoint = dir
	q := *p
	q.s = &s
	q.cfg.Checkpoint = dir
	return &q
}

// Outcome is a finished run and, with the built-in Trainer, the test
// scores of its start and its result.
type Outcome struct {
	*Result
	// Tested is set when Before and After were measured.
	Tested        bool
	Before, After nn.Score
	// Wall and CPU are the search's wall-clock time and the process's CPU
	// time (user and system) over it, the test scores excluded.
	Wall, CPU time.Duration
}

// Search is a search method a Prepared run can run instead of NetAdapt's
// own: from model m under cfg (the measurer, budget, schedule, tuner and
// bounds a Setup builds), with fit the training images that fine-tune
// and hold the held-out ones that score candidates. NetAdaptV2's comes
// from package netadaptv2.
type Search func(ctx context.Context, m *nn.Model, cfg Config, fit, hold *data.Set) (*Result, error)

// Run runs (or resumes) NetAdapt. Cancelling ctx stops it within a
// mini-batch of fine-tuning or a measurement.
func (p *Prepared) Run(ctx context.Context) (*Outcome, error) { return p.RunSearch(ctx, nil) }

// RunSearch runs search (nil: NetAdapt, resumed from the Setup's Resume
// when set) on the prepared model, measurer and data, and scores its start
// and its result on the test images as Run does.
func (p *Prepared) RunSearch(ctx context.Context, search Search) (*Outcome, error) {
	s := p.s
	if search == nil {
		search = func(ctx context.Context, m *nn.Model, cfg Config, _, _ *data.Set) (*Result, error) {
			if s.Resume != "" {
				return Resume(ctx, s.Resume, cfg)
			}
			return Run(ctx, m, cfg)
		}
	}
	var o Outcome
	var err error
	if o.Tested = s.Tuner == nil; o.Tested {
		if o.Before, err = nn.Evaluate(s.Model, p.test, 0, p.Workers); err != nil {
			return nil, err
		}
	}
	start, cpu0 := time.Now(), cpuTime()
	if o.Result, err = search(ctx, s.Model, p.cfg, p.fit, p.hold); err != nil {
		return nil, err
	}
	o.Wall, o.CPU = time.Since(start), cpuTime()-cpu0
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if o.Tested {
		if o.After, err = nn.Evaluate(o.Model, p.test, 0, p.Workers); err != nil {
			return nil, err
		}
	}
	return &o, nil
}

// cpuTime returns the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
