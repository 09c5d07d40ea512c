package onnx_test

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"

	"github.com/nnergy/nnergy/internal/onnxpb"
	"github.com/nnergy/nnergy/onnx"
)

// tinyCNNOps is the node order of testdata/tiny_cnn.onnx as PyTorch exports
// it (see scripts/make_onnx_fixtures.py).
var tinyCNNOps = []string{
	"Conv", "BatchNormalization", "Relu", "MaxPool", "Conv", "BatchNormalization", "Relu",
	"Constant", "Pad", "AveragePool", "GlobalAveragePool", "Flatten", "Gemm",
}

func opTypes(g *onnx.Graph) []string {
	var ops []string
	for _, n := range g.Nodes {
		ops = append(ops, n.OpType)
	}
	return ops
}

func TestReadFile(t *testing.T) {
	m, err := onnx.ReadFile("testdata/tiny_cnn.onnx")
	if err != nil {
		t.Fatal(err)
	}
	if m.Source != "testdata/tiny_cnn.onnx" || m.IRVersion != 7 || m.Opset("") != 13 || m.Opset("ai.onnx") != 13 {
		t.Errorf("source %q, IR %d, opset %d", m.Source, m.IRVersion, m.Opset(""))
	}
	g := m.Graph
	if diff := cmp.Diff(tinyCNNOps, opTypes(g)); diff != "" {
		t.Errorf("op types (-want +got):\n%s", diff)
	}
	want := []onnx.ValueInfo{{Name: "input", DataType: onnx.Float, Shape: []int64{1, 3, 16, 16}}}
	if diff := cmp.Diff(want, g.Inputs); diff != "" {
		t.Errorf("inputs (-want +got):\n%s", diff)
	}
	want = []onnx.ValueInfo{{Name: "output", DataType: onnx.Float, Shape: []int64{1, 10}}}
	if diff := cmp.Diff(want, g.Outputs); diff != "" {
		t.Errorf("outputs (-want +got):\n%s", diff)
	}
	w := g.Initializer("conv1.weight")
	if w == nil || w.DataType != onnx.Float || !slicesEqual(w.Dims, []int64{8, 3, 3, 3}) || len(w.Floats) != 216 || w.Density() != 1 {
		t.Errorf("conv1.weight = %+v", w)
	}
	conv := g.Nodes[0]
	if conv.Name != "/conv1/Conv" || !slicesEqual(conv.Inputs, []string{"input", "conv1.weight", "conv1.bias"}) {
		t.Errorf("first node %+v", conv)
	}
	pads, err := conv.Ints("pads", 4, nil)
	if err != nil || !slicesEqual(pads, []int64{1, 1, 1, 1}) {
		t.Errorf("pads = %v, %v", pads, err)
	}
	if grp, err := conv.Int("group", 0); grp != 1 || err != nil {
		t.Errorf("group = %d, %v", grp, err)
	}
	pad := g.Nodes[7] // Constant holding the pads of the Pad node
	ct, err := pad.Tensor("value")
	if err != nil || ct == nil || ct.DataType != onnx.Int64 || len(ct.Ints) != 8 {
		t.Errorf("Constant value = %+v, %v", ct, err)
	}
	if g.Producer("output") != g.Nodes[12] || len(g.Consumers("input")) != 1 {
		t.Errorf("Producer/Consumers")
	}
}

func TestSortUnsorted(t *testing.T) {
	m, err := onnx.ReadFile("testdata/unsorted.onnx")
	if err != nil {
		t.Fatal(err)
	}
	assertTopological(t, m.Graph)
	ref, err := onnx.ReadFile("testdata/tiny_cnn.onnx")
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Graph.Nodes) != len(ref.Graph.Nodes) {
		t.Fatalf("%d nodes, want %d", len(m.Graph.Nodes), len(ref.Graph.Nodes))
	}
}

func assertTopological(t *testing.T, g *onnx.Graph) {
	t.Helper()
	def := map[string]bool{"": true}
	for _, in := range g.Inputs {
		def[in.Name] = true
	}
	for _, in := range g.Initializers {
		def[in.Name] = true
	}
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			if !def[in] {
				t.Errorf("%s reads %q before it is defined", n, in)
			}
		}
		for _, o := range n.Outputs {
			def[o] = true
		}
	}
}

