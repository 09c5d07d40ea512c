package cli

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/nnergy/nnergy/nn"
)

// tfFixture is the PyTorch transformer encoder classifier (2 layers,
// d_model 32, feed-forward width 64, 28 tokens of 28 features).
var tfFixture = filepath.Join("..", "..", "nn", "onnx", "testdata", "tf_ln.onnx")

// ffnWidths reads a native model file (an ONNX export renames the linear
// layers over tokens: "X" becomes "X/matmul" on reimport) and returns the hidden width of its two
// feed-forward blocks, checking that linear2 reads what linear1 writes and
// that the model dimension (every other linear layer) is intact.
func ffnWidths(t *testing.T, path string) [2]int {
	t.Helper()
	m, err := nn.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var w [2]int
	for i, layer := range []string{"0", "1"} {
		l1, ok1 := m.Node("/enc/layers." + layer + "/linear1/MatMul").Layer.(*nn.Linear)
		l2, ok2 := m.Node("/enc/layers." + layer + "/linear2/MatMul").Layer.(*nn.Linear)
		if !ok1 || !ok2 || l1.Out != l2.In || l1.In != 32 || l2.Out != 32 {
			t.Fatalf("%s: feed-forward block %s is %+v then %+v", path, layer, l1, l2)
		}
		w[i] = l1.Out
	}
	for _, n := range m.Nodes {
		if l, ok := n.Layer.(*nn.Linear); ok && !strings.Contains(n.Name, "/linear") {
			if want := map[string][2]int{"/emb/MatMul": {28, 32}, "/head/Gemm": {32, 10}}[n.Name]; want != [2]int{} && (l.In != want[0] || l.Out != want[1]) ||
				strings.Contains(n.Name, "self_attn/MatMul") && l.Out != 96 || strings.Contains(n.Name, "self_attn/Gemm") && l.Out != 32 {
				t.Errorf("%s: %s is %d -> %d", path, n.Name, l.In, l.Out)
			}
		}
	}
	return w
}

// TestPruneAdaptTransformer prunes and adapts the transformer fixture on
// synthetic digits: both say that they consider the feed-forward blocks'
// first linear layers and skip the others, run to completion and shrink
// the feed-forward width only.
func TestPruneAdaptTransformer(t *testing.T) {
	dir := t.TempDir()
	layers := "prunable layers (2): /enc/layers.0/linear1/MatMul, /enc/layers.1/linear1/MatMul\n" +
		"  skipping /emb/MatMul: nn: node \"/enc/layers.0/norm1/LayerNormalization\" (layernorm): cannot remove channels through layernorm (it normalises over them: the model dimension of a transformer is tied across its residual stream and is not pruned)\n" +
		"  skipping /enc/layers.0/self_attn/MatMul: nn: node \"/enc/layers.0/self_attn/Slice\" (slice): cannot remove channels through slice (attention heads are not pruned; the hidden width of a transformer's feed-forward blocks is)\n"

	pruned := filepath.Join(dir, "pruned.nnw")
	code, stdout, stderr := runNnergy(t, "prune", "--model", tfFixture, "--data", "synthetic", "--method", "magnitude",
		"--granularity", "filter", "--target", "sparsity=0.2", "--eval-images", "100", "--finetune-epochs", "0",
		"--workers", "2", "--out", pruned)
	if code != 0 {
		t.Fatalf("prune: exit %d: %s", code, stderr)
	}
	for _, want := range []string{layers, "remove 12 filters (10% of each layer)\n", "target sparsity=0.2 reached: ", "saved " + pruned} {
		if !strings.Contains(stdout, want) {
			t.Errorf("prune: stdout lacks %q:\n%s", want, stdout)
		}
	}
	if w := ffnWidths(t, pruned); w[0] >= 64 || w[1] >= 64 {
		t.Errorf("prune: feed-forward widths %v, want both below 64", w)
	}

	adapted := filepath.Join(dir, "adapted.nnw")
	code, stdout, stderr = runNnergy(t, "adapt", "--model", tfFixture, "--data", "synthetic", "--measure", "macs",
		"--budget", "macs=0.7", "--init-reduction", "0.1", "--select", "ratio", "--short-steps", "2", "--batch", "32",
		"--holdout", "200", "--eval-images", "100", "--long-epochs", "0", "--workers", "2", "--out", adapted)
	if code != 0 {
		t.Fatalf("adapt: exit %d: %s", code, stderr)
	}
	// The layer column fits the longest prunable layer's name.
	header := "iter  layer" + strings.Repeat(" ", len("/enc/layers.0/linear1/MatMul")-len("layer")) + "  removed  filters"
	for _, want := range []string{layers, header, "; budget met\n", "saved " + adapted + "\n"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("adapt: stdout lacks %q:\n%s", want, stdout)
		}
	}
	if regexp.MustCompile(`\n\s+\d+\s+/(emb|head|enc/layers\.\d/(self_attn|linear2))`).MatchString(stdout) {
		t.Errorf("adapt proposed a layer that cannot be pruned:\n%s", stdout)
	}
	// 30% of the MACs: 2·28·32 per hidden feature, of 584512.
	if w := ffnWidths(t, adapted); float64(2*28*32*(128-w[0]-w[1])) < 0.99*0.3*584512 {
		t.Errorf("adapt: feed-forward widths %v do not save 30%% of 584512 MACs", w)
	}
}
