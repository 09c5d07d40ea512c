package graph

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/nnergy/nnergy/onnx"
)

// Feed is one graph input as an import sets it up: its shape with every
// dimension resolved but the batch, and its batch axis.
type Feed struct {
	Type  onnx.DataType // the element type
	Name  string
	Shape []int64 // Shape[Axis] is the file's static batch, or -1
	Axis  int     // the batch axis, -1 when the input has none
}

// Plan is how the graph inputs are set up: the batch/symbolic-dimension
// model of a file.
type Plan struct {
	File  string
	Feeds []Feed
	Known bool   // the batch dimension of every input is known
	Why   string // why it is not
	Own   int64  // the file's static batch, 0 when symbolic
}

// Fail returns an error about the model as a whole.
func (p *Plan) Fail(format string, args ...any) error {
	return (&Walker{File: p.File}).Fail(format, args...)
}

// Trim returns the message of an import error without its "onnx: file: "
// prefix.
func (p *Plan) Trim(err error) string {
	s := strings.TrimPrefix(err.Error(), "onnx: ")
	if p.File != "" {
		s = strings.TrimPrefix(s, p.File+": ")
	}
	return s
}

// IsBatchName reports whether a dim_param names the batch.
func IsBatchName(s string) bool {
	l := strings.ToLower(s)
	return strings.Contains(l, "batch") || l == "n" || l == "b" || l == "bs"
}

