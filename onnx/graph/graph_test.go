package graph_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/nnergy/nnergy/onnx"
	"github.com/nnergy/nnergy/onnx/graph"
)

// act is an activation of the given shape whose dimension 0 is the batch.
func act(shape ...int64) *graph.Value {
	return &graph.Value{Shape: shape, Batch: true, Type: onnx.Float}
}

// ints is a known integer tensor of the given shape.
func ints(shape []int64, data ...int64) *graph.Value {
	return &graph.Value{Shape: shape, Known: true, Ints: data, Type: onnx.Int64}
}

// vec is a known 1-D integer tensor.
func vec(data ...int64) *graph.Value { return ints([]int64{int64(len(data))}, data...) }

// floats is a known float tensor of the given shape.
func floats(shape []int64, data ...float32) *graph.Value {
	return &graph.Value{Shape: shape, Known: true, Floats: data, Type: onnx.Float}
}

// walk runs one node of op type op over the inputs (nil: omitted) with
// nout outputs, at the given opset (0: the default), and returns the
// outputs' values.
func walk(op string, in []*graph.Value, nout int, ownBatch, opset int64, attrs ...onnx.Attribute) ([]*graph.Value, error) {
	m := onnx.NewModel("g")
	if opset > 0 {
		m.Opsets = []onnx.Opset{{Domain: "", Version: opset}}
	}
	w := graph.NewWalker(m)
	w.OwnBatch = ownBatch
	var names, outs []string
	for i, v := range in {
		name := ""
		if v != nil {
			name = fmt.Sprintf("x%d", i)
			w.Values[name] = v
		}
		names = append(names, name)
	}
	for i := range nout {
		outs = append(outs, fmt.Sprintf("y%d", i))
	}
	n := m.Graph.AddNode(op, names, outs, attrs...)
	n.Name = "n"
	if err := w.Walk(); err != nil {
		return nil, err
	}
	vals := make([]*graph.Value, nout)
	for i, o := range outs {
		vals[i] = w.Values[o]
	}
	return vals, nil
}

