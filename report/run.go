package report

import "encoding/json"

// Run is the report of nnergy runs show --format json: one run recorded in
// the results store, with the report it emitted.
type Run struct {
	Header
	RunRecord
}

// Runs is the report of nnergy runs export --format json: runs recorded in
// the results store, newest first.
type Runs struct {
	Header
	Runs []RunRecord `json:"runs"`
}

// RunRecord is one recorded run (package store's Run).
type RunRecord struct {
	ID int64 `json:"id"`
	// RunKind is the command: eval, map, compare, prune, adapt, sweep,
	// codesign or fit.
	RunKind string `json:"run_kind"`
	// Created is when the run began, RFC 3339 in UTC.
	Created       string `json:"created"`
	NnergyVersion string `json:"nnergy_version"`
	// Command is the command line, the program first.
	Command []string `json:"command"`
	// Status is running, done, failed or interrupted; Error says why a
	// failed run failed, or what interrupted an interrupted one.
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
	// Owner is the process that began the run; nil when the store did not
	// record it (runs of store schema versions before 3).
	Owner *RunOwner `json:"owner,omitempty"`
	// Arch is the architecture's canonical YAML (several documents for
	// several architectures, empty for none).
	Arch           string `json:"arch"`
	Workload       string `json:"workload"`
	WorkloadDigest string `json:"workload_digest"`
	// Settings is a JSON object of the run's settings.
	Settings json.RawMessage `json:"settings"`
	// Report is the report the run emitted, of the version of the nnergy
	// that ran it; absent until the run is done.
	Report json.RawMessage `json:"report,omitempty"`
}

// RunOwner is the process that began a run.
type RunOwner struct {
	Host string `json:"host"`
	PID  int    `json:"pid"`
}

// NewRun returns the report of one run.
func NewRun(r RunRecord) *Run { return &Run{Header: header(KindRun), RunRecord: r} }

// NewRuns returns the report of runs (never a null list).
func NewRuns(rs []RunRecord) *Runs {
	if rs == nil {
		rs = []RunRecord{}
	}
	return &Runs{Header: header(KindRuns), Runs: rs}
}
