// Package engine lowers models of the training engine (package nn) to
// accelerator workloads: one loop nest per convolution and linear layer,
// with the graph's edges and the weights' measured sparsity, so that a
// model nnergy trained or pruned is evaluated like any other network.
package engine

import (
	"fmt"
	"slices"

	"github.com/nnergy/nnergy/nn"
	"github.com/nnergy/nnergy/sparse"
	"github.com/nnergy/nnergy/workload"
)

// Lower returns the accelerator workload of m at the given batch size:
// one layer per convolution (grouped and depthwise included), linear
// layer (a fully connected layer, or a GEMM over tokens) and product of
// two activations (a batched matmul, batch × heads on G), named after its
// node, in model order, with graph edges (From, in model order) traced
// through the layers without MACs (activations, pooling, batch norm,
// flatten, adds, concatenations). These are the layers package
// workload/onnx makes of the model's ONNX export. Each layer's weight
// density is its fraction of nonzero weights (masked or not; at least one
// nonzero, as in package workload/onnx), and a convolution's weights are
// kept as measured values (sparse.Measured), so a pruned model's sparsity,
// tile by tile, flows into the sparse energy model. Activations are dense; see [Densities].
func Lower(m *nn.Model, batch int) (*workload.Network, error) {
	if batch < 1 {
		return nil, fmt.Errorf("engine: batch %d, want at least 1", batch)
	}
	infos, err := nn.Describe(m)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	shapes, err := m.Shapes() // per sample, without the batch
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	net := &workload.Network{Name: "model", Input: [4]int{batch}, Batch: batch}
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
			lin := m.Node(li.Name).Layer.(*nn.Linear)
			// A linear layer maps every vector along the last axis: [L In]
			// is L tokens, one product of L×In by In×Out per sample.
			if tokens := numel(shapes[li.Inputs[0]]) / lin.In; tokens > 1 {
				l, err = workload.NewLayer(li.Name, workload.GEMM,
					workload.Shape{workload.N: batch, workload.G: 1, workload.M: lin.Out, workload.C: lin.In, workload.P: tokens, workload.Q: 1, workload.R: 1, workload.S: 1},
					[2]int{1, 1}, [2]int{1, 1})
			} else {
				l, err = workload.NewFC(li.Name, batch, lin.In, lin.Out)
			}
		case nn.KindMatMul:
			// Two activations, [... rows inner] × [... inner cols]: one
			// product per leading index (attention heads) per sample, all
			// on G, as package workload/onnx lowers a product of two
			// activations that both vary along the batch.
			a, b := shapes[li.Inputs[0]], shapes[li.Inputs[1]]
			if len(a) < 2 || len(b) < 2 {
				return nil, fmt.Errorf("engine: node %q: matmul of shapes %v and %v, want at least 2 axes each", li.Name, a, b)
			}
			heads := numel(a[:len(a)-2])
			l, err = workload.NewMatMul(li.Name, 1, batch*heads, a[len(a)-2], a[len(a)-1], b[len(b)-1])
			if err == nil {
				l.From = from
				producers[li.Name] = []string{li.Name}
				net.Layers = append(net.Layers, l)
			}
			if err != nil {
				return nil, fmt.Errorf("engine: node %q: %w", li.Name, err)
			}
			continue
		default:
			producers[li.Name] = from
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("engine: node %q: %w", li.Name, err)
		}
		w := m.Node(li.Name).Weight()
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
		return nil, fmt.Errorf("engine: the model has no convolution or linear layer")
	}
	at := map[string]int{} // From lists layers in model order
	for i, l := range net.Layers {
		at[l.Name] = i
	}
	for _, l := range net.Layers {
		slices.SortFunc(l.From, func(a, b string) int { return at[a] - at[b] })
	}
	return net, nil
}

func numel(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
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
