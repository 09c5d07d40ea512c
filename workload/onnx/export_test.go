package onnx

import (
	"github.com/nnergy/nnergy/onnx"
	"github.com/nnergy/nnergy/onnx/graph"
)

// ValuesAt imports m as ImportWith(m, o) does at the file's own batch, and
// returns every value's facts as the front-end left them.
func ValuesAt(m *onnx.Model, o Options) (map[string]*graph.Value, error) {
	p, err := graph.NewPlan(m, o.Dims, o.Shapes)
	if err != nil {
		return nil, err
	}
	batch := int64(0)
	if p.Known {
		batch = max(p.Own, 1)
	}
	_, im, err := walkAt(m, p, batch, true)
	if err != nil {
		return nil, err
	}
	return im.w.Values, nil
}
