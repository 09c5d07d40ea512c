package onnx

import (
	"slices"

	"github.com/nnergy/nnergy/onnx"
)

// op imports one ONNX operator type.
type op struct {
	fn    func(im *importer, c *call) ([]*value, error)
	minIn int  // required inputs
	mac   bool // the op becomes a layer; other ops pass their inputs' sources on
}

// ops is the table of supported operator types (default domain). The ops
// marked mac become layers; everything else only carries shapes and
// constants.
var ops = map[string]op{
	// Layers.
	"Conv":          {(*importer).conv, 2, true},
	"ConvTranspose": {(*importer).convTranspose, 2, true},
	"Gemm":          {(*importer).gemm, 2, true},
	"MatMul":        {(*importer).matmul, 2, true},
	"Einsum":        {(*importer).einsum, 1, true},
	"LSTM":          {(*importer).rnn, 3, true},
	"GRU":           {(*importer).rnn, 3, true},
	"RNN":           {(*importer).rnn, 3, true},
	"QLinearConv":   {(*importer).qlinearConv, 8, true},
	"QLinearMatMul": {(*importer).qlinearMatMul, 8, true},
	"ConvInteger":   {(*importer).qlinearConv, 2, true},
	"MatMulInteger": {(*importer).qlinearMatMul, 2, true},

	// Quantization (see ops_quant.go).
	"QuantizeLinear":        {(*importer).quantizeLinear, 2, false},
	"DequantizeLinear":      {(*importer).dequantizeLinear, 2, false},
	"DynamicQuantizeLinear": {(*importer).dynamicQuantizeLinear, 1, false},

	// Interpolation: not MACs.
	"Resize":   {(*importer).resize, 1, false},
	"Upsample": {(*importer).resize, 1, false},

	// Elementwise, one input: the output has the input's shape.
	"Abs":             {(*importer).unary, 1, false},
	"Celu":            {(*importer).unary, 1, false},
	"Ceil":            {(*importer).unary, 1, false},
	"Clip":            {(*importer).unary, 1, false},
	"Elu":             {(*importer).unary, 1, false},
	"Erf":             {(*importer).unary, 1, false},
	"Exp":             {(*importer).unary, 1, false},
	"Floor":           {(*importer).unary, 1, false},
	"Gelu":            {(*importer).unary, 1, false},
	"HardSigmoid":     {(*importer).unary, 1, false},
	"HardSwish":       {(*importer).unary, 1, false},
	"Hardmax":         {(*importer).unary, 1, false},
	"LeakyRelu":       {(*importer).unary, 1, false},
	"Log":             {(*importer).unary, 1, false},
	"LogSoftmax":      {(*importer).unary, 1, false},
	"LRN":             {(*importer).unary, 1, false},
	"Mish":            {(*importer).unary, 1, false},
	"Neg":             {(*importer).unary, 1, false},
	"Not":             {(*importer).unary, 1, false},
	"Reciprocal":      {(*importer).unary, 1, false},
	"Relu":            {(*importer).unary, 1, false},
	"Round":           {(*importer).unary, 1, false},
	"Selu":            {(*importer).unary, 1, false},
	"Sigmoid":         {(*importer).unary, 1, false},
	"Sign":            {(*importer).unary, 1, false},
	"Softmax":         {(*importer).unary, 1, false},
	"Softplus":        {(*importer).unary, 1, false},
	"Softsign":        {(*importer).unary, 1, false},
	"Sqrt":            {(*importer).unary, 1, false},
	"Tanh":            {(*importer).unary, 1, false},
	"ThresholdedRelu": {(*importer).unary, 1, false},
	"Cast":            {(*importer).cast, 1, false},
	"Identity":        {(*importer).identity, 1, false},
	"Dropout":         {(*importer).identity, 1, false},

	// Normalizations: the output has the shape of the first input.
	"BatchNormalization":    {(*importer).batchNorm, 5, false},
	"InstanceNormalization": {(*importer).unary, 3, false},
	"LayerNormalization":    {(*importer).layerNorm, 2, false},

	// Elementwise with numpy broadcasting.
	"Add":            {(*importer).elementwise, 2, false},
	"And":            {(*importer).elementwise, 2, false},
	"Div":            {(*importer).elementwise, 2, false},
	"Equal":          {(*importer).elementwise, 2, false},
	"Greater":        {(*importer).elementwise, 2, false},
	"GreaterOrEqual": {(*importer).elementwise, 2, false},
	"Less":           {(*importer).elementwise, 2, false},
	"LessOrEqual":    {(*importer).elementwise, 2, false},
	"Max":            {(*importer).elementwise, 1, false},
	"Mean":           {(*importer).elementwise, 1, false},
	"Min":            {(*importer).elementwise, 1, false},
	"Mod":            {(*importer).elementwise, 2, false},
	"Mul":            {(*importer).elementwise, 2, false},
	"Or":             {(*importer).elementwise, 2, false},
	"Pow":            {(*importer).elementwise, 2, false},
	"PRelu":          {(*importer).elementwise, 2, false},
	"Sub":            {(*importer).elementwise, 2, false},
	"Sum":            {(*importer).elementwise, 1, false},
	"Where":          {(*importer).elementwise, 3, false},
	"Xor":            {(*importer).elementwise, 2, false},

	// Pooling and reductions.
	"AveragePool":       {(*importer).pool, 1, false},
	"MaxPool":           {(*importer).pool, 1, false},
	"LpPool":            {(*importer).pool, 1, false},
	"GlobalAveragePool": {(*importer).globalPool, 1, false},
	"GlobalMaxPool":     {(*importer).globalPool, 1, false},
	"GlobalLpPool":      {(*importer).globalPool, 1, false},
	"ReduceMean":        {(*importer).reduce, 1, false},
	"ReduceSum":         {(*importer).reduce, 1, false},
	"ReduceMax":         {(*importer).reduce, 1, false},
	"ReduceMin":         {(*importer).reduce, 1, false},
	"ReduceProd":        {(*importer).reduce, 1, false},
	"ReduceL2":          {(*importer).reduce, 1, false},
	"ReduceSumSquare":   {(*importer).reduce, 1, false},
	"ArgMax":            {(*importer).reduce, 1, false},
	"ArgMin":            {(*importer).reduce, 1, false},

	// Shapes and constants.
	"Concat":          {(*importer).concat, 1, false},
	"Constant":        {(*importer).constantOp, 0, false},
	"ConstantOfShape": {(*importer).constantOfShape, 1, false},
	"Expand":          {(*importer).expand, 2, false},
	"Flatten":         {(*importer).flatten, 1, false},
	"Gather":          {(*importer).gather, 2, false},
	"Pad":             {(*importer).pad, 1, false},
	"Range":           {(*importer).rangeOp, 3, false},
	"Reshape":         {(*importer).reshape, 2, false},
	"Shape":           {(*importer).shapeOp, 1, false},
	"Size":            {(*importer).size, 1, false},
	"Slice":           {(*importer).slice, 1, false},
	"Split":           {(*importer).split, 1, false},
	"Squeeze":         {(*importer).squeeze, 1, false},
	"ScatterND":       {(*importer).scatterND, 3, false},
	"Tile":            {(*importer).tile, 2, false},
	"Transpose":       {(*importer).transpose, 1, false},
	"Unsqueeze":       {(*importer).unsqueeze, 1, false},
}

