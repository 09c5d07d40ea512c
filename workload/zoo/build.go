package zoo

import (
	"fmt"
	"slices"

	"github.com/nnergy/nnergy/workload"
)

// act is an activation tensor while a network is being built: its shape
// (channels × height × width, batch 1) and the layers whose outputs it is
// made of. Operations that are not layers (pooling, activations, batch
// normalization, residual adds, concatenation) transform acts without adding
// layers; whichever layer reads an act lists all of its producers in From.
type act struct {
	c, h, w int
	from    []string
}

// builder appends layers to a network, tracking activation shapes. The first
// error sticks and is returned by done; later calls are no-ops.
type builder struct {
	net *workload.Network
	err error
}

func newBuilder(name string, c, h, w int) (*builder, act) {
	return &builder{net: &workload.Network{Name: name, Input: [4]int{1, c, h, w}}}, act{c: c, h: h, w: w}
}

func (b *builder) fail(format string, a ...any) {
	if b.err == nil {
		b.err = fmt.Errorf("zoo: %s: "+format, append([]any{b.net.Name}, a...)...)
	}
}

func (b *builder) push(l *workload.Layer, err error, x act) bool {
	if b.err != nil {
		return false
	}
	if err != nil {
		b.err = fmt.Errorf("zoo: %s: %w", b.net.Name, err)
		return false
	}
	l.From = slices.Clone(x.from)
	b.net.Layers = append(b.net.Layers, l)
	return true
}

// conv adds a square convolution with symmetric padding.
func (b *builder) conv(name string, x act, out, k, stride, pad int) act {
	return b.convG(name, x, out, k, stride, pad, 1)
}

// convG adds a grouped square convolution with symmetric padding.
func (b *builder) convG(name string, x act, out, k, stride, pad, groups int) act {
	l, err := workload.NewConv(workload.ConvSpec{
		Name: name, InC: x.c, OutC: out, InH: x.h, InW: x.w,
		KH: k, KW: k, StrideH: stride, StrideW: stride,
		PadT: pad, PadB: pad, PadL: pad, PadR: pad, Groups: groups,
	})
	if !b.push(l, err, x) {
		return act{}
	}
	return act{c: out, h: l.Shape[workload.P], w: l.Shape[workload.Q], from: []string{name}}
}

// dw adds a depthwise convolution (one k×k filter per channel).
func (b *builder) dw(name string, x act, k, stride, pad int) act {
	return b.convG(name, x, x.c, k, stride, pad, x.c)
}

// fc adds a fully connected layer over the flattened activation.
func (b *builder) fc(name string, x act, out int) act {
	l, err := workload.NewFC(name, 1, x.c*x.h*x.w, out)
	if !b.push(l, err, x) {
		return act{}
	}
	return act{c: out, h: 1, w: 1, from: []string{name}}
}

// pool applies a k×k pooling window (max or average: the shape is the same)
// with the given stride and symmetric padding. ceil selects Caffe's (and
// PyTorch's ceil_mode) rounding of the output size, in which the last window
// may hang over the edge but must start inside the padded input.
func (b *builder) pool(x act, k, stride, pad int, ceil bool) act {
	if b.err != nil {
		return act{}
	}
	size := func(in int) int {
		span := in + 2*pad - k
		if span < 0 {
			b.fail("%dx%d pooling does not fit a %dx%d input", k, k, x.h, x.w)
			return 0
		}
		if !ceil {
			return span/stride + 1
		}
		out := (span+stride-1)/stride + 1
		if (out-1)*stride >= in+pad {
			out--
		}
		return out
	}
	return act{c: x.c, h: size(x.h), w: size(x.w), from: x.from}
}

// globalPool averages each channel down to 1×1.
func globalPool(x act) act { return act{c: x.c, h: 1, w: 1, from: x.from} }

// add is an elementwise (residual) sum; its readers read every producer of
// both operands.
func (b *builder) add(x, y act) act {
	if b.err != nil {
		return act{}
	}
	if x.c != y.c || x.h != y.h || x.w != y.w {
		b.fail("residual add of %dx%dx%d and %dx%dx%d", x.c, x.h, x.w, y.c, y.h, y.w)
		return act{}
	}
	return act{c: x.c, h: x.h, w: x.w, from: union(x.from, y.from)}
}

// concat joins activations along channels.
func (b *builder) concat(xs ...act) act {
	if b.err != nil {
		return act{}
	}
	r := act{h: xs[0].h, w: xs[0].w}
	for _, x := range xs {
		if x.h != r.h || x.w != r.w {
			b.fail("concat of %dx%d and %dx%d activations", r.h, r.w, x.h, x.w)
			return act{}
		}
		r.c += x.c
		r.from = union(r.from, x.from)
	}
	return r
}

func union(a, b []string) []string {
	r := slices.Clone(a)
	for _, s := range b {
		if !slices.Contains(r, s) {
			r = append(r, s)
		}
	}
	return r
}

// done validates and returns the network.
func (b *builder) done() (*workload.Network, error) {
	if b.err != nil {
		return nil, b.err
	}
	if err := b.net.Validate(); err != nil {
		return nil, fmt.Errorf("zoo: %w", err)
	}
	return b.net, nil
}

// must is for the fixed built-in shapes, which are covered by tests: an
// error there is a bug in this package.
func must(n *workload.Network, err error) *workload.Network {
	if err != nil {
		panic(err)
	}
	return n
}

func name(format string, a ...any) string { return fmt.Sprintf(format, a...) }
