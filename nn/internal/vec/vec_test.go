package vec

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func randv(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return v
}

// close reports whether got is within float32 rounding of want, for a
// result built from terms of total magnitude scale.
func close(got, want, scale float64) bool {
	return math.Abs(got-want) <= 1e-5*(scale+1)
}

// TestReductions compares each reduction (the assembly where the CPU has
// it) with its Go loop and with a float64 reference, on every length up to
// 100 (all tail lengths of every block size), at unaligned starts.
func TestReductions(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	type res struct{ a, b float64 }
	cases := []struct {
		name string
		fn   func(x, y []float32, a float32) res // the exported function
		ref  func(x, y []float32, a float32) res // its Go loop
		f64  func(x, y []float32, a float32) (res, float64)
	}{
		{"Sum",
			func(x, _ []float32, _ float32) res { return res{float64(Sum(x)), 0} },
			func(x, _ []float32, _ float32) res { return res{float64(sumGo(x)), 0} },
			func(x, _ []float32, _ float32) (r res, s float64) {
				for _, v := range x {
					r.a += float64(v)
					s += math.Abs(float64(v))
				}
				return r, s
			}},
		{"Dot",
			func(x, y []float32, _ float32) res { return res{float64(Dot(x, y)), 0} },
			func(x, y []float32, _ float32) res { return res{float64(dotGo(x, y)), 0} },
			func(x, y []float32, _ float32) (r res, s float64) {
				for i, v := range x {
					r.a += float64(v) * float64(y[i])
					s += math.Abs(float64(v) * float64(y[i]))
				}
				return r, s
			}},
		{"DevSums",
			func(x, _ []float32, a float32) res { p, q := DevSums(x, a); return res{float64(p), float64(q)} },
			func(x, _ []float32, a float32) res { p, q := devSumsGo(x, a); return res{float64(p), float64(q)} },
			func(x, _ []float32, a float32) (r res, s float64) {
				for _, v := range x {
					d := float64(v - a)
					r.a += d
					r.b += d * d
					s += d * d
				}
				return r, s
			}},
		{"SumDotDev",
			func(x, y []float32, a float32) res { p, q := SumDotDev(x, y, a); return res{float64(p), float64(q)} },
			func(x, y []float32, a float32) res { p, q := sumDotDevGo(x, y, a); return res{float64(p), float64(q)} },
			func(x, y []float32, a float32) (r res, s float64) {
				for i, v := range x {
					d := float64(v) * float64(y[i]-a)
					r.a += float64(v)
					r.b += d
					s += math.Abs(d) + math.Abs(float64(v))
				}
				return r, s
			}},
	}
	for _, c := range cases {
		for n := 0; n <= 100; n++ {
			for _, start := range []int{0, 3} {
				x := randv(rng, n+start+1)[start : start+n]
				y := randv(rng, n+start+1)[start : start+n+1] // longer than x: only len(x) is read
				a := float32(rng.NormFloat64())
				got, goRes := c.fn(x, y, a), c.ref(x, y, a)
				want, scale := c.f64(x, y, a)
				for _, p := range [][3]float64{{got.a, goRes.a, want.a}, {got.b, goRes.b, want.b}} {
					if !close(p[0], p[2], scale) || !close(p[1], p[2], scale) {
						t.Fatalf("%s n=%d start=%d: got %v, Go %v, want %v", c.name, n, start, p[0], p[1], p[2])
					}
				}
			}
		}
	}
}

