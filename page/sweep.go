package page

import (
	"fmt"
	"html"
	"html/template"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/nnergy/nnergy/report"
)

// sweepView is what the sweep page shows.
type sweepView struct {
	Title string
	UI    *uiData
	// Objectives are the axes a reader may choose in the web UI.
	Objectives []string
	Rep        *report.Sweep
	Axes       [2]string
	Workloads  []workloadView
}

// workloadView is one workload of a sweep: its scatter and its points.
type workloadView struct {
	Index   int
	Name    string
	Scatter template.HTML
	Rows    []pointRow
}

// pointRow is one point's row in a workload's table.
type pointRow struct {
	*report.SweepPoint
	Result *report.SweepResult
	Front  bool
	Params string
}

// Sweep writes the page of a sweep report: for each workload a scatter of
// the points over the first two Pareto objectives (energy and latency
// without a front), each point a link to its row in the points table with
// its parameters as its tooltip, the front marked, and the table.
func Sweep(w io.Writer, rep *report.Sweep) error { return sweepPage(w, rep, nil) }

// objectives are the figures a sweep's scatter can put on its axes.
var objectives = []string{"energy", "latency", "edp", "power", "area"}

// Objectives returns the figures a sweep's scatter can put on its axes in
// the web UI: energy, latency, edp, power and area.
func Objectives() []string { return slices.Clone(objectives) }

// sweepPage writes the sweep page, inside the web UI when ui is not nil:
// there the scatter's axes are ui.X and ui.Y when set, each dot links to
// the point's design page and carries every figure for the UI's script.
func sweepPage(w io.Writer, rep *report.Sweep, ui *uiData) error {
	if rep == nil || rep.Kind != report.KindSweep {
		return fmt.Errorf("page: not a sweep report")
	}
	v := sweepView{Title: "sweep " + rep.Name, UI: ui, Objectives: objectives, Rep: rep, Axes: [2]string{"energy", "latency"}}
	if rep.Pareto != nil && len(rep.Pareto.Objectives) >= 2 {
		v.Axes = [2]string{rep.Pareto.Objectives[0], rep.Pareto.Objectives[1]}
	}
	if ui != nil {
		for i, a := range []string{ui.X, ui.Y} {
			if a == "" {
				continue
			}
			if !slices.Contains(objectives, a) {
				return fmt.Errorf("page: sweep axis %q: want one of %s", a, strings.Join(objectives, ", "))
			}
			v.Axes[i] = a
		}
	}
	for wi, wl := range rep.Workloads {
		wv := workloadView{Index: wi, Name: fmt.Sprintf("%s, batch %d", wl.Network, wl.Batch)}
		var front []string
		if rep.Pareto != nil {
			for _, f := range rep.Pareto.Fronts {
				if f.Workload == wi {
					front = f.Points
				}
			}
		}
		for i := range rep.Points {
			p := &rep.Points[i]
			row := pointRow{SweepPoint: p, Front: slices.Contains(front, p.ID), Params: params(p)}
			for k := range p.Results {
				if p.Results[k].Workload == wi {
					row.Result = &p.Results[k]
				}
			}
			wv.Rows = append(wv.Rows, row)
		}
		s, err := scatter(wi, wv.Name, v.Axes, wv.Rows, ui)
		if err != nil {
			return err
		}
		wv.Scatter = s
		v.Workloads = append(v.Workloads, wv)
	}
	return render(w, "sweep.html", v)
}

// params says a point's parameter values, name=value, comma-separated.
func params(p *report.SweepPoint) string {
	var parts []string
	for _, v := range p.Values {
		parts = append(parts, v.Name+"="+v.Value)
	}
	return strings.Join(parts, ", ")
}

// objectiveValue is a point's figure for a Pareto objective, false when the
// objective is unknown.
func objectiveValue(obj string, p *report.SweepPoint, r *report.SweepResult) (float64, bool) {
	switch obj {
	case "energy":
		return r.EnergyPJ, true
	case "latency":
		return r.LatencySeconds, true
	case "edp":
		return r.EDPJouleSeconds, true
	case "area":
		return p.AreaUM2, true
	case "power":
		return r.PowerWatts, true
	}
	return 0, false
}

// objectiveText says an objective's value with its unit for people:
// "84.2 mJ", "317 ms".
func objectiveText(obj string, v float64) string {
	switch obj {
	case "energy":
		return si(v*1e-12, "J")
	case "area":
		return si(v*1e-6, "mm²")
	}
	return si(v, objectiveUnits[obj])
}

var objectiveUnits = map[string]string{"energy": "pJ", "latency": "s", "edp": "J·s", "area": "µm²", "power": "W"}

// logAxis maps positive values onto [0, 1] by their logarithm.
type logAxis struct{ lo, hi float64 }

func newLogAxis(vals []float64) logAxis {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range vals {
		if v > 0 {
			lo, hi = min(lo, math.Log10(v)), max(hi, math.Log10(v))
		}
	}
	if math.IsInf(lo, 1) {
		return logAxis{0, 1}
	}
	if hi-lo < 1e-9 {
		return logAxis{lo - 0.5, hi + 0.5}
	}
	pad := (hi - lo) * 0.06
	return logAxis{lo - pad, hi + pad}
}

func (a logAxis) frac(v float64) float64 { return (math.Log10(v) - a.lo) / (a.hi - a.lo) }

