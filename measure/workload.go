package measure

import (
	"fmt"
	"math"
	"slices"

	"github.com/nnergy/nnergy/nn"
	"github.com/nnergy/nnergy/nn/data"
	"github.com/nnergy/nnergy/workload"
)

// Densities are the measured fractions of nonzero activations of each MAC
// layer of a model: what it reads and what it writes once the activation
// that follows it (through batch norm and dropout) has been applied, which
// is what an accelerator that fuses the activation stores.
type Densities map[string]Density

// Density is one layer's activation densities.
type Density struct {
	Inputs, Outputs float64
}

// Apply sets the input and output densities of net's layers that d lists,
// rounded to a multiple of step (none when step is 0) and kept in (0, 1].
// Rounding makes layers whose activations hardly changed share cache entries.
func (d Densities) Apply(net *workload.Network, step float64) {
	for _, l := range net.Layers {
		v, ok := d[l.Name]
		if !ok {
			continue
		}
		l.Density[workload.Inputs] = quantize(v.Inputs, step)
		l.Density[workload.Outputs] = quantize(v.Outputs, step)
	}
}

func quantize(v, step float64) float64 {
	if step > 0 {
		v = math.Round(v/step) * step
		if v < step {
			v = step
		}
	}
	return min(max(v, 1e-6), 1)
}

// Batch returns the first n samples of set as one input tensor [n, shape...].
func Batch(set *data.Set, n int) *nn.Tensor {
	n = min(max(n, 1), set.Len())
	x := nn.NewTensor(append([]int{n}, set.Shape...)...)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	set.Gather(idx, x.Data, make([]int, n))
	return x
}

// Activations runs m in inference mode on x and returns the value of every
// named tensor (the model input or node outputs), each [N, shape...]. It is
// what calibration needs: the inputs and outputs of chosen layers.
func Activations(m *nn.Model, x *nn.Tensor, names []string, workers int) (map[string]*nn.Tensor, error) {
	if len(x.Shape) == 0 {
		return nil, fmt.Errorf("measure: input tensor has no shape")
	}
	if err := m.CheckSize(x.Shape[0]); err != nil {
		return nil, fmt.Errorf("measure: %w", err)
	}
	out := map[string]*nn.Tensor{}
	for _, name := range names {
		if _, ok := out[name]; ok {
			continue
		}
		if name == m.Input {
			out[name] = x
			continue
		}
		i := slices.IndexFunc(m.Nodes, func(n *nn.Node) bool { return n.Name == name })
		if i < 0 {
			return nil, fmt.Errorf("measure: no tensor %q", name)
		}
		sub := &nn.Model{Input: m.Input, InShape: m.InShape, Nodes: m.Nodes[:i+1], Output: name}
		y, err := nn.NewExec(sub, workers).Forward(x, false)
		if err != nil {
			return nil, fmt.Errorf("measure: %w", err)
		}
		out[name] = &nn.Tensor{Shape: slices.Clone(y.Shape), Data: slices.Clone(y.Data)}
	}
	return out, nil
}

// MeasureDensities runs m on the calibration batch x and returns the
// activation densities of its convolution and linear layers.
func MeasureDensities(m *nn.Model, x *nn.Tensor, workers int) (Densities, error) {
	type io struct{ in, out string }
	var layers []string
	tensors := map[string]io{}
	var names []string
	for _, n := range m.Nodes {
		if n.Weight() == nil {
			continue
		}
		t := io{in: n.Inputs[0], out: activated(m, n.Name)}
		layers = append(layers, n.Name)
		tensors[n.Name] = t
		names = append(names, t.in, t.out)
	}
	acts, err := Activations(m, x, names, workers)
	if err != nil {
		return nil, err
	}
	d := Densities{}
	for _, name := range layers {
		t := tensors[name]
		d[name] = Density{Inputs: nonzero(acts[t.in]), Outputs: nonzero(acts[t.out])}
	}
	return d, nil
}

// activated follows the output of node through the layers an accelerator
// applies on the way out (batch norm, ReLU, dropout) while each is the only
// reader, and returns the last tensor's name.
func activated(m *nn.Model, node string) string {
	cur := node
	for {
		cs := m.Consumers(cur)
		if len(cs) != 1 || cur == m.OutputName() {
			return cur
		}
		switch cs[0].Layer.Kind() {
		case nn.KindBatchNorm, nn.KindReLU, nn.KindDropout:
			cur = cs[0].Name
		default:
			return cur
		}
	}
}

// nonzero returns the fraction of nonzero values of t.
func nonzero(t *nn.Tensor) float64 {
	if len(t.Data) == 0 {
		return 1
	}
	nz := 0
	for _, v := range t.Data {
		if v != 0 {
			nz++
		}
	}
	return float64(nz) / float64(len(t.Data))
}
