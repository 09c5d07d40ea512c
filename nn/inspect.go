package nn

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// FilterNorms returns the L2 norm of each output filter of a convolution
// (over its input channels and kernel) or linear layer (each weight row),
// or of each head of an attention product ([RemoveHeads]: over the
// projection weights that go with the head).
func FilterNorms(m *Model, node string) ([]float64, error) {
	n := m.Node(node)
	if n == nil {
		return nil, fmt.Errorf("nn: no node %q", node)
	}
	var w *Param
	switch l := n.Layer.(type) {
	case *Conv:
		w = l.Weight
	case *Linear:
		w = l.Weight
	case *MatMul:
		return headNorms(m, node)
	default:
		return nil, fmt.Errorf("nn: node %q is %v, not conv or linear", node, n.Layer.Kind())
	}
	rows := w.Shape[0]
	k := len(w.Data) / rows
	norms := make([]float64, rows)
	for r := range norms {
		var s float64
		for _, v := range w.Data[r*k : (r+1)*k] {
			s += float64(v) * float64(v)
		}
		norms[r] = math.Sqrt(s)
	}
	return norms, nil
}

// Zeros returns the number of values that are exactly zero.
func (p *Param) Zeros() int {
	z := 0
	for _, v := range p.Data {
		if v == 0 {
			z++
		}
	}
	return z
}

// Sparsity returns the fraction of values that are exactly zero.
func (p *Param) Sparsity() float64 {
	if len(p.Data) == 0 {
		return 0
	}
	return float64(p.Zeros()) / float64(len(p.Data))
}

// SetMask installs a mask (true keeps a value) and zeroes the masked
// values; nil removes the mask.
func (p *Param) SetMask(keep []bool) error {
	if keep == nil {
		p.Mask = nil
		return nil
	}
	if len(keep) != len(p.Data) {
		return fmt.Errorf("nn: mask has %d values, parameter %d", len(keep), len(p.Data))
	}
	p.Mask = slices.Clone(keep)
	p.applyMask()
	return nil
}

// MaskSmallest masks the given fraction of the values with the smallest
// magnitude (ties broken by index; values already masked count among
// them), so that they stay zero through training.
func (p *Param) MaskSmallest(fraction float64) error {
	if fraction < 0 || fraction > 1 || math.IsNaN(fraction) {
		return fmt.Errorf("nn: mask fraction %v outside [0, 1]", fraction)
	}
	idx := make([]int, len(p.Data))
	for i := range idx {
		idx[i] = i
	}
	mag := func(i int) float64 {
		if p.Mask != nil && !p.Mask[i] {
			return -1
		}
		return math.Abs(float64(p.Data[i]))
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(mag(a), mag(b)) })
	keep := make([]bool, len(p.Data))
	for i := range keep {
		keep[i] = true
	}
	for _, i := range idx[:int(math.Round(fraction*float64(len(idx))))] {
		keep[i] = false
	}
	return p.SetMask(keep)
}

// LayerInfo describes one node for cost models and pruning: its kind, the
// per-sample shapes it reads and writes ([C H W]; feature vectors are
// [F 1 1], other shapes [size 1 1]), its geometry (convolutions and pooling; 1×1 with stride 1 for
// linear layers), its parameter count, weight sparsity and multiply-
// accumulates per sample.
type LayerInfo struct {
	Name     string
	Kind     Kind
	Inputs   []string
	In       [3]int   // first input
	InShapes [][3]int // every input
	Out      [3]int
	Kernel   [2]int
	Stride   [2]int
	Pad      [4]int // top, left, bottom, right
	Dilation [2]int
	Groups   int
	Params   int
	Zeros    int   // weight values that are exactly zero (masked or not)
	MACs     int64 // per sample
}

func chw(s []int) [3]int {
	switch len(s) {
	case 1:
		return [3]int{s[0], 1, 1}
	case 3:
		return [3]int{s[0], s[1], s[2]}
	}
	return [3]int{numel(s), 1, 1}
}

// Describe returns a LayerInfo for every node, in model order, so that
// other packages can turn a model into an accelerator workload without nn
// knowing about them.
func Describe(m *Model) ([]LayerInfo, error) {
	shapes, err := m.Shapes()
	if err != nil {
		return nil, err
	}
	var infos []LayerInfo
	for _, n := range m.Nodes {
		li := LayerInfo{Name: n.Name, Kind: n.Layer.Kind(), Inputs: slices.Clone(n.Inputs),
			Out: chw(shapes[n.Name]), Kernel: [2]int{1, 1}, Stride: [2]int{1, 1}, Dilation: [2]int{1, 1}, Groups: 1}
		for _, in := range n.Inputs {
			li.InShapes = append(li.InShapes, chw(shapes[in]))
		}
		if len(li.InShapes) > 0 {
			li.In = li.InShapes[0]
		}
		for _, p := range n.Layer.Params() {
			li.Params += p.Len()
		}
		outHW := int64(li.Out[1] * li.Out[2])
		switch l := n.Layer.(type) {
		case *Conv:
			li.Kernel = l.Kernel
			li.Stride = [2]int{one(l.Stride[0]), one(l.Stride[1])}
			li.Pad = l.Pad
			li.Dilation = [2]int{one(l.Dilation[0]), one(l.Dilation[1])}
			li.Groups = one(l.Groups)
			li.Zeros = l.Weight.Zeros()
			li.MACs = int64(l.Weight.Len()) * outHW
		case *Linear:
			li.Zeros = l.Weight.Zeros()
			// Once per vector along the last axis: [L In] is L vectors.
			li.MACs = int64(l.Weight.Len()) * int64(numel(shapes[n.Inputs[0]])/l.In)
		case *MatMul:
			a, b := shapes[n.Inputs[0]], shapes[n.Inputs[1]]
			li.MACs = int64(numel(a)) * int64(b[len(b)-1])
		case *MaxPool:
			li.Kernel, li.Stride, li.Pad = l.Kernel, [2]int{one(l.Stride[0]), one(l.Stride[1])}, l.Pad
		case *AvgPool:
			li.Kernel, li.Stride, li.Pad = l.Kernel, [2]int{one(l.Stride[0]), one(l.Stride[1])}, l.Pad
		case *GlobalAvgPool:
			li.Kernel = [2]int{li.In[1], li.In[2]}
		}
		infos = append(infos, li)
	}
	return infos, nil
}

// headNorms returns the L2 norm of the linear weights each head of the
// attention product node would take with it.
func headNorms(m *Model, node string) ([]float64, error) {
	shapes, err := m.Shapes()
	if err != nil {
		return nil, err
	}
	sh := shapes[node]
	if len(sh) != 3 {
		return nil, fmt.Errorf("nn: node %q: matmul of shape %v; heads are the first axis of a matmul [H L L] of attention", node, sh)
	}
	norms := make([]float64, sh[0])
	for h := range norms {
		_, changes, err := planRemoval(m, shapes, node, []int{h})
		if err != nil {
			return nil, err
		}
		var s float64
		for _, c := range changes {
			l, ok := m.Node(c.Node).Layer.(*Linear)
			if !ok {
				continue
			}
			for _, r := range c.Out {
				for _, v := range l.Weight.Data[r*l.In : (r+1)*l.In] {
					s += float64(v) * float64(v)
				}
			}
			for _, col := range c.In {
				for r := 0; r < l.Out; r++ {
					v := l.Weight.Data[r*l.In+col]
					s += float64(v) * float64(v)
				}
			}
		}
		norms[h] = math.Sqrt(s)
	}
	return norms, nil
}
