package graph_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/nnergy/nnergy/onnx"
	"github.com/nnergy/nnergy/onnx/graph"
)

// TestReadWindow checks the window attributes against the ONNX rules:
// explicit pads, auto_pad SAME_UPPER and SAME_LOWER (the odd pad at the end
// or the beginning, output ceil(in/stride)), VALID, and ceil_mode.
func TestReadWindow(t *testing.T) {
	cases := []struct {
		name      string
		in        []int64
		attrs     []onnx.Attribute
		ceil      bool
		pads, out []int64
	}{
		{"explicit", []int64{7, 7}, []onnx.Attribute{onnx.IntsAttr("kernel_shape", 3, 3), onnx.IntsAttr("pads", 1, 1, 1, 1)}, false, []int64{1, 1, 1, 1}, []int64{7, 7}},
		{"same upper odd", []int64{6}, []onnx.Attribute{onnx.IntsAttr("kernel_shape", 2), onnx.StringAttr("auto_pad", "SAME_UPPER")}, false, []int64{0, 1}, []int64{6}},
		{"same lower odd", []int64{6}, []onnx.Attribute{onnx.IntsAttr("kernel_shape", 2), onnx.StringAttr("auto_pad", "SAME_LOWER")}, false, []int64{1, 0}, []int64{6}},
		{"same upper strided", []int64{7, 8}, []onnx.Attribute{onnx.IntsAttr("kernel_shape", 3, 3), onnx.IntsAttr("strides", 2, 2), onnx.StringAttr("auto_pad", "SAME_UPPER")}, false, []int64{1, 0, 1, 1}, []int64{4, 4}},
		{"same dilated", []int64{10}, []onnx.Attribute{onnx.IntsAttr("kernel_shape", 3), onnx.IntsAttr("dilations", 2), onnx.StringAttr("auto_pad", "SAME_UPPER")}, false, []int64{2, 2}, []int64{10}},
		{"valid drops pads", []int64{7}, []onnx.Attribute{onnx.IntsAttr("kernel_shape", 3), onnx.IntsAttr("pads", 1, 1), onnx.StringAttr("auto_pad", "VALID")}, false, []int64{0, 0}, []int64{5}},
		{"ceil adds a window", []int64{6}, []onnx.Attribute{onnx.IntsAttr("kernel_shape", 3), onnx.IntsAttr("strides", 2)}, true, []int64{0, 0}, []int64{3}},
		{"ceil with end padding", []int64{5}, []onnx.Attribute{onnx.IntsAttr("kernel_shape", 2), onnx.IntsAttr("strides", 2), onnx.IntsAttr("pads", 0, 1)}, true, []int64{0, 1}, []int64{3}},
		{"ceil drops a window starting in the padding", []int64{4}, []onnx.Attribute{onnx.IntsAttr("kernel_shape", 2), onnx.IntsAttr("strides", 3), onnx.IntsAttr("pads", 0, 2)}, true, []int64{0, 2}, []int64{2}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := &onnx.Node{Name: "p", OpType: "MaxPool", Attrs: tc.attrs}
			w, err := graph.ReadWindow(n, tc.in, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(w.Pads, tc.pads) {
				t.Errorf("pads %v, want %v", w.Pads, tc.pads)
			}
			var out []int64
			for i, d := range tc.in {
				out = append(out, w.Out(i, d, tc.ceil))
			}
			if !slices.Equal(out, tc.out) {
				t.Errorf("output %v, want %v", out, tc.out)
			}
		})
	}
}

