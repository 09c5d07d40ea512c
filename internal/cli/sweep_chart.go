package cli

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/nnergy/nnergy/internal/chart"
	"github.com/nnergy/nnergy/report"
)

// The plot of `nnergy sweep --plot`: for each workload a panel with every
// point that ran it as a scatter of the first two Pareto objectives, the
// front in colour, joined in order when the front is over those two alone,
// and each front point labelled with the parameters that differ between
// the front's points.

const (
	sweepPanelW, sweepPanelH = 760, 470
	sweepPlotL, sweepPlotR   = 86, 150 // plot area margins within a panel
	sweepPlotT, sweepPlotB   = 52, 64
	sweepTitleH, sweepFootH  = 8, 40
)

// sweepAxis maps one objective to pixels, on a log scale when its values
// span a factor of 10 or more.
type sweepAxis struct {
	name, unit string
	scale      float64 // value in the report's unit × scale = the axis's unit
	lo, hi     float64 // in the axis's unit
	step       float64 // between the ticks of a linear axis
	log        bool
}

// objectiveAxis returns the axis of an objective over vals (in report
// units).
func objectiveAxis(obj string, batch int, vals []float64) sweepAxis {
	a := sweepAxis{name: obj}
	switch obj {
	case "energy":
		a.unit, a.scale = fmt.Sprintf("energy of a batch of %d, uJ", batch), 1e-6
	case "latency":
		a.unit, a.scale = fmt.Sprintf("latency of a batch of %d, ms", batch), 1e3
	case "area":
		a.unit, a.scale = "chip area, mm2", 1e-6
	case "power":
		a.unit, a.scale = "average power, W", 1
	default:
		a.unit, a.scale = "energy x latency, J*s", 1
	}
	a.lo, a.hi = math.Inf(1), math.Inf(-1)
	for _, v := range vals {
		a.lo, a.hi = min(a.lo, v*a.scale), max(a.hi, v*a.scale)
	}
	if math.IsInf(a.lo, 1) {
		a.lo, a.hi = 0, 1
	}
	if a.lo > 0 && a.hi/a.lo >= 10 {
		a.log = true
		a.lo = math.Pow(10, math.Floor(math.Log10(a.lo)))
		a.hi = math.Pow(10, math.Ceil(math.Log10(a.hi)))
		return a
	}
	span := a.hi - a.lo
	if span <= 0 {
		span = math.Max(math.Abs(a.hi), 1) * 0.1
	}
	_, a.step = chart.NiceAxis(span * 1.2)
	a.lo = math.Max(0, math.Floor((a.lo-0.1*span)/a.step)*a.step) // the objectives are not negative
	a.hi = math.Ceil((a.hi+0.1*span)/a.step) * a.step
	return a
}

// frac returns where v (in the axis's unit) lies between lo (0) and hi (1).
func (a *sweepAxis) frac(v float64) float64 {
	if a.log {
		return (math.Log10(v) - math.Log10(a.lo)) / (math.Log10(a.hi) - math.Log10(a.lo))
	}
	return (v - a.lo) / (a.hi - a.lo)
}

// ticks returns the tick values and their labels.
func (a *sweepAxis) ticks() ([]float64, []string) {
	var vs []float64
	var ls []string
	if a.log {
		decades := math.Round(math.Log10(a.hi / a.lo))
		mults := []float64{1}
		if decades <= 2 {
			mults = []float64{1, 2, 5}
		}
		// Whole exponents, and tenths as divisions, so that the ticks
		// below 1 are the decimals they name (0.2, not 0.20000000000000004).
		for e := math.Round(math.Log10(a.lo)); e <= math.Round(math.Log10(a.hi)); e++ {
			for _, m := range mults {
				v := m * math.Pow(10, e)
				if e < 0 {
					v = m / math.Pow(10, -e)
				}
				if v <= a.hi*(1+1e-9) {
					vs = append(vs, v)
					ls = append(ls, logTick(v))
				}
			}
		}
		return vs, ls
	}
	for i := 0; ; i++ {
		v := a.lo + float64(i)*a.step
		if v > a.hi+a.step/1e6 {
			break
		}
		vs = append(vs, v)
		ls = append(ls, chart.TickText(v, a.step))
	}
	return vs, ls
}

