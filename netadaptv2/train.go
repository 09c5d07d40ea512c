package netadaptv2

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/nnergy/nnergy/nn"
	"github.com/nnergy/nnergy/nn/data"
)

// Sampling is the ordered-dropout rule: which sub-networks each training
// step trains. Every step trains Random sub-networks whose units each take
// a width drawn uniformly from the integers [Min, Full] (Unit.Min is
// MinWidth of the filters), and with Sandwich also the full network and
// the smallest one (every unit at Min), the "sandwich rule" of slimmable
// networks: the gradients of the sub-networks of a step are averaged into
// one optimizer step. With Split (the default, the paper's ordered
// dropout), the images of a mini-batch are shared out among the step's
// sub-networks, each training on its own equal share, so that a step costs
// one forward and backward pass of the batch, about what plain training
// costs; without it, every sub-network trains on the whole batch and a
// step costs Random (+2) passes. Either way the cost is a constant factor
// over plain training, whatever the number of sub-networks the search
// later scores.
type Sampling struct {
	MinWidth float64 // default 0.25
	Random   int     // default 2
	Sandwich bool
	Split    bool
}

// DefaultSampling is the rule [Config] and the CLI use by default: widths
// from a quarter to all of the filters, two random sub-networks per step
// with the full and the smallest.
var DefaultSampling = Sampling{MinWidth: 0.25, Random: 2, Sandwich: true, Split: true}

// String describes the rule.
func (s Sampling) String() string {
	sw := ""
	if s.Sandwich {
		sw = " + full + smallest"
	}
	sp := "each on the whole batch"
	if s.Split {
		sp = "sharing out the batch"
	}
	return fmt.Sprintf("%d random%s, widths uniform in [%g, 1] of the filters, %s", s.Random, sw, s.MinWidth, sp)
}

// TrainConfig sets up ordered-dropout training of a super-network. Zero
// fields take the defaults given.
type TrainConfig struct {
	Train    *data.Set
	Epochs   int     // default 1
	Batch    int     // default 64
	LR       float64 // Adam, cosine from this (default 0.001)
	Seed     uint64
	Workers  int // default 1
	Sampling Sampling
	// OnStep, if set, is called after every optimizer step with the step
	// (from 1), the steps in all, and the mean loss of its sub-networks.
	OnStep func(step, steps int, loss float64)
}

// TrainStats reports an ordered-dropout training run.
type TrainStats struct {
	Steps       int
	Images      int // training images seen (each by every sub-network of its step)
	SubNetworks int // sub-networks trained per step
	Elapsed     time.Duration
}

// ImagesPerSec returns training images per second (one image counts once,
// however many sub-networks it trained).
func (t TrainStats) ImagesPerSec() float64 {
	if t.Elapsed <= 0 {
		return 0
	}
	return float64(t.Images) / t.Elapsed.Seconds()
}

// SampleWidths returns the widths of one step's sub-networks under rule
// smp, drawn from rng: the full network and the smallest first with the
// sandwich rule, then the random ones.
func (s *Super) SampleWidths(rng *rand.Rand, smp Sampling) []Widths {
	var out []Widths
	if smp.Sandwich {
		out = append(out, s.FullWidths(), s.MinWidths())
	}
	for range smp.Random {
		w := make(Widths, len(s.Units))
		for u, x := range s.Units {
			w[u] = x.Min + rng.IntN(x.Full-x.Min+1)
		}
		out = append(out, w)
	}
	return out
}

