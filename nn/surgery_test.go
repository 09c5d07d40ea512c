package nn

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// outputsAfterRemoval checks the defining property of structural pruning:
// removing filters whose output is forced to zero (weights and bias zero,
// so every downstream contribution is zero too) leaves the model's output
// unchanged in inference mode.
func checkRemovalPreservesOutput(t *testing.T, m *Model, node string, filters []int, zeroBN bool) []Change {
	t.Helper()
	n := m.Node(node)
	switch l := n.Layer.(type) {
	case *Conv:
		k := len(l.Weight.Data) / l.OutC
		for _, f := range filters {
			clear(l.Weight.Data[f*k : (f+1)*k])
			if l.Bias != nil {
				l.Bias.Data[f] = 0
			}
		}
	case *Linear:
		for _, f := range filters {
			clear(l.Weight.Data[f*l.In : (f+1)*l.In])
			if l.Bias != nil {
				l.Bias.Data[f] = 0
			}
		}
	}
	x := NewTensor(append([]int{2}, m.InShape...)...)
	rng := rand.New(rand.NewPCG(9, 9))
	for i := range x.Data {
		x.Data[i] = rng.Float32()*2 - 1
	}
	before, err := NewExec(m, 1).Forward(x, false)
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Clone(before.Data)
	changes, err := RemoveFilters(m, node, filters)
	if err != nil {
		t.Fatal(err)
	}
	after, err := NewExec(m, 1).Forward(x, false)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if math.Abs(float64(want[i]-after.Data[i])) > 1e-4 {
			t.Fatalf("output %d changed: %v -> %v", i, want[i], after.Data[i])
		}
	}
	return changes
}

// bnZeroPassthrough makes batch norms map 0 to 0 (β = mean·γ/σ), so that a
// zeroed channel stays zero through them.
func bnZeroPassthrough(m *Model) {
	for _, n := range m.Nodes {
		if b, ok := n.Layer.(*BatchNorm); ok {
			for c := range b.C {
				b.Mean[c] = 0
				b.Bias.Data[c] = 0
			}
		}
	}
}

func TestRemoveFiltersChain(t *testing.T) {
	m := New("x", 1, 8, 8)
	x := m.Add("c1", NewConv(1, 6, 3, 1, 1), "x")
	x = m.Add("bn1", NewBatchNorm(6), x)
	x = m.Add("r1", NewReLU(), x)
	x = m.Add("p1", NewMaxPool(2, 2), x)
	x = m.Add("dw", NewDepthwise(6, 3, 1, 1), x)
	x = m.Add("c2", NewConv(6, 5, 1, 1, 0), x)
	x = m.Add("f", &Flatten{}, x)
	m.Add("fc", NewLinear(5*16, 3), x)
	randomise(m, 1)
	bnZeroPassthrough(m)
	// Depthwise biases feed removed channels: zero them for the output
	// check, since the removed channel's dw bias would otherwise flow
	// into c2.
	dw := m.Node("dw").Layer.(*Conv)
	dw.Bias.Data[1], dw.Bias.Data[4] = 0, 0
	changes := checkRemovalPreservesOutput(t, m, "c1", []int{4, 1}, true)
	want := []Change{
		{Node: "c1", Kind: KindConv, Out: []int{1, 4}},
		{Node: "bn1", Kind: KindBatchNorm, Out: []int{1, 4}},
		{Node: "dw", Kind: KindConv, Out: []int{1, 4}},
		{Node: "c2", Kind: KindConv, In: []int{1, 4}},
	}
	if !equalChanges(changes, want) {
		t.Errorf("changes %+v\nwant %+v", changes, want)
	}
	if dw.InC != 4 || dw.Groups != 4 || dw.OutC != 4 || m.Node("c2").Layer.(*Conv).InC != 4 {
		t.Errorf("shapes after surgery: dw %d/%d/%d", dw.InC, dw.OutC, dw.Groups)
	}
	// Flatten -> linear: removing a c2 filter removes its 16 features.
	changes = checkRemovalPreservesOutput(t, m, "c2", []int{0}, false)
	fc := m.Node("fc").Layer.(*Linear)
	if fc.In != 4*16 || len(changes[1].In) != 16 || changes[1].In[15] != 15 {
		t.Errorf("fc.In = %d, changes %+v", fc.In, changes)
	}
}

