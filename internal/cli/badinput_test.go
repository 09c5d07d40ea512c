package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nnergy/nnergy/nn"
	"github.com/nnergy/nnergy/nn/data"
	"github.com/nnergy/nnergy/nn/zoo"
)

// alexnetConv1Map maps AlexNet's conv1 on eyeriss, valid.
const alexnetConv1Map = `DRAM keep Weights Inputs Outputs
  for P in [0:5)
  for M in [0:3)
GLB keep Inputs
  for P in [0:11)
  for Q in [0:55)
  spatial-x M in [0:2)
  spatial-x C in [0:3)
  spatial-y R in [0:11)
RF keep Weights Inputs Outputs
  for M in [0:16)
  for S in [0:11)
`

// badInputAllocBound is what TestBadInputs lets a bad input allocate
// before it is refused.
const badInputAllocBound = 256 << 20

// badCase is one bad input: the command that reads it and what its error
// must name (a file, with its line where the format has lines, or a flag).
type badCase struct {
	label string
	args  []string
	// name must occur in stderr: the file's base name or the flag.
	name string
	// line: the format has lines, and the error names one (name:N).
	line bool
}

// badFiles writes the mutations of valid files into a directory.
type badFiles struct {
	t     *testing.T
	dir   string
	cases []badCase
}

func (b *badFiles) write(name string, data []byte) string {
	b.t.Helper()
	p := filepath.Join(b.dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		b.t.Fatal(err)
	}
	return p
}

// hasLine reports whether the error for a YAML mutation names a line: an
// empty document has none.
func hasLine(tag string) bool {
	return tag != "empty" && tag != "comments-only"
}

func (b *badFiles) add(label string, line bool, name string, args ...string) {
	b.cases = append(b.cases, badCase{label: label, args: args, name: name, line: line})
}

// garbage returns n bytes of deterministic binary noise, NULs included.
func garbage(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	g := make([]byte, n)
	for i := range g {
		g[i] = byte(r.UintN(256))
	}
	g[0], g[n/2] = 0, 0xff
	return g
}

// yamlMutations returns the common bad versions of a valid YAML text:
// each is an error whatever the reader.
func yamlMutations(valid string) []struct{ tag, text string } {
	lines := strings.SplitAfter(valid, "\n")
	first := ""
	for _, l := range lines {
		if l != "" && !strings.HasPrefix(l, "#") && !strings.HasPrefix(l, " ") && strings.Contains(l, ":") {
			first = l
			break
		}
	}
	return []struct{ tag, text string }{
		// An empty document has no line to name: hasLine is false for it.
		{"empty", ""},
		{"comments-only", "# nothing here\n"},
		{"truncated-mid-token", valid[:strings.LastIndex(valid, ":")+1] + " [1, 2"},
		{"non-utf8", strings.Replace(valid, "name: ", "name: \xff\xfe", 1)},
		{"duplicate-key", valid + first},
		{"unknown-key", valid + "bogus_key: 1\n"},
		{"tab-indent", strings.Replace(valid, "\n  ", "\n\t", 1)},
		{"binary", string(garbage(uint64(len(valid)), 300))},
		{"top-level-list", "- 1\n- 2\n"},
	}
}

