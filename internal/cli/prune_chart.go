package cli

import (
	"fmt"
	"math"

	"github.com/nnergy/nnergy/internal/chart"
	"github.com/nnergy/nnergy/prune"
)

// pruneChart returns the plot of `nnergy prune --plot`: accuracy against
// modelled energy (as a fraction of the original) of every pruning step,
// joined in order from the start, and the fine-tuned model at every target
// apart (the last pruning step is marked when nothing was fine-tuned).
func pruneChart(title string, steps []prune.Step) chart.Drawing {
	const start, tuned, other = "#4e79a7", "#e15759", "#76b7b2"
	var pts []scatterPoint
	var path []int
	lastPruned, anyTuned := -1, false
	for _, st := range steps {
		if math.IsNaN(st.Accuracy) {
			continue
		}
		p := scatterPoint{X: st.EnergyRatio, Y: st.Accuracy, Fill: other, R: 3, Title: fmt.Sprintf("step %d: %s", st.Step, st.Action)}
		switch {
		case st.Target != "":
			p.Fill, p.R, anyTuned = tuned, 5, true
		case len(pts) == 0:
			p.Fill, p.R = start, 5
			fallthrough
		default:
			path = append(path, len(pts))
			lastPruned = len(pts)
		}
		pts = append(pts, p)
	}
	legend := []legendEntry{{start, "start"}, {other, "pruning steps"}}
	if anyTuned {
		legend = append(legend, legendEntry{tuned, "fine-tuned at each target"})
	} else if lastPruned > 0 {
		pts[lastPruned].Fill, pts[lastPruned].R = tuned, 5
		legend = append(legend, legendEntry{tuned, "last step"})
	}
	return scatterChart(title, "modelled energy, % of the original", pts, path, legend)
}
