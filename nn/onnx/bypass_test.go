package onnx_test

import (
	"maps"
	"slices"
	"testing"

	"github.com/nnergy/nnergy/nn"
	nnonnx "github.com/nnergy/nnergy/nn/onnx"
	"github.com/nnergy/nnergy/nn/zoo"
	"github.com/nnergy/nnergy/workload"
	"github.com/nnergy/nnergy/workload/engine"
	wonnx "github.com/nnergy/nnergy/workload/onnx"
)

// TestBypassExportORT removes layers of the zoo networks as channel-level
// bypasses (the residual branch of mobilenet-small, a 3×3 convolution
// between equal widths of vgg-small) and checks that the written ONNX
// model has them removed and that ONNX Runtime computes what nnergy does.
func TestBypassExportORT(t *testing.T) {
	needORT(t)
	for _, c := range []struct {
		model, node string
		removed     []string
	}{
		{"mobilenet-small", "b3_pw", []string{"b3_dw", "b3_dw_bn", "b3_dw_relu", "b3_pw", "b3_pw_bn", "b3_pw_relu", "b3_add"}},
		{"vgg-small", "conv1_2", []string{"conv1_2", "relu1_2"}},
	} {
		t.Run(c.model, func(t *testing.T) {
			m, err := zoo.New(c.model, 3)
			if err != nil {
				t.Fatal(err)
			}
			randomize(m, 5)
			removed, err := nn.Bypass(m, c.node)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(removed, c.removed) {
				t.Errorf("removed %v, want %v", removed, c.removed)
			}
			x := randomInput(m, 2, 9)
			exportMatchesORT(t, m, x, forward(t, m, x))
		})
	}
}

// TestPartialBypassExportORT bypasses layers of mobilenet-small partially
// (nn.PartialBypass: a depthwise layer, the residual block's pointwise
// layer, one removed at width 0) and checks that the ONNX export, made of
// Slice and Concat, runs in ONNX Runtime to nnergy's outputs, and that it
// imports back to a model with the same outputs.
func TestPartialBypassExportORT(t *testing.T) {
	for _, c := range []struct {
		name  string
		keeps map[string]int
		nodes []string // the exported model has these ONNX nodes
	}{
		{"dw", map[string]int{"b1_dw": 5}, []string{"b1_dw_cbc_in", "b1_dw_cbc.bypassed", "b1_dw_cbc"}},
		{"pw", map[string]int{"b3_pw": 40}, []string{"b3_pw_cbc.bypassed", "b3_pw_cbc"}},
		{"dw-removed-pw", map[string]int{"b3_dw": 0, "b3_pw": 1}, []string{"b3_pw_cbc.bypassed", "b3_pw_cbc"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := zoo.New("mobilenet-small", 3)
			if err != nil {
				t.Fatal(err)
			}
			randomize(m, 5)
			for _, node := range slices.Sorted(maps.Keys(c.keeps)) {
				if _, err := nn.PartialBypass(m, node, c.keeps[node]); err != nil {
					t.Fatal(err)
				}
			}
			x := randomInput(m, 2, 9)
			want := forward(t, m, x)
			om, err := nnonnx.Export(m)
			if err != nil {
				t.Fatal(err)
			}
			have := map[string]bool{}
			for _, n := range om.Graph.Nodes {
				have[n.Name] = true
			}
			for _, n := range c.nodes {
				if !have[n] {
					t.Errorf("the export has no node %s", n)
				}
			}
			back, err := nnonnx.Import(om)
			if err != nil {
				t.Fatal(err)
			}
			if d := maxDiff(t, forward(t, back, x), want); d > 1e-6 {
				t.Errorf("the imported model's outputs differ by %g", d)
			}
			exportMatchesORT(t, m, x, want)
		})
	}
}

// TestPartialBypassWorkload checks that the ONNX export of a partially
// bypassed network reads into a workload (package workload/onnx, what
// nnergy eval --model x.onnx does) with the layers the measurers see
// (workload/engine.Lower of the model): the bypassed layer computes only
// its kept channels, a removed layer is gone.
func TestPartialBypassWorkload(t *testing.T) {
	m, err := zoo.New("mobilenet-small", 3)
	if err != nil {
		t.Fatal(err)
	}
	full, err := engine.Lower(m, 1)
	if err != nil {
		t.Fatal(err)
	}
	for node, keep := range map[string]int{"b1_dw": 0, "b3_dw": 10, "b3_pw": 24} {
		if _, err := nn.PartialBypass(m, node, keep); err != nil {
			t.Fatal(err)
		}
	}
	om, err := nnonnx.Export(m)
	if err != nil {
		t.Fatal(err)
	}
	got, err := wonnx.Import(om, 1)
	if err != nil {
		t.Fatal(err)
	}
	want, err := engine.Lower(m, 1)
	if err != nil {
		t.Fatal(err)
	}
	macs := map[string]int64{}
	for _, l := range got.Layers {
		macs[l.Name] = l.MACs()
	}
	if len(got.Layers) != len(want.Layers) || len(want.Layers) != len(full.Layers)-1 {
		t.Errorf("%d layers imported, %d lowered, %d in the full network", len(got.Layers), len(want.Layers), len(full.Layers))
	}
	for _, l := range want.Layers {
		if macs[l.Name] != l.MACs() {
			t.Errorf("%s: %d MACs imported, %d lowered", l.Name, macs[l.Name], l.MACs())
		}
	}
	if _, ok := macs["b1_dw"]; ok {
		t.Error("the removed b1_dw is in the workload")
	}
	for name, m := range map[string]int{"b3_dw": 10, "b3_pw": 24} {
		for _, l := range got.Layers {
			if l.Name == name && l.Shape[workload.M]*l.Shape[workload.G] != m {
				t.Errorf("%s: %d×%d output channels, want %d", name, l.Shape[workload.G], l.Shape[workload.M], m)
			}
		}
	}
}
