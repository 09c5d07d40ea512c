package sparse

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

func TestExpectedPairsCertain(t *testing.T) {
	for _, n := range []int{0, 1, 31, 32, 33, 1000} {
		if got, want := expectedPairs(n, 32, 0), float64((n+31)/32); got != want {
			t.Errorf("expectedPairs(%d, 32, 0) = %v, want %v", n, got, want)
		}
		if got := expectedPairs(n, 32, 1); got != float64(n) {
			t.Errorf("expectedPairs(%d, 32, 1) = %v, want %d", n, got, n)
		}
	}
}

// bigLogEmpty is log Π_{i<k} (N-K-i)/(N-i) by a 256-bit product.
func bigLogEmpty(N, K, k int64) float64 {
	p := new(big.Float).SetPrec(256).SetInt64(1)
	num, den := new(big.Float).SetPrec(256), new(big.Float).SetPrec(256)
	for i := range k {
		num.SetInt64(N - K - i)
		den.SetInt64(N - i)
		p.Mul(p, num)
		p.Quo(p, den)
	}
	mant := new(big.Float)
	exp := p.MantExp(mant)
	m, _ := mant.Float64()
	return math.Log(m) + float64(exp)*math.Ln2
}

// TestLogEmptyFixedBig compares the fixed-count empty-tile probability with
// an exact product, in log space, across the direct and Euler–Maclaurin
// ranges: tiles from a few elements to 300 000, tensors up to 2^40, nonzero
// counts from 1 to nearly all.
func TestLogEmptyFixedBig(t *testing.T) {
	cases := []struct{ N, K, k int64 }{
		{100, 30, 10},
		{1e6, 1e3, 2e5},
		{1e6, 5e5, 1e5},
		{1e9, 1, 1e5},
		{1e9, 3e8, 5e4},
		{1e7, 9.99e6, 1e4},
		{1e7, 9.99e6, 9e3},
		{1 << 40, 1 << 20, 3e5},
		{1 << 40, 1 << 39, 1e4},
		{5e5, 100, 499900},
		{2e6, 1500, 1e6},
		{2e6, 3, 1e6},
		{1e6, 2e5, 4e5},
		{1e12, 1e3, 3e5},
		{1e12, 4e11, 2e5},
	}
	for _, c := range cases {
		want := bigLogEmpty(c.N, c.K, c.k)
		got := logEmptyFixed(c.N, c.K, c.k)
		if !relClose(got, want, 1e-12) {
			t.Errorf("logEmptyFixed(%d, %d, %d) = %.15g, exact %.15g (rel %.1e)", c.N, c.K, c.k, got, want, math.Abs(got-want)/math.Abs(want))
		}
	}
}

// TestProbEmptyEnumeration counts, over every placement of K nonzeros in N
// elements, the placements that leave the first k elements empty.
func TestProbEmptyEnumeration(t *testing.T) {
	for N := int64(1); N <= 12; N++ {
		for K := int64(0); K <= N; K++ {
			for k := int64(0); k <= N; k++ {
				total, empty := 0, 0
				for mask := 0; mask < 1<<N; mask++ {
					if int64(popcount(mask)) != K {
						continue
					}
					total++
					if mask&(1<<k-1) == 0 {
						empty++
					}
				}
				u := Uniform{Density: float64(K) / float64(N), Elements: N}
				want := float64(empty) / float64(total)
				if got := u.ProbEmpty(k); !relClose(got, want, 1e-13) {
					t.Errorf("N=%d K=%d: ProbEmpty(%d) = %v, enumeration %v", N, K, k, got, want)
				}
			}
		}
	}
}

func popcount(x int) int {
	n := 0
	for ; x != 0; x &= x - 1 {
		n++
	}
	return n
}

