package page

import (
	"fmt"
	"math"

	"github.com/nnergy/nnergy/internal/chart"
	"github.com/nnergy/nnergy/netadapt"
	"github.com/nnergy/nnergy/prune"
)

// PruneRun is one pruning method's run as PruneChart draws it.
type PruneRun struct {
	Method prune.Method
	Result *prune.Result
	// Label names the run in the legend (default: the method, when there
	// are several runs).
	Label string
}

// scatterPoint is one point of a scatterChart.
type scatterPoint struct {
	X, Y  float64 // X as a fraction (0.5 = 50%), Y an accuracy in [0, 1]
	Title string  // tooltip
	Fill  chart.Color
	R     float64
}

// scatterPath joins the points at the indices Idx, in order.
type scatterPath struct {
	Idx   []int
	Color chart.Color
}

// scatterChart draws points of accuracy (y) against a resource fraction
// (x, from 0) with paths joining some of them, and a legend of colours and
// names. `nnergy prune --plot` and `nnergy adapt --plot` draw with it.
func scatterChart(title, xLabel string, pts []scatterPoint, paths []scatterPath, legend []legendEntry) chart.Drawing {
	const (
		w, h         = 640, 440
		left, right  = 72, 24
		top, bottom  = 56, 64
		plotW, plotH = w - left - right, h - top - bottom
	)
	draw := func(c chart.Canvas) {
		c.Rect(0, 0, w, h, "#ffffff", "")
		// A bold 14-pixel character is about 8 pixels wide: a longer title
		// takes two lines of 13 pixels.
		if lines := wrapTitle(title, (w-16)/8); len(lines) == 1 {
			c.Text(w/2, 26, title, chart.TextStyle{Size: 14, Anchor: chart.Middle, Bold: true})
		} else {
			for i, l := range lines {
				c.Text(w/2, 20+17*float64(i), l, chart.TextStyle{Size: 13, Anchor: chart.Middle, Bold: true})
			}
		}
		xMax := 1.0
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, p := range pts {
			xMax = max(xMax, p.X)
			lo, hi = min(lo, p.Y), max(hi, p.Y)
		}
		xTop, xStep := chart.NiceAxis(xMax)
		if math.IsInf(lo, 1) {
			lo, hi = 0, 1
		}
		span := max(hi-lo, 0.01)
		yLo := max(0, math.Floor((lo-0.1*span)*100)/100)
		yHi := min(1, math.Ceil((hi+0.1*span)*100)/100)
		if yHi <= yLo {
			yHi = yLo + 0.01
		}
		_, yStep := chart.NiceAxis(yHi - yLo)
		px := func(v float64) float64 { return left + v/xTop*plotW }
		py := func(a float64) float64 { return top + (yHi-a)/(yHi-yLo)*plotH }
		tick := chart.TextStyle{Size: 11, Anchor: chart.Middle}
		c.Rect(left, top, plotW, plotH, "", "#888888")
		for v := 0.0; v <= xTop+1e-9; v += xStep {
			c.Line(px(v), top, px(v), top+plotH, "#eeeeee", 1)
			c.Text(px(v), top+plotH+16, fmt.Sprintf("%.0f%%", 100*v), tick)
		}
		tick.Anchor = chart.End
		for v := math.Ceil(yLo/yStep-1e-9) * yStep; v <= yHi+1e-9; v += yStep {
			if v == 0 {
				v = 0 // not -0, which would print as "-0%"
			}
			c.Line(left, py(v), left+plotW, py(v), "#eeeeee", 1)
			c.Text(left-6, py(v)+4, fmt.Sprintf("%s%%", chart.TickText(100*v, 100*yStep)), tick)
		}
		c.Text(left+plotW/2, h-24, xLabel, chart.TextStyle{Size: 12, Anchor: chart.Middle})
		c.Text(18, top+plotH/2, "accuracy", chart.TextStyle{Size: 12, Anchor: chart.Middle, Up: true})
		for _, path := range paths {
			for i := 1; i < len(path.Idx); i++ {
				a, b := pts[path.Idx[i-1]], pts[path.Idx[i]]
				c.Line(px(a.X), py(a.Y), px(b.X), py(b.Y), path.Color, 1)
			}
		}
		for _, p := range pts {
			c.Circle(px(p.X), py(p.Y), p.R, p.Fill, p.Title)
		}
		// The legend goes in the lower right corner: pruning starts at full
		// resource and accuracy (upper right) and loses accuracy as the
		// resource falls (to the left), so that corner is seldom used.
		for i, l := range legend {
			y := top + plotH - 8 - 14*float64(len(legend)-1-i)
			c.Text(left+plotW-8, y, "● "+l.name, chart.TextStyle{Size: 11, Fill: l.color, Anchor: chart.End})
		}
	}
	return chart.Drawing{W: w, H: h, Draw: draw}
}

