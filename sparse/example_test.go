package sparse_test

import (
	"fmt"

	"github.com/nnergy/nnergy/sparse"
)

// Eyeriss's run-length code of a 10-element fiber: pairs (2, 12), (4, 53)
// and the two trailing zeros as (1, 0), in one 64-bit word.
func ExampleRLC() {
	f, err := sparse.ParseFormat("rlc", 16)
	if err != nil {
		fmt.Println(err)
		return
	}
	e, err := f.Encode([]float32{0, 0, 12, 0, 0, 0, 0, 53, 0, 0})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%#016x\n", e.Words[0])
	fmt.Println(e.Bits, "bits:", e.DataBits, "data,", e.MetaBits, "metadata")
	back, _ := f.Decode(e)
	fmt.Println(back)
	// Output:
	// 0x80000400d4800182
	// 64 bits: 32 data, 32 metadata
	// [0 0 12 0 0 0 0 53 0 0]
}

// Eyeriss v2's CSC of a 3×2 weight matrix, column-major with 4-bit counts,
// 8-bit data and 7-bit addresses as in its weight spads.
func ExampleCSC() {
	f := sparse.CSC{CountBits: 4, DataBits: 8, AddrBits: 7, Rows: 3}
	e, err := f.Encode([]float32{0, 0, 5, -3, 0, 0})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d bits (2 addresses of 7, 2 entries of 4+8): %d data, %d metadata\n", e.Bits, e.DataBits, e.MetaBits)
	// Output:
	// 38 bits (2 addresses of 7, 2 entries of 4+8): 16 data, 22 metadata
}

// Measure cuts a real tensor into tiles and sums their exact sizes.
func ExampleMeasure() {
	t := sparse.Tensor{Shape: []int{2, 6}, Values: []float32{
		0, 3, 0, 0, 0, 0,
		1, 0, 0, 0, 0, 2,
	}}
	tiles, err := sparse.Measure(t, sparse.Tiling{Extent: []int{2, 3}}, sparse.Bitmask{ValueBits: 8})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d tiles of %d, %d nonzeros, %d empty, %d bits\n", tiles.Count, tiles.Elements, tiles.Nonzeros, tiles.Empty, tiles.Bits)
	// Output:
	// 2 tiles of 6, 3 nonzeros, 0 empty, 36 bits
}

// A uniform model: the chance that a tile holds no nonzero, for independent
// elements and for exactly 10 nonzeros in 100 elements: C(90,16)/C(100,16).
func ExampleUniform_ProbEmpty() {
	fmt.Printf("%.4f\n", sparse.Uniform{Density: 0.1}.ProbEmpty(16))
	fmt.Printf("%.4f\n", sparse.Uniform{Density: 0.1, Elements: 100}.ProbEmpty(16))
	// Output:
	// 0.1853
	// 0.1595
}

// Eyeriss gates MACs on zero inputs; Eyeriss v2 skips zeros of both
// operands.
func ExampleApply() {
	const inputs, weights = 0.6, 0.4 // densities
	v1 := sparse.Apply(sparse.Condition{Zero: 1 - inputs, Policy: sparse.Gate})
	v2 := sparse.Apply(sparse.Condition{Zero: 1 - inputs, Policy: sparse.Skip}, sparse.Condition{Zero: 1 - weights, Policy: sparse.Skip})
	fmt.Printf("eyeriss: energy %.2f, cycles %.2f\n", v1.Energy(), v1.Cycles())
	fmt.Printf("eyeriss v2: energy %.2f, cycles %.2f\n", v2.Energy(), v2.Cycles())
	fmt.Printf("effectual MACs: %.2f\n", sparse.Effectual(inputs, weights))
	// Output:
	// eyeriss: energy 0.60, cycles 1.00
	// eyeriss v2: energy 0.24, cycles 0.24
	// effectual MACs: 0.24
}
