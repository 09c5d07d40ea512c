package workload

import (
	"fmt"
	"strings"

	"github.com/nnergy/nnergy/internal/enum"
)

// Dim is one loop dimension of a layer's loop nest. Every layer kind in
// nnergy is expressed over the same eight dimensions, so that analyses can
// keep per-dimension data in fixed-size arrays.
type Dim uint8

// The loop dimensions. For a convolution: N batch, G groups, M output
// channels per group, C input channels per group, P×Q output rows×columns,
// R×S filter rows×columns. Other layer kinds map onto the same names (see the
// constructors in layer.go).
const (
	N Dim = iota
	G
	M
	C
	P
	Q
	R
	S
	NumDims
)

var dimNames = enum.New[Dim]("workload", "dimension", "N", "G", "M", "C", "P", "Q", "R", "S")

// Dims lists every dimension in canonical order.
var Dims = [NumDims]Dim{N, G, M, C, P, Q, R, S}

// String returns the one-letter name of d.
func (d Dim) String() string { return dimNames.String(d) }

// ParseDim returns the dimension named s (case-insensitive).
func ParseDim(s string) (Dim, error) { return dimNames.Parse(s) }

// Shape holds one bound (or factor, or tile extent) per dimension.
type Shape [NumDims]int

// Product returns the product of all entries.
func (s Shape) Product() int64 {
	p := int64(1)
	for _, v := range s {
		p *= int64(v)
	}
	return p
}

// String formats s as "N=1 G=1 M=96 ...".
func (s Shape) String() string {
	var b strings.Builder
	for d, v := range s {
		if d > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s=%d", Dim(d), v)
	}
	return b.String()
}

// Ones returns a shape with every bound 1.
func Ones() Shape {
	var s Shape
	for i := range s {
		s[i] = 1
	}
	return s
}
