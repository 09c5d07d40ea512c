package vec

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// The benchmarks run each loop on the row lengths of MobileNet-small's
// planes (7×7, 14×14, 28×28), as the exported function (assembly where
// the CPU has it) and as its Go loop, and report the bytes read and
// written per second.

var benchSizes = []int{49, 196, 784}

func benchLoop(b *testing.B, name string, bytesPerValue int, fast, slow func(n int) func()) {
	for _, n := range benchSizes {
		for _, v := range []struct {
			impl string
			fn   func(n int) func()
		}{{"vec", fast}, {"go", slow}} {
			b.Run(fmt.Sprintf("%s/n%d/%s", name, n, v.impl), func(b *testing.B) {
				f := v.fn(n)
				b.SetBytes(int64(bytesPerValue * n))
				for b.Loop() {
					f()
				}
			})
		}
	}
}

func BenchmarkLoops(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	x, y, z := randv(rng, 1024), randv(rng, 1024), randv(rng, 1024)
	var sink float32
	benchLoop(b, "Sum", 4,
		func(n int) func() { return func() { sink += Sum(x[:n]) } },
		func(n int) func() { return func() { sink += sumGo(x[:n]) } })
	benchLoop(b, "Dot", 8,
		func(n int) func() { return func() { sink += Dot(x[:n], y) } },
		func(n int) func() { return func() { sink += dotGo(x[:n], y[:n]) } })
	benchLoop(b, "DevSums", 4,
		func(n int) func() { return func() { s, _ := DevSums(x[:n], 0.5); sink += s } },
		func(n int) func() { return func() { s, _ := devSumsGo(x[:n], 0.5); sink += s } })
	benchLoop(b, "SumDotDev", 8,
		func(n int) func() { return func() { s, _ := SumDotDev(x[:n], y, 0.5); sink += s } },
		func(n int) func() { return func() { s, _ := sumDotDevGo(x[:n], y[:n], 0.5); sink += s } })
	benchLoop(b, "AffineClamp", 8,
		func(n int) func() { return func() { AffineClamp(z[:n], x, 0.5, 2, 0.1, 0, 6) } },
		func(n int) func() { return func() { affineClampGo(z[:n], x[:n], 0.5, 2, 0.1, 0, 6) } })
	benchLoop(b, "AxpBy", 12,
		func(n int) func() { return func() { AxpBy(z[:n], x, y, 2, 0.5, 0.1, 0.2) } },
		func(n int) func() { return func() { axpByGo(z[:n], x[:n], y[:n], 2, 0.5, 0.1, 0.2) } })
	benchLoop(b, "MaskPositive", 12,
		func(n int) func() { return func() { MaskPositive(z[:n], x, y) } },
		func(n int) func() { return func() { maskPositiveGo(z[:n], x[:n], y[:n]) } })
	benchLoop(b, "MaskRange", 12,
		func(n int) func() { return func() { MaskRange(z[:n], x, y, 0, 6) } },
		func(n int) func() { return func() { maskRangeGo(z[:n], x[:n], y[:n], 0, 6) } })
	benchLoop(b, "Deinterleave2", 8,
		func(n int) func() { return func() { Deinterleave2(y, z, x[:n]) } },
		func(n int) func() { return func() { deinterleave2Go(y[:(n+1)/2], z[:n/2], x[:n]) } })
	// A 3×3 stencil over a padded plane with pitch 30, as MobileNet's
	// first depthwise layer.
	off := []int32{0, 1, 2, 30, 31, 32, 60, 61, 62}
	w := randv(rng, 9)
	benchLoop(b, "Stencil3x3", 9*4,
		func(n int) func() { return func() { Stencil(z[:n], x, off, w, false) } },
		func(n int) func() { return func() { stencilGo(z[:n], x, off, w, false) } })
	_ = sink
}