// TrainSuper trains the super-network with ordered dropout (see
// [Sampling]): for every mini-batch, each sampled sub-network runs
// forward and backward (on its share of the batch with Split, else on all
// of it) on the super-network with the filters beyond its widths zeroed,
// the gradients are averaged (weighted by the images each saw), and one
// Adam step updates the weights (the zeroed values are restored first, so a filter dropped in
// one sub-network keeps its weights). Batch-norm statistics follow the
// last sub-network of each step; [Recalibrate] them before scoring one.
// The run is reproducible for a seed and worker count.
func TrainSuper(ctx context.Context, s *Super, cfg TrainConfig) (TrainStats, error) {
	if cfg.Epochs <= 0 {
		cfg.Epochs = 1
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 64
	}
	if cfg.LR <= 0 {
		cfg.LR = 0.001
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 1
	}
	smp := cfg.Sampling
	if smp.Random < 0 || smp.Random == 0 && !smp.Sandwich {
		return TrainStats{}, fmt.Errorf("netadaptv2: sampling trains no sub-network (%d random, no sandwich)", smp.Random)
	}
	m, train := s.Model, cfg.Train
	if train == nil || train.Len() == 0 {
		return TrainStats{}, fmt.Errorf("netadaptv2: no training set")
	}
	if !slices.Equal(train.Shape, m.InShape) {
		return TrainStats{}, fmt.Errorf("netadaptv2: data set %s has samples of shape %v, model input is %v", train.Name, train.Shape, m.InShape)
	}
	e := nn.NewExec(m, cfg.Workers)
	e.SetSeed(cfg.Seed, 0)
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x6f64))
	params := m.Params()
	master := make([][]float32, len(params))
	acc := make([][]float32, len(params))
	for i, p := range params {
		master[i] = slices.Clone(p.Data)
		acc[i] = make([]float32, len(p.Data))
		if len(p.Grad) != len(p.Data) {
			p.Grad = make([]float32, len(p.Data))
		}
	}
	opt := &nn.Adam{}
	sched := nn.CosineLR{Base: cfg.LR}
	n, k := train.Len(), train.SampleLen()
	steps := (n + cfg.Batch - 1) / cfg.Batch
	x := &nn.Tensor{Data: make([]float32, cfg.Batch*k)}
	xs := &nn.Tensor{} // the images of one sub-network
	labels := make([]int, cfg.Batch)
	grad := &nn.Tensor{Data: make([]float32, cfg.Batch*train.Classes)}
	var st TrainStats
	start := time.Now()
	for epoch := 1; epoch <= cfg.Epochs; epoch++ {
		perm := rng.Perm(n)
		for step := range steps {
			if err := ctx.Err(); err != nil {
				return st, err
			}
			idx := perm[step*cfg.Batch : min((step+1)*cfg.Batch, n)]
			b := len(idx)
			x.Shape = append(append(x.Shape[:0], b), m.InShape...)
			x.Data = x.Data[:b*k]
			train.Gather(idx, x.Data, labels[:b])
			subs := s.SampleWidths(rng, smp)
			for i := range acc {
				clear(acc[i])
			}
			var loss, seen float64
			for j, w := range subs {
				lo, hi := 0, b // the images sub-network j trains on
				if smp.Split {
					lo, hi = j*b/len(subs), (j+1)*b/len(subs)
					if lo == hi {
						continue // a last batch smaller than the sub-networks
					}
				}
				if seen > 0 {
					for i, p := range params {
						copy(p.Data, master[i])
					}
				}
				s.Mask(params, w)
				s.SetBypasses(m, w)
				xs.Shape = append(append(xs.Shape[:0], hi-lo), m.InShape...)
				xs.Data = x.Data[lo*k : hi*k]
				out, err := e.Forward(xs, true)
				if err != nil {
					return st, err
				}
				grad.Shape = out.Shape
				grad.Data = grad.Data[:len(out.Data)]
				l, err := nn.SoftmaxCrossEntropy(out, labels[lo:hi], grad)
				if err != nil {
					return st, err
				}
				if err := e.Backward(grad); err != nil {
					return st, err
				}
				// The loss and gradient are means over the images seen:
				// weighted by their number when the batch is shared out,
				// the step's are the means over every image trained on.
				n := 1.0
				if smp.Split {
					n = float64(hi - lo)
				}
				loss += l * n
				seen += n
				wt := float32(n)
				for i, p := range params {
					a := acc[i]
					for e, g := range p.Grad {
						a[e] += g * wt
					}
				}
			}
			inv := 1 / float32(seen)
			for i, p := range params {
				copy(p.Data, master[i])
				for e, a := range acc[i] {
					p.Grad[e] = a * inv
				}
			}
			opt.Step(params, sched.LR(float64(epoch-1)+float64(step)/float64(steps), cfg.Epochs))
			for i, p := range params {
				copy(master[i], p.Data)
			}
			st.Steps++
			st.Images += b
			if cfg.OnStep != nil {
				cfg.OnStep(st.Steps, steps*cfg.Epochs, loss/seen)
			}
		}
	}
	s.SetBypasses(m, s.FullWidths())
	st.SubNetworks = len(s.SampleWidths(rand.New(rand.NewPCG(0, 0)), smp))
	st.Elapsed = time.Since(start)
	return st, nil
}

// Recalibrate sets the running statistics of every batch norm of m (a
// masked copy of the super-network) to their mean over the first batches
// mini-batches of set: after ordered-dropout training they mix the
// sub-networks' statistics, and a sub-network needs its own. A model
// without batch norm is left unchanged.
func Recalibrate(m *nn.Model, set *data.Set, batches, batch, workers int) error {
	var bns []*nn.BatchNorm
	for _, n := range m.Nodes {
		if l, ok := n.Layer.(*nn.BatchNorm); ok {
			bns = append(bns, l)
		}
	}
	if len(bns) == 0 || batches <= 0 {
		return nil
	}
	saved := make([]float32, len(bns))
	for i, l := range bns {
		saved[i] = l.Momentum
	}
	defer func() {
		for i, l := range bns {
			l.Momentum = saved[i]
		}
	}()
	e := nn.NewExec(m, workers)
	k := set.SampleLen()
	x := &nn.Tensor{Data: make([]float32, batch*k)}
	labels := make([]int, batch)
	idx := make([]int, batch)
	for j := range batches {
		lo := j * batch
		if lo >= set.Len() {
			break
		}
		b := min(batch, set.Len()-lo)
		for i := range b {
			idx[i] = lo + i
		}
		for _, l := range bns {
			l.Momentum = 1 / float32(j+1) // the running mean of the batch statistics
		}
		x.Shape = append(append(x.Shape[:0], b), m.InShape...)
		x.Data = x.Data[:b*k]
		set.Gather(idx[:b], x.Data, labels[:b])
		if _, err := e.Forward(x, true); err != nil {
			return err
		}
	}
	return nil
}
