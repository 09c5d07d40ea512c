package graph

import (
	"slices"

	"github.com/nnergy/nnergy/onnx"
)

// ops is the front-end's table of operator types (default domain): every
// op that only carries shapes and constants, and the shapes of Conv, Gemm
// and MatMul (layers.go). The other ops that become layers (ConvTranspose,
// Einsum, LSTM...) are workload/onnx's (Walker.Lower).
var ops = map[string]Op{
	// Layers: their shapes (see layers.go).
	"Conv":   {conv, 2},
	"Gemm":   {gemm, 2},
	"MatMul": {matmul, 2},

	// Quantization (see ops_quant.go).
	"QuantizeLinear":        {quantizeLinear, 2},
	"DequantizeLinear":      {dequantizeLinear, 2},
	"DynamicQuantizeLinear": {dynamicQuantizeLinear, 1},

	// Interpolation: not MACs.
	"Resize":   {resize, 1},
	"Upsample": {resize, 1},

	// Elementwise, one input: the output has the input's shape.
	"Abs":             {unary, 1},
	"Celu":            {unary, 1},
	"Ceil":            {unary, 1},
	"Clip":            {unary, 1},
	"Elu":             {unary, 1},
	"Erf":             {unary, 1},
	"Exp":             {unary, 1},
	"Floor":           {unary, 1},
	"Gelu":            {unary, 1},
	"HardSigmoid":     {unary, 1},
	"HardSwish":       {unary, 1},
	"Hardmax":         {unary, 1},
	"LeakyRelu":       {unary, 1},
	"Log":             {unary, 1},
	"LogSoftmax":      {unary, 1},
	"LRN":             {unary, 1},
	"Mish":            {unary, 1},
	"Neg":             {unary, 1},
	"Not":             {unary, 1},
	"Reciprocal":      {unary, 1},
	"Relu":            {unary, 1},
	"Round":           {unary, 1},
	"Selu":            {unary, 1},
	"Sigmoid":         {unary, 1},
	"Sign":            {unary, 1},
	"Softmax":         {unary, 1},
	"Softplus":        {unary, 1},
	"Softsign":        {unary, 1},
	"Sqrt":            {unary, 1},
	"Tanh":            {unary, 1},
	"ThresholdedRelu": {unary, 1},
	"Cast":            {cast, 1},
	"Identity":        {identity, 1},
	"Dropout":         {identity, 1},

	// Normalizations: the output has the shape of the first input.
	"BatchNormalization":    {batchNorm, 5},
	"InstanceNormalization": {unary, 3},
	"LayerNormalization":    {layerNorm, 2},

	// Elementwise with numpy broadcasting.
	"Add":            {elementwise, 2},
	"And":            {elementwise, 2},
	"Div":            {elementwise, 2},
	"Equal":          {elementwise, 2},
	"Greater":        {elementwise, 2},
	"GreaterOrEqual": {elementwise, 2},
	"Less":           {elementwise, 2},
	"LessOrEqual":    {elementwise, 2},
	"Max":            {elementwise, 1},
	"Mean":           {elementwise, 1},
	"Min":            {elementwise, 1},
	"Mod":            {elementwise, 2},
	"Mul":            {elementwise, 2},
	"Or":             {elementwise, 2},
	"Pow":            {elementwise, 2},
	"PRelu":          {elementwise, 2},
	"Sub":            {elementwise, 2},
	"Sum":            {elementwise, 1},
	"Where":          {elementwise, 3},
	"Xor":            {elementwise, 2},

	// Pooling and reductions.
	"AveragePool":       {pool, 1},
	"MaxPool":           {pool, 1},
	"LpPool":            {pool, 1},
	"GlobalAveragePool": {globalPool, 1},
	"GlobalMaxPool":     {globalPool, 1},
	"GlobalLpPool":      {globalPool, 1},
	"ReduceMean":        {reduceOp, 1},
	"ReduceSum":         {reduceOp, 1},
	"ReduceMax":         {reduceOp, 1},
	"ReduceMin":         {reduceOp, 1},
	"ReduceProd":        {reduceOp, 1},
	"ReduceL2":          {reduceOp, 1},
	"ReduceSumSquare":   {reduceOp, 1},
	"ArgMax":            {reduceOp, 1},
	"ArgMin":            {reduceOp, 1},

	// Shapes and constants.
	"Concat":          {concat, 1},
	"Constant":        {constantOp, 0},
	"ConstantOfShape": {constantOfShape, 1},
	"Expand":          {expand, 2},
	"Flatten":         {flatten, 1},
	"Gather":          {gather, 2},
	"Pad":             {pad, 1},
	"Range":           {rangeOp, 3},
	"Reshape":         {reshapeOp, 2},
	"Shape":           {shapeOp, 1},
	"Size":            {size, 1},
	"Slice":           {slice, 1},
	"Split":           {split, 1},
	"Squeeze":         {squeeze, 1},
	"ScatterND":       {scatterND, 3},
	"Tile":            {tile, 2},
	"Transpose":       {transpose, 1},
	"Unsqueeze":       {unsqueeze, 1},
}