func (im *importer) unary(c *call) ([]*value, error) {
	x := c.in[0]
	if r, ok := arith(c.n.OpType, x.shape, []*value{x}); ok {
		r.batch = x.batch
		return []*value{r}, nil
	}
	return []*value{{shape: x.shape, batch: x.batch}}, nil
}

// identity passes data through (Identity, and Dropout at inference, whose
// optional second output is the mask).
func (im *importer) identity(c *call) ([]*value, error) {
	x := c.in[0]
	out := reshaped(x, x.shape)
	out.batch = x.batch
	return []*value{out, {shape: x.shape, batch: x.batch}}, nil
}

func (im *importer) cast(c *call) ([]*value, error) {
	x := c.in[0]
	to, err := c.n.Int("to", 0)
	if err != nil {
		return nil, im.wrap(err)
	}
	out := &value{shape: x.shape, batch: x.batch, dtype: onnx.DataType(to)}
	if !x.known {
		return []*value{out}, nil
	}
	out.known = true
	switch onnx.DataType(to) {
	case onnx.Float, onnx.Double, onnx.Float16, onnx.BFloat16:
		out.floats = make([]float32, max(len(x.ints), len(x.floats)))
		for i, v := range asFloats(x) {
			out.floats[i] = float32(v)
		}
	case onnx.Bool:
		out.ints = make([]int64, max(len(x.ints), len(x.floats)))
		for i, v := range asFloats(x) {
			out.ints[i] = int64(b2f(v != 0))
		}
	default:
		out.ints = make([]int64, max(len(x.ints), len(x.floats)))
		for i, v := range asFloats(x) {
			out.ints[i] = int64(v)
		}
	}
	return []*value{out}, nil
}

