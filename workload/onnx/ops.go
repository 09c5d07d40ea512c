package onnx

// mac lowers one ONNX operator type that becomes layers.
type mac struct {
	fn    func(im *importer, c *call) ([]*value, error)
	minIn int // required inputs
}

// macs is the table of the operator types (default domain) that become
// layers; every other op is onnx/graph's, and only carries shapes and
// constants.
var macs = map[string]mac{
	"Conv":          {(*importer).conv, 2},
	"ConvTranspose": {(*importer).convTranspose, 2},
	"Gemm":          {(*importer).gemm, 2},
	"MatMul":        {(*importer).matmul, 2},
	"Einsum":        {(*importer).einsum, 1},
	"LSTM":          {(*importer).rnn, 3},
	"GRU":           {(*importer).rnn, 3},
	"RNN":           {(*importer).rnn, 3},
	"QLinearConv":   {(*importer).qlinearConv, 8},
	"QLinearMatMul": {(*importer).qlinearMatMul, 8},
	"ConvInteger":   {(*importer).qlinearConv, 2},
	"MatMulInteger": {(*importer).qlinearMatMul, 2},
}