func unary(c *Call) ([]*Value, error) {
	x := c.In[0]
	if r, ok := Fold(c.Node.OpType, x.Shape, []*Value{x}); ok {
		r.Batch = x.Batch
		return []*Value{r}, nil
	}
	return []*Value{{Shape: x.Shape, Batch: x.Batch}}, nil
}

// identity passes data through (Identity, and Dropout at inference, whose
// optional second output is the mask).
func identity(c *Call) ([]*Value, error) {
	x := c.In[0]
	out := reshaped(x, x.Shape)
	out.Batch = x.Batch
	return []*Value{out, {Shape: x.Shape, Batch: x.Batch}}, nil
}

func cast(c *Call) ([]*Value, error) {
	x := c.In[0]
	to, err := c.Node.Int("to", 0)
	if err != nil {
		return nil, c.Wrap(err)
	}
	out := &Value{Shape: x.Shape, Batch: x.Batch, Type: onnx.DataType(to)}
	if !x.Known {
		return []*Value{out}, nil
	}
	out.Known = true
	switch onnx.DataType(to) {
	case onnx.Float, onnx.Double, onnx.Float16, onnx.BFloat16:
		out.Floats = make([]float32, max(len(x.Ints), len(x.Floats)))
		for i, v := range AsFloats(x) {
			out.Floats[i] = float32(v)
		}
	case onnx.Bool:
		out.Ints = make([]int64, max(len(x.Ints), len(x.Floats)))
		for i, v := range AsFloats(x) {
			out.Ints[i] = int64(b2f(v != 0))
		}
	default:
		out.Ints = make([]int64, max(len(x.Ints), len(x.Floats)))
		for i, v := range AsFloats(x) {
			out.Ints[i] = int64(v)
		}
	}
	return []*Value{out}, nil
}

// batchNorm: output 0 has X's shape; the optional training outputs (running
// and saved mean and variance) have the shape of the scale.
func batchNorm(c *Call) ([]*Value, error) {
	x, scale := c.In[0], c.In[1]
	if len(x.Shape) < 2 || len(scale.Shape) != 1 || scale.Shape[0] != x.Shape[1] {
		return nil, c.Errorf("scale of shape %v does not match input of shape %v", scale.Shape, x.Shape)
	}
	s := &Value{Shape: scale.Shape}
	return []*Value{{Shape: x.Shape, Batch: x.Batch}, s, s, s, s}, nil
}

// layerNorm: output 0 has X's shape; Mean and InvStdDev have X's shape with
// the normalized dimensions set to 1.
func layerNorm(c *Call) ([]*Value, error) {
	x := c.In[0]
	a, err := c.Node.Int("axis", -1)
	if err != nil {
		return nil, c.Wrap(err)
	}
	ax, err := Axis(a, len(x.Shape))
	if err != nil {
		return nil, c.Errorf("%v", err)
	}
	stat := slices.Clone(x.Shape)
	for i := ax; i < len(stat); i++ {
		stat[i] = 1
	}
	s := &Value{Shape: stat, Batch: x.Batch && ax > 0}
	return []*Value{{Shape: x.Shape, Batch: x.Batch}, s, s}, nil
}

func elementwise(c *Call) ([]*Value, error) {
	var in []*Value
	var shapes [][]int64
	for _, v := range c.In {
		if v != nil {
			in = append(in, v)
			shapes = append(shapes, v.Shape)
		}
	}
	out, err := Broadcast(shapes...)
	if err != nil {
		return nil, c.Errorf("input shapes %v do not broadcast", shapes)
	}
	batch := false
	for _, v := range in {
		batch = batch || (v.Batch && len(v.Shape) == len(out))
	}
	op := c.Node.OpType
	if op == "Mod" {
		fmod, err := c.Node.Int("fmod", 0)
		if err != nil {
			return nil, c.Wrap(err)
		}
		if fmod != 0 {
			op = "FMod"
		}
	}
	if r, ok := Fold(op, out, in); ok {
		r.Batch = batch
		return []*Value{r}, nil
	}
	return []*Value{{Shape: out, Batch: batch}}, nil
}
