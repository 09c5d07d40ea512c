package cli

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// The chart of `nnergy compare --chart`: for each group of layers a row of
// two panels, the energy per MAC of every dataflow stacked by level and by
// data type, as in the bar charts of the Eyeriss ISCA 2016 paper. The SVG is
// written by hand, every number with fixed precision, so that the same
// report always gives the same bytes.

// chartSeries is one stacked segment: a name, a colour and its value in a
// result.
type chartSeries struct {
	name, color string
	value       func(p *compareParts) float64
}

// Bottom to top.
var (
	levelSeries = []chartSeries{
		{"ALU", "#bab0ac", func(p *compareParts) float64 { return p.ALU }},
		{"RF", "#76b7b2", func(p *compareParts) float64 { return p.RF }},
		{"array", "#e15759", func(p *compareParts) float64 { return p.Array }},
		{"buffer", "#f28e2b", func(p *compareParts) float64 { return p.Buffer }},
		{"DRAM", "#4e79a7", func(p *compareParts) float64 { return p.DRAM }},
	}
	tensorSeries = []chartSeries{
		{"ALU", "#bab0ac", func(p *compareParts) float64 { return p.ALU }},
		{"psums", "#b07aa1", func(p *compareParts) float64 { return p.Psums }},
		{"inputs", "#edc948", func(p *compareParts) float64 { return p.Inputs }},
		{"weights", "#59a14f", func(p *compareParts) float64 { return p.Weights }},
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
	chartFont    = "Helvetica, Arial, sans-serif"
)

type svgWriter struct{ b bytes.Buffer }

// f formats a coordinate with at most one decimal.
func f1(v float64) string {
	s := strconv.FormatFloat(math.Round(v*10)/10, 'f', 1, 64)
	return strings.TrimSuffix(s, ".0")
}

func (s *svgWriter) rect(x, y, w, h float64, fill, stroke string) {
	fmt.Fprintf(&s.b, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s"`, f1(x), f1(y), f1(w), f1(h), fill)
	if stroke != "" {
		fmt.Fprintf(&s.b, ` stroke="%s" stroke-width="0.6"`, stroke)
	}
	s.b.WriteString("/>\n")
}

func (s *svgWriter) line(x1, y1, x2, y2 float64, stroke string, width float64) {
	fmt.Fprintf(&s.b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="%s"/>`+"\n", f1(x1), f1(y1), f1(x2), f1(y2), stroke, f1(width))
}

// text writes a label; attrs are extra attributes such as anchor and weight.
func (s *svgWriter) text(x, y float64, size int, attrs, str string) {
	fmt.Fprintf(&s.b, `<text x="%s" y="%s" font-size="%d"`, f1(x), f1(y), size)
	if attrs != "" {
		s.b.WriteString(" " + attrs)
	}
	s.b.WriteString(">")
	xml.EscapeText(&s.b, []byte(str))
	s.b.WriteString("</text>\n")
}

// niceAxis returns the top of a y axis at or above v and its tick step:
// steps of 1, 2, 2.5 or 5 times a power of ten, at most 6 of them.
func niceAxis(v float64) (top, step float64) {
	if !(v > 0) {
		return 1, 0.2
	}
	p := math.Pow(10, math.Floor(math.Log10(v/6)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		step = m * p
		if v/step <= 6 {
			break
		}
	}
	return math.Ceil(v/step-1e-9) * step, step
}

// tickText formats a tick value with the decimals its step needs.
func tickText(v, step float64) string {
	dec := 0
	for d := step; d < 1-1e-9 && dec < 4; d *= 10 {
		dec++
	}
	if math.Abs(step*math.Pow(10, float64(dec))-math.Round(step*math.Pow(10, float64(dec)))) > 1e-9 {
		dec++
	}
	return strconv.FormatFloat(v, 'f', dec, 64)
}

// compareChart returns the SVG chart of a comparison report.
func compareChart(rep *compareReport) []byte {
	var s svgWriter
	w := 2 * chartPanelW
	h := chartTitleH + len(rep.Groups)*chartPanelH + chartFooterH
	fmt.Fprintf(&s.b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="%s">`+"\n", w, h, w, h, chartFont)
	s.rect(0, 0, float64(w), float64(h), "#ffffff", "")
	s.text(float64(w)/2, 28, 18, `text-anchor="middle" font-weight="bold"`,
		fmt.Sprintf("Energy per MAC by dataflow: %s, batch %d", rep.Model, rep.Batch))
	s.text(float64(w)/2, 50, 12, `text-anchor="middle" fill="#444444"`,
		fmt.Sprintf("%d PEs (%d×%d), equal storage area (%d × 512 B RF + %s GLB; an RF byte = %g GLB bytes of area), in units of one MAC's energy",
			rep.PEs, rep.Mesh[0], rep.Mesh[1], rep.PEs, bytesText(int64(rep.PEs)*512), rep.RFArea))
	for gi := range rep.Groups {
		g := &rep.Groups[gi]
		top := 0.0
		for _, r := range g.Results {
			top = max(top, r.PerMAC.Total)
		}
		axisTop, step := niceAxis(top * 1.12)
		py := float64(chartTitleH + gi*chartPanelH)
		name := g.Name + " layers"
		if g.Name == "layers" {
			name = strings.Join(g.Layers, ", ")
		}
		chartPanel(&s, 0, py, name+": by level", g, levelSeries, axisTop, step)
		chartPanel(&s, chartPanelW, py, name+": by data type", g, tensorSeries, axisTop, step)
	}
	s.text(float64(w)/2, float64(h)-26, 11, `text-anchor="middle" fill="#444444"`,
		"Each dataflow runs on its own architecture of equal storage area; its layers are mapped by the mapper within the dataflow's constraints")
	s.text(float64(w)/2, float64(h)-10, 11, `text-anchor="middle" fill="#444444"`,
		fmt.Sprintf("(objective %s, %d evaluations per layer, seed %d). Above the bars: total energy per MAC; under them: ratio to %s.",
			rep.Objective, rep.MaxEvals, rep.Seed, refName(rep)))
	s.b.WriteString("</svg>\n")
	return s.b.Bytes()
}

func refName(rep *compareReport) string {
	if len(rep.Groups) == 0 {
		return ""
	}
	return strings.ToUpper(rep.Groups[0].Reference)
}

// chartPanel draws one panel at (px, py): axes, one stacked bar per
// dataflow, labels and a legend.
func chartPanel(s *svgWriter, px, py float64, title string, g *compareGroup, series []chartSeries, axisTop, step float64) {
	x0, x1 := px+chartPlotL, px+chartPlotL+chartPlotW
	y0, y1 := py+chartPlotT, py+chartPanelH-chartPlotB
	scale := (y1 - y0) / axisTop
	s.text((x0+x1)/2, py+26, 14, `text-anchor="middle" font-weight="bold"`, title)
	// Grid and y axis.
	for v := 0.0; v <= axisTop+step/2; v += step {
		yy := y1 - v*scale
		if v > 0 {
			s.line(x0, yy, x1, yy, "#e3e3e3", 1)
		}
		s.line(x0-4, yy, x0, yy, "#333333", 1)
		s.text(x0-7, yy+4, 11, `text-anchor="end"`, tickText(v, step))
	}
	s.line(x0, y0, x0, y1, "#333333", 1)
	s.line(x0, y1, x1, y1, "#333333", 1)
	cy := (y0 + y1) / 2
	s.text(px+18, cy, 12, fmt.Sprintf(`text-anchor="middle" transform="rotate(-90 %s %s)"`, f1(px+18), f1(cy)), "energy per MAC (× MAC energy)")
	// Bars.
	n := len(g.Results)
	slot := float64(chartPlotW) / float64(max(n, 1))
	bw := math.Min(slot*0.6, 46)
	for i, r := range g.Results {
		cx := x0 + slot*(float64(i)+0.5)
		yy := y1
		for _, se := range series {
			v := se.value(&r.PerMAC)
			hh := v * scale
			if hh <= 0 {
				continue
			}
			s.rect(cx-bw/2, yy-hh, bw, hh, se.color, "#ffffff")
			yy -= hh
		}
		s.text(cx, yy-5, 11, `text-anchor="middle"`, strconv.FormatFloat(r.PerMAC.Total, 'f', 2, 64))
		s.text(cx, y1+17, 12, `text-anchor="middle" font-weight="bold"`, strings.ToUpper(r.Dataflow))
		s.text(cx, y1+32, 11, `text-anchor="middle" fill="#444444"`, strconv.FormatFloat(r.VsRef, 'f', 2, 64)+"×")
	}
	// Legend, top to bottom as the stack.
	lx, ly := x1+16, y0+8
	for i := len(series) - 1; i >= 0; i-- {
		se := series[i]
		s.rect(lx, ly-10, 12, 12, se.color, "")
		s.text(lx+18, ly, 12, "", se.name)
		ly += 20
	}
}
