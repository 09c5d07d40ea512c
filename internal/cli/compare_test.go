package cli

import (
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/report"
)

// A small, fast comparison: LeNet-5's CONV and FC layers at batch 16, 2000
// evaluations per layer on 2 workers, so that results are reproducible.
var compareSmall = []string{"compare", "--model", "lenet5", "--max-evals", "2000", "--workers", "2", "--seed", "1"}

func TestCompareGolden(t *testing.T) {
	chart := filepath.Join(t.TempDir(), "chart.svg")
	code, out, errOut := runNnergy(t, append(compareSmall, "--plot", chart)...)
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	checkGolden(t, "compare_lenet5.golden", out)
	svg, err := os.ReadFile(chart)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "compare_lenet5.svg", string(svg))
	// The chart is well-formed XML.
	d := xml.NewDecoder(strings.NewReader(string(svg)))
	for {
		_, err := d.Token()
		if err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("chart is not well-formed XML: %v", err)
			}
			break
		}
	}
}

func TestCompareJSONAndCSV(t *testing.T) {
	code, out, errOut := runNnergy(t, append(compareSmall, "--format", "json", "--dataflow", "ws,rs,nlr")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep report.Compare
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.PEs != 256 || rep.Mesh != (report.Mesh{X: 16, Y: 16}) || len(rep.Architectures) != 3 || len(rep.Groups) != 2 {
		t.Fatalf("report: %d PEs, mesh %v, %d architectures, %d groups", rep.PEs, rep.Mesh, len(rep.Architectures), len(rep.Groups))
	}
	if g := rep.Groups[0]; g.Name != report.GroupConv || strings.Join(g.Layers, ",") != "c1,c3,c5" || g.Reference != "rs" {
		t.Errorf("first group %s %v ref %s", g.Name, g.Layers, g.Reference)
	}
	for _, g := range rep.Groups {
		for _, r := range g.Results {
			p := r.EnergyPerMAC
			byLevel := p.ByLevel.DRAM + p.ByLevel.Buffer + p.ByLevel.Array + p.ByLevel.RF + p.ByLevel.ALU
			byTensor := p.ByTensor.Weights + p.ByTensor.Inputs + p.ByTensor.Outputs + p.ByLevel.ALU
			if math.Abs(byLevel-p.Total) > 1e-9*p.Total || math.Abs(byTensor-p.Total) > 1e-9*p.Total {
				t.Errorf("%s %s: levels %g, data types %g, total %g", g.Name, r.Dataflow, byLevel, byTensor, p.Total)
			}
			if want := r.EnergyPJ / float64(g.MACs) / rep.MACEnergyPJ; math.Abs(want-p.Total) > 1e-9*p.Total {
				t.Errorf("%s %s: total %g per MAC, energy gives %g", g.Name, r.Dataflow, p.Total, want)
			}
			if len(r.Layers) != len(g.Layers) || r.Layers[0].Mapping == nil || r.Layers[0].Mapping.Text == "" ||
				r.Layers[0].Search == nil || r.Layers[0].Search.Evaluations != 2000 {
				t.Errorf("%s %s: layers %+v", g.Name, r.Dataflow, r.Layers)
			}
		}
		if r := g.Results[1]; r.Dataflow != "rs" || r.VsReference != 1 {
			t.Errorf("%s: reference result %s at %gx", g.Name, r.Dataflow, r.VsReference)
		}
	}

	code, out, errOut = runNnergy(t, append(compareSmall, "--format", "csv", "--layer", "fc", "--dataflow", "ws,rs,nlr")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || len(rows[0]) != 17 || rows[0][1] != "dataflow" || rows[2][1] != "rs" || rows[2][15] != "1.0000" {
		t.Fatalf("csv:\n%s", out)
	}
	// The FC group of the CSV is the FC group of the JSON.
	for i, r := range rep.Groups[1].Results {
		if got := rows[i+1][14]; got != fmtF(r.EnergyPerMAC.Total, 4) {
			t.Errorf("csv %s total %s, json %g", r.Dataflow, got, r.EnergyPerMAC.Total)
		}
	}
}

func TestComparePrintArch(t *testing.T) {
	for _, df := range []string{"rs", "ws", "nlr"} {
		code, out, errOut := runNnergy(t, "compare", "--print-arch", df, "--pes", "168")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		checkGolden(t, "compare_print_arch_"+df+".golden", out)
		s, err := arch.Parse(df+".yaml", []byte(out))
		if err != nil {
			t.Fatalf("%s: printed YAML does not parse: %v", df, err)
		}
		if s.MACUnits() != 168 {
			t.Errorf("%s: %d MACs", df, s.MACUnits())
		}
	}
}

func TestCompareLayers(t *testing.T) {
	code, out, errOut := runNnergy(t, append(compareSmall, "--layer", "c3,f6", "--dataflow", "rs,os", "--pes", "64")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"on 64 PEs (8x8)", "layers c3, f6: 4.0 M MACs", "\nc3 ", "\nf6 ", "vs rs"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "CONV layers") {
		t.Errorf("a list of layers is one group:\n%s", out)
	}
}

func TestCompareErrors(t *testing.T) {
	cases := [][]string{
		{"--dataflow", "rs,xs"},
		{"--dataflow", "rs,ws,rs"},
		{"--dataflow", ""},
		{"--pes", "0"},
		{"--pes", "257"},
		{"--pes", "many"},
		{"--rf-area", "0"},
		{"--batch", "0"},
		{"--format", "xml"},
		{"--layer", "conv9"},
		{"--layer", "c1,c1"},
		{"--model", "lenet6"},
		{"--model", "bert-base-block", "--layer", "conv"},
		{"--print-arch", "xs"},
		{"--max-evals", "0"},
		{"--objective", "area"},
		{"--plot", "compare.pdf"},
	}
	var b strings.Builder
	for _, c := range cases {
		args := append([]string{"compare"}, c...)
		if !strings.HasPrefix(c[0], "--model") {
			args = append([]string{"compare", "--model", "lenet5"}, c...)
		}
		code, out, errOut := runNnergy(t, args...)
		if out != "" {
			t.Errorf("%v wrote to stdout: %q", c, out)
		}
		fmt.Fprintf(&b, "$ nnergy %s\nexit %d\n%s\n", strings.Join(args, " "), code, errOut)
	}
	checkGolden(t, "compare_errors.golden", b.String())
}

// TestCompareBatchUnknown: a file whose batch cannot be told apart is
// compared at its own shapes, and the header and the report say so.
func TestCompareBatchUnknown(t *testing.T) {
	file := "../../workload/onnx/testdata/batch/enc_sf_b1.onnx"
	code, out, errOut := runNnergy(t, "compare", "--model", file, "--max-evals", "50", "--workers", "1")
	if code != 0 || !strings.HasPrefix(out, "enc_sf_b1 at batch unknown (the file's own shapes) on ") {
		t.Errorf("exit %d, stderr %q, stdout starts %q", code, errOut, out[:min(len(out), 80)])
	}
	code, out, errOut = runNnergy(t, "compare", "--model", file, "--max-evals", "50", "--workers", "1", "--format", "json")
	if code != 0 || !strings.Contains(out, `"batch_unknown": true`) {
		t.Errorf("exit %d, stderr %q: the JSON does not say batch_unknown", code, errOut)
	}
}
