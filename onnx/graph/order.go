package graph

import (
	"container/heap"

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
	ready := &indexHeap{}
	for i := range nodes {
		if deps[i] == 0 {
			heap.Push(ready, i)
		}
	}
	out := make([]*onnx.Node, 0, len(nodes))
	done := make([]bool, len(nodes))
	for ready.Len() > 0 {
		i := heap.Pop(ready).(int)
		out = append(out, nodes[i])
		done[i] = true
		for _, r := range readers[i] {
			if deps[r]--; deps[r] == 0 {
				heap.Push(ready, r)
			}
		}
	}
	for i, n := range nodes {
		if !done[i] {
			out = append(out, n)
		}
	}
	return out
}

// indexHeap is a min-heap of node indices.
type indexHeap []int

func (h indexHeap) Len() int           { return len(h) }
func (h indexHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h indexHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *indexHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *indexHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
