package sparse

import (
	"fmt"
	"math"
)

// Tensor is a dense tensor: Values in row-major order (the last rank varies
// fastest) with the given Shape.
type Tensor struct {
	Shape  []int
	Values []float32
}

// Validate checks that the shape is positive and matches the values.
func (t Tensor) Validate() error {
	n := 1
	for r, s := range t.Shape {
		if s < 1 {
			return fmt.Errorf("sparse: tensor rank %d has extent %d", r, s)
		}
		n *= s
	}
	if len(t.Shape) == 0 || n != len(t.Values) {
		return fmt.Errorf("sparse: tensor of shape %v holds %d values", t.Shape, len(t.Values))
	}
	return nil
}

// Tiling is how the loop nest cuts a tensor into tiles: hyper-rectangles of
// Extent[r] elements along rank r whose origins are Step[r] apart, starting
// at 0 and stopping where the next tile would cross the tensor's edge. A
// step smaller than the extent makes tiles overlap (the sliding windows of
// a convolution's inputs); a larger step leaves gaps. A zero or missing
// step is the extent (disjoint tiles).
//
// A tile is flattened into a fiber rank by rank in Order, outermost first;
// nil Order is 0, 1, ..., so the last rank varies fastest as in the tensor.
type Tiling struct {
	Extent []int
	Step   []int
	Order  []int
}

// Elements returns the number of elements of a tile, the product of the
// extents.
func (t Tiling) Elements() int64 {
	n := int64(1)
	for _, e := range t.Extent {
		n *= int64(e)
	}
	return n
}

// step returns the step along rank r.
func (t Tiling) step(r int) int {
	if r < len(t.Step) && t.Step[r] > 0 {
		return t.Step[r]
	}
	return t.Extent[r]
}

// validate checks the tiling for a tensor of the given rank.
func (t Tiling) validate(rank int) error {
	if len(t.Extent) != rank || rank == 0 {
		return fmt.Errorf("sparse: tiling with %d extents for rank %d", len(t.Extent), rank)
	}
	for r, e := range t.Extent {
		if e < 1 {
			return fmt.Errorf("sparse: tile extent %d along rank %d", e, r)
		}
	}
	if len(t.Step) > rank {
		return fmt.Errorf("sparse: tiling with %d steps for rank %d", len(t.Step), rank)
	}
	for r, s := range t.Step {
		if s < 0 {
			return fmt.Errorf("sparse: tile step %d along rank %d", s, r)
		}
	}
	if t.Order != nil {
		seen := make([]bool, rank)
		if len(t.Order) != rank {
			return fmt.Errorf("sparse: tile order %v for rank %d", t.Order, rank)
		}
		for _, r := range t.Order {
			if r < 0 || r >= rank || seen[r] {
				return fmt.Errorf("sparse: tile order %v is not a permutation of 0..%d", t.Order, rank-1)
			}
			seen[r] = true
		}
	}
	return nil
}

// Tiles are the exact statistics of the tiles of a real tensor. Overlapping
// tiles count a shared element once in each tile.
type Tiles struct {
	Count       int64 // tiles
	Elements    int64 // elements per tile
	Nonzeros    int64 // nonzeros, summed over tiles
	MaxNonzeros int64 // nonzeros of the fullest tile
	Empty       int64 // all-zero tiles
	Bits        int64 // encoded size, summed over tiles
	DataBits    int64 // data part of Bits
	MetaBits    int64 // metadata part of Bits
	MaxBits     int64 // encoded size of the largest tile
}

// Stats returns the per-tile means.
func (s Tiles) Stats() TileStats {
	if s.Count == 0 {
		return TileStats{Elements: s.Elements}
	}
	c := float64(s.Count)
	return TileStats{Elements: s.Elements, Nonzeros: float64(s.Nonzeros) / c, Empty: float64(s.Empty) / c, Bits: float64(s.Bits) / c}
}

