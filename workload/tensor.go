package workload

import (
	"fmt"
	"strings"

	"github.com/nnergy/nnergy/internal/enum"
)

// Tensor names one of the three operands of a layer.
type Tensor uint8

// The operands. For layers whose second operand is an activation (attention
// matmuls), Weights still names the second operand of the product.
const (
	Weights Tensor = iota
	Inputs
	Outputs
	NumTensors
)

var tensorNames = enum.New[Tensor]("workload", "tensor", "Weights", "Inputs", "Outputs")

// Tensors lists the operands in canonical order.
var Tensors = [NumTensors]Tensor{Weights, Inputs, Outputs}

// String returns the operand's name.
func (t Tensor) String() string { return tensorNames.String(t) }

// ParseTensor returns the operand named s (case-insensitive; "weights",
// "inputs", "outputs").
func ParseTensor(s string) (Tensor, error) { return tensorNames.Parse(s) }

// Term is one coefficient×dimension product of a projection.
type Term struct {
	Dim  Dim
	Coef int
}

// MaxTerms is the most terms a rank of a projection has (the sliding window
// rank of an input: stride×P + dilation×R).
const MaxTerms = 2

// Rank is one coordinate of a tensor, the sum of its terms.
type Rank struct {
	Terms [MaxTerms]Term
	Len   int // number of terms in use
}

// MaxRanks is the most ranks a tensor has.
const MaxRanks = 5

// Projection maps the loop indices of a layer onto the coordinates of one
// tensor: each rank is an affine sum of loop indices.
type Projection struct {
	Ranks [MaxRanks]Rank
	Len   int
	// Mask has bit d set when dimension d indexes the tensor.
	Mask uint8
}

// Relevant reports whether dimension d indexes the tensor.
func (p *Projection) Relevant(d Dim) bool { return p.Mask&(1<<d) != 0 }

// mask computes Mask from the ranks.
func (p *Projection) mask() {
	p.Mask = 0
	for i := 0; i < p.Len; i++ {
		r := &p.Ranks[i]
		for j := 0; j < r.Len; j++ {
			p.Mask |= 1 << r.Terms[j].Dim
		}
	}
}

// Size returns the number of distinct coordinates the projection touches
// when every dimension d ranges over [0, ext[d]).
func (p *Projection) Size(ext *Shape) int64 {
	n := int64(1)
	for i := 0; i < p.Len; i++ {
		n *= p.Ranks[i].Size(ext)
	}
	return n
}

// Size returns the number of distinct values of the rank when every
// dimension d ranges over [0, ext[d]).
func (r *Rank) Size(ext *Shape) int64 {
	switch r.Len {
	case 0:
		return 1
	case 1:
		return int64(ext[r.Terms[0].Dim])
	}
	a, b := r.Terms[0], r.Terms[1]
	return SumSetSize(a.Coef, ext[a.Dim], b.Coef, ext[b.Dim])
}

// String formats the rank as "2*P+R".
func (r Rank) String() string {
	var b strings.Builder
	for i := 0; i < r.Len; i++ {
		if i > 0 {
			b.WriteByte('+')
		}
		t := r.Terms[i]
		if t.Coef != 1 {
			fmt.Fprintf(&b, "%d*", t.Coef)
		}
		b.WriteString(t.Dim.String())
	}
	return b.String()
}

// SumSetSize returns the number of distinct values of a·x + b·y for
// x in [0, n) and y in [0, m), with a, b ≥ 1.
func SumSetSize(a, n, b, m int) int64 {
	if n <= 1 || m <= 1 {
		if n < 1 || m < 1 {
			return 0
		}
		return int64(n) * int64(m) // one of them is 1
	}
	g := gcd(a, b)
	a, b = a/g, b/g
	// With coprime a and b, values a·x+b·y collide only when x differs by a
	// multiple of b and y by a multiple of a.
	if a == 1 && b == 1 {
		return int64(n + m - 1)
	}
	if b == 1 { // a·x + y: blocks of length m every a
		if m >= a {
			return int64(a*(n-1) + m)
		}
		return int64(n) * int64(m)
	}
	if a == 1 {
		if n >= b {
			return int64(b*(m-1) + n)
		}
		return int64(n) * int64(m)
	}
	// General coprime case. The x in one residue class x0 mod b give
	// values a·x0 + b·(y + a·k) for y < m and k < K, where K counts the
	// class's x in [0, n): K intervals of length m every a, so
	// a·(K−1) + m values when m ≥ a, K·m otherwise. Classes differ mod b
	// (a is coprime to b), so their values are distinct. The first n mod b
	// classes have K = n/b + 1, the others up to b have K = n/b.
	run := func(k int) int64 {
		switch {
		case k == 0:
			return 0
		case m >= a:
			return int64(a)*int64(k-1) + int64(m)
		}
		return int64(k) * int64(m)
	}
	q, r := n/b, n%b
	return int64(r)*run(q+1) + int64(min(n, b)-r)*run(q)
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
