package onnx_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nnergy/nnergy/nn"
	nnonnx "github.com/nnergy/nnergy/nn/onnx"
)

// The transformer fixtures prune the way transformers are pruned
// structurally: the hidden width of the feed-forward blocks (outputs of
// linear1, through the GELU, inputs of linear2). Everything on the residual
// stream (the model dimension, tied by the residual Adds and the layer
// norms) and the attention projections are refused.

// ffnCuts are the hidden features removed from each feed-forward block.
var ffnCuts = map[string][]int{
	"/enc/layers.0/linear1/MatMul": {0, 5, 6, 31, 63},
	"/enc/layers.1/linear1/MatMul": {1, 2, 40},
}

// TestTransformerPruneFFN removes hidden features of the feed-forward
// blocks of the transformer fixtures. With the removed features' weights
// zeroed first, the pruned model must compute the same outputs; only
// linear1 (outputs) and linear2 (inputs) may change; exported to ONNX,
// ONNX Runtime must agree with it.
func TestTransformerPruneFFN(t *testing.T) {
	for _, name := range []string{"tf", "tf_ln"} {
		t.Run(name, func(t *testing.T) {
			m, err := nnonnx.ReadFile(filepath.Join("testdata", name+".onnx"))
			if err != nil {
				t.Fatal(err)
			}
			params := m.NumParams()
			for _, node := range slices.Sorted(mapKeys(ffnCuts)) {
				l := m.Node(node).Layer.(*nn.Linear)
				for _, f := range ffnCuts[node] {
					clear(l.Weight.Data[f*l.In : (f+1)*l.In])
					l.Bias.Data[f] = 0
				}
			}
			x := randomInput(m, 3, 21)
			want := forward(t, m, x)
			removed := 0
			for _, node := range slices.Sorted(mapKeys(ffnCuts)) {
				changes, err := nn.RemoveFilters(m, node, ffnCuts[node])
				if err != nil {
					t.Fatal(err)
				}
				next := strings.Replace(node, "linear1", "linear2", 1)
				if len(changes) != 2 || changes[0].Node != node || !slices.Equal(changes[0].Out, ffnCuts[node]) ||
					changes[1].Node != next || !slices.Equal(changes[1].In, ffnCuts[node]) || len(changes[1].Out) != 0 {
					t.Errorf("%s: changes %+v, want %s losing outputs %v and %s losing those inputs", node, changes, node, ffnCuts[node], next)
				}
				removed += len(ffnCuts[node])
			}
			if got, want := m.NumParams(), params-removed*(32+1+32); got != want {
				t.Errorf("%d parameters after pruning, want %d", got, want)
			}
			got := forward(t, m, x)
			if d := maxDiff(t, got, want); d > 1e-5 {
				t.Errorf("pruning changed the outputs by %.3g", d)
			}
			exportMatchesORT(t, m, x, got)
		})
	}
}

// TestTransformerPruneRefused pins why each other linear layer of the
// transformer cannot lose outputs, and that a refusal changes nothing.
func TestTransformerPruneRefused(t *testing.T) {
	for _, tt := range []struct{ fixture, node, want string }{
		{"tf_ln", "/emb/MatMul", `nn: node "/enc/layers.0/norm1/LayerNormalization" (layernorm): cannot remove channels through layernorm (it normalises over them: the model dimension of a transformer is tied across its residual stream and is not pruned)`},
		{"tf", "/emb/MatMul", `nn: node "/enc/layers.0/norm1/ReduceMean" (reducemean): cannot remove channels through reducemean (it averages over them, as a decomposed layer norm does: the model dimension of a transformer is tied across its residual stream and is not pruned)`},
		{"tf_ln", "/enc/layers.0/linear2/MatMul", `nn: node "/enc/layers.0/norm1/LayerNormalization" (layernorm): cannot remove channels through layernorm`},
		{"tf_ln", "/enc/layers.1/self_attn/Gemm", `nn: node "/enc/layers.0/norm2/LayerNormalization" (layernorm): cannot remove channels through layernorm`},
		{"tf_ln", "/enc/layers.0/self_attn/MatMul", `nn: node "/enc/layers.0/self_attn/Slice" (slice): cannot remove channels through slice (attention is pruned by whole heads`},
		{"tf_ln", "/head/Gemm", `would change the model output "/head/Gemm"`},
		{"tf_ln", "/Reshape", `nn: node "/Reshape" is permute; filters can be removed from conv and linear layers`},
	} {
		t.Run(tt.fixture+tt.node, func(t *testing.T) {
			m, err := nnonnx.ReadFile(filepath.Join("testdata", tt.fixture+".onnx"))
			if err != nil {
				t.Fatal(err)
			}
			params := m.NumParams()
			if _, err := nn.RemoveFilters(m, tt.node, []int{1}); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v\nwant %s", err, tt.want)
			}
			if m.NumParams() != params {
				t.Error("a refused removal changed the model")
			}
		})
	}
}

