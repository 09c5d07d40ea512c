package nn

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// bypassModels builds the two forms of a channel-level bypass: a residual
// branch (conv, batch norm, ReLU added back to its input) and a 3×3
// convolution between equal widths inside a chain.
func bypassModels() map[string]*Model {
	res := New("input", 2, 8, 8)
	x := res.Add("stem", NewConv(2, 4, 3, 1, 1), "input")
	x = res.Add("stem_relu", NewReLU(), x)
	y := res.Add("b_conv", NewConv(4, 4, 3, 1, 1), x)
	y = res.Add("b_bn", NewBatchNorm(4), y)
	y = res.Add("b_relu", NewReLU(), y)
	x = res.Add("b_add", &Add{}, x, y)
	x = res.Add("pool", &GlobalAvgPool{}, x)
	x = res.Add("flatten", &Flatten{}, x)
	res.Add("fc", NewLinear(4, 3), x)

	chain := New("input", 2, 8, 8)
	x = chain.Add("conv1", NewConv(2, 4, 3, 1, 1), "input")
	x = chain.Add("relu1", NewReLU(), x)
	x = chain.Add("conv2", NewConv(4, 4, 3, 1, 1), x)
	x = chain.Add("relu2", NewReLU(), x)
	x = chain.Add("conv3", NewConv(4, 5, 3, 2, 1), x)
	x = chain.Add("flatten", &Flatten{}, x)
	chain.Add("fc", NewLinear(5*4*4, 3), x)
	return map[string]*Model{"residual": res, "chain": chain}
}

// TestBypassEqualsIdentity checks the defining property of a bypass: the
// model with the layer removed computes what the original computes when
// the layer is made to carry its input through (the residual branch adds
// zero: its batch norm's scale and bias are zero; the chain's convolution
// is the identity, and the ReLU after it sees non-negative inputs).
func TestBypassEqualsIdentity(t *testing.T) {
	for _, c := range []struct {
		model, node string
		removed     []string
		identity    func(m *Model)
	}{
		{"residual", "b_conv", []string{"b_conv", "b_bn", "b_relu", "b_add"}, func(m *Model) {
			bn := m.Node("b_bn").Layer.(*BatchNorm)
			clear(bn.Scale.Data)
			clear(bn.Bias.Data)
		}},
		{"chain", "conv2", []string{"conv2", "relu2"}, func(m *Model) {
			l := m.Node("conv2").Layer.(*Conv)
			clear(l.Weight.Data)
			clear(l.Bias.Data)
			for o := range l.OutC {
				l.Weight.Data[((o*l.InC+o)*3+1)*3+1] = 1 // the centre tap of channel o to o
			}
		}},
	} {
		t.Run(c.model, func(t *testing.T) {
			m := bypassModels()[c.model]
			randomise(m, 7)
			c.identity(m)
			x := NewTensor(3, 2, 8, 8)
			rng := rand.New(rand.NewPCG(1, 2))
			for i := range x.Data {
				x.Data[i] = rng.Float32()*2 - 1
			}
			want := forwardCopy(t, m, x)
			nodes := len(m.Nodes)
			removed, err := Bypass(m, c.node)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(removed, c.removed) || len(m.Nodes) != nodes-len(c.removed) {
				t.Errorf("removed %v (%d nodes left of %d), want %v", removed, len(m.Nodes), nodes, c.removed)
			}
			for _, name := range c.removed {
				if m.Node(name) != nil {
					t.Errorf("node %s is still in the model", name)
				}
			}
			got := forwardCopy(t, m, x)
			for i := range want.Data {
				if d := math.Abs(float64(got.Data[i] - want.Data[i])); d > 1e-5 {
					t.Fatalf("output %d: %v after the bypass, %v before (differ by %g)", i, got.Data[i], want.Data[i], d)
				}
			}
		})
	}
}

func forwardCopy(t *testing.T, m *Model, x *Tensor) *Tensor {
	t.Helper()
	y, err := NewExec(m, 1).Forward(x, false)
	if err != nil {
		t.Fatal(err)
	}
	return &Tensor{Shape: slices.Clone(y.Shape), Data: slices.Clone(y.Data)}
}

// TestBypassRefused checks that layers whose shapes do not allow a bypass
// are refused with the reason, and the model left unchanged.
func TestBypassRefused(t *testing.T) {
	for _, c := range []struct{ model, node, want string }{
		{"chain", "conv1", `nn: node "conv1" (conv) cannot be bypassed: its input [2 8 8] and output [4 8 8] differ (a bypass needs equal channels and size, or a residual branch)`},
		{"chain", "conv3", `nn: node "conv3" (conv) cannot be bypassed: its input [4 8 8] and output [5 4 4] differ`},
		{"chain", "fc", `nn: node "fc" (linear) cannot be bypassed: its output "fc" is the model output`},
		{"chain", "relu1", `nn: node "relu1" (relu) cannot be bypassed: only convolution and linear layers lose channels`},
		{"residual", "stem", `nn: node "stem" (conv) cannot be bypassed: its input [2 8 8] and output [4 8 8] differ`},
		{"residual", "nowhere", `nn: no node "nowhere"`},
	} {
		m := bypassModels()[c.model]
		before := len(m.Nodes)
		err := CanBypass(m, c.node)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("CanBypass(%s, %s) = %v, want %s", c.model, c.node, err, c.want)
		}
		if _, err := Bypass(m, c.node); err == nil || len(m.Nodes) != before {
			t.Errorf("Bypass(%s, %s): err %v, %d nodes of %d", c.model, c.node, err, len(m.Nodes), before)
		}
	}
}

// TestRemoveAllFiltersBypasses checks that RemoveFilters of every filter of
// a layer that can be bypassed removes it as a bypass.
func TestRemoveAllFiltersBypasses(t *testing.T) {
	m := bypassModels()["chain"]
	changes, err := RemoveFilters(m, "conv2", []int{3, 0, 1, 2})
	if err != nil {
		t.Fatal(err)
	}
	want := []Change{{Node: "conv2", Kind: KindConv, Bypassed: []string{"conv2", "relu2"}}}
	if len(changes) != 1 || changes[0].Node != want[0].Node || !slices.Equal(changes[0].Bypassed, want[0].Bypassed) || m.Node("conv2") != nil {
		t.Errorf("changes %+v, want %+v", changes, want)
	}
}
