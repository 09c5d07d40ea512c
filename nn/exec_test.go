package nn

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// dagModel is a small residual network that reads one tensor twice (x + x),
// concatenates branches and ends in a linear layer.
func dagModel() *Model {
	m := New("x", 2, 6, 6)
	a := m.Add("conv", NewConv(2, 4, 3, 1, 1), "x")
	b := m.Add("bn", NewBatchNorm(4), a)
	r := m.Add("relu", NewReLU(), b)
	d := m.Add("dw", NewDepthwise(4, 3, 1, 1), r)
	s := m.Add("add", &Add{}, r, d, d)
	c := m.Add("cat", &Concat{}, s, a)
	p := m.Add("pool", NewAvgPool(2, 2), c)
	f := m.Add("flat", &Flatten{}, p)
	m.Add("fc", NewLinear(8*3*3, 3), f)
	return m
}

func randomise(m *Model, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 1))
	for _, p := range m.Params() {
		for i := range p.Data {
			p.Data[i] = rng.Float32() - 0.5
		}
	}
}

// TestExecDAGGradient checks the executor's gradient routing (a tensor read
// by several nodes, and twice by one) end to end through the loss. ReLU
// after batch norm has inputs near its kink, so this
// test uses h = 1e-3 and tolerance 2e-3 + 2%.
func TestExecDAGGradient(t *testing.T) {
	t.Run("dag", func(t *testing.T) { checkModelGradient(t, dagModel(), 1) })
	// Conv -> ReLU and linear -> ReLU pairs are fused by the executor.
	m := New("x", 2, 6, 6)
	x := m.Add("conv", NewConv(2, 4, 3, 1, 1), "x")
	x = m.Add("relu", NewReLU(), x)
	x = m.Add("pool", NewAvgPool(2, 2), x)
	x = m.Add("dw", NewDepthwise(4, 3, 1, 1), x)
	x = m.Add("relu6", &ReLU{Cap: 0.3}, x)
	x = m.Add("flat", &Flatten{}, x)
	x = m.Add("fc", NewLinear(36, 5), x)
	x = m.Add("relu2", NewReLU(), x)
	m.Add("out", NewLinear(5, 3), x)
	t.Run("fused", func(t *testing.T) { checkModelGradient(t, m, 3) })
}

func checkModelGradient(t *testing.T, m *Model, wantFused int) {
	const h = 1e-3
	randomise(m, 3)
	e := NewExec(m, 2)
	x := NewTensor(3, 2, 6, 6)
	rng := rand.New(rand.NewPCG(5, 5))
	distinct(rng, x.Data)
	labels := []int{0, 2, 1}
	lossOf := func() float64 {
		out, err := e.Forward(x, true)
		if err != nil {
			t.Fatal(err)
		}
		l, _ := SoftmaxCrossEntropy(out, labels, nil)
		return l
	}
	out, err := e.Forward(x, true)
	if err != nil {
		t.Fatal(err)
	}
	g := NewTensor(out.Shape...)
	SoftmaxCrossEntropy(out, labels, g)
	if err := e.Backward(g); err != nil {
		t.Fatal(err)
	}
	fused := 0
	for _, o := range e.plans[3].ops {
		if r, ok := o.(*reluOp); ok && r.fused {
			fused++
		}
	}
	if fused != wantFused {
		t.Errorf("%d ReLUs fused, want %d", fused, wantFused)
	}
	for pi, p := range m.Params() {
		grad := slices.Clone(p.Grad)
		for i := range p.Data {
			old := p.Data[i]
			p.Data[i] = old + h
			lp := lossOf()
			p.Data[i] = old - h
			lm := lossOf()
			p.Data[i] = old
			num := (lp - lm) / (2 * h)
			if d := math.Abs(num - float64(grad[i])); d > 2e-3+0.02*math.Abs(num) {
				t.Errorf("param %d[%d]: numeric %.5f analytic %.5f", pi, i, num, grad[i])
			}
		}
	}
}