// TestTransformerPrunable: of the transformer's linear layers, pruning
// and NetAdapt consider the first layers of the feed-forward blocks, and
// NetAdapt the heads of each attention block (once, at its first product).
func TestTransformerPrunable(t *testing.T) {
	for _, name := range []string{"tf", "tf_ln"} {
		m, err := nnonnx.ReadFile(filepath.Join("testdata", name+".onnx"))
		if err != nil {
			t.Fatal(err)
		}
		ok, refused, err := nn.Prunable(m)
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"/enc/layers.0/self_attn/MatMul_1", "/enc/layers.0/linear1/MatMul", "/enc/layers.1/self_attn/MatMul_1", "/enc/layers.1/linear1/MatMul"}; !slices.Equal(ok, want) || len(refused) != 8 {
			t.Errorf("%s: prunable %v, %d refused, want %v and 8 refused", name, ok, len(refused), want)
		}
	}
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// TestTransformerRemoveHeads removes attention heads of the transformer
// fixtures. With the removed heads' value projections zeroed first (so
// that the heads output zero), the pruned model must compute the same
// outputs; the fused projection loses 3·8 outputs per head, the output
// projection 8 inputs; exported to ONNX, ONNX Runtime must agree with it.
func TestTransformerRemoveHeads(t *testing.T) {
	cuts := map[string][]int{"/enc/layers.0/self_attn/MatMul_1": {1}, "/enc/layers.1/self_attn/MatMul_1": {0, 3}}
	for _, name := range []string{"tf", "tf_ln"} {
		t.Run(name, func(t *testing.T) {
			m, err := nnonnx.ReadFile(filepath.Join("testdata", name+".onnx"))
			if err != nil {
				t.Fatal(err)
			}
			for _, node := range slices.Sorted(mapKeys(cuts)) {
				proj := m.Node(strings.Replace(node, "MatMul_1", "MatMul", 1)).Layer.(*nn.Linear)
				for _, h := range cuts[node] {
					for f := 64 + 8*h; f < 64+8*(h+1); f++ {
						clear(proj.Weight.Data[f*32 : (f+1)*32])
						proj.Bias.Data[f] = 0
					}
				}
			}
			x := randomInput(m, 3, 22)
			want := forward(t, m, x)
			for _, node := range slices.Sorted(mapKeys(cuts)) {
				changes, err := nn.RemoveHeads(m, node, cuts[node])
				if err != nil {
					t.Fatal(err)
				}
				proj, out := strings.Replace(node, "MatMul_1", "MatMul", 1), strings.Replace(node, "MatMul_1", "Gemm", 1)
				var wantOut, wantIn []int
				for _, h := range cuts[node] {
					for j := 0; j < 8; j++ {
						wantIn = append(wantIn, 8*h+j)
					}
				}
				for part := 0; part < 3; part++ {
					for _, f := range wantIn {
						wantOut = append(wantOut, 32*part+f)
					}
				}
				for _, c := range changes {
					switch {
					case c.Node == proj && !slices.Equal(c.Out, wantOut), c.Node == out && !slices.Equal(c.In, wantIn),
						c.Kind == nn.KindLinear && c.Node != proj && c.Node != out:
						t.Errorf("%s: change %+v", node, c)
					}
				}
				if l := m.Node(proj).Layer.(*nn.Linear); l.Out != 96-24*len(cuts[node]) || m.Node(out).Layer.(*nn.Linear).In != 32-8*len(cuts[node]) {
					t.Errorf("%s: projections %d and %d wide", node, l.Out, m.Node(out).Layer.(*nn.Linear).In)
				}
			}
			got := forward(t, m, x)
			if d := maxDiff(t, got, want); d > 1e-5 {
				t.Errorf("removing heads changed the outputs by %.3g", d)
			}
			exportMatchesORT(t, m, x, got)
			if _, err := nn.RemoveHeads(m, "/enc/layers.1/self_attn/MatMul_1", []int{0, 1}); err == nil || !strings.Contains(err.Error(), "would lose all") {
				t.Errorf("removing the last heads: %v", err)
			}
		})
	}
}

// TestTransformerRemoveHeadsErrors pins RemoveHeads' refusals, which change
// nothing.
func TestTransformerRemoveHeadsErrors(t *testing.T) {
	for _, tt := range []struct {
		node  string
		heads []int
		want  string
	}{
		{"/enc/layers.0/linear1/MatMul", []int{0}, `nn: node "/enc/layers.0/linear1/MatMul" is linear; heads are the first axis of a matmul [H L L] of attention`},
		{"/enc/layers.0/self_attn/MatMul_1", []int{4}, `nn: node "/enc/layers.0/self_attn/MatMul_1": head 4 outside [0, 4)`},
		{"/enc/layers.0/self_attn/MatMul_2", []int{0, 1, 2, 3}, `nn: node "/enc/layers.0/self_attn/MatMul_2" would lose all its 4 heads`},
		{"/nope", []int{0}, `nn: no node "/nope"`},
	} {
		m, err := nnonnx.ReadFile(filepath.Join("testdata", "tf.onnx"))
		if err != nil {
			t.Fatal(err)
		}
		params := m.NumParams()
		if _, err := nn.RemoveHeads(m, tt.node, tt.heads); err == nil || err.Error() != tt.want {
			t.Errorf("%s %v: error %v\nwant %s", tt.node, tt.heads, err, tt.want)
		}
		if m.NumParams() != params {
			t.Errorf("%s: a refused removal changed the model", tt.node)
		}
	}
}
