package onnx

import (
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/nnergy/nnergy/onnx"
	"github.com/nnergy/nnergy/workload"
)

// Options says how to import a model.
type Options struct {
	// Batch is the batch size to import at; 0 keeps the file's own batch
	// (1 when it is symbolic). Any other size needs a batch dimension that
	// can be told apart (see the package documentation).
	Batch int
	// Dims gives symbolic dimensions other than the batch their sizes, by
	// dim_param name ("seq": 128).
	Dims map[string]int
	// Shapes gives graph inputs their whole shapes, by input name. Fixed
	// dimensions must match the file's.
	Shapes map[string][]int
}

// ImportWith converts the graph of m into a workload network as o says
// (see Import). The network records its batch, or that the batch cannot be
// told apart (Network.BatchUnknown), and the shapes of its inputs.
//
// A batch that differs from the file's own (or a symbolic one) is checked:
// the graph is also imported at a second batch size, and every layer must
// have the same bounds at both but for at most one, which grows in
// proportion to the batch. A file that bakes its batch into constant shapes
// fails this check and is refused, naming the node or layer.
func ImportWith(m *onnx.Model, o Options) (*workload.Network, error) {
	file := m.Source
	if m.Graph == nil {
		return nil, (&importer{file: file}).fail("model has no graph")
	}
	if o.Batch < 0 {
		return nil, (&importer{file: file}).fail("batch size %d is negative", o.Batch)
	}
	p, err := newPlan(m, o)
	if err != nil {
		return nil, err
	}
	if !p.known {
		if o.Batch > 0 {
			return nil, p.fail("cannot import at batch %d: %s; evaluate it at its own shapes, without a batch size (--batch)", o.Batch, p.why)
		}
		return importAt(m, p, 0, false)
	}
	batch := int64(o.Batch)
	if batch == 0 {
		batch = max(p.own, 1)
	}
	net, err := importAt(m, p, batch, false)
	if batch == p.own {
		return net, err
	}
	ref := p.own // the file's own batch, or another size when it is symbolic
	if ref == 0 {
		ref = 1
		if batch == 1 {
			ref = 2
		}
	}
	refNet, refErr := importAt(m, p, ref, true)
	switch {
	case err != nil && refErr == nil:
		return nil, p.fail("cannot import at batch %d, only at batch %d: %s; the file fixes its batch in constant shapes: evaluate it at its own batch, without a batch size (--batch), or export it with a dynamic batch axis",
			batch, ref, p.trim(err))
	case err != nil:
		return nil, err
	case refErr != nil:
		return nil, p.fail("imports at batch %d but not at batch %d (%s): its layers do not scale with the batch", batch, ref, p.trim(refErr))
	}
	if err := p.scales(net, refNet, batch, ref); err != nil {
		return nil, err
	}
	return net, nil
}

// ReadFileWith reads the ONNX model in file path and imports it as o says.
func ReadFileWith(path string, o Options) (*workload.Network, error) {
	m, err := onnx.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ImportWith(m, o)
}

// importAt imports the graph with its batch dimensions at batch (ignored
// when the batch is not known). shapesOnly skips the weights' statistics.
func importAt(m *onnx.Model, p *plan, batch int64, shapesOnly bool) (*workload.Network, error) {
	net, _, err := walkAt(m, p, batch, shapesOnly)
	return net, err
}

// walkAt is importAt that also returns the importer, whose walker holds
// every value's facts.
func walkAt(m *onnx.Model, p *plan, batch int64, shapesOnly bool) (*workload.Network, *importer, error) {
	im := newImporter(m, shapesOnly)
	net := &workload.Network{Name: m.Graph.Name}
	if m.Source != "" {
		net.Name = strings.TrimSuffix(filepath.Base(m.Source), filepath.Ext(m.Source))
	}
	im.w.OwnBatch = p.own
	net.Batch, net.BatchUnknown = int(batch), !p.known
	if !p.known {
		net.Batch = 1
	}
	for _, f := range p.feeds {
		v := &value{Shape: slices.Clone(f.shape), Type: f.dtype}
		if f.axis >= 0 {
			v.Shape[f.axis] = batch
			v.Batch = f.axis == 0
		}
		im.w.Values[f.name] = v
		in := workload.NamedShape{Name: f.name, Shape: make([]int, len(v.Shape))}
		for i, d := range v.Shape {
			in.Shape[i] = int(d)
		}
		net.Inputs = append(net.Inputs, in)
		if len(v.Shape) == 4 && net.Input == [4]int{} {
			net.Input = [4]int(in.Shape)
		}
	}
	if err := im.graph(net); err != nil {
		return nil, nil, err
	}
	return net, im, nil
}

