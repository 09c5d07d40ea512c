package onnx

import (
	"slices"
	"strconv"

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
	gates := rnnGates[c.n.OpType]
	x, w, r := c.in[0], c.in[1], c.in[2]
	layout, err := c.n.Int("layout", 0)
	if err != nil {
		return nil, im.wrap(err)
	}
	if layout != 0 && layout != 1 {
		return nil, im.wrap(c.n.AttrErrorf("layout", "%d is neither 0 nor 1", layout))
	}
	if len(x.shape) != 3 {
		return nil, im.errorf(c.n, "input %q has shape %v, want [seq_length, batch_size, input_size] (or batch first with layout 1)", c.n.Inputs[0], x.shape)
	}
	seq, batch, in := x.shape[0], x.shape[1], x.shape[2]
	if layout == 1 {
		seq, batch = batch, seq
	}
	dir, err := c.n.Str("direction", "forward")
	if err != nil {
		return nil, im.wrap(err)
	}
	dirs := int64(1)
	switch dir {
	case "forward", "reverse":
	case "bidirectional":
		dirs = 2
	default:
		return nil, im.wrap(c.n.AttrErrorf("direction", "unknown value %q (want forward, reverse or bidirectional)", dir))
	}
	if len(r.shape) != 3 {
		return nil, im.errorf(c.n, "recurrence weights %q have shape %v, want [%d, %d×hidden_size, hidden_size]", c.n.Inputs[2], r.shape, dirs, gates)
	}
	hidden, err := c.n.Int("hidden_size", r.shape[2])
	if err != nil {
		return nil, im.wrap(err)
	}
	if hidden <= 0 {
		return nil, im.wrap(c.n.AttrErrorf("hidden_size", "%d is not positive", hidden))
	}
	wantW := []int64{dirs, gates * hidden, in}
	wantR := []int64{dirs, gates * hidden, hidden}
	if !slices.Equal(w.shape, wantW) {
		return nil, im.errorf(c.n, "weights %q have shape %v, want %v", c.n.Inputs[1], w.shape, wantW)
	}
	if !slices.Equal(r.shape, wantR) {
		return nil, im.errorf(c.n, "recurrence weights %q have shape %v, want %v", c.n.Inputs[2], r.shape, wantR)
	}
	if b := c.arg(3); b != nil && !slices.Equal(b.shape, []int64{dirs, 2 * gates * hidden}) {
		return nil, im.errorf(c.n, "bias %q has shape %v, want %v", c.n.Inputs[3], b.shape, []int64{dirs, 2 * gates * hidden})
	}
	if seq <= 0 || batch <= 0 || in <= 0 {
		return nil, im.errorf(c.n, "input %q has an empty shape %v", c.n.Inputs[0], x.shape)
	}
	if seq > maxSteps {
		return nil, im.errorf(c.n, "%d time steps: more than the %d step layers the import makes for one node", seq, maxSteps)
	}
	// The input products: from x's layers only.
	shape := workload.Ones()
	shape[workload.N], shape[workload.P], shape[workload.C], shape[workload.M] = int(batch), int(seq), int(in), int(dirs*gates*hidden)
	l, err := workload.NewLayer(im.layerName(c, "/input"), workload.GEMM, shape, [2]int{1, 1}, [2]int{1, 1})
	if err != nil {
		return nil, im.errorf(c.n, "%s", trimPrefix(err))
	}
	inLayer := im.appendLayer(l, x, w, x.dtype, x.srcs)
	// Initial states feed the first step.
	var init []int
	for i := 5; i < len(c.in); i++ {
		if v := c.arg(i); v != nil {
			init = union(init, v.srcs)
		}
	}
	h := &value{dtype: x.dtype}
	var steps []int
	prev := union([]int{inLayer}, init)
	for t := range seq {
		shape := workload.Ones()
		shape[workload.N], shape[workload.G], shape[workload.C], shape[workload.M] = int(batch), int(dirs), int(hidden), int(gates*hidden)
		l, err := workload.NewLayer(im.layerName(c, "/step"+strconv.FormatInt(t, 10)), workload.GEMM, shape, [2]int{1, 1}, [2]int{1, 1})
		if err != nil {
			return nil, im.errorf(c.n, "%s", trimPrefix(err))
		}
		i := im.appendLayer(l, h, r, x.dtype, prev)
		steps = append(steps, i)
		prev = []int{inLayer, i}
	}
	last := steps[len(steps)-1:]
	y := &value{shape: []int64{seq, dirs, batch, hidden}, srcs: steps}
	state := &value{shape: []int64{dirs, batch, hidden}, srcs: last}
	if layout == 1 {
		y = &value{shape: []int64{batch, seq, dirs, hidden}, batch: x.batch, srcs: steps}
		state = &value{shape: []int64{batch, dirs, hidden}, batch: x.batch, srcs: last}
	}
	cell := &value{shape: state.shape, batch: state.batch, srcs: last}
	return []*value{y, state, cell}, nil
}
