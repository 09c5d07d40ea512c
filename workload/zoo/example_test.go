package zoo_test

import (
	"fmt"

	"github.com/nnergy/nnergy/workload/zoo"
)

func ExampleGet() {
	n, err := zoo.Get("alexnet")
	if err != nil {
		panic(err)
	}
	for _, l := range n.Layers[:2] {
		fmt.Println(l.Name, l.Kind, l.Shape, l.MACs())
	}
	fmt.Println(n.MACs(), "MACs,", n.Params(), "weights")
	// Output:
	// conv1 conv N=1 G=1 M=96 C=3 P=55 Q=55 R=11 S=11 105415200
	// conv2 conv N=1 G=2 M=128 C=48 P=27 Q=27 R=5 S=5 223948800
	// 724406816 MACs, 60954656 weights
}
