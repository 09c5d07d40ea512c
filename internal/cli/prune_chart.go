package cli

import (
	"fmt"
	"math"

	"github.com/nnergy/nnergy/internal/chart"
)

// pruneChart returns the plot of `nnergy prune --plot`: accuracy against
// modelled energy (as a fraction of the original) of every pruning step of
// each method, joined in order from the start, and the fine-tuned model at
// every target apart (the last pruning step is marked when nothing was
// fine-tuned). Each method has its colours.
func pruneChart(title string, runs []pruneRun) chart.Drawing {
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
		case r.label != "":
			name = r.label + ": "
		case len(runs) > 1:
			name = r.method.String() + ": "
		}
		path := scatterPath{Color: col.path}
		lastPruned, anyTuned := -1, false
		for _, st := range r.res.Steps {
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
