package report

// Diff is the report of nnergy runs diff --format json and of GET
// /api/v1/runs/{id}/diff/{other} (nnergy serve): what differs between two
// recorded runs, the figures nnergy runs diff shows.
type Diff struct {
	Header
	// A and B are the IDs of the runs compared.
	A int64 `json:"a"`
	B int64 `json:"b"`
	// Figures are the figures of both runs (the total, layers, groups or
	// methods), in the order of A's, then those only B has.
	Figures []DiffFigure `json:"figures"`
	// Inputs are the inputs that differ (kind, nnergy_version, arch,
	// workload, workload_digest, in this order); Settings the settings that
	// differ, by name.
	Inputs   []DiffSetting `json:"inputs"`
	Settings []DiffSetting `json:"settings"`
}

// DiffFigure is one figure of two runs.
type DiffFigure struct {
	Name string     `json:"name"`
	A    DiffValues `json:"a"`
	B    DiffValues `json:"b"`
}

// DiffValues are the values of a figure in one run; a value the run's
// report does not give is absent.
type DiffValues struct {
	EnergyPJ       *float64 `json:"energy_pj,omitempty"`
	LatencySeconds *float64 `json:"latency_seconds,omitempty"`
	// Accuracy is a fraction (prune and adapt).
	Accuracy *float64 `json:"accuracy,omitempty"`
}

// DiffSetting is an input or setting the runs do not share; a side without
// it is absent.
type DiffSetting struct {
	Name string  `json:"name"`
	A    *string `json:"a,omitempty"`
	B    *string `json:"b,omitempty"`
}

// NewDiff returns the report of a diff of runs a and b (never null lists).
func NewDiff(a, b int64, figures []DiffFigure, inputs, settings []DiffSetting) *Diff {
	if figures == nil {
		figures = []DiffFigure{}
	}
	if inputs == nil {
		inputs = []DiffSetting{}
	}
	if settings == nil {
		settings = []DiffSetting{}
	}
	return &Diff{Header: header(KindDiff), A: a, B: b, Figures: figures, Inputs: inputs, Settings: settings}
}
