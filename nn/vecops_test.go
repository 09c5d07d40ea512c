package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// The depthwise convolution, batch normalisation and ReLU run on the
// vector loops of nn/internal/vec with layouts of their own (phase-split
// planes, recomputed x̂). These tests compare them with direct float64
// loops over geometries the zoo does not use, and with fused activations.

// dwGeoms are depthwise geometries: strides, dilations, asymmetric and
// oversized pads, rectangular and 1×1 filters, channel multipliers.
var dwGeoms = []struct {
	name        string
	c, mg, h, w int
	conv        Conv
}{
	{"3x3", 3, 1, 7, 6, Conv{Kernel: [2]int{3, 3}, Pad: [4]int{1, 1, 1, 1}}},
	{"3x3-stride2", 2, 1, 9, 8, Conv{Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Pad: [4]int{1, 1, 1, 1}}},
	{"3x3-stride2-mult3", 2, 3, 8, 9, Conv{Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Pad: [4]int{1, 1, 1, 1}}},
	{"5x5-stride3", 2, 1, 11, 12, Conv{Kernel: [2]int{5, 5}, Stride: [2]int{3, 3}, Pad: [4]int{2, 2, 2, 2}}},
	{"3x2-dilated-asympad", 2, 2, 8, 7, Conv{Kernel: [2]int{3, 2}, Stride: [2]int{1, 2}, Dilation: [2]int{2, 3},
		Pad: [4]int{2, 0, 1, 3}}},
	{"dilation2-stride2", 2, 1, 9, 9, Conv{Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Dilation: [2]int{2, 2},
		Pad: [4]int{2, 2, 2, 2}}},
	{"1x1-stride2", 3, 1, 5, 6, Conv{Kernel: [2]int{1, 1}, Stride: [2]int{2, 2}}},
	{"bigpad", 2, 1, 3, 4, Conv{Kernel: [2]int{2, 2}, Pad: [4]int{4, 3, 2, 5}}},
	{"unread-inputs", 2, 1, 9, 9, Conv{Kernel: [2]int{2, 2}, Stride: [2]int{4, 3}}},
	{"28x28", 4, 1, 28, 28, Conv{Kernel: [2]int{3, 3}, Pad: [4]int{1, 1, 1, 1}}},
	{"14x14-stride2", 4, 1, 14, 14, Conv{Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Pad: [4]int{1, 1, 1, 1}}},
}

func TestDepthwiseMatchesDirect(t *testing.T) {
	for _, d := range dwGeoms {
		for _, act := range []fusedReLU{{}, {on: true}, {on: true, cap: 0.5}} {
			for _, workers := range []int{1, 2} {
				name := fmt.Sprintf("%s/act%v-%v/w%d", d.name, act.on, act.cap, workers)
				t.Run(name, func(t *testing.T) { checkDepthwise(t, d.c, d.mg, d.h, d.w, d.conv, act, workers) })
			}
		}
	}
}

