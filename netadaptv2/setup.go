package netadaptv2

import (
	"context"
	"errors"
	"fmt"
	"runtime"

	"github.com/nnergy/nnergy/netadapt"
	"github.com/nnergy/nnergy/nn"
	"github.com/nnergy/nnergy/nn/data"
)

// Options are NetAdaptV2's own settings of a run that a netadapt.Setup
// prepares: the measurer, budget, schedule, selection, tuner, workers,
// bounds and checkpoint come from the prepared netadapt.Config.
type Options struct {
	// Proposals per iteration, each shrinking Layers units at once.
	Proposals, Layers int
	// Epochs, Batch and LR train the super-network with Sampling; Seed
	// seeds it.
	Epochs, Batch int
	LR            float64
	Sampling      Sampling
	Seed          uint64
	// CalibBatches (at least 1) batches of 64 recalibrate batch norm
	// before a sub-network is scored; ShortTune fine-tunes each proposal first.
	CalibBatches int
	ShortTune    bool
	// NoBypass turns off the channel-level bypass connections (on by
	// default, as in the paper; see [Unit]).
	NoBypass bool
	// Resume, when set, continues the run checkpointed in this directory.
	Resume    string
	OnTrained func(TrainStats)
	// OnResult, when set, receives the whole result (widths and the
	// super-network's accuracy) before the search returns.
	OnResult func(*Result)
}

// DefaultOptions returns the defaults of nnergy adapt --method netadaptv2.
func DefaultOptions() Options {
	return Options{Proposals: 8, Layers: 2, Epochs: 1, Batch: 64, LR: 0.001, Seed: 1, CalibBatches: 20,
		Sampling: DefaultSampling}
}

// Check returns every problem of o at once, or nil. name turns an
// option's name as the HTTP API spells it (v2_proposals) into the
// caller's (--v2-proposals).
func (o Options) Check(name func(option string) string) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	for _, c := range []struct {
		option string
		v, min int
	}{{"v2_proposals", o.Proposals, 1}, {"v2_layers", o.Layers, 1}, {"v2_epochs", o.Epochs, 1}, {"v2_random", o.Sampling.Random, 0},
		{"v2_calib_batches", o.CalibBatches, 1}} {
		if c.v < c.min {
			bad("%s %d: want at least %d", name(c.option), c.v, c.min)
		}
	}
	if o.Sampling.Random == 0 && !o.Sampling.Sandwich {
		bad("%s 0 without %s trains no sub-network", name("v2_random"), name("v2_sandwich"))
	}
	if !(o.Sampling.MinWidth > 0 && o.Sampling.MinWidth <= 1) {
		bad("%s %v outside (0, 1]", name("v2_min_width"), o.Sampling.MinWidth)
	}
	if !(o.LR > 0) {
		bad("%s %v: want a positive rate", name("v2_lr"), o.LR)
	}
	return errors.Join(errs...)
}

// Search returns NetAdaptV2 as a search a netadapt.Prepared run runs
// (netadapt.Prepared.RunSearch). The super-network trains on every CPU.
func (o Options) Search() netadapt.Search {
	return func(ctx context.Context, m *nn.Model, cfg netadapt.Config, fit, hold *data.Set) (*netadapt.Result, error) {
		vc := Config{Measurer: cfg.Measurer, Budget: cfg.Budget, InitReduction: cfg.InitReduction, Decay: cfg.Decay,
			Select: cfg.Select, Proposals: o.Proposals, Layers: o.Layers,
			Super: TrainConfig{Train: fit, Epochs: o.Epochs, Batch: o.Batch, LR: o.LR, Seed: o.Seed,
				Workers: runtime.GOMAXPROCS(0), Sampling: o.Sampling},
			Holdout: hold, Calibration: fit, CalibBatches: o.CalibBatches, Tuner: cfg.Tuner, LongTerm: cfg.LongTerm,
			ShortTune: o.ShortTune, NoBypass: o.NoBypass, Workers: cfg.Workers, MaxIterations: cfg.MaxIterations, Seed: cfg.Seed,
			Checkpoint: cfg.Checkpoint, OnTrained: o.OnTrained, OnIteration: cfg.OnIteration}
		var res *Result
		var err error
		if o.Resume != "" {
			res, err = Resume(ctx, o.Resume, vc)
		} else {
			res, err = Run(ctx, m, vc)
		}
		if err != nil {
			return nil, err
		}
		if o.OnResult != nil {
			o.OnResult(res)
		}
		return res.Result, nil
	}
}
