package onnx_test

import (
	"fmt"
	"log"

	wonnx "github.com/nnergy/nnergy/workload/onnx"
)

func Example() {
	net, err := wonnx.ReadFile("testdata/tiny_cnn.onnx", 4)
	if err != nil {
		log.Fatal(err)
	}
	for _, l := range net.Layers {
		fmt.Printf("%-11s %-4s %s  MACs %d  from %v\n", l.Name, l.Kind, l.Shape, l.MACs(), l.From)
	}
	fmt.Println("total MACs", net.MACs())
	// Output:
	// /conv1/Conv conv N=4 G=1 M=8 C=3 P=16 Q=16 R=3 S=3  MACs 221184  from []
	// /conv2/Conv conv N=4 G=1 M=16 C=8 P=4 Q=4 R=3 S=3  MACs 73728  from [/conv1/Conv]
	// /fc/Gemm    fc   N=4 G=1 M=10 C=16 P=1 Q=1 R=1 S=1  MACs 640  from [/conv2/Conv]
	// total MACs 295552
}
