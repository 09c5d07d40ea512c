package store

import (
	"encoding/json"
	"time"

	"github.com/nnergy/nnergy/report"
)

// Record returns r as the reports of kind run and runs hold it.
func (r *Run) Record() report.RunRecord {
	settings := r.Settings
	if settings == nil {
		settings = json.RawMessage("{}")
	}
	return report.RunRecord{ID: r.ID, RunKind: r.Kind.String(), Created: r.Created.UTC().Format(time.RFC3339Nano),
		NnergyVersion: r.Version, Command: r.Command, Status: r.Status.String(), Error: r.Error, Arch: r.Arch,
		Workload: r.Workload, WorkloadDigest: r.WorkloadDigest, Settings: settings, Report: r.Report}
}