func TestRemoveFiltersResidual(t *testing.T) {
	// Two producers (a, and b through batch norm) feed an add, whose
	// result feeds another add with a's output and a concat.
	m := New("x", 2, 4, 4)
	a := m.Add("a", NewConv(2, 4, 3, 1, 1), "x")
	b := m.Add("b", NewConv(4, 4, 3, 1, 1), a)
	bn := m.Add("bn", NewBatchNorm(4), b)
	s := m.Add("sum", &Add{}, a, bn)
	d := m.Add("dw", NewDepthwise(4, 3, 1, 1), s)
	s2 := m.Add("sum2", &Add{}, d, a)
	e := m.Add("e", NewConv(2, 3, 1, 1, 0), "x")
	c := m.Add("cat", &Concat{}, e, s2)
	g := m.Add("gap", &GlobalAvgPool{}, c)
	f := m.Add("flat", &Flatten{}, g)
	m.Add("fc", NewLinear(7, 2), f)
	randomise(m, 2)
	bnZeroPassthrough(m)
	m.Node("dw").Layer.(*Conv).Bias.Data[2] = 0
	// Zero channel 2 of b too, since the add forces its removal.
	bw := m.Node("b").Layer.(*Conv)
	clear(bw.Weight.Data[2*36 : 3*36])
	bw.Bias.Data[2] = 0
	changes := checkRemovalPreservesOutput(t, m, "a", []int{2}, true)
	want := []Change{
		{Node: "a", Kind: KindConv, Out: []int{2}},
		{Node: "b", Kind: KindConv, Out: []int{2}, In: []int{2}},
		{Node: "bn", Kind: KindBatchNorm, Out: []int{2}},
		{Node: "dw", Kind: KindConv, Out: []int{2}},
		{Node: "fc", Kind: KindLinear, In: []int{5}},
	}
	if !equalChanges(changes, want) {
		t.Errorf("changes %+v\nwant %+v", changes, want)
	}
	// Pruning b alone reaches a through the add.
	c2, err := RemoveFilters(m.Clone(), "b", []int{0})
	if err != nil || c2[0].Node != "a" || !slices.Equal(c2[0].Out, []int{0}) {
		t.Errorf("pruning b: %+v, %v", c2, err)
	}
}

// TestRemoveFiltersTokens removes hidden features of a feed-forward block
// over tokens ([L F] inputs, the linear layers applied along the last
// axis), through elementwise layers and a per-feature constant, while the
// residual stream around it keeps its width.
func TestRemoveFiltersTokens(t *testing.T) {
	m := New("x", 5, 6)
	e := m.Add("emb", NewLinear(6, 4), "x")
	h := m.Add("fc1", NewLinear(4, 8), e)
	h = m.Add("gelu", &Act{Func: GELU}, h)
	h = m.Add("scale", &Binary{Op: OpMul, Const: NewParam(nil, 8)}, h)
	h = m.Add("drop", NewDropout(0.1), h)
	h = m.Add("fc2", NewLinear(8, 4), h)
	r := m.Add("res", &Add{}, e, h)
	r = m.Add("ln", &LayerNorm{Axes: 1, Eps: 1e-5, Scale: NewParam(nil, 4), Bias: NewParam(nil, 4)}, r)
	r = m.Add("mean", &ReduceMean{Axes: []int{0}}, r)
	m.Add("head", NewLinear(4, 3), r)
	randomise(m, 3)
	for i := range m.Node("scale").Layer.(*Binary).Const.Data {
		m.Node("scale").Layer.(*Binary).Const.Data[i] = float32(i + 1)
	}
	changes := checkRemovalPreservesOutput(t, m, "fc1", []int{6, 1, 2}, false)
	want := []Change{
		{Node: "fc1", Kind: KindLinear, Out: []int{1, 2, 6}},
		{Node: "scale", Kind: KindBinary, Out: []int{1, 2, 6}},
		{Node: "fc2", Kind: KindLinear, In: []int{1, 2, 6}},
	}
	if !equalChanges(changes, want) {
		t.Errorf("changes %+v\nwant %+v", changes, want)
	}
	if c := m.Node("scale").Layer.(*Binary).Const.Data; !slices.Equal(c, []float32{1, 4, 5, 6, 8}) {
		t.Errorf("constant after surgery %v, want [1 4 5 6 8]", c)
	}
	ok, refused, err := Prunable(m)
	if err != nil || !slices.Equal(ok, []string{"fc1"}) || len(refused) != 3 || refused[0].Node != "emb" || refused[1].Node != "fc2" ||
		refused[2].Node != "head" || !strings.Contains(refused[2].Err.Error(), "would change the model output") {
		t.Errorf("Prunable: %v, %+v, %v", ok, refused, err)
	}
	// The residual stream is tied: its width goes through the layer norm.
	for _, node := range []string{"emb", "fc2"} {
		_, err := RemoveFilters(m.Clone(), node, []int{0})
		if want := `nn: node "ln" (layernorm): cannot remove channels through layernorm`; err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: error %v, want %s", node, err, want)
		}
	}
}

