package page

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"

	"github.com/nnergy/nnergy/internal/chart"
)

// palette colours the series of a stacked bar chart, in order.
var palette = []chart.Color{"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#9c755f", "#bab0ac"}

// bar is one bar of a stacked chart: its label and one part per series.
type bar struct {
	Label string
	Parts []float64
}

// stackedBars draws horizontal bars, each split into series, with a legend,
// as inline SVG.
func stackedBars(title, unit string, series []string, bars []bar) (template.HTML, error) {
	return svg(barsDrawing(title, unit, series, bars))
}

// barsDrawing is the drawing of stackedBars.
func barsDrawing(title, unit string, series []string, bars []bar) chart.Drawing {
	const (
		left, right, rowH, top = 150.0, 30.0, 22.0, 54.0
		width                  = 720
	)
	var peak float64
	for _, b := range bars {
		var s float64
		for _, p := range b.Parts {
			s += max(p, 0)
		}
		peak = max(peak, s)
	}
	if peak <= 0 {
		peak = 1
	}
	h := int(top + rowH*float64(len(bars)) + 40)
	plotW := float64(width) - left - right
	d := chart.Drawing{W: width, H: h, Draw: func(c chart.Canvas) {
		c.Rect(0, 0, width, float64(h), "#ffffff", "")
		heading(c, width, left, title, series)
		for i, b := range bars {
			y := top + rowH*float64(i)
			c.Text(left-6, y+rowH*0.65, b.Label, chart.TextStyle{Size: 11, Anchor: chart.End})
			x := left
			for k, p := range b.Parts {
				if p <= 0 {
					continue
				}
				w := p / peak * plotW
				c.Rect(x, y+3, w, rowH-6, palette[k%len(palette)], "#ffffff")
				x += w
			}
		}
		valueAxis(c, left, top+rowH*float64(len(bars)), plotW, peak, unit)
	}}
	return d
}

func svg(d chart.Drawing) (template.HTML, error) {
	b, err := d.Encode(chart.SVG)
	if err != nil {
		return "", fmt.Errorf("page: %w", err)
	}
	// The SVG comes from chart's writer, which escapes every text it draws.
	return template.HTML(b), nil //nolint:gosec
}

// short formats v in 3 significant digits with an SI prefix (k, M, m, µ...)
// to put before its unit.
func short(v float64) string {
	a := math.Abs(v)
	for _, s := range []struct {
		f float64
		p string
	}{{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}, {1, ""}, {1e-3, "m"}, {1e-6, "µ"}, {1e-9, "n"}, {1e-12, "p"}} {
		if a >= s.f {
			return strconv.FormatFloat(v/s.f, 'g', 3, 64) + s.p
		}
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

// si formats v in unit with an SI prefix: si(2.91e-4, "s") is "291 µs".
func si(v float64, unit string) string {
	s := short(v)
	if n := len(s); n > 0 && (s[n-1] < '0' || s[n-1] > '9') {
		i := strings.LastIndexAny(s, "0123456789")
		return s[:i+1] + " " + s[i+1:] + unit
	}
	return s + " " + unit
}

// groupedDrawing draws, for each bar, its parts as thin bars side by side
// (one per series, in the palette's colours) from a common zero, with a
// legend: one group per figure of two runs.
func groupedDrawing(title, unit string, series []string, bars []bar) chart.Drawing {
	const (
		left, right, top = 150.0, 30.0, 54.0
		width            = 720
	)
	rowH := 8.0*float64(len(series)) + 8
	var peak float64
	for _, b := range bars {
		for _, p := range b.Parts {
			peak = max(peak, p)
		}
	}
	if peak <= 0 {
		peak = 1
	}
	h := int(top + rowH*float64(len(bars)) + 40)
	plotW := float64(width) - left - right
	return chart.Drawing{W: width, H: h, Draw: func(c chart.Canvas) {
		c.Rect(0, 0, width, float64(h), "#ffffff", "")
		heading(c, width, left, title, series)
		for i, b := range bars {
			y := top + rowH*float64(i)
			c.Text(left-6, y+rowH*0.6, b.Label, chart.TextStyle{Size: 11, Anchor: chart.End})
			for k, p := range b.Parts {
				if p > 0 {
					c.Rect(left, y+4+8*float64(k), p/peak*plotW, 7, palette[k%len(palette)], "")
				}
			}
		}
		valueAxis(c, left, top+rowH*float64(len(bars)), plotW, peak, unit)
	}}
}

// heading draws a bar chart's title and the legend of its series.
func heading(c chart.Canvas, width, left float64, title string, series []string) {
	c.Text(width/2, 18, title, chart.TextStyle{Size: 14, Anchor: chart.Middle, Bold: true})
	x := left
	for i, s := range series {
		c.Rect(x, 28, 10, 10, palette[i%len(palette)], "")
		c.Text(x+14, 37, s, chart.TextStyle{Size: 11})
		x += 14 + 7*float64(len(s)) + 16
	}
}

// valueAxis draws a bar chart's value axis from 0 to peak at height base,
// with five ticks and the unit.
func valueAxis(c chart.Canvas, left, base, plotW, peak float64, unit string) {
	c.Line(left, base, left+plotW, base, "#000000", 1)
	for k := 0; k <= 4; k++ {
		v := peak * float64(k) / 4
		x := left + plotW*float64(k)/4
		c.Line(x, base, x, base+4, "#000000", 1)
		c.Text(x, base+16, short(v), chart.TextStyle{Size: 10, Anchor: chart.Middle})
	}
	c.Text(left+plotW/2, base+32, unit, chart.TextStyle{Size: 11, Anchor: chart.Middle})
}