// NewPlan finds the batch dimension of every graph input and resolves the
// other symbolic dimensions with dims (sizes by dim_param name) and shapes
// (whole shapes by input name).
//
// The batch of an input is the dimension whose dim_param names it ("batch",
// "batch_size", "N"...); when no input names one, dimension 0 of an NCHW
// image (rank 4), an [N, features] matrix (rank 2) or the [N, C, W] input
// of a 1-D convolution. Any other input ([B, S, D] or [S, B, D] with static
// or unnamed dimensions) leaves the batch unknown.
func NewPlan(m *onnx.Model, dims map[string]int, shapes map[string][]int) (*Plan, error) {
	p := &Plan{File: m.Source, Known: true}
	g := m.Graph
	inits := map[string]bool{}
	for _, t := range g.Initializers {
		inits[t.Name] = true
	}
	conv := map[string]bool{} // inputs read by a Conv as X
	for _, n := range g.Nodes {
		if n.OpType == "Conv" && len(n.Inputs) > 0 {
			conv[n.Inputs[0]] = true
		}
	}
	var infos []onnx.ValueInfo
	named := false
	params := map[string]bool{} // every dim_param of every input
	for _, in := range g.Inputs {
		if inits[in.Name] {
			continue
		}
		if in.Unranked {
			return nil, p.Fail("graph input %q has no shape", in.Name)
		}
		infos = append(infos, in)
		for _, s := range in.Params {
			if s != "" {
				params[s] = true
				named = named || IsBatchName(s)
			}
		}
	}
	for name, d := range dims {
		switch {
		case !params[name]:
			return nil, p.Fail("no graph input has a dimension named %q (symbolic dimensions: %s)", name, list(params))
		case IsBatchName(name):
			return nil, p.Fail("dimension %q is the batch: give it as the batch size, not as a dimension", name)
		case d <= 0:
			return nil, p.Fail("dimension %q: size %d, want at least 1", name, d)
		}
	}
	names := map[string]bool{}
	for _, in := range infos {
		names[in.Name] = true
	}
	for name := range shapes {
		if !names[name] {
			return nil, p.Fail("no graph input %q (inputs: %s)", name, list(names))
		}
	}
	statics := map[int64]string{}
	symbolic := false
	for _, in := range infos {
		f := Feed{Name: in.Name, Shape: slices.Clone(in.Shape), Type: in.DataType, Axis: -1}
		param := func(d int) string {
			if d < len(in.Params) {
				return in.Params[d]
			}
			return ""
		}
		if s, ok := shapes[in.Name]; ok {
			if len(s) != len(f.Shape) {
				return nil, p.Fail("graph input %q has rank %d (shape %s), the shape given has rank %d (%s)", in.Name, len(f.Shape), dimsString(in.Shape, in.Params), len(s), intsString(s))
			}
			for d, n := range s {
				switch {
				case n <= 0:
					return nil, p.Fail("graph input %q: the shape given, %s, has dimension %d of size %d", in.Name, intsString(s), d, n)
				case f.Shape[d] >= 0 && f.Shape[d] != int64(n):
					return nil, p.Fail("graph input %q: dimension %d is %d in the file, the shape given (%s) has %d", in.Name, d, f.Shape[d], intsString(s), n)
				}
				f.Shape[d] = int64(n)
			}
		}
		for d := range f.Shape {
			if IsBatchName(param(d)) {
				if f.Axis >= 0 {
					return nil, p.Fail("graph input %q names two dimensions as the batch (%d %q and %d %q)", in.Name, f.Axis, param(f.Axis), d, param(d))
				}
				f.Axis = d
			}
		}
		if !named {
			switch r := len(f.Shape); {
			case r == 4 || r == 2 || (r == 3 && conv[in.Name]):
				f.Axis = 0
			case p.Known:
				p.Known = false
				p.Why = fmt.Sprintf("graph input %q of shape %s names no dimension as the batch (a dim_param such as \"batch\") and is not an NCHW image or an [N, features] matrix, so its batch cannot be told apart from its other dimensions (a sequence-first [S, B, D] input looks like [B, S, D])",
					in.Name, dimsString(in.Shape, in.Params))
			}
		}
		for d, n := range f.Shape {
			switch {
			case d == f.Axis:
			case n == 0:
				return nil, p.Fail("graph input %q: dimension %d is 0", in.Name, d)
			case n > 0:
			case param(d) != "" && dims[param(d)] > 0:
				f.Shape[d] = int64(dims[param(d)])
			case param(d) != "":
				return nil, p.Fail("graph input %q: dimension %d is the symbolic %q, with no size given (--dim %s=SIZE)", in.Name, d, param(d), param(d))
			default:
				return nil, p.Fail("graph input %q: dimension %d of %s is symbolic and unnamed; give the input's shape (--input-shape %s=%s)", in.Name, d, dimsString(in.Shape, in.Params), in.Name, exampleShape(f.Shape))
			}
		}
		if f.Axis >= 0 {
			switch n := f.Shape[f.Axis]; {
			case n < 0:
				symbolic = true
			case n == 0:
				return nil, p.Fail("graph input %q: dimension %d, the batch, is 0", in.Name, f.Axis)
			default:
				for b, name := range statics {
					if b != n && p.Known {
						p.Known = false
						p.Why = fmt.Sprintf("graph inputs %q and %q have %d and %d in their batch dimensions", name, in.Name, b, n)
					}
				}
				statics[n] = in.Name
				p.Own = n
			}
		}
		p.Feeds = append(p.Feeds, f)
	}
	if !p.Known {
		for i, f := range p.Feeds {
			if f.Axis >= 0 && f.Shape[f.Axis] < 0 {
				return nil, p.Fail("graph input %q: dimension %d is symbolic, and the batch cannot be told apart (%s); give the input's shape (--input-shape %s=%s)",
					f.Name, f.Axis, p.Why, f.Name, exampleShape(f.Shape))
			}
			p.Feeds[i].Axis = -1
		}
		p.Own = 0
		return p, nil
	}
	if len(p.Feeds) == 0 {
		p.Known, p.Why = false, "the graph has no inputs"
		return p, nil
	}
	if symbolic && len(statics) > 0 {
		p.Own = 0 // a batch that is symbolic anywhere is the import's to set
	}
	return p, nil
}

// dimsString formats a shape from the file: 8xbatchx16, ? for an unnamed
// symbolic dimension.
func dimsString(s []int64, params []string) string {
	parts := make([]string, len(s))
	for i, d := range s {
		switch {
		case d >= 0:
			parts[i] = strconv.FormatInt(d, 10)
		case i < len(params) && params[i] != "":
			parts[i] = params[i]
		default:
			parts[i] = "?"
		}
	}
	if len(parts) == 0 {
		return "scalar"
	}
	return strings.Join(parts, "x")
}

func intsString(s []int) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = strconv.Itoa(d)
	}
	return strings.Join(parts, "x")
}