// TestOps holds the front-end's shape functions and constant folder to
// the ONNX operator specifications, one node at a time: the output shape,
// whether its dimension 0 is still the batch, and its data when folded.
func TestOps(t *testing.T) {
	type want struct {
		shape  []int64
		batch  bool
		ints   []int64       // folded integer data; nil with floats nil: not known
		floats []float32     // folded float data
		typ    onnx.DataType // checked when not Undefined
	}
	cases := []struct {
		name  string
		op    string
		in    []*graph.Value
		attrs []onnx.Attribute
		own   int64 // the file's own batch
		out   []want
		opset int64 // 0: the default
	}{
		{"relu", "Relu", []*graph.Value{act(2, 3)}, nil, 0, []want{{shape: []int64{2, 3}, batch: true}}, 0},
		{"add broadcasts", "Add", []*graph.Value{act(2, 3, 4), floats([]int64{4}, 1, 2, 3, 4)}, nil, 0, []want{{shape: []int64{2, 3, 4}, batch: true}}, 0},
		{"add of a lower rank is not the batch", "Add", []*graph.Value{act(3, 4), act(2, 3, 4)}, nil, 0, []want{{shape: []int64{2, 3, 4}, batch: true}}, 0},
		{"add folds", "Add", []*graph.Value{vec(1, 2), vec(10)}, nil, 0, []want{{shape: []int64{2}, ints: []int64{11, 12}}}, 0},
		{"div truncates integers", "Div", []*graph.Value{vec(-7, 7), vec(2)}, nil, 0, []want{{shape: []int64{2}, ints: []int64{-3, 3}}}, 0},
		// Mod: Python's sign rule (of the divisor) without fmod, C's (of
		// the dividend) with it.
		{"mod takes the divisor's sign", "Mod", []*graph.Value{vec(-7, 7, -2, 5), vec(3, 3, 100, 4)}, nil, 0, []want{{shape: []int64{4}, ints: []int64{2, 1, 98, 1}}}, 0},
		{"fmod takes the dividend's sign", "Mod", []*graph.Value{vec(-7, 7, 98, -5), vec(3, 3, 100, 4)}, []onnx.Attribute{onnx.IntAttr("fmod", 1)}, 0, []want{{shape: []int64{4}, ints: []int64{-1, 1, 98, -1}}}, 0},
		{"where folds", "Where", []*graph.Value{vec(1, 0), vec(5, 6), vec(7, 8)}, nil, 0, []want{{shape: []int64{2}, ints: []int64{5, 8}}}, 0},
		{"equal of floats is bool", "Equal", []*graph.Value{floats([]int64{2}, 1, 2), floats([]int64{2}, 1, 3)}, nil, 0, []want{{shape: []int64{2}, ints: []int64{1, 0}}}, 0},
		{"shape", "Shape", []*graph.Value{act(2, 3, 4)}, nil, 0, []want{{shape: []int64{3}, ints: []int64{2, 3, 4}}}, 0},
		{"shape start end", "Shape", []*graph.Value{act(2, 3, 4)}, []onnx.Attribute{onnx.IntAttr("start", 1), onnx.IntAttr("end", -1)}, 0, []want{{shape: []int64{1}, ints: []int64{3}}}, 0},
		{"size", "Size", []*graph.Value{act(2, 3, 4)}, nil, 0, []want{{shape: []int64{}, ints: []int64{24}}}, 0},
		{"gather folds", "Gather", []*graph.Value{vec(2, 3, 4), ints([]int64{}, -1)}, nil, 0, []want{{shape: []int64{}, ints: []int64{4}}}, 0},
		{"gather on axis 1 keeps the batch", "Gather", []*graph.Value{act(2, 5, 4), vec(0, 2)}, []onnx.Attribute{onnx.IntAttr("axis", 1)}, 0, []want{{shape: []int64{2, 2, 4}, batch: true}}, 0},
		{"slice inputs", "Slice", []*graph.Value{vec(0, 1, 2, 3, 4, 5), vec(1), vec(-1), vec(0), vec(2)}, nil, 0, []want{{shape: []int64{2}, ints: []int64{1, 3}}}, 0},
		{"slice backwards clamps", "Slice", []*graph.Value{vec(0, 1, 2, 3), vec(-1), vec(-100), nil, vec(-1)}, nil, 0, []want{{shape: []int64{4}, ints: []int64{3, 2, 1, 0}}}, 0},
		{"slice attributes", "Slice", []*graph.Value{act(2, 10)}, []onnx.Attribute{onnx.IntsAttr("starts", 2), onnx.IntsAttr("ends", 100), onnx.IntsAttr("axes", 1)}, 0, []want{{shape: []int64{2, 8}, batch: true}}, 0},
		{"concat folds", "Concat", []*graph.Value{vec(1), vec(2, 3)}, []onnx.Attribute{onnx.IntAttr("axis", 0)}, 0, []want{{shape: []int64{3}, ints: []int64{1, 2, 3}}}, 0},
		{"concat channels", "Concat", []*graph.Value{act(2, 3, 4), act(2, 5, 4)}, []onnx.Attribute{onnx.IntAttr("axis", 1)}, 0, []want{{shape: []int64{2, 8, 4}, batch: true}}, 0},
		{"reshape copies and infers", "Reshape", []*graph.Value{act(2, 3, 4), vec(0, -1)}, nil, 0, []want{{shape: []int64{2, 12}, batch: true}}, 0},
		{"reshape allowzero", "Reshape", []*graph.Value{act(0, 3), vec(3, 0)}, []onnx.Attribute{onnx.IntAttr("allowzero", 1)}, 0, []want{{shape: []int64{3, 0}}}, 0},
		{"reshape of the file's batch follows the input", "Reshape", []*graph.Value{act(4, 3, 2), vec(1, 6)}, nil, 1, []want{{shape: []int64{4, 6}, batch: true}}, 0},
		{"reshape keeps the data", "Reshape", []*graph.Value{vec(1, 2, 3, 4), vec(2, 2)}, nil, 0, []want{{shape: []int64{2, 2}, ints: []int64{1, 2, 3, 4}}}, 0},
		{"flatten", "Flatten", []*graph.Value{act(2, 3, 4, 5)}, nil, 0, []want{{shape: []int64{2, 60}, batch: true}}, 0},
		{"flatten axis 2", "Flatten", []*graph.Value{act(2, 3, 4, 5)}, []onnx.Attribute{onnx.IntAttr("axis", 2)}, 0, []want{{shape: []int64{6, 20}}}, 0},
		{"squeeze input", "Squeeze", []*graph.Value{act(2, 1, 3, 1), vec(1, -1)}, nil, 0, []want{{shape: []int64{2, 3}, batch: true}}, 0},
		{"squeeze all ones", "Squeeze", []*graph.Value{act(1, 3, 1)}, nil, 0, []want{{shape: []int64{3}}}, 0},
		{"unsqueeze attribute", "Unsqueeze", []*graph.Value{act(2, 3)}, []onnx.Attribute{onnx.IntsAttr("axes", 1, -1)}, 0, []want{{shape: []int64{2, 1, 3, 1}, batch: true}}, 0},
		{"unsqueeze folds", "Unsqueeze", []*graph.Value{ints([]int64{}, 7), vec(0)}, nil, 0, []want{{shape: []int64{1}, ints: []int64{7}}}, 0},
		{"transpose folds", "Transpose", []*graph.Value{ints([]int64{2, 3}, 1, 2, 3, 4, 5, 6)}, nil, 0, []want{{shape: []int64{3, 2}, ints: []int64{1, 4, 2, 5, 3, 6}}}, 0},
		{"transpose moves the batch", "Transpose", []*graph.Value{act(2, 3, 4)}, []onnx.Attribute{onnx.IntsAttr("perm", 1, 0, 2)}, 0, []want{{shape: []int64{3, 2, 4}}}, 0},
		{"expand", "Expand", []*graph.Value{vec(1, 2), vec(2, 1)}, nil, 0, []want{{shape: []int64{2, 2}, ints: []int64{1, 2, 1, 2}}}, 0},
		{"tile", "Tile", []*graph.Value{vec(1, 2), vec(2)}, nil, 0, []want{{shape: []int64{4}, ints: []int64{1, 2, 1, 2}}}, 0},
		{"split even", "Split", []*graph.Value{vec(1, 2, 3, 4, 5)}, nil, 0, []want{{shape: []int64{3}, ints: []int64{1, 2, 3}}, {shape: []int64{2}, ints: []int64{4, 5}}}, 0},
		{"split sizes", "Split", []*graph.Value{act(2, 6), vec(1, 5)}, []onnx.Attribute{onnx.IntAttr("axis", 1)}, 0, []want{{shape: []int64{2, 1}, batch: true}, {shape: []int64{2, 5}, batch: true}}, 0},
		{"pad", "Pad", []*graph.Value{act(2, 3, 4, 4), vec(0, 0, 1, 2, 0, 0, 3, 4)}, nil, 0, []want{{shape: []int64{2, 3, 8, 10}, batch: true}}, 0},
		{"range", "Range", []*graph.Value{ints([]int64{}, 1), ints([]int64{}, 8), ints([]int64{}, 3)}, nil, 0, []want{{shape: []int64{3}, ints: []int64{1, 4, 7}}}, 0},
		{"constant of shape", "ConstantOfShape", []*graph.Value{vec(2, 2)}, nil, 0, []want{{shape: []int64{2, 2}, floats: []float32{0, 0, 0, 0}, typ: onnx.Float}}, 0},
		{"constant of shape int", "ConstantOfShape", []*graph.Value{vec(2)}, []onnx.Attribute{onnx.TensorAttr("value", onnx.NewInt64Tensor("", []int64{1}, []int64{7}))}, 0, []want{{shape: []int64{2}, ints: []int64{7, 7}, typ: onnx.Int64}}, 0},
		{"cast to float", "Cast", []*graph.Value{vec(1, 2)}, []onnx.Attribute{onnx.IntAttr("to", int64(onnx.Float))}, 0, []want{{shape: []int64{2}, floats: []float32{1, 2}}}, 0},
		{"cast to bool", "Cast", []*graph.Value{floats([]int64{2}, 0, 0.5)}, []onnx.Attribute{onnx.IntAttr("to", int64(onnx.Bool))}, 0, []want{{shape: []int64{2}, ints: []int64{0, 1}}}, 0},
		{"constant", "Constant", nil, []onnx.Attribute{onnx.IntsAttr("value_ints", 3, 4)}, 0, []want{{shape: []int64{2}, ints: []int64{3, 4}}}, 0},
		{"max pool same upper", "MaxPool", []*graph.Value{act(1, 2, 5, 5)}, []onnx.Attribute{onnx.IntsAttr("kernel_shape", 3, 3), onnx.IntsAttr("strides", 2, 2), onnx.StringAttr("auto_pad", "SAME_UPPER")}, 0, []want{{shape: []int64{1, 2, 3, 3}, batch: true}}, 0},
		{"max pool ceil mode", "MaxPool", []*graph.Value{act(1, 2, 6, 6)}, []onnx.Attribute{onnx.IntsAttr("kernel_shape", 3, 3), onnx.IntsAttr("strides", 2, 2), onnx.IntAttr("ceil_mode", 1)}, 0, []want{{shape: []int64{1, 2, 3, 3}, batch: true}}, 0},
		{"average pool floor", "AveragePool", []*graph.Value{act(1, 2, 6, 6)}, []onnx.Attribute{onnx.IntsAttr("kernel_shape", 3, 3), onnx.IntsAttr("strides", 2, 2)}, 0, []want{{shape: []int64{1, 2, 2, 2}, batch: true}}, 0},
		{"global average pool", "GlobalAveragePool", []*graph.Value{act(2, 8, 7, 7)}, nil, 0, []want{{shape: []int64{2, 8, 1, 1}, batch: true}}, 0},
		{"reduce mean axes attribute", "ReduceMean", []*graph.Value{act(2, 3, 4)}, []onnx.Attribute{onnx.IntsAttr("axes", -1), onnx.IntAttr("keepdims", 0)}, 0, []want{{shape: []int64{2, 3}, batch: true}}, 0},
		{"reduce over the batch", "ReduceSum", []*graph.Value{act(2, 3), vec(0)}, nil, 0, []want{{shape: []int64{1, 3}}}, 0},
		{"argmax", "ArgMax", []*graph.Value{act(2, 3)}, []onnx.Attribute{onnx.IntAttr("axis", 1)}, 0, []want{{shape: []int64{2, 1}, batch: true}}, 0},
		{"batch norm", "BatchNormalization", []*graph.Value{act(2, 3, 4, 4), act(3), act(3), act(3), act(3)}, nil, 0, []want{{shape: []int64{2, 3, 4, 4}, batch: true}}, 0},
		{"layer norm statistics", "LayerNormalization", []*graph.Value{act(2, 5, 8), act(8)}, nil, 0, []want{{shape: []int64{2, 5, 8}, batch: true}, {shape: []int64{2, 5, 1}, batch: true}}, 0},
		// Resize by scales (opset 13), by sizes, and Upsample (opset 7
		// attribute): 3×5 → 6×10, 6×10 → 4×7, 4×7 → 8×14.
		{"resize by scales", "Resize", []*graph.Value{act(1, 2, 3, 5), nil, floats([]int64{4}, 1, 1, 2, 2)}, []onnx.Attribute{onnx.StringAttr("mode", "nearest")}, 0, []want{{shape: []int64{1, 2, 6, 10}, batch: true}}, 0},
		{"resize by sizes", "Resize", []*graph.Value{act(1, 2, 6, 10), nil, nil, vec(1, 2, 4, 7)}, []onnx.Attribute{onnx.StringAttr("mode", "linear")}, 0, []want{{shape: []int64{1, 2, 4, 7}, batch: true}}, 0},
		{"upsample attribute", "Upsample", []*graph.Value{act(1, 2, 4, 7)}, []onnx.Attribute{onnx.FloatsAttr("scales", 1, 1, 2, 2)}, 0, []want{{shape: []int64{1, 2, 8, 14}, batch: true}}, 7},
		// Opset 10: Resize(X, scales), two inputs; 3×5 × [1, 1, 1.5, 0.5]
		// → floor(4.5) × floor(2.5) = 4×2.
		{"resize opset 10", "Resize", []*graph.Value{act(1, 2, 3, 5), floats([]int64{4}, 1, 1, 1.5, 0.5)}, nil, 0, []want{{shape: []int64{1, 2, 4, 2}, batch: true}}, 10},
		// Opset 18 axes and keep_aspect_ratio_policy: sizes [6, 6] on 3×5,
		// not_larger: scale min(2, 1.2) = 1.2 → 4×6.
		{"resize not_larger on axes", "Resize", []*graph.Value{act(1, 2, 3, 5), nil, nil, vec(6, 6)}, []onnx.Attribute{onnx.IntsAttr("axes", 2, 3), onnx.StringAttr("keep_aspect_ratio_policy", "not_larger")}, 0, []want{{shape: []int64{1, 2, 4, 6}, batch: true}}, 0},
		{"resize scales", "Resize", []*graph.Value{act(1, 3, 5, 5), nil, floats([]int64{4}, 1, 1, 2, 1.5)}, nil, 0, []want{{shape: []int64{1, 3, 10, 7}, batch: true}}, 0},
		{"resize sizes", "Resize", []*graph.Value{act(1, 3, 5, 5), nil, nil, vec(1, 3, 9, 4)}, nil, 0, []want{{shape: []int64{1, 3, 9, 4}, batch: true}}, 0},
		{"scatter nd folds", "ScatterND", []*graph.Value{vec(1, 2, 3, 4), ints([]int64{2, 1}, 3, 0), vec(40, 10)}, nil, 0, []want{{shape: []int64{4}, ints: []int64{10, 2, 3, 40}}}, 0},
		{"scatter nd rows", "ScatterND", []*graph.Value{vec(1, 1, 1), ints([]int64{2, 1}, 0, 2), vec(7, 14)}, nil, 0, []want{{shape: []int64{3}, ints: []int64{7, 1, 14}}}, 0},
		{"scatter nd adds rows", "ScatterND", []*graph.Value{vec(1, 1, 1), ints([]int64{2, 1}, 0, 2), vec(6, 13)}, []onnx.Attribute{onnx.StringAttr("reduction", "add")}, 0, []want{{shape: []int64{3}, ints: []int64{7, 1, 14}}}, 0},
		{"scatter nd adds", "ScatterND", []*graph.Value{vec(1, 2), ints([]int64{1, 1}, 1), vec(5)}, []onnx.Attribute{onnx.StringAttr("reduction", "add")}, 0, []want{{shape: []int64{2}, ints: []int64{1, 7}}}, 0},
		{"dequantize per axis", "DequantizeLinear", []*graph.Value{ints([]int64{2, 2}, 1, 2, 3, 4), floats([]int64{2}, 0.5, 2), vec(1, 0)}, []onnx.Attribute{onnx.IntAttr("axis", 0)}, 0, []want{{shape: []int64{2, 2}, floats: []float32{0, 0.5, 6, 8}}}, 0},
		{"identity keeps data", "Identity", []*graph.Value{vec(3, 4)}, nil, 0, []want{{shape: []int64{2}, ints: []int64{3, 4}}}, 0},
		// Conv: 8×8 by a 3×3 kernel, stride 2, pads 1 → 4×4; grouped.
		{"conv", "Conv", []*graph.Value{act(2, 4, 8, 8), floats([]int64{6, 2, 3, 3})}, []onnx.Attribute{onnx.IntAttr("group", 2), onnx.IntsAttr("strides", 2, 2), onnx.IntsAttr("pads", 1, 1, 1, 1)}, 0, []want{{shape: []int64{2, 6, 4, 4}, batch: true}}, 0},
		{"conv 1-d dilated", "Conv", []*graph.Value{act(2, 3, 10), floats([]int64{5, 3, 3})}, []onnx.Attribute{onnx.IntsAttr("dilations", 2)}, 0, []want{{shape: []int64{2, 5, 6}, batch: true}}, 0},
		{"gemm transposed", "Gemm", []*graph.Value{act(2, 6), floats([]int64{4, 6}), floats([]int64{4})}, []onnx.Attribute{onnx.IntAttr("transB", 1)}, 0, []want{{shape: []int64{2, 4}, batch: true}}, 0},
		{"gemm transA is not the batch", "Gemm", []*graph.Value{act(6, 2), floats([]int64{6, 4})}, []onnx.Attribute{onnx.IntAttr("transA", 1)}, 0, []want{{shape: []int64{2, 4}}}, 0},
		{"matmul broadcasts", "MatMul", []*graph.Value{act(2, 1, 5, 3), act(4, 3, 7)}, nil, 0, []want{{shape: []int64{2, 4, 5, 7}, batch: true}}, 0},
		{"matmul vectors", "MatMul", []*graph.Value{act(2, 3), floats([]int64{3})}, nil, 0, []want{{shape: []int64{2}, batch: true}}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := walk(tc.op, tc.in, len(tc.out), tc.own, tc.opset, tc.attrs...)
			if err != nil {
				t.Fatal(err)
			}
			for i, w := range tc.out {
				v := got[i]
				if !slices.Equal(v.Shape, w.shape) || v.Batch != w.batch {
					t.Errorf("output %d: shape %v batch %v, want %v batch %v", i, v.Shape, v.Batch, w.shape, w.batch)
				}
				known := w.ints != nil || w.floats != nil
				if v.Known != known || !slices.Equal(v.Ints, w.ints) || !slices.Equal(v.Floats, w.floats) {
					t.Errorf("output %d: known %v ints %v floats %v, want known %v ints %v floats %v", i, v.Known, v.Ints, v.Floats, known, w.ints, w.floats)
				}
				if w.typ != onnx.Undefined && v.Type != w.typ {
					t.Errorf("output %d: type %s, want %s", i, v.Type, w.typ)
				}
			}
		})
	}
}

