package page

import (
	"fmt"
	"html/template"
	"io"

	"github.com/nnergy/nnergy/report"
)

// adaptView is what the adapt page shows.
type adaptView struct {
	Title string
	Rep   *report.Adapt
	Curve template.HTML
}

// Adapt writes the page of a NetAdapt report: the accuracy against the
// resource ratio of the start and every iteration, the iterations and
// every proposal.
func Adapt(w io.Writer, rep *report.Adapt) error {
	if rep == nil || rep.Kind != report.KindAdapt {
		return fmt.Errorf("page: not an adapt report")
	}
	pts := []curvePoint{{X: 1, Y: rep.InitialAccuracy, Title: fmt.Sprintf("start: %s %s, accuracy %.4f", short(rep.InitialResource), rep.ResourceUnit, rep.InitialAccuracy)}}
	for _, it := range rep.Iterations {
		pts = append(pts, curvePoint{X: it.ResourceRatio, Y: it.Accuracy,
			Title: fmt.Sprintf("iteration %d: %s to %d filters, %s %s, accuracy %.4f", it.Iteration, it.Layer, it.KeptFilters, short(it.Resource), rep.ResourceUnit, it.Accuracy)})
	}
	c, err := curve("Accuracy against "+rep.Metric, rep.Metric+" over the start's", "accuracy", pts)
	if err != nil {
		return err
	}
	return render(w, "adapt.html", adaptView{Title: "adapt " + rep.Model, Rep: rep, Curve: c})
}

// pruneView is what the prune page shows.
type pruneView struct {
	Title  string
	Rep    *report.Prune
	Curves []template.HTML
}

// Prune writes the page of a pruning report: for each method the accuracy
// against the energy ratio of its steps, and the steps.
func Prune(w io.Writer, rep *report.Prune) error {
	if rep == nil || rep.Kind != report.KindPrune {
		return fmt.Errorf("page: not a prune report")
	}
	v := pruneView{Title: "prune " + rep.Model, Rep: rep}
	for _, run := range rep.Runs {
		var pts []curvePoint
		for _, s := range run.Steps {
			if s.Accuracy == nil {
				continue
			}
			pts = append(pts, curvePoint{X: s.EnergyRatio, Y: *s.Accuracy,
				Title: fmt.Sprintf("step %d (%s): %s, sparsity %.3f, accuracy %.4f", s.Step, s.Phase, s.Action, s.Sparsity, *s.Accuracy)})
		}
		c, err := curve("Accuracy against energy: "+run.Method, "energy over the start's", "accuracy", pts)
		if err != nil {
			return err
		}
		v.Curves = append(v.Curves, c)
	}
	return render(w, "prune.html", v)
}
