// Package report holds the result types that nnergy's commands emit as JSON
// (eval, map, compare, sweep, fit, the prune and adapt histories, and the runs
// of the results store), built from the results of packages explore, cost,
// mapper, sweep, fit, prune, netadapt and codesign. The types
// are the schema: docs/format/report.md describes every field and
// docs/format/report.schema.json checks it. Every report carries Version;
// renaming, removing or retyping a field changes it.
//
// The figures a report holds (per-inference totals, the dense twin of a
// sparse evaluation, search statistics) are computed here, so a Go program
// gets exactly what the command line prints.
package report

import "github.com/nnergy/nnergy/workload"

// Version is the schema version of every report.
const Version = "nnergy.report/v2"

// Kind says which command made a report.
type Kind string

// The kinds of report.
const (
	KindEval     Kind = "eval"
	KindMap      Kind = "map"
	KindCompare  Kind = "compare"
	KindPrune    Kind = "prune"
	KindAdapt    Kind = "adapt"
	KindRun      Kind = "run"  // one run of the results store
	KindRuns     Kind = "runs" // runs of the results store
	KindDiff     Kind = "diff" // what differs between two runs
	KindSweep    Kind = "sweep"
	KindCodesign Kind = "codesign"
	KindFit      Kind = "fit"
	KindImport   Kind = "import" // what an import carried over and what not
)

// Header starts every report: the schema version and the kind.
type Header struct {
	Version string `json:"version"`
	Kind    Kind   `json:"kind"`
}

func header(k Kind) Header { return Header{Version: Version, Kind: k} }

// tensorID is the identifier of a tensor in reports: weights, inputs,
// outputs.
func tensorID(t workload.Tensor) string { return tensorIDNames[t] }

var tensorIDNames = [workload.NumTensors]string{"weights", "inputs", "outputs"}

// tensorIDs returns the identifiers of the tensors set in s, in canonical
// order (never nil).
func tensorIDs(s [workload.NumTensors]bool) []string {
	out := []string{}
	for _, t := range workload.Tensors {
		if s[t] {
			out = append(out, tensorID(t))
		}
	}
	return out
}
