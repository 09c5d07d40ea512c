package nn

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"time"
)

// Exec runs a model's forward and backward passes. It owns the activation
// and gradient buffers, one set per batch size seen (a training run uses two:
// the full batch and the last, shorter one), and rebuilds them when the
// model's layers or shapes change (after surgery, say). An Exec is not safe
// for concurrent use.
//
// Work is split across the workers by images (convolutions, pooling) or by
// blocks of the output (matrix products); per-worker partial gradients are
// summed in worker order, so a run is reproducible bit for bit for a given
// worker count. A ReLU whose input is read by nothing else is fused into
// the convolution, linear or batch-norm layer that produces it.
type Exec struct {
	m     *Model
	r     *run
	plans map[int]*plan
	last  *plan // the plan of the last forward pass
}

// plan is the model bound to one batch size.
type plan struct {
	batch   int
	layers  []Layer
	shapes  [][]int
	ops     []op
	ins     [][]int // per node, the index of each input (-1: model input)
	outIdx  int
	outs    []*Tensor
	grads   []*Tensor
	scratch [][]*Tensor
	written []bool
	input   *Tensor
	trained bool
}

// NewExec returns an executor for m with the given number of workers (the
// number of usable CPUs when workers < 1).
func NewExec(m *Model, workers int) *Exec {
	if workers < 1 {
		workers = runtime.GOMAXPROCS(0)
	}
	return &Exec{m: m, r: newRun(workers), plans: map[int]*plan{}}
}

// Workers returns the number of workers.
func (e *Exec) Workers() int { return e.r.workers }

// Model returns the model being run.
func (e *Exec) Model() *Model { return e.m }

// SetSeed sets the seed of the dropout masks; step numbers the next
// training pass (it advances by one after each backward pass).
func (e *Exec) SetSeed(seed, step uint64) { e.r.seed, e.r.step = seed, step }

// plan returns the plan for the batch size, rebuilt if any layer or shape
// changed since it was made.
func (e *Exec) plan(batch int) (*plan, error) {
	all, err := e.m.Shapes()
	if err != nil {
		return nil, err
	}
	p := e.plans[batch]
	if p != nil && len(p.layers) == len(e.m.Nodes) {
		same := true
		for i, n := range e.m.Nodes {
			if p.layers[i] != n.Layer || !slices.Equal(p.shapes[i], all[n.Name]) {
				same = false
				break
			}
		}
		if same {
			return p, nil
		}
	}
	if p != nil {
		// Stale: the model changed, so every plan is.
		clear(e.plans)
	}
	idx := map[string]int{e.m.Input: -1}
	nn := len(e.m.Nodes)
	p = &plan{batch: batch, layers: make([]Layer, nn), shapes: make([][]int, nn), ops: make([]op, nn),
		ins: make([][]int, nn), outs: make([]*Tensor, nn), grads: make([]*Tensor, nn),
		scratch: make([][]*Tensor, nn), written: make([]bool, nn)}
	for i, n := range e.m.Nodes {
		p.layers[i] = n.Layer
		p.shapes[i] = all[n.Name]
		in := make([][]int, len(n.Inputs))
		p.ins[i] = make([]int, len(n.Inputs))
		for k, name := range n.Inputs {
			in[k] = all[name]
			p.ins[i][k] = idx[name]
		}
		idx[n.Name] = i
		p.ops[i] = n.Layer.newOp(in, all[n.Name], batch)
		if d, ok := p.ops[i].(*dropoutOp); ok {
			d.id = uint64(i)
		}
		p.outs[i] = NewTensor(append([]int{batch}, all[n.Name]...)...)
	}
	p.outIdx = idx[e.m.OutputName()]
	p.fuse()
	e.plans[batch] = p
	return p, nil
}

// fuse folds each ReLU into the convolution, linear or batch-norm layer
// before it when that layer's output feeds nothing else: the layer applies
// the activation in its last pass over the output and the ReLU's output
// shares its buffer. Per-layer latencies then count the ReLU in the layer
// before it.
func (p *plan) fuse() {
	readers := make([]int, len(p.ops))
	for _, ins := range p.ins {
		for _, k := range ins {
			if k >= 0 {
				readers[k]++
			}
		}
	}
	for j, o := range p.ops {
		r, ok := o.(*reluOp)
		if !ok || len(p.ins[j]) != 1 {
			continue
		}
		i := p.ins[j][0]
		if i < 0 || readers[i] != 1 || i == p.outIdx {
			continue
		}
		f, ok := p.ops[i].(fuser)
		if !ok {
			continue
		}
		f.fuse(fusedReLU{on: true, cap: r.cap})
		r.fused = true
		p.outs[j] = p.outs[i]
	}
}