// TestElementwise compares each elementwise loop with its Go version and
// with a float64 reference on every length up to 100, in place where the
// function allows it. Inputs include zeros and the clamp bounds, where
// masks and clamps switch.
func TestElementwise(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	inf := float32(math.Inf(1))
	cases := []struct {
		name string
		fn   func(dst, x, y []float32) // the exported function
		ref  func(dst, x, y []float32) // its Go loop
		f64  func(x, y float32) float64
	}{
		{"AffineClamp", func(d, x, _ []float32) { AffineClamp(d, x, 0.5, 1.5, -0.25, 0, 6) },
			func(d, x, _ []float32) { affineClampGo(d, x, 0.5, 1.5, -0.25, 0, 6) },
			func(x, _ float32) float64 { return min(max((float64(x)-0.5)*1.5-0.25, 0), 6) }},
		{"AffineClamp/none", func(d, x, _ []float32) { AffineClamp(d, x, 0, 1, 0.75, -inf, inf) },
			func(d, x, _ []float32) { affineClampGo(d, x, 0, 1, 0.75, -inf, inf) },
			func(x, _ float32) float64 { return float64(x + 0.75) }},
		{"AxpBy", func(d, x, y []float32) { AxpBy(d, x, y, 2, -0.5, 0.25, 0.125) },
			func(d, x, y []float32) { axpByGo(d, x, y, 2, -0.5, 0.25, 0.125) },
			func(x, y float32) float64 { return 2*float64(x) - 0.5*(float64(y)-0.25) + 0.125 }},
		{"MaskPositive", func(d, x, y []float32) { MaskPositive(d, x, y) },
			func(d, x, y []float32) { maskPositiveGo(d, x, y) },
			func(x, y float32) float64 {
				if x > 0 {
					return float64(y)
				}
				return 0
			}},
		{"MaskRange", func(d, x, y []float32) { MaskRange(d, x, y, 0, 1) },
			func(d, x, y []float32) { maskRangeGo(d, x, y, 0, 1) },
			func(x, y float32) float64 {
				if x > 0 && x < 1 {
					return float64(y)
				}
				return 0
			}},
	}
	for _, c := range cases {
		for n := 0; n <= 100; n++ {
			x, y := randv(rng, n+1), randv(rng, n+1)
			for i := 0; i < n; i += 5 {
				x[i] = []float32{0, 1, 6, -1}[i/5%4]
			}
			want := make([]float64, n)
			for i := range want {
				want[i] = c.f64(x[i], y[i])
			}
			d1, d2 := make([]float32, n+1), make([]float32, n+1)
			d1[n], d2[n] = 42, 42
			c.fn(d1[:n], x, y)
			c.ref(d2[:n], x, y)
			if d1[n] != 42 || d2[n] != 42 {
				t.Fatalf("%s n=%d: wrote past the end", c.name, n)
			}
			for i := range want {
				if !close(float64(d1[i]), want[i], math.Abs(want[i])) || !close(float64(d2[i]), want[i], math.Abs(want[i])) {
					t.Fatalf("%s n=%d: [%d] got %v, Go %v, want %v (x %v y %v)", c.name, n, i, d1[i], d2[i], want[i], x[i], y[i])
				}
			}
			// In place: dst is the first input.
			x2 := append([]float32(nil), x...)
			c.fn(x2[:n], x2, y)
			for i := range want {
				if x2[i] != d1[i] {
					t.Fatalf("%s n=%d in place: [%d] %v, want %v", c.name, n, i, x2[i], d1[i])
				}
			}
		}
	}
}

// TestSpecialValues checks NaN, infinities and signed zeros, where the
// assembly's compares and min/max must match the Go loops exactly.
func TestSpecialValues(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	negNaN := math.Float32frombits(math.Float32bits(nan) | 1<<31)
	negZero := float32(math.Copysign(0, -1))
	x := []float32{nan, negNaN, inf, -inf, 0, negZero, 1, -1, 6, 7, 1e-30, -1e-30}
	for len(x) < 37 { // reach the vector loops too
		x = append(x, x[len(x)%12])
	}
	dy := make([]float32, len(x))
	for i := range dy {
		dy[i] = float32(i + 1)
	}
	bits := func(v []float32) []uint32 {
		b := make([]uint32, len(v))
		for i, f := range v {
			b[i] = math.Float32bits(f)
		}
		return b
	}
	check := func(name string, got, want []float32) {
		t.Helper()
		for i := range got {
			g, w := got[i], want[i]
			if g != w && !(g != g && w != w) {
				t.Errorf("%s: [%d] (x %v) got %v, want %v", name, i, x[i], g, w)
			}
		}
	}
	d1, d2 := make([]float32, len(x)), make([]float32, len(x))
	MaskPositive(d1, x, dy)
	maskPositiveGo(d2, x, dy)
	if fmt.Sprint(bits(d1)) != fmt.Sprint(bits(d2)) {
		t.Errorf("MaskPositive: %v, Go %v", d1, d2)
	}
	MaskRange(d1, x, dy, 0, 6)
	maskRangeGo(d2, x, dy, 0, 6)
	if fmt.Sprint(bits(d1)) != fmt.Sprint(bits(d2)) {
		t.Errorf("MaskRange: %v, Go %v", d1, d2)
	}
	AffineClamp(d1, x, 0, 1, 0, 0, 6)
	affineClampGo(d2, x, 0, 1, 0, 0, 6)
	check("AffineClamp", d1, d2)
	AffineClamp(d1, x, 0, 1, 0, -inf, inf)
	check("AffineClamp/none", d1, x)
}

