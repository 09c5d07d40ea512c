// Package nn is nnergy's CPU training engine: float32 NCHW tensors, the
// layers of small CNNs, training with SGD or Adam, structural and
// unstructured pruning, a native model file format and latency
// measurement. It is pure Go (with an AVX2 micro-kernel for matrix
// products) and uses every core.
//
// # Models
//
// A [Model] is a DAG of named [Node]s in topological order over one input
// tensor. Each node holds a [Layer] — [Conv] (stride, padding, dilation,
// groups, depthwise), [Linear] (on feature vectors or along the last axis),
// [ReLU] (and ReLU6), [Act] (Sigmoid, HardSigmoid, HardSwish, SiLU,
// LeakyReLU, Tanh, GELU, Erf, Sqrt, Pow, Exp), [MaxPool], [AvgPool],
// [GlobalAvgPool], [BatchNorm], [LayerNorm], [Add], [Binary] (add, sub,
// mul, div with broadcasting, by an activation or a constant), [Softmax],
// [MatMul] (of two activations), [Permute] (reshape and transpose),
// [Slice], [ReduceMean], [Pad], [Concat], [Flatten], [Dropout], [CBC] (a
// partial channel-level bypass, see [PartialBypass]) — and the
// names of the tensors it reads; its output is named after it. Shapes are
// per sample: the batch is always the first axis. All
// attributes and weights are exported fields, so an importer builds a model
// with struct literals and [NewParam], and an exporter walks m.Nodes:
//
//	m := nn.New("input", 1, 28, 28)
//	x := m.Add("conv1", nn.NewConv(1, 6, 5, 1, 2), "input")
//	x = m.Add("relu1", nn.NewReLU(), x)
//	...
//	nn.Init(m, seed)      // or set each Param's Data
//	err := m.Check()      // every structural problem at once
//
// [Model.Shapes] infers the per-sample shape of every tensor and
// [Describe] lists each layer's shapes and geometry for cost models.
//
// # Running and training
//
// An [Exec] runs forward and backward passes with a fixed number of
// workers; the work is split by images and by GEMM blocks, and gradients
// are reduced in a fixed order, so a seed reproduces a run bit for bit with
// the same worker count. [Train] runs the epoch loop and reports [Event]s
// to a callback; [Evaluate] scores a model on a data set from package
// [github.com/nnergy/nnergy/nn/data]. Trainable reference networks are in
// [github.com/nnergy/nnergy/nn/zoo].
//
// # Pruning
//
// [RemoveFilters] deletes output filters of a layer and every channel that
// depends on them (through batch norm, activations, pooling, depthwise
// convolutions, concatenations, residual adds, squeeze-and-excitation
// scales and flatten; it refuses the transformer layers); [Param.Mask]
// holds unstructured pruning masks that the optimizers keep at zero.
// [FilterNorms], [Param.Sparsity] and [Describe] report what pruning needs.
// A layer whose input and output have one shape can instead keep k of its
// C channels computed and pass the others through from its input
// ([PartialBypass], a channel-level bypass, [CBC]), down to k = 0 where it
// leaves the model; [AddBypass] gives a super-network the same bypass at
// full width with a Keep to set per sub-network.
//
// # Files and latency
//
// [Save] and [Load] read and write the versioned native format (.nnw).
// [MeasureLatency] times inference per layer and per pass, and
// [MeasureLayerTable] builds the channel-count lookup tables NetAdapt uses.
package nn
