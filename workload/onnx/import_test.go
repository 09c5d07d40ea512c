package onnx_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nnergy/nnergy/onnx"
	"github.com/nnergy/nnergy/workload"
	wonnx "github.com/nnergy/nnergy/workload/onnx"
)

// want is the expected import of one layer, computed in the test from the
// PyTorch module definitions in scripts/make_onnx_fixtures.py.
type want struct {
	Name     string
	Kind     workload.Kind
	Shape    workload.Shape
	Stride   [2]int
	Dilation [2]int
	Padding  [4]int
	Density  float64
	From     []string
}

// conv is nn.Conv2d(inC, outC, k, stride=s, padding=p, dilation=d,
// groups=g) on an n×inC×h×w input: PyTorch's output size is
// floor((h + 2p − d(k−1) − 1)/s) + 1.
func conv(name string, n, inC, outC, h, w, k, s, p, d, g int, from ...string) want {
	out := func(in int) int { return (in+2*p-d*(k-1)-1)/s + 1 }
	kind := workload.Conv
	switch {
	case g > 1 && g == inC && g == outC:
		kind = workload.Depthwise
	case g == 1 && k == 1:
		kind = workload.Pointwise
	}
	return want{
		Name: name, Kind: kind,
		Shape:  workload.Shape{workload.N: n, workload.G: g, workload.M: outC / g, workload.C: inC / g, workload.P: out(h), workload.Q: out(w), workload.R: k, workload.S: k},
		Stride: [2]int{s, s}, Dilation: [2]int{d, d}, Padding: [4]int{p, p, p, p},
		Density: 1, From: from,
	}
}

// fc is nn.Linear(in, out) on n rows.
func fc(name string, n, in, out int, from ...string) want {
	return want{
		Name: name, Kind: workload.FC,
		Shape:  workload.Shape{workload.N: n, workload.G: 1, workload.M: out, workload.C: in, workload.P: 1, workload.Q: 1, workload.R: 1, workload.S: 1},
		Stride: [2]int{1, 1}, Dilation: [2]int{1, 1}, Density: 1, From: from,
	}
}

// linear is nn.Linear(in, out) applied to an n×rows×in tensor.
func linear(name string, n, rows, in, out int, from ...string) want {
	w := fc(name, n, in, out, from...)
	w.Kind, w.Shape[workload.P] = workload.GEMM, rows
	return w
}

// bmm is a batched product of rows×inner by inner×cols activations over
// batch independent pairs (batch × heads).
func bmm(name string, batch, rows, inner, cols int, from ...string) want {
	return want{
		Name: name, Kind: workload.MatMul,
		Shape:  workload.Shape{workload.N: 1, workload.G: batch, workload.M: cols, workload.C: inner, workload.P: rows, workload.Q: 1, workload.R: 1, workload.S: 1},
		Stride: [2]int{1, 1}, Dilation: [2]int{1, 1}, Density: 1, From: from,
	}
}

func got(net *workload.Network) []want {
	var ws []want
	for _, l := range net.Layers {
		ws = append(ws, want{l.Name, l.Kind, l.Shape, l.Stride, l.Dilation, l.Padding, l.Density[workload.Weights], l.From})
	}
	return ws
}

// tinyCNN: conv1 3→8 on 16×16, maxpool 2, conv2 8→16 stride 2, avgpool,
// global pool, fc 16→10.
func tinyCNN(n int) []want {
	return []want{
		conv("/conv1/Conv", n, 3, 8, 16, 16, 3, 1, 1, 1, 1),
		conv("/conv2/Conv", n, 8, 16, 8, 8, 3, 2, 1, 1, 1, "/conv1/Conv"),
		fc("/fc/Gemm", n, 16, 10, "/conv2/Conv"),
	}
}

// residual: a basic block on 8×8×8 with a strided projection shortcut.
func residual(n int) []want {
	return []want{
		conv("/conv1/Conv", n, 8, 16, 8, 8, 3, 2, 1, 1, 1),
		conv("/conv2/Conv", n, 16, 16, 4, 4, 3, 1, 1, 1, 1, "/conv1/Conv"),
		conv("/down/Conv", n, 8, 16, 8, 8, 1, 2, 0, 1, 1),
	}
}

// dwsep: inverted residual 8→16→16(dw)→8 on 8×8, then a grouped dilated
// conv 8→12 (groups 4, dilation 2, padding 2) and fc 12·8·8→5.
func dwsep(n int) []want {
	return []want{
		conv("/expand/Conv", n, 8, 16, 8, 8, 1, 1, 0, 1, 1),
		conv("/dw/Conv", n, 16, 16, 8, 8, 3, 1, 1, 1, 16, "/expand/Conv"),
		conv("/project/Conv", n, 16, 8, 8, 8, 1, 1, 0, 1, 1, "/dw/Conv"),
		conv("/grouped/Conv", n, 8, 12, 8, 8, 3, 1, 2, 2, 4, "/project/Conv"),
		fc("/fc/Gemm", n, 12*8*8, 5, "/grouped/Conv"),
	}
}

