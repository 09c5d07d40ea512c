package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// The ONNX corpus test runs `nnergy show` and `nnergy eval` on real ONNX
// files exported from PyTorch and torchvision by scripts/onnx-corpus/make.py
// (through scripts/fetch-onnx-corpus.sh, which prints the corpus
// directory), and checks them against the MACs that make.py counted from
// each graph in Python, written beside every MODEL.onnx as MODEL.json. It
// runs when NNERGY_ONNX_CORPUS names that directory and skips otherwise,
// unless NNERGY_REQUIRE_ONNX_CORPUS is set (as .ci/run does), when it fails.
//
// Per file, in order (a refused file stops after the first):
//
//	accepted        `show FILE` succeeds
//	layers          every Conv, ConvTranspose, Gemm, MatMul, Einsum, LSTM
//	                and GRU node is a layer, and every layer is one of them
//	macs/batch=1    `show FILE` MACs per node equal the count at batch 1
//	macs/batch=4    `show FILE --batch 4` equal the count at batch 4, or
//	                show refuses, which is right only when the file does not
//	                mark its batch axis (a static batch)
//	eval=show/batch=1, eval=show/batch=4
//	                `eval --model FILE --batch B` has the layers and MACs of
//	                `show FILE --batch B` (per layer and in total)
//
// A node's layers are the layers named after it: its name, or its name
// followed by "/" and more, for nodes an importer splits into several
// layers (an LSTM per gate product or time step).

// corpusKnown lists the checks that fail today, as "MODEL/CHECK" ->
// reason, each a defect being fixed (none today: every check of the full
// corpus passes). A listed check
// that fails is logged, not failed; a listed check that passes fails the
// test, so that the entry is removed when the fix lands. Entries name
// models of the full corpus too (scripts/fetch-onnx-corpus.sh without
// --small); checks of files not in the corpus are not run.
var corpusKnown = map[string]string{}

// corpusChecks are the check names that corpusKnown may use.
var corpusChecks = []string{"accepted", "layers", "macs/batch=1", "macs/batch=4", "eval=show/batch=1", "eval=show/batch=4"}

// corpusFile is the JSON that make.py writes beside each ONNX file.
type corpusFile struct {
	File              string `json:"file"`
	Model             string `json:"model"`
	Opset             int    `json:"opset"`
	DynamicBatch      bool   `json:"dynamic_batch"`
	ExportBatch       int    `json:"export_batch"`
	BatchIdentifiable bool   `json:"batch_identifiable"`
	Inputs            []struct {
		Name        string `json:"name"`
		BatchAxis   int    `json:"batch_axis"`
		BatchSymbol string `json:"batch_symbol"`
	} `json:"inputs"`
	Nodes []struct {
		Name       string `json:"name"`
		Op         string `json:"op"`
		MACsBatch1 int64  `json:"macs_batch1"`
		MACsBatch4 int64  `json:"macs_batch4"`
	} `json:"nodes"`
	TotalMACsBatch1 int64 `json:"total_macs_batch1"`
	TotalMACsBatch4 int64 `json:"total_macs_batch4"`
}

// macs returns the count of node i at the given batch (1 or 4).
func (f *corpusFile) macs(i, batch int) int64 {
	if batch == 1 {
		return f.Nodes[i].MACsBatch1
	}
	return f.Nodes[i].MACsBatch4
}

func (f *corpusFile) total(batch int) int64 {
	if batch == 1 {
		return f.TotalMACsBatch1
	}
	return f.TotalMACsBatch4
}

// corpusReport is the part of the JSON of `show` and `eval` that the test
// reads: the layers' names and MACs, and the total MACs.
type corpusReport struct {
	Layers []struct {
		Name string `json:"name"`
		MACs int64  `json:"macs"`
	} `json:"layers"`
	Total struct {
		MACs int64 `json:"macs"`
	} `json:"total"`
}

// corpusDir returns the corpus directory, skipping t (or failing it under
// NNERGY_REQUIRE_ONNX_CORPUS) when NNERGY_ONNX_CORPUS is not set.
func corpusDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("NNERGY_ONNX_CORPUS")
	if dir == "" {
		why := "NNERGY_ONNX_CORPUS is not set; make the corpus with scripts/fetch-onnx-corpus.sh --small and set NNERGY_ONNX_CORPUS to the directory it prints"
		if os.Getenv("NNERGY_REQUIRE_ONNX_CORPUS") != "" {
			t.Fatalf("ONNX corpus required (NNERGY_REQUIRE_ONNX_CORPUS) but %s", why)
		}
		t.Skipf("skipping the ONNX corpus test: %s", why)
	}
	return dir
}

