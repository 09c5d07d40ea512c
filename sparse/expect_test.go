package sparse

import (
	"fmt"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"
)

// relClose reports whether got is within tol of want, relative to want (or
// absolutely when want is below 1).
func relClose(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol*max(1, math.Abs(want))
}

// TestExpectedBitsEnumeration checks ExpectedBits against the exact mean:
// every fiber of n ≤ 12 elements, weighted by its Bernoulli probability.
// The variants with 1- and 2-bit runs and counts bridge gaps of 2 and 4
// zeros, so bridges, trailing runs and partial words all occur.
func TestExpectedBitsEnumeration(t *testing.T) {
	for _, f := range testFormats {
		for n := 0; n <= 12; n++ {
			sizes := make([]int64, 1<<n)
			ones := make([]int, 1<<n)
			v := make([]float32, n)
			for mask := range sizes {
				for i := range v {
					v[i] = float32(mask >> i & 1)
				}
				sizes[mask] = f.Size(v).Bits
				ones[mask] = nonzeros(v)
			}
			for _, d := range []float64{0, 0.1, 0.37, 0.5, 0.8, 1} {
				want := 0.0
				for mask, s := range sizes {
					want += float64(s) * math.Pow(d, float64(ones[mask])) * math.Pow(1-d, float64(n-ones[mask]))
				}
				if got := f.ExpectedBits(n, d); !relClose(got, want, 1e-12) {
					t.Errorf("%v.ExpectedBits(%d, %v) = %.15g, enumeration gives %.15g", f, n, d, got, want)
				}
			}
		}
	}
}

// markovWords is an independent reference for RLC: a Markov chain over the
// elements of the fiber with state (elements in the open pair, pairs mod k)
// gives E[P] and the distribution of P mod k, hence E[⌈P/k⌉].
func markovWords(n, period, k int, d float64) float64 {
	q := 1 - d
	prob := make([]float64, period*k) // [j*k + c]
	next := make([]float64, period*k)
	prob[0] = 1
	pairs := 0.0
	for i := range n {
		last := i == n-1
		clear(next)
		for j := range period {
			for c := range k {
				p := prob[j*k+c]
				if p == 0 {
					continue
				}
				done := d * p // a nonzero ends the pair
				if j == period-1 || last {
					done += q * p // a zero ends it too: a bridge, or the end of the fiber
				} else {
					next[(j+1)*k+c] += q * p
				}
				next[(c+1)%k] += done
				pairs += done
			}
		}
		prob, next = next, prob
	}
	pad := 0.0
	for c := 1; c < k; c++ {
		pad += prob[c] * float64(k-c)
	}
	return (pairs + pad) / float64(k)
}

// TestRLCExpectedMarkov compares the closed form and generating-function
// route with the Markov chain for fibers up to 200 000 elements: long
// enough for the direct recurrence to converge early, to run to the end,
// and to finish with the matrix power (densities near 0 and 1).
func TestRLCExpectedMarkov(t *testing.T) {
	formats := []RLC{eyerissRLC, {RunBits: 2, LevelBits: 8, PairsPerWord: 3, WordBits: 32}, {RunBits: 3, LevelBits: 12, PairsPerWord: 4, WordBits: 128}, {RunBits: 4, LevelBits: 8, PairsPerWord: 5, WordBits: 64}}
	cases := []struct {
		n int
		d float64
	}{
		{13, 0.5}, {31, 0.02}, {32, 0.02}, {33, 0.02}, {96, 0.3}, {97, 0.01}, {300, 0.05},
		{1000, 0.5}, {4128, 0.001}, {5000, 0.999}, {20000, 0.0005}, {200000, 1e-4}, {200000, 0.99995},
		{150001, 0.3}, {1<<20 + 5000, 2e-6},
	}
	for _, f := range formats {
		for _, c := range cases {
			if c.n > 300000 && f != eyerissRLC {
				continue // the slow reference once is enough
			}
			want := float64(f.WordBits) * markovWords(c.n, 1<<f.RunBits, f.PairsPerWord, c.d)
			if got := f.ExpectedBits(c.n, c.d); !relClose(got, want, 1e-9) {
				t.Errorf("%v.ExpectedBits(%d, %v) = %.12g, Markov chain gives %.12g", f, c.n, c.d, got, want)
			}
		}
	}
}

// TestPGFMatrix checks the companion-matrix power against the direct
// recurrence by forcing it after a few direct steps.
func TestPGFMatrix(t *testing.T) {
	z := cmplx.Rect(1, 2*math.Pi/3)
	for _, period := range []int{2, 8, 32} {
		for _, n := range []int{period + 1, 100, 1000, 12345} {
			for _, d := range []float64{1e-4, 0.01, 0.5, 0.999} {
				want := pgfLimit(n, period, d, z, n)
				for _, limit := range []int{0, 1, 7, 64} {
					if got := pgfLimit(n, period, d, z, limit); cmplx.Abs(got-want) > 1e-12 {
						t.Errorf("R=%d n=%d d=%v: matrix after %d steps %v, direct %v", period, n, d, limit, got, want)
					}
				}
			}
		}
	}
}

