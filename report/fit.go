package report

import (
	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/fit"
	"github.com/nnergy/nnergy/sweep"
)

// Fit is the report of nnergy fit: whether a network fits a device's
// budget on one architecture (Design) or on the design points of a sweep
// (Sweep), by what margin and what limits it.
type Fit struct {
	Header
	// Model is the network as given, Network its name.
	Model   string `json:"model"`
	Network string `json:"network"`
	// Batch is the frames per run of the network.
	Batch  int       `json:"batch"`
	Budget FitBudget `json:"budget"`
	// PowerRule says how the power at the frame rate is computed.
	PowerRule string `json:"power_rule"`
	// Design is the one architecture's verdict (--arch).
	Design *FitDesign `json:"design,omitempty"`
	// Sweep holds the verdicts of a sweep's points (--sweep).
	Sweep *FitSweep `json:"sweep,omitempty"`
}

// FitBudget is the device's budget.
type FitBudget struct {
	PowerWatts float64 `json:"power_watts"`
	FPS        float64 `json:"fps"`
	// AreaUM2 is 0 without an area budget.
	AreaUM2 float64 `json:"area_um2"`
}

// PowerRule is how fit computes the power at the required frame rate.
const PowerRule = "dynamic energy per frame × fps + leakage of the whole chip; " +
	"with gate_unused, the leakage of the instances in use while they run (static energy per frame × fps)"

// FitDesign is one design against the budget.
type FitDesign struct {
	Arch       string `json:"arch"`
	ArchSource string `json:"arch_source"`
	// Point is the sweep point's ID and Label its parameters (--sweep).
	Point string `json:"point,omitempty"`
	Label string `json:"label,omitempty"`
	Fits  bool   `json:"fits"`
	// Limiter is power, throughput, area (the axis of smallest margin) or
	// capacity (a layer without a legal mapping; Reason says which).
	Limiter string `json:"limiter"`
	Reason  string `json:"reason,omitempty"`
	// AreaUM2 and LeakageWatts are the chip's, every instance powered.
	AreaUM2      float64 `json:"area_um2"`
	LeakageWatts float64 `json:"leakage_watts"`
	GateUnused   bool    `json:"gate_unused"`
	MACs         int64   `json:"macs"`
	// Energies per frame: dynamic + static = energy.
	EnergyPerFramePJ  float64 `json:"energy_per_frame_pj"`
	DynamicPerFramePJ float64 `json:"dynamic_per_frame_pj"`
	StaticPerFramePJ  float64 `json:"static_per_frame_pj"`
	// LatencySeconds is one run (a batch); MaxFPS the highest frame rate.
	LatencySeconds float64 `json:"latency_seconds"`
	MaxFPS         float64 `json:"max_fps"`
	// PowerWatts = DynamicWatts + LeakageAtFPSWatts at the budget's fps.
	PowerWatts        float64 `json:"power_watts"`
	DynamicWatts      float64 `json:"dynamic_watts"`
	LeakageAtFPSWatts float64 `json:"leakage_at_fps_watts"`
	// Margins are 1 − use/limit, negative on a missed axis (area: 0
	// without an area budget).
	PowerMargin      float64 `json:"power_margin"`
	ThroughputMargin float64 `json:"throughput_margin"`
	AreaMargin       float64 `json:"area_margin"`
	// Bounds are the layers' cycle bounds, most cycles first: the first
	// limits the throughput.
	Bounds []FitBound `json:"bounds"`
	// PowerParts split PowerWatts, largest first.
	PowerParts []FitPart `json:"power_parts"`
}

// FitBound is the cycles of the layers one bound limits.
type FitBound struct {
	// Bound is compute, level (a level's bandwidth) or network (the
	// network into the level).
	Bound Bound  `json:"bound"`
	Level string `json:"level,omitempty"`
	// Outermost: the level is the outermost one (DRAM).
	Outermost bool    `json:"outermost"`
	Cycles    int64   `json:"cycles"`
	Share     float64 `json:"share"`
	Layers    int     `json:"layers"`
}

// FitPart is a share of the power at the frame rate.
type FitPart struct {
	// Name is leakage, MACs or a level's name (its accesses and the
	// network into it).
	Name  string  `json:"name"`
	Watts float64 `json:"watts"`
}