// TestOpErrors checks that the front-end refuses what the specifications
// do not allow, naming the node.
func TestOpErrors(t *testing.T) {
	cases := []struct {
		name  string
		op    string
		in    []*graph.Value
		attrs []onnx.Attribute
		want  string
	}{
		{"resize with neither", "Resize", []*graph.Value{act(1, 2, 3, 3), nil}, nil, "want exactly one of scales and sizes, got 0 scales and 0 sizes"},
		{"resize with computed scales", "Resize", []*graph.Value{act(1, 2, 3, 3), nil, act(4)}, nil, `scales (input 2, "x2") is not a constant float tensor`},
		{"unsupported", "NonMaxSuppression", []*graph.Value{act(1)}, nil, "op type NonMaxSuppression is not supported (supported: Abs, Add, "},
		{"no broadcast", "Add", []*graph.Value{act(2, 3), act(2, 4)}, nil, "input shapes [[2 3] [2 4]] do not broadcast"},
		{"missing input", "Add", []*graph.Value{act(2, 3), nil}, nil, "required input 1 is missing"},
		{"reshape two -1", "Reshape", []*graph.Value{act(2, 3), vec(-1, -1)}, nil, "shape [-1 -1] has more than one -1"},
		{"reshape not constant", "Reshape", []*graph.Value{act(2, 3), act(2)}, nil, `shape (input 1, "x1") is not a constant integer tensor`},
		{"pool too small", "MaxPool", []*graph.Value{act(1, 1, 2, 2)}, []onnx.Attribute{onnx.IntsAttr("kernel_shape", 3, 3)}, "kernel [3 3] does not fit input of shape [1 1 2 2]"},
		{"unknown auto_pad", "MaxPool", []*graph.Value{act(1, 1, 4, 4)}, []onnx.Attribute{onnx.IntsAttr("kernel_shape", 3, 3), onnx.StringAttr("auto_pad", "SAME")}, `attribute "auto_pad": unknown value "SAME"`},
		{"gather axis out of range", "Gather", []*graph.Value{act(2, 3), vec(0)}, []onnx.Attribute{onnx.IntAttr("axis", -3)}, `attribute "axis": axis -3 out of range for rank 2`},
		{"concat without axis", "Concat", []*graph.Value{act(2, 3)}, nil, `attribute "axis" is missing`},
		{"split does not add up", "Split", []*graph.Value{act(2, 6), vec(1, 2)}, []onnx.Attribute{onnx.IntAttr("axis", 1)}, "split [1 2] does not add up to dimension 1 of size 6"},
		{"conv group", "Conv", []*graph.Value{act(1, 3, 8, 8), floats([]int64{4, 3, 3, 3})}, []onnx.Attribute{onnx.IntAttr("group", 2)}, "weights of shape [4 3 3 3] with group 2 do not fit input of shape [1 3 8 8]"},
		{"conv kernel too large", "Conv", []*graph.Value{act(1, 1, 6, 3), floats([]int64{1, 1, 3, 3})}, []onnx.Attribute{onnx.IntsAttr("dilations", 2, 2)}, "kernel [3 3] with dilations [2 2] does not fit input of shape [1 1 6 3]"},
		{"conv bias", "Conv", []*graph.Value{act(1, 1, 3, 3), floats([]int64{2, 1, 1, 1}), floats([]int64{3})}, nil, "bias has shape [3], want [2]"},
		{"gemm inner", "Gemm", []*graph.Value{act(2, 4), floats([]int64{4, 2})}, []onnx.Attribute{onnx.IntAttr("transB", 1)}, "A of shape [2 4] and B of shape [4 2] do not multiply (transA 0, transB 1)"},
		{"gemm C", "Gemm", []*graph.Value{act(2, 4), floats([]int64{4, 2}), floats([]int64{3})}, nil, "C of shape [3] does not broadcast to the output's [2 2]"},
		{"matmul batch", "MatMul", []*graph.Value{act(2, 5, 3), act(4, 3, 7)}, nil, "batch dimensions of [2 5 3] and [4 3 7] do not broadcast"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := walk(tc.op, tc.in, 1, 0, 0, tc.attrs...)
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			if !strings.HasPrefix(err.Error(), fmt.Sprintf("onnx: node \"n\" (%s): ", tc.op)) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to name node n and say %q", err, tc.want)
			}
		})
	}
}