// legendEntry is one line of a scatterChart's legend.
type legendEntry struct {
	color chart.Color
	name  string
}

// AdaptChart returns the plot of `nnergy adapt --plot` and of the adapt page: held-out accuracy
// against the resource (a fraction of the start) of the start and of every
// proposal, the chosen ones joined in order.
func AdaptChart(title string, res *netadapt.Result) chart.Drawing {
	const start, chosen, other, final = "#4e79a7", "#e15759", "#bab0ac", "#59a14f"
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
		pts = append(pts, scatterPoint{X: res.Resource / res.Initial, Y: res.Accuracy, Title: "final (after the long-term fine-tune)", Fill: final, R: 5})
		path = append(path, len(pts)-1)
	}
	return scatterChart(title, res.Metric+", % of the start", pts, []scatterPath{{path, "#9c9c9c"}},
		[]legendEntry{{start, "start"}, {chosen, "chosen proposals"}, {other, "other proposals"}, {final, "final"}})
}

// wrapTitle splits title at the space nearest its middle when it is longer
// than max characters.
func wrapTitle(title string, max int) []string {
	if len([]rune(title)) <= max {
		return []string{title}
	}
	mid, best := len(title)/2, -1
	for i, r := range title {
		if r == ' ' && (best < 0 || distance(i, mid) < distance(best, mid)) {
			best = i
		}
	}
	if best < 0 {
		return []string{title}
	}
	return []string{title[:best], title[best+1:]}
}

func distance(a, b int) int { return max(a-b, b-a) }

// PruneChart returns the plot of `nnergy prune --plot` and of the prune page: accuracy against
// modelled energy (as a fraction of the original) of every pruning step of
// each method, joined in order from the start, and the fine-tuned model at
// every target apart (the last pruning step is marked when nothing was
// fine-tuned). Each method has its colours.
func PruneChart(title string, runs []PruneRun) chart.Drawing {
	const start = "#555555"
	palette := []struct{ steps, path, tuned chart.Color }{
		{"#76b7b2", "#9c9c9c", "#e15759"}, // the first run: teal steps, red results
		{"#f1ce63", "#d4a017", "#4e79a7"}, // the second: yellow steps, blue results
		{"#d4a6c8", "#b07aa1", "#59a14f"}, // the third: pink steps, green results
		{"#9d7660", "#7f5f4d", "#ff9da7"}, // the fourth: brown steps, rose results
	}
	var pts []scatterPoint
	var paths []scatterPath
	legend := []legendEntry{{start, "start"}}
	first := -1 // the start's point, drawn once
	for ri, r := range runs {
		col := palette[ri%len(palette)]
		name := ""
		switch {
		case r.Label != "":
			name = r.Label + ": "
		case len(runs) > 1:
			name = r.Method.String() + ": "
		}
		path := scatterPath{Color: col.path}
		lastPruned, anyTuned := -1, false
		for _, st := range r.Result.Steps {
			if math.IsNaN(st.Accuracy) {
				continue
			}
			p := scatterPoint{X: st.EnergyRatio, Y: st.Accuracy, Fill: col.steps, R: 3, Title: fmt.Sprintf("%sstep %d: %s", name, st.Step, st.Action)}
			switch {
			case st.Target != "":
				p.Fill, p.R, anyTuned = col.tuned, 5, true
			case st.Step == 0 && first >= 0: // every method starts from the same model
				path.Idx = append(path.Idx, first)
				continue
			case st.Step == 0:
				p.Fill, p.R, first = start, 5, len(pts)
				fallthrough
			default:
				path.Idx = append(path.Idx, len(pts))
				lastPruned = len(pts)
			}
			pts = append(pts, p)
		}
		paths = append(paths, path)
		legend = append(legend, legendEntry{col.steps, name + "pruning steps"})
		if anyTuned {
			legend = append(legend, legendEntry{col.tuned, name + "fine-tuned at each target"})
		} else if lastPruned > 0 {
			pts[lastPruned].Fill, pts[lastPruned].R = col.tuned, 5
			legend = append(legend, legendEntry{col.tuned, name + "last step"})
		}
	}
	return scatterChart(title, "modelled energy, % of the original", pts, paths, legend)
}
