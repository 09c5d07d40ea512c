package page

import (
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/nnergy/nnergy/prune"
	"github.com/nnergy/nnergy/report"
)

// adaptView is what the adapt page shows.
type adaptView struct {
	Title string
	UI    *uiData
	Rep   *report.Adapt
	Curve template.HTML
}

// Adapt writes the page of a NetAdapt report: the accuracy against the
// resource ratio of the start and every iteration, the iterations and
// every proposal.
func Adapt(w io.Writer, rep *report.Adapt) error { return adaptPage(w, rep, nil) }

// adaptPage writes the adapt page, inside the web UI when ui is not nil.
func adaptPage(w io.Writer, rep *report.Adapt, ui *uiData) error {
	if rep == nil || rep.Kind != report.KindAdapt {
		return fmt.Errorf("page: not an adapt report")
	}
	c, err := svg(AdaptChart(fmt.Sprintf("%s: NetAdapt to %s %s", rep.Model, short(rep.BudgetResource), rep.ResourceUnit), rep.Result()))
	if err != nil {
		return err
	}
	return render(w, "adapt.html", adaptView{Title: "adapt " + rep.Model, UI: ui, Rep: rep, Curve: c})
}

// pruneView is what the prune page shows.
type pruneView struct {
	Title string
	UI    *uiData
	Rep   *report.Prune
	Curve template.HTML
}

// Prune writes the page of a pruning report: the accuracy against the
// energy ratio of every step of every method, and each method's steps.
func Prune(w io.Writer, rep *report.Prune) error { return prunePage(w, rep, nil) }

// prunePage writes the prune page, inside the web UI when ui is not nil.
func prunePage(w io.Writer, rep *report.Prune, ui *uiData) error {
	if rep == nil || rep.Kind != report.KindPrune {
		return fmt.Errorf("page: not a prune report")
	}
	v := pruneView{Title: "prune " + rep.Model, UI: ui, Rep: rep}
	var runs []PruneRun
	for _, r := range rep.Runs {
		run := PruneRun{Result: &prune.Result{Reached: r.Reached}, Label: r.Method}
		for i := range r.Steps {
			run.Result.Steps = append(run.Result.Steps, r.Steps[i].ToPrune())
		}
		runs = append(runs, run)
	}
	c, err := svg(PruneChart(fmt.Sprintf("%s: %s pruning to %s, energy on %s", rep.Model, rep.Granularity, strings.Join(rep.Targets, ", "), rep.Arch), runs))
	if err != nil {
		return err
	}
	v.Curve = c
	return render(w, "prune.html", v)
}
