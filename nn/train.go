package nn

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/nnergy/nnergy/nn/data"
)

// TrainConfig sets up a training run. Zero fields take the defaults given.
type TrainConfig struct {
	Epochs    int       // default 1
	Batch     int       // default 64
	Optimizer Optimizer // default &SGD{Momentum: 0.9}
	Schedule  Schedule  // default ConstantLR{0.01}
	Seed      uint64    // shuffling and dropout
	Workers   int       // default: the number of usable CPUs
	EvalBatch int       // default 256
	// OnEvent, if set, is called after every step and every epoch.
	OnEvent func(Event)
	// Checkpoint, if set, is a directory the run saves itself to (the
	// model, the optimizer's state, the shuffling generator's state and
	// the history, in the file CheckpointFile) after every epoch and,
	// when ctx is cancelled, at the step it stopped after.
	Checkpoint string
	// Resume, if set, is a directory holding such a checkpoint, which the
	// run continues to the result an uninterrupted run gives: the model
	// passed must be the one the checkpointed run started from (it is
	// replaced by the checkpoint's), and the data sets and every setting
	// but OnEvent, Checkpoint and Resume the checkpointed run's.
	// Checkpoints are then written to Checkpoint, else to Resume.
	Resume string
}

// EventKind tells what an [Event] reports.
type EventKind int

// Event kinds.
const (
	EventStep  EventKind = iota + 1 // one optimizer step
	EventEpoch                      // the end of an epoch, after evaluation
)

// Event reports training progress. Counters are 1-based.
type Event struct {
	Kind    EventKind
	Epoch   int
	Epochs  int
	Step    int // step within the epoch
	Steps   int // steps per epoch
	Loss    float64
	LR      float64
	Images  int           // images trained on in this epoch so far
	Elapsed time.Duration // since the epoch began in this process (training time only)
	// Resumed is how many of Images were trained before the run was
	// resumed from a checkpoint in the middle of this epoch: they are not
	// timed in Elapsed.
	Resumed int
	// Test is the evaluation on the test set at the end of an epoch, nil
	// for steps and when there is no test set.
	Test *Score
}

// ImagesPerSec returns the epoch's training throughput so far: the images
// trained in Elapsed (those before a resume are not counted).
func (e Event) ImagesPerSec() float64 {
	if e.Elapsed <= 0 {
		return 0
	}
	return float64(e.Images-e.Resumed) / e.Elapsed.Seconds()
}

// Score is a model's accuracy and mean cross-entropy loss on a set.
type Score struct {
	Accuracy float64
	Loss     float64
	N        int
}

func checkSet(m *Model, s *data.Set) error {
	if s == nil || s.Len() == 0 {
		return fmt.Errorf("nn: empty data set")
	}
	if !slices.Equal(s.Shape, m.InShape) {
		return fmt.Errorf("nn: data set %s has samples of shape %v, model input is %v", s.Name, s.Shape, m.InShape)
	}
	shapes, err := m.Shapes()
	if err != nil {
		return err
	}
	if out := shapes[m.OutputName()]; len(out) != 1 || out[0] != s.Classes {
		return fmt.Errorf("nn: model output shape %v, data set %s has %d classes", out, s.Name, s.Classes)
	}
	return nil
}

