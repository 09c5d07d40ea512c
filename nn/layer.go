package nn

import (
	"fmt"

	"github.com/nnergy/nnergy/nn/internal/gemm"
)

// Kind names the operation a layer performs.
type Kind int

// The layer kinds. Their String forms are the names used in the native file
// format and in shape listings.
const (
	KindConv Kind = iota + 1
	KindLinear
	KindReLU
	KindMaxPool
	KindAvgPool
	KindGlobalAvgPool
	KindBatchNorm
	KindAdd
	KindConcat
	KindFlatten
	KindDropout
	KindAct
	KindBinary
	KindSoftmax
	KindPermute
	KindSlice
	KindReduceMean
	KindMatMul
	KindLayerNorm
	KindPad
	KindCBC
)

var kindNames = map[Kind]string{
	KindConv:          "conv",
	KindLinear:        "linear",
	KindReLU:          "relu",
	KindMaxPool:       "maxpool",
	KindAvgPool:       "avgpool",
	KindGlobalAvgPool: "globalavgpool",
	KindBatchNorm:     "batchnorm",
	KindAdd:           "add",
	KindConcat:        "concat",
	KindFlatten:       "flatten",
	KindDropout:       "dropout",
	KindAct:           "act",
	KindBinary:        "binary",
	KindSoftmax:       "softmax",
	KindPermute:       "permute",
	KindSlice:         "slice",
	KindReduceMean:    "reducemean",
	KindMatMul:        "matmul",
	KindLayerNorm:     "layernorm",
	KindPad:           "pad",
	KindCBC:           "cbc",
}

// String returns the kind's name, e.g. "conv".
func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Layer is one operation of a model. The concrete types are [Conv],
// [Linear], [ReLU], [MaxPool], [AvgPool], [GlobalAvgPool], [BatchNorm],
// [Add], [Concat], [Flatten], [Dropout], [Act], [Binary], [Softmax], [Permute], [Slice], [ReduceMean], [MatMul],
// [LayerNorm], [Pad] and [CBC]; their fields are the layer's
// attributes and weights, so that importers and exporters can build and walk
// models directly. The set is closed: Layer has unexported methods.
//
// Shapes are per sample, without the batch dimension: [C, H, W] for images
// and [F] for feature vectors.
type Layer interface {
	// Kind returns the operation.
	Kind() Kind
	// Params returns the trainable parameters in a fixed order (weight
	// then bias; scale then bias), skipping absent ones.
	Params() []*Param
	// OutShape returns the output shape for the given input shapes, or an
	// error if the inputs or the layer's attributes do not fit.
	OutShape(in [][]int) ([]int, error)

	newOp(in [][]int, out []int, batch int) op
	clone() Layer
}

// op is a layer bound to a batch size and to the buffers it needs.
type op interface {
	// forward computes out from in. In training mode it keeps what
	// backward needs.
	forward(r *run, in []*Tensor, out *Tensor, train bool)
	// backward writes the parameter gradients and, for every din[i] that
	// is not nil, the gradient with respect to input i (overwriting it).
	backward(r *run, in []*Tensor, out, dout *Tensor, din []*Tensor)
}

// run is the per-execution context shared by the ops: the worker pool and
// the per-worker GEMM workspaces.
type run struct {
	workers int
	ws      []gemm.Workspace
	// seed and step drive dropout masks.
	seed, step uint64
}

func newRun(workers int) *run {
	if workers < 1 {
		workers = 1
	}
	return &run{workers: workers, ws: make([]gemm.Workspace, workers)}
}

func oneInput(in [][]int, k Kind) ([]int, error) {
	if len(in) != 1 {
		return nil, fmt.Errorf("%v takes 1 input, got %d", k, len(in))
	}
	return in[0], nil
}

func image(in []int, k Kind) (c, h, w int, err error) {
	if len(in) != 3 {
		return 0, 0, 0, fmt.Errorf("%v needs a [C H W] input, got %v", k, in)
	}
	return in[0], in[1], in[2], nil
}

// one returns v, or 1 when v is zero (the default of strides, dilations
// and groups).
func one(v int) int {
	if v == 0 {
		return 1
	}
	return v
}