// TestStencil compares Stencil with a direct loop over lengths up to 100,
// tap counts 0 to 9 and both modes, and checks that it writes nothing
// outside dst.
func TestStencil(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for n := 0; n <= 100; n++ {
		for taps := 0; taps <= 9; taps++ {
			for _, acc := range []bool{false, true} {
				src := randv(rng, n+40)
				off := make([]int32, taps)
				for i := range off {
					off[i] = int32(rng.IntN(41))
				}
				w := randv(rng, taps)
				d1 := randv(rng, n+2)
				d1[0], d1[n+1] = 42, 42
				d2 := append([]float32(nil), d1...)
				init := append([]float32(nil), d1...)
				Stencil(d1[1:n+1], src, off, w, acc)
				stencilGo(d2[1:n+1], src, off, w, acc)
				if d1[0] != 42 || d1[n+1] != 42 {
					t.Fatalf("n=%d taps=%d: wrote outside dst", n, taps)
				}
				for j := 1; j <= n; j++ {
					var want, scale float64
					if acc {
						want, scale = float64(init[j]), math.Abs(float64(init[j]))
					}
					for t, o := range off {
						v := float64(w[t]) * float64(src[int(o)+j-1])
						want += v
						scale += math.Abs(v)
					}
					if !close(float64(d1[j]), want, scale) || !close(float64(d2[j]), want, scale) {
						t.Fatalf("n=%d taps=%d acc=%v: [%d] got %v, Go %v, want %v", n, taps, acc, j-1, d1[j], d2[j], want)
					}
				}
			}
		}
	}
	// Runs that end exactly at the end of src must not be read past.
	src := randv(rng, 13)
	dst := make([]float32, 13)
	Stencil(dst, src, []int32{0}, []float32{1}, false)
	for i := range dst {
		if dst[i] != src[i] {
			t.Fatalf("identity stencil: [%d] %v, want %v", i, dst[i], src[i])
		}
	}
}

func TestStencilPanicsOutOfRange(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic for a run past the end of src")
		}
	}()
	Stencil(make([]float32, 8), make([]float32, 10), []int32{3}, []float32{1}, false)
}

// TestInterleave checks Deinterleave2 and Interleave2 against index
// arithmetic on every length up to 100, and that neither writes past the
// values it owns.
func TestInterleave(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for n := 0; n <= 100; n++ {
		src := randv(rng, n)
		ne, no := (n+1)/2, n/2
		even, odd := make([]float32, ne+1), make([]float32, no+1)
		even[ne], odd[no] = 42, 42
		Deinterleave2(even, odd, src)
		if even[ne] != 42 || odd[no] != 42 {
			t.Fatalf("Deinterleave2 n=%d: wrote past the end", n)
		}
		for i, v := range src {
			got := even[i/2]
			if i%2 == 1 {
				got = odd[i/2]
			}
			if got != v {
				t.Fatalf("Deinterleave2 n=%d: src[%d] = %v landed as %v", n, i, v, got)
			}
		}
		dst := make([]float32, n+1)
		dst[n] = 42
		Interleave2(dst[:n], even, odd)
		if dst[n] != 42 {
			t.Fatalf("Interleave2 n=%d: wrote past the end", n)
		}
		for i := range src {
			if dst[i] != src[i] {
				t.Fatalf("Interleave2 n=%d: [%d] %v, want %v", n, i, dst[i], src[i])
			}
		}
	}
}
