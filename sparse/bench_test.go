package sparse

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchFormats are the published formats at the chips' widths.
var benchFormats = []Format{
	eyerissRLC,
	v2CSC,
	Bitmask{ValueBits: 8},
	COO{ValueBits: 8},
	Dense{ValueBits: 8},
}

// BenchmarkEncode encodes 4096-element fibers at three densities.
func BenchmarkEncode(b *testing.B) {
	for _, f := range benchFormats {
		for _, d := range []float64{0.1, 0.4, 0.9} {
			rng := rand.New(rand.NewPCG(1, 1))
			v := randomFiber(rng, 4096, d, false, 8)
			b.Run(fmt.Sprintf("%s/d=%.1f", f.Name(), d), func(b *testing.B) {
				for b.Loop() {
					if _, err := f.Encode(v); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N)*float64(len(v))/b.Elapsed().Seconds(), "elements/s")
			})
		}
	}
}

// BenchmarkSize measures the allocation-free size computation that Measure
// runs on every tile.
func BenchmarkSize(b *testing.B) {
	rng := rand.New(rand.NewPCG(2, 2))
	v := randomFiber(rng, 4096, 0.4, false, 8)
	for _, f := range benchFormats {
		b.Run(f.Name(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				f.Size(v)
			}
			b.ReportMetric(float64(b.N)*float64(len(v))/b.Elapsed().Seconds(), "elements/s")
		})
	}
}

// BenchmarkExpectedBits measures the expected size of a tile, which the
// cost model asks for per tile and tensor: RLC is the costly one.
func BenchmarkExpectedBits(b *testing.B) {
	for _, f := range benchFormats {
		for _, n := range []int{96, 4096, 1 << 20} {
			for _, d := range []float64{0.001, 0.5} {
				b.Run(fmt.Sprintf("%s/n=%d/d=%g", f.Name(), n, d), func(b *testing.B) {
					for b.Loop() {
						f.ExpectedBits(n, d)
					}
					b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "evals/s")
				})
			}
		}
	}
}

// BenchmarkMeasure measures the tiles of a 64×56×56 activation tensor in
// RLC, disjoint and sliding.
func BenchmarkMeasure(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 3))
	t := Tensor{Shape: []int{64, 56, 56}, Values: randomFiber(rng, 64*56*56, 0.4, false, 8)}
	for _, tc := range []struct {
		name string
		tl   Tiling
	}{
		{"disjoint-16x8x8", Tiling{Extent: []int{16, 8, 8}}},
		{"sliding-4x3x58", Tiling{Extent: []int{4, 3, 56}, Step: []int{4, 1, 1}}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var s Tiles
			for b.Loop() {
				var err error
				if s, err = Measure(t, tc.tl, eyerissRLC); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)*float64(s.Count*s.Elements)/b.Elapsed().Seconds(), "elements/s")
		})
	}
}