// attention: 8 tokens of 16 features, 2 heads of 8, FFN 32.
func attention(n int) []want {
	const t, e, h, d, f = 8, 16, 2, 8, 32
	return []want{
		linear("/q/MatMul", n, t, e, e),
		linear("/k/MatMul", n, t, e, e),
		linear("/v/MatMul", n, t, e, e),
		bmm("/MatMul", n*h, t, d, t, "/q/MatMul", "/k/MatMul"), // q·kᵀ
		bmm("/MatMul_1", n*h, t, t, d, "/v/MatMul", "/MatMul"), // softmax(·)·v
		linear("/out/MatMul", n, t, e, e, "/MatMul_1"),         //
		linear("/ff1/MatMul", n, t, e, f, "/out/MatMul"),       // residual input carries no layer
		linear("/ff2/MatMul", n, t, f, e, "/ff1/MatMul"),       //
	}
}

// prunedCNN: conv1 3→8 with filters 0..3 zeroed, conv2 8→8 with input
// channels 0, 3, 6 zeroed, fc 128→10 with every fourth input zeroed.
func prunedCNN(n int) []want {
	w := []want{
		conv("/conv1/Conv", n, 3, 8, 8, 8, 3, 1, 1, 1, 1),
		conv("/conv2/Conv", n, 8, 8, 8, 8, 3, 1, 1, 1, 1, "/conv1/Conv"),
		fc("/fc/Gemm", n, 8*4*4, 10, "/conv2/Conv"),
	}
	w[0].Density = 4.0 / 8
	w[1].Density = 5.0 / 8
	w[2].Density = 3.0 / 4
	return w
}

