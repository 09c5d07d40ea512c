package cli

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nnergy/nnergy/internal/golden"

	"github.com/nnergy/nnergy/workload/zoo"
)

// runNnergy runs nnergy with args and returns its exit code, stdout and stderr.
func runNnergy(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Main(args, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// checkGolden compares got with testdata/name, or rewrites it with -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", name), []byte(got))
}

func TestShowGolden(t *testing.T) {
	code, out, errOut := runNnergy(t, "show", "alexnet")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	checkGolden(t, "show_alexnet.golden", out)
	// --model, as every other command names the model, says the same.
	code, byFlag, errOut := runNnergy(t, "show", "--model", "alexnet")
	if code != 0 || errOut != "" || byFlag != out {
		t.Errorf("show --model alexnet: exit %d, stderr %q, output differs from show alexnet: %v", code, errOut, byFlag != out)
	}
}

func TestModels(t *testing.T) {
	code, out, errOut := runNnergy(t, "models")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	for _, name := range zoo.Names() {
		if !strings.Contains(out, "\n"+name+" ") {
			t.Errorf("models does not list %s:\n%s", name, out)
		}
	}
	if !strings.Contains(out, "alexnet                 8  724.4 M   61.0 M  AlexNet") {
		t.Errorf("alexnet row:\n%s", out)
	}

	code, out, _ = runNnergy(t, "models", "--format", "json")
	var res struct {
		Models []struct {
			Name   string
			Layers int
			MACs   int64
			Params int64
		}
	}
	if err := json.Unmarshal([]byte(out), &res); code != 0 || err != nil {
		t.Fatalf("exit %d, %v:\n%s", code, err, out)
	}
	if len(res.Models) != len(zoo.Names()) || res.Models[1].Name != "alexnet" ||
		res.Models[1].MACs != 724_406_816 || res.Models[1].Params != 60_954_656 {
		t.Errorf("json: %+v", res.Models)
	}

	code, out, _ = runNnergy(t, "models", "--format", "csv")
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if code != 0 || err != nil || len(recs) != len(zoo.Names())+1 || recs[2][0] != "alexnet" || recs[2][2] != "724406816" {
		t.Errorf("csv: exit %d, %v: %q", code, err, recs)
	}
}

func TestShowJSON(t *testing.T) {
	code, out, errOut := runNnergy(t, "show", "bert-base-block", "--format", "json", "--batch", "4")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatal(err)
	}
	layer := raw["layers"].([]any)[3].(map[string]any)
	for _, k := range []string{"name", "kind", "n", "g", "m", "c", "p", "q", "r", "s", "stride_h", "stride_w",
		"dilation_h", "dilation_w", "macs", "weight_words", "input_words", "output_words", "from"} {
		if _, ok := layer[k]; !ok {
			t.Errorf("layer has no %q: %v", k, layer)
		}
	}
	var res showResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	l := res.Layers[3]
	if res.Batch != 4 || res.Input != [4]int{4, 768, 128, 1} || l.Name != "attention.self.scores" ||
		l.Kind != "matmul" || l.N != 4 || l.G != 12 || l.MACs != 4*12*128*64*128 ||
		strings.Join(l.From, ",") != "attention.self.query,attention.self.key" {
		t.Errorf("scores: %+v", l)
	}
	if res.Total.MACs != 4*931_135_488 || res.Total.Params != 7_077_888 || res.Total.Layers != 8 {
		t.Errorf("total: %+v", res.Total)
	}
}

func TestShowCSV(t *testing.T) {
	code, out, _ := runNnergy(t, "show", "resnet18", "--format", "csv")
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if code != 0 || err != nil {
		t.Fatalf("exit %d, %v", code, err)
	}
	if len(recs) != 22 || recs[0][0] != "name" || recs[0][14] != "macs" {
		t.Fatalf("%d records, header %q", len(recs), recs[0])
	}
	// layer2.0.downsample.0: a 1×1 stride-2 convolution reading the sum of
	// layer1.1's output and its shortcut; it touches 28×28 of the 56×56
	// input pixels of each channel.
	var ds []string
	for _, r := range recs {
		if r[0] == "layer2.0.downsample.0" {
			ds = r
		}
	}
	want := "layer2.0.downsample.0,pointwise,1,1,128,64,28,28,1,1,2,2,1,1,6422528,8192,50176,100352,layer1.1.conv2;layer1.0.conv2;conv1"
	if strings.Join(ds, ",") != want {
		t.Errorf("got  %s\nwant %s", strings.Join(ds, ","), want)
	}
}

func TestShowErrors(t *testing.T) {
	tests := []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"show", "alexnet2"}, 1,
			`nnergy: zoo: unknown model "alexnet2" (models: lenet5, alexnet, vgg16, resnet18, resnet50, mobilenet, mobilenet-0.5-128, mobilenetv2, squeezenet, googlenet, bert-base-block)` + "\n"},
		{[]string{"show"}, 2, "nnergy: show: want one model, by --model or as the argument\n"},
		{[]string{"show", "--model", "lenet5", "alexnet"}, 2, "nnergy: show: give the model once, by --model or as the argument\n"},
		{[]string{"show", "lenet5", "alexnet"}, 2, "nnergy: show: want one model, got 2 arguments\n"},
		{[]string{"show", "alexnet", "--batch", "0"}, 2, "nnergy: show: --batch 0, want at least 1\n"},
		{[]string{"show", "alexnet", "--format", "xml"}, 2, `nnergy: show: unknown --format "xml" (want table, json or csv)` + "\n"},
		{[]string{"models", "--format", "yaml"}, 2, `nnergy: models: unknown --format "yaml" (want table, json or csv)` + "\n"},
	}
	for _, tt := range tests {
		code, out, errOut := runNnergy(t, tt.args...)
		if code != tt.code || errOut != tt.stderr || out != "" {
			t.Errorf("nnergy %s: exit %d, stdout %q, stderr %q; want exit %d, stderr %q",
				strings.Join(tt.args, " "), code, out, errOut, tt.code, tt.stderr)
		}
	}
}

// TestShowRecurrent: the steps of an LSTM read one weight tensor, which
// counts once in the parameters.
func TestShowRecurrent(t *testing.T) {
	code, out, errOut := runNnergy(t, "show", "../../workload/onnx/testdata/ops/lstm.onnx")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	want := "9.4 k parameters (weight words); the steps of a recurrent node read one weight tensor, counted once\n"
	if !strings.HasSuffix(out, want) {
		t.Errorf("show ends %q, want %q", out[max(0, len(out)-120):], want)
	}
}