// FitSweep is the verdicts of a sweep's points.
type FitSweep struct {
	Name string `json:"name"`
	File string `json:"file"`
	// TotalPoints are the sweep's points; Invalid those whose architecture
	// is invalid, in neither list.
	TotalPoints int `json:"total_points"`
	Invalid     int `json:"invalid"`
	// Order is the order of Fits (cheapest first), MissOrder that of Misses.
	Order     string      `json:"order"`
	MissOrder string      `json:"miss_order"`
	Fits      []FitDesign `json:"fits"`
	Misses    []FitDesign `json:"misses"`
}

// NewFitBudget returns the budget of a report.
func newFitBudget(b fit.Budget) FitBudget {
	return FitBudget{PowerWatts: b.PowerWatts, FPS: b.FPS, AreaUM2: b.AreaUM2}
}

// NewFit returns the report of one architecture's verdict on a network.
func NewFit(model, network string, batch int, b fit.Budget, spec *arch.Spec, v *fit.Verdict) *Fit {
	d := newFitDesign(spec, v)
	return &Fit{Header: header(KindFit), Model: model, Network: network, Batch: batch, Budget: newFitBudget(b),
		PowerRule: PowerRule, Design: &d}
}

// NewFitSweep returns the report of a sweep's verdicts on its workload w:
// fits and misses as fit.Sweep returns them.
func NewFitSweep(model string, res *sweep.Result, w int, b fit.Budget, fits, misses []fit.Candidate) *Fit {
	s := res.Sweep
	wl := &s.Workloads[w]
	fs := &FitSweep{Name: s.Name, File: s.File, TotalPoints: len(s.Points), Order: fit.Order, MissOrder: fit.MissOrder,
		Fits: []FitDesign{}, Misses: []FitDesign{}}
	for i := range res.Points {
		if !res.Points[i].Valid() {
			fs.Invalid++
		}
	}
	add := func(list *[]FitDesign, cs []fit.Candidate) {
		for k := range cs {
			p := &res.Points[cs[k].Point]
			d := newFitDesign(p.Design.Arch, &cs[k].Verdict)
			d.Point, d.Label = p.Point.ID, s.Label(p.Point)
			*list = append(*list, d)
		}
	}
	add(&fs.Fits, fits)
	add(&fs.Misses, misses)
	return &Fit{Header: header(KindFit), Model: model, Network: wl.Network.Name, Batch: wl.Batch, Budget: newFitBudget(b),
		PowerRule: PowerRule, Sweep: fs}
}

func newFitDesign(spec *arch.Spec, v *fit.Verdict) FitDesign {
	d := FitDesign{Arch: spec.Name, ArchSource: spec.Source, Fits: v.Fits, Limiter: v.Limiter.String(), Reason: v.Reason,
		AreaUM2: v.AreaUM2, LeakageWatts: v.LeakageWatts, GateUnused: v.GateUnused, MACs: v.MACs,
		EnergyPerFramePJ: v.EnergyPerFramePJ, DynamicPerFramePJ: v.DynamicPerFramePJ, StaticPerFramePJ: v.StaticPerFramePJ,
		LatencySeconds: v.LatencySeconds, MaxFPS: v.MaxFPS, PowerWatts: v.PowerWatts, DynamicWatts: v.DynamicWatts,
		LeakageAtFPSWatts: v.LeakageAtFPSWatts, PowerMargin: v.PowerMargin, ThroughputMargin: v.ThroughputMargin,
		AreaMargin: v.AreaMargin, Bounds: []FitBound{}, PowerParts: []FitPart{}}
	for _, b := range v.Bounds {
		fb := FitBound{Bound: BoundCompute, Level: b.Level, Outermost: b.Outermost, Cycles: b.Cycles, Share: b.Share, Layers: b.Layers}
		switch b.Kind {
		case fit.Level:
			fb.Bound = BoundLevel
		case fit.Network:
			fb.Bound = BoundNetwork
		}
		d.Bounds = append(d.Bounds, fb)
	}
	for _, p := range v.Parts {
		d.PowerParts = append(d.PowerParts, FitPart(p))
	}
	return d
}
