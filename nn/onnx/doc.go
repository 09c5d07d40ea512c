// Package onnx converts between nnergy's trainable models (package
// [github.com/nnergy/nnergy/nn]) and ONNX models with their weights (read
// and written with package [github.com/nnergy/nnergy/onnx]):
//
//	om, err := nnonnx.Export(m)              // *nn.Model -> *onnx.Model
//	err = onnx.WriteFile("model.onnx", om)
//
//	om, err := onnx.ReadFile("model.onnx")
//	m, err := nnonnx.Import(om)              // a trainable *nn.Model
//
// [WriteFile] and [ReadFile] do both steps. The energy-model view of an ONNX
// file (a workload.Network) is in package
// github.com/nnergy/nnergy/workload/onnx.
//
// # Export
//
// Every layer becomes one ONNX node of opset 13 (17 when the model has a
// [nn.LayerNorm]) named after the layer, whose
// output value also has the layer's name: Conv (kernel_shape, strides, pads,
// dilations, group), Gemm with transB = 1 for [nn.Linear] on feature
// vectors (MatMul by the transposed weight, then Add of the bias, on
// [..., In]), Relu, or Clip with
// constant min 0 and max Cap for a capped [nn.ReLU], MaxPool and
// AveragePool (ceil_mode, count_include_pad), GlobalAveragePool,
// BatchNormalization in inference form with the running statistics (ONNX
// momentum = 1 − [nn.BatchNorm].Momentum), Add (Sum for more than two
// inputs), Concat on axis 1, Flatten on axis 1, Dropout with its ratio
// (the identity in inference), the activations of [nn.Act] (SiLU as
// Sigmoid then Mul, HardSwish as HardSigmoid then Mul, GELU as Div, Erf,
// Add, Mul, Mul, as PyTorch writes them at opset 13), Add, Sub, Mul or Div
// for [nn.Binary] (the constant an initializer), Softmax or LogSoftmax,
// Reshape/Transpose/Reshape for [nn.Permute], Slice, ReduceMean, MatMul,
// LayerNormalization and Pad. A partial channel-level bypass ([nn.CBC])
// becomes Slice nodes (the computed channels it keeps, when the layer has
// more; the input channels from Keep on) and a Concat on axis 1, which ONNX
// Runtime runs and which import as [nn.Slice] and [nn.Concat]. Weights are
// initializers named after the layer ("conv1.weight", "conv1.bias", "bn1.running_mean", ...). The batch
// dimension of the input and output is symbolic ("N"). The weights are
// copied, and masks ([nn.Param].Mask) are not exported: masked weights are
// zeros. A model pruned with [nn.RemoveFilters] exports with its new shapes.
//
// # Import
//
// Import accepts one float graph input of shape [N, ...] (N symbolic or
// fixed; the rest static) and one graph output, and builds one layer per
// node for Conv (2-D, auto_pad included), Gemm (transA 0, any transB,
// alpha and beta folded into the weights), MatMul with a constant right
// operand (a linear layer without bias along the last axis), MatMul of two
// activations ([nn.MatMul], batched), Relu, Clip with min 0 (min and max
// as attributes before opset 11, constant inputs from 11), MaxPool,
// AveragePool, GlobalAveragePool, BatchNormalization (weights and running
// statistics; ONNX momentum m becomes Momentum 1 − m), LayerNormalization,
// ReduceMean, Sigmoid, HardSigmoid, HardSwish, LeakyRelu, Tanh, Gelu
// (exact), Erf, Sqrt, Exp, Pow by a constant scalar ([nn.Act]), Softmax and
// LogSoftmax, Add, Sub, Mul, Div and Sum with broadcasting ([nn.Binary];
// [nn.Add] for activations of one shape), Concat on the channel axis,
// Flatten on axis 1, Reshape, Transpose ([nn.Permute] where a layout has to
// change), Slice of one dimension of an activation, Pad in constant mode
// and Dropout (its ratio kept).
//
// The engine keeps every tensor as [N, per-sample...]. PyTorch's
// multi-head attention moves the batch ([N L E] to [L N·H E/H] and back);
// the importer follows such values as views of an nn tensor, so that
// Transpose and Reshape add no layer until an operation needs another
// layout, which one [nn.Permute] then provides (see view.go).
//
// Some nodes merge into others, as PyTorch's exporter needs:
//
//   - an Add of a constant vector after a Gemm or MatMul, or of a constant
//     [1 C 1 1] after a Conv without bias, is that layer's bias;
//   - Relu then Clip(0, c) is one ReLU capped at c (PyTorch's ReLU6);
//   - a constant zero Pad of height and width is absorbed by the Conv or
//     AveragePool that reads it (PyTorch writes AvgPool2d with padding and
//     count_include_pad as Pad then AveragePool); other readers get an
//     [nn.Pad];
//   - Mul(x, Sigmoid(x)) is one SiLU, Mul(x, HardSigmoid(x)) with alpha
//     1/6 and beta 0.5 one HardSwish, and Mul(Mul(x, Add(Erf(Div(x, √2)),
//     1)), 0.5) one GELU, as PyTorch exports them;
//   - a constant operand of Add, Sub, Mul or Div is trained, unless it is a
//     scalar;
//   - Identity, and Reshape or Flatten that do not change the per-sample
//     shape, are dropped; a Reshape that flattens each sample — with a
//     constant target such as [1, -1] (batch 1) or [-1, 400], or with the
//     Shape → Gather → Unsqueeze → Concat chain that x.view(x.size(0), -1)
//     becomes — is an [nn.Flatten];
//   - a node whose outputs the ONNX front-end knows is folded: constants,
//     and shapes computed from the Shape of an activation (package
//     github.com/nnergy/nnergy/onnx/graph, whose op table covers Constant,
//     ConstantOfShape, Shape, Gather, Unsqueeze, Concat, Slice, Cast,
//     arithmetic and more).
//
// The front-end also gives the nodes their order (topological, the stored
// one when it is), the graph input's batch (graph.NewPlan), every value's
// shape, window attributes (auto_pad included) and layer names. It walks
// the graph at the file's batch size (1 when symbolic) and, in step, at
// the next one, and so tells which dimensions grow with the batch: a
// Reshape's output [L N·H E/H] is known to hold N·H however its target was
// computed, and a constant the engine reads (a weight, pads, a slice's
// bounds) must be the same at both sizes. The importer checks that the
// layout it keeps of every output has the front-end's shape.
//
// This covers what PyTorch exports for the layers of package nn, with batch
// normalization either kept as separate nodes (TrainingMode.PRESERVE) or
// folded into the convolutions (the default eval export), for
// torchvision's MobileNetV3 and EfficientNet-B0 and for nn.TransformerEncoder;
// the tests check imported PyTorch models against PyTorch's and ONNX
// Runtime's outputs.
//
// Layers are named after their ONNX nodes (or their first output when a
// node has no name). Any other operator is an error naming the node and its
// op_type, as is a weight that is not a constant or an attribute the layers
// cannot express (a Clip with a nonzero minimum, a Gemm with transA, a
// reshape that splits the batch, a softmax over the batch):
//
//	onnx: model.onnx: node "/act/Elu" (Elu): op type Elu is not supported (...)
package onnx
