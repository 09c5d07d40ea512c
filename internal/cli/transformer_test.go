package cli

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/nnergy/nnergy/measure"
	"github.com/nnergy/nnergy/nn"
)

// tfFixture is the PyTorch transformer encoder classifier (2 layers,
// d_model 32, feed-forward width 64, 28 tokens of 28 features).
var tfFixture = filepath.Join("..", "..", "nn", "onnx", "testdata", "tf_ln.onnx")

// widths reads a native model file (an ONNX export renames the linear
// layers over tokens: "X" becomes "X/matmul" on reimport) and returns the
// hidden width of its two feed-forward blocks and their numbers of heads,
// checking that linear2 reads what linear1 writes, that the output
// projection reads the heads left, and that the model dimension is intact.
func widths(t *testing.T, path string) (ffn, heads [2]int) {
	t.Helper()
	m, err := nn.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var w [2]int
	for i, layer := range []string{"0", "1"} {
		qkv, ok1 := m.Node("/enc/layers." + layer + "/self_attn/MatMul").Layer.(*nn.Linear)
		out, ok2 := m.Node("/enc/layers." + layer + "/self_attn/Gemm").Layer.(*nn.Linear)
		if !ok1 || !ok2 || qkv.Out%24 != 0 || out.In != qkv.Out/3 || qkv.In != 32 || out.Out != 32 {
			t.Fatalf("%s: attention block %s is %+v then %+v", path, layer, qkv, out)
		}
		heads[i] = qkv.Out / 24
		l1, ok1 := m.Node("/enc/layers." + layer + "/linear1/MatMul").Layer.(*nn.Linear)
		l2, ok2 := m.Node("/enc/layers." + layer + "/linear2/MatMul").Layer.(*nn.Linear)
		if !ok1 || !ok2 || l1.Out != l2.In || l1.In != 32 || l2.Out != 32 {
			t.Fatalf("%s: feed-forward block %s is %+v then %+v", path, layer, l1, l2)
		}
		w[i] = l1.Out
	}
	for name, want := range map[string][2]int{"/emb/MatMul": {28, 32}, "/head/Gemm": {32, 10}} {
		if l := m.Node(name).Layer.(*nn.Linear); l.In != want[0] || l.Out != want[1] {
			t.Errorf("%s: %s is %d -> %d", path, name, l.In, l.Out)
		}
	}
	return w, heads
}

// TestPruneAdaptTransformer prunes and adapts the transformer fixture on
// synthetic digits: both say that they consider the feed-forward blocks'
// first linear layers and skip the others, run to completion and shrink
// the feed-forward width only.
func TestPruneAdaptTransformer(t *testing.T) {
	dir := t.TempDir()
	skipping := "  skipping /emb/MatMul: nn: node \"/enc/layers.0/norm1/LayerNormalization\" (layernorm): cannot remove channels through layernorm (it normalises over them: the model dimension of a transformer is tied across its residual stream and is not pruned)\n" +
		"  skipping /enc/layers.0/self_attn/MatMul: nn: node \"/enc/layers.0/self_attn/Slice\" (slice): cannot remove channels through slice (attention is pruned by whole heads, at the product of queries and keys: see RemoveHeads)\n"

	pruned := filepath.Join(dir, "pruned.nnw")
	code, stdout, stderr := runNnergy(t, "prune", "--model", tfFixture, "--data", "synthetic", "--method", "magnitude",
		"--granularity", "filter", "--target", "sparsity=0.2", "--eval-images", "100", "--finetune-epochs", "0",
		"--workers", "2", "--out", pruned)
	if code != 0 {
		t.Fatalf("prune: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"prunable layers (2): /enc/layers.0/linear1/MatMul, /enc/layers.1/linear1/MatMul\n" + skipping,
		"  skipping /enc/layers.1/self_attn/MatMul_1: its attention heads are removed by nnergy adapt, not by filter pruning\n",
		"remove 12 filters (10% of each layer)\n", "target sparsity=0.2 reached: ", "saved " + pruned} {
		if !strings.Contains(stdout, want) {
			t.Errorf("prune: stdout lacks %q:\n%s", want, stdout)
		}
	}
	if w, h := widths(t, pruned); w[0] >= 64 || w[1] >= 64 || h != [2]int{4, 4} {
		t.Errorf("prune: feed-forward widths %v, heads %v, want both widths below 64 and 4 heads", w, h)
	}

	adapted := filepath.Join(dir, "adapted.nnw")
	code, stdout, stderr = runNnergy(t, "adapt", "--model", tfFixture, "--data", "synthetic", "--measure", "macs",
		"--budget", "macs=0.7", "--init-reduction", "0.1", "--select", "ratio", "--short-steps", "2", "--batch", "32",
		"--holdout", "200", "--eval-images", "100", "--finetune-epochs", "0", "--workers", "2", "--out", adapted)
	if code != 0 {
		t.Fatalf("adapt: exit %d: %s", code, stderr)
	}
	// The layer column fits the longest prunable layer's name.
	header := "iter  layer" + strings.Repeat(" ", len("/enc/layers.0/self_attn/MatMul_1")-len("layer")) + "  removed  filters"
	layers := "prunable layers (4): /enc/layers.0/self_attn/MatMul_1, /enc/layers.0/linear1/MatMul, /enc/layers.1/self_attn/MatMul_1, /enc/layers.1/linear1/MatMul\n"
	for _, want := range []string{layers + skipping, header, "; budget met\n", "saved " + adapted + "\n"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("adapt: stdout lacks %q:\n%s", want, stdout)
		}
	}
	if regexp.MustCompile(`\n\s+\d+\s+/(emb|head|enc/layers\.\d/(self_attn/(MatMul|Gemm)\s|linear2))`).MatchString(stdout) {
		t.Errorf("adapt proposed a layer that cannot be pruned:\n%s", stdout)
	}
	w, h := widths(t, adapted)
	m, err := nn.LoadFile(adapted)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := measure.Count{}.Measure(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	// Each hidden feature is 2·28·32 MACs, each head 28·32·24 + 28·8·32
	// + 2·28·28·8.
	if saved := 584512 - ms.Total.MACs; float64(ms.Total.MACs) > 1.01*0.7*584512 || saved != int64(2*28*32*(128-w[0]-w[1])+41216*(8-h[0]-h[1])) {
		t.Errorf("adapt: feed-forward widths %v and heads %v leave %d MACs of 584512", w, h, ms.Total.MACs)
	}
}
