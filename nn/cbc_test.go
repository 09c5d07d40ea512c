package nn

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// cbcModel is a small MobileNet-style network with every form a partial
// bypass takes: a depthwise convolution, a dense 1×1 convolution in a
// residual block, and a linear layer between equal widths.
func cbcModel() *Model {
	m := New("input", 2, 6, 6)
	x := m.Add("stem", NewConv(2, 4, 3, 1, 1), "input")
	x = m.Add("stem_bn", NewBatchNorm(4), x)
	x = m.Add("stem_relu", NewReLU6(), x)
	y := m.Add("dw", NewDepthwise(4, 3, 1, 1), x)
	y = m.Add("dw_bn", NewBatchNorm(4), y)
	y = m.Add("dw_relu", NewReLU6(), y)
	y = m.Add("pw", NewConv(4, 4, 1, 1, 0), y)
	y = m.Add("pw_bn", NewBatchNorm(4), y)
	y = m.Add("pw_relu", NewReLU6(), y)
	x = m.Add("add", &Add{}, x, y)
	x = m.Add("flatten", &Flatten{}, x)
	x = m.Add("fc1", NewLinear(144, 8), x)
	x = m.Add("fc1_relu", NewReLU(), x)
	x = m.Add("fc2", NewLinear(8, 8), x)
	x = m.Add("fc2_relu", NewReLU(), x)
	m.Add("out", NewLinear(8, 3), x)
	return m
}

// randomCBC randomises the weights and the batch-norm statistics.
func randomCBC(m *Model, seed uint64) {
	randomise(m, seed)
	rng := rand.New(rand.NewPCG(seed, 2))
	for _, n := range m.Nodes {
		if b, ok := n.Layer.(*BatchNorm); ok {
			for i := range b.Mean {
				b.Mean[i], b.Var[i] = rng.Float32()-0.5, 0.5+rng.Float32()
			}
		}
	}
}

// withFullCBC returns a copy of m whose node computes all its filters and
// keeps the first keep through a CBC node: the reference a partial bypass
// must equal (the super-network of package netadaptv2).
func withFullCBC(t *testing.T, m *Model, node string, keep int) *Model {
	t.Helper()
	c := m.Clone()
	s, err := findSegment(c, node)
	if err != nil {
		t.Fatal(err)
	}
	end := s.end()
	var nodes []*Node
	for _, n := range c.Nodes {
		for k, in := range n.Inputs {
			if in == end {
				n.Inputs[k] = "ref_cbc"
			}
		}
		nodes = append(nodes, n)
		if n.Name == end {
			nodes = append(nodes, &Node{Name: "ref_cbc", Layer: &CBC{Keep: keep}, Inputs: []string{end, s.x}})
		}
	}
	c.Nodes = nodes
	if err := c.Check(); err != nil {
		t.Fatal(err)
	}
	return c
}

func cbcInput(shape []int, batch int, seed uint64) *Tensor {
	x := NewTensor(append([]int{batch}, shape...)...)
	rng := rand.New(rand.NewPCG(seed, 3))
	for i := range x.Data {
		x.Data[i] = rng.Float32()*2 - 1
	}
	return x
}

func maxDiff(a, b *Tensor) float64 {
	d := 0.0
	for i := range a.Data {
		d = max(d, math.Abs(float64(a.Data[i]-b.Data[i])))
	}
	return d
}

