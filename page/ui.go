package page

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strconv"

	"github.com/nnergy/nnergy/report"
)

// The web UI of nnergy serve shows the same pages as --report, with a nav
// bar, the header of the run a page shows, links between runs and a small
// script (Script, served at /ui.js). Its paths are fixed:
//
//	/                          the runs list (RunsPage)
//	/runs/{id}                 a run's page by its kind and status (RunPage)
//	/runs/{id}/points/{point}  a sweep point's design (PointPage)
//	/compare?a={id}&b={id}     two runs side by side (ComparePage)
//	/new                       the form that starts an eval (NewEvalPage)
//	/ui.js                     Script
//
// Every page works without JavaScript; the script adds the live progress of
// a running job, the sweep scatter's axes and hover, and the eval form's
// submission to the HTTP API.

// Script is the web UI's script, which the pages load from /ui.js.
//
//go:embed ui.js
var Script []byte

// uiData is what a page inside the web UI shows besides the report.
type uiData struct {
	// Run is the run the page shows, nil for a page of no run.
	Run *report.RunRecord
	// Live: the run is a job of the server; the page follows its events.
	Live bool
	// Refresh: the page reloads itself every few seconds without
	// JavaScript (a run still running).
	Refresh bool
	// Others are runs the run header offers to compare with.
	Others []report.RunRecord
	// Shards are the runs of a sweep with their progress.
	Shards []Shard
	// X and Y are a sweep scatter's axes ("": the report's).
	X, Y string
}

// RunPage is a recorded run as the web UI shows it at /runs/{id}.
type RunPage struct {
	Run report.RunRecord
	// Live is set when the run is a job of the server that shows it: the
	// page follows the job's progress at /api/v1/jobs/{id}/events and
	// reloads itself once the run is recorded.
	Live bool
	// Others are runs the page offers to compare the run with.
	Others []report.RunRecord
	// Shards are the runs of the same sweep (its shards, or the runs that
	// share its points) with their progress: a sweep run's page shows
	// them.
	Shards []Shard
	// X and Y are the sweep scatter's axes, among Objectives ("": the
	// Pareto objectives, else energy and latency).
	X, Y string
}

// Shard is the progress of one run of a sweep.
type Shard struct {
	// Run is the run's ID; Shard says which part of the sweep it runs
	// ("2/8", or "all").
	Run    int64
	Shard  string
	Status string
	// Done of Total points are in the store (Total 0: not known yet).
	Done, Total int
}

// Run writes the page of a recorded run inside the web UI: the page of its
// report by kind (eval, sweep, prune, adapt, map; a table of figures for
// the others), the progress of a run still running, the error of a failed
// one.
func Run(w io.Writer, p RunPage) error {
	r := &p.Run
	ui := &uiData{Run: r, Live: p.Live, Others: p.Others, Shards: p.Shards, X: p.X, Y: p.Y}
	if r.Status != "done" || len(r.Report) == 0 {
		ui.Refresh = r.Status == "running" && !p.Live
		return render(w, "status.html", statusView{Title: fmt.Sprintf("run %d (%s, %s)", r.ID, r.RunKind, r.Status), UI: ui, Run: r, Shards: p.Shards})
	}
	rep, err := report.Decode(r.Report)
	if err != nil {
		// A report this nnergy cannot read (another version) is shown
		// as it is.
		return render(w, "status.html", statusView{Title: fmt.Sprintf("run %d (%s)", r.ID, r.RunKind), UI: ui, Run: r,
			JSON: indentJSON(r.Report), Note: fmt.Sprintf("This nnergy cannot read the report (%v); here it is as JSON.", err)})
	}
	switch rep := rep.(type) {
	case *report.Eval:
		return evalPage(w, rep, ui)
	case *report.Sweep:
		return sweepPage(w, rep, ui)
	case *report.Prune:
		return prunePage(w, rep, ui)
	case *report.Adapt:
		return adaptPage(w, rep, ui)
	case *report.Map:
		return mapPage(w, rep, ui)
	}
	return render(w, "status.html", statusView{Title: fmt.Sprintf("run %d (%s)", r.ID, r.RunKind), UI: ui, Run: r,
		JSON: indentJSON(r.Report), Note: fmt.Sprintf("The web UI has no page for a %s report; here it is as JSON.", r.RunKind)})
}

// indentJSON indents a JSON value for people, or returns it as it is when
// it does not parse.
func indentJSON(b []byte) string {
	var out bytes.Buffer
	if json.Indent(&out, b, "", "  ") != nil {
		return string(b)
	}
	return out.String()
}

// statusView is the page of a run without a page of its report: running,
// failed, or of a kind the UI shows as JSON.
type statusView struct {
	Title  string
	UI     *uiData
	Run    *report.RunRecord
	Shards []Shard
	// JSON is the report shown as it is, with Note saying why.
	JSON, Note string
}

// mapView is what the page of a map run shows.
type mapView struct {
	Title string
	UI    *uiData
	Rep   *report.Map
	Layer layerView
}

// mapPage writes the page of a map report: the layer's figures and its
// mapping as a loop nest.
func mapPage(w io.Writer, rep *report.Map, ui *uiData) error {
	return render(w, "map.html", mapView{Title: fmt.Sprintf("%s on %s", rep.Layer.Name, rep.Arch), UI: ui, Rep: rep,
		Layer: layerView{Layer: &rep.Layer, Nest: nest(&rep.Layer)}})
}

// runURL is the path of run id's page.
func runURL(id int64) string { return "/runs/" + strconv.FormatInt(id, 10) }

// pointURL is the path of the design page of a sweep run's point.
func pointURL(id int64, point string) string {
	return runURL(id) + "/points/" + url.PathEscape(point)
}