func TestImportFixtures(t *testing.T) {
	for _, tc := range []struct {
		file  string
		want  func(n int) []want
		input [4]int // at batch 1
		fixed bool   // the batch cannot be told apart: only the file's own shapes import
	}{
		{"tiny_cnn", tinyCNN, [4]int{1, 3, 16, 16}, false},
		{"residual", residual, [4]int{1, 8, 8, 8}, false},
		{"dwsep", dwsep, [4]int{1, 8, 8, 8}, false},
		{"attention", attention, [4]int{}, true}, // a static [1, 8, 16] input
		{"pruned_cnn", prunedCNN, [4]int{1, 3, 8, 8}, false},
	} {
		for _, batch := range []int{0, 1, 3} {
			t.Run(fmt.Sprintf("%s/batch=%d", tc.file, batch), func(t *testing.T) {
				net, err := wonnx.ReadFile("testdata/"+tc.file+".onnx", batch)
				if tc.fixed && batch > 0 {
					if err == nil || !strings.Contains(err.Error(), "batch cannot be told apart") {
						t.Fatalf("got error %v, want a refusal", err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				n := max(batch, 1) // every fixture was exported at batch 1
				w := tc.want(n)
				if diff := cmp.Diff(w, got(net)); diff != "" {
					t.Errorf("layers (-want +got):\n%s", diff)
				}
				var macs int64
				for i, l := range net.Layers {
					if i < len(w) && l.MACs() != w[i].Shape.Product() {
						t.Errorf("%s: %d MACs, want %d", l.Name, l.MACs(), w[i].Shape.Product())
					}
					macs += l.MACs()
				}
				if net.MACs() != macs {
					t.Errorf("network MACs %d, layers sum to %d", net.MACs(), macs)
				}
				wantIn := tc.input
				if wantIn[0] != 0 {
					wantIn[0] = n
				}
				if net.Name != tc.file || net.Input != wantIn {
					t.Errorf("network %q input %v, want %q %v", net.Name, net.Input, tc.file, wantIn)
				}
			})
		}
	}
}

// TestImportMACTotals pins the MAC totals of the fixtures, worked out by
// hand from the module definitions at batch 1.
func TestImportMACTotals(t *testing.T) {
	for file, macs := range map[string]int64{
		// conv1 8·3·9·256 + conv2 16·8·9·16 + fc 160
		"tiny_cnn": 8*3*9*256 + 16*8*9*16 + 160,
		// conv1 16·8·9·16 + conv2 16·16·9·16 + down 16·8·16
		"residual": 16*8*9*16 + 16*16*9*16 + 16*8*16,
		// expand 16·8·64 + dw 16·9·64 + project 8·16·64 + grouped 12·2·9·64 + fc 768·5
		"dwsep": 16*8*64 + 16*9*64 + 8*16*64 + 12*2*9*64 + 768*5,
		// q, k, v, out 4·8·16·16; scores and context 2·2·8·8·8; ffn 2·8·16·32
		"attention": 4*8*16*16 + 2*2*8*8*8 + 2*8*16*32,
	} {
		net, err := wonnx.ReadFile("testdata/"+file+".onnx", 0)
		if err != nil {
			t.Fatal(err)
		}
		if net.MACs() != macs {
			t.Errorf("%s: %d MACs, want %d", file, net.MACs(), macs)
		}
	}
}

// readGraphFixture reads a *_graph.onnx fixture, in which the exporter's
// weight initializers were turned into graph inputs to keep the file small,
// and turns them back into initializers (all ones).
func readGraphFixture(t testing.TB, file string) *onnx.Model {
	t.Helper()
	m, err := onnx.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	g := m.Graph
	var inputs []onnx.ValueInfo
	for _, in := range g.Inputs {
		if in.Name == "input" {
			inputs = append(inputs, in)
			continue
		}
		data := make([]float32, numel(in.Shape))
		for i := range data {
			data[i] = 1
		}
		g.AddInitializer(in.Name, in.Shape, data)
	}
	g.Inputs = inputs
	return m
}

func numel(s []int64) int64 {
	n := int64(1)
	for _, d := range s {
		n *= d
	}
	return n
}

// resnet18 lists torchvision's resnet18() layers in forward order at 224×224.
func resnet18(n int) []want {
	ws := []want{conv("/conv1/Conv", n, 3, 64, 224, 224, 7, 2, 3, 1, 1)}
	prev := []string{"/conv1/Conv"} // layers whose outputs reach the next block
	in, hw := 64, 56                // after the 3×3 stride-2 max pool
	for stage, c := range []int{64, 128, 256, 512} {
		for blk := range 2 {
			s := 1
			if stage > 0 && blk == 0 {
				s = 2
			}
			p := fmt.Sprintf("/layer%d/layer%d.%d", stage+1, stage+1, blk)
			out := (hw+2-3)/s + 1
			ws = append(ws,
				conv(p+"/conv1/Conv", n, in, c, hw, hw, 3, s, 1, 1, 1, prev...),
				conv(p+"/conv2/Conv", n, c, c, out, out, 3, 1, 1, 1, 1, p+"/conv1/Conv"))
			next := []string{p + "/conv2/Conv"}
			if s != 1 || in != c {
				ws = append(ws, conv(p+"/downsample/downsample.0/Conv", n, in, c, hw, hw, 1, s, 0, 1, 1, prev...))
				next = append(next, p+"/downsample/downsample.0/Conv")
			} else {
				next = append(prev, next...)
			}
			prev, in, hw = next, c, out
		}
	}
	return append(ws, fc("/fc/Gemm", n, 512, 1000, prev...))
}

// mobilenetV2 lists torchvision's mobilenet_v2() layers in forward order
// at 224×224, without names or edges.
func mobilenetV2(n int) []want {
	ws := []want{conv("", n, 3, 32, 224, 224, 3, 2, 1, 1, 1)}
	in, hw := 32, 112
	for _, s := range [][4]int{{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2}, {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}} {
		t, c, reps, stride := s[0], s[1], s[2], s[3]
		for i := range reps {
			st := 1
			if i == 0 {
				st = stride
			}
			hidden := in * t
			if t != 1 {
				ws = append(ws, conv("", n, in, hidden, hw, hw, 1, 1, 0, 1, 1))
			}
			out := (hw+2-3)/st + 1
			ws = append(ws,
				conv("", n, hidden, hidden, hw, hw, 3, st, 1, 1, hidden),
				conv("", n, hidden, c, out, out, 1, 1, 0, 1, 1))
			in, hw = c, out
		}
	}
	ws = append(ws, conv("", n, 320, 1280, 7, 7, 1, 1, 0, 1, 1))
	return append(ws, fc("", n, 1280, 1000))
}

func TestImportTorchvision(t *testing.T) {
	for _, tc := range []struct {
		file      string
		want      func(n int) []want
		published float64 // MACs per 224×224 image as usually quoted
		names     bool
	}{
		{"resnet18_graph", resnet18, 1.82e9, true},
		{"mobilenetv2_graph", mobilenetV2, 300e6, false},
	} {
		t.Run(tc.file, func(t *testing.T) {
			m := readGraphFixture(t, "testdata/"+tc.file+".onnx")
			for _, batch := range []int{1, 2} {
				net, err := wonnx.Import(m, batch)
				if err != nil {
					t.Fatal(err)
				}
				w, g := tc.want(batch), got(net)
				if !tc.names {
					for i := range g {
						g[i].Name, g[i].From = "", nil
					}
				}
				if diff := cmp.Diff(w, g); diff != "" {
					t.Errorf("batch %d: layers (-want +got):\n%s", batch, diff)
				}
				perImage := float64(net.MACs()) / float64(batch)
				if perImage < 0.99*tc.published || perImage > 1.01*tc.published {
					t.Errorf("batch %d: %.4g MACs per image, published %.4g", batch, perImage, tc.published)
				}
			}
		})
	}
}