// logTick writes a tick of a log axis: 0.001 to 100000 as decimals, the
// others as powers of ten.
func logTick(v float64) string {
	if v >= 1e-3 && v < 1e6 {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

// sweepChart returns the plot of a sweep report with Pareto fronts.
func sweepChart(rep *report.Sweep) chart.Drawing {
	n := max(len(rep.Workloads), 1)
	w, h := sweepPanelW, sweepTitleH+n*sweepPanelH+sweepFootH
	draw := func(c chart.Canvas) {
		c.Rect(0, 0, float64(w), float64(h), "#ffffff", "")
		for wi := range rep.Workloads {
			sweepPanel(c, float64(sweepTitleH+wi*sweepPanelH), rep, wi)
		}
		note := chart.TextStyle{Size: 11, Anchor: chart.Middle, Fill: "#444444"}
		objs := "none"
		if rep.Pareto != nil {
			objs = strings.Join(rep.Pareto.Objectives, ", ")
		}
		c.Text(float64(w)/2, float64(h)-22, fmt.Sprintf("Grey: every point that ran the network; red: its Pareto front over %s (all minimized).", objs), note)
		c.Text(float64(w)/2, float64(h)-8, "Front points are labelled with the parameters that differ between them.", note)
	}
	return chart.Drawing{W: w, H: h, Draw: draw}
}

func sweepPanel(c chart.Canvas, top float64, rep *report.Sweep, wi int) {
	wl := rep.Workloads[wi]
	objs := []string{"energy", "latency"}
	var front []string
	if rep.Pareto != nil {
		objs = rep.Pareto.Objectives
		front = rep.Pareto.Fronts[wi].Points
	}
	value := func(p *report.SweepPoint, obj string) float64 {
		r := &p.Results[wi]
		switch obj {
		case "latency":
			return r.LatencySeconds
		case "edp":
			return r.EDPJouleSeconds
		case "area":
			return p.AreaUM2
		case "power":
			return r.PowerWatts
		}
		return r.EnergyPJ
	}
	var pts []*report.SweepPoint
	var xs, ys []float64
	for i := range rep.Points {
		p := &rep.Points[i]
		if p.Valid && p.Results[wi].OK {
			pts = append(pts, p)
			xs = append(xs, value(p, objs[0]))
			ys = append(ys, value(p, objs[1]))
		}
	}
	ax, ay := objectiveAxis(objs[0], wl.Batch, xs), objectiveAxis(objs[1], wl.Batch, ys)
	x0, x1 := float64(sweepPlotL), float64(sweepPanelW-sweepPlotR)
	y0, y1 := top+sweepPlotT, top+sweepPanelH-sweepPlotB
	px := func(v float64) float64 { return x0 + ax.frac(v*ax.scale)*(x1-x0) }
	py := func(v float64) float64 { return y1 - ay.frac(v*ay.scale)*(y1-y0) }

	c.Text(float64(sweepPanelW)/2, top+26, fmt.Sprintf("sweep %s: %s, %s, %d points", rep.Name, wl.Network, batchText(wl.Batch, wl.BatchUnknown), len(pts)),
		chart.TextStyle{Size: 15, Anchor: chart.Middle, Bold: true})
	tick := chart.TextStyle{Size: 11, Anchor: chart.Middle}
	vs, ls := ax.ticks()
	for i, v := range vs {
		xx := x0 + ax.frac(v)*(x1-x0)
		c.Line(xx, y0, xx, y1, "#eeeeee", 1)
		c.Text(xx, y1+16, ls[i], tick)
	}
	tick.Anchor = chart.End
	vs, ls = ay.ticks()
	for i, v := range vs {
		yy := y1 - ay.frac(v)*(y1-y0)
		c.Line(x0, yy, x1, yy, "#eeeeee", 1)
		c.Text(x0-6, yy+4, ls[i], tick)
	}
	c.Rect(x0, y0, x1-x0, y1-y0, "", "#888888")
	scaleNote := func(a *sweepAxis) string {
		if a.log {
			return a.unit + " (log scale)"
		}
		return a.unit
	}
	c.Text((x0+x1)/2, y1+40, scaleNote(&ax), chart.TextStyle{Size: 12, Anchor: chart.Middle})
	c.Text(22, (y0+y1)/2, scaleNote(&ay), chart.TextStyle{Size: 12, Anchor: chart.Middle, Up: true})

	onFront := map[string]int{}
	for i, id := range front {
		onFront[id] = i
	}
	var fp []*report.SweepPoint
	for _, p := range pts {
		if _, ok := onFront[p.ID]; ok {
			fp = append(fp, p)
		}
	}
	slices.SortFunc(fp, func(a, b *report.SweepPoint) int {
		return cmp.Compare(value(a, objs[0]), value(b, objs[0]))
	})
	for _, p := range pts {
		if _, ok := onFront[p.ID]; !ok {
			c.Circle(px(value(p, objs[0])), py(value(p, objs[1])), 3, "#bab0ac", p.ID+" "+pointLabel(p, len(rep.Parameters)))
		}
	}
	const red = "#e15759"
	if len(objs) == 2 {
		for i := 1; i < len(fp); i++ {
			a, b := fp[i-1], fp[i]
			c.Line(px(value(a, objs[0])), py(value(a, objs[1])), px(value(b, objs[0])), py(value(b, objs[1])), red, 1.2)
		}
	}
	// Label with what differs between the front's points (between all
	// points when the front has one).
	diff := fp
	if len(fp) < 2 {
		diff = pts
	}
	cols, _ := varying(rep, diff)
	for i, p := range fp {
		x, y := px(value(p, objs[0])), py(value(p, objs[1]))
		c.Circle(x, y, 4.5, red, p.ID+" "+pointLabel(p, len(rep.Parameters)))
		var parts []string
		for _, k := range cols {
			if k < len(rep.Parameters) {
				parts = append(parts, p.Values[k].Name+"="+p.Values[k].Value)
			}
		}
		st := chart.TextStyle{Size: 10, Fill: "#333333"}
		lx := x + 7
		if lx > x1-20 {
			st.Anchor, lx = chart.End, x-7
		}
		ly := y - 6
		if i%2 == 1 {
			ly = y + 14 // alternate sides so that neighbours do not overlap
		}
		c.Text(lx, ly, strings.Join(parts, " "), st)
	}
}
