package netadapt

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/nnergy/nnergy/nn"
	"github.com/nnergy/nnergy/nn/data"
	nnonnx "github.com/nnergy/nnergy/nn/onnx"
)

// Phase says which fine-tune a [Tuner] runs.
type Phase uint8

// The phases.
const (
	Short Phase = iota // a proposal's short-term fine-tune
	Long               // the long-term fine-tune of the adapted model
	Score              // only the accuracy of the starting model, no training
)

func (p Phase) String() string {
	switch p {
	case Long:
		return "long"
	case Score:
		return "score"
	}
	return "short"
}

// Job describes one fine-tune.
type Job struct {
	Phase     Phase
	Iteration int    // from 1; 0 for the long-term fine-tune
	Layer     string // the pruned layer of a proposal
	Seed      uint64 // derived from Config.Seed, the iteration and the layer
}

// Tuner fine-tunes a model and scores it on held-out data. Tune may change
// m in place or return another model with the same layers; it must be safe
// to call concurrently on different models, and its result must depend
// only on m and job (not on the order of calls), so that runs are
// reproducible.
type Tuner interface {
	Tune(ctx context.Context, m *nn.Model, job Job) (*nn.Model, float64, error)
}

// Trainer is the built-in [Tuner]: Adam on Train, accuracy on Holdout.
type Trainer struct {
	Train   *data.Set
	Holdout *data.Set
	// ShortSteps is the number of mini-batches of a short-term fine-tune
	// (default 100). Iteration i trains on a window of the training set
	// that moves by ShortSteps·Batch images per iteration.
	ShortSteps int
	// LongEpochs of the long-term fine-tune (0: none, only the score).
	LongEpochs int
	Batch      int     // default 64
	LR         float64 // short-term, constant (default 0.0005)
	LongLR     float64 // long-term, cosine from this (default LR)
	// Workers per short-term fine-tune and score (default 1), and for the
	// long-term fine-tune (default Workers). Results depend on them, not
	// on how many fine-tunes run in parallel.
	Workers     int
	LongWorkers int
}

// Tune implements [Tuner].
func (t *Trainer) Tune(ctx context.Context, m *nn.Model, job Job) (*nn.Model, float64, error) {
	if t.Train == nil || t.Holdout == nil {
		return nil, 0, fmt.Errorf("netadapt: the trainer needs a training and a held-out set")
	}
	steps, batch, lr, workers := t.ShortSteps, t.Batch, t.LR, t.Workers
	if steps <= 0 {
		steps = 100
	}
	if batch <= 0 {
		batch = 64
	}
	if lr <= 0 {
		lr = 0.0005
	}
	if workers <= 0 {
		workers = 1
	}
	cfg := nn.TrainConfig{Epochs: 1, Batch: batch, Optimizer: &nn.Adam{}, Schedule: nn.ConstantLR{Base: lr},
		Seed: job.Seed, Workers: workers, EvalBatch: 256}
	train := t.Train
	switch job.Phase {
	case Score:
		cfg.Epochs = 0
	case Short:
		train = window(t.Train, (job.Iteration-1)*steps*batch, steps*batch)
	default:
		cfg.Epochs = t.LongEpochs
		if t.LongLR > 0 {
			lr = t.LongLR
		}
		cfg.Schedule = nn.CosineLR{Base: lr}
		if t.LongWorkers > 0 {
			workers = t.LongWorkers
			cfg.Workers = workers
		}
	}
	if cfg.Epochs > 0 {
		if _, err := nn.Train(ctx, m, train, nil, cfg); err != nil {
			return nil, 0, err
		}
	}
	sc, err := nn.Evaluate(m, t.Holdout, 256, workers)
	if err != nil {
		return nil, 0, err
	}
	return m, sc.Accuracy, nil
}

// window returns n samples of s from offset off, wrapping around.
func window(s *data.Set, off, n int) *data.Set {
	if n >= s.Len() {
		return s
	}
	k := s.SampleLen()
	w := &data.Set{Name: s.Name, Shape: slices.Clone(s.Shape), Classes: s.Classes,
		X: make([]float32, 0, n*k), Y: make([]int, 0, n)}
	for i := range n {
		j := (off + i) % s.Len()
		w.X = append(w.X, s.X[j*k:(j+1)*k]...)
		w.Y = append(w.Y, s.Y[j])
	}
	return w
}

