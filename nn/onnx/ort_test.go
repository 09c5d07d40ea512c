package onnx_test

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/nnergy/nnergy/nn"
	nnonnx "github.com/nnergy/nnergy/nn/onnx"
	"github.com/nnergy/nnergy/onnx"
	"github.com/nnergy/nnergy/onnx/onnxtest"
)

// The ONNX Runtime reference: scripts/ort_run.js runs a model in the npm
// package onnxruntime-node, which scripts/fetch-ort.sh installs. Tests that
// need it skip when it is missing, unless NNERGY_REQUIRE_ORT is set (as
// .ci/run does), when they fail.

// ortScript is scripts/ort_run.js, relative to this package.
var ortScript = filepath.Join("..", "..", "scripts", "ort_run.js")

// ortDir returns where scripts/fetch-ort.sh installs onnxruntime-node.
func ortDir() string {
	if d := os.Getenv("NNERGY_ORT"); d != "" {
		return d
	}
	if d := os.Getenv("NNERGY_DATA"); d != "" {
		return filepath.Join(d, "ort")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		home = "."
	}
	return filepath.Join(home, ".cache", "nnergy", "ort")
}

// needORT skips t (or fails it under NNERGY_REQUIRE_ORT) when ONNX Runtime
// is not installed.
func needORT(t testing.TB) {
	t.Helper()
	why := ""
	if _, err := exec.LookPath("node"); err != nil {
		why = "node is not installed (apt-get install nodejs npm)"
	} else if _, err := os.Stat(filepath.Join(ortDir(), "node_modules", "onnxruntime-node", "package.json")); err != nil {
		why = "onnxruntime-node is not in " + ortDir() + "; install it with scripts/fetch-ort.sh"
	}
	if why == "" {
		return
	}
	if os.Getenv("NNERGY_REQUIRE_ORT") != "" {
		t.Fatalf("ONNX Runtime check required (NNERGY_REQUIRE_ORT) but %s", why)
	}
	t.Skipf("skipping the ONNX Runtime check: %s", why)
}

// runORT runs om in ONNX Runtime on x and returns its output.
func runORT(t testing.TB, om *onnx.Model, x *nn.Tensor) *nn.Tensor {
	t.Helper()
	needORT(t)
	dir := t.TempDir()
	model, in, out := filepath.Join(dir, "model.onnx"), filepath.Join(dir, "in.f32"), filepath.Join(dir, "out.f32")
	if err := onnx.WriteFile(model, om); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(in, f32bytes(x.Data), 0o644); err != nil {
		t.Fatal(err)
	}
	dims := make([]string, len(x.Shape))
	for i, d := range x.Shape {
		dims[i] = strconv.Itoa(d)
	}
	cmd := exec.Command("node", ortScript, model, in, strings.Join(dims, ","), out)
	cmd.Env = append(os.Environ(), "NNERGY_ORT="+ortDir())
	stdout, err := cmd.Output()
	if err != nil {
		msg := err.Error()
		if ee, ok := err.(*exec.ExitError); ok {
			msg += ": " + string(ee.Stderr)
		}
		t.Fatalf("ONNX Runtime: %s", msg)
	}
	var res struct{ Dims []int }
	if err := json.Unmarshal(stdout, &res); err != nil {
		t.Fatalf("ort_run.js printed %q: %v", stdout, err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	y := &nn.Tensor{Shape: res.Dims, Data: f32values(b)}
	if y.Len() != len(y.Data) {
		t.Fatalf("ONNX Runtime output has %d values for shape %v", len(y.Data), y.Shape)
	}
	return y
}

func f32bytes(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

func f32values(b []byte) []float32 {
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v
}

// forward runs m in inference mode on x with two workers and returns a copy
// of the output.
func forward(t testing.TB, m *nn.Model, x *nn.Tensor) *nn.Tensor {
	t.Helper()
	y, err := nn.NewExec(m, 2).Forward(x, false)
	if err != nil {
		t.Fatal(err)
	}
	return &nn.Tensor{Shape: slices.Clone(y.Shape), Data: slices.Clone(y.Data)}
}

// maxDiff returns the largest absolute difference between got and want,
// failing t when their shapes differ.
func maxDiff(t testing.TB, got, want *nn.Tensor) float64 {
	t.Helper()
	if !slices.Equal(got.Shape, want.Shape) {
		t.Fatalf("output shape %v, want %v", got.Shape, want.Shape)
	}
	d := 0.0
	for i := range got.Data {
		e := math.Abs(float64(got.Data[i]) - float64(want.Data[i]))
		if math.IsNaN(e) {
			return math.Inf(1)
		}
		d = max(d, e)
	}
	return d
}

// ortRel is the largest relative difference allowed between nnergy's and
// ONNX Runtime's outputs on imported models (see relDiff).
const ortRel = 1e-5

// relDiff returns the largest absolute difference between got and want
// relative to want's largest magnitude.
func relDiff(t testing.TB, got, want *nn.Tensor) float64 {
	t.Helper()
	d := maxDiff(t, got, want)
	m := 0.0
	for _, v := range want.Data {
		m = max(m, math.Abs(float64(v)))
	}
	if m == 0 {
		return d
	}
	return d / m
}

// randomInput returns a batch of inputs in [0, 1) for m from a seed.
func randomInput(m *nn.Model, batch int, seed uint64) *nn.Tensor {
	x := nn.NewTensor(append([]int{batch}, m.InShape...)...)
	rng := rand.New(rand.NewPCG(seed, 2))
	for i := range x.Data {
		x.Data[i] = rng.Float32()
	}
	return x
}

// randomize sets m's weights from a seed ([nn.Init]) and then gives every
// bias, batch-norm scale, bias and running statistic a random value, so
// that every term of every layer shows in the output.
func randomize(m *nn.Model, seed uint64) {
	nn.Init(m, seed)
	rng := rand.New(rand.NewPCG(seed, 3))
	u := func(lo, hi float32) float32 { return lo + (hi-lo)*rng.Float32() }
	for _, n := range m.Nodes {
		switch l := n.Layer.(type) {
		case *nn.Conv:
			if l.Bias != nil {
				for i := range l.Bias.Data {
					l.Bias.Data[i] = u(-0.2, 0.2)
				}
			}
		case *nn.Linear:
			if l.Bias != nil {
				for i := range l.Bias.Data {
					l.Bias.Data[i] = u(-0.2, 0.2)
				}
			}
		case *nn.BatchNorm:
			for i := range l.C {
				l.Scale.Data[i], l.Bias.Data[i] = u(0.5, 1.5), u(-0.5, 0.5)
				l.Mean[i], l.Var[i] = u(-0.5, 0.5), u(0.5, 1.5)
			}
		}
	}
}

// exportMatchesORT exports m, checks the file with the ONNX checker and
// holds ONNX Runtime's output on x to got, nnergy's, within ortTol absolute
// and ortRel relative.
func exportMatchesORT(t *testing.T, m *nn.Model, x, got *nn.Tensor) {
	t.Helper()
	om, err := nnonnx.Export(m)
	if err != nil {
		t.Fatal(err)
	}
	onnxtest.Check(t, om)
	ort := runORT(t, om, x)
	if d, r := maxDiff(t, ort, got), relDiff(t, got, ort); d > ortTol || r > ortRel {
		t.Errorf("ONNX Runtime and nnergy differ on the exported model by %.3g, %.3g relative (> %g, %g)", d, r, ortTol, ortRel)
	}
}
