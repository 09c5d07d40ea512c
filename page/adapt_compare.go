package page

import (
	"fmt"

	"github.com/nnergy/nnergy/internal/chart"
	"github.com/nnergy/nnergy/netadapt"
)

// AdaptRun is one search of a comparison drawn by [AdaptCompareChart].
type AdaptRun struct {
	Label  string // e.g. "netadapt" or "netadaptv2"
	Result *netadapt.Result
}

// AdaptCompareChart returns the plot of `nnergy adapt --method
// netadapt,netadaptv2 --plot` and of `nnergy plot` given several adapt
// histories: per run, held-out accuracy against the resource (a fraction
// of the start) of every proposal, the chosen ones joined in order from
// the start, and the final model, each run in its colours.
func AdaptCompareChart(title string, runs []AdaptRun) chart.Drawing {
	const start = "#555555"
	palette := []struct{ other, chosen, final chart.Color }{
		{"#f1b6b6", "#e15759", "#b0262b"}, // the first run: reds
		{"#a9c4e0", "#4e79a7", "#1f3f66"}, // the second: blues
		{"#b9dcb1", "#59a14f", "#2e6b27"}, // the third: greens
		{"#f6d59a", "#f28e2b", "#a8560b"}, // the fourth: oranges
	}
	var pts []scatterPoint
	var paths []scatterPath
	legend := []legendEntry{{start, "start"}}
	for ri, r := range runs {
		col := palette[ri%len(palette)]
		res := r.Result
		pts = append(pts, scatterPoint{X: 1, Y: res.InitialAccuracy, Title: r.Label + ": start", Fill: start, R: 5})
		path := scatterPath{Idx: []int{len(pts) - 1}, Color: col.chosen}
		for _, p := range res.Proposals {
			sp := scatterPoint{X: p.Ratio, Y: p.Accuracy, Fill: col.other, R: 2.5,
				Title: fmt.Sprintf("%s, iteration %d: %s", r.Label, p.Iteration, p.Layer)}
			if p.Chosen {
				sp.Fill, sp.R, sp.Title = col.chosen, 3.5, sp.Title+", chosen"
				path.Idx = append(path.Idx, len(pts))
			}
			pts = append(pts, sp)
		}
		if res.Initial > 0 {
			pts = append(pts, scatterPoint{X: res.Resource / res.Initial, Y: res.Accuracy, Fill: col.final, R: 6,
				Title: fmt.Sprintf("%s: final, %.1f%% at %.1f%% of the start", r.Label, 100*res.Accuracy, 100*res.Resource/res.Initial)})
			path.Idx = append(path.Idx, len(pts)-1)
		}
		paths = append(paths, path)
		legend = append(legend, legendEntry{col.chosen, r.Label + ": chosen proposals"}, legendEntry{col.final, r.Label + ": final"})
	}
	metric := ""
	if len(runs) > 0 {
		metric = runs[0].Result.Metric
	}
	return scatterChart(title, metric+", % of the start", pts, paths, legend)
}