func TestONNXCorpus(t *testing.T) {
	for key := range corpusKnown {
		i := strings.Index(key, "/")
		if i < 0 || !slices.Contains(corpusChecks, key[i+1:]) {
			t.Errorf("corpusKnown entry %q: want MODEL/CHECK with CHECK one of %s", key, strings.Join(corpusChecks, ", "))
		}
	}
	dir := corpusDir(t)
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("NNERGY_ONNX_CORPUS: %v", err)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("NNERGY_ONNX_CORPUS=%s has no .onnx files", dir)
	}
	sort.Strings(files)
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".onnx")
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(strings.TrimSuffix(path, ".onnx") + ".json")
			if err != nil {
				t.Fatalf("the count of %s: %v", path, err)
			}
			var want corpusFile
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatalf("the count of %s: %v", path, err)
			}
			if len(want.Nodes) == 0 {
				t.Fatalf("the count of %s lists no MAC node", path)
			}
			checkCorpusFile(t, name, path, &want)
		})
	}
}

// corpusCheck runs one named check of model as a subtest: problems is what
// is wrong. It applies corpusKnown and reports whether the check passed.
func corpusCheck(t *testing.T, model, check string, problems func(t *testing.T) []string) bool {
	ok := true
	t.Run(check, func(t *testing.T) {
		ps := problems(t)
		ok = len(ps) == 0
		key := model + "/" + check
		reason, known := corpusKnown[key]
		switch {
		case known && ok:
			t.Errorf("passes, but corpusKnown lists it as failing (%s): remove %q from corpusKnown", reason, key)
		case known:
			t.Logf("known failure, issue #10: %s\n%s", reason, corpusLines(ps))
		case !ok:
			t.Error(corpusLines(ps))
		}
	})
	return ok
}

// batchArgs returns the flags that load a file at batch: --batch, except for
// a file whose batch cannot be told apart, which loads at its own shapes
// without it (and refuses any --batch).
func (f *corpusFile) batchArgs(batch int) []string {
	if !f.BatchIdentifiable && batch == f.ExportBatch {
		return nil
	}
	return []string{"--batch", fmt.Sprint(batch)}
}

func checkCorpusFile(t *testing.T, model, path string, want *corpusFile) {
	show1, err := corpusRun(append([]string{"show", path, "--format", "json"}, want.batchArgs(1)...)...)
	if !corpusCheck(t, model, "accepted", func(*testing.T) []string {
		if err != nil {
			return []string{fmt.Sprintf("refused: %v", err)}
		}
		return nil
	}) {
		return
	}
	corpusCheck(t, model, "layers", func(*testing.T) []string { return corpusLayers(want, show1) })
	shows := map[int]*corpusReport{1: show1}
	for _, batch := range []int{1, 4} {
		check := fmt.Sprintf("macs/batch=%d", batch)
		corpusCheck(t, model, check, func(t *testing.T) []string {
			show := shows[batch]
			if show == nil {
				s, err := corpusRun(append([]string{"show", path, "--format", "json"}, want.batchArgs(batch)...)...)
				if err != nil {
					if !want.BatchIdentifiable {
						t.Logf("refused at batch %d, right for a file whose batch is static (%v)", batch, err)
						return nil
					}
					return []string{fmt.Sprintf("refused at batch %d, but the file marks its batch axis: %v", batch, err)}
				}
				shows[batch], show = s, s
			}
			return corpusMACs(want, show, batch)
		})
	}
	for _, batch := range []int{1, 4} {
		check := fmt.Sprintf("eval=show/batch=%d", batch)
		corpusCheck(t, model, check, func(t *testing.T) []string {
			eval, err := corpusRun(append([]string{"eval", "--model", path, "--format", "json"}, want.batchArgs(batch)...)...)
			show := shows[batch]
			switch {
			case err != nil && show == nil:
				t.Logf("eval and show both refuse batch %d", batch)
				return nil
			case err != nil:
				return []string{fmt.Sprintf("eval refuses batch %d, show accepts it: %v", batch, err)}
			case show == nil:
				return []string{fmt.Sprintf("eval accepts batch %d (%d MACs, %.3f of the count), show refuses it", batch, eval.Total.MACs, ratio(eval.Total.MACs, want.total(batch)))}
			}
			return corpusSame(eval, show, want.total(batch))
		})
	}
}

// corpusLines joins problems, at most 12 of them: the last line (a total)
// and the first 11.
func corpusLines(ps []string) string {
	const most = 12
	if len(ps) <= most {
		return strings.Join(ps, "\n")
	}
	return strings.Join(ps[:most-1], "\n") + fmt.Sprintf("\n... %d more\n", len(ps)-most) + ps[len(ps)-1]
}

