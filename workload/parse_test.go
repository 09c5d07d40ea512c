package workload

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	goldenfile "github.com/nnergy/nnergy/internal/golden"

	"github.com/google/go-cmp/cmp"
	"github.com/nnergy/nnergy/internal/yamlspec"
)

func TestParseExample(t *testing.T) {
	const file = "../examples/workloads/tiny.yaml"
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	n, err := Parse(file, data)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Name    string
		Kind    Kind
		Shape   Shape
		Stride  [2]int
		Padding [4]int
		Bits    [NumTensors]int
		Density [NumTensors]float64
		From    []string
		MACs    int64
	}
	var got []row
	for _, l := range n.Layers {
		got = append(got, row{l.Name, l.Kind, l.Shape, l.Stride, l.Padding, l.Bits, l.Density, l.From, l.MACs()})
	}
	b16 := [NumTensors]int{16, 16, 16}
	d1 := [NumTensors]float64{1, 1, 1}
	want := []row{
		{"conv1", Conv, Shape{1, 1, 16, 3, 32, 32, 3, 3}, [2]int{1, 1}, [4]int{1, 1, 1, 1}, b16, d1, nil, 16 * 3 * 32 * 32 * 9},
		{"dw2", Depthwise, Shape{1, 16, 1, 1, 16, 16, 3, 3}, [2]int{2, 2}, [4]int{1, 1, 1, 1}, b16, d1, []string{"conv1"}, 16 * 16 * 16 * 9},
		{"pw3", Pointwise, Shape{1, 1, 32, 16, 16, 16, 1, 1}, [2]int{1, 1}, [4]int{}, b16, d1, []string{"dw2"}, 32 * 16 * 16 * 16},
		{"conv4", Conv, Shape{1, 1, 32, 32, 16, 16, 3, 3}, [2]int{1, 1}, [4]int{}, b16, d1, []string{"pw3"}, 32 * 32 * 16 * 16 * 9},
		{"fc5", FC, Shape{1, 1, 10, 8192, 1, 1, 1, 1}, [2]int{1, 1}, [4]int{}, [NumTensors]int{8, 16, 16}, [NumTensors]float64{0.5, 1, 1}, []string{"conv4"}, 81920},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("layers (-want +got):\n%s", diff)
	}
	if n.Name != "tiny" || n.Input != [4]int{1, 3, 32, 32} || n.MACs() != 3051520 {
		t.Errorf("network %q input %v MACs %d, want tiny [1 3 32 32] 3051520", n.Name, n.Input, n.MACs())
	}
}

func TestParseDefaults(t *testing.T) {
	in := `version: 1
name: d
input: [4, 8, 10, 10]
bits: {Inputs: 8}
layers:
  - name: c
    kind: conv
    in_channels: 8
    out_channels: 16
    input: [10, 10]
    kernel: [3, 3]
    dilation: [2, 1]
    groups: 2
  - name: m
    kind: matmul
    bounds: {N: 2, G: 12, M: 64, C: 64, P: 128}
    bits: {Inputs: 4}
    from: [c]
`
	n, err := Parse("d.yaml", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	c, m := n.Layers[0], n.Layers[1]
	if want := (Shape{4, 2, 8, 4, 6, 8, 3, 3}); c.Shape != want {
		t.Errorf("conv shape %v, want %v (batch from the network input, dilation 2 rows)", c.Shape, want)
	}
	if want := (Shape{2, 12, 64, 64, 128, 1, 1, 1}); m.Shape != want {
		t.Errorf("matmul shape %v, want %v", m.Shape, want)
	}
	if c.Bits != [NumTensors]int{16, 8, 16} || m.Bits != [NumTensors]int{16, 4, 16} {
		t.Errorf("bits %v and %v, want the network's Inputs 8 and the layer's 4", c.Bits, m.Bits)
	}
	if m.Kind != MatMul || c.Dilation != [2]int{2, 1} {
		t.Errorf("kind %v dilation %v", m.Kind, c.Dilation)
	}
}

// TestParseErrors pins every error of each invalid file in
// testdata/parse in the matching .err file.
func TestParseErrors(t *testing.T) {
	files, err := filepath.Glob("testdata/parse/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test files: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Parse(file, data)
			var list yamlspec.ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("Parse error = %v, want a yamlspec.ErrorList", err)
			}
			var b strings.Builder
			for _, e := range list {
				b.WriteString(e.Error() + "\n")
			}
			golden := strings.TrimSuffix(file, ".yaml") + ".err"
			goldenfile.Check(t, golden, []byte(b.String()))
		})
	}
}

const workloadDoc = "../docs/format/workload.md"

// TestWorkloadFormatDoc checks that docs/format/workload.md documents
// exactly the keys that Parse accepts, and that its examples parse.
func TestWorkloadFormatDoc(t *testing.T) {
	md, err := os.ReadFile(workloadDoc)
	if err != nil {
		t.Fatal(err)
	}
	if diff := yamlspec.DocDiff(&yamlNetwork{}, md); diff != "" {
		t.Errorf("%s and Parse disagree:\n%s", workloadDoc, diff)
	}
	blocks := yamlspec.Examples(md)
	if len(blocks) == 0 {
		t.Fatal("no YAML examples")
	}
	for _, b := range blocks {
		if _, err := Parse(workloadDoc, b); err != nil {
			t.Errorf("example does not parse: %v", err)
		}
	}
}
