package onnx_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/nnergy/nnergy/onnx"
	wonnx "github.com/nnergy/nnergy/workload/onnx"
)

// FuzzImport checks that no decodable model makes Import panic. Run longer
// with
//
//	go test ./workload/onnx -run '^$' -fuzz FuzzImport -fuzztime 60s
func FuzzImport(f *testing.F) {
	// The small fixtures; the *_graph.onnx ones slow the fuzzer down.
	for _, name := range []string{"tiny_cnn", "residual", "dwsep", "attention", "pruned_cnn"} {
		b, err := os.ReadFile(filepath.Join("testdata", name+".onnx"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, uint8(1))
	}
	for _, name := range []string{"convtranspose", "lstm", "gru", "einsum", "upsample11", "resize13", "quantized", "fp16"} {
		b, err := os.ReadFile(filepath.Join("testdata", "ops", name+".onnx"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, uint8(2))
	}
	f.Fuzz(func(t *testing.T, data []byte, batch uint8) {
		m, err := onnx.Parse("fuzz.onnx", data)
		if err != nil {
			return
		}
		net, err := wonnx.Import(m, int(batch%5))
		if err != nil {
			return
		}
		if err := net.Validate(); err != nil {
			t.Fatalf("Import returned an invalid network: %v", err)
		}
	})
}

// byteReader hands out fuzz bytes as small numbers, zeros when exhausted.
type byteReader []byte

func (r *byteReader) next(n int) int64 {
	if len(*r) == 0 {
		return 0
	}
	v := int64((*r)[0]) % int64(n)
	*r = (*r)[1:]
	return v
}

// ints returns k small integers in [lo, lo+n).
func (r *byteReader) ints(k int, lo, n int) []int64 {
	out := make([]int64, k)
	for i := range out {
		out[i] = int64(lo) + r.next(n)
	}
	return out
}

// FuzzImportOps builds small graphs of randomly parameterized ops (shapes,
// attributes and constant inputs, valid or not) and checks that Import never
// panics and returns only valid networks.
func FuzzImportOps(f *testing.F) {
	f.Add([]byte{3, 1, 2, 8, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add([]byte{2, 4, 6, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27})
	f.Add([]byte{4, 2, 3, 5, 7, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2})
	ops := []string{"Conv", "MaxPool", "AveragePool", "Gemm", "MatMul", "Reshape", "Transpose",
		"Slice", "Gather", "Concat", "Split", "Squeeze", "Unsqueeze", "Flatten", "Pad", "Add",
		"ReduceMean", "Expand", "Tile", "Shape", "GlobalAveragePool", "BatchNormalization",
		"ConvTranspose", "Einsum", "LSTM", "GRU", "Resize", "Mod", "ScatterND", "DequantizeLinear"}
	equations := []string{"ij,jk->ik", "bij,bjk->bik", "bhid,bhjd->bhij", "ii,ij->ij", "ij,kl->i",
		"...ij,...jk->...ik", "ab,ab->ab", "i,i->", "abc,cd", "ab,b"}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := byteReader(data)
		m := onnx.NewModel("fuzz")
		g := m.Graph
		rank := int(1 + r.next(4))
		g.AddInput("x", onnx.Float, r.ints(rank, 1, 8)...)
		cur := "x"
		for i := range 6 {
			op := ops[r.next(len(ops))]
			name := func(s string) string { return s + string(rune('a'+i)) }
			k := func(dims []int64, vals []int64) string { // a constant int input
				n := name("k" + string(rune('a'+len(g.Initializers))))
				g.AddInt64Initializer(n, dims, vals)
				return n
			}
			w := func(dims ...int64) string {
				n := name("w" + string(rune('a'+len(g.Initializers))))
				size := int64(1)
				for _, d := range dims {
					size *= d
				}
				if size > 1<<16 {
					dims, size = []int64{1}, 1
				}
				g.AddInitializer(n, dims, make([]float32, size))
				return n
			}
			nr := int(r.next(5))
			in := []string{cur}
			var attrs []onnx.Attribute
			switch op {
			case "Conv":
				in = append(in, w(r.ints(nr, 1, 4)...))
				if r.next(2) == 1 {
					attrs = append(attrs, onnx.IntsAttr("pads", r.ints(int(r.next(5)), 0, 3)...))
				}
				attrs = append(attrs, onnx.IntAttr("group", 1+r.next(3)))
			case "MaxPool", "AveragePool":
				attrs = append(attrs, onnx.IntsAttr("kernel_shape", r.ints(nr, 1, 3)...),
					onnx.IntsAttr("strides", r.ints(nr, 1, 3)...), onnx.IntAttr("ceil_mode", r.next(2)))
			case "Gemm", "MatMul":
				in = append(in, w(r.ints(nr, 1, 8)...))
			case "Reshape", "Expand", "Tile":
				in = append(in, k([]int64{int64(nr)}, r.ints(nr, -1, 9)))
			case "Transpose":
				attrs = append(attrs, onnx.IntsAttr("perm", r.ints(nr, 0, 4)...))
			case "Slice":
				in = append(in, k([]int64{1}, r.ints(1, -3, 6)), k([]int64{1}, r.ints(1, -3, 9)),
					k([]int64{1}, r.ints(1, -2, 4)), k([]int64{1}, r.ints(1, -2, 4)))
			case "Gather":
				in = append(in, k([]int64{int64(nr)}, r.ints(nr, -3, 8)))
				attrs = append(attrs, onnx.IntAttr("axis", r.next(4)-1))
			case "Concat":
				in = append(in, cur)
				attrs = append(attrs, onnx.IntAttr("axis", r.next(5)-2))
			case "Split":
				in = append(in, k([]int64{2}, r.ints(2, 0, 5)))
				attrs = append(attrs, onnx.IntAttr("axis", r.next(4)))
			case "Squeeze", "Unsqueeze", "ReduceMean":
				attrs = append(attrs, onnx.IntsAttr("axes", r.ints(nr, -2, 6)...))
			case "Flatten":
				attrs = append(attrs, onnx.IntAttr("axis", r.next(6)-1))
			case "Pad":
				in = append(in, k([]int64{int64(2 * nr)}, r.ints(2*nr, -1, 3)))
			case "Add":
				in = append(in, w(r.ints(nr, 1, 3)...))
			case "BatchNormalization":
				c := 1 + r.next(8)
				in = append(in, w(c), w(c), w(c), w(c))
			case "ConvTranspose":
				in = append(in, w(r.ints(nr, 1, 4)...))
				attrs = append(attrs, onnx.IntsAttr("strides", r.ints(int(r.next(3)), 1, 3)...),
					onnx.IntsAttr("output_padding", r.ints(int(r.next(3)), 0, 3)...), onnx.IntAttr("group", 1+r.next(2)))
			case "Einsum":
				in = append(in, cur)
				attrs = append(attrs, onnx.StringAttr("equation", equations[r.next(len(equations))]))
			case "LSTM", "GRU":
				h := 1 + r.next(3)
				gates := map[string]int64{"LSTM": 4, "GRU": 3}[op] * h
				in = append(in, w(1+r.next(2), gates, r.next(5)), w(1+r.next(2), gates, h))
				attrs = append(attrs, onnx.IntAttr("hidden_size", h), onnx.IntAttr("layout", r.next(3)),
					onnx.StringAttr("direction", []string{"forward", "bidirectional", "sideways"}[r.next(3)]))
			case "Resize":
				if r.next(2) == 0 {
					n := name("s")
					sc := make([]float32, nr)
					for j := range sc {
						sc[j] = float32(r.next(5)) / 2
					}
					g.AddInitializer(n, []int64{int64(nr)}, sc)
					in = append(in, "", n)
				} else {
					in = append(in, "", "", k([]int64{int64(nr)}, r.ints(nr, 0, 9)))
				}
			case "Mod":
				in = append(in, k([]int64{int64(nr)}, r.ints(nr, -3, 7)))
			case "ScatterND":
				kk := 1 + r.next(3)
				in = append(in, k([]int64{1, kk}, r.ints(int(kk), -2, 6)), w(r.ints(nr, 1, 4)...))
			case "DequantizeLinear":
				in = append(in, w(r.ints(int(r.next(2)), 1, 4)...))
				attrs = append(attrs, onnx.IntAttr("axis", r.next(4)-1))
			}
			outs := []string{name("y")}
			if op == "Split" {
				outs = append(outs, name("z"))
			}
			g.AddNode(op, in, outs, attrs...)
			cur = outs[0]
		}
		g.AddNode("MatMul", []string{cur, cur}, []string{"out"})
		if err := g.Sort(); err != nil {
			t.Fatal(err)
		}
		net, err := wonnx.Import(m, int(r.next(3)))
		if err != nil {
			return
		}
		if err := net.Validate(); err != nil {
			t.Fatalf("Import returned an invalid network: %v", err)
		}
	})
}