func checkDepthwise(t *testing.T, ch, mg, h, w int, conv Conv, act fusedReLU, workers int) {
	rng := rand.New(rand.NewPCG(11, uint64(h*w)))
	l := conv
	l.InC, l.OutC, l.Groups = ch, ch*mg, ch
	l.Weight = NewParam(randData(rng, ch*mg*l.Kernel[0]*l.Kernel[1]), ch*mg, 1, l.Kernel[0], l.Kernel[1])
	l.Bias = NewParam(randData(rng, ch*mg), ch*mg)
	in := [][]int{{ch, h, w}}
	outShape, err := l.OutShape(in)
	if err != nil {
		t.Fatal(err)
	}
	g, _ := l.geom(in[0])
	op, ok := l.newOp(in, outShape, 3).(*depthwiseOp)
	if !ok {
		t.Fatal("not a depthwise op")
	}
	op.fuse(act)
	const n = 3
	x := &Tensor{Shape: []int{n, ch, h, w}, Data: randData(rng, n*ch*h*w)}
	out := NewTensor(n, outShape[0], outShape[1], outShape[2])
	dout := &Tensor{Shape: out.Shape, Data: randData(rng, len(out.Data))}
	dx := &Tensor{Shape: x.Shape, Data: make([]float32, len(x.Data))}
	for i := range dx.Data {
		dx.Data[i] = float32(math.NaN()) // backward must overwrite
	}
	r := newRun(workers)
	for range 2 { // the second pass reuses the scratch buffers
		op.forward(r, []*Tensor{x}, out, true)
		op.backward(r, []*Tensor{x}, out, dout, []*Tensor{dx})
	}

	// The direct loops, in float64.
	lo, hi := act.bounds()
	wantY := make([]float64, len(out.Data))
	wantDx := make([]float64, len(x.Data))
	wantDw := make([]float64, len(l.Weight.Data))
	wantDb := make([]float64, len(l.Bias.Data))
	p := g.oh * g.ow
	for i := 0; i < n; i++ {
		for m := 0; m < g.m; m++ {
			c := m / g.mg
			for oh := 0; oh < g.oh; oh++ {
				for ow := 0; ow < g.ow; ow++ {
					k := (i*g.m+m)*p + oh*g.ow + ow
					v := float64(l.Bias.Data[m])
					for ki := 0; ki < g.kh; ki++ {
						for kj := 0; kj < g.kw; kj++ {
							ih, iw := oh*g.sh+ki*g.dh-g.pt, ow*g.sw+kj*g.dw-g.pl
							if ih >= 0 && ih < h && iw >= 0 && iw < w {
								v += float64(l.Weight.Data[(m*g.kh+ki)*g.kw+kj]) * float64(x.Data[((i*ch+c)*h+ih)*w+iw])
							}
						}
					}
					y := min(max(v, float64(lo)), float64(hi))
					wantY[k] = y
					// The fused activation's gradient is the ReLU op's
					// to apply: dout reaches the convolution unmasked.
					dy := float64(dout.Data[k])
					wantDb[m] += dy
					for ki := 0; ki < g.kh; ki++ {
						for kj := 0; kj < g.kw; kj++ {
							ih, iw := oh*g.sh+ki*g.dh-g.pt, ow*g.sw+kj*g.dw-g.pl
							if ih >= 0 && ih < h && iw >= 0 && iw < w {
								xi := ((i*ch+c)*h+ih)*w + iw
								wi := (m*g.kh+ki)*g.kw + kj
								wantDw[wi] += dy * float64(x.Data[xi])
								wantDx[xi] += dy * float64(l.Weight.Data[wi])
							}
						}
					}
				}
			}
		}
	}
	cmp := func(what string, got []float32, want []float64) {
		t.Helper()
		for i := range want {
			if d := math.Abs(float64(got[i]) - want[i]); !(d <= 1e-4*(1+math.Abs(want[i]))) {
				t.Fatalf("%s[%d] = %v, want %v", what, i, got[i], want[i])
			}
		}
	}
	cmp("y", out.Data, wantY)
	cmp("dx", dx.Data, wantDx)
	cmp("dw", l.Weight.Grad, wantDw)
	cmp("db", l.Bias.Grad, wantDb)
}

// TestDepthwiseGradientsMore runs the gradient check on more depthwise
// geometries than TestLayerGradients.
func TestDepthwiseGradientsMore(t *testing.T) {
	for _, d := range dwGeoms {
		if d.h*d.w > 100 {
			continue // the numeric gradient is slow; 28x28 is checked directly above
		}
		l := d.conv
		l.InC, l.OutC, l.Groups = d.c, d.c*d.mg, d.c
		l.Weight = NewParam(nil, l.OutC, 1, l.Kernel[0], l.Kernel[1])
		l.Bias = NewParam(nil, l.OutC)
		for _, workers := range []int{1, 2} {
			t.Run(fmt.Sprintf("%s/w%d", d.name, workers), func(t *testing.T) {
				checkLayer(t, gradCase{name: d.name, layer: &l, in: [][]int{{d.c, d.h, d.w}}, batch: 2, workers: workers})
			})
		}
	}
}

