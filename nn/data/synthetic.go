package data

import (
	"math"
	"math/rand/v2"
)

// segments of a seven-segment display in a unit box (x right, y down):
// a top, b top right, c bottom right, d bottom, e bottom left, f top left,
// g middle.
var segments = [7][4]float64{
	{0, 0, 1, 0},     // a
	{1, 0, 1, 0.5},   // b
	{1, 0.5, 1, 1},   // c
	{0, 1, 1, 1},     // d
	{0, 0.5, 0, 1},   // e
	{0, 0, 0, 0.5},   // f
	{0, 0.5, 1, 0.5}, // g
}

// digitSegments lists, per class, the segments that are lit (bits a..g).
var digitSegments = [10]uint8{
	0b0111111, // 0: abcdef
	0b0000110, // 1: bc
	0b1011011, // 2: abged
	0b1001111, // 3: abgcd
	0b1100110, // 4: fgbc
	0b1101101, // 5: afgcd
	0b1111101, // 6: afgedc
	0b0000111, // 7: abc
	0b1111111, // 8: all
	0b1101111, // 9: abcdfg
}

// Synthetic returns n 28×28 grey images of seven-segment digits in ten
// classes, each drawn with its own random shift, size, slant, stroke width
// and noise, normalised like MNIST. Sample i depends only on seed and i, so
// a larger n extends a smaller one. A small CNN learns it to near 100% in
// one epoch of a few thousand samples.
func Synthetic(n int, seed uint64) *Set {
	const h, w = 28, 28
	s := &Set{Name: "synthetic", Shape: []int{1, h, w}, Classes: 10,
		X: make([]float32, n*h*w), Y: make([]int, n)}
	for i := 0; i < n; i++ {
		rng := rand.New(rand.NewPCG(seed, uint64(i)))
		y := rng.IntN(10)
		s.Y[i] = y
		img := s.X[i*h*w : (i+1)*h*w]
		bw := 9 + 5*rng.Float64()  // glyph width
		bh := 15 + 6*rng.Float64() // glyph height
		x0 := (w-bw)/2 + (rng.Float64()*2-1)*3
		y0 := (h-bh)/2 + (rng.Float64()*2-1)*2.5
		slant := (rng.Float64()*2 - 1) * 0.25
		thick := 0.9 + 1.1*rng.Float64()
		var segs [7][4]float64
		k := 0
		for b := 0; b < 7; b++ {
			if digitSegments[y]&(1<<b) == 0 {
				continue
			}
			sg := segments[b]
			at := func(u, v float64) (float64, float64) {
				return x0 + u*bw + slant*(0.5-v)*bh, y0 + v*bh
			}
			segs[k][0], segs[k][1] = at(sg[0], sg[1])
			segs[k][2], segs[k][3] = at(sg[2], sg[3])
			k++
		}
		for py := 0; py < h; py++ {
			for px := 0; px < w; px++ {
				d := math.Inf(1)
				for _, sg := range segs[:k] {
					d = min(d, segDist(float64(px)+0.5, float64(py)+0.5, sg))
				}
				v := math.Max(0, math.Min(1, thick+0.5-d))
				v += 0.15 * rng.Float64()
				v = math.Min(v, 1)
				img[py*w+px] = (float32(v) - MNISTMean) / MNISTStd
			}
		}
	}
	return s
}

// segDist returns the distance from (x, y) to the segment s.
func segDist(x, y float64, s [4]float64) float64 {
	dx, dy := s[2]-s[0], s[3]-s[1]
	t := 0.0
	if l := dx*dx + dy*dy; l > 0 {
		t = math.Max(0, math.Min(1, ((x-s[0])*dx+(y-s[1])*dy)/l))
	}
	ex, ey := x-(s[0]+t*dx), y-(s[1]+t*dy)
	return math.Sqrt(ex*ex + ey*ey)
}