// scatter draws workload wi's points on log axes as inline SVG: grey for
// every point that ran, red for the front, each circle a link to the
// point's row with its parameters and figures as the tooltip.
//
// Inside the web UI (ui not nil) each dot links to its design page instead,
// carries its figures in data- attributes, and the tick labels and axis
// titles have ids, so that the UI's script can move the dots to other axes.
func scatter(wi int, name string, axes [2]string, rows []pointRow, ui *uiData) (template.HTML, error) {
	const (
		width, height            = 640.0, 420.0
		left, right, top, bottom = 80.0, 20.0, 36.0, 56.0
	)
	type pt struct {
		x, y float64
		row  *pointRow
	}
	var pts []pt
	var xs, ys []float64
	for i := range rows {
		r := &rows[i]
		if r.Result == nil || !r.Result.OK {
			continue
		}
		x, okx := objectiveValue(axes[0], r.SweepPoint, r.Result)
		y, oky := objectiveValue(axes[1], r.SweepPoint, r.Result)
		if !okx || !oky {
			return "", fmt.Errorf("page: unknown sweep objective %q or %q", axes[0], axes[1])
		}
		if x <= 0 || y <= 0 {
			continue
		}
		pts = append(pts, pt{x, y, r})
		xs, ys = append(xs, x), append(ys, y)
	}
	ax, ay := newLogAxis(xs), newLogAxis(ys)
	pw, ph := width-left-right, height-top-bottom
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" id="scatter-%d" width="%g" height="%g" viewBox="0 0 %g %g" font-family="Helvetica, Arial, sans-serif">`+"\n", wi, width, height, width, height)
	fmt.Fprintf(&b, `<rect x="0" y="0" width="%g" height="%g" fill="#ffffff"/>`+"\n", width, height)
	fmt.Fprintf(&b, `<text x="%g" y="20" font-size="14" font-weight="bold" text-anchor="middle">%s</text>`+"\n", width/2, html.EscapeString(name))
	fmt.Fprintf(&b, `<rect x="%g" y="%g" width="%g" height="%g" fill="none" stroke="#000000" stroke-width="0.6"/>`+"\n", left, top, pw, ph)
	for k := 0; k <= 4; k++ {
		f := float64(k) / 4
		xv := math.Pow(10, ax.lo+(ax.hi-ax.lo)*f)
		yv := math.Pow(10, ay.lo+(ay.hi-ay.lo)*f)
		fmt.Fprintf(&b, `<text%s x="%.1f" y="%.1f" font-size="10" text-anchor="middle">%s</text>`+"\n", uiID(ui, "xtick-%d-%d", wi, k), left+pw*f, top+ph+16, short(xv))
		fmt.Fprintf(&b, `<text%s x="%.1f" y="%.1f" font-size="10" text-anchor="end">%s</text>`+"\n", uiID(ui, "ytick-%d-%d", wi, k), left-6, top+ph-ph*f+4, short(yv))
	}
	fmt.Fprintf(&b, `<text%s x="%.1f" y="%.1f" font-size="11" text-anchor="middle">%s (%s, log)</text>`+"\n", uiID(ui, "xlabel-%d", wi), left+pw/2, height-20, axes[0], objectiveUnits[axes[0]])
	fmt.Fprintf(&b, `<text%s x="16" y="%.1f" font-size="11" text-anchor="middle" transform="rotate(-90 16 %.1f)">%s (%s, log)</text>`+"\n", uiID(ui, "ylabel-%d", wi), top+ph/2, top+ph/2, axes[1], objectiveUnits[axes[1]])
	// The front is drawn last, on top.
	slices.SortStableFunc(pts, func(a, c pt) int {
		switch {
		case a.row.Front == c.row.Front:
			return 0
		case c.row.Front:
			return -1
		}
		return 1
	})
	for _, p := range pts {
		fill, r := "#9a9a9a", 4.0
		if p.row.Front {
			fill, r = "#d62728", 5.5
		}
		title := fmt.Sprintf("%s: %s; %s %s, %s %s", p.row.ID, p.row.Params, axes[0], objectiveText(axes[0], p.x), axes[1], objectiveText(axes[1], p.y))
		href, data := fmt.Sprintf("#point-%d-%d", wi, p.row.Index), ""
		if ui != nil && ui.Run != nil {
			href = pointURL(ui.Run.ID, p.row.ID)
			data = dotData(p.row)
		}
		fmt.Fprintf(&b, `<a href="%s"><circle id="dot-%d-%d"%s cx="%.1f" cy="%.1f" r="%g" fill="%s"><title>%s</title></circle></a>`+"\n",
			html.EscapeString(href), wi, p.row.Index, data, left+pw*ax.frac(p.x), top+ph-ph*ay.frac(p.y), r, fill, html.EscapeString(title))
	}
	if ui != nil {
		fmt.Fprintf(&b, `<g id="plot-%d" data-left="%g" data-top="%g" data-width="%g" data-height="%g"/>`+"\n", wi, left, top, pw, ph)
	}
	b.WriteString("</svg>\n")
	// Every text in it is escaped above.
	return template.HTML(b.String()), nil //nolint:gosec
}

// uiID is ` id="..."` of format and args inside the web UI, else nothing.
func uiID(ui *uiData, format string, args ...any) string {
	if ui == nil {
		return ""
	}
	return ` id="` + fmt.Sprintf(format, args...) + `"`
}

// dotData is a dot's data- attributes for the web UI's script: the point's
// ID, parameters, front membership and every objective's exact value.
func dotData(r *pointRow) string {
	var b strings.Builder
	fmt.Fprintf(&b, ` class="dot" data-point="%s" data-params="%s" data-front="%t"`, html.EscapeString(r.ID), html.EscapeString(r.Params), r.Front)
	for _, o := range objectives {
		v, _ := objectiveValue(o, r.SweepPoint, r.Result)
		fmt.Fprintf(&b, ` data-%s="%s"`, o, exact(v))
	}
	return b.String()
}