// TestBatchNormMatchesFloat64 compares training-mode batch normalisation
// (forward with a fused activation, running statistics, backward) with
// float64 formulas, including channels whose mean is far larger than their
// spread, where a one-pass variance would lose every digit.
func TestBatchNormMatchesFloat64(t *testing.T) {
	for _, tc := range []struct {
		name       string
		n, c, hw   int
		off, scale float64
		act        fusedReLU
	}{
		{"small", 3, 2, 5, 0, 1, fusedReLU{}},
		{"relu6", 4, 3, 49, 0.5, 2, fusedReLU{on: true, cap: 6}},
		{"relu", 2, 2, 37, -0.3, 1, fusedReLU{on: true}},
		{"offset1e3", 5, 2, 64, 1000, 0.01, fusedReLU{}},
		{"offset1e4", 3, 2, 100, -1e4, 1, fusedReLU{on: true}},
		{"features", 7, 4, 1, 2, 1, fusedReLU{}},
	} {
		for _, workers := range []int{1, 2} {
			t.Run(fmt.Sprintf("%s/w%d", tc.name, workers), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(5, uint64(tc.hw)))
				l := NewBatchNorm(tc.c)
				for i := range tc.c {
					l.Scale.Data[i] = 0.5 + rng.Float32()
					l.Bias.Data[i] = rng.Float32() - 0.5
				}
				shape := []int{tc.c, tc.hw}
				if tc.hw == 1 {
					shape = []int{tc.c}
				}
				in := [][]int{shape}
				op := l.newOp(in, shape, tc.n).(*bnOp)
				op.fuse(tc.act)
				x := &Tensor{Shape: append([]int{tc.n}, shape...), Data: make([]float32, tc.n*tc.c*tc.hw)}
				for i := range x.Data {
					x.Data[i] = float32(tc.off + tc.scale*rng.NormFloat64())
				}
				out := &Tensor{Shape: x.Shape, Data: make([]float32, len(x.Data))}
				dout := &Tensor{Shape: x.Shape, Data: randData(rng, len(x.Data))}
				dx := &Tensor{Shape: x.Shape, Data: make([]float32, len(x.Data))}
				r := newRun(workers)
				op.forward(r, []*Tensor{x}, out, true)
				op.backward(r, []*Tensor{x}, out, dout, []*Tensor{dx})

				lo, hi := tc.act.bounds()
				cnt := float64(tc.n * tc.hw)
				for c := 0; c < tc.c; c++ {
					idx := func(i, k int) int { return (i*tc.c+c)*tc.hw + k }
					var mean, m2 float64
					for i := 0; i < tc.n; i++ {
						for k := 0; k < tc.hw; k++ {
							mean += float64(x.Data[idx(i, k)])
						}
					}
					mean /= cnt
					for i := 0; i < tc.n; i++ {
						for k := 0; k < tc.hw; k++ {
							d := float64(x.Data[idx(i, k)]) - mean
							m2 += d * d
						}
					}
					inv := 1 / math.Sqrt(m2/cnt+1e-5)
					g, b := float64(l.Scale.Data[c]), float64(l.Bias.Data[c])
					// x̂ is (x−μ)/σ with μ rounded to float32 (as before
					// the vector loops): an error of up to ulp(μ)/σ.
					xhErr := math.Abs(mean) * 0x1p-23 * inv
					var sumAbsDy float64
					for i := 0; i < tc.n; i++ {
						for k := 0; k < tc.hw; k++ {
							sumAbsDy += math.Abs(float64(dout.Data[idx(i, k)]))
						}
					}
					var dg, db float64
					for i := 0; i < tc.n; i++ {
						for k := 0; k < tc.hw; k++ {
							j := idx(i, k)
							xh := (float64(x.Data[j]) - mean) * inv
							want := min(max(g*xh+b, float64(lo)), float64(hi))
							if d := math.Abs(float64(out.Data[j]) - want); d > 1e-4*(1+math.Abs(want))+g*xhErr {
								t.Fatalf("y[%d] = %v, want %v", j, out.Data[j], want)
							}
							dg += float64(dout.Data[j]) * xh
							db += float64(dout.Data[j])
						}
					}
					if d := math.Abs(float64(l.Scale.Grad[c]) - dg); d > 1e-4*(1+math.Abs(dg))+sumAbsDy*xhErr {
						t.Errorf("dγ[%d] = %v, want %v", c, l.Scale.Grad[c], dg)
					}
					if d := math.Abs(float64(l.Bias.Grad[c]) - db); d > 1e-4*(1+math.Abs(db)) {
						t.Errorf("dβ[%d] = %v, want %v", c, l.Bias.Grad[c], db)
					}
					for i := 0; i < tc.n; i++ {
						for k := 0; k < tc.hw; k++ {
							j := idx(i, k)
							xh := (float64(x.Data[j]) - mean) * inv
							want := g * inv / cnt * (cnt*float64(dout.Data[j]) - db - xh*dg)
							if d := math.Abs(float64(dx.Data[j]) - want); d > 1e-3*(1+math.Abs(want))+g*inv/cnt*2*xhErr*(math.Abs(dg)+sumAbsDy) {
								t.Fatalf("dx[%d] = %v, want %v", j, dx.Data[j], want)
							}
						}
					}
					wantMean := 0.9*0 + 0.1*mean
					wantVar := 0.9*1 + 0.1*m2/(cnt-1)
					if d := math.Abs(float64(l.Mean[c]) - wantMean); d > 1e-5*(1+math.Abs(wantMean)) {
						t.Errorf("running mean[%d] = %v, want %v", c, l.Mean[c], wantMean)
					}
					if d := math.Abs(float64(l.Var[c]) - wantVar); d > 1e-4*(1+math.Abs(wantVar)) {
						t.Errorf("running var[%d] = %v, want %v", c, l.Var[c], wantVar)
					}
				}
			})
		}
	}
}

func randData(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = rng.Float32()*2 - 1
	}
	return v
}
