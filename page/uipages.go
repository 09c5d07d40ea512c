package page

import (
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/nnergy/nnergy/report"
)

// RunsPage is the web UI's list of runs at /, filtered and sorted by the
// server.
type RunsPage struct {
	Rows []RunRow
	// Model, Arch and Kind are the filter ("": any); Sort is date, energy
	// or latency.
	Model, Arch, Kind, Sort string
	// Models, Archs and Kinds are the filter's choices.
	Models, Archs, Kinds []string
}

// RunRow is one run of the list.
type RunRow struct {
	// Run is the run; its report is not needed.
	Run report.RunRecord
	// Arch names its architectures.
	Arch string
	// EnergyPJ and LatencySeconds are its totals, nil when it has none.
	EnergyPJ, LatencySeconds *float64
}

// Created is when the run began, to the second.
func (r RunRow) Created() string { return shortTime(r.Run.Created) }

// shortTime writes an RFC 3339 time to the second, as it came when it does
// not parse.
func shortTime(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}

// runSorts are the orders of the runs list.
var runSorts = []string{"date", "energy", "latency"}

// runsView is what the runs list shows.
type runsView struct {
	Title string
	UI    *uiData
	RunsPage
	Sorts []string
}

// SortURL is the list's URL with its filter, sorted by s.
func (v runsView) SortURL(s string) string {
	q := url.Values{}
	for k, val := range map[string]string{"model": v.Model, "arch": v.Arch, "kind": v.Kind} {
		if val != "" {
			q.Set(k, val)
		}
	}
	if s != "date" {
		q.Set("sort", s)
	}
	if len(q) == 0 {
		return "/"
	}
	return "/?" + q.Encode()
}

// Runs writes the web UI's runs list: a filter form, sort links, and a
// table of the runs with their totals and radio buttons to compare two.
func Runs(w io.Writer, p RunsPage) error {
	if p.Sort == "" {
		p.Sort = "date"
	}
	if !slices.Contains(runSorts, p.Sort) {
		return fmt.Errorf("page: sort %q: want date, energy or latency", p.Sort)
	}
	return render(w, "runs.html", runsView{Title: "runs", UI: &uiData{}, RunsPage: p, Sorts: runSorts})
}

// PointPage is the design of one point of a sweep run.
type PointPage struct {
	Run   report.RunRecord
	Sweep *report.Sweep
	// Point is the point's ID.
	Point string
	// ArchYAML is the point's architecture rebuilt from the sweep; when
	// it is empty, ArchNote says why it could not be.
	ArchYAML, ArchNote string
}

// pointView is what a point's page shows.
type pointView struct {
	Title     string
	UI        *uiData
	Run       *report.RunRecord
	Sweep     *report.Sweep
	Point     *report.SweepPoint
	Rows      []pointResult
	HasPareto bool
	ArchYAML  string
	ArchNote  string
}

// pointResult is a point's figures on one workload.
type pointResult struct {
	Workload    int
	Name, Model string
	Batch       int
	Dataflow    string
	Result      *report.SweepResult
	Front       bool
}

// Point writes the design page of a sweep point: its parameter values, its
// area and static power, its figures on each workload with its membership
// of the Pareto fronts, and its architecture when it could be rebuilt (with
// a button per workload that evaluates it).
func Point(w io.Writer, p PointPage) error {
	if p.Sweep == nil || p.Sweep.Kind != report.KindSweep {
		return fmt.Errorf("page: not a sweep report")
	}
	var pt *report.SweepPoint
	for i := range p.Sweep.Points {
		if p.Sweep.Points[i].ID == p.Point {
			pt = &p.Sweep.Points[i]
		}
	}
	if pt == nil {
		return fmt.Errorf("page: sweep %s has no point %q", p.Sweep.Name, p.Point)
	}
	v := pointView{Title: "point " + pt.ID + " of sweep " + p.Sweep.Name, UI: &uiData{Run: &p.Run}, Run: &p.Run, Sweep: p.Sweep, Point: pt,
		HasPareto: p.Sweep.Pareto != nil, ArchYAML: p.ArchYAML, ArchNote: p.ArchNote}
	for wi, wl := range p.Sweep.Workloads {
		row := pointResult{Workload: wi, Name: fmt.Sprintf("%s, batch %d", wl.Network, wl.Batch), Model: wl.Model, Batch: wl.Batch, Dataflow: pt.Dataflow}
		for k := range pt.Results {
			if pt.Results[k].Workload == wi {
				row.Result = &pt.Results[k]
			}
		}
		if p.Sweep.Pareto != nil {
			for _, f := range p.Sweep.Pareto.Fronts {
				if f.Workload == wi && slices.Contains(f.Points, pt.ID) {
					row.Front = true
				}
			}
		}
		v.Rows = append(v.Rows, row)
	}
	return render(w, "point.html", v)
}

