package onnx

import (
	"sort"

	"github.com/nnergy/nnergy/onnx"
	"github.com/nnergy/nnergy/onnx/graph"
	"github.com/nnergy/nnergy/sparse"
	"github.com/nnergy/nnergy/workload"
)

// appendLayer appends l, named already, whose input activation is in,
// whose constant operand (if any) is weights and whose output has type
// out, fed by the layers srcs; it returns l's index. It sets the weights' density (and, for convolutions,
// their values, so that the cost model measures every tile) and the word
// width of each tensor from its stored type (see wordBits).
func (im *importer) appendLayer(l *workload.Layer, in, weights *value, out onnx.DataType, srcs []int) int {
	if weights != nil && weights.Known && len(weights.Floats) > 0 && !im.shapesOnly {
		l.Density[workload.Weights] = density(weights.Floats)
		// A convolution's weights, [G·M, C, R, S] in ONNX, are already in
		// the order of the layer's Weights ranks (G, M, C, R, S).
		conv := l.Kind == workload.Conv || l.Kind == workload.Depthwise || l.Kind == workload.Pointwise
		if conv && int64(len(weights.Floats)) == l.Size(workload.Weights) {
			sh := l.Shape
			t := sparse.Tensor{Shape: []int{sh[workload.G], sh[workload.M], sh[workload.C], sh[workload.R], sh[workload.S]}, Values: weights.Floats}
			if ms, err := sparse.NewMeasured(t); err == nil {
				l.Measured[workload.Weights] = ms
			}
		}
	}
	if weights != nil {
		setBits(l, workload.Weights, weights.Type)
	}
	if in != nil {
		setBits(l, workload.Inputs, in.Type)
	}
	setBits(l, workload.Outputs, out)
	for _, s := range srcs {
		l.From = append(l.From, im.layers[s].Name)
	}
	im.layers = append(im.layers, l)
	return len(im.layers) - 1
}

// layerInput returns the activation operand of call c: its first input
// that is not weights.
func layerInput(c *call, weights *value) *value {
	for _, v := range c.In {
		if v != nil && v != weights {
			return v
		}
	}
	return nil
}

// wordBits returns the word width of a tensor stored as dt: 8 for INT8 and
// UINT8, 16 for FLOAT16, BFLOAT16, INT16 and UINT16; 0 (the workload's
// default word, 16 bits) for FLOAT and the rest. FLOAT models are taken to
// run at the accelerator's native fixed-point word, as the built-in zoo
// does; a model stored in a narrower type says its word width.
func wordBits(dt onnx.DataType) int {
	switch dt {
	case onnx.Int8, onnx.Uint8, onnx.Float16, onnx.BFloat16, onnx.Int16, onnx.Uint16:
		return dt.Bits()
	}
	return 0
}

func setBits(l *workload.Layer, t workload.Tensor, dt onnx.DataType) {
	if b := wordBits(dt); b > 0 {
		l.Bits[t] = b
	}
}

// layerName returns the name of a layer made from call c: the node's name
// (or its first output when it has none) followed by suffix, made unique
// with "_2", "_3", ...
func (im *importer) layerName(c *call, suffix string) string {
	return im.names.Unique(graph.NodeName(c.Node) + suffix)
}

// macOps lists the op types that become layers, sorted.
func macOps() []string {
	var names []string
	for k := range macs {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}