// exampleShape formats s with its unknown dimensions as N.
func exampleShape(s []int64) string {
	parts := make([]string, len(s))
	for i, d := range s {
		if d > 0 {
			parts[i] = strconv.FormatInt(d, 10)
		} else {
			parts[i] = "N"
		}
	}
	return strings.Join(parts, "x")
}

// list returns the sorted keys of a set, quoted, or "none".
func list(set map[string]bool) string {
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, strconv.Quote(k))
	}
	if len(keys) == 0 {
		return "none"
	}
	sort.Strings(keys)
	return strings.Join(keys, ", ")
}

// Feed sets the walker's values of the graph inputs, with their batch
// dimensions at batch (ignored when the batch is not known), and the
// walker's OwnBatch.
func (p *Plan) Feed(w *Walker, batch int64) {
	w.OwnBatch, w.Batch = p.Own, batch
	for _, f := range p.Feeds {
		v := &Value{Shape: slices.Clone(f.Shape), Type: f.Type}
		if f.Axis >= 0 {
			v.Shape[f.Axis] = batch
			v.Batch = f.Axis == 0
		}
		w.Values[f.Name] = v
	}
}

// Dims is a shape in the batch model: a dimension d >= 0 has size d, and
// d < 0 is −d times the batch size.
type Dims []int64

// String formats d as [N*4 3 5]: N for the batch, N*k for k times it.
func (d Dims) String() string {
	parts := make([]string, len(d))
	for i, x := range d {
		switch {
		case x == -1:
			parts[i] = "N"
		case x < 0:
			parts[i] = fmt.Sprintf("N*%d", -x)
		default:
			parts[i] = strconv.FormatInt(x, 10)
		}
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// Dims returns the shape of the value named name in the batch model, from
// its shapes in the call's walker and in that walker's Ref: a dimension of
// the same size in both is that size; one that is k times the batch size
// in both is −k. Any other dimension is an error about the node, as is a
// value the Ref could not walk the node to (the graph's shapes then depend
// on the batch too). Without a Ref, the shape is taken as it is.
func (c *Call) Dims(name string) (Dims, error) {
	w := c.w
	v := w.Values[name]
	if v == nil {
		return nil, c.Errorf("value %q is not defined", name)
	}
	if w.Ref == nil {
		return Dims(slices.Clone(v.Shape)), nil
	}
	r := w.Ref.Values[name]
	if r == nil && w.refErr != nil {
		return nil, w.refErr
	}
	if r == nil {
		return nil, c.Errorf("value %q is not defined at batch %d", name, w.Ref.Batch)
	}
	d := make(Dims, len(v.Shape))
	ok := len(r.Shape) == len(v.Shape) && w.Batch > 0
	for i := 0; ok && i < len(d); i++ {
		switch a, b := v.Shape[i], r.Shape[i]; {
		case a == b:
			d[i] = a
		case a%w.Batch == 0 && a/w.Batch*w.Ref.Batch == b:
			d[i] = -a / w.Batch
		default:
			ok = false
		}
	}
	if !ok {
		return nil, c.Errorf("%q has shape %v at batch %d but %v at batch %d: it does not scale with the batch", name, v.Shape, w.Batch, r.Shape, w.Ref.Batch)
	}
	return d, nil
}

// Fixed reports whether the value named name is a constant that does not
// depend on the batch size: known, and (with a Ref) of the same shape and
// data in the Ref.
func (w *Walker) Fixed(name string) bool {
	v := w.Values[name]
	if v == nil || !v.Known {
		return false
	}
	if w.Ref == nil {
		return true
	}
	r := w.Ref.Values[name]
	same := func(a, b float32) bool { return math.Float32bits(a) == math.Float32bits(b) }
	return r != nil && r.Known && slices.Equal(v.Shape, r.Shape) && slices.Equal(v.Ints, r.Ints) && slices.EqualFunc(v.Floats, r.Floats, same)
}

// atRef returns the error of the Ref on a node this walker walks: the
// node error, saying at which batch sizes it fails and walks.
func (w *Walker) atRef(err error) error {
	var ne *onnx.NodeError
	if !errors.As(err, &ne) {
		return err
	}
	e := *ne
	e.Msg = fmt.Sprintf("at batch %d: %s (at batch %d it walks: its shapes do not scale with the batch)", w.Ref.Batch, ne.Msg, w.Batch)
	return &e
}