func TestMalformed(t *testing.T) {
	for _, tc := range []struct {
		file, want string
	}{
		{"testdata/no_graph.onnx", "onnx: testdata/no_graph.onnx: model has no graph"},
		{"testdata/truncated.onnx", "onnx: testdata/truncated.onnx: not an ONNX model, or truncated: "},
		{"testdata/not_onnx.onnx", "onnx: testdata/not_onnx.onnx: not an ONNX model, or truncated: "},
		{"testdata/missing.onnx", "onnx: open testdata/missing.onnx: no such file or directory"},
		{"testdata", "onnx: testdata is a directory"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			_, err := onnx.ReadFile(tc.file)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("got error %v, want prefix %q", err, tc.want)
			}
		})
	}
	if _, err := onnx.Decode(bytes.NewReader(nil)); err == nil || err.Error() != "onnx: empty file" {
		t.Errorf("empty input: %v", err)
	}
}

// graphModel marshals a ModelProto holding g.
func graphModel(t *testing.T, g *onnxpb.GraphProto) []byte {
	t.Helper()
	b, err := proto.Marshal(&onnxpb.ModelProto{
		IrVersion:   proto.Int64(7),
		OpsetImport: []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(13)}},
		Graph:       g,
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTensorData(t *testing.T) {
	f32 := int32(onnxpb.TensorProto_FLOAT)
	for _, tc := range []struct {
		name string
		t    *onnxpb.TensorProto
		want *onnx.Tensor
		err  string
	}{{
		name: "float_data",
		t:    &onnxpb.TensorProto{Name: proto.String("w"), DataType: &f32, Dims: []int64{2, 2}, FloatData: []float32{1, 0, 0, 4}},
		want: &onnx.Tensor{Name: "w", DataType: onnx.Float, Dims: []int64{2, 2}, Floats: []float32{1, 0, 0, 4}},
	}, {
		name: "raw float",
		t:    &onnxpb.TensorProto{Name: proto.String("w"), DataType: &f32, Dims: []int64{2}, RawData: []byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0}},
		want: &onnx.Tensor{Name: "w", DataType: onnx.Float, Dims: []int64{2}, Floats: []float32{1, -2}},
	}, {
		name: "raw int64 scalar",
		t:    &onnxpb.TensorProto{Name: proto.String("w"), DataType: proto.Int32(7), RawData: []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		want: &onnx.Tensor{Name: "w", DataType: onnx.Int64, Dims: []int64{}, Ints: []int64{-1}},
	}, {
		name: "int64_data",
		t:    &onnxpb.TensorProto{Name: proto.String("w"), DataType: proto.Int32(7), Dims: []int64{3}, Int64Data: []int64{1, -1, 5}},
		want: &onnx.Tensor{Name: "w", DataType: onnx.Int64, Dims: []int64{3}, Ints: []int64{1, -1, 5}},
	}, {
		name: "int32_data",
		t:    &onnxpb.TensorProto{Name: proto.String("w"), DataType: proto.Int32(6), Dims: []int64{2}, Int32Data: []int32{-3, 4}},
		want: &onnx.Tensor{Name: "w", DataType: onnx.Int32, Dims: []int64{2}, Ints: []int64{-3, 4}},
	}, {
		name: "raw bool",
		t:    &onnxpb.TensorProto{Name: proto.String("w"), DataType: proto.Int32(9), Dims: []int64{3}, RawData: []byte{1, 0, 1}},
		want: &onnx.Tensor{Name: "w", DataType: onnx.Bool, Dims: []int64{3}, Ints: []int64{1, 0, 1}},
	}, {
		name: "empty",
		t:    &onnxpb.TensorProto{Name: proto.String("w"), DataType: &f32, Dims: []int64{0, 3}},
		want: &onnx.Tensor{Name: "w", DataType: onnx.Float, Dims: []int64{0, 3}, Floats: []float32{}},
	}, {
		name: "raw float16",
		// 1, -2, 65504 (the largest), 2^-24 (the smallest subnormal), -0.
		t:    &onnxpb.TensorProto{Name: proto.String("w"), DataType: proto.Int32(10), Dims: []int64{5}, RawData: []byte{0x00, 0x3c, 0x00, 0xc0, 0xff, 0x7b, 0x01, 0x00, 0x00, 0x80}},
		want: &onnx.Tensor{Name: "w", DataType: onnx.Float16, Dims: []int64{5}, Floats: []float32{1, -2, 65504, 1.0 / (1 << 24), float32(math.Copysign(0, -1))}},
	}, {
		name: "float16 in int32_data",
		t:    &onnxpb.TensorProto{Name: proto.String("w"), DataType: proto.Int32(10), Dims: []int64{2}, Int32Data: []int32{0x3800, 0x7c00}},
		want: &onnx.Tensor{Name: "w", DataType: onnx.Float16, Dims: []int64{2}, Floats: []float32{0.5, float32(math.Inf(1))}},
	}, {
		name: "raw bfloat16",
		t:    &onnxpb.TensorProto{Name: proto.String("w"), DataType: proto.Int32(16), Dims: []int64{2}, RawData: []byte{0x80, 0x3f, 0x40, 0xc0}},
		want: &onnx.Tensor{Name: "w", DataType: onnx.BFloat16, Dims: []int64{2}, Floats: []float32{1, -3}},
	}, {
		name: "double_data",
		t:    &onnxpb.TensorProto{Name: proto.String("w"), DataType: proto.Int32(11), Dims: []int64{2}, DoubleData: []float64{0.25, -8}},
		want: &onnx.Tensor{Name: "w", DataType: onnx.Double, Dims: []int64{2}, Floats: []float32{0.25, -8}},
	}, {
		name: "raw int8",
		t:    &onnxpb.TensorProto{Name: proto.String("w"), DataType: proto.Int32(3), Dims: []int64{3}, RawData: []byte{0x80, 0xff, 0x7f}},
		want: &onnx.Tensor{Name: "w", DataType: onnx.Int8, Dims: []int64{3}, Ints: []int64{-128, -1, 127}},
	}, {
		name: "raw uint8",
		t:    &onnxpb.TensorProto{Name: proto.String("w"), DataType: proto.Int32(2), Dims: []int64{3}, RawData: []byte{0x80, 0xff, 0x7f}},
		want: &onnx.Tensor{Name: "w", DataType: onnx.Uint8, Dims: []int64{3}, Ints: []int64{128, 255, 127}},
	}, {
		name: "int8 in int32_data",
		t:    &onnxpb.TensorProto{Name: proto.String("w"), DataType: proto.Int32(3), Dims: []int64{2}, Int32Data: []int32{-5, 7}},
		want: &onnx.Tensor{Name: "w", DataType: onnx.Int8, Dims: []int64{2}, Ints: []int64{-5, 7}},
	}, {
		name: "raw int16 and uint32",
		t:    &onnxpb.TensorProto{Name: proto.String("w"), DataType: proto.Int32(5), Dims: []int64{1}, RawData: []byte{0xfe, 0xff}},
		want: &onnx.Tensor{Name: "w", DataType: onnx.Int16, Dims: []int64{1}, Ints: []int64{-2}},
	}, {
		name: "uint64_data",
		t:    &onnxpb.TensorProto{Name: proto.String("w"), DataType: proto.Int32(12), Dims: []int64{1}, Uint64Data: []uint64{4000000000}},
		want: &onnx.Tensor{Name: "w", DataType: onnx.Uint32, Dims: []int64{1}, Ints: []int64{4000000000}},
	}, {
		name: "string",
		t:    &onnxpb.TensorProto{Name: proto.String("w"), DataType: proto.Int32(8), Dims: []int64{1}, StringData: [][]byte{[]byte("a")}},
		err:  `onnx: initializer "w": data type STRING is not supported (supported: FLOAT, FLOAT16, BFLOAT16, DOUBLE, INT8, UINT8, INT16, UINT16, INT32, UINT32, INT64, UINT64, BOOL)`,
	}, {
		name: "short raw",
		t:    &onnxpb.TensorProto{Name: proto.String("w"), DataType: &f32, Dims: []int64{2, 2}, RawData: []byte{0, 0, 0, 0}},
		err:  `onnx: initializer "w": dimensions [2 2] need 16 bytes of raw_data, have 4`,
	}, {
		name: "short float_data",
		t:    &onnxpb.TensorProto{Name: proto.String("w"), DataType: &f32, Dims: []int64{3}, FloatData: []float32{1}},
		err:  `onnx: initializer "w": dimensions [3] need 3 values, have 1`,
	}, {
		name: "negative dim",
		t:    &onnxpb.TensorProto{Name: proto.String("w"), DataType: &f32, Dims: []int64{-1}},
		err:  `onnx: initializer "w": dimensions [-1] are negative or too large`,
	}, {
		name: "huge dims",
		t:    &onnxpb.TensorProto{Name: proto.String("w"), DataType: &f32, Dims: []int64{1 << 40, 1 << 40}},
		err:  `onnx: initializer "w": dimensions [1099511627776 1099511627776] are negative or too large`,
	}, {
		name: "external",
		t:    &onnxpb.TensorProto{Name: proto.String("w"), DataType: &f32, Dims: []int64{1}, DataLocation: onnxpb.TensorProto_EXTERNAL.Enum()},
		err:  `onnx: initializer "w": data is stored in an external file, but external_data has no location`,
	}, {
		name: "external without a directory",
		t: &onnxpb.TensorProto{Name: proto.String("w"), DataType: &f32, Dims: []int64{1}, DataLocation: onnxpb.TensorProto_EXTERNAL.Enum(),
			ExternalData: []*onnxpb.StringStringEntryProto{{Key: proto.String("location"), Value: proto.String("w.bin")}}},
		err: `onnx: initializer "w": data is stored in the external file "w.bin", but the model's directory is unknown (read the model with ReadFile or Parse with its path)`,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			data := graphModel(t, &onnxpb.GraphProto{Name: proto.String("g"), Initializer: []*onnxpb.TensorProto{tc.t}})
			m, err := onnx.Decode(bytes.NewReader(data))
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("got error %v, want %s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, m.Graph.Initializers[0]); diff != "" {
				t.Errorf("tensor (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGraphErrors(t *testing.T) {
	node := func(name, op string, in, out []string) *onnxpb.NodeProto {
		return &onnxpb.NodeProto{Name: proto.String(name), OpType: proto.String(op), Input: in, Output: out}
	}
	x := &onnxpb.ValueInfoProto{Name: proto.String("x")}
	for _, tc := range []struct {
		name string
		g    *onnxpb.GraphProto
		err  string
	}{{
		name: "undefined input",
		g:    &onnxpb.GraphProto{Input: []*onnxpb.ValueInfoProto{x}, Node: []*onnxpb.NodeProto{node("r", "Relu", []string{"y"}, []string{"z"})}},
		err:  `onnx: m.onnx: node "r" (Relu): input "y" is not defined by any node, graph input or initializer`,
	}, {
		name: "cycle",
		g: &onnxpb.GraphProto{Input: []*onnxpb.ValueInfoProto{x}, Node: []*onnxpb.NodeProto{
			node("a", "Add", []string{"x", "c"}, []string{"b"}),
			node("b", "Relu", []string{"b"}, []string{"c"}),
		}},
		err: `onnx: m.onnx: the graph has a cycle through node "a" (Add), node "b" (Relu)`,
	}, {
		name: "duplicate output",
		g: &onnxpb.GraphProto{Input: []*onnxpb.ValueInfoProto{x}, Node: []*onnxpb.NodeProto{
			node("a", "Relu", []string{"x"}, []string{"y"}),
			node("", "Relu", []string{"x"}, []string{"y"}),
		}},
		err: `onnx: m.onnx: node "y" (Relu): output "y" is also an output of node "a" (Relu)`,
	}, {
		name: "output shadows input",
		g:    &onnxpb.GraphProto{Input: []*onnxpb.ValueInfoProto{x}, Node: []*onnxpb.NodeProto{node("a", "Relu", []string{"x"}, []string{"x"})}},
		err:  `onnx: m.onnx: node "a" (Relu): output "x" is also a graph input or initializer`,
	}, {
		name: "no op type",
		g:    &onnxpb.GraphProto{Input: []*onnxpb.ValueInfoProto{x}, Node: []*onnxpb.NodeProto{node("a", "", []string{"x"}, []string{"y"})}},
		err:  `onnx: m.onnx: node "a" (): node has no op_type`,
	}, {
		name: "undefined graph output",
		g:    &onnxpb.GraphProto{Input: []*onnxpb.ValueInfoProto{x}, Output: []*onnxpb.ValueInfoProto{{Name: proto.String("q")}}},
		err:  `onnx: m.onnx: graph output "q" is not defined by any node, input or initializer`,
	}, {
		name: "bad attribute tensor",
		g: &onnxpb.GraphProto{Node: []*onnxpb.NodeProto{{
			Name: proto.String("c"), OpType: proto.String("Constant"), Output: []string{"y"},
			Attribute: []*onnxpb.AttributeProto{{Name: proto.String("value"), Type: onnxpb.AttributeProto_TENSOR.Enum(),
				T: &onnxpb.TensorProto{DataType: proto.Int32(14), Dims: []int64{1}, FloatData: []float32{1, 2}}}},
		}}},
		err: `onnx: m.onnx: node "c" (Constant): attribute "value": data type COMPLEX64 is not supported (supported: FLOAT, FLOAT16, BFLOAT16, DOUBLE, INT8, UINT8, INT16, UINT16, INT32, UINT32, INT64, UINT64, BOOL)`,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := onnx.Parse("m.onnx", graphModel(t, tc.g))
			if err == nil || err.Error() != tc.err {
				t.Errorf("got error\n%v\nwant\n%s", err, tc.err)
			}
		})
	}
}

func TestAttrAccessors(t *testing.T) {
	n := &onnx.Node{Name: "conv1", OpType: "Conv", Attrs: []onnx.Attribute{
		onnx.IntsAttr("pads", 1, 1),
		onnx.IntAttr("group", 2),
		onnx.FloatAttr("alpha", 0.5),
		onnx.StringAttr("auto_pad", "NOTSET"),
		onnx.FloatsAttr("scales", 1, 2),
	}}
	for _, tc := range []struct {
		name string
		f    func() (any, error)
		want any
		err  string
	}{
		{"pads count", func() (any, error) { return n.Ints("pads", 4, nil) }, nil,
			`onnx: node "conv1" (Conv): attribute "pads": want 4 ints, got 2`},
		{"pads any", func() (any, error) { return n.Ints("pads", -1, nil) }, []int64{1, 1}, ""},
		{"default", func() (any, error) { return n.Ints("strides", 2, []int64{1, 1}) }, []int64{1, 1}, ""},
		{"int", func() (any, error) { return n.Int("group", 1) }, int64(2), ""},
		{"int default", func() (any, error) { return n.Int("axis", -1) }, int64(-1), ""},
		{"int wrong type", func() (any, error) { return n.Int("pads", 0) }, nil,
			`onnx: node "conv1" (Conv): attribute "pads": want type INT, got INTS`},
		{"float", func() (any, error) { return n.Float("alpha", 0) }, float32(0.5), ""},
		{"string", func() (any, error) { return n.Str("auto_pad", "") }, "NOTSET", ""},
		{"floats", func() (any, error) { return n.Floats("scales", 3, nil) }, nil,
			`onnx: node "conv1" (Conv): attribute "scales": want 3 floats, got 2`},
		{"tensor absent", func() (any, error) { return n.Tensor("value") }, (*onnx.Tensor)(nil), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.f()
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("got error %v, want %s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	// Nodes without a name are named by their first output.
	err := (&onnx.Node{OpType: "Relu", Outputs: []string{"y"}}).Errorf("boom")
	if err.Error() != `onnx: node "y" (Relu): boom` {
		t.Errorf("got %v", err)
	}
}

func slicesEqual[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
