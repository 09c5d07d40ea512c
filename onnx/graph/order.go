package graph

import (
	"github.com/nnergy/nnergy/onnx"
)

// order returns the nodes of g so that every node comes after the nodes
// that define its inputs, keeping the stored order wherever it is already
// one (a valid file's order is returned as it is). defined reports the
// values defined before any node (graph inputs, initializers). Nodes in a
// cycle keep their stored order after all the others, and a node reading
// a value nothing defines keeps its place, so that the walk reports it.
// g is not changed.
func order(g *onnx.Graph, defined func(string) bool) []*onnx.Node {
	nodes := g.Nodes
	producer := map[string]int{}
	for i, n := range nodes {
		for _, o := range n.Outputs {
			if _, dup := producer[o]; o != "" && !dup {
				producer[o] = i
			}
		}
	}
	deps := make([]int, len(nodes))
	readers := make([][]int, len(nodes))
	for i, n := range nodes {
		seen := map[int]bool{}
		for _, in := range n.Inputs {
			p, ok := producer[in]
			if in == "" || defined(in) || !ok || p == i || seen[p] {
				continue
			}
			seen[p] = true
			deps[i]++
			readers[p] = append(readers[p], i)
		}
	}
	// Kahn's algorithm, always taking the ready node stored first.
	ready := make([]bool, len(nodes))
	lo := len(nodes) // the lowest ready index, if any
	for i := range nodes {
		if deps[i] == 0 {
			ready[i] = true
			lo = min(lo, i)
		}
	}
	out := make([]*onnx.Node, 0, len(nodes))
	done := make([]bool, len(nodes))
	for lo < len(nodes) {
		i := lo
		ready[i], done[i] = false, true
		out = append(out, nodes[i])
		for _, r := range readers[i] {
			if deps[r]--; deps[r] == 0 {
				ready[r] = true
				lo = min(lo, r)
			}
		}
		for lo < len(nodes) && !ready[lo] {
			lo++
		}
	}
	for i, n := range nodes {
		if !done[i] {
			out = append(out, n)
		}
	}
	return out
}