// Command is a [Tuner] that runs a user's shell command (with sh -c) on
// each model, so that any training code can fine-tune. The contract:
//
//   - The model is written as ONNX (opset 13, with its weights) to a fresh
//     temporary file. If Cmd contains {model}, it is replaced by the file's
//     path (shell-quoted); otherwise the path is appended as the last
//     argument.
//   - The command writes the fine-tuned model, as ONNX with the same layer
//     names and shapes, back to the same path, or to the path that
//     replaces {out} if Cmd contains it.
//   - The last non-empty line of its standard output is the accuracy on
//     held-out data: a number in [0, 1], or a percentage ending in %.
//   - A non-zero exit status fails the run, with the end of its standard
//     error in the message.
//   - In the score phase (the starting model, once per run) the command
//     only prints the accuracy; the model it writes, if any, is ignored.
//   - The environment carries NNERGY_PHASE (short, long or score),
//     NNERGY_ITERATION, NNERGY_LAYER and NNERGY_SEED.
type Command struct {
	Cmd string
	// Dir holds the temporary files (default os.TempDir()).
	Dir string
}

// Tune implements [Tuner].
func (c *Command) Tune(ctx context.Context, m *nn.Model, job Job) (*nn.Model, float64, error) {
	dir, err := os.MkdirTemp(c.Dir, "nnergy-adapt-")
	if err != nil {
		return nil, 0, fmt.Errorf("netadapt: %w", err)
	}
	defer os.RemoveAll(dir)
	in := filepath.Join(dir, "model.onnx")
	if err := nnonnx.WriteFile(in, m); err != nil {
		return nil, 0, err
	}
	cmd, out := c.Cmd, in
	if strings.Contains(cmd, "{out}") {
		out = filepath.Join(dir, "out.onnx")
		cmd = strings.ReplaceAll(cmd, "{out}", shellQuote(out))
	}
	if strings.Contains(cmd, "{model}") {
		cmd = strings.ReplaceAll(cmd, "{model}", shellQuote(in))
	} else {
		cmd += " " + shellQuote(in)
	}
	x := exec.CommandContext(ctx, "sh", "-c", cmd)
	x.Env = append(os.Environ(), "NNERGY_PHASE="+job.Phase.String(), "NNERGY_ITERATION="+strconv.Itoa(job.Iteration),
		"NNERGY_LAYER="+job.Layer, "NNERGY_SEED="+strconv.FormatUint(job.Seed, 10))
	var stdout, stderr bytes.Buffer
	x.Stdout, x.Stderr = &stdout, &stderr
	if err := x.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, 0, ctx.Err()
		}
		return nil, 0, fmt.Errorf("netadapt: fine-tune command %q: %v: %s", c.Cmd, err, tail(stderr.String(), 500))
	}
	acc, err := lastAccuracy(stdout.String())
	if err != nil {
		return nil, 0, fmt.Errorf("netadapt: fine-tune command %q: %w", c.Cmd, err)
	}
	if job.Phase == Score {
		return m, acc, nil
	}
	tuned, err := nnonnx.ReadFile(out)
	if err != nil {
		return nil, 0, fmt.Errorf("netadapt: fine-tune command %q: reading its model: %w", c.Cmd, err)
	}
	if err := sameLayers(m, tuned); err != nil {
		return nil, 0, fmt.Errorf("netadapt: fine-tune command %q: %w", c.Cmd, err)
	}
	return tuned, acc, nil
}

// lastAccuracy parses the last non-empty line of out.
func lastAccuracy(out string) (float64, error) {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	last := strings.TrimSpace(lines[len(lines)-1])
	if last == "" {
		return 0, fmt.Errorf("printed nothing; its last line must be the accuracy")
	}
	v, pct := strings.CutSuffix(last, "%")
	a, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if pct {
		a /= 100
	}
	if err != nil || !(a >= 0 && a <= 1) {
		return 0, fmt.Errorf("last line %q is not an accuracy (want a number in [0, 1] or a percentage like 97.5%%)", last)
	}
	return a, nil
}

// sameLayers checks that b has a's convolution and linear layers with the
// same shapes.
func sameLayers(a, b *nn.Model) error {
	la, err := weightShapes(a)
	if err != nil {
		return err
	}
	lb, err := weightShapes(b)
	if err != nil {
		return fmt.Errorf("the returned model: %w", err)
	}
	if !slices.Equal(la, lb) {
		return fmt.Errorf("the returned model's layers %v differ from the proposal's %v", lb, la)
	}
	return nil
}

func weightShapes(m *nn.Model) ([]string, error) {
	infos, err := nn.Describe(m)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, li := range infos {
		if li.Kind == nn.KindConv || li.Kind == nn.KindLinear {
			out = append(out, fmt.Sprintf("%s:%d->%d", li.Name, li.In[0], li.Out[0]))
		}
	}
	return out, nil
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		s = "..." + s[len(s)-n:]
	}
	return s
}

// seedFor derives the seed of a fine-tune from the run's seed, the
// iteration and the layer's position (splitmix64).
func seedFor(seed uint64, iteration, layer int) uint64 {
	z := seed + 0x9e3779b97f4a7c15*uint64(iteration*1000003+layer+1)
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
