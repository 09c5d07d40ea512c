package cli

import (
	"bytes"
	"encoding/xml"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/nnergy/nnergy/internal/chart"
	"github.com/nnergy/nnergy/netadapt"
	"github.com/nnergy/nnergy/page"
	"github.com/nnergy/nnergy/prune"
	"github.com/nnergy/nnergy/report"
)

// svgMarks are the shapes and labels of an SVG chart, to find where the
// PNG of the same drawing must have them.
type svgMarks struct {
	W     float64 `xml:"width,attr"`
	H     float64 `xml:"height,attr"`
	Rects []struct {
		X    float64 `xml:"x,attr"`
		Y    float64 `xml:"y,attr"`
		W    float64 `xml:"width,attr"`
		H    float64 `xml:"height,attr"`
		Fill string  `xml:"fill,attr"`
	} `xml:"rect"`
	Circles []struct {
		X    float64 `xml:"cx,attr"`
		Y    float64 `xml:"cy,attr"`
		Fill string  `xml:"fill,attr"`
	} `xml:"circle"`
	Texts []struct {
		X    float64 `xml:"x,attr"`
		Y    float64 `xml:"y,attr"`
		Size float64 `xml:"font-size,attr"`
		Text string  `xml:",chardata"`
	} `xml:"text"`
}

// testCompareReport is a small comparison of two dataflows on one group.
func testCompareReport() *report.Compare {
	return &report.Compare{Model: "lenet5", Batch: 16, PEs: 256, Mesh: report.Mesh{X: 16, Y: 16}, RFByteAreaGLBBytes: 1.6,
		Objective: []string{"energy"}, MaxEvaluations: 2000, Seed: 1,
		Groups: []report.Group{{Name: report.GroupConv, Layers: []string{"c1", "c3"}, Reference: "rs", Results: []report.CompareResult{
			{Dataflow: "rs", VsReference: 1, EnergyPerMAC: report.Normalized{ByLevel: report.ByLevel{DRAM: 6, Buffer: 0.5, Array: 0.5, RF: 4, ALU: 1},
				ByTensor: report.ByTensor{Weights: 3, Inputs: 2.5, Outputs: 5.5}, Total: 12}},
			{Dataflow: "ws", VsReference: 1.25, EnergyPerMAC: report.Normalized{ByLevel: report.ByLevel{DRAM: 6, Buffer: 1, Array: 4, RF: 3, ALU: 1},
				ByTensor: report.ByTensor{Weights: 3, Inputs: 4, Outputs: 7}, Total: 15}},
		}}}}
}

// testCharts are a chart of each command, from fixed inputs.
var testCharts = []struct {
	name    string
	drawing func() chart.Drawing
}{
	{"prune", func() chart.Drawing {
		return page.PruneChart("lenet5: magnitude,energy-aware filter pruning", pageRuns([]pruneRun{
			{method: prune.EnergyAware, res: &prune.Result{Steps: []prune.Step{
				{Step: 0, Action: "start", EnergyRatio: 1, Accuracy: 0.98},
				{Step: 1, Action: "prune c1", EnergyRatio: 0.8, Accuracy: 0.95},
				{Step: 2, Action: "prune c3", EnergyRatio: 0.55, Accuracy: 0.9},
				{Step: 3, Action: "fine-tune 1 epochs at energy=0.8", EnergyRatio: 0.8, Accuracy: 0.975, Target: "energy=0.8"},
				{Step: 4, Action: "fine-tune 1 epochs at energy=0.55", EnergyRatio: 0.55, Accuracy: 0.97, Target: "energy=0.55"},
			}}},
			{method: prune.Magnitude, res: &prune.Result{Steps: []prune.Step{
				{Step: 0, Action: "start", EnergyRatio: 1, Accuracy: 0.98},
				{Step: 1, Action: "remove", EnergyRatio: 0.7, Accuracy: 0.6},
				{Step: 2, Action: "remove", EnergyRatio: 0.4, Accuracy: 0.3},
				{Step: 3, Action: "fine-tune", EnergyRatio: 0.4, Accuracy: 0.85, Target: "energy=0.55"},
			}}},
		}))
	}},
	{"adapt", func() chart.Drawing {
		return page.AdaptChart("lenet5: NetAdapt to energy=0.5", &netadapt.Result{Metric: "energy",
			Initial: 10, Resource: 5, InitialAccuracy: 0.97, Accuracy: 0.96,
			Iterations: []netadapt.Iteration{{Iteration: 1}},
			Proposals: []netadapt.Proposal{
				{Iteration: 1, Layer: "c1", Removed: 2, Filters: 4, Ratio: 0.75, Accuracy: 0.9, Chosen: true},
				{Iteration: 1, Layer: "c3", Removed: 4, Filters: 12, Ratio: 0.7, Accuracy: 0.8},
			}})
	}},
	{"compare", func() chart.Drawing { return compareChart(testCompareReport()) }},
	{"sweep", func() chart.Drawing { return sweepChart(testSweepReport()) }},
}

// testSweepReport is a sweep of four points on one workload, three on the
// front, with energies over a factor of ten (a log axis).
func testSweepReport() *report.Sweep {
	point := func(id string, x int, energy, latency float64) report.SweepPoint {
		return report.SweepPoint{ID: id, Valid: true, Values: []report.SweepValue{{Name: "x", Value: strconv.Itoa(x)}},
			Results: []report.SweepResult{{OK: true, EnergyPJ: energy, LatencySeconds: latency, EDPJouleSeconds: energy * 1e-12 * latency}}}
	}
	return &report.Sweep{Name: "test", Parameters: []report.SweepParameter{{Name: "x"}},
		Workloads: []report.SweepWorkload{{Model: "lenet5", Network: "lenet5", Batch: 1}},
		Points:    []report.SweepPoint{point("a", 1, 2e6, 3e-3), point("b", 2, 5e6, 1e-3), point("c", 3, 6e6, 2e-3), point("d", 4, 40e6, 0.5e-3)},
		Pareto:    &report.SweepPareto{Objectives: []string{"energy", "latency"}, Fronts: []report.SweepFront{{Points: []string{"a", "b", "d"}}}}}
}