// TestWalkOrder checks that the walk visits a node after the nodes that
// define its inputs, whatever the stored order, keeps a valid stored
// order, and reports a cycle or an undefined input at the node.
func TestWalkOrder(t *testing.T) {
	build := func(edges [][3]string) *onnx.Model {
		m := onnx.NewModel("g")
		for _, e := range edges { // op, input, output
			m.Graph.AddNode(e[0], []string{e[1]}, []string{e[2]}).Name = e[2]
		}
		return m
	}
	cases := []struct {
		name  string
		edges [][3]string
		visit []string // the order the nodes are visited in
		err   string
	}{
		{"stored order kept", [][3]string{{"Relu", "x", "a"}, {"Relu", "x", "b"}, {"Relu", "a", "c"}}, []string{"a", "b", "c"}, ""},
		{"reversed", [][3]string{{"Relu", "b", "c"}, {"Relu", "a", "b"}, {"Relu", "x", "a"}}, []string{"a", "b", "c"}, ""},
		{"independent nodes keep their order", [][3]string{{"Relu", "a", "c"}, {"Relu", "x", "b"}, {"Relu", "x", "a"}}, []string{"b", "a", "c"}, ""},
		{"cycle", [][3]string{{"Relu", "x", "a"}, {"Relu", "c", "b"}, {"Relu", "b", "c"}}, nil, `node "b" (Relu): input "c" is not defined`},
		{"undefined input", [][3]string{{"Relu", "y", "a"}}, nil, `node "a" (Relu): input "y" is not defined`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := graph.NewWalker(build(tc.edges))
			w.Values["x"] = act(2, 3)
			var visited []string
			w.Lower = map[string]graph.Op{"Relu": {MinIn: 1, Infer: func(c *graph.Call) ([]*graph.Value, error) {
				visited = append(visited, c.Node.Name)
				return []*graph.Value{{Shape: c.In[0].Shape}}, nil
			}}}
			err := w.Walk()
			switch {
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Fatalf("error %v, want %q", err, tc.err)
			case tc.err == "" && err != nil:
				t.Fatal(err)
			case tc.err == "" && !slices.Equal(visited, tc.visit):
				t.Errorf("visited %v, want %v", visited, tc.visit)
			}
		})
	}
}