// Train trains m on train for cfg.Epochs epochs of shuffled mini-batches
// with softmax cross-entropy, evaluating on test (if not nil) after each
// epoch. It returns the epoch events. A run is reproducible for a given
// seed, initial weights and worker count. Cancelling ctx stops it between
// steps with ctx's error.
func Train(ctx context.Context, m *Model, train, test *data.Set, cfg TrainConfig) ([]Event, error) {
	if err := checkSet(m, train); err != nil {
		return nil, err
	}
	if test != nil {
		if err := checkSet(m, test); err != nil {
			return nil, err
		}
	}
	if cfg.Epochs <= 0 {
		cfg.Epochs = 1
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 64
	}
	if cfg.Optimizer == nil {
		cfg.Optimizer = &SGD{Momentum: 0.9}
	}
	if cfg.Schedule == nil {
		cfg.Schedule = ConstantLR{0.01}
	}
	n := train.Len()
	// No step takes more than the whole set, so nothing larger is
	// allocated.
	batch := max(min(cfg.Batch, n), 1)
	if err := m.CheckSize(batch); err != nil {
		return nil, err
	}
	e := NewExec(m, cfg.Workers)
	steps := (n + cfg.Batch - 1) / cfg.Batch
	st := &trainState{Epoch: 1}
	var setup trainSetup
	if cfg.Checkpoint != "" || cfg.Resume != "" {
		optName, ok := optimizerName(cfg.Optimizer)
		if !ok {
			return nil, fmt.Errorf("nn: checkpoint: the optimizer %T cannot be checkpointed (SGD and Adam can)", cfg.Optimizer)
		}
		start, err := Digest(m)
		if err != nil {
			return nil, err
		}
		setup = trainSetup{Start: start, TrainSet: train.Name, Images: n, Epochs: cfg.Epochs, Batch: cfg.Batch,
			Optimizer: optName, Schedule: scheduleName(cfg.Schedule), Seed: cfg.Seed, Workers: e.Workers(), EvalBatch: cfg.EvalBatch}
		if test != nil {
			setup.TestSet = fmt.Sprintf("%s (%d images)", test.Name, test.Len())
		}
	}
	pcg := rand.NewPCG(cfg.Seed, 0x73687566666c65)
	rng := rand.New(pcg)
	var history []Event
	if cfg.Resume != "" {
		d, err := readCheckpointFile(cfg.Resume)
		if err != nil {
			return nil, err
		}
		if errs := d.state.Setup.differences(setup); len(errs) > 0 {
			return nil, fmt.Errorf("nn: resume: %s does not continue this run: %w", cfg.Resume, errors.Join(errs...))
		}
		params := d.model.Params()
		if err := readOptimizer(d.opt, cfg.Optimizer, params); err != nil {
			return nil, fmt.Errorf("nn: resume: %s: %w: %v", cfg.Resume, ErrCheckpoint, err)
		}
		if err := pcg.UnmarshalBinary(d.state.RNG); err != nil {
			return nil, fmt.Errorf("nn: resume: %s: %w: %v", cfg.Resume, ErrCheckpoint, err)
		}
		*m = *d.model
		e = NewExec(m, cfg.Workers)
		st = &d.state
		history = st.History
		if cfg.Checkpoint == "" {
			cfg.Checkpoint = cfg.Resume
		}
	}
	st.Setup = setup
	e.SetSeed(cfg.Seed, st.Pass)
	save := func() error {
		if cfg.Checkpoint == "" {
			return nil
		}
		st.History = history
		return writeCheckpoint(cfg.Checkpoint, st, m, cfg.Optimizer)
	}
	k := train.SampleLen()
	x := &Tensor{Data: make([]float32, batch*k)}
	labels := make([]int, batch)
	grad := &Tensor{Data: make([]float32, batch*train.Classes)}
	params := m.Params()
	for epoch := st.Epoch; epoch <= cfg.Epochs; epoch++ {
		var err error
		if st.RNG, err = pcg.MarshalBinary(); err != nil {
			return history, fmt.Errorf("nn: %w", err)
		}
		perm := rng.Perm(n)
		start := time.Now()
		resumed := st.Step * cfg.Batch // images of a resumed epoch trained by the run that stopped
		sum := math.Float64frombits(st.LossBits)
		for s := st.Step; s < steps; s++ {
			if err := ctx.Err(); err != nil {
				st.Epoch, st.Step, st.LossBits = epoch, s, math.Float64bits(sum)
				if err := save(); err != nil {
					return history, err
				}
				return history, ctx.Err()
			}
			idx := perm[s*cfg.Batch : min((s+1)*cfg.Batch, n)]
			b := len(idx)
			x.Shape = append(append(x.Shape[:0], b), m.InShape...)
			x.Data = x.Data[:b*k]
			train.Gather(idx, x.Data, labels[:b])
			out, err := e.Forward(x, true)
			if err != nil {
				return history, err
			}
			grad.Shape = out.Shape
			grad.Data = grad.Data[:len(out.Data)]
			loss, err := SoftmaxCrossEntropy(out, labels[:b], grad)
			if err != nil {
				return history, err
			}
			if err := e.Backward(grad); err != nil {
				return history, err
			}
			st.Pass++
			lr := cfg.Schedule.LR(float64(epoch-1)+float64(s)/float64(steps), cfg.Epochs)
			cfg.Optimizer.Step(params, lr)
			sum += loss * float64(b)
			if cfg.OnEvent != nil {
				cfg.OnEvent(Event{Kind: EventStep, Epoch: epoch, Epochs: cfg.Epochs, Step: s + 1, Steps: steps,
					Loss: loss, LR: lr, Images: s*cfg.Batch + b, Elapsed: time.Since(start), Resumed: resumed})
			}
		}
		ev := Event{Kind: EventEpoch, Epoch: epoch, Epochs: cfg.Epochs, Step: steps, Steps: steps,
			Loss: sum / float64(n), LR: cfg.Schedule.LR(float64(epoch), cfg.Epochs), Images: n, Elapsed: time.Since(start), Resumed: resumed}
		if test != nil {
			sc, err := evaluate(e, test, cfg.EvalBatch)
			if err != nil {
				return history, err
			}
			ev.Test = &sc
		}
		history = append(history, ev)
		st.Epoch, st.Step, st.LossBits = epoch+1, 0, 0
		if st.RNG, err = pcg.MarshalBinary(); err != nil {
			return history, fmt.Errorf("nn: %w", err)
		}
		if err := save(); err != nil {
			return history, err
		}
		if cfg.OnEvent != nil {
			cfg.OnEvent(ev)
		}
	}
	return history, nil
}

// Evaluate returns m's accuracy and loss on set in inference mode, in
// batches of batch images (256 when batch <= 0).
func Evaluate(m *Model, set *data.Set, batch, workers int) (Score, error) {
	if err := checkSet(m, set); err != nil {
		return Score{}, err
	}
	return evaluate(NewExec(m, workers), set, batch)
}

func evaluate(e *Exec, set *data.Set, batch int) (Score, error) {
	if batch <= 0 {
		batch = 256
	}
	m := e.Model()
	n, k := set.Len(), set.SampleLen()
	batch = max(min(batch, n), 1) // nothing larger than the set is allocated
	if err := m.CheckSize(batch); err != nil {
		return Score{}, err
	}
	x := &Tensor{Data: make([]float32, batch*k)}
	labels := make([]int, batch)
	idx := make([]int, batch)
	var correct int
	var loss float64
	for lo := 0; lo < n; lo += batch {
		b := min(batch, n-lo)
		for i := range b {
			idx[i] = lo + i
		}
		x.Shape = append(append(x.Shape[:0], b), m.InShape...)
		x.Data = x.Data[:b*k]
		set.Gather(idx[:b], x.Data, labels[:b])
		out, err := e.Forward(x, false)
		if err != nil {
			return Score{}, err
		}
		l, err := SoftmaxCrossEntropy(out, labels[:b], nil)
		if err != nil {
			return Score{}, err
		}
		loss += l * float64(b)
		for i, p := range Argmax(out) {
			if p == labels[i] {
				correct++
			}
		}
	}
	return Score{Accuracy: float64(correct) / float64(n), Loss: loss / float64(n), N: n}, nil
}