// TestChartPNG draws each chart as SVG and as PNG and checks the PNG
// where the SVG puts things: its size, the white background at the
// corners, every marker's and bar's fill at its centre, and dark text
// inside the title's box. The same drawing gives the same bytes.
func TestChartPNG(t *testing.T) {
	for _, c := range testCharts {
		t.Run(c.name, func(t *testing.T) {
			svg, err := c.drawing().Encode(chart.SVG)
			if err != nil {
				t.Fatal(err)
			}
			var marks svgMarks
			if err := xml.Unmarshal(svg, &marks); err != nil {
				t.Fatal(err)
			}
			b, err := c.drawing().Encode(chart.PNG)
			if err != nil {
				t.Fatal(err)
			}
			if again, _ := c.drawing().Encode(chart.PNG); !bytes.Equal(b, again) {
				t.Error("the same chart gave different PNG bytes")
			}
			m, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			w, h := int(marks.W)*chart.Scale, int(marks.H)*chart.Scale
			if m.Bounds() != image.Rect(0, 0, w, h) {
				t.Fatalf("PNG is %v, want %d×%d", m.Bounds(), w, h)
			}
			at := func(x, y float64) string {
				r, g, b, _ := m.At(int(x*chart.Scale), int(y*chart.Scale)).RGBA()
				return "#" + hex2(r>>8) + hex2(g>>8) + hex2(b>>8)
			}
			for _, p := range [][2]float64{{0, 0}, {marks.W - 0.1, 0}, {0, marks.H - 0.1}, {marks.W - 0.1, marks.H - 0.1}} {
				if got := at(p[0], p[1]); got != "#ffffff" {
					t.Errorf("corner %v is %s, want white", p, got)
				}
			}
			if len(marks.Circles) == 0 && len(marks.Rects) < 3 {
				t.Fatalf("no markers: %d circles, %d rectangles", len(marks.Circles), len(marks.Rects))
			}
			for _, p := range marks.Circles {
				if got := at(p.X, p.Y); got != p.Fill {
					t.Errorf("marker at (%g, %g) is %s, want %s", p.X, p.Y, got, p.Fill)
				}
			}
			for _, r := range marks.Rects[1:] { // the first is the background
				if r.Fill == "none" || r.W < 3 || r.H < 3 {
					continue
				}
				if got := at(r.X+r.W/2, r.Y+r.H/2); got != r.Fill {
					t.Errorf("rectangle at (%g, %g) is %s at its centre, want %s", r.X, r.Y, got, r.Fill)
				}
			}
			// The title is the first text, centred on x above its baseline y.
			title := marks.Texts[0]
			var ink image.Rectangle
			for y := int((title.Y - title.Size) * chart.Scale); y < int((title.Y+1)*chart.Scale); y++ {
				for x := 0; x < w; x++ {
					if r, g, b, _ := m.At(x, y).RGBA(); r+g+b < 3*0x4000 {
						ink = ink.Union(image.Rect(x, y, x+1, y+1))
					}
				}
			}
			mid := float64(ink.Min.X+ink.Max.X) / 2 / chart.Scale
			if ink.Empty() || math.Abs(mid-title.X) > 2 || float64(ink.Dx()) < title.Size*float64(len(title.Text))/4 {
				t.Errorf("title %q at (%g, %g): ink at %v", title.Text, title.X, title.Y, ink)
			}
		})
	}
}

func hex2(v uint32) string {
	s := strconv.FormatUint(uint64(v), 16)
	return strings.Repeat("0", 2-len(s)) + s
}

// TestComparePNG writes the chart of nnergy compare as PNG.
func TestComparePNG(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chart.PNG")
	code, _, errOut := runNnergy(t, append(compareSmall, "--plot", path)...)
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	// Two panels of 470 pixels, a title, two groups (CONV, FC) and a
	// footer, twice over.
	if w, h := 2*2*chartPanelW, 2*(chartTitleH+2*chartPanelH+chartFooterH); cfg.Width != w || cfg.Height != h {
		t.Errorf("PNG is %d×%d, want %d×%d", cfg.Width, cfg.Height, w, h)
	}
}

// TestPlotExtension checks that a plot file that is neither .svg nor .png
// is a usage error, found before any work: the data and model named are
// not loaded (they do not exist).
func TestPlotExtension(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"prune", "--data", "mnist", "--data-dir", "/nonexistent", "--plot", "h.jpg"},
			`nnergy: prune: --plot "h.jpg": want a .svg or .png file`},
		{[]string{"prune", "--data", "mnist", "--data-dir", "/nonexistent", "--plot", "svg"},
			`nnergy: prune: --plot "svg": want a .svg or .png file`},
		{[]string{"adapt", "--data", "mnist", "--data-dir", "/nonexistent", "--plot", "pareto.pdf"},
			`nnergy: adapt: --plot "pareto.pdf": want a .svg or .png file`},
		{[]string{"compare", "--model", "lenet6", "--plot", "compare.svg.txt"},
			`nnergy: compare: --plot "compare.svg.txt": want a .svg or .png file`},
	} {
		code, out, errOut := runNnergy(t, c.args...)
		if code != 2 || out != "" || errOut != c.want+"\n" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and %q", c.args, code, out, errOut, c.want)
		}
	}
}