// feed is one graph input as the import sets it up: its shape with every
// dimension resolved but the batch, and its batch axis.
type feed struct {
	dtype onnx.DataType // the element type, which sets the word width of the layers it feeds
	name  string
	shape []int64 // shape[axis] is the file's static batch, or -1
	axis  int     // the batch axis, -1 when the input has none
}

// plan is how the graph inputs are set up.
type plan struct {
	file  string
	feeds []feed
	known bool   // the batch dimension of every input is known
	why   string // why it is not
	own   int64  // the file's static batch, 0 when symbolic
}

func (p *plan) fail(format string, args ...any) error {
	return (&importer{file: p.file}).fail(format, args...)
}

// trim returns the message of an import error without its "onnx: file: "
// prefix.
func (p *plan) trim(err error) string {
	s := strings.TrimPrefix(err.Error(), "onnx: ")
	if p.file != "" {
		s = strings.TrimPrefix(s, p.file+": ")
	}
	return s
}

// isBatchName reports whether a dim_param names the batch.
func isBatchName(s string) bool {
	l := strings.ToLower(s)
	return strings.Contains(l, "batch") || l == "n" || l == "b" || l == "bs"
}

// newPlan finds the batch dimension of every graph input and resolves the
// other symbolic dimensions with o.Dims and o.Shapes.
//
// The batch of an input is the dimension whose dim_param names it ("batch",
// "batch_size", "N"...); when no input names one, dimension 0 of an NCHW
// image (rank 4), an [N, features] matrix (rank 2) or the [N, C, W] input
// of a 1-D convolution. Any other input ([B, S, D] or [S, B, D] with static
// or unnamed dimensions) leaves the batch unknown.
func newPlan(m *onnx.Model, o Options) (*plan, error) {
	p := &plan{file: m.Source, known: true}
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
			return nil, p.fail("graph input %q has no shape", in.Name)
		}
		infos = append(infos, in)
		for _, s := range in.Params {
			if s != "" {
				params[s] = true
				named = named || isBatchName(s)
			}
		}
	}
	for name, d := range o.Dims {
		switch {
		case !params[name]:
			return nil, p.fail("no graph input has a dimension named %q (symbolic dimensions: %s)", name, list(params))
		case isBatchName(name):
			return nil, p.fail("dimension %q is the batch: give it as the batch size, not as a dimension", name)
		case d <= 0:
			return nil, p.fail("dimension %q: size %d, want at least 1", name, d)
		}
	}
	shapes := map[string]bool{}
	for _, in := range infos {
		shapes[in.Name] = true
	}
	for name := range o.Shapes {
		if !shapes[name] {
			return nil, p.fail("no graph input %q (inputs: %s)", name, list(shapes))
		}
	}
	statics := map[int64]string{}
	symbolic := false
	for _, in := range infos {
		f := feed{name: in.Name, shape: slices.Clone(in.Shape), dtype: in.DataType, axis: -1}
		param := func(d int) string {
			if d < len(in.Params) {
				return in.Params[d]
			}
			return ""
		}
		if s, ok := o.Shapes[in.Name]; ok {
			if len(s) != len(f.shape) {
				return nil, p.fail("graph input %q has rank %d (shape %s), the shape given has rank %d (%s)", in.Name, len(f.shape), dimsString(in.Shape, in.Params), len(s), intsString(s))
			}
			for d, n := range s {
				switch {
				case n <= 0:
					return nil, p.fail("graph input %q: the shape given, %s, has dimension %d of size %d", in.Name, intsString(s), d, n)
				case f.shape[d] >= 0 && f.shape[d] != int64(n):
					return nil, p.fail("graph input %q: dimension %d is %d in the file, the shape given (%s) has %d", in.Name, d, f.shape[d], intsString(s), n)
				}
				f.shape[d] = int64(n)
			}
		}
		for d := range f.shape {
			if isBatchName(param(d)) {
				if f.axis >= 0 {
					return nil, p.fail("graph input %q names two dimensions as the batch (%d %q and %d %q)", in.Name, f.axis, param(f.axis), d, param(d))
				}
				f.axis = d
			}
		}
		if !named {
			switch r := len(f.shape); {
			case r == 4 || r == 2 || (r == 3 && conv[in.Name]):
				f.axis = 0
			case p.known:
				p.known = false
				p.why = fmt.Sprintf("graph input %q of shape %s names no dimension as the batch (a dim_param such as \"batch\") and is not an NCHW image or an [N, features] matrix, so its batch cannot be told apart from its other dimensions (a sequence-first [S, B, D] input looks like [B, S, D])",
					in.Name, dimsString(in.Shape, in.Params))
			}
		}
		for d, n := range f.shape {
			switch {
			case d == f.axis:
			case n == 0:
				return nil, p.fail("graph input %q: dimension %d is 0", in.Name, d)
			case n > 0:
			case param(d) != "" && o.Dims[param(d)] > 0:
				f.shape[d] = int64(o.Dims[param(d)])
			case param(d) != "":
				return nil, p.fail("graph input %q: dimension %d is the symbolic %q, with no size given (--dim %s=SIZE)", in.Name, d, param(d), param(d))
			default:
				return nil, p.fail("graph input %q: dimension %d of %s is symbolic and unnamed; give the input's shape (--input-shape %s=%s)", in.Name, d, dimsString(in.Shape, in.Params), in.Name, exampleShape(f.shape))
			}
		}
		if f.axis >= 0 {
			switch n := f.shape[f.axis]; {
			case n < 0:
				symbolic = true
			case n == 0:
				return nil, p.fail("graph input %q: dimension %d, the batch, is 0", in.Name, f.axis)
			default:
				for b, name := range statics {
					if b != n && p.known {
						p.known = false
						p.why = fmt.Sprintf("graph inputs %q and %q have %d and %d in their batch dimensions", name, in.Name, b, n)
					}
				}
				statics[n] = in.Name
				p.own = n
			}
		}
		p.feeds = append(p.feeds, f)
	}
	if !p.known {
		for i, f := range p.feeds {
			if f.axis >= 0 && f.shape[f.axis] < 0 {
				return nil, p.fail("graph input %q: dimension %d is symbolic, and the batch cannot be told apart (%s); give the input's shape (--input-shape %s=%s)",
					f.name, f.axis, p.why, f.name, exampleShape(f.shape))
			}
			p.feeds[i].axis = -1
		}
		p.own = 0
		return p, nil
	}
	if len(p.feeds) == 0 {
		p.known, p.why = false, "the graph has no inputs"
		return p, nil
	}
	if symbolic && len(statics) > 0 {
		p.own = 0 // a batch that is symbolic anywhere is the import's to set
	}
	return p, nil
}