func TestUniform(t *testing.T) {
	b := Uniform{Density: 0.3}
	for _, k := range []int64{0, 1, 10, 1000} {
		if got, want := b.ProbEmpty(k), math.Pow(0.7, float64(k)); !relClose(got, want, 1e-13) {
			t.Errorf("Bernoulli ProbEmpty(%d) = %v, want %v", k, got, want)
		}
		if got := b.Nonzeros(k); !relClose(got, 0.3*float64(k), 1e-15) {
			t.Errorf("Nonzeros(%d) = %v", k, got)
		}
	}
	if got := (Uniform{Density: 1}).ProbEmpty(3); got != 0 {
		t.Errorf("density 1: ProbEmpty(3) = %v", got)
	}
	if got := (Uniform{Density: 0}).ProbEmpty(3); got != 1 {
		t.Errorf("density 0: ProbEmpty(3) = %v", got)
	}
	// A fixed count: 0.3333 of 3 elements rounds to 1 nonzero.
	f := Uniform{Density: 0.3333, Elements: 3}
	if got := f.Mean(); got != 1.0/3 {
		t.Errorf("fixed-count Mean = %v, want 1/3", got)
	}
	if got := f.ProbEmpty(2); !relClose(got, 1.0/3, 1e-15) {
		t.Errorf("fixed-count ProbEmpty(2) = %v, want 1/3", got)
	}
	// The fixed count tends to Bernoulli as the tensor grows.
	for _, N := range []int64{1e4, 1e6, 1e8} {
		fc := Uniform{Density: 0.05, Elements: N}.ProbEmpty(50)
		if d := math.Abs(fc - b.ProbEmpty(0)*math.Pow(0.95, 50)); d > 3*50*50/float64(N) {
			t.Errorf("N=%d: fixed count %v differs from Bernoulli by %v", N, fc, d)
		}
	}
	// Tile uses the tile's volume and the format's expectation.
	s, err := Uniform{Density: 0.25}.Tile(Tiling{Extent: []int{4, 8}, Step: []int{1, 1}}, eyerissRLC)
	if err != nil {
		t.Fatal(err)
	}
	want := TileStats{Elements: 32, Nonzeros: 8, Empty: math.Pow(0.75, 32), Bits: eyerissRLC.ExpectedBits(32, 0.25)}
	if s.Elements != want.Elements || s.Nonzeros != want.Nonzeros || !relClose(s.Empty, want.Empty, 1e-14) || s.Bits != want.Bits {
		t.Errorf("Tile = %+v, want %+v", s, want)
	}
	for _, bad := range []Uniform{{Density: -0.1}, {Density: 1.5}, {Density: math.NaN()}, {Density: 0.5, Elements: -1}} {
		if bad.Validate() == nil {
			t.Errorf("%+v: Validate() = nil", bad)
		}
	}
	if _, err := (Uniform{Density: 0.5, Elements: 10}).Tile(Tiling{Extent: []int{4, 4}}, eyerissRLC); err == nil {
		t.Error("a 16-element tile of a 10-element tensor: no error")
	}
}

// referenceMeasure recomputes Measure element by element: every tile
// origin, every element of the tile by its coordinates in tiling order.
func referenceMeasure(tn Tensor, tl Tiling, f Format) Tiles {
	rank := len(tn.Shape)
	order := tl.Order
	if order == nil {
		for r := range rank {
			order = append(order, r)
		}
	}
	flat := func(idx []int) int {
		i := 0
		for r := range rank {
			i = i*tn.Shape[r] + idx[r]
		}
		return i
	}
	var origins [][]int
	var gen func(r int, cur []int)
	gen = func(r int, cur []int) {
		if r == rank {
			origins = append(origins, append([]int(nil), cur...))
			return
		}
		for o := 0; o+tl.Extent[r] <= tn.Shape[r]; o += tl.step(r) {
			gen(r+1, append(cur, o))
		}
	}
	gen(0, nil)
	s := Tiles{Elements: tl.Elements()}
	for _, o := range origins {
		var fiber []float32
		idx := make([]int, rank)
		var walk func(i int)
		walk = func(i int) {
			if i == rank {
				fiber = append(fiber, tn.Values[flat(idx)])
				return
			}
			r := order[i]
			for x := range tl.Extent[r] {
				idx[r] = o[r] + x
				walk(i + 1)
			}
		}
		walk(0)
		e, err := f.Encode(fiber)
		if err != nil {
			panic(err)
		}
		s.Count++
		s.Nonzeros += int64(e.Nonzeros)
		s.MaxNonzeros = max(s.MaxNonzeros, int64(e.Nonzeros))
		if e.Nonzeros == 0 {
			s.Empty++
		}
		s.Bits += e.Bits
		s.DataBits += e.DataBits
		s.MetaBits += e.MetaBits
		s.MaxBits = max(s.MaxBits, e.Bits)
	}
	return s
}

