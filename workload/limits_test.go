package workload

import (
	"math"
	"strings"
	"testing"
)

// TestSumSetSize checks the closed form against counting the distinct
// values of a·x + b·y directly.
func TestSumSetSize(t *testing.T) {
	for a := 1; a <= 7; a++ {
		for b := 1; b <= 7; b++ {
			for n := 0; n <= 13; n++ {
				for m := 0; m <= 13; m++ {
					seen := map[int]bool{}
					for x := range n {
						for y := range m {
							seen[a*x+b*y] = true
						}
					}
					if got := SumSetSize(a, n, b, m); got != int64(len(seen)) {
						t.Fatalf("SumSetSize(%d, %d, %d, %d) = %d, want %d", a, n, b, m, got, len(seen))
					}
				}
			}
		}
	}
}

// TestLayerLimits builds layers at and past the limits: past them the
// constructors refuse with an error naming the limit, where the products
// used to wrap around (a negative or zero MAC count).
func TestLayerLimits(t *testing.T) {
	const big = MaxBound
	ones := Shape{1, 1, 1, 1, 1, 1, 1, 1}
	with := func(kv ...int) Shape {
		s := ones
		for i := 0; i < len(kv); i += 2 {
			s[kv[i]] = kv[i+1]
		}
		return s
	}
	for _, tc := range []struct {
		name     string
		shape    Shape
		stride   [2]int
		dilation [2]int
		want     string // "" for no error
	}{
		{"max bound", with(int(M), big), [2]int{1, 1}, [2]int{1, 1}, ""},
		{"large prime", with(int(M), 4294967291), [2]int{1, 1}, [2]int{1, 1}, ""},
		{"bound past", with(int(M), big+1), [2]int{1, 1}, [2]int{1, 1}, "workload.MaxBound"},
		{"MACs wrap", with(int(M), big, int(C), big, int(P), big), [2]int{1, 1}, [2]int{1, 1}, "workload.MaxMACs"},
		{"MACs at limit", with(int(M), 1<<27, int(C), 1<<26), [2]int{1, 1}, [2]int{1, 1}, ""},
		{"MACs past", with(int(M), 1<<27, int(C), 1<<26, int(N), 2), [2]int{1, 1}, [2]int{1, 1}, "workload.MaxMACs"},
		{"weights past", with(int(M), 1<<27, int(C), 1<<27), [2]int{1, 1}, [2]int{1, 1}, "workload.MaxMACs"},
		{"stride past", ones, [2]int{big + 1, 1}, [2]int{1, 1}, "workload.MaxBound"},
		{"input span", with(int(P), big, int(R), 3), [2]int{2, 1}, [2]int{3, 1}, "workload.MaxBound"},
		{"coprime stride and dilation", with(int(P), 1<<20, int(R), 1<<10), [2]int{3, 1}, [2]int{5, 1}, ""},
	} {
		l, err := NewLayer(tc.name, GEMM, tc.shape, tc.stride, tc.dilation)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want == "" && (l.MACs() <= 0 || l.Validate() != nil):
			t.Errorf("%s: MACs %d, Validate %v", tc.name, l.MACs(), l.Validate())
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: error %v, want one naming %s", tc.name, err, tc.want)
		}
	}
}

func TestConvLimits(t *testing.T) {
	base := ConvSpec{Name: "c", InC: 3, OutC: 8, InH: 32, InW: 32, KH: 3, KW: 3}
	for _, tc := range []struct {
		name string
		edit func(*ConvSpec)
		want string
	}{
		{"fits", func(*ConvSpec) {}, ""},
		{"dilated kernel wraps", func(c *ConvSpec) { c.KH, c.DilationH = MaxBound, MaxBound }, "does not fit"},
		{"huge padding", func(c *ConvSpec) { c.PadT = math.MaxInt }, "workload.MaxBound"},
		{"huge batch", func(c *ConvSpec) { c.Batch = MaxBound + 1 }, "workload.MaxBound"},
		{"MACs past", func(c *ConvSpec) { c.Batch, c.InC, c.OutC = MaxBound, 1<<12, 1<<12 }, "workload.MaxMACs"},
	} {
		c := base
		tc.edit(&c)
		_, err := NewConv(c)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
}

// TestNetworkMACsLimit checks the network total and a batch that pushes a
// layer past the limit after the layer was built.
func TestNetworkMACsLimit(t *testing.T) {
	l, err := NewGEMM("g", 1<<26, 1<<26, 1)
	if err != nil {
		t.Fatal(err)
	}
	n := &Network{Name: "n", Layers: []*Layer{l}}
	if err := n.Validate(); err != nil {
		t.Fatal(err)
	}
	two := *l
	two.Name = "g2"
	n.Layers = append(n.Layers, &two, &Layer{Name: "g3", Kind: GEMM, Shape: l.Shape, Stride: l.Stride, Dilation: l.Dilation})
	if err := n.Validate(); err == nil || !strings.Contains(err.Error(), "workload.MaxMACs") {
		t.Errorf("three layers of 2^52 MACs: Validate = %v, want the MaxMACs limit", err)
	}
	if err := (&Network{Name: "n", Layers: []*Layer{l}}).WithBatch(4).Validate(); err == nil || !strings.Contains(err.Error(), "workload.MaxMACs") {
		t.Errorf("batch 4: Validate = %v, want the MaxMACs limit", err)
	}
}
