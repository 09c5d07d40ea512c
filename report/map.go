package report

import (
	"github.com/nnergy/nnergy/cost"
	"github.com/nnergy/nnergy/dataflow"
	"github.com/nnergy/nnergy/mapper"
	"github.com/nnergy/nnergy/workload"
)

// Map is the report of nnergy map: the best mapping a search found for one
// layer, its evaluation, and what the search did.
type Map struct {
	Header
	Arch     string  `json:"arch"`
	Batch    int     `json:"batch"`
	ClockHz  float64 `json:"clock_hz"`
	MACUnits int64   `json:"mac_units"`
	// Dataflow is ws, os, is, rs, nlr, or best for the whole mapspace.
	Dataflow  string   `json:"dataflow"`
	Objective []string `json:"objective"`
	Chip
	Layer  Layer  `json:"layer"`
	Search Search `json:"search"`
}

// NewMap returns the report of best, the result of a search of layer l's
// mapspace on m's architecture within df (nil: the whole space).
func NewMap(m *cost.Model, l *workload.Layer, df *dataflow.Dataflow, obj mapper.Objective, best *mapper.Best, st mapper.Stats) (*Map, error) {
	spec := m.Spec()
	lr, err := newLayer(spec, l, &best.Result, best.Mapping)
	if err != nil {
		return nil, err
	}
	rep := &Map{Header: header(KindMap), Arch: spec.Name, Batch: l.Shape[workload.N], ClockHz: spec.ClockHz,
		MACUnits: int64(spec.MACUnits()), Dataflow: DataflowBest, Objective: objective(obj), Chip: newChip(spec), Layer: lr, Search: *NewSearch(st)}
	if df != nil {
		rep.Dataflow = df.String()
	}
	return checked(rep)
}
