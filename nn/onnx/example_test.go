package onnx_test

import (
	"fmt"
	"log"

	nnonnx "github.com/nnergy/nnergy/nn/onnx"
	"github.com/nnergy/nnergy/nn/zoo"
	"github.com/nnergy/nnergy/onnx"
)

func Example() {
	m, err := zoo.New("lenet5", 1)
	if err != nil {
		log.Fatal(err)
	}
	om, err := nnonnx.Export(m)
	if err != nil {
		log.Fatal(err)
	}
	b, err := onnx.Marshal(om) // or onnx.WriteFile("lenet5.onnx", om)
	if err != nil {
		log.Fatal(err)
	}
	om, err = onnx.Parse("lenet5.onnx", b)
	if err != nil {
		log.Fatal(err)
	}
	for _, n := range om.Graph.Nodes[:3] {
		fmt.Println(n.OpType, n.Inputs, n.Outputs)
	}
	back, err := nnonnx.Import(om)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(back.Nodes), "layers,", back.NumParams(), "parameters")
	// Output:
	// Conv [input conv1.weight conv1.bias] [conv1]
	// Relu [conv1] [relu1]
	// MaxPool [relu1] [pool1]
	// 12 layers, 61706 parameters
}