func TestExecDeterministic(t *testing.T) {
	grads := func(workers int) [][]float32 {
		m := dagModel()
		randomise(m, 4)
		e := NewExec(m, workers)
		x := NewTensor(5, 2, 6, 6)
		rng := rand.New(rand.NewPCG(6, 6))
		for i := range x.Data {
			x.Data[i] = rng.Float32()
		}
		out, _ := e.Forward(x, true)
		g := NewTensor(out.Shape...)
		SoftmaxCrossEntropy(out, []int{0, 1, 2, 0, 1}, g)
		e.Backward(g)
		var all [][]float32
		for _, p := range m.Params() {
			all = append(all, slices.Clone(p.Grad))
		}
		return all
	}
	a, b := grads(2), grads(2)
	for i := range a {
		if !slices.Equal(a[i], b[i]) {
			t.Fatalf("param %d: two runs with 2 workers differ", i)
		}
	}
	c := grads(1)
	for i := range a {
		for k := range a[i] {
			if math.Abs(float64(a[i][k]-c[i][k])) > 1e-4 {
				t.Fatalf("param %d[%d]: 1 worker %v, 2 workers %v", i, k, c[i][k], a[i][k])
			}
		}
	}
}

func TestCheckErrors(t *testing.T) {
	tests := []struct {
		name  string
		build func() *Model
		want  []string
	}{
		{"undefined input", func() *Model {
			m := New("x", 1, 4, 4)
			m.Add("a", NewReLU(), "y")
			return m
		}, []string{`nn: node "a" (relu): input "y" is not defined before it`}},
		{"duplicate and channel mismatch", func() *Model {
			m := New("x", 1, 4, 4)
			m.Add("a", NewReLU(), "x")
			m.Add("a", NewReLU(), "x")
			m.Add("c", NewConv(3, 2, 3, 1, 1), "a")
			return m
		}, []string{`nn: node "a": name already used`, `nn: node "c" (conv): conv: input has 1 channels, layer expects 3`}},
		{"add shapes", func() *Model {
			m := New("x", 1, 4, 4)
			m.Add("p", NewMaxPool(2, 2), "x")
			m.Add("s", &Add{}, "x", "p")
			return m
		}, []string{`nn: node "s" (add): add: input shapes [[1 4 4] [1 2 2]] differ`}},
		{"linear needs flatten", func() *Model {
			m := New("x", 1, 4, 4)
			m.Add("fc", NewLinear(16, 2), "x")
			return m
		}, []string{`nn: node "fc" (linear): linear: input shape [1 4 4], want [16]`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.build().Check()
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestForwardErrors(t *testing.T) {
	e := NewExec(dagModel(), 1)
	if _, err := e.Forward(NewTensor(1, 3, 6, 6), false); err == nil || err.Error() != "nn: input shape [1 3 6 6], want [N [2 6 6]]" {
		t.Errorf("got %v", err)
	}
	if err := e.Backward(NewTensor(1, 3)); err == nil || err.Error() != "nn: backward needs a training forward pass first" {
		t.Errorf("got %v", err)
	}
}

// TestSplitForwardMatches checks the batch-1 path, which splits each
// product across workers instead of giving them whole images: the result
// must equal the single-worker one bit for bit.
func TestSplitForwardMatches(t *testing.T) {
	m := New("x", 3, 20, 20)
	x1 := m.Add("c1", NewConv(3, 20, 3, 1, 1), "x")
	x1 = m.Add("c2", NewConv(20, 24, 1, 1, 0), x1)
	x1 = m.Add("c3", NewConv(24, 8, 3, 2, 1), x1)
	x1 = m.Add("f", &Flatten{}, x1)
	m.Add("fc", NewLinear(8*10*10, 300), x1)
	randomise(m, 8)
	x := NewTensor(1, 3, 20, 20)
	for i := range x.Data {
		x.Data[i] = float32(i%11) - 5
	}
	a, err := NewExec(m, 1).Forward(x, false)
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Clone(a.Data)
	for _, w := range []int{2, 3} {
		b, err := NewExec(m, w).Forward(x, false)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(b.Data, want) {
			t.Errorf("%d workers: output differs from 1 worker", w)
		}
	}
	// The batched path (whole images per worker, GEMM for the linear
	// layer) agrees up to rounding.
	x3 := NewTensor(3, 3, 20, 20)
	for i := range 3 {
		copy(x3.Data[i*len(x.Data):], x.Data)
	}
	c, err := NewExec(m, 2).Forward(x3, false)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		for j, v := range want {
			if d := math.Abs(float64(c.Data[i*len(want)+j] - v)); d > 1e-4*max(1, math.Abs(float64(v))) {
				t.Fatalf("sample %d output %d: batched %v, batch-1 %v", i, j, c.Data[i*len(want)+j], v)
			}
		}
	}
}
