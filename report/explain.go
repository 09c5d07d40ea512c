package report

import (
	"strings"

	"github.com/nnergy/nnergy/cost"
	"github.com/nnergy/nnergy/workload"
)

// Explain is what nnergy eval --explain adds to a layer: the difference
// between its result under another set of counting conventions (From) and
// under the architecture's own (To), attributed convention by convention
// (cost.Explain): the steps add up to To's figures minus From's.
type Explain struct {
	// From and To name the sets: "default", "timeloop" or a flow mapping
	// of the conventions that differ from the default.
	From string `json:"from"`
	To   string `json:"to"`
	// FromEnergyPJ and FromCycles are the layer's totals under From (its
	// figures above are under To).
	FromEnergyPJ float64       `json:"from_energy_pj"`
	FromCycles   int64         `json:"from_cycles"`
	Steps        []ExplainStep `json:"steps"`
}

// ExplainStep is what switching one convention (arch.Convention's key)
// from one value to the other changed.
type ExplainStep struct {
	Convention string       `json:"convention"`
	From       string       `json:"from"`
	To         string       `json:"to"`
	EnergyPJ   float64      `json:"energy_pj"`
	Cycles     int64        `json:"cycles"`
	Rows       []ExplainRow `json:"rows"`
}

// ExplainRow is the change of one level's counts and energy of one tensor
// (part "storage"), or of a level's network or leakage energy, or of the
// MACs' energy (level "MACs", part "compute").
type ExplainRow struct {
	Level string `json:"level"`
	// Part is storage, network, leakage or compute.
	Part string `json:"part"`
	// Tensor is weights, inputs or outputs (part storage).
	Tensor       string  `json:"tensor,omitempty"`
	ReadWords    int64   `json:"read_words"`
	FillWords    int64   `json:"fill_words"`
	UpdateWords  int64   `json:"update_words"`
	DrainWords   int64   `json:"drain_words"`
	TileWords    int64   `json:"tile_words"`
	NetworkWords int64   `json:"network_words"`
	EnergyPJ     float64 `json:"energy_pj"`
}

// NewExplain returns the report of an explanation.
func NewExplain(ex *cost.Explanation) *Explain {
	out := &Explain{From: ex.From.String(), To: ex.To.String(), FromEnergyPJ: ex.FromResult.EnergyPJ, FromCycles: ex.FromResult.Cycles, Steps: []ExplainStep{}}
	for _, st := range ex.Steps {
		s := ExplainStep{Convention: st.Convention.String(), From: st.From, To: st.To, EnergyPJ: st.EnergyPJ, Cycles: st.Cycles, Rows: []ExplainRow{}}
		for _, r := range st.Rows {
			row := ExplainRow{Level: r.Level, Part: r.Part, ReadWords: r.Reads, FillWords: r.Fills, UpdateWords: r.Updates,
				DrainWords: r.Drains, TileWords: r.Tile, NetworkWords: r.NetworkWords, EnergyPJ: r.EnergyPJ}
			if r.Part == "" {
				row.Part, row.Tensor = "storage", tensorKey(r.Tensor)
			}
			s.Rows = append(s.Rows, row)
		}
		out.Steps = append(out.Steps, s)
	}
	return out
}

func tensorKey(t workload.Tensor) string { return strings.ToLower(t.String()) }