// TestCBCForward checks the bypass against its definition,
// concat(f[:Keep], x[Keep:]), on images and feature vectors.
func TestCBCForward(t *testing.T) {
	for _, c := range []struct {
		f, x []int
		keep int
	}{
		{[]int{3, 2, 2}, []int{5, 2, 2}, 2},
		{[]int{5, 2, 2}, []int{5, 2, 2}, 5},
		{[]int{5, 2, 2}, []int{5, 2, 2}, 0},
		{[]int{4}, []int{6}, 3},
	} {
		l := &CBC{Keep: c.keep}
		out, err := l.OutShape([][]int{c.f, c.x})
		if err != nil {
			t.Fatal(err)
		}
		f, x := cbcInput(c.f, 2, 1), cbcInput(c.x, 2, 2)
		y := NewTensor(append([]int{2}, out...)...)
		l.newOp([][]int{c.f, c.x}, out, 2).forward(newRun(1), []*Tensor{f, x}, y, false)
		inner := numel(c.x[1:])
		fs, xs := numel(c.f), numel(c.x)
		for n := range 2 {
			for ch := range c.x[0] {
				for e := range inner {
					want := x.Data[n*xs+ch*inner+e]
					if ch < c.keep {
						want = f.Data[n*fs+ch*inner+e]
					}
					if got := y.Data[n*xs+ch*inner+e]; got != want {
						t.Fatalf("keep %d of %v, %v: sample %d channel %d: %v, want %v", c.keep, c.f, c.x, n, ch, got, want)
					}
				}
			}
		}
	}
}

func TestCBCGradient(t *testing.T) {
	for _, c := range []gradCase{
		{name: "cbc", layer: &CBC{Keep: 2}, in: [][]int{{3, 3, 3}, {4, 3, 3}}, batch: 2},
		{name: "cbc-none", layer: &CBC{Keep: 0}, in: [][]int{{2, 2, 2}, {2, 2, 2}}, batch: 2},
		{name: "cbc-all", layer: &CBC{Keep: 3}, in: [][]int{{3}, {3}}, batch: 3},
	} {
		t.Run(c.name, func(t *testing.T) { c.workers = 1; checkLayer(t, c) })
	}
}

func TestCBCShapeErrors(t *testing.T) {
	for _, c := range []struct {
		keep int
		in   [][]int
		want string
	}{
		{1, [][]int{{2, 3, 3}}, "cbc takes 2 inputs"},
		{1, [][]int{{2, 3, 3}, {2, 3, 4}}, "differ beyond the channel axis"},
		{3, [][]int{{2, 3, 3}, {4, 3, 3}}, "keeps 3 channels"},
		{-1, [][]int{{2}, {2}}, "keeps -1 channels"},
	} {
		if _, err := (&CBC{Keep: c.keep}).OutShape(c.in); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("keep %d of %v: %v, want %q", c.keep, c.in, err, c.want)
		}
	}
}

// TestPartialBypassEqualsFullWidth checks that the surgered model (the
// layer cut to keep filters, a bypass of the rest) computes what the model
// at full width with the same bypass does, and that keep = 0 removes the
// layer: the model then computes its input in place of the layer.
func TestPartialBypassEqualsFullWidth(t *testing.T) {
	for _, c := range []struct {
		node    string
		keep    int
		removed []string
		added   []string
	}{
		{"dw", 3, nil, []string{"dw_cbc_in", "dw_cbc"}},
		{"dw", 1, nil, []string{"dw_cbc_in", "dw_cbc"}},
		{"dw", 0, []string{"dw", "dw_bn", "dw_relu"}, nil},
		{"pw", 2, nil, []string{"pw_cbc"}},
		{"pw", 0, []string{"pw", "pw_bn", "pw_relu"}, nil},
		{"fc2", 5, nil, []string{"fc2_cbc"}},
		{"fc2", 0, []string{"fc2", "fc2_relu"}, nil},
		{"pw", 4, nil, nil},
	} {
		m := cbcModel()
		randomCBC(m, 3)
		x := cbcInput(m.InShape, 3, 4)
		want := forwardCopy(t, withFullCBC(t, m, c.node, c.keep), x)
		before := len(m.Nodes)
		removed, err := PartialBypass(m, c.node, c.keep)
		if err != nil {
			t.Fatalf("%s keep %d: %v", c.node, c.keep, err)
		}
		if !slices.Equal(removed, c.removed) || len(m.Nodes) != before-len(c.removed)+len(c.added) {
			t.Errorf("%s keep %d: removed %v, %d nodes of %d, want removed %v", c.node, c.keep, removed, len(m.Nodes), before, c.removed)
		}
		for _, a := range c.added {
			if m.Node(a) == nil {
				t.Errorf("%s keep %d: no node %s", c.node, c.keep, a)
			}
		}
		if c.keep > 0 && len(c.added) > 0 {
			if got := m.Node(c.node).Layer.Params()[0].Shape[0]; got != c.keep {
				t.Errorf("%s keep %d: %d filters left", c.node, c.keep, got)
			}
		}
		if d := maxDiff(forwardCopy(t, m, x), want); d > 1e-5 {
			t.Errorf("%s keep %d: outputs differ from the full-width bypass by %g", c.node, c.keep, d)
		}
	}
}

