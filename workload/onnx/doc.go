// Package onnx imports ONNX models (read with package
// github.com/nnergy/nnergy/onnx) as energy-model workloads:
//
//	m, err := onnx.ReadFile("resnet18.onnx")       // github.com/nnergy/nnergy/onnx
//	net, err := wonnx.Import(m, 4)                 // this package, batch 4
//
// # Layers
//
// Conv (1-D and 2-D; group gives grouped and depthwise convolutions;
// strides, pads, auto_pad and dilations; the kernel from kernel_shape or the
// weight shape), Gemm and MatMul become layers, named after their nodes (or
// their first output when a node has no name). A product with a constant
// matrix is a fully connected layer (2-D input) or a GEMM (the rows of a
// higher-rank input on P, its first dimension on N); a product of two
// activations, as in attention, is a batched matmul whose broadcast batch
// dimensions go on G where both operands vary (batch × heads), on N where
// only the first does and on M where only the second does, so that each
// operand's size is exact. Density[workload.Weights] is the fraction of
// nonzero values of the constant operand.
//
// More ops become layers, each explained where it is imported:
// ConvTranspose (ops_convt.go: the loop nest of the convolution whose
// input gradient it computes, with exactly its MACs), Einsum of two
// operands (ops_einsum.go: the batched matrix product it is; other
// equations are refused naming the equation), LSTM, GRU and RNN (ops_rnn.go:
// a layer "NODE/input" for the input products of all steps and one layer
// "NODE/step<t>" per time step for the recurrent products), and the
// quantized QLinearConv, QLinearMatMul, ConvInteger and MatMulInteger
// (ops_quant.go; QuantizeLinear/DequantizeLinear are onnx/graph's).
//
// # Word widths
//
// Layer.Bits follows the stored type of each tensor: INT8 and UINT8 are
// 8-bit words, FLOAT16, BFLOAT16, INT16 and UINT16 16-bit; FLOAT and the
// other types keep the workload default (16 bits), since float models are
// taken to run at the accelerator's fixed-point word. Types flow from the
// graph inputs and initializers through every op (Cast sets its own); a
// DequantizeLinear keeps its input's stored type, so that a QDQ model's
// layers are integer layers.
//
// # Shapes
//
// All other supported ops (onnx/graph's op table: activations, normalization,
// pooling, reductions, elementwise arithmetic with broadcasting, Resize and
// Upsample, the quantization ops, and the shape ops Reshape, Flatten,
// Transpose, Squeeze, Unsqueeze, Concat, Split, Slice, Gather, ScatterND,
// Shape, Constant, ConstantOfShape, Expand, Pad, Tile, Range)
// only carry shapes, and constant values where shape computations need them,
// so that shapes are inferred statically from the graph inputs. Package
// onnx/graph, the ONNX front-end, walks the graph and infers them; this
// package lowers the ops above to layers when the walk reaches them
// (graph.Walker.Lower). Unsupported ops are errors naming the node and its
// op_type.
//
// # Batch
//
// The batch dimension of a graph input (graph.NewPlan) is the one whose
// dim_param names it ("batch", "batch_size", "N"...), or, when no input
// names one, dimension 0 of an NCHW image (rank 4), an [N, features]
// matrix (rank 2) or the [N, C, W] input of a 1-D convolution. Import sets it to the requested
// size and infers every other shape from it, so the layers' bounds are
// exact at that batch. Any other input (a static [B, S, D] or [S, B, D])
// leaves the batch unknown (Network.BatchUnknown): the file imports at its
// own shapes only, and a batch size is refused with the reason.
//
// At a batch other than the file's own (or a symbolic one), the graph is
// also imported at a second size and every layer must keep its bounds but
// for at most one, which grows in proportion to the batch; otherwise the
// import is refused, naming the layer. PyTorch bakes the batch size used at
// export into constant Reshape targets; a target whose first entry equals
// the exported batch is taken to be the batch if the reshaped tensor's
// first dimension is the batch, and the check above confirms it.
//
// Symbolic dimensions other than the batch take their sizes from
// Options.Dims (by dim_param) or Options.Shapes (whole input shapes); one
// left open is an error naming the input, the axis and the dim_param.
//
// Import at the batch size wanted rather than calling Network.WithBatch on
// the result: WithBatch sets N, but a product of two activations carries the
// batch on G (each image has its own second operand), and a sequence-first
// projection on P, which only Import knows how to scale.
//
// # Edges
//
// A layer's From lists the layers whose outputs reach any of its inputs
// through non-MAC ops (activations, pooling, residual adds, reshapes), in
// graph order.
package onnx