// batchNorm: output 0 has X's shape; the optional training outputs (running
// and saved mean and variance) have the shape of the scale.
func (im *importer) batchNorm(c *call) ([]*value, error) {
	x, scale := c.in[0], c.in[1]
	if len(x.shape) < 2 || len(scale.shape) != 1 || scale.shape[0] != x.shape[1] {
		return nil, im.errorf(c.n, "scale of shape %v does not match input of shape %v", scale.shape, x.shape)
	}
	s := &value{shape: scale.shape}
	return []*value{{shape: x.shape, batch: x.batch}, s, s, s, s}, nil
}

// layerNorm: output 0 has X's shape; Mean and InvStdDev have X's shape with
// the normalized dimensions set to 1.
func (im *importer) layerNorm(c *call) ([]*value, error) {
	x := c.in[0]
	a, err := c.n.Int("axis", -1)
	if err != nil {
		return nil, im.wrap(err)
	}
	ax, err := axis(a, len(x.shape))
	if err != nil {
		return nil, im.errorf(c.n, "%v", err)
	}
	stat := slices.Clone(x.shape)
	for i := ax; i < len(stat); i++ {
		stat[i] = 1
	}
	s := &value{shape: stat, batch: x.batch && ax > 0}
	return []*value{{shape: x.shape, batch: x.batch}, s, s}, nil
}

func (im *importer) elementwise(c *call) ([]*value, error) {
	var in []*value
	var shapes [][]int64
	for _, v := range c.in {
		if v != nil {
			in = append(in, v)
			shapes = append(shapes, v.shape)
		}
	}
	out, err := broadcast(shapes...)
	if err != nil {
		return nil, im.errorf(c.n, "input shapes %v do not broadcast", shapes)
	}
	batch := false
	for _, v := range in {
		batch = batch || (v.batch && len(v.shape) == len(out))
	}
	op := c.n.OpType
	if op == "Mod" {
		fmod, err := c.n.Int("fmod", 0)
		if err != nil {
			return nil, im.wrap(err)
		}
		if fmod != 0 {
			op = "FMod"
		}
	}
	if r, ok := arith(op, out, in); ok {
		r.batch = batch
		return []*value{r}, nil
	}
	return []*value{{shape: out, batch: batch}}, nil
}

// wrap adds the file name to a *onnx.NodeError from an attribute accessor.
func (im *importer) wrap(err error) error {
	if ne, ok := err.(*onnx.NodeError); ok && ne.File == "" {
		ne.File = im.file
	}
	return err
}

// ints returns the data of input i, which must be a known integer tensor.
func (im *importer) ints(c *call, i int, what string) ([]int64, error) {
	v := c.arg(i)
	if v == nil {
		return nil, im.errorf(c.n, "%s (input %d) is missing", what, i)
	}
	if !v.known || v.ints == nil {
		return nil, im.errorf(c.n, "%s (input %d, %q) is not a constant integer tensor", what, i, c.n.Inputs[i])
	}
	return v.ints, nil
}

// intsInputOrAttr returns integer input i if present, else the INTS
// attribute attr (the form before the opset that made it an input); nil
// when neither is given.
func (im *importer) intsInputOrAttr(c *call, i int, attr string) ([]int64, error) {
	if c.arg(i) != nil {
		return im.ints(c, i, attr)
	}
	v, err := c.n.Ints(attr, -1, nil)
	return v, im.wrap(err)
}