// TestPartialBypassTwice checks that shrinking a bypassed layer again
// gives the model a single partial bypass to that width gives.
func TestPartialBypassTwice(t *testing.T) {
	for _, c := range []struct {
		node   string
		k1, k2 int
	}{{"dw", 3, 1}, {"dw", 2, 0}, {"pw", 3, 2}, {"fc2", 6, 0}} {
		m := cbcModel()
		randomCBC(m, 5)
		x := cbcInput(m.InShape, 2, 6)
		once := m.Clone()
		if _, err := PartialBypass(once, c.node, c.k2); err != nil {
			t.Fatal(err)
		}
		if _, err := PartialBypass(m, c.node, c.k1); err != nil {
			t.Fatal(err)
		}
		if _, err := PartialBypass(m, c.node, c.k2); err != nil {
			t.Fatal(err)
		}
		if len(m.Nodes) != len(once.Nodes) {
			t.Errorf("%s %d then %d: %d nodes, %d in one step", c.node, c.k1, c.k2, len(m.Nodes), len(once.Nodes))
		}
		if d := maxDiff(forwardCopy(t, m, x), forwardCopy(t, once, x)); d > 1e-6 {
			t.Errorf("%s %d then %d: outputs differ from one step by %g", c.node, c.k1, c.k2, d)
		}
		if _, err := PartialBypass(m.Clone(), c.node, c.k1+1); c.k2 > 0 && err == nil {
			t.Errorf("%s: widening a bypassed layer was not refused", c.node)
		}
	}
}

func TestPartialBypassRefused(t *testing.T) {
	for _, c := range []struct {
		node string
		keep int
		want string
	}{
		{"stem", 2, `nn: node "stem" (conv) cannot be bypassed: its input [2 6 6] and output [4 6 6] differ (a partial bypass needs equal channels and size)`},
		{"fc1", 2, `nn: node "fc1" (linear) cannot be bypassed: its input [144] and output [8] differ (a partial bypass needs equal channels and size)`},
		{"out", 1, `nn: node "out" (linear) cannot be bypassed: its output "out" is the model output`},
		{"add", 1, `nn: node "add" is add; a partial bypass takes a convolution or linear layer`},
		{"pw", 5, `nn: node "pw": keep 5 channels outside [0, 4]`},
		{"nowhere", 1, `nn: no node "nowhere"`},
	} {
		m := cbcModel()
		before := len(m.Nodes)
		if _, err := PartialBypass(m, c.node, c.keep); err == nil || err.Error() != c.want {
			t.Errorf("PartialBypass(%s, %d) = %v, want %s", c.node, c.keep, err, c.want)
		}
		if len(m.Nodes) != before {
			t.Errorf("PartialBypass(%s, %d) changed the model", c.node, c.keep)
		}
	}
}

// TestCBCTrains checks that a model with partial bypasses trains: the
// executor's gradient through the bypass matches finite differences
// (tanh in place of the ReLUs, whose kinks finite differences cross).
func TestCBCTrains(t *testing.T) {
	m := cbcModel()
	for _, n := range m.Nodes {
		if _, ok := n.Layer.(*ReLU); ok {
			n.Layer = NewAct(Tanh)
		}
	}
	for _, c := range []struct {
		node string
		keep int
	}{{"dw", 2}, {"pw", 3}, {"fc2", 4}} {
		if _, err := PartialBypass(m, c.node, c.keep); err != nil {
			t.Fatal(err)
		}
	}
	checkModelGradient(t, m, 0)
}

