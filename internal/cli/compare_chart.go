package cli

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/nnergy/nnergy/internal/chart"
	"github.com/nnergy/nnergy/internal/outfile"
	"github.com/nnergy/nnergy/report"
)

// The chart of `nnergy compare --plot`: for each group of layers a row of
// two panels, the energy per MAC of every dataflow stacked by level and by
// data type, as in the bar charts of the Eyeriss ISCA 2016 paper, drawn on a
// chart.Canvas as SVG or PNG; the same report always gives the same bytes.

// chartSeries is one stacked segment: a name, a colour and its value in a
// result.
type chartSeries struct {
	name  string
	color chart.Color
	value func(p *report.Normalized) float64
}

// Bottom to top.
var (
	levelSeries = []chartSeries{
		{"ALU", "#bab0ac", func(p *report.Normalized) float64 { return p.ByLevel.ALU }},
		{"RF", "#76b7b2", func(p *report.Normalized) float64 { return p.ByLevel.RF }},
		{"array", "#e15759", func(p *report.Normalized) float64 { return p.ByLevel.Array }},
		{"buffer", "#f28e2b", func(p *report.Normalized) float64 { return p.ByLevel.Buffer }},
		{"DRAM", "#4e79a7", func(p *report.Normalized) float64 { return p.ByLevel.DRAM }},
	}
	tensorSeries = []chartSeries{
		{"ALU", "#bab0ac", func(p *report.Normalized) float64 { return p.ByLevel.ALU }},
		{"psums", "#b07aa1", func(p *report.Normalized) float64 { return p.ByTensor.Outputs }},
		{"inputs", "#edc948", func(p *report.Normalized) float64 { return p.ByTensor.Inputs }},
		{"weights", "#59a14f", func(p *report.Normalized) float64 { return p.ByTensor.Weights }},
	}
)

// Chart geometry in pixels.
const (
	chartPanelW  = 470
	chartPanelH  = 330
	chartTitleH  = 64
	chartFooterH = 48
	chartPlotL   = 64  // plot area left edge within a panel
	chartPlotW   = 270 // plot area width
	chartPlotT   = 44  // plot area top within a panel
	chartPlotB   = 62  // space under the plot area for the bar labels
)

// writePlot writes d to path as SVG or PNG, as its extension says.
func writePlot(path string, d chart.Drawing) error {
	f, _ := chart.FormatOf(path)
	b, err := d.Encode(f)
	if err != nil {
		return err
	}
	return outfile.WriteFile(path, b)
}

// compareChart returns the chart of a comparison report.
func compareChart(rep *report.Compare) chart.Drawing {
	w := 2 * chartPanelW
	h := chartTitleH + len(rep.Groups)*chartPanelH + chartFooterH
	draw := func(c chart.Canvas) {
		note := chart.TextStyle{Size: 12, Anchor: chart.Middle, Fill: "#444444"}
		c.Rect(0, 0, float64(w), float64(h), "#ffffff", "")
		c.Text(float64(w)/2, 28, fmt.Sprintf("Energy per MAC by dataflow: %s, batch %d", rep.Model, rep.Batch),
			chart.TextStyle{Size: 18, Anchor: chart.Middle, Bold: true})
		c.Text(float64(w)/2, 50,
			fmt.Sprintf("%d PEs (%d×%d), equal storage area (%d × 512 B RF + %s GLB; an RF byte = %g GLB bytes of area), in units of one MAC's energy",
				rep.PEs, rep.Mesh.X, rep.Mesh.Y, rep.PEs, bytesText(int64(rep.PEs)*512), rep.RFByteAreaGLBBytes), note)
		for gi := range rep.Groups {
			g := &rep.Groups[gi]
			top := 0.0
			for _, r := range g.Results {
				top = max(top, r.EnergyPerMAC.Total)
			}
			axisTop, step := chart.NiceAxis(top * 1.12)
			py := float64(chartTitleH + gi*chartPanelH)
			name := groupName(g.Name) + " layers"
			if g.Name == report.GroupLayers {
				name = strings.Join(g.Layers, ", ")
			}
			chartPanel(c, 0, py, name+": by level", g, levelSeries, axisTop, step)
			chartPanel(c, chartPanelW, py, name+": by data type", g, tensorSeries, axisTop, step)
		}
		note.Size = 11
		c.Text(float64(w)/2, float64(h)-26,
			"Each dataflow runs on its own architecture of equal storage area; its layers are mapped by the mapper within the dataflow's constraints", note)
		c.Text(float64(w)/2, float64(h)-10,
			fmt.Sprintf("(objective %s, %d evaluations per layer, seed %d). Above the bars: total energy per MAC; under them: ratio to %s.",
				strings.Join(rep.Objective, ","), rep.MaxEvaluations, rep.Seed, refName(rep)), note)
	}
	return chart.Drawing{W: w, H: h, Draw: draw}
}