func TestMeasureHand(t *testing.T) {
	// 1-D [0 1 0 0 2 0], windows of 3 sliding by 1:
	// [0 1 0] [1 0 0] [0 0 2] [0 2 0].
	tn := Tensor{Shape: []int{6}, Values: []float32{0, 1, 0, 0, 2, 0}}
	got, err := Measure(tn, Tiling{Extent: []int{3}, Step: []int{1}}, Bitmask{ValueBits: 8})
	if err != nil {
		t.Fatal(err)
	}
	want := Tiles{Count: 4, Elements: 3, Nonzeros: 4, MaxNonzeros: 1, Empty: 0, Bits: 4 * (3 + 8), DataBits: 32, MetaBits: 12, MaxBits: 11}
	if got != want {
		t.Errorf("sliding: %+v, want %+v", got, want)
	}
	// 4×4, 2×2 tiles:
	//   1 0 | 0 0
	//   0 0 | 0 0
	//   ----+----
	//   0 0 | 3 4
	//   0 0 | 5 0
	tn = Tensor{Shape: []int{4, 4}, Values: []float32{1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 4, 0, 0, 5, 0}}
	got, err = Measure(tn, Tiling{Extent: []int{2, 2}}, Bitmask{ValueBits: 8})
	if err != nil {
		t.Fatal(err)
	}
	want = Tiles{Count: 4, Elements: 4, Nonzeros: 4, MaxNonzeros: 3, Empty: 2, Bits: 4*4 + 4*8, DataBits: 32, MetaBits: 16, MaxBits: 4 + 24}
	if got != want {
		t.Errorf("2x2 tiles: %+v, want %+v", got, want)
	}
	if s := got.Stats(); s != (TileStats{Elements: 4, Nonzeros: 1, Empty: 0.5, Bits: 12}) {
		t.Errorf("Stats = %+v", s)
	}
	// The order of flattening changes runs: column-major [3 5 4 0] vs
	// row-major [3 4 5 0] is the same for RLC, but a 1×4 row [0 0 3 4]
	// read as a 4×1 column [0 0 3 4] is not; use COO, whose coordinates
	// show the order: tile (2..3, 2..3) column-major is [3 5 4 0].
	got, err = Measure(tn, Tiling{Extent: []int{2, 2}, Step: []int{2, 2}, Order: []int{1, 0}}, COO{ValueBits: 8})
	if err != nil {
		t.Fatal(err)
	}
	if want := referenceMeasure(tn, Tiling{Extent: []int{2, 2}, Order: []int{1, 0}}, COO{ValueBits: 8}); got != want {
		t.Errorf("column-major: %+v, want %+v", got, want)
	}
	// Steps larger than the extent leave gaps: 1-element tiles every 3.
	got, err = Measure(Tensor{Shape: []int{7}, Values: []float32{1, 1, 1, 0, 1, 1, 2}}, Tiling{Extent: []int{1}, Step: []int{3}}, Dense{ValueBits: 8})
	if err != nil {
		t.Fatal(err)
	}
	if got.Count != 3 || got.Nonzeros != 2 || got.Empty != 1 {
		t.Errorf("gaps: %+v, want 3 tiles (elements 0, 3, 6), 2 nonzeros, 1 empty", got)
	}
}

// TestMeasureReference checks Measure against the element-by-element
// reference on random tensors, tilings (overlapping, gapped, permuted) and
// formats.
func TestMeasureReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 200 {
		rank := 1 + rng.IntN(4)
		shape := make([]int, rank)
		n := 1
		for r := range shape {
			shape[r] = 1 + rng.IntN(6)
			n *= shape[r]
		}
		tn := Tensor{Shape: shape, Values: randomFiber(rng, n, rng.Float64(), false, 8)}
		tl := Tiling{Extent: make([]int, rank), Step: make([]int, rank), Order: rng.Perm(rank)}
		for r := range shape {
			tl.Extent[r] = 1 + rng.IntN(shape[r])
			tl.Step[r] = rng.IntN(4) // 0 = the extent
		}
		if trial%3 == 0 {
			tl.Order = nil
		}
		f := testFormats[trial%len(testFormats)]
		if valueBits(f) == 32 {
			f = eyerissRLC
		}
		got, err := Measure(tn, tl, f)
		if err != nil {
			t.Fatal(err)
		}
		if want := referenceMeasure(tn, tl, f); got != want {
			t.Fatalf("%v over %v with %+v: %+v, want %+v", f, shape, tl, got, want)
		}
	}
}

func TestMeasureErrors(t *testing.T) {
	tn := Tensor{Shape: []int{2, 3}, Values: make([]float32, 6)}
	for _, tc := range []struct {
		tn Tensor
		tl Tiling
	}{
		{Tensor{Shape: []int{2, 3}, Values: make([]float32, 5)}, Tiling{Extent: []int{1, 1}}},
		{Tensor{Shape: []int{0}}, Tiling{Extent: []int{1}}},
		{tn, Tiling{Extent: []int{1}}},
		{tn, Tiling{Extent: []int{3, 1}}},
		{tn, Tiling{Extent: []int{1, 0}}},
		{tn, Tiling{Extent: []int{1, 1}, Step: []int{-1}}},
		{tn, Tiling{Extent: []int{1, 1}, Step: []int{1, 1, 1}}},
		{tn, Tiling{Extent: []int{1, 1}, Order: []int{0, 0}}},
		{tn, Tiling{Extent: []int{1, 1}, Order: []int{1}}},
	} {
		if _, err := Measure(tc.tn, tc.tl, eyerissRLC); err == nil {
			t.Errorf("Measure(%v, %+v): no error", tc.tn.Shape, tc.tl)
		}
	}
}

