// Package graph is the ONNX front-end both importers lower from: it walks
// a model's graph and knows, for every value, its static facts (shape,
// element type, whether dimension 0 is the batch, and its data when it is
// a constant), through one table of shape functions with one constant
// folder.
//
// The front-end owns every op that only moves, reshapes or computes on
// data (elementwise arithmetic and activations, shape ops, pooling,
// normalization, Resize, quantization); an importer lowers the ops it
// owns (Conv, Gemm, MatMul... in workload/onnx) by giving the Walker an Op
// for each of them, called with the same facts, or lowers every node once
// it is inferred (Walker.Visit, the training engine's importer). Window
// attributes (ReadWindow, ConvOf), products (MatMulShape), Slice's
// arguments (Call.SliceArgs) and unique names (Names) are exported for the
// importers' own lowerings.
//
// NewPlan is the batch and symbolic-dimension model: which axis of each
// graph input is the batch, and the sizes of the other symbolic
// dimensions. A walk with a Ref at a second batch size tells which
// dimensions of any value are multiples of the batch (Call.Dims: N, or
// N·H in attention) and which constants depend on it (Walker.Fixed).
//
// Errors about a node are *onnx.NodeError values naming the file and the
// node; Walker.Errorf and Call.Errorf make them.
package graph