// scales checks that every layer of net, imported at batch b, has the
// bounds of the same layer of ref, imported at batch r, but for at most one
// that grows in proportion to the batch.
func (p *plan) scales(net, ref *workload.Network, b, r int64) error {
	if len(net.Layers) != len(ref.Layers) {
		return p.fail("the graph has %d layers at batch %d but %d at batch %d: its structure depends on the batch", len(net.Layers), b, len(ref.Layers), r)
	}
	for i, l := range net.Layers {
		k := ref.Layers[i]
		if l.Name != k.Name || l.Kind != k.Kind {
			return p.fail("layer %d is %q (%s) at batch %d but %q (%s) at batch %d: its structure depends on the batch", i, l.Name, l.Kind, b, k.Name, k.Kind, r)
		}
		grew, bad := 0, false
		for d := range l.Shape {
			switch x, y := int64(l.Shape[d]), int64(k.Shape[d]); {
			case x == y:
			case x*r == y*b:
				grew++
			default:
				bad = true
			}
		}
		if bad || grew > 1 {
			return p.fail("layer %q has bounds %s at batch %d but %s at batch %d: they do not scale with the batch on one bound, so the batch is not separable (the file fixes it in constant shapes, or mixes it with other dimensions); evaluate it at its own batch, without a batch size (--batch)",
				l.Name, bounds(k.Shape, l.Shape), r, bounds(l.Shape, k.Shape), b)
		}
	}
	return nil
}

// bounds formats the bounds of s that differ from those of t.
func bounds(s, t workload.Shape) string {
	var parts []string
	for d := range s {
		if s[d] != t[d] {
			parts = append(parts, fmt.Sprintf("%s=%d", workload.Dim(d), s[d]))
		}
	}
	return strings.Join(parts, " ")
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
