package nn_test

import (
	"fmt"

	"github.com/nnergy/nnergy/nn"
)

// A residual block built node by node, inspected, and pruned: removing a
// filter of the first convolution removes the same channel from every
// producer of the add.
func Example() {
	m := nn.New("input", 3, 8, 8)
	a := m.Add("conv_a", nn.NewConv(3, 8, 3, 1, 1), "input")
	b := m.Add("bn", nn.NewBatchNorm(8), a)
	r := m.Add("relu", nn.NewReLU(), b)
	c := m.Add("conv_b", nn.NewConv(8, 8, 3, 1, 1), r)
	s := m.Add("sum", &nn.Add{}, a, c)
	g := m.Add("gap", &nn.GlobalAvgPool{}, s)
	f := m.Add("flat", &nn.Flatten{}, g)
	m.Add("fc", nn.NewLinear(8, 10), f)
	nn.Init(m, 1)
	if err := m.Check(); err != nil {
		fmt.Println(err)
		return
	}
	changes, err := nn.RemoveFilters(m, "conv_a", []int{2, 5})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, ch := range changes {
		fmt.Printf("%-6s %-9v out %v in %v\n", ch.Node, ch.Kind, ch.Out, ch.In)
	}
	infos, _ := nn.Describe(m)
	for _, li := range infos[:4] {
		fmt.Println(li.Name, li.In, "->", li.Out)
	}
	// Output:
	// conv_a conv      out [2 5] in []
	// bn     batchnorm out [2 5] in []
	// conv_b conv      out [2 5] in [2 5]
	// fc     linear    out [] in [2 5]
	// conv_a [3 8 8] -> [6 8 8]
	// bn [6 8 8] -> [6 8 8]
	// relu [6 8 8] -> [6 8 8]
	// conv_b [6 8 8] -> [6 8 8]
}