// TestMeasuredMatchesUniform: a large Bernoulli tensor's measured tiles
// agree with the uniform model within sampling error.
func TestMeasuredMatchesUniform(t *testing.T) {
	const d = 0.2
	rng := rand.New(rand.NewPCG(5, 6))
	tn := Tensor{Shape: []int{64, 64, 64}, Values: make([]float32, 64*64*64)}
	for i := range tn.Values {
		if rng.Float64() < d {
			tn.Values[i] = 1
		}
	}
	m, err := NewMeasured(tn)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(m.Mean()-d) > 4.5*math.Sqrt(d*(1-d)/float64(len(tn.Values))) {
		t.Errorf("Mean = %v, want about %v", m.Mean(), d)
	}
	tl := Tiling{Extent: []int{1, 2, 8}}
	got, err := m.Tile(tl, eyerissRLC)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := Uniform{Density: d}.Tile(tl, eyerissRLC)
	tiles := float64(len(tn.Values)) / 16
	if math.Abs(got.Empty-want.Empty) > 4.5*math.Sqrt(want.Empty*(1-want.Empty)/tiles) {
		t.Errorf("empty fraction %v, model %v", got.Empty, want.Empty)
	}
	if math.Abs(got.Nonzeros-want.Nonzeros) > 4.5*math.Sqrt(16*d*(1-d)/tiles) {
		t.Errorf("nonzeros per tile %v, model %v", got.Nonzeros, want.Nonzeros)
	}
	if math.Abs(got.Bits-want.Bits) > 0.01*want.Bits {
		t.Errorf("bits per tile %v, model %v", got.Bits, want.Bits)
	}
}

func TestDensityOfAndThreshold(t *testing.T) {
	v := []float32{0, float32(math.Copysign(0, -1)), 0.001, -0.5, 2, float32(math.NaN()), -0.001, 0.01}
	for _, tc := range []struct {
		th   float32
		want float64
	}{{0, 6.0 / 8}, {0.001, 4.0 / 8}, {0.01, 3.0 / 8}, {10, 1.0 / 8}} {
		if got := DensityOf(v, tc.th); got != tc.want {
			t.Errorf("DensityOf(threshold %v) = %v, want %v", tc.th, got, tc.want)
		}
		if got := DensityOf(Threshold(v, tc.th), 0); got != tc.want {
			t.Errorf("DensityOf(Threshold(%v)) = %v, want %v", tc.th, got, tc.want)
		}
	}
	if DensityOf(nil, 0) != 0 {
		t.Error("DensityOf(nil) != 0")
	}
	if got := Threshold(v, 0.001); got[2] != 0 || got[3] != -0.5 || v[2] != 0.001 {
		t.Errorf("Threshold = %v (input now %v)", got, v)
	}
}

func TestDensityPanicsAndErrors(t *testing.T) {
	for _, tc := range []struct {
		u Uniform
		k int64
	}{{Uniform{Density: 0.5}, -1}, {Uniform{Density: 0.5, Elements: 10}, 11}, {Uniform{Density: 2}, 1}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%+v.ProbEmpty(%d) did not panic", tc.u, tc.k)
				}
			}()
			tc.u.ProbEmpty(tc.k)
		}()
	}
	for _, tc := range []struct {
		n int
		d float64
	}{{-1, 0.5}, {4, -0.5}, {4, 1.5}, {4, math.NaN()}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("ExpectedBits(%d, %v) did not panic", tc.n, tc.d)
				}
			}()
			eyerissRLC.ExpectedBits(tc.n, tc.d)
		}()
	}
	if _, err := NewMeasured(Tensor{Shape: []int{2}, Values: []float32{1}}); err == nil {
		t.Error("NewMeasured of a mismatched tensor: no error")
	}
	tn := Tensor{Shape: []int{2}, Values: []float32{0, 1}}
	m, err := NewMeasured(tn)
	if err != nil {
		t.Fatal(err)
	}
	if m.Tensor().Shape[0] != 2 || m.Mean() != 0.5 {
		t.Errorf("Measured: tensor %v, mean %v", m.Tensor(), m.Mean())
	}
	if _, err := m.Tile(Tiling{Extent: []int{3}}, eyerissRLC); err == nil {
		t.Error("Measured.Tile with a tile larger than the tensor: no error")
	}
	if _, err := (Uniform{Density: 0.5}).Tile(Tiling{Extent: []int{2}}, RLC{}); err == nil {
		t.Error("Uniform.Tile with an invalid format: no error")
	}
	if _, err := (Uniform{Density: 0.5}).Tile(Tiling{}, eyerissRLC); err == nil {
		t.Error("Uniform.Tile with no extents: no error")
	}
	if s := (Tiles{Elements: 4}).Stats(); s != (TileStats{Elements: 4}) {
		t.Errorf("Stats of no tiles = %+v", s)
	}
}