func equalChanges(a, b []Change) bool {
	return slices.EqualFunc(a, b, func(x, y Change) bool {
		return x.Node == y.Node && x.Kind == y.Kind && slices.Equal(x.Out, y.Out) && slices.Equal(x.In, y.In)
	})
}

func TestRemoveFiltersErrors(t *testing.T) {
	grouped := func() *Model {
		m := New("x", 4, 4, 4)
		a := m.Add("a", NewConv(4, 4, 1, 1, 0), "x")
		g := &Conv{InC: 4, OutC: 4, Kernel: [2]int{1, 1}, Groups: 2, Weight: NewParam(nil, 4, 2, 1, 1)}
		x := m.Add("g", g, a)
		x = m.Add("f", &Flatten{}, x)
		m.Add("fc", NewLinear(64, 2), x)
		return m
	}
	residualInput := func() *Model {
		m := New("x", 2, 4, 4)
		a := m.Add("a", NewConv(2, 2, 1, 1, 0), "x")
		s := m.Add("s", &Add{}, a, "x")
		x := m.Add("f", &Flatten{}, s)
		m.Add("fc", NewLinear(32, 2), x)
		return m
	}
	tests := []struct {
		name    string
		m       *Model
		node    string
		filters []int
		want    string
	}{
		{"grouped", grouped(), "a", []int{1}, `nn: node "g": cannot remove an input channel of a grouped convolution (2 groups)`},
		{"grouped source", grouped(), "g", []int{1}, `nn: node "g": cannot remove a filter of a grouped convolution (2 groups)`},
		{"reaches input", residualInput(), "a", []int{0}, `nn: removing channel 0 would change the model input "x"`},
		{"output", residualInput(), "fc", []int{0}, `nn: removing channel 0 would change the model output "fc"`},
		{"all", grouped(), "fc", []int{0, 1}, `nn: node "fc" would lose all its channels, and nn: node "fc" (linear) cannot be bypassed: its output "fc" is the model output`},
		{"range", grouped(), "a", []int{4}, `nn: node "a": filter 4 outside [0, 4)`},
		{"kind", grouped(), "f", []int{0}, `nn: node "f" is flatten; filters can be removed from conv and linear layers`},
		{"everything", func() *Model {
			m := New("x", 1, 2, 2)
			a := m.Add("a", NewConv(1, 2, 1, 1, 0), "x")
			x := m.Add("f", &Flatten{}, a)
			m.Add("fc", NewLinear(8, 2), x)
			return m
		}(), "a", []int{0, 1}, `nn: node "a" would lose all its channels`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := tt.m.Clone()
			_, err := RemoveFilters(tt.m, tt.node, tt.filters)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
			if tt.m.NumParams() != before.NumParams() {
				t.Error("a refused removal changed the model")
			}
		})
	}
}

