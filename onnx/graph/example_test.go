package graph_test

import (
	"fmt"

	"github.com/nnergy/nnergy/onnx"
	"github.com/nnergy/nnergy/onnx/graph"
)

// An importer lowers the ops it owns (here MatMul, counting its MACs) and
// lets the front-end infer everything else: the Reshape's target is folded
// from Shape and Concat, and the MatMul sees the shapes that result.
func ExampleWalker() {
	m := onnx.NewModel("g")
	g := m.Graph
	g.AddInput("x", onnx.Float, 2, 3, 4)
	g.AddInt64Initializer("minus1", []int64{1}, []int64{-1})
	g.AddInitializer("w", []int64{12, 5}, make([]float32, 60))
	g.AddNode("Shape", []string{"x"}, []string{"s"}, onnx.IntAttr("end", 1))
	g.AddNode("Concat", []string{"s", "minus1"}, []string{"t"}, onnx.IntAttr("axis", 0))
	g.AddNode("Reshape", []string{"x", "t"}, []string{"flat"})
	g.AddNode("MatMul", []string{"flat", "w"}, []string{"y"}).Name = "fc"

	w := graph.NewWalker(m)
	p, err := graph.NewPlan(m, nil, nil) // x is [N, C, L]: the batch is unknown
	if err != nil {
		fmt.Println(err)
		return
	}
	p.Feed(w, 0)
	w.Lower = map[string]graph.Op{"MatMul": {MinIn: 2, Infer: func(c *graph.Call) ([]*graph.Value, error) {
		a, b := c.In[0].Shape, c.In[1].Shape
		fmt.Printf("%s: %v x %v, %d MACs\n", graph.NodeName(c.Node), a, b, a[0]*a[1]*b[1])
		return []*graph.Value{{Shape: []int64{a[0], b[1]}}}, nil
	}}}
	if err := w.Walk(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("t =", w.Values["t"].Ints, "y:", w.Values["y"].Shape)
	// Output:
	// fc: [2 12] x [12 5], 120 MACs
	// t = [2 -1] y: [2 5]
}