// corpusRun runs nnergy with args and decodes its JSON output.
func corpusRun(args ...string) (*corpusReport, error) {
	var out, errOut strings.Builder
	if code := Main(args, strings.NewReader(""), &out, &errOut); code != 0 {
		msg := strings.TrimSpace(errOut.String())
		// The list of supported ops that follows an unsupported one is long.
		if i := strings.Index(msg, " (supported: "); i >= 0 {
			msg = msg[:i] + " (supported: ...)"
		}
		return nil, fmt.Errorf("nnergy %s: exit %d: %s", strings.Join(args, " "), code, msg)
	}
	var r corpusReport
	if err := json.Unmarshal([]byte(out.String()), &r); err != nil {
		return nil, fmt.Errorf("nnergy %s: %v", strings.Join(args, " "), err)
	}
	return &r, nil
}

// corpusOwner returns the index of the node that layer is named after, or
// -1.
func corpusOwner(want *corpusFile, index map[string]int, layer string) int {
	if i, ok := index[layer]; ok {
		return i
	}
	for j := len(layer) - 1; j > 0; j-- {
		if layer[j] == '/' {
			if i, ok := index[layer[:j]]; ok {
				return i
			}
		}
	}
	return -1
}

func corpusIndex(want *corpusFile) map[string]int {
	index := make(map[string]int, len(want.Nodes))
	for i, n := range want.Nodes {
		index[n.Name] = i
	}
	return index
}

// corpusLayers checks that every MAC node has a layer and every layer a
// node.
func corpusLayers(want *corpusFile, got *corpusReport) []string {
	index := corpusIndex(want)
	has := make([]bool, len(want.Nodes))
	var ps []string
	for _, l := range got.Layers {
		if i := corpusOwner(want, index, l.Name); i >= 0 {
			has[i] = true
		} else {
			ps = append(ps, fmt.Sprintf("layer %q is no Conv, ConvTranspose, Gemm, MatMul, Einsum, LSTM or GRU node", l.Name))
		}
	}
	missing := map[string][]string{}
	for i, n := range want.Nodes {
		if !has[i] {
			missing[n.Op] = append(missing[n.Op], n.Name)
		}
	}
	ops := make([]string, 0, len(missing))
	for op := range missing {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	for _, op := range ops {
		ps = append(ps, fmt.Sprintf("%d %s nodes are no layer: %s", len(missing[op]), op, strings.Join(missing[op], ", ")))
	}
	return ps
}

// corpusMACs checks the MACs of every node's layers, and the total, against
// the count at batch. Nodes without layers are the layers check's concern.
func corpusMACs(want *corpusFile, got *corpusReport, batch int) []string {
	index := corpusIndex(want)
	sum := make([]int64, len(want.Nodes))
	has := make([]bool, len(want.Nodes))
	for _, l := range got.Layers {
		if i := corpusOwner(want, index, l.Name); i >= 0 {
			sum[i] += l.MACs
			has[i] = true
		}
	}
	var ps []string
	for i, n := range want.Nodes {
		if has[i] && sum[i] != want.macs(i, batch) {
			ps = append(ps, fmt.Sprintf("%s (%s): %d MACs, want %d (%.3f)", n.Name, n.Op, sum[i], want.macs(i, batch), ratio(sum[i], want.macs(i, batch))))
		}
	}
	if len(ps) > 0 || got.Total.MACs != want.total(batch) {
		ps = append(ps, fmt.Sprintf("total at batch %d: %d MACs, want %d (%.3f)", batch, got.Total.MACs, want.total(batch), ratio(got.Total.MACs, want.total(batch))))
	}
	return ps
}

// corpusSame checks that eval has show's layers, MACs and total.
func corpusSame(eval, show *corpusReport, truth int64) []string {
	var ps []string
	if len(eval.Layers) != len(show.Layers) {
		ps = append(ps, fmt.Sprintf("eval has %d layers, show %d", len(eval.Layers), len(show.Layers)))
	}
	for i := range min(len(eval.Layers), len(show.Layers)) {
		e, s := eval.Layers[i], show.Layers[i]
		if e.Name != s.Name || e.MACs != s.MACs {
			ps = append(ps, fmt.Sprintf("layer %d: eval %q %d MACs, show %q %d MACs", i, e.Name, e.MACs, s.Name, s.MACs))
		}
	}
	if len(ps) > 0 || eval.Total.MACs != show.Total.MACs {
		ps = append(ps, fmt.Sprintf("total: eval %d MACs (%.3f of the count), show %d (%.3f)",
			eval.Total.MACs, ratio(eval.Total.MACs, truth), show.Total.MACs, ratio(show.Total.MACs, truth)))
	}
	return ps
}

func ratio(got, want int64) float64 {
	if want == 0 {
		return 0
	}
	return float64(got) / float64(want)
}
