package nn

// Weight returns the weight of a convolution or linear node, or nil for a
// node without one.
func (n *Node) Weight() *Param {
	if n == nil {
		return nil
	}
	switch l := n.Layer.(type) {
	case *Conv:
		return l.Weight
	case *Linear:
		return l.Weight
	}
	return nil
}
