package cli

import (
	"fmt"
	"math"

	"github.com/nnergy/nnergy/prune"
)

// pruneChart returns the SVG plot of `nnergy prune --plot`: accuracy
// against modelled energy (as a fraction of the original) of every step,
// joined in order, the start and the last step marked. Written by hand with
// fixed precision, so the same history gives the same bytes.
func pruneChart(title string, steps []prune.Step) []byte {
	const (
		w, h           = 640, 440
		left, right    = 72, 24
		top, bottom    = 56, 64
		plotW, plotH   = w - left - right, h - top - bottom
		start, current = "#4e79a7", "#e15759"
	)
	var s svgWriter
	fmt.Fprintf(&s.b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="%s">`+"\n", w, h, w, h, chartFont)
	s.rect(0, 0, w, h, "#ffffff", "")
	s.text(w/2, 26, 14, `text-anchor="middle" font-weight="bold"`, title)
	// Axes: energy 0..max (at least 1), accuracy over the range seen.
	xTop, xStep := niceAxis(1)
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, st := range steps {
		if !math.IsNaN(st.Accuracy) {
			lo, hi = min(lo, st.Accuracy), max(hi, st.Accuracy)
		}
		xTop = max(xTop, st.EnergyRatio)
	}
	if math.IsInf(lo, 1) {
		lo, hi = 0, 1
	}
	span := max(hi-lo, 0.01)
	yLo := max(0, math.Floor((lo-0.1*span)*100)/100)
	yHi := min(1, math.Ceil((hi+0.1*span)*100)/100)
	if yHi <= yLo {
		yHi = yLo + 0.01
	}
	_, yStep := niceAxis(yHi - yLo)
	px := func(e float64) float64 { return left + e/xTop*plotW }
	py := func(a float64) float64 { return top + (yHi-a)/(yHi-yLo)*plotH }
	s.rect(left, top, plotW, plotH, "none", "#888888")
	for v := 0.0; v <= xTop+1e-9; v += xStep {
		s.line(px(v), top, px(v), top+plotH, "#eeeeee", 1)
		s.text(px(v), top+plotH+16, 11, `text-anchor="middle"`, fmt.Sprintf("%.0f%%", 100*v))
	}
	for v := math.Ceil(yLo/yStep-1e-9) * yStep; v <= yHi+1e-9; v += yStep {
		s.line(left, py(v), left+plotW, py(v), "#eeeeee", 1)
		s.text(left-6, py(v)+4, 11, `text-anchor="end"`, fmt.Sprintf("%s%%", tickText(100*v, 100*yStep)))
	}
	s.text(left+plotW/2, h-24, 12, `text-anchor="middle"`, "modelled energy, % of the original")
	fmt.Fprintf(&s.b, `<text x="18" y="%s" font-size="12" text-anchor="middle" transform="rotate(-90 18 %s)">accuracy</text>`+"\n", f1(top+plotH/2), f1(top+plotH/2))
	var prev *prune.Step
	for i := range steps {
		st := &steps[i]
		if math.IsNaN(st.Accuracy) {
			continue
		}
		if prev != nil {
			s.line(px(prev.EnergyRatio), py(prev.Accuracy), px(st.EnergyRatio), py(st.Accuracy), "#9c9c9c", 1)
		}
		prev = st
	}
	for i := range steps {
		st := &steps[i]
		if math.IsNaN(st.Accuracy) {
			continue
		}
		fill, r := "#76b7b2", 3.0
		switch i {
		case 0:
			fill, r = start, 5
		case len(steps) - 1:
			fill, r = current, 5
		}
		fmt.Fprintf(&s.b, `<circle cx="%s" cy="%s" r="%s" fill="%s"><title>step %d: %s</title></circle>`+"\n",
			f1(px(st.EnergyRatio)), f1(py(st.Accuracy)), f1(r), fill, st.Step, escapeXML(st.Action))
	}
	s.text(left+8, top+16, 11, `fill="`+start+`"`, "● start")
	s.text(left+8, top+30, 11, `fill="`+current+`"`, "● last step")
	s.b.WriteString("</svg>\n")
	return s.b.Bytes()
}

func escapeXML(str string) string {
	var s svgWriter
	for _, r := range str {
		switch r {
		case '<':
			s.b.WriteString("&lt;")
		case '>':
			s.b.WriteString("&gt;")
		case '&':
			s.b.WriteString("&amp;")
		case '"':
			s.b.WriteString("&quot;")
		default:
			s.b.WriteRune(r)
		}
	}
	return s.b.String()
}
