package onnx_test

import (
	"bytes"
	"fmt"
	"log"

	"github.com/nnergy/nnergy/onnx"
)

func Example() {
	m := onnx.NewModel("tiny")
	g := m.Graph
	g.AddInput("x", onnx.Float, 1, 4)
	g.AddInitializer("w", []int64{2, 4}, []float32{1, 0, 0, 2, 0, 3, 0, 0})
	g.AddNode("Gemm", []string{"x", "w"}, []string{"y"}, onnx.IntAttr("transB", 1)).Name = "fc"
	g.AddOutput("y", onnx.Float, 1, 2)

	var buf bytes.Buffer
	if err := onnx.Encode(&buf, m); err != nil {
		log.Fatal(err)
	}
	back, err := onnx.Decode(&buf)
	if err != nil {
		log.Fatal(err)
	}
	n := back.Graph.Nodes[0]
	transB, _ := n.Int("transB", 0)
	fmt.Println(n, n.Inputs, "transB", transB)
	fmt.Println("w density", back.Graph.Initializer("w").Density())
	_, err = n.Ints("pads", 4, nil) // absent: the default
	fmt.Println(err)
	n.SetAttr(onnx.IntsAttr("pads", 0, 0))
	_, err = n.Ints("pads", 4, nil)
	fmt.Println(err)
	// Output:
	// node "fc" (Gemm) [x w] transB 1
	// w density 0.375
	// <nil>
	// onnx: node "fc" (Gemm): attribute "pads": want 4 ints, got 2
}
