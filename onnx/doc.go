// Package onnx reads and writes ONNX models: a small, typed view of the
// ONNX IR (Model, Graph, Node, Attribute, Tensor, ValueInfo) over the
// protocol buffer types generated from the official onnx.proto.
//
// # Reading
//
// ReadFile, Parse and Decode return a Model whose graph is checked and in
// topological order: every node input is defined by a graph input, an
// initializer or an earlier node. Initializers and constant tensors hold
// their data as float32 (FLOAT, FLOAT16, BFLOAT16, DOUBLE) or int64 (the
// integer types and BOOL), read from raw_data, the typed fields, or an
// external data file; Tensor.DataType keeps the stored type, whose width
// DataType.Bits gives. STRING, complex and sparse tensors are reported as
// errors. Malformed input (empty, truncated, not protobuf, no graph) is an
// error naming the file, never a panic.
//
// The model is decoded as it is read: raw_data goes from the file straight
// into the tensors' slices, so reading a model takes about the memory of
// its decoded weights, not the file's bytes as well (BENCHMARKS.md).
//
// External data (external_data with location, offset, length) is read
// relative to the directory of the model file (ReadFile's path, Parse's
// name); a location that is absolute, climbs out with "..", or leads out
// through a symbolic link is refused, and a missing file is an error naming
// it. Decode, which has no file, cannot read external data.
//
// Node attributes are read with typed accessors that default when the
// attribute is absent and fail with a *NodeError naming the node, its
// op_type and the attribute:
//
//	pads, err := n.Ints("pads", 4, []int64{0, 0, 0, 0})
//	// onnx: model.onnx: node "conv1" (Conv): attribute "pads": want 4 ints, got 2
//
// # Writing
//
// NewModel starts a model at IR version 7 and opset 13; Graph.AddInput,
// AddInitializer, AddNode and AddOutput build it; Encode, Marshal and
// WriteFile write it:
//
//	m := onnx.NewModel("tiny")
//	g := m.Graph
//	g.AddInput("x", onnx.Float, 1, 4)
//	g.AddInitializer("w", []int64{2, 4}, w)
//	g.AddNode("Gemm", []string{"x", "w"}, []string{"y"}, onnx.IntAttr("transB", 1)).Name = "fc"
//	g.AddOutput("y", onnx.Float, 1, 2)
//	err := onnx.WriteFile("tiny.onnx", m)
//
// The conversion of a graph into an energy-model workload is in package
// github.com/nnergy/nnergy/workload/onnx.
package onnx
