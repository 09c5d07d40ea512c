package cli

import (
	"fmt"
	"math"

	"github.com/nnergy/nnergy/netadapt"
)

// scatterPoint is one point of a scatterChart.
type scatterPoint struct {
	X, Y  float64 // X as a fraction (0.5 = 50%), Y an accuracy in [0, 1]
	Title string  // tooltip
	Fill  string
	R     float64
}

// scatterChart draws points of accuracy (y) against a resource fraction
// (x, from 0) with a path joining the points at the indices in path, in
// order, and a legend. Fixed precision: the same input gives the same
// bytes. `nnergy prune --plot` and `nnergy adapt --plot` draw with it.
func scatterChart(title, xLabel string, pts []scatterPoint, path []int, legend [][2]string) []byte {
	const (
		w, h         = 640, 440
		left, right  = 72, 24
		top, bottom  = 56, 64
		plotW, plotH = w - left - right, h - top - bottom
	)
	var s svgWriter
	fmt.Fprintf(&s.b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="%s">`+"\n", w, h, w, h, chartFont)
	s.rect(0, 0, w, h, "#ffffff", "")
	s.text(w/2, 26, 14, `text-anchor="middle" font-weight="bold"`, title)
	xMax := 1.0
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range pts {
		xMax = max(xMax, p.X)
		lo, hi = min(lo, p.Y), max(hi, p.Y)
	}
	xTop, xStep := niceAxis(xMax)
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
	px := func(v float64) float64 { return left + v/xTop*plotW }
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
	s.text(left+plotW/2, h-24, 12, `text-anchor="middle"`, xLabel)
	fmt.Fprintf(&s.b, `<text x="18" y="%s" font-size="12" text-anchor="middle" transform="rotate(-90 18 %s)">accuracy</text>`+"\n", f1(top+plotH/2), f1(top+plotH/2))
	for i := 1; i < len(path); i++ {
		a, b := pts[path[i-1]], pts[path[i]]
		s.line(px(a.X), py(a.Y), px(b.X), py(b.Y), "#9c9c9c", 1)
	}
	for _, p := range pts {
		fmt.Fprintf(&s.b, `<circle cx="%s" cy="%s" r="%s" fill="%s"><title>%s</title></circle>`+"\n",
			f1(px(p.X)), f1(py(p.Y)), f1(p.R), p.Fill, escapeXML(p.Title))
	}
	for i, l := range legend {
		s.text(left+8, top+16+14*float64(i), 11, `fill="`+l[0]+`"`, "● "+l[1])
	}
	s.b.WriteString("</svg>\n")
	return s.b.Bytes()
}

// adaptChart returns the SVG plot of `nnergy adapt --plot`: held-out
// accuracy against the resource (a fraction of the start) of the start
// and of every proposal, the chosen ones joined in order.
func adaptChart(title string, res *netadapt.Result) []byte {
	const start, chosen, other = "#4e79a7", "#e15759", "#bab0ac"
	pts := []scatterPoint{{X: 1, Y: res.InitialAccuracy, Title: "start", Fill: start, R: 5}}
	path := []int{0}
	for _, p := range res.Proposals {
		sp := scatterPoint{X: p.Ratio, Y: p.Accuracy, Fill: other, R: 3,
			Title: fmt.Sprintf("iteration %d: %s -%d filters (%d left)", p.Iteration, p.Layer, p.Removed, p.Filters)}
		if p.Chosen {
			sp.Fill, sp.R, sp.Title = chosen, 4, sp.Title+", chosen"
			path = append(path, len(pts))
		}
		pts = append(pts, sp)
	}
	if res.Initial > 0 && len(res.Iterations) > 0 {
		pts = append(pts, scatterPoint{X: res.Resource / res.Initial, Y: res.Accuracy, Title: "final (after the long-term fine-tune)", Fill: "#59a14f", R: 5})
		path = append(path, len(pts)-1)
	}
	return scatterChart(title, res.Metric+", % of the start", pts, path,
		[][2]string{{start, "start"}, {chosen, "chosen proposals"}, {other, "other proposals"}, {"#59a14f", "final"}})
}