// TestBadInputs gives every reader of nnergy (architecture, workload,
// constraints and sweep YAML, mapping text, IDX, native model files, ONNX,
// checkpoints, histories and the flag-value parsers) over a hundred bad
// inputs made from valid ones: truncated, not UTF-8, duplicate keys, wrong
// types, negative, zero and huge numbers, unknown keys, empty files and
// binary garbage. Each must be refused with exit 1 or 2, no panic, a
// message naming the file (and line) or the flag, and no file written; the
// transcript is in testdata/bad_inputs.golden.
func TestBadInputs(t *testing.T) {
	if testing.Short() {
		t.Skip("runs one short adapt for its checkpoint")
	}
	dir := t.TempDir()
	b := &badFiles{t: t, dir: dir}
	read := func(p string) []byte {
		t.Helper()
		x, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}

	// Architecture YAML.
	arch := string(read("../../arch/presets/eyeriss.yaml"))
	archMut := yamlMutations(arch)
	archMut = append(archMut, []struct{ tag, text string }{
		{"clock-string", strings.Replace(arch, "clock_mhz: 200", "clock_mhz: fast", 1)},
		{"clock-negative", strings.Replace(arch, "clock_mhz: 200", "clock_mhz: -200", 1)},
		{"clock-zero", strings.Replace(arch, "clock_mhz: 200", "clock_mhz: 0", 1)},
		{"size-negative", strings.Replace(arch, "size_words: 55296", "size_words: -1", 1)},
		{"size-huge", strings.Replace(arch, "size_words: 55296", "size_words: 1e40", 1)},
		{"size-list", strings.Replace(arch, "size_words: 55296", "size_words: [1, 2]", 1)},
		{"mesh-zero", strings.Replace(arch, "mesh: [14, 12]", "mesh: [0, 12]", 1)},
		{"mesh-huge", strings.Replace(arch, "mesh: [14, 12]", "mesh: [99999999999, 99999999999]", 1)},
		{"word-bits-zero", strings.Replace(arch, "word_bits: 16", "word_bits: 0", 1)},
		{"bandwidth-negative", strings.Replace(arch, "bandwidth_words: 13", "bandwidth_words: -13", 1)},
		{"keeps-unknown-tensor", strings.Replace(arch, "keeps: [Weights, Inputs, Outputs]", "keeps: [Weights, Bias]", 1)},
		{"levels-map", strings.Replace(arch, "levels:\n", "levels: 3\nx:\n", 1)},
	}...)
	for _, m := range archMut {
		p := b.write("arch/"+m.tag+".yaml", []byte(m.text))
		b.add("arch "+m.tag, hasLine(m.tag), m.tag+".yaml", "eval", "--model", "lenet5", "--arch", p)
	}

	// Workload YAML.
	wl := string(read("../../examples/workloads/tiny.yaml"))
	wlMut := yamlMutations(wl)
	wlMut = append(wlMut, []struct{ tag, text string }{
		{"channels-string", strings.Replace(wl, "in_channels: 3\n", "in_channels: three\n", 1)},
		{"channels-negative", strings.Replace(wl, "in_channels: 3\n", "in_channels: -3\n", 1)},
		{"channels-zero", strings.Replace(wl, "out_channels: 16", "out_channels: 0", 1)},
		{"channels-huge", strings.Replace(wl, "out_channels: 16", "out_channels: 1e30", 1)},
		{"kernel-bigger-than-input", strings.Replace(wl, "kernel: [3, 3]\n    padding: [1, 1] ", "kernel: [99, 99]\n    padding: [0, 0] ", 1)},
		{"kind-unknown", strings.Replace(wl, "kind: conv", "kind: transformer", 1)},
		{"from-missing", strings.Replace(wl, "from: [conv1]", "from: [conv9]", 1)},
		{"density-above-one", strings.Replace(wl, "density: {Weights: 0.5}", "density: {Weights: 1.5}", 1)},
		{"bits-negative", strings.Replace(wl, "bits: {Weights: 8}", "bits: {Weights: -8}", 1)},
		{"bounds-unknown-dim", strings.Replace(wl, "bounds: {M: 32,", "bounds: {Z: 4, M: 32,", 1)},
		{"duplicate-layer", strings.Replace(wl, "name: dw2", "name: conv1", 1)},
		{"version-2", strings.Replace(wl, "version: 1", "version: 2", 1)},
	}...)
	for _, m := range wlMut {
		p := b.write("workload/"+m.tag+".yaml", []byte(m.text))
		b.add("workload "+m.tag, hasLine(m.tag), m.tag+".yaml", "eval", "--model", p)
	}

	// Constraints YAML, the example of docs/format/constraints.md.
	md := read("../../docs/format/constraints.md")
	cm := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindSubmatch(md)
	if cm == nil {
		t.Fatal("no YAML example in docs/format/constraints.md")
	}
	cons := string(cm[1])
	consMut := yamlMutations(cons)
	consMut = append(consMut, []struct{ tag, text string }{
		{"utilization-above-one", strings.Replace(cons, "min_utilization: 0.5", "min_utilization: 7", 1)},
		{"utilization-string", strings.Replace(cons, "min_utilization: 0.5", "min_utilization: half", 1)},
		{"factor-zero", strings.Replace(cons, "factors: {S: 3}", "factors: {S: 0}", 1)},
		{"factor-negative", strings.Replace(cons, "factors: {S: 3}", "factors: {S: -3}", 1)},
		{"unknown-dim", strings.Replace(cons, "temporal: [C, Q, P, N]", "temporal: [C, Q, P, Z]", 1)},
		{"unknown-level", strings.Replace(cons, "name: GLB", "name: L2", 1)},
		{"spatial-axis-z", strings.Replace(cons, "spatial: {R: y}", "spatial: {R: z}", 1)},
	}...)
	for _, m := range consMut {
		p := b.write("constraints/"+m.tag+".yaml", []byte(m.text))
		b.add("constraints "+m.tag, hasLine(m.tag), m.tag+".yaml", "map", "--layer", "conv3", "--constraints", p, "--max-evals", "50", "--workers", "1", "--progress", "never")
	}

	// Sweep YAML.
	sw := string(read("testdata/sweep/small.yaml"))
	swMut := yamlMutations(sw)
	swMut = append(swMut, []struct{ tag, text string }{
		{"batch-zero", strings.Replace(sw, "batches: [1, 2]", "batches: [0, 2]", 1)},
		{"batch-negative", strings.Replace(sw, "batches: [1, 2]", "batches: [-1, 2]", 1)},
		{"batch-huge", strings.Replace(sw, "batches: [1, 2]", "batches: [1e30]", 1)},
		{"max-evals-negative", strings.Replace(sw, "max_evaluations: 200", "max_evaluations: -200", 1)},
		{"values-empty", strings.Replace(sw, "values: [energy, latency]", "values: []", 1)},
		{"key-unknown", strings.Replace(sw, "levels.GLB.size_words", "levels.L9.size_words", 1)},
		{"zip-unequal", strings.Replace(sw, "values: [2, 6, 12]", "values: [2, 6]", 1)},
		{"network-unknown", strings.Replace(sw, "networks: [lenet5]", "networks: [nonet]", 1)},
		{"expr-bad", strings.Replace(sw, `expr: "x * y"`, `expr: "x * * y"`, 1)},
	}...)
	for _, m := range swMut {
		p := b.write("sweep/"+m.tag+".yaml", []byte(m.text))
		b.add("sweep "+m.tag, hasLine(m.tag), m.tag+".yaml", "sweep", p, "--list")
	}

	// Mapping text, conv1 of AlexNet on eyeriss.
	conv1 := alexnetConv1Map
	for _, m := range []struct{ tag, text string }{
		{"empty", ""},
		{"truncated", conv1[:strings.Index(conv1, "[0:11)")+3]},
		{"non-utf8", strings.Replace(conv1, "GLB keep", "GL\xffB keep", 1)},
		{"duplicate-level", conv1 + "RF keep Weights\n  for C in [0:1)\n"},
		{"factor-word", strings.Replace(conv1, "[0:5)", "[0:five)", 1)},
		{"factor-negative", strings.Replace(conv1, "[0:5)", "[0:-5)", 1)},
		{"factor-zero", strings.Replace(conv1, "[0:5)", "[0:0)", 1)},
		{"factor-huge", strings.Replace(conv1, "[0:5)", "[0:99999999999999999999)", 1)},
		{"unknown-keyword", strings.Replace(conv1, "spatial-y R", "spatial-z R", 1)},
		{"unknown-dim", strings.Replace(conv1, "for S in", "for Z in", 1)},
		{"unknown-tensor", strings.Replace(conv1, "GLB keep Inputs", "GLB keep Biases", 1)},
		{"binary", string(garbage(7, 200))},
	} {
		p := b.write("mapping/"+m.tag+".map", []byte(m.text))
		b.add("mapping "+m.tag, m.tag != "empty", m.tag+".map", "eval", "--layer", "conv1", "--mapping", p)
	}

	// IDX: four valid files of ten images, then one mutated at a time.
	idx := func(dims []int, fill byte) []byte {
		n := 1
		for _, d := range dims {
			n *= d
		}
		var w bytes.Buffer
		if err := data.WriteIDX(&w, &data.IDX{Dims: dims, Data: bytes.Repeat([]byte{fill}, n)}); err != nil {
			t.Fatal(err)
		}
		return w.Bytes()
	}
	images, labels := idx([]int{10, 28, 28}, 7), idx([]int{10}, 3)
	for _, m := range []struct {
		tag  string
		file string
		data []byte
	}{
		{"empty", "train-images-idx3-ubyte", nil},
		{"truncated-header", "train-images-idx3-ubyte", images[:6]},
		{"truncated-values", "train-images-idx3-ubyte", images[:len(images)/2]},
		{"float-type", "train-images-idx3-ubyte", append([]byte{0, 0, 0x0d}, images[3:]...)},
		{"bad-magic", "train-images-idx3-ubyte", append([]byte{'P', 'K'}, images[2:]...)},
		{"zero-dims", "train-images-idx3-ubyte", []byte{0, 0, 8, 0}},
		{"huge-dims", "train-images-idx3-ubyte", append([]byte{0, 0, 8, 3, 0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 28, 0, 0, 0, 28}, images[16:]...)},
		{"labels-count", "train-labels-idx1-ubyte", idx([]int{9}, 3)},
		{"label-range", "train-labels-idx1-ubyte", idx([]int{10}, 200)},
		{"image-shape", "t10k-images-idx3-ubyte", idx([]int{10, 5, 5}, 7)},
		{"binary", "t10k-labels-idx1-ubyte", garbage(11, 64)},
		{"bad-gzip", "train-images-idx3-ubyte.gz", append([]byte{0x1f, 0x8b}, garbage(12, 40)...)},
	} {
		sub := "idx/" + m.tag + "/"
		for i, f := range []string{"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"} {
			if f == strings.TrimSuffix(m.file, ".gz") {
				continue
			}
			b.write(sub+f, [][]byte{images, labels, images, labels}[i])
		}
		b.write(sub+m.file, m.data)
		b.add("idx "+m.tag, false, m.file, "train", "--model", "lenet5", "--data", "mnist", "--data-dir", filepath.Join(dir, sub),
			"--epochs", "1", "--out", filepath.Join(dir, sub, "out.nnw"))
	}

	// Native model files (.nnw), from LeNet-5 saved here.
	var nnw bytes.Buffer
	if err := nn.Save(&nnw, zoo.LeNet5()); err != nil {
		t.Fatal(err)
	}
	model := nnw.Bytes()
	for _, m := range []struct {
		tag  string
		data []byte
	}{
		{"empty", nil},
		{"magic-only", model[:8]},
		{"truncated-header", model[:len(model)/50]},
		{"truncated-weights", model[:len(model)-100]},
		{"trailing-bytes", append(slices.Clone(model), 1, 2, 3)},
		{"binary", garbage(13, 4096)},
		{"text", []byte("version: 1\nname: x\n")},
	} {
		p := b.write("nnw/"+m.tag+".nnw", m.data)
		b.add("nnw "+m.tag, false, m.tag+".nnw", "eval", "--model", p)
	}

	// ONNX.
	onnxModel := read("../../workload/onnx/testdata/tiny_cnn.onnx")
	for _, m := range []struct {
		tag  string
		data []byte
	}{
		{"empty", nil},
		{"truncated-half", onnxModel[:len(onnxModel)/2]},
		{"truncated-17", onnxModel[:17]},
		{"binary", garbage(14, 2048)},
		{"text", []byte("version: 1\nname: x\n")},
		{"huge-length", []byte{0x3a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x0a}},
		{"trailing-garbage", append(slices.Clone(onnxModel), garbage(15, 33)...)},
	} {
		p := b.write("onnx/"+m.tag+".onnx", m.data)
		b.add("onnx "+m.tag, false, m.tag+".onnx", "eval", "--model", p)
	}

	// Checkpoint state and history JSON, from one short adapt run.
	ck, hist := filepath.Join(dir, "run", "ck"), filepath.Join(dir, "run", "h.json")
	base := []string{"adapt", "--model", "lenet5", "--data", "synthetic", "--budget", "energy=0.5", "--init-reduction", "0.1",
		"--short-steps", "2", "--train-batch", "32", "--holdout", "300", "--eval-images", "50", "--finetune-epochs", "0", "--store", "none"}
	if err := os.MkdirAll(ck, 0o755); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runNnergy(t, append(slices.Clone(base), "--max-iterations", "1", "--checkpoint", ck, "--history", hist)...); code != 0 {
		t.Fatalf("checkpointed run: exit %d: %s", code, stderr)
	}
	state, ckModel, history := read(filepath.Join(ck, "state.json")), read(filepath.Join(ck, "model.nnw")), read(hist)
	editJSON := func(valid []byte, edit func(map[string]any)) []byte {
		var v map[string]any
		if err := json.Unmarshal(valid, &v); err != nil {
			t.Fatal(err)
		}
		edit(v)
		out, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	jsonMutations := func(valid []byte, key string) []struct {
		tag  string
		data []byte
	} {
		return []struct {
			tag  string
			data []byte
		}{
			{"empty", nil},
			{"truncated", valid[:len(valid)/2]},
			{"non-utf8", bytes.Replace(valid, []byte(`"`), []byte("\"\xff"), 3)},
			{"duplicate-key", append([]byte(`{"`+key+`": 1, `), valid[1:]...)},
			{"unknown-key", append([]byte(`{"bogus_key": 1, `), valid[1:]...)},
			{"wrong-type", editJSON(valid, func(v map[string]any) { v[key] = "many" })},
			{"array", []byte("[1, 2, 3]")},
			{"binary", garbage(uint64(len(valid)), 500)},
		}
	}
	for _, m := range append(jsonMutations(state, "resource"), []struct {
		tag  string
		data []byte
	}{
		{"resource-negative", editJSON(state, func(v map[string]any) { v["resource"] = -5.0 })},
		{"resource-huge", bytes.Replace(editJSON(state, func(v map[string]any) { v["resource"] = 1.0 }), []byte(`"resource":1`), []byte(`"resource":1e999`), 1)},
	}...) {
		sub := filepath.Join("ck", m.tag)
		b.write(filepath.Join(sub, "model.nnw"), ckModel)
		b.write(filepath.Join(sub, "state.json"), m.data)
		b.add("checkpoint state "+m.tag, false, "state.json", append(slices.Clone(base), "--resume", filepath.Join(dir, sub))...)
	}
	for _, m := range []struct {
		tag  string
		data []byte
	}{{"truncated", ckModel[:len(ckModel)/2]}, {"empty", nil}} {
		sub := filepath.Join("ck", "model-"+m.tag)
		b.write(filepath.Join(sub, "model.nnw"), m.data)
		b.write(filepath.Join(sub, "state.json"), state)
		b.add("checkpoint model "+m.tag, false, "model.nnw", append(slices.Clone(base), "--resume", filepath.Join(dir, sub))...)
	}
	for _, m := range append(jsonMutations(history, "method"), struct {
		tag  string
		data []byte
	}{"iterations-string", editJSON(history, func(v map[string]any) { v["iterations"] = "x" })}) {
		p := b.write("history/"+m.tag+".json", m.data)
		b.add("history "+m.tag, false, m.tag+".json", "plot", p, "--out", filepath.Join(dir, "history", m.tag+".svg"))
	}

	// Flag values.
	for _, v := range []string{"weights=abc", "weights=-0.5", "weights=0", "weights=2", "weights=NaN", "bogus=0.5", "conv99:inputs=0.5", "weights", "=", "weights=1e400"} {
		b.add("--density "+v, false, "--density", "eval", "--model", "lenet5", "--density", v)
	}
	for _, v := range []string{"energy=-1", "energy=0", "energy=abc", "power=0.5", "energy=1e400", "energy=12XJ", "energy", "latency=-2ms", "energy=NaN"} {
		b.add("--budget "+v, false, "--budget", "adapt", "--model", "lenet5", "--data", "synthetic", "--budget", v, "--out", filepath.Join(dir, "flags.nnw"))
	}
	for _, v := range []string{"energy=1.5", "sparsity=-0.1", "energy=", "foo=0.5", "energy=0.5,abc", "sparsity=1", "energy=0"} {
		b.add("--target "+v, false, "--target", "prune", "--model", "lenet5", "--data", "synthetic", "--target", v, "--out", filepath.Join(dir, "flags.nnw"))
	}
	for _, v := range []string{"3/2", "-1/2", "a/b", "1/0", "0/", "1/99999999999999999999", "2"} {
		b.add("--shard "+v, false, "--shard", "sweep", "testdata/sweep/small.yaml", "--shard", v, "--list")
	}

	if len(b.cases) < 100 {
		t.Fatalf("only %d bad inputs", len(b.cases))
	}
	// A goroutine dump or panic message in stderr is a crash.
	crash := regexp.MustCompile(`goroutine \d|panic:`)
	var out strings.Builder
	var maxAlloc struct {
		bytes uint64
		label string
	}
	for _, c := range b.cases {
		before := listFiles(t, dir)
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		start := time.Now()
		code, _, stderr := runNnergy(t, append(c.args, "--store", "none")...)
		took := time.Since(start)
		runtime.ReadMemStats(&m1)
		// Bytes allocated while the command ran (the tests of this
		// package do not run in parallel, so nothing else allocates).
		alloc := m1.TotalAlloc - m0.TotalAlloc
		if alloc > maxAlloc.bytes {
			maxAlloc.bytes, maxAlloc.label = alloc, c.label
		}
		after := listFiles(t, dir)
		rel := strings.ReplaceAll(stderr, dir, "DIR")
		fmt.Fprintf(&out, "# %s\nexit %d\n%s\n", c.label, code, rel)
		switch {
		case crash.MatchString(stderr):
			t.Errorf("%s: crashed:\n%s", c.label, stderr)
		case code != 1 && code != 2:
			t.Errorf("%s: exit %d, want 1 or 2: %s", c.label, code, stderr)
		case !strings.Contains(stderr, c.name):
			t.Errorf("%s: the message does not name %s: %s", c.label, c.name, stderr)
		case c.line && !regexp.MustCompile(regexp.QuoteMeta(c.name)+`:\d+`).MatchString(stderr):
			t.Errorf("%s: the message names no line of %s: %s", c.label, c.name, stderr)
		}
		if !slices.Equal(before, after) {
			t.Errorf("%s: files changed: %v, then %v", c.label, before, after)
		}
		// A bound far above the expected few milliseconds, against hangs
		// (other tests share the machine); the transcript records nothing
		// of time.
		if took > 10*time.Second {
			t.Errorf("%s: took %v", c.label, took)
		}
		// Every bad input is refused before anything large is allocated
		// (docs/limits.md): 256 MiB in all, though the inputs claim up to
		// terabytes.
		if alloc > badInputAllocBound {
			t.Errorf("%s: allocated %d MiB, over the bound of %d MiB", c.label, alloc>>20, badInputAllocBound>>20)
		}
	}
	t.Logf("%d bad inputs; most allocated by one: %d MiB (%s)", len(b.cases), maxAlloc.bytes>>20, maxAlloc.label)
	checkGolden(t, "bad_inputs.golden", out.String())
}

// listFiles lists the files under dir with their sizes.
func listFiles(t *testing.T, dir string) []string {
	t.Helper()
	var list []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if info, err := d.Info(); err == nil && !d.IsDir() {
			list = append(list, fmt.Sprintf("%s %d", p, info.Size()))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return list
}