func TestMaskSurvivesTraining(t *testing.T) {
	for _, opt := range []Optimizer{&SGD{Momentum: 0.9, WeightDecay: 1e-3}, &Adam{WeightDecay: 1e-3}, &Adam{Decoupled: true, WeightDecay: 0.1}} {
		m := dagModel()
		randomise(m, 7)
		w := m.Node("conv").Layer.(*Conv).Weight
		if err := w.MaskSmallest(0.5); err != nil {
			t.Fatal(err)
		}
		if z := w.Zeros(); z != w.Len()/2 {
			t.Fatalf("%d zeros after masking half of %d", z, w.Len())
		}
		e := NewExec(m, 2)
		x := NewTensor(4, 2, 6, 6)
		rng := rand.New(rand.NewPCG(1, 1))
		for step := 0; step < 5; step++ {
			for i := range x.Data {
				x.Data[i] = rng.Float32()
			}
			out, _ := e.Forward(x, true)
			g := NewTensor(out.Shape...)
			SoftmaxCrossEntropy(out, []int{0, 1, 2, 1}, g)
			e.Backward(g)
			opt.Step(m.Params(), 0.1)
		}
		for i, keep := range w.Mask {
			if !keep && w.Data[i] != 0 {
				t.Fatalf("%T: masked weight %d is %v after training", opt, i, w.Data[i])
			}
			if keep && w.Data[i] == 0 {
				t.Fatalf("%T: unmasked weight %d is exactly zero", opt, i)
			}
		}
		// Masks survive surgery, cut to the new shape.
		if _, err := RemoveFilters(m, "conv", []int{0}); err != nil {
			t.Fatal(err)
		}
		w = m.Node("conv").Layer.(*Conv).Weight
		if len(w.Mask) != w.Len() || w.Sparsity() < 0.3 {
			t.Errorf("after surgery: mask %d values, weights %d, sparsity %.2f", len(w.Mask), w.Len(), w.Sparsity())
		}
	}
}

func TestFilterNormsAndDescribe(t *testing.T) {
	m := New("x", 1, 4, 4)
	c := NewConv(1, 2, 3, 1, 1)
	copy(c.Weight.Data, []float32{3, 4})
	c.Weight.Data[9] = -2
	x := m.Add("c", c, "x")
	x = m.Add("f", &Flatten{}, x)
	m.Add("fc", NewLinear(32, 3), x)
	norms, err := FilterNorms(m, "c")
	if err != nil || !slices.Equal(norms, []float64{5, 2}) {
		t.Errorf("norms %v, %v", norms, err)
	}
	infos, err := Describe(m)
	if err != nil {
		t.Fatal(err)
	}
	ci := infos[0]
	if ci.In != [3]int{1, 4, 4} || ci.Out != [3]int{2, 4, 4} || ci.Kernel != [2]int{3, 3} || ci.Pad != [4]int{1, 1, 1, 1} ||
		ci.Params != 20 || ci.MACs != 18*16 || ci.Zeros != 15 {
		t.Errorf("conv info %+v", ci)
	}
	if fi := infos[2]; fi.In != [3]int{32, 1, 1} || fi.Out != [3]int{3, 1, 1} || fi.MACs != 96 {
		t.Errorf("linear info %+v", fi)
	}
}

func TestRemoveFiltersLinear(t *testing.T) {
	m := New("x", 1, 3, 3)
	x := m.Add("f", &Flatten{}, "x")
	x = m.Add("fc1", NewLinear(9, 6), x)
	x = m.Add("r", NewReLU(), x)
	x = m.Add("d", NewDropout(0.5), x)
	m.Add("fc2", NewLinear(6, 2), x)
	randomise(m, 5)
	changes := checkRemovalPreservesOutput(t, m, "fc1", []int{0, 5, 3}, false)
	want := []Change{
		{Node: "fc1", Kind: KindLinear, Out: []int{0, 3, 5}},
		{Node: "fc2", Kind: KindLinear, In: []int{0, 3, 5}},
	}
	if !equalChanges(changes, want) {
		t.Errorf("changes %+v\nwant %+v", changes, want)
	}
}

// TestDescribeTokens checks the multiply-accumulates of a linear layer
// over tokens (once per token) and of a product of activations.
func TestDescribeTokens(t *testing.T) {
	m := New("x", 5, 8)
	q := m.Add("q", NewLinear(8, 4), "x")                                           // [5 4]: 5·8·4 MACs
	k := m.Add("kt", &Permute{Perm: []int{1, 0}}, m.Add("k", NewLinear(8, 4), "x")) // [4 5]
	m.Add("scores", &MatMul{}, q, k)                                                // [5 5]: 5·4·5 MACs
	infos, err := Describe(m)
	if err != nil {
		t.Fatal(err)
	}
	for _, li := range infos {
		want := map[string]int64{"q": 160, "k": 160, "kt": 0, "scores": 100}[li.Name]
		if li.MACs != want {
			t.Errorf("%s: %d MACs, want %d", li.Name, li.MACs, want)
		}
	}
}
