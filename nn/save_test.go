package nn

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestSaveLoadRoundTrip(t *testing.T) {
	m := dagModel()
	randomise(m, 11)
	m.Node("conv").Layer.(*Conv).Weight.MaskSmallest(0.25)
	bn := m.Node("bn").Layer.(*BatchNorm)
	bn.Mean[1], bn.Var[2], bn.Momentum = 0.5, 2.5, 0.2
	m.Node("pool").Layer.(*AvgPool).CountPad = true
	var buf bytes.Buffer
	if err := Save(&buf, m); err != nil {
		t.Fatal(err)
	}
	got, err := Load(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Nodes) != len(m.Nodes) || got.Input != m.Input || !slices.Equal(got.InShape, m.InShape) {
		t.Fatalf("structure differs")
	}
	for i, n := range m.Nodes {
		g := got.Nodes[i]
		if g.Name != n.Name || g.Layer.Kind() != n.Layer.Kind() || !slices.Equal(g.Inputs, n.Inputs) {
			t.Errorf("node %d: %s %v %v", i, g.Name, g.Layer.Kind(), g.Inputs)
		}
		ps, qs := n.Layer.Params(), g.Layer.Params()
		for k := range ps {
			if !slices.Equal(ps[k].Data, qs[k].Data) || !slices.Equal(ps[k].Mask, qs[k].Mask) {
				t.Errorf("node %s param %d differs", n.Name, k)
			}
		}
	}
	gb := got.Node("bn").Layer.(*BatchNorm)
	if !slices.Equal(gb.Mean, bn.Mean) || !slices.Equal(gb.Var, bn.Var) || gb.Momentum != 0.2 {
		t.Error("batch norm statistics differ")
	}
	if !got.Node("pool").Layer.(*AvgPool).CountPad {
		t.Error("avgpool attribute lost")
	}
	// Same outputs.
	x := NewTensor(2, 2, 6, 6)
	for i := range x.Data {
		x.Data[i] = float32(i%7) / 7
	}
	a, _ := NewExec(m, 1).Forward(x, false)
	b, _ := NewExec(got, 1).Forward(x, false)
	if !slices.Equal(a.Data, b.Data) {
		t.Error("loaded model computes something else")
	}
	// Saving is deterministic.
	var again bytes.Buffer
	Save(&again, got)
	if !bytes.Equal(again.Bytes(), buf.Bytes()) {
		t.Error("save(load(f)) != f")
	}
}

func TestLoadErrors(t *testing.T) {
	var buf bytes.Buffer
	if err := Save(&buf, dagModel()); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	corrupt := slices.Clone(good)
	corrupt[len(corrupt)/2] ^= 0xff
	newer := slices.Clone(good)
	newer[8] = 9
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"magic", []byte("hello world, not a model"), "bad magic"},
		{"version", newer, "version 9 (this build reads up to 2)"},
		{"corrupt", corrupt, "checksum mismatch"},
		{"truncated", good[:len(good)-10], "checksum mismatch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(bytes.NewReader(tt.in))
			if err == nil || !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want %q", err, tt.want)
			}
		})
	}
}

// TestSaveLoadNewLayers round-trips the activations, Binary layers with
// trained and frozen constants, and softmax through the native format.
func TestSaveLoadNewLayers(t *testing.T) {
	m := New("x", 3, 4, 4)
	x := m.Add("conv", NewConv(3, 4, 3, 1, 1), "x")
	x = m.Add("hswish", NewAct(HardSwish), x)
	x = m.Add("pad", &Pad{Pads: []int{0, 1, 0, 0, 0, 1}, Value: -1}, x)
	x = m.Add("unpad", &Slice{Axis: 1, Start: 0, End: 4}, x)
	x = m.Add("unpad2", &Slice{Axis: 2, Start: 0, End: 4}, x)
	g := m.Add("gap", &GlobalAvgPool{}, x)
	g = m.Add("gate", &Act{Func: HardSigmoid, Alpha: 0.3, Beta: 0.4}, g)
	x = m.Add("se", &Binary{Op: OpMul}, g, x)
	x = m.Add("shift", &Binary{Op: OpSub, Const: NewParam([]float32{1, 2, 3, 4}, 4, 1, 1)}, x)
	x = m.Add("half", &Binary{Op: OpDiv, Const: NewParam([]float32{0.5}), ConstLeft: true, Frozen: true}, x)
	x = m.Add("pow", &Act{Func: Pow, Alpha: 3}, x)
	x = m.Add("softmax", &Softmax{Axis: 1, Log: true}, x)
	x = m.Add("tokens", &Permute{In: []int{4, 2, 8}, Perm: []int{1, 0, 2}, Out: []int{2, 32}}, x)
	x = m.Add("ln", &LayerNorm{Axes: 1, Eps: 1e-3, Scale: NewParam(nil, 32), Bias: NewParam(nil, 32)}, x)
	q := m.Add("slice", &Slice{Axis: 1, Start: 4, End: 12}, x)
	k := m.Add("proj", NewLinear(32, 8), x)
	x = m.Add("attn", &MatMul{}, q, m.Add("t", &Permute{Perm: []int{1, 0}}, k))
	x = m.Add("mean", &ReduceMean{Axes: []int{1}}, x)
	m.Add("fc", NewLinear(2, 3), x)
	randomise(m, 3)
	var buf bytes.Buffer
	if err := Save(&buf, m); err != nil {
		t.Fatal(err)
	}
	got, err := Load(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range m.Nodes {
		g := got.Nodes[i]
		if b, ok := n.Layer.(*Binary); ok {
			gb := g.Layer.(*Binary)
			if gb.Op != b.Op || gb.ConstLeft != b.ConstLeft || gb.Frozen != b.Frozen || (b.Const != nil) != (gb.Const != nil) ||
				b.Const != nil && (!slices.Equal(b.Const.Data, gb.Const.Data) || !slices.Equal(b.Const.Shape, gb.Const.Shape)) {
				t.Errorf("%s: %+v, want %+v", n.Name, gb, b)
			}
			continue
		}
		if len(n.Layer.Params()) == 0 {
			if gl, l := fmtLayer(g.Layer), fmtLayer(n.Layer); gl != l {
				t.Errorf("%s: %s, want %s", n.Name, gl, l)
			}
		}
	}
	x0 := NewTensor(2, 3, 4, 4)
	for i := range x0.Data {
		x0.Data[i] = float32(i%5) / 5
	}
	a, _ := NewExec(m, 1).Forward(x0, false)
	b, _ := NewExec(got, 1).Forward(x0, false)
	if !slices.Equal(a.Data, b.Data) {
		t.Error("loaded model computes something else")
	}
}

func fmtLayer(l Layer) string { return fmt.Sprintf("%+v", l) }