// Forward runs the model on x, whose shape is [N, InShape...], and returns
// the output tensor. The result is owned by the Exec and valid until the
// next call with the same batch size. In training mode (train true) batch
// normalisation uses batch statistics and updates its running statistics,
// dropout is active, and the pass keeps what [Exec.Backward] needs.
func (e *Exec) Forward(x *Tensor, train bool) (*Tensor, error) {
	return e.forward(x, train, nil)
}

func (e *Exec) forward(x *Tensor, train bool, times []time.Duration) (*Tensor, error) {
	if len(x.Shape) != len(e.m.InShape)+1 || !slices.Equal(x.Shape[1:], e.m.InShape) || x.Shape[0] < 1 {
		return nil, fmt.Errorf("nn: input shape %v, want [N %v]", x.Shape, e.m.InShape)
	}
	if len(x.Data) != x.Len() {
		return nil, fmt.Errorf("nn: input has %d values for shape %v", len(x.Data), x.Shape)
	}
	p, err := e.plan(x.Shape[0])
	if err != nil {
		return nil, err
	}
	var buf [4]*Tensor
	for i, o := range p.ops {
		in := buf[:0]
		for _, k := range p.ins[i] {
			if k < 0 {
				in = append(in, x)
			} else {
				in = append(in, p.outs[k])
			}
		}
		if times != nil {
			t0 := time.Now()
			o.forward(e.r, in, p.outs[i], train)
			times[i] = time.Since(t0)
			continue
		}
		o.forward(e.r, in, p.outs[i], train)
	}
	p.input, p.trained = x, train
	e.last = p
	return p.outs[p.outIdx], nil
}

// Backward propagates dy, the gradient of the loss with respect to the
// output of the last Forward (which must have been a training pass), and
// writes every parameter's Grad. Nodes that do not lead to the output get
// no gradient.
func (e *Exec) Backward(dy *Tensor) error {
	p := e.last
	if p == nil || !p.trained {
		return errors.New("nn: backward needs a training forward pass first")
	}
	out := p.outs[p.outIdx]
	if !slices.Equal(dy.Shape, out.Shape) {
		return fmt.Errorf("nn: gradient shape %v, want %v", dy.Shape, out.Shape)
	}
	clear(p.written)
	copy(p.grad(p.outIdx).Data, dy.Data)
	p.written[p.outIdx] = true
	var ib, db [4]*Tensor
	for i := len(p.ops) - 1; i >= 0; i-- {
		if !p.written[i] {
			continue
		}
		in, din := ib[:0], db[:0]
		if len(p.scratch[i]) < len(p.ins[i]) {
			p.scratch[i] = make([]*Tensor, len(p.ins[i]))
		}
		for k, src := range p.ins[i] {
			if src < 0 {
				in, din = append(in, p.input), append(din, nil)
				continue
			}
			in = append(in, p.outs[src])
			if !p.written[src] {
				// The first consumer met in reverse order overwrites the
				// producer's gradient; later ones (and a second read by
				// the same node) add to it through a scratch buffer.
				p.written[src] = true
				din = append(din, p.grad(src))
				continue
			}
			if p.scratch[i][k] == nil {
				p.scratch[i][k] = NewTensor(p.outs[src].Shape...)
			}
			din = append(din, p.scratch[i][k])
		}
		p.ops[i].backward(e.r, in, p.outs[i], p.grads[i], din)
		for k, src := range p.ins[i] {
			if src >= 0 && din[k] != p.grads[src] {
				addTo(p.grads[src].Data, din[k].Data)
			}
		}
	}
	e.r.step++
	return nil
}

func (p *plan) grad(i int) *Tensor {
	if p.grads[i] == nil {
		p.grads[i] = NewTensor(p.outs[i].Shape...)
	}
	return p.grads[i]
}