// Measure cuts t into the tiles of tl, flattens each in tl's order, and
// sums their nonzeros and their exact sizes in format f.
func Measure(t Tensor, tl Tiling, f Format) (Tiles, error) {
	if err := t.Validate(); err != nil {
		return Tiles{}, err
	}
	rank := len(t.Shape)
	if err := tl.validate(rank); err != nil {
		return Tiles{}, err
	}
	if err := f.Validate(); err != nil {
		return Tiles{}, err
	}
	for r, e := range tl.Extent {
		if e > t.Shape[r] {
			return Tiles{}, fmt.Errorf("sparse: tile extent %d along rank %d exceeds the tensor's %d", e, r, t.Shape[r])
		}
	}
	stride := make([]int, rank)
	stride[rank-1] = 1
	for r := rank - 2; r >= 0; r-- {
		stride[r] = stride[r+1] * t.Shape[r+1]
	}
	order := tl.Order
	if order == nil {
		order = make([]int, rank)
		for r := range order {
			order[r] = r
		}
	}
	// Offsets of a tile's elements from its origin, in flattening order.
	rel := make([]int, 0, tl.Elements())
	var walk func(i, off int)
	walk = func(i, off int) {
		if i == rank {
			rel = append(rel, off)
			return
		}
		r := order[i]
		for x := range tl.Extent[r] {
			walk(i+1, off+x*stride[r])
		}
	}
	walk(0, 0)

	counts := make([]int, rank)
	for r := range counts {
		counts[r] = (t.Shape[r]-tl.Extent[r])/tl.step(r) + 1
	}
	s := Tiles{Elements: int64(len(rel))}
	buf := make([]float32, len(rel))
	origin := make([]int, rank)
	for {
		base := 0
		for r, o := range origin {
			base += o * tl.step(r) * stride[r]
		}
		for i, off := range rel {
			buf[i] = t.Values[base+off]
		}
		z := f.Size(buf)
		s.Count++
		s.Nonzeros += int64(z.Nonzeros)
		s.MaxNonzeros = max(s.MaxNonzeros, int64(z.Nonzeros))
		if z.Nonzeros == 0 {
			s.Empty++
		}
		s.Bits += z.Bits
		s.DataBits += z.DataBits
		s.MetaBits += z.MetaBits
		s.MaxBits = max(s.MaxBits, z.Bits)
		r := rank - 1
		for ; r >= 0; r-- {
			if origin[r]++; origin[r] < counts[r] {
				break
			}
			origin[r] = 0
		}
		if r < 0 {
			return s, nil
		}
	}
}

// Measured is the density of a real tensor: its tiles are measured, not
// modelled. Tile scans the whole tensor, so callers that ask for the same
// tiling repeatedly should keep the result.
type Measured struct {
	t        Tensor
	nonzeros int
}

// NewMeasured returns the density of t, whose values are zero exactly where
// they are stored as zero (apply Threshold first to treat small values as
// zero). It keeps t's slices; do not modify them afterwards.
func NewMeasured(t Tensor) (*Measured, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return &Measured{t: t, nonzeros: nonzeros(t.Values)}, nil
}

// Tensor returns the measured tensor.
func (m *Measured) Tensor() Tensor { return m.t }

// Mean returns the fraction of nonzero values.
func (m *Measured) Mean() float64 { return float64(m.nonzeros) / float64(len(m.t.Values)) }

// Tile measures the tensor's tiles (see Measure).
func (m *Measured) Tile(t Tiling, f Format) (TileStats, error) {
	s, err := Measure(m.t, t, f)
	if err != nil {
		return TileStats{}, err
	}
	return s.Stats(), nil
}

// DensityOf returns the fraction of values whose magnitude exceeds
// threshold: with threshold 0, the fraction that are not exactly zero.
// NaNs count as nonzero. An empty slice has density 0.
func DensityOf(values []float32, threshold float32) float64 {
	if len(values) == 0 {
		return 0
	}
	n := 0
	for _, v := range values {
		if !(float32(math.Abs(float64(v))) <= threshold) {
			n++
		}
	}
	return float64(n) / float64(len(values))
}

// Threshold returns a copy of values with every value of magnitude at most
// threshold set to zero, so that formats and Measure see the zeros
// DensityOf counts.
func Threshold(values []float32, threshold float32) []float32 {
	out := make([]float32, len(values))
	for i, v := range values {
		if !(float32(math.Abs(float64(v))) <= threshold) {
			out[i] = v
		}
	}
	return out
}

// Compile-time checks that both densities implement Density.
var (
	_ Density = Uniform{}
	_ Density = (*Measured)(nil)
)
