package prune

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/dataflow"
	"github.com/nnergy/nnergy/mapper"
	"github.com/nnergy/nnergy/measure"
	"github.com/nnergy/nnergy/nn"
	"github.com/nnergy/nnergy/nn/data"
)

// Setup is a whole pruning run as nnergy prune and the HTTP API's prune
// jobs take it: the model and data, the methods, the target, the energy
// model and the fine-tune. Both go through Check, Prepare and Run, so
// that they record the same run for the same inputs.
type Setup struct {
	// Model is the model to prune; Train its data set's training set
	// (calibration, densities and the fine-tune) and Test its test set,
	// of which the first EvalImages (0: all) score every step.
	Model       *nn.Model
	Train, Test *data.Set

	// Methods are pruned one after the other from the same start.
	Methods     []Method
	Granularity Granularity
	Target      Target
	Milestones  []Target
	PerLayer    bool
	Increment   float64
	Tolerance   float64
	// Arch is the energy model's architecture, mapped by Dataflow's
	// builder or by the mapper (Search, MaxEvals per unique layer).
	Arch     *arch.Spec
	Dataflow dataflow.Dataflow
	Search   bool
	MaxEvals int64
	// Calibration training images fit the energy-aware restorations;
	// activation densities are measured on DensityImages (0: dense).
	Calibration, DensityImages, EvalImages int
	// FinetuneEpochs (0: none) of Batch images at LR fine-tune each kept
	// model on the first Limit training images (0: all).
	FinetuneEpochs, Limit, Batch int
	LR                           float64
	// Workers for the passes, the mapper and the fine-tune (0: every
	// CPU); Seed seeds the fine-tune and the mapper.
	Workers int
	Seed    uint64
	// OnStep, if set, is called after every recorded step of a method.
	OnStep func(Method, Step)
	// Checkpoint, if set, is a directory where each method's run is saved
	// after every pruning step; Resume a directory of such checkpoints to
	// go on from. With several methods each has its own subdirectory
	// (CheckpointDir), and a method the interrupted run had not begun
	// starts afresh.
	Checkpoint, Resume string
}

// CheckpointDir returns the directory of method's checkpoint under dir.
func (s *Setup) CheckpointDir(dir string, method Method) string {
	if dir == "" || len(s.Methods) < 2 {
		return dir
	}
	return filepath.Join(dir, method.String())
}

// DefaultSetup returns the defaults of nnergy prune (without a model,
// data or an architecture).
func DefaultSetup() Setup {
	return Setup{Methods: []Method{Magnitude}, Granularity: Weight, Target: Target{Energy: true, Fraction: 0.5},
		Increment: 0.1, Tolerance: 0.02, Dataflow: dataflow.RS, MaxEvals: 2000, Calibration: 512, DensityImages: 64,
		FinetuneEpochs: 1, Batch: 64, LR: 0.0005, Seed: 1}
}

// Check returns every problem of s's options at once, or nil. name turns
// the name of an option as the HTTP API spells it (max_evals) into the
// caller's (--max-evals).
func (s *Setup) Check(name func(option string) string) error {
	var errs []error
	for _, c := range []struct {
		option string
		v, min int
	}{{"finetune_epochs", s.FinetuneEpochs, 0}, {"calibration", s.Calibration, 1}, {"density_images", s.DensityImages, 0},
		{"eval_images", s.EvalImages, 0}, {"limit", s.Limit, 0}, {"batch", s.Batch, 1}, {"workers", s.Workers, 0}} {
		if c.v < c.min {
			errs = append(errs, fmt.Errorf("%s %d: want at least %d", name(c.option), c.v, c.min))
		}
	}
	if !(s.LR > 0) || !(s.Tolerance > 0) || math.IsInf(s.LR, 0) || math.IsInf(s.Tolerance, 0) {
		errs = append(errs, fmt.Errorf("%s and %s must be positive and finite", name("lr"), name("tolerance")))
	}
	// Config reads an increment of 0 as its default, 0.1: a setup says
	// what it means.
	if !(s.Increment > 0 && s.Increment < 1) {
		errs = append(errs, fmt.Errorf("%s %v outside (0, 1)", name("increment"), s.Increment))
	}
	if s.MaxEvals < 1 {
		errs = append(errs, fmt.Errorf("%s %d: want at least 1", name("max_evals"), s.MaxEvals))
	}
	if len(s.Methods) == 0 {
		errs = append(errs, fmt.Errorf("%s: none given", name("method")))
	}
	return errors.Join(errs...)
}

// Hardware returns the energy model of the setup on spec: its mapping,
// and activation densities measured on its training images.
func (s *Setup) Hardware(spec *arch.Spec) (*measure.Hardware, error) {
	cfg := measure.HardwareConfig{Dataflow: s.Dataflow, Search: s.Search, Workers: s.Workers,
		Settings: mapper.Settings{MaxEvaluations: s.MaxEvals, Workers: s.Workers, Seed: s.Seed}}
	if s.DensityImages > 0 {
		cfg.Calibration = measure.Batch(s.Train, s.DensityImages)
	}
	return measure.NewHardware(spec, cfg)
}

// Prepared is a Setup with its energy model built, ready to run.
type Prepared struct {
	s *Setup
	// Hardware is the energy model on the setup's Arch.
	Hardware *measure.Hardware
}

// Prepare checks s (naming its options as the HTTP API does) and builds
// its energy model.
func (s *Setup) Prepare() (*Prepared, error) {
	if s.Model == nil || s.Train == nil || s.Test == nil || s.Arch == nil {
		return nil, errors.New("prune: a setup needs a model, a training and a test set and an architecture")
	}
	if err := s.Check(func(o string) string { return o }); err != nil {
		return nil, fmt.Errorf("prune: %w", err)
	}
	hw, err := s.Hardware(s.Arch)
	if err != nil {
		return nil, err
	}
	return &Prepared{s: s, Hardware: hw}, nil
}

// Run prunes the setup's model with method, one of its Methods.
// Cancelling ctx stops it within a step or a mini-batch of the fine-tune.
func (p *Prepared) Run(ctx context.Context, method Method) (*Result, error) {
	s := p.s
	cfg := Config{Method: method, Granularity: s.Granularity, Target: s.Target, Milestones: s.Milestones, PerLayer: s.PerLayer,
		Increment: s.Increment, Tolerance: s.Tolerance, Measurer: p.Hardware, Calibration: measure.Batch(s.Train, s.Calibration),
		Test: s.Test.Head(s.EvalImages), Workers: s.Workers}
	if s.FinetuneEpochs > 0 {
		cfg.Train = s.Train.Head(s.Limit)
		cfg.Finetune = nn.TrainConfig{Epochs: s.FinetuneEpochs, Batch: s.Batch, Optimizer: &nn.Adam{},
			Schedule: nn.CosineLR{Base: s.LR}, Seed: s.Seed, Workers: s.Workers}
	}
	if s.OnStep != nil {
		cfg.OnStep = func(st Step) { s.OnStep(method, st) }
	}
	cfg.Checkpoint = s.CheckpointDir(s.Checkpoint, method)
	if s.Resume != "" {
		dir := s.CheckpointDir(s.Resume, method)
		switch {
		case HasCheckpoint(dir):
			cfg.Resume = dir
		case len(s.Methods) < 2 || method == s.Methods[0]:
			return nil, fmt.Errorf("prune: resume: %s holds no checkpoint (%s)", dir, checkpointState)
		}
	}
	return Run(ctx, s.Model, cfg)
}