// TestVisit checks that Visit sees every node after its outputs are
// known, folded constants included, and that its error stops the walk.
func TestVisit(t *testing.T) {
	m := onnx.NewModel("g")
	g := m.Graph
	g.AddNode("Shape", []string{"x"}, []string{"s"}).Name = "shape"
	g.AddNode("Reshape", []string{"x", "s2"}, []string{"y"}).Name = "reshape"
	g.AddNode("Concat", []string{"s"}, []string{"s2"}, onnx.IntAttr("axis", 0)).Name = "concat"
	w := graph.NewWalker(m)
	w.Values["x"] = act(2, 3)
	var seen []string
	w.Visit = func(c *graph.Call, outs []*graph.Value) error {
		seen = append(seen, fmt.Sprintf("%s%v", c.Node.Name, outs[0].Shape))
		if c.Node.Name == "concat" && !slices.Equal(outs[0].Ints, []int64{2, 3}) {
			t.Errorf("concat: %v, want the folded [2 3]", outs[0].Ints)
		}
		return nil
	}
	if err := w.Walk(); err != nil {
		t.Fatal(err)
	}
	if want := []string{"shape[2]", "concat[2]", "reshape[2 3]"}; !slices.Equal(seen, want) {
		t.Errorf("visited %v, want %v", seen, want)
	}
	w = graph.NewWalker(m)
	w.Values["x"] = act(2, 3)
	w.Visit = func(c *graph.Call, outs []*graph.Value) error { return c.Errorf("refused") }
	if err := w.Walk(); err == nil || err.Error() != `onnx: node "shape" (Shape): refused` {
		t.Errorf("error %v, want the first node refused", err)
	}
}