func TestReadWindowErrors(t *testing.T) {
	cases := []struct {
		name   string
		kernel []int64
		attrs  []onnx.Attribute
		want   string
	}{
		{"no kernel", nil, nil, `node "c" (Conv): attribute "kernel_shape" is missing`},
		{"kernel disagrees with weights", []int64{3, 3}, []onnx.Attribute{onnx.IntsAttr("kernel_shape", 3, 5)}, `attribute "kernel_shape" is [3 5] but the weights have kernel [3 3]`},
		{"zero stride", []int64{3, 3}, []onnx.Attribute{onnx.IntsAttr("strides", 0, 1)}, `attribute "strides": values must be positive, got [0 1]`},
		{"negative pad", []int64{3, 3}, []onnx.Attribute{onnx.IntsAttr("pads", 0, -1, 0, 0)}, `attribute "pads": values must not be negative`},
		{"wrong length", []int64{3, 3}, []onnx.Attribute{onnx.IntsAttr("dilations", 1)}, `attribute "dilations"`},
		{"unknown auto_pad", []int64{3, 3}, []onnx.Attribute{onnx.StringAttr("auto_pad", "FULL")}, `attribute "auto_pad": unknown value "FULL"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := &onnx.Node{Name: "c", OpType: "Conv", Attrs: tc.attrs}
			_, err := graph.ReadWindow(n, []int64{8, 8}, tc.kernel)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

// TestReshape checks Reshape's target semantics: 0 copies (or, with
// allowzero, is 0), -1 is inferred, and what cannot be is refused.
func TestReshape(t *testing.T) {
	cases := []struct {
		in, target []int64
		allowZero  bool
		want       []int64
		err        string
	}{
		{[]int64{2, 3, 4}, []int64{0, -1}, false, []int64{2, 12}, ""},
		{[]int64{2, 3, 4}, []int64{-1}, false, []int64{24}, ""},
		{[]int64{2, 3, 4}, []int64{4, 0, 2}, false, []int64{4, 3, 2}, ""},
		{[]int64{0, 3}, []int64{3, 0}, true, []int64{3, 0}, ""},
		{[]int64{2, 3}, []int64{0, 0, 0}, false, nil, "shape [0 0 0] copies dimension 2 of input shape [2 3], which has none"},
		{[]int64{2, 3}, []int64{-1, -1}, false, nil, "shape [-1 -1] has more than one -1"},
		{[]int64{2, 3}, []int64{-2, 3}, false, nil, "shape [-2 3] has a negative dimension"},
		{[]int64{2, 3}, []int64{4, -1}, false, nil, "cannot reshape input of shape [2 3] to [4 -1]"},
		{[]int64{2, 3}, []int64{0, -1}, true, nil, "cannot reshape input of shape [2 3] to [0 -1]"},
		{[]int64{2, 3}, []int64{5}, false, nil, "cannot reshape input of shape [2 3] (6 elements) to [5]"},
	}
	for _, tc := range cases {
		var attrs []onnx.Attribute
		if tc.allowZero {
			attrs = append(attrs, onnx.IntAttr("allowzero", 1))
		}
		got, err := walk("Reshape", []*graph.Value{{Shape: tc.in}, vec(tc.target...)}, 1, 0, 0, attrs...)
		switch {
		case tc.err != "" && (err == nil || err.Error() != `onnx: node "n" (Reshape): `+tc.err):
			t.Errorf("Reshape(%v, %v, %v): error %v, want %q", tc.in, tc.target, tc.allowZero, err, tc.err)
		case tc.err == "" && (err != nil || !slices.Equal(got[0].Shape, tc.want)):
			t.Errorf("Reshape(%v, %v, %v) = %v, %v; want %v", tc.in, tc.target, tc.allowZero, got, err, tc.want)
		}
	}
}

func TestNames(t *testing.T) {
	ns := graph.Names{}
	var got []string
	for _, s := range []string{"a", "a", "b", "a", "a_2"} {
		got = append(got, ns.Unique(s))
	}
	if want := []string{"a", "a_2", "b", "a_3", "a_2_2"}; !slices.Equal(got, want) {
		t.Errorf("Unique: %v, want %v", got, want)
	}
	for _, tc := range []struct {
		n    *onnx.Node
		want string
	}{
		{&onnx.Node{Name: "conv1", Outputs: []string{"y"}}, "conv1"},
		{&onnx.Node{Outputs: []string{"", "h"}}, "h"},
	} {
		if got := graph.NodeName(tc.n); got != tc.want {
			t.Errorf("NodeName(%v) = %q, want %q", tc.n.Outputs, got, tc.want)
		}
	}
}

// TestLower checks that an importer's op takes precedence over the
// front-end's, sets its outputs' From, and that the front-end's ops pass
// the union of their inputs' From on.
func TestLower(t *testing.T) {
	m := onnx.NewModel("g")
	g := m.Graph
	g.AddNode("MatMul", []string{"x", "w"}, []string{"a"}).Name = "m1"
	g.AddNode("Relu", []string{"x"}, []string{"b"}).Name = "r"
	g.AddNode("Add", []string{"a", "b"}, []string{"c"}).Name = "add"
	g.AddInitializer("w", []int64{3, 5}, make([]float32, 15))
	w := graph.NewWalker(m)
	w.Values["x"] = act(2, 3)
	calls := 0
	w.Lower = map[string]graph.Op{"Relu": {MinIn: 1, Infer: func(c *graph.Call) ([]*graph.Value, error) {
		calls++
		return []*graph.Value{{Shape: c.In[0].Shape, Batch: true, From: []int{7}}}, nil
	}}, "MatMul": {MinIn: 2, Infer: func(c *graph.Call) ([]*graph.Value, error) {
		calls++
		return []*graph.Value{{Shape: []int64{2, 3}, Batch: true, From: []int{3}}}, nil
	}}}
	if err := w.Walk(); err != nil {
		t.Fatal(err)
	}
	if calls != 2 {
		t.Errorf("%d lowering calls, want 2", calls)
	}
	if c := w.Values["c"]; !slices.Equal(c.From, []int{3, 7}) || c.Type != onnx.Float {
		t.Errorf("c: From %v type %v, want [3 7] and FLOAT", c.From, c.Type)
	}
	if s := w.Supported(); !slices.Contains(s, "MatMul") || !slices.IsSorted(s) {
		t.Errorf("Supported() = %v, want the lowered ops too, sorted", s)
	}
}