func refName(rep *report.Compare) string {
	if len(rep.Groups) == 0 {
		return ""
	}
	return strings.ToUpper(rep.Groups[0].Reference)
}

// chartPanel draws one panel at (px, py): axes, one stacked bar per
// dataflow, labels and a legend.
func chartPanel(c chart.Canvas, px, py float64, title string, g *report.Group, series []chartSeries, axisTop, step float64) {
	x0, x1 := px+chartPlotL, px+chartPlotL+chartPlotW
	y0, y1 := py+chartPlotT, py+chartPanelH-chartPlotB
	scale := (y1 - y0) / axisTop
	bold := chart.TextStyle{Size: 14, Anchor: chart.Middle, Bold: true}
	c.Text((x0+x1)/2, py+26, title, bold)
	// Grid and y axis.
	for v := 0.0; v <= axisTop+step/2; v += step {
		yy := y1 - v*scale
		if v > 0 {
			c.Line(x0, yy, x1, yy, "#e3e3e3", 1)
		}
		c.Line(x0-4, yy, x0, yy, "#333333", 1)
		c.Text(x0-7, yy+4, chart.TickText(v, step), chart.TextStyle{Size: 11, Anchor: chart.End})
	}
	c.Line(x0, y0, x0, y1, "#333333", 1)
	c.Line(x0, y1, x1, y1, "#333333", 1)
	c.Text(px+18, (y0+y1)/2, "energy per MAC (× MAC energy)", chart.TextStyle{Size: 12, Anchor: chart.Middle, Up: true})
	// Bars.
	n := len(g.Results)
	slot := float64(chartPlotW) / float64(max(n, 1))
	bw := math.Min(slot*0.6, 46)
	bold.Size = 12
	for i, r := range g.Results {
		cx := x0 + slot*(float64(i)+0.5)
		yy := y1
		for _, se := range series {
			v := se.value(&r.EnergyPerMAC)
			hh := v * scale
			if hh <= 0 {
				continue
			}
			c.Rect(cx-bw/2, yy-hh, bw, hh, se.color, "#ffffff")
			yy -= hh
		}
		c.Text(cx, yy-5, strconv.FormatFloat(r.EnergyPerMAC.Total, 'f', 2, 64), chart.TextStyle{Size: 11, Anchor: chart.Middle})
		c.Text(cx, y1+17, strings.ToUpper(r.Dataflow), bold)
		c.Text(cx, y1+32, strconv.FormatFloat(r.VsReference, 'f', 2, 64)+"×", chart.TextStyle{Size: 11, Anchor: chart.Middle, Fill: "#444444"})
	}
	// Legend, top to bottom as the stack.
	lx, ly := x1+16, y0+8
	for i := len(series) - 1; i >= 0; i-- {
		se := series[i]
		c.Rect(lx, ly-10, 12, 12, se.color, "")
		c.Text(lx+18, ly, se.name, chart.TextStyle{Size: 12})
		ly += 20
	}
}