// TestDomain checks that the walker takes the default domain under either
// of its names and refuses others.
func TestDomain(t *testing.T) {
	cases := []struct{ domain, err string }{
		{"", ""},
		{"ai.onnx", ""},
		{"com.microsoft", `node "n" (Relu): op domain "com.microsoft" is not supported`},
	}
	for _, tc := range cases {
		t.Run(tc.domain, func(t *testing.T) {
			m := onnx.NewModel("g")
			n := m.Graph.AddNode("Relu", []string{"x"}, []string{"y"})
			n.Name, n.Domain = "n", tc.domain
			w := graph.NewWalker(m)
			w.Values["x"] = act(2, 3)
			err := w.Walk()
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Errorf("error %v, want %q", err, tc.err)
			}
		})
	}
}

// TestDims checks the batch model of a walk with a Ref: dimensions that
// grow with the batch are multiples of it, others keep their sizes, and
// constants computed from the batch are not Fixed; a graph whose shapes do
// not scale with the batch is refused at the node where they stop.
func TestDims(t *testing.T) {
	// x [N, 4, 6] → Transpose [4, N, 6] → Reshape [4, N·2, 3] (the target
	// computed from Shape) → Reshape [4·N·2, 3] with a constant target.
	build := func(last []int64) *onnx.Model {
		m := onnx.NewModel("g")
		g := m.Graph
		g.Inputs = append(g.Inputs, onnx.ValueInfo{Name: "x", DataType: onnx.Float, Shape: []int64{-1, 4, 6}, Params: []string{"batch", "", ""}})
		g.AddInt64Initializer("i1", []int64{1}, []int64{1})
		g.AddInt64Initializer("two", []int64{1}, []int64{2})
		g.AddInt64Initializer("head", []int64{2}, []int64{4, -1})
		g.AddInt64Initializer("three", []int64{1}, []int64{3})
		g.AddInt64Initializer("last", []int64{int64(len(last))}, last)
		g.AddNode("Transpose", []string{"x"}, []string{"t"}, onnx.IntsAttr("perm", 1, 0, 2)).Name = "t"
		g.AddNode("Shape", []string{"t"}, []string{"s"}).Name = "s"
		g.AddNode("Gather", []string{"s", "i1"}, []string{"n"}).Name = "n"
		g.AddNode("Mul", []string{"n", "two"}, []string{"n2"}).Name = "n2"
		g.AddNode("Concat", []string{"head", "three"}, []string{"target"}, onnx.IntAttr("axis", 0)).Name = "target"
		g.AddNode("Reshape", []string{"t", "target"}, []string{"heads"}).Name = "heads"
		g.AddNode("Reshape", []string{"heads", "last"}, []string{"rows"}).Name = "rows"
		return m
	}
	walk := func(m *onnx.Model, visit func(c *graph.Call, outs []*graph.Value) error) error {
		p, err := graph.NewPlan(m, nil, nil)
		if err != nil {
			return err
		}
		w, ref := graph.NewWalker(m), graph.NewWalker(m)
		p.Feed(w, 1)
		p.Feed(ref, 3)
		w.Ref, w.Visit = ref, visit
		return w.Walk()
	}
	got := map[string]string{}
	fixed := map[string]bool{}
	err := walk(build([]int64{-1, 3}), func(c *graph.Call, outs []*graph.Value) error {
		o := c.Node.Outputs[0]
		d, err := c.Dims(o)
		if err != nil {
			return err
		}
		got[o] = d.String()
		fixed[o] = c.Walker().Fixed(o)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"t": "[4 N 6]", "s": "[3]", "n": "[1]", "n2": "[1]", "target": "[3]", "heads": "[4 N*2 3]", "rows": "[N*8 3]"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: dims %s, want %s", k, got[k], v)
		}
	}
	if want := map[string]bool{"s": false, "n": false, "n2": false, "target": true, "t": false}; !maps.Equal(want, map[string]bool{"s": fixed["s"], "n": fixed["n"], "n2": fixed["n2"], "target": fixed["target"], "t": fixed["t"]}) {
		t.Errorf("fixed %v, want %v", fixed, want)
	}
	// A target that fixes the batch at 1: [8, 3] walks at batch 1 only.
	err = walk(build([]int64{8, 3}), func(*graph.Call, []*graph.Value) error { return nil })
	if want := `onnx: node "rows" (Reshape): at batch 3: cannot reshape input of shape [4 6 3] (72 elements) to [8 3] (at batch 1 it walks: its shapes do not scale with the batch)`; err == nil || err.Error() != want {
		t.Errorf("error %v\nwant %s", err, want)
	}
}
