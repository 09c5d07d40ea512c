package store

import (
	"encoding/json"
	"math"
	"time"

	"github.com/nnergy/nnergy/report"
)

// Record returns r as the reports of kind run and runs hold it.
func (r *Run) Record() report.RunRecord {
	settings := r.Settings
	if settings == nil {
		settings = json.RawMessage("{}")
	}
	var owner *report.RunOwner
	if r.Owner.Known() {
		owner = &report.RunOwner{Host: r.Owner.Host, PID: r.Owner.PID}
	}
	return report.RunRecord{ID: r.ID, RunKind: r.Kind.String(), Created: r.Created.UTC().Format(time.RFC3339Nano),
		NnergyVersion: r.Version, Command: r.Command, Status: r.Status.String(), Error: r.Error, Owner: owner, Arch: r.Arch,
		Workload: r.Workload, WorkloadDigest: r.WorkloadDigest, Settings: settings, Report: r.Report}
}

// Report returns d as the report of kind diff.
func (d *Diff) Report() *report.Diff {
	num := func(v float64) *float64 {
		if math.IsNaN(v) {
			return nil
		}
		return &v
	}
	values := func(f Figure) report.DiffValues {
		return report.DiffValues{EnergyPJ: num(f.EnergyPJ), LatencySeconds: num(f.LatencySeconds), Accuracy: num(f.Accuracy)}
	}
	setting := func(s SettingDiff) report.DiffSetting {
		out := report.DiffSetting{Name: s.Name}
		if !s.NoA {
			out.A = &s.A
		}
		if !s.NoB {
			out.B = &s.B
		}
		return out
	}
	var figs []report.DiffFigure
	for _, f := range d.Figures {
		figs = append(figs, report.DiffFigure{Name: f.Name, A: values(f.A), B: values(f.B)})
	}
	var in, set []report.DiffSetting
	for _, s := range d.Inputs {
		in = append(in, setting(s))
	}
	for _, s := range d.Settings {
		set = append(set, setting(s))
	}
	return report.NewDiff(d.A.ID, d.B.ID, figs, in, set)
}
