package nn

import (
	"math"
	"math/rand/v2"
)

// Init sets the model's weights for training from a seed: convolution and
// linear weights uniform in ±sqrt(6/fan_in) (He), biases zero, batch-norm
// scale 1, bias 0, running mean 0 and variance 1. Masks are applied.
func Init(m *Model, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0x6e6e657267792069))
	uniform := func(p *Param, fanIn int) {
		bound := float32(math.Sqrt(6 / float64(fanIn)))
		for i := range p.Data {
			p.Data[i] = (rng.Float32()*2 - 1) * bound
		}
		p.applyMask()
	}
	zero := func(p *Param) {
		if p != nil {
			clear(p.Data)
		}
	}
	for _, n := range m.Nodes {
		switch l := n.Layer.(type) {
		case *Conv:
			uniform(l.Weight, numel(l.Weight.Shape[1:]))
			zero(l.Bias)
		case *Linear:
			uniform(l.Weight, l.In)
			zero(l.Bias)
		case *BatchNorm:
			for i := range l.C {
				l.Scale.Data[i], l.Bias.Data[i], l.Mean[i], l.Var[i] = 1, 0, 0, 1
			}
		}
	}
}
