package sparse

import (
	"fmt"
	"math"
)

// Density is how the nonzeros of a tensor fall into the tiles the loop nest
// moves: a model (Uniform) or a measurement of a real tensor (Measured).
type Density interface {
	// Mean is the fraction of nonzero elements in the whole tensor.
	Mean() float64
	// Tile returns the statistics of the tensor's tiles of the given tiling
	// stored in format f.
	Tile(t Tiling, f Format) (TileStats, error)
}

// TileStats describes the tiles of a tensor: per tile, the mean number of
// nonzeros, the probability (model) or fraction (measurement) that a tile is
// all zero, and the mean encoded size.
type TileStats struct {
	Elements int64   // elements per tile
	Nonzeros float64 // mean nonzeros per tile
	Empty    float64 // probability or fraction of all-zero tiles
	Bits     float64 // mean encoded size of a tile in bits
}

// Uniform spreads the nonzeros of a tensor uniformly at random with density
// Density. With Elements = 0 every element is nonzero independently with
// probability Density (Bernoulli). With Elements = N > 0 the tensor has N
// elements of which exactly K = round(Density·N) are nonzero, placed
// uniformly at random (fixed count; tile counts are hypergeometric).
//
// Either way a tile of k elements holds k·K/N (or k·Density) nonzeros on
// average; what differs is the chance that it holds none:
//
//	Bernoulli:   (1-d)^k
//	fixed count: C(N-K, k) / C(N, k)
//
// Encoded sizes use the Bernoulli model at the same density
// (Format.ExpectedBits); for fixed counts they are close when tiles are
// small next to the tensor.
type Uniform struct {
	Density  float64 // fraction of nonzeros, in [0, 1]
	Elements int64   // tensor size for a fixed count; 0 for Bernoulli
}

// Validate checks the density and size.
func (u Uniform) Validate() error {
	if !(u.Density >= 0 && u.Density <= 1) {
		return fmt.Errorf("sparse: uniform density %v outside [0, 1]", u.Density)
	}
	if u.Elements < 0 {
		return fmt.Errorf("sparse: uniform density over %d elements", u.Elements)
	}
	return nil
}

// count returns K, the number of nonzeros of a fixed-count tensor.
func (u Uniform) count() int64 { return int64(math.Round(u.Density * float64(u.Elements))) }

// Mean returns the density: K/N for a fixed count.
func (u Uniform) Mean() float64 {
	if u.Elements > 0 {
		return float64(u.count()) / float64(u.Elements)
	}
	return u.Density
}

// Nonzeros returns the expected nonzeros of a tile of k elements, k·Mean().
func (u Uniform) Nonzeros(k int64) float64 { return float64(k) * u.Mean() }

// ProbEmpty returns the probability that a tile of k elements is all zero.
// It panics if u is invalid, k < 0, or k exceeds a fixed-count tensor.
func (u Uniform) ProbEmpty(k int64) float64 {
	if err := u.Validate(); err != nil {
		panic(err)
	}
	if k < 0 || (u.Elements > 0 && k > u.Elements) {
		panic(fmt.Sprintf("sparse: tile of %d elements in a tensor of %d", k, u.Elements))
	}
	if u.Elements > 0 {
		return math.Exp(logEmptyFixed(u.Elements, u.count(), k))
	}
	if u.Density == 1 {
		if k == 0 {
			return 1
		}
		return 0
	}
	return math.Exp(float64(k) * math.Log1p(-u.Density))
}

// Tile returns the statistics of a tile of t.Elements() elements; the
// tiling's steps and order do not matter to a uniform model.
func (u Uniform) Tile(t Tiling, f Format) (TileStats, error) {
	if err := u.Validate(); err != nil {
		return TileStats{}, err
	}
	if err := t.validate(len(t.Extent)); err != nil {
		return TileStats{}, err
	}
	if err := f.Validate(); err != nil {
		return TileStats{}, err
	}
	k := t.Elements()
	if u.Elements > 0 && k > u.Elements {
		return TileStats{}, fmt.Errorf("sparse: tile of %d elements in a tensor of %d", k, u.Elements)
	}
	return TileStats{Elements: k, Nonzeros: u.Nonzeros(k), Empty: u.ProbEmpty(k), Bits: f.ExpectedBits(int(k), u.Mean())}, nil
}
