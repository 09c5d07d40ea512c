package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// batchDir holds the ONNX fixtures of scripts/onnx-fixtures/batch.py and
// their MACs, counted from ONNX shape inference (never by nnergy).
const batchDir = "../../workload/onnx/testdata/batch"

type batchCount struct {
	File         string         `json:"file"`
	Identifiable bool           `json:"identifiable"`
	Dims         map[string]int `json:"dims"`
	Batches      map[string]struct {
		Layers []struct {
			Node string `json:"node"`
			MACs int64  `json:"macs"`
		} `json:"layers"`
		Total int64 `json:"total"`
	} `json:"batches"`
}

// TestBatchONNX: show and eval of every batch fixture agree with each
// other and with the independent count, at the file's own batch without
// --batch and at --batch 4 where the batch can be told apart; elsewhere
// --batch is refused with the reason. Before the fix eval rescaled every
// layer's N to --batch (1 by default): the encoders came out at 0.61x
// (batch-first) and the sequence-first ones at 0.21x of their MACs, and
// eval and show disagreed on the CNN exported at batch 2.
func TestBatchONNX(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(batchDir, "*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures in %s: %v", batchDir, err)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var f batchCount
		if err := json.Unmarshal(b, &f); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		var own []int
		for k := range f.Batches {
			n, _ := strconv.Atoi(k)
			own = append(own, n)
		}
		sort.Ints(own)
		model := filepath.Join(batchDir, f.File)
		var dims []string
		for name, v := range f.Dims {
			dims = append(dims, "--dim", fmt.Sprintf("%s=%d", name, v))
		}
		for _, batch := range []int{0, 4} {
			t.Run(fmt.Sprintf("%s/batch=%d", f.File, batch), func(t *testing.T) {
				args := dims
				at := own[0]
				if batch > 0 {
					args = append(args, "--batch", strconv.Itoa(batch))
					at = batch
				}
				want, ok := f.Batches[strconv.Itoa(at)]
				code, out, errOut := runNnergy(t, append([]string{"show", model, "--format", "json"}, args...)...)
				codeE, outE, errE := runNnergy(t, append([]string{"eval", "--model", model, "--format", "json"}, args...)...)
				if !ok {
					for _, r := range []struct {
						code   int
						stderr string
					}{{code, errOut}, {codeE, errE}} {
						if r.code != 1 || !strings.Contains(r.stderr, "nnergy: onnx: "+model+": cannot import at batch 4: graph input \"src\"") ||
							!strings.Contains(r.stderr, "its batch cannot be told apart") {
							t.Errorf("exit %d, stderr %q; want a refusal naming the file and the input", r.code, r.stderr)
						}
					}
					return
				}
				if code != 0 || codeE != 0 {
					t.Fatalf("show exit %d: %s; eval exit %d: %s", code, errOut, codeE, errE)
				}
				var show struct {
					Batch        int  `json:"batch"`
					BatchUnknown bool `json:"batch_unknown"`
					Layers       []struct {
						Name string `json:"name"`
						MACs int64  `json:"macs"`
					} `json:"layers"`
					Total struct {
						MACs int64 `json:"macs"`
					} `json:"total"`
				}
				var eval struct {
					Batch        int  `json:"batch"`
					BatchUnknown bool `json:"batch_unknown"`
					Total        struct {
						MACs int64 `json:"macs"`
					} `json:"total"`
				}
				if err := json.Unmarshal([]byte(out), &show); err != nil {
					t.Fatal(err)
				}
				if err := json.Unmarshal([]byte(outE), &eval); err != nil {
					t.Fatal(err)
				}
				if show.Total.MACs != want.Total || eval.Total.MACs != want.Total {
					t.Errorf("show %d MACs (%.2fx), eval %d MACs (%.2fx), want %d", show.Total.MACs, float64(show.Total.MACs)/float64(want.Total),
						eval.Total.MACs, float64(eval.Total.MACs)/float64(want.Total), want.Total)
				}
				if len(show.Layers) != len(want.Layers) {
					t.Fatalf("show: %d layers, want %d", len(show.Layers), len(want.Layers))
				}
				for i, l := range show.Layers {
					if w := want.Layers[i]; l.Name != w.Node || l.MACs != w.MACs {
						t.Errorf("show: layer %s %d MACs, want %s %d", l.Name, l.MACs, w.Node, w.MACs)
					}
				}
				wantBatch := at
				if !f.Identifiable {
					wantBatch = 1 // one pass over the file's own shapes
				}
				if show.Batch != wantBatch || eval.Batch != wantBatch || show.BatchUnknown == f.Identifiable || eval.BatchUnknown == f.Identifiable {
					t.Errorf("show batch %d (unknown %v), eval batch %d (unknown %v); want %d (unknown %v)",
						show.Batch, show.BatchUnknown, eval.Batch, eval.BatchUnknown, wantBatch, !f.Identifiable)
				}
			})
		}
	}
}

// TestBatchONNXTranscript pins what show and eval print about an ONNX file's batch
// and inputs, and the errors of --batch, --dim and --input-shape.
func TestBatchONNXTranscript(t *testing.T) {
	m := func(name string) string { return filepath.Join(batchDir, name+".onnx") }
	cases := [][]string{
		{"show", m("enc_sf_dyn")},
		{"show", m("enc_sf_dyn"), "--batch", "4"},
		{"show", m("enc_bf_b3")},
		{"show", m("enc_bf_b3"), "--batch", "4"},
		{"show", m("enc_sf_b1"), "--batch", "1"},
		{"show", m("cnn_b2")},
		{"show", m("cnn_b2"), "--batch", "4"},
		{"show", m("enc_bf_seq"), "--batch", "2", "--dim", "seq=8"},
		{"show", m("enc_bf_seq"), "--input-shape", "src=2x8x16"},
		{"show", m("enc_bf_seq")},
		{"show", m("enc_bf_seq"), "--dim", "seq=8", "--dim", "len=3"},
		{"show", m("enc_bf_seq"), "--dim", "seq"},
		{"show", m("enc_bf_seq"), "--dim", "batch=2"},
		{"show", m("enc_bf_seq"), "--input-shape", "x=1x8x16"},
		{"show", m("enc_bf_seq"), "--input-shape", "src=1x8"},
		{"show", m("enc_bf_seq"), "--input-shape", "src=1x8x15"},
		{"show", m("enc_bf_seq"), "--input-shape", "src=1xx16"},
		{"show", "alexnet", "--dim", "seq=8"},
		{"eval", "--model", m("enc_sf_b3")},
		{"eval", "--model", m("enc_sf_b3"), "--batch", "2"},
		{"mapspace", "--model", m("enc_sf_dyn"), "--layer", "/layers.0/self_attn/MatMul_1", "--batch", "4"},
		{"mapspace", "--model", m("enc_bf_b1"), "--layer", "/layers.0/linear1/MatMul", "--batch", "4"},
		{"compare", "--model", m("enc_sf_b1"), "--batch", "4"},
	}
	var b strings.Builder
	for _, args := range cases {
		code, out, errOut := runNnergy(t, args...)
		if code == 0 {
			// The header, and the bounds of mapspace.
			lines := strings.SplitAfter(out, "\n")
			out = strings.Join(lines[:min(len(lines), map[string]int{"mapspace": 9}[args[0]]+1)], "")
		}
		fmt.Fprintf(&b, "$ nnergy %s\nexit %d\n%s%s\n", strings.Join(args, " "), code, out, errOut)
	}
	checkGolden(t, "batch_onnx.golden", b.String())
}
