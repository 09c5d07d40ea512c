package measure

import (
	"fmt"
	"math"
	"slices"

	"github.com/nnergy/nnergy/nn"
	"github.com/nnergy/nnergy/nn/data"
	"github.com/nnergy/nnergy/sparse"
	"github.com/nnergy/nnergy/workload"
)

// Workload returns the accelerator workload of m at the given batch size:
// one layer per convolution (grouped and depthwise included) and linear
// layer (a fully connected layer), named after its node, in model order,
// with graph edges traced through the layers without MACs (activations,
// pooling, batch norm, flatten, adds, concatenations). Each layer's weight
// density is its fraction of nonzero weights (masked or not; at least one
// nonzero, as in package workload/onnx), and a convolution's weights are
// kept as measured values (sparse.Measured), so a pruned model's sparsity,
// tile by tile, flows into the sparse energy model. Activations are dense; see [Densities].
func Workload(m *nn.Model, batch int) (*workload.Network, error) {
	if batch < 1 {
		return nil, fmt.Errorf("measure: batch %d, want at least 1", batch)
	}
	infos, err := nn.Describe(m)
	if err != nil {
		return nil, fmt.Errorf("measure: %w", err)
	}
	net := &workload.Network{Name: "model", Input: [4]int{batch}}
	if len(m.InShape) == 3 {
		net.Input = [4]int{batch, m.InShape[0], m.InShape[1], m.InShape[2]}
	}
	byName := map[string]*nn.LayerInfo{}
	for i := range infos {
		byName[infos[i].Name] = &infos[i]
	}
	// producers[t] lists the MAC layers whose outputs reach tensor t.
	producers := map[string][]string{}
	for i := range infos {
		li := &infos[i]
		var from []string
		for _, in := range li.Inputs {
			from = union(from, producers[in])
		}
		var l *workload.Layer
		switch li.Kind {
		case nn.KindConv:
			l, err = workload.NewConv(workload.ConvSpec{
				Name: li.Name, Batch: batch, InC: li.In[0], OutC: li.Out[0], InH: li.In[1], InW: li.In[2],
				KH: li.Kernel[0], KW: li.Kernel[1], StrideH: li.Stride[0], StrideW: li.Stride[1],
				PadT: li.Pad[0], PadL: li.Pad[1], PadB: li.Pad[2], PadR: li.Pad[3],
				DilationH: li.Dilation[0], DilW: li.Dilation[1], Groups: li.Groups,
			})
		case nn.KindLinear:
			l, err = workload.NewFC(li.Name, batch, li.In[0]*li.In[1]*li.In[2], li.Out[0])
		default:
			producers[li.Name] = from
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("measure: node %q: %w", li.Name, err)
		}
		w := weightOf(m.Node(li.Name))
		l.Density[workload.Weights] = float64(max(w.Len()-li.Zeros, 1)) / float64(w.Len())
		// A convolution's weights [G·M, C, R, S] are in the order of the
		// layer's Weights ranks (G, M, C, R, S): keep them, as the ONNX
		// importer does, so that the cost model measures every tile.
		if li.Kind == nn.KindConv && int64(w.Len()) == l.Size(workload.Weights) {
			sh := l.Shape
			t := sparse.Tensor{Shape: []int{sh[workload.G], sh[workload.M], sh[workload.C], sh[workload.R], sh[workload.S]}, Values: slices.Clone(w.Data)}
			if ms, err := sparse.NewMeasured(t); err == nil {
				l.Measured[workload.Weights] = ms
			}
		}
		l.From = from
		producers[li.Name] = []string{li.Name}
		net.Layers = append(net.Layers, l)
	}
	if len(net.Layers) == 0 {
		return nil, fmt.Errorf("measure: the model has no convolution or linear layer")
	}
	return net, nil
}

// weightOf returns the weight of a convolution or linear node, or nil.
func weightOf(n *nn.Node) *nn.Param {
	if n == nil {
		return nil
	}
	switch l := n.Layer.(type) {
	case *nn.Conv:
		return l.Weight
	case *nn.Linear:
		return l.Weight
	}
	return nil
}

func union(a, b []string) []string {
	out := slices.Clone(a)
	for _, s := range b {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

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
		if weightOf(n) == nil {
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
