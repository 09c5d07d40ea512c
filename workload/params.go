package workload

// Params returns the number of stored parameters of the layer: the words of
// its Weights operand, except for a MatMul, whose second operand is an
// activation (as in attention) and counts as zero, and for a layer that
// shares the weights of another (SharesWeights), which counts them. A
// product with a stored weight matrix is a GEMM or FC layer. Biases are not
// part of the loop nest and are not counted.
func (l *Layer) Params() int64 {
	if l.Kind == MatMul || l.SharesWeights != "" {
		return 0
	}
	return l.Size(Weights)
}

// Params returns the stored parameters of every layer (see Layer.Params).
func (n *Network) Params() int64 {
	var s int64
	for _, l := range n.Layers {
		s += l.Params()
	}
	return s
}