// TestExpectedBitsEmpirical compares ExpectedBits with the mean size of
// random fibers: 400 Bernoulli fibers per case, each from its own seed.
// Tolerance: 4.5 standard errors of the sample mean (plus 1e-9 relative
// for rounding), so a correct formula fails a given case with probability
// below 1e-5; the seeds are fixed, so the test is deterministic. Cases with
// fewer than 5 expected zeros or nonzeros are left to the exact tests
// above: there the sample rarely shows the rare patterns that move the
// mean, and its standard deviation understates the error.
func TestExpectedBitsEmpirical(t *testing.T) {
	const trials = 400
	formats := append([]Format{CSC{CountBits: 4, DataBits: 8, Rows: 9}, CSC{CountBits: 4, DataBits: 8, AddrBits: 7, Rows: 16}}, testFormats...)
	seed := uint64(0)
	for _, f := range formats {
		for _, n := range []int{1, 10, 31, 32, 33, 100, 1000} {
			for _, d := range []float64{0.01, 0.1, 0.3, 0.5, 0.9} {
				if float64(n)*min(d, 1-d) < 5 {
					continue
				}
				var sum, sum2 float64
				v := make([]float32, n)
				for range trials {
					seed++
					rng := rand.New(rand.NewPCG(seed, 99))
					for i := range v {
						v[i] = 0
						if rng.Float64() < d {
							v[i] = 1
						}
					}
					b := float64(f.Size(v).Bits)
					sum += b
					sum2 += b * b
				}
				mean := sum / trials
				sd := math.Sqrt(max(0, sum2/trials-mean*mean) * trials / (trials - 1))
				want := f.ExpectedBits(n, d)
				if math.Abs(mean-want) > 4.5*sd/math.Sqrt(trials)+1e-9*want {
					t.Errorf("%v n=%d d=%v: mean of %d fibers %.3f (sd %.3f), ExpectedBits %.3f", f, n, d, trials, mean, sd, want)
				}
			}
		}
	}
}

// TestOverflowSum checks the early exit and the d = 0 closed form against
// the plain sum.
func TestOverflowSum(t *testing.T) {
	for _, period := range []int{2, 16, 32} {
		for _, n := range []int{0, 1, 2, 17, 33, 64, 65, 1000, 100000} {
			for _, q := range []float64{1, 0.999999, 0.99, 0.5, 0.01, 0} {
				want := 0.0
				for j := 1; j <= (n-1)/period; j++ {
					want += math.Pow(q, float64(period*j)) * float64(n-period*j)
				}
				if got := overflowSum(n, period, q); !relClose(got, want, 1e-12) {
					t.Errorf("overflowSum(%d, %d, %v) = %.15g, want %.15g", n, period, q, got, want)
				}
			}
		}
	}
}

// TestExpectedBitsBounds: an empty fiber takes no bits, sizes are finite and non-negative, and the
// formats without runs grow with density.
func TestExpectedBitsBounds(t *testing.T) {
	for _, f := range testFormats {
		if got := f.ExpectedBits(0, 0.5); got != 0 {
			t.Errorf("%v.ExpectedBits(0, 0.5) = %v, want 0", f, got)
		}
		for _, n := range []int{1, 7, 64, 1000} {
			prev := -1.0
			for d := 0.0; d <= 1; d += 0.05 {
				got := f.ExpectedBits(n, d)
				if got < 0 || math.IsNaN(got) {
					t.Fatalf("%v.ExpectedBits(%d, %v) = %v", f, n, d, got)
				}
				// Bitmask, COO and CSC grow with density; Dense is flat.
				if f.Name() == "bitmask" || f.Name() == "coo" || f.Name() == "dense" {
					if got < prev-1e-9 {
						t.Errorf("%v.ExpectedBits(%d, %.2f) = %v < %v at lower density", f, n, d, got, prev)
					}
				}
				prev = got
			}
		}
	}
}

func ExampleRLC_ExpectedBits() {
	f := RLC{RunBits: 5, LevelBits: 16, PairsPerWord: 3, WordBits: 64}
	for _, d := range []float64{1, 0.6, 0.25} {
		bits := f.ExpectedBits(1000, d)
		fmt.Printf("density %.2f: %.1f bits, %.2f of dense 16-bit\n", d, bits, bits/16000)
	}
	// Output:
	// density 1.00: 21376.0 bits, 1.34 of dense 16-bit
	// density 0.60: 12829.9 bits, 0.80 of dense 16-bit
	// density 0.25: 5371.2 bits, 0.34 of dense 16-bit
}