// ComparePage is two runs side by side: their diff (store.Diff's report)
// and the runs.
type ComparePage struct {
	A, B report.RunRecord
	Diff *report.Diff
	// ArchA and ArchB name the runs' architectures.
	ArchA, ArchB string
}

// compareView is what the compare page shows.
type compareView struct {
	Title string
	UI    *uiData
	ComparePage
	// Layers is set when the figures go beyond the total.
	Layers, Accuracy bool
	Chart            template.HTML
}

// Compare writes two runs side by side: every figure of both (the total,
// then layer by layer for evals) with the ratio B/A, a chart of the
// energies, and the inputs and settings that differ.
func Compare(w io.Writer, p ComparePage) error {
	if p.Diff == nil || p.Diff.Kind != report.KindDiff {
		return fmt.Errorf("page: not a diff report")
	}
	v := compareView{Title: fmt.Sprintf("run %d against run %d", p.A.ID, p.B.ID), UI: &uiData{}, ComparePage: p, Layers: len(p.Diff.Figures) > 1}
	var bars []bar
	for _, f := range p.Diff.Figures {
		if f.A.Accuracy != nil || f.B.Accuracy != nil {
			v.Accuracy = true
		}
		if f.A.EnergyPJ != nil || f.B.EnergyPJ != nil {
			bars = append(bars, bar{Label: f.Name, Parts: []float64{val(f.A.EnergyPJ), val(f.B.EnergyPJ)}})
		}
	}
	if len(bars) > 0 {
		d := groupedDrawing(fmt.Sprintf("Energy of run %d and run %d", p.A.ID, p.B.ID), "pJ",
			[]string{fmt.Sprintf("A: run %d", p.A.ID), fmt.Sprintf("B: run %d", p.B.ID)}, bars)
		c, err := svg(d)
		if err != nil {
			return err
		}
		v.Chart = c
	}
	return render(w, "compare.html", v)
}

func val(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}

// ratio says b/a to three digits, "–" when either is missing or a is 0.
func ratio(a, b *float64) string {
	if a == nil || b == nil || *a == 0 {
		return "–"
	}
	return strconv.FormatFloat(*b / *a, 'g', 3, 64) + "×"
}

// diffCell is one value of a figure of the compare page.
type diffCell struct {
	I          int
	Name, Unit string
	V          *float64
}

func cell(i int, name string, v *float64, unit string) diffCell {
	return diffCell{I: i, Name: name, Unit: unit, V: v}
}

// NewEvalPage is the form that starts an eval job.
type NewEvalPage struct {
	// Presets, Models and Dataflows are the choices of architecture,
	// network and dataflow.
	Presets, Models, Dataflows []string
	// Arch, Model, Batch, Dataflow, ArchYAML and WorkloadYAML are the
	// form's values (a form sent back with Error).
	Arch, Model, Dataflow  string
	Batch                  int
	ArchYAML, WorkloadYAML string
	// Error says why the last request failed.
	Error string
}

// newView is what the eval form shows.
type newView struct {
	Title string
	UI    *uiData
	NewEvalPage
}

// NewEval writes the form that starts an eval: a preset or an architecture
// YAML, a zoo model or a workload YAML, the batch and the dataflow. Its
// script posts the request to /api/v1/jobs/eval, follows the job's events
// and opens the run when it is done; without JavaScript the form posts to
// /new.
func NewEval(w io.Writer, p NewEvalPage) error {
	if p.Batch < 1 {
		p.Batch = 1
	}
	return render(w, "new.html", newView{Title: "new eval", UI: &uiData{}, NewEvalPage: p})
}

// errorView is what an error page shows.
type errorView struct {
	Title      string
	UI         *uiData
	Status     int
	StatusText string
	Message    string
}

// Error writes the web UI's page of an HTTP error status with msg.
func Error(w io.Writer, status int, msg string) error {
	text := http.StatusText(status)
	return render(w, "error.html", errorView{Title: strconv.Itoa(status) + " " + text, UI: &uiData{}, Status: status, StatusText: text, Message: msg})
}
