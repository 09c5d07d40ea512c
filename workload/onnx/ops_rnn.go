package onnx

import (
	"slices"
	"strconv"

	"github.com/nnergy/nnergy/onnx/graph"

	"github.com/nnergy/nnergy/workload"
)

// maxSteps bounds the time steps of one recurrent node (one layer each).
const maxSteps = 1 << 16

// rnnGates is the number of gates of each recurrent op: the rows of its
// weights per direction are gates × hidden_size.
var rnnGates = map[string]int64{"RNN": 1, "GRU": 3, "LSTM": 4}

// rnn imports LSTM, GRU and RNN as the matrix products they compute: per
// time step and direction, an input product x_t·Wᵀ and a recurrent product
// h_{t-1}·Rᵀ for every gate, gates × (input_size + hidden_size) ×
// hidden_size × batch MACs in all. They become layers named after the
// node:
//
//   - "<node>/input": the input products of every step and direction in
//     one GEMM (N = batch, P = steps, C = input_size, M = directions ×
//     gates × hidden_size), since they do not depend on each other;
//     frameworks compute them as one matrix product too.
//   - "<node>/step<t>", one per time step t: the recurrent products of step
//     t of every direction (N = batch, G = directions, C = hidden_size,
//     M = gates × hidden_size), fed by the input layer and step t−1.
//
// Each step is its own layer because step t needs the hidden state step
// t−1 produces: one layer over all steps would let a mapping run steps in
// parallel, or keep R's partial products across steps, which the
// recurrence forbids. Steps have the same shape, so evaluating them costs
// one search. Gate nonlinearities, peepholes (P), biases and GRU's reset
// product are elementwise and not MACs. A GRU with linear_before_reset 0
// multiplies its candidate gate's rows of R by r⊙h rather than by h; the
// step layer reads one hidden-state tensor for all gates, so it counts one
// of the two (same size) reads. Every sequence is counted at the full
// length: sequence_lens is ignored.
func (im *importer) rnn(c *call) ([]*value, error) {
	gates := rnnGates[c.Node.OpType]
	x, w, r := c.In[0], c.In[1], c.In[2]
	layout, err := c.Node.Int("layout", 0)
	if err != nil {
		return nil, im.wrap(err)
	}
	if layout != 0 && layout != 1 {
		return nil, im.wrap(c.Node.AttrErrorf("layout", "%d is neither 0 nor 1", layout))
	}
	if len(x.Shape) != 3 {
		return nil, im.errorf(c.Node, "input %q has shape %v, want [seq_length, batch_size, input_size] (or batch first with layout 1)", c.Node.Inputs[0], x.Shape)
	}
	seq, batch, in := x.Shape[0], x.Shape[1], x.Shape[2]
	if layout == 1 {
		seq, batch = batch, seq
	}
	dir, err := c.Node.Str("direction", "forward")
	if err != nil {
		return nil, im.wrap(err)
	}
	dirs := int64(1)
	switch dir {
	case "forward", "reverse":
	case "bidirectional":
		dirs = 2
	default:
		return nil, im.wrap(c.Node.AttrErrorf("direction", "unknown value %q (want forward, reverse or bidirectional)", dir))
	}
	if len(r.Shape) != 3 {
		return nil, im.errorf(c.Node, "recurrence weights %q have shape %v, want [%d, %d×hidden_size, hidden_size]", c.Node.Inputs[2], r.Shape, dirs, gates)
	}
	hidden, err := c.Node.Int("hidden_size", r.Shape[2])
	if err != nil {
		return nil, im.wrap(err)
	}
	if hidden <= 0 {
		return nil, im.wrap(c.Node.AttrErrorf("hidden_size", "%d is not positive", hidden))
	}
	wantW := []int64{dirs, gates * hidden, in}
	wantR := []int64{dirs, gates * hidden, hidden}
	if !slices.Equal(w.Shape, wantW) {
		return nil, im.errorf(c.Node, "weights %q have shape %v, want %v", c.Node.Inputs[1], w.Shape, wantW)
	}
	if !slices.Equal(r.Shape, wantR) {
		return nil, im.errorf(c.Node, "recurrence weights %q have shape %v, want %v", c.Node.Inputs[2], r.Shape, wantR)
	}
	if b := c.Arg(3); b != nil && !slices.Equal(b.Shape, []int64{dirs, 2 * gates * hidden}) {
		return nil, im.errorf(c.Node, "bias %q has shape %v, want %v", c.Node.Inputs[3], b.Shape, []int64{dirs, 2 * gates * hidden})
	}
	if seq <= 0 || batch <= 0 || in <= 0 {
		return nil, im.errorf(c.Node, "input %q has an empty shape %v", c.Node.Inputs[0], x.Shape)
	}
	if seq > maxSteps {
		return nil, im.errorf(c.Node, "%d time steps: more than the %d step layers the import makes for one node", seq, maxSteps)
	}
	// The input products: from x's layers only.
	shape := workload.Ones()
	shape[workload.N], shape[workload.P], shape[workload.C], shape[workload.M] = int(batch), int(seq), int(in), int(dirs*gates*hidden)
	l, err := workload.NewLayer(im.layerName(c, "/input"), workload.GEMM, shape, [2]int{1, 1}, [2]int{1, 1})
	if err != nil {
		return nil, im.errorf(c.Node, "%s", trimPrefix(err))
	}
	inLayer := im.appendLayer(l, x, w, x.Type, x.From)
	// Initial states feed the first step.
	var init []int
	for i := 5; i < len(c.In); i++ {
		if v := c.Arg(i); v != nil {
			init = graph.Union(init, v.From)
		}
	}
	h := &value{Type: x.Type}
	var steps []int
	prev := graph.Union([]int{inLayer}, init)
	for t := range seq {
		shape := workload.Ones()
		shape[workload.N], shape[workload.G], shape[workload.C], shape[workload.M] = int(batch), int(dirs), int(hidden), int(gates*hidden)
		l, err := workload.NewLayer(im.layerName(c, "/step"+strconv.FormatInt(t, 10)), workload.GEMM, shape, [2]int{1, 1}, [2]int{1, 1})
		if err != nil {
			return nil, im.errorf(c.Node, "%s", trimPrefix(err))
		}
		if t > 0 {
			l.SharesWeights = im.layers[steps[0]].Name
		}
		i := im.appendLayer(l, h, r, x.Type, prev)
		steps = append(steps, i)
		prev = []int{inLayer, i}
	}
	last := steps[len(steps)-1:]
	y := &value{Shape: []int64{seq, dirs, batch, hidden}, From: steps}
	state := &value{Shape: []int64{dirs, batch, hidden}, From: last}
	if layout == 1 {
		y = &value{Shape: []int64{batch, seq, dirs, hidden}, Batch: x.Batch, From: steps}
		state = &value{Shape: []int64{batch, dirs, hidden}, Batch: x.Batch, From: last}
	}
	cell := &value{Shape: state.Shape, Batch: state.Batch, From: last}
	return []*value{y, state, cell}, nil
}