// TestSaveCBC checks the native format: a model with a bypass saves as
// version 2 and loads back to the same outputs; one without stays version
// 1; a version 1 file with a bypass is refused.
func TestSaveCBC(t *testing.T) {
	m := cbcModel()
	randomCBC(m, 9)
	var plain bytes.Buffer
	if err := Save(&plain, m); err != nil {
		t.Fatal(err)
	}
	if _, err := PartialBypass(m, "dw", 2); err != nil {
		t.Fatal(err)
	}
	if _, err := PartialBypass(m, "pw", 3); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := Save(&b, m); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		data []byte
		want uint32
	}{{"plain", plain.Bytes(), 1}, {"bypassed", b.Bytes(), 2}} {
		if v := binary.LittleEndian.Uint32(c.data[8:]); v != c.want {
			t.Errorf("%s: version %d, want %d", c.name, v, c.want)
		}
	}
	got, err := Load(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	x := cbcInput(m.InShape, 2, 1)
	if d := maxDiff(forwardCopy(t, got, x), forwardCopy(t, m, x)); d != 0 {
		t.Errorf("loaded model's outputs differ by %g", d)
	}
	if bs := Bypasses(got); len(bs) != 2 || bs[0] != (BypassInfo{"dw_cbc", "dw", 2}) || bs[1] != (BypassInfo{"pw_cbc", "pw", 3}) {
		t.Errorf("Bypasses = %v", bs)
	}
	// The same bytes marked version 1 (checksum fixed) are refused.
	v1 := slices.Clone(b.Bytes())
	binary.LittleEndian.PutUint32(v1[8:], 1)
	body := v1[:len(v1)-4]
	binary.LittleEndian.PutUint32(v1[len(v1)-4:], crc32.ChecksumIEEE(body))
	if _, err := Load(bytes.NewReader(v1)); err == nil || !strings.Contains(err.Error(), "cbc needs version 2") {
		t.Errorf("version 1 file with a cbc node: %v", err)
	}
}

// TestAddBypass checks the super-network form: a bypass at full width
// changes nothing, its Keep switches widths as a partial bypass does,
// PartialBypass then cuts the layer to the same outputs, and
// RemoveBypasses restores the model.
func TestAddBypass(t *testing.T) {
	for _, c := range []struct {
		node string
		keep int
	}{{"dw", 2}, {"dw", 0}, {"pw", 1}, {"fc2", 3}} {
		m := cbcModel()
		randomCBC(m, 11)
		x := cbcInput(m.InShape, 2, 12)
		orig := forwardCopy(t, m, x)
		want := forwardCopy(t, withFullCBC(t, m, c.node, c.keep), x)
		l, err := AddBypass(m, c.node)
		if err != nil {
			t.Fatal(err)
		}
		if d := maxDiff(forwardCopy(t, m, x), orig); d != 0 {
			t.Errorf("%s: a full-width bypass changed the outputs by %g", c.node, d)
		}
		if _, err := AddBypass(m, c.node); err == nil {
			t.Errorf("%s: a second bypass was not refused", c.node)
		}
		l.Keep = c.keep
		if d := maxDiff(forwardCopy(t, m, x), want); d != 0 {
			t.Errorf("%s keep %d: outputs differ from the reference by %g", c.node, c.keep, d)
		}
		back := m.Clone()
		if removed, err := RemoveBypasses(back); err != nil || len(removed) != 1 {
			t.Fatalf("%s: RemoveBypasses: %v, %v", c.node, removed, err)
		}
		if d := maxDiff(forwardCopy(t, back, x), orig); d != 0 || len(back.Nodes) != len(cbcModel().Nodes) {
			t.Errorf("%s: RemoveBypasses left %d nodes, outputs differ by %g", c.node, len(back.Nodes), d)
		}
		if _, err := PartialBypass(m, c.node, c.keep); err != nil {
			t.Fatal(err)
		}
		if d := maxDiff(forwardCopy(t, m, x), want); d > 1e-5 {
			t.Errorf("%s keep %d: the cut layer's outputs differ by %g", c.node, c.keep, d)
		}
		if _, err := RemoveBypasses(m); c.keep > 0 && err == nil {
			t.Errorf("%s keep %d: removing a partial bypass was not refused", c.node, c.keep)
		}
	}
}
