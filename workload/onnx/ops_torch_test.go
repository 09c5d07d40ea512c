package onnx_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nnergy/nnergy/onnx"
	"github.com/nnergy/nnergy/workload"
	wonnx "github.com/nnergy/nnergy/workload/onnx"
)

// opsDir holds the fixtures of scripts/make_ops_fixtures.py: models
// exported from PyTorch (and a few built with onnx.helper) that use the
// ops of ops_convt.go, ops_einsum.go, ops_rnn.go, ops_quant.go and
// ops_resize.go, external data and FLOAT16 weights, with their MACs
// counted independently in Python (expected.json).
const opsDir = "testdata/ops"

type opsExpected struct {
	MACs      map[string]int64   `json:"macs"`
	Densities map[string]float64 `json:"densities"`
}

// gunzip returns the contents of the gzipped file path.
func gunzip(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, zr); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// readOpsFixture reads one fixture: a .gz file is a *_graph model whose
// weights are graph inputs, turned back into initializers here.
func readOpsFixture(t *testing.T, file string) *onnx.Model {
	t.Helper()
	path := filepath.Join(opsDir, file)
	if !strings.HasSuffix(file, ".gz") {
		m, err := onnx.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	m, err := onnx.Parse(strings.TrimSuffix(path, ".gz"), gunzip(t, path))
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
		g.AddInitializer(in.Name, in.Shape, filled(onnx.Numel(in.Shape), 0))
	}
	g.Inputs = inputs
	return m
}

func TestTorchOpsFixtures(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(opsDir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var exp opsExpected
	if err := json.Unmarshal(b, &exp); err != nil {
		t.Fatal(err)
	}
	if len(exp.MACs) < 10 {
		t.Fatalf("expected.json lists %d files", len(exp.MACs))
	}
	for file, want := range exp.MACs {
		t.Run(file, func(t *testing.T) {
			net, err := wonnx.Import(readOpsFixture(t, file), 0)
			if err != nil {
				t.Fatal(err)
			}
			var got int64
			for _, l := range net.Layers {
				got += l.MACs()
			}
			if got != want {
				t.Errorf("%d MACs, want %d (PyTorch's count)", got, want)
			}
			for _, l := range net.Layers {
				if d, ok := exp.Densities[l.Name]; ok && math.Abs(l.Density[workload.Weights]-d) > 1e-12 {
					t.Errorf("layer %s: weight density %g, want %g", l.Name, l.Density[workload.Weights], d)
				}
				var bits [workload.NumTensors]int
				switch file {
				case "quantized.onnx":
					bits = [workload.NumTensors]int{8, 8, 8}
				default:
					bits = [workload.NumTensors]int{16, 16, 16}
				}
				if l.Bits != bits {
					t.Errorf("layer %s: word widths %v, want %v", l.Name, l.Bits, bits)
				}
			}
		})
	}
}

// TestTorchOpsFixtureLayers checks the layers of the recurrent and
// external-data fixtures beyond their MACs.
func TestTorchOpsFixtureLayers(t *testing.T) {
	net, err := wonnx.ReadFile(filepath.Join(opsDir, "lstm.onnx"), 0)
	if err != nil {
		t.Fatal(err)
	}
	// Two LSTM nodes (one per PyTorch layer), each an input layer and 6 steps,
	// then the head.
	if len(net.Layers) != 2*(1+6)+1 {
		t.Fatalf("%d layers, want 15", len(net.Layers))
	}
	first, second := net.Layers[0], net.Layers[7]
	if !strings.HasSuffix(first.Name, "/input") || first.Shape[workload.C] != 8 || first.Shape[workload.M] != 2*4*16 {
		t.Errorf("first input layer %s %v", first.Name, first.Shape)
	}
	if second.Shape[workload.C] != 32 { // the second layer reads both directions
		t.Errorf("second input layer %s %v", second.Name, second.Shape)
	}
	// Every step reads the recurrence weights R, stored once: parameters
	// are W and R of each LSTM ([dirs, 4·hidden, in] and [dirs, 4·hidden,
	// hidden]) and the head's matrix, not R once per step.
	const want = 2*64*8 + 2*64*16 + 2*64*32 + 2*64*16 + 32*5
	if got := net.Params(); got != want {
		t.Errorf("%d parameters, want %d", got, want)
	}
	if s := net.Layers[2].SharesWeights; s != net.Layers[1].Name {
		t.Errorf("step 1 shares the weights of %q, want %q", s, net.Layers[1].Name)
	}
	// External data: the weights were read (their density is measured).
	ext, err := wonnx.ReadFile(filepath.Join(opsDir, "external.onnx"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if ext.Layers[0].Measured[workload.Weights] == nil {
		t.Errorf("external.onnx: the conv's weights were not read")
	}
}
