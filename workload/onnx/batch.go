package onnx

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/nnergy/nnergy/onnx"
	"github.com/nnergy/nnergy/onnx/graph"
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
		return nil, (&graph.Walker{File: file}).Fail("model has no graph")
	}
	if o.Batch < 0 {
		return nil, (&graph.Walker{File: file}).Fail("batch size %d is negative", o.Batch)
	}
	p, err := graph.NewPlan(m, o.Dims, o.Shapes)
	if err != nil {
		return nil, err
	}
	if !p.Known {
		if o.Batch > 0 {
			return nil, p.Fail("cannot import at batch %d: %s; evaluate it at its own shapes, without a batch size (--batch)", o.Batch, p.Why)
		}
		return importAt(m, p, 0, false)
	}
	batch := int64(o.Batch)
	if batch == 0 {
		batch = max(p.Own, 1)
	}
	net, err := importAt(m, p, batch, false)
	if batch == p.Own {
		return net, err
	}
	ref := p.Own // the file's own batch, or another size when it is symbolic
	if ref == 0 {
		ref = 1
		if batch == 1 {
			ref = 2
		}
	}
	refNet, refErr := importAt(m, p, ref, true)
	switch {
	case err != nil && refErr == nil:
		return nil, p.Fail("cannot import at batch %d, only at batch %d: %s; the file fixes its batch in constant shapes: evaluate it at its own batch, without a batch size (--batch), or export it with a dynamic batch axis",
			batch, ref, p.Trim(err))
	case err != nil:
		return nil, err
	case refErr != nil:
		return nil, p.Fail("imports at batch %d but not at batch %d (%s): its layers do not scale with the batch", batch, ref, p.Trim(refErr))
	}
	if err := scales(p, net, refNet, batch, ref); err != nil {
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
func importAt(m *onnx.Model, p *graph.Plan, batch int64, shapesOnly bool) (*workload.Network, error) {
	net, _, err := walkAt(m, p, batch, shapesOnly)
	return net, err
}

// walkAt is importAt that also returns the importer, whose walker holds
// every value's facts.
func walkAt(m *onnx.Model, p *graph.Plan, batch int64, shapesOnly bool) (*workload.Network, *importer, error) {
	im := newImporter(m, shapesOnly)
	net := &workload.Network{Name: m.Graph.Name}
	if m.Source != "" {
		net.Name = strings.TrimSuffix(filepath.Base(m.Source), filepath.Ext(m.Source))
	}
	net.Batch, net.BatchUnknown = int(batch), !p.Known
	if !p.Known {
		net.Batch = 1
	}
	p.Feed(im.w, batch)
	for _, f := range p.Feeds {
		v := im.w.Values[f.Name]
		in := workload.NamedShape{Name: f.Name, Shape: make([]int, len(v.Shape))}
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

// scales checks that every layer of net, imported at batch b, has the
// bounds of the same layer of ref, imported at batch r, but for at most one
// that grows in proportion to the batch.
func scales(p *graph.Plan, net, ref *workload.Network, b, r int64) error {
	if len(net.Layers) != len(ref.Layers) {
		return p.Fail("the graph has %d layers at batch %d but %d at batch %d: its structure depends on the batch", len(net.Layers), b, len(ref.Layers), r)
	}
	for i, l := range net.Layers {
		k := ref.Layers[i]
		if l.Name != k.Name || l.Kind != k.Kind {
			return p.Fail("layer %d is %q (%s) at batch %d but %q (%s) at batch %d: its structure depends on the batch", i, l.Name, l.Kind, b, k.Name, k.Kind, r)
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
			return p.Fail("layer %q has bounds %s at batch %d but %s at batch %d: they do not scale with the batch on one bound, so the batch is not separable (the file fixes it in constant shapes, or mixes it with other dimensions); evaluate it at its own batch, without a batch size (--batch)",
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
