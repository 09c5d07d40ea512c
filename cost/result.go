package cost

import (
	"github.com/nnergy/nnergy/workload"
)

// TensorResult is the traffic and energy of one tensor at one level, summed
// over the level's instances; counts are in words (values of the tensor).
type TensorResult struct {
	// Tile is the words one instance holds.
	Tile int64 `json:"tile"`
	// Reads are words read (operands to children, partial sums out).
	Reads int64 `json:"reads"`
	// Writes are Fills + Updates.
	Writes int64 `json:"writes"`
	// Fills are words written from the parent.
	Fills int64 `json:"fills"`
	// Updates are partial-sum words written by children.
	Updates int64 `json:"updates"`
	// Drains are partial-sum words read out to the parent (part of Reads).
	Drains int64 `json:"drains"`
	// NetworkWords are words carried by the network into the level.
	NetworkWords int64 `json:"network_words"`
	// EnergyPJ is the storage energy of this tensor at this level.
	EnergyPJ float64 `json:"energy_pj"`
	// Ratio is the size of the tensor in the level's format over its dense
	// size (1 for dense): the words above are values, the bits moved are
	// Ratio times theirs.
	Ratio float64 `json:"compression"`
}

// LevelResult is the breakdown of one level.
type LevelResult struct {
	Name string `json:"name"`
	// EnergyPJ = StoragePJ + NetworkPJ + StaticPJ.
	EnergyPJ float64 `json:"energy_pj"`
	// StoragePJ is the energy of reads and writes of the level's storage.
	StoragePJ float64 `json:"storage_pj"`
	// NetworkPJ is the energy of the network into the level.
	NetworkPJ float64 `json:"network_pj"`
	// StaticPJ is the leakage energy of the level's instances over the
	// latency (those in use when the architecture gates unused ones).
	StaticPJ float64 `json:"static_pj"`
	// Instances is the number of instances in use.
	Instances int64 `json:"instances"`
	// Cycles is the bandwidth-bound cycles of the level (0 = unlimited).
	Cycles int64 `json:"cycles"`
	// NetworkCycles is the bandwidth-bound cycles of the network into the
	// level, its busiest tensor (0 = unlimited).
	NetworkCycles int64                             `json:"network_cycles"`
	Tensors       [workload.NumTensors]TensorResult `json:"-"`
}

// Result is the evaluation of one layer (or, after Add, of several layers
// run one after the other).
type Result struct {
	Layer string `json:"name"`
	// Valid is false when the mapping breaks a limit of the architecture;
	// Violations then says which.
	Valid      bool        `json:"valid"`
	Violations []Violation `json:"violations,omitempty"`
	MACs       int64       `json:"macs"`
	// BusyMACs counts the MACs that occupy a MAC unit for a cycle: those
	// performed and those gated on a zero operand, but not those skipped,
	// which take neither a cycle nor a unit. It equals MACs when nothing
	// is skipped.
	BusyMACs int64 `json:"busy_macs"`
	// EnergyPJ is the total energy, DynamicPJ + StaticPJ: levels, networks
	// and MACs.
	EnergyPJ float64 `json:"energy_pj"`
	// DynamicPJ is the energy of the accesses, network transfers and MACs
	// (what Timeloop and the ISCA 2016 model count).
	DynamicPJ float64 `json:"dynamic_pj"`
	// StaticPJ is the leakage energy over the latency: the levels' StaticPJ
	// and MACStaticPJ.
	StaticPJ float64 `json:"static_pj"`
	// MACEnergyPJ is the MACs' dynamic energy, MACStaticPJ their leakage.
	MACEnergyPJ float64 `json:"mac_energy_pj"`
	MACStaticPJ float64 `json:"mac_static_pj"`
	// Cycles is the largest of ComputeCycles and the levels' cycles.
	Cycles        int64  `json:"cycles"`
	ComputeCycles int64  `json:"compute_cycles"`
	BoundBy       string `json:"bound_by"`
	// MACUnits is the number of MAC units of the architecture; UsedMACUnits
	// how many the mapping keeps busy.
	MACUnits     int64 `json:"mac_units"`
	UsedMACUnits int64 `json:"used_mac_units"`
	// LowerBoundPJ is the compulsory energy; LowerBoundCycles the cycles with
	// every MAC unit busy.
	LowerBoundPJ     float64       `json:"lower_bound_pj"`
	LowerBoundCycles int64         `json:"lower_bound_cycles"`
	Levels           []LevelResult `json:"levels"`
}

// Utilization returns the share of the MAC units' cycles spent on MACs,
// BusyMACs / (Cycles × MACUnits): skipped MACs take no cycle and no unit,
// so it never exceeds 1.
func (r *Result) Utilization() float64 {
	if r.Cycles == 0 || r.MACUnits == 0 {
		return 0
	}
	return float64(r.BusyMACs) / (float64(r.Cycles) * float64(r.MACUnits))
}

// ActiveMACUnits returns the number of MAC units busy on average over the
// layer's cycles, BusyMACs / Cycles.
func (r *Result) ActiveMACUnits() float64 {
	if r.Cycles == 0 {
		return 0
	}
	return float64(r.BusyMACs) / float64(r.Cycles)
}

// PJPerMAC returns the energy per MAC.
func (r *Result) PJPerMAC() float64 {
	if r.MACs == 0 {
		return 0
	}
	return r.EnergyPJ / float64(r.MACs)
}

// BoundRatio returns EnergyPJ / LowerBoundPJ.
func (r *Result) BoundRatio() float64 {
	if r.LowerBoundPJ == 0 {
		return 0
	}
	return r.EnergyPJ / r.LowerBoundPJ
}

// Add returns the sum of r and o (layers run one after the other on the same
// architecture): energies, counts and cycles add, UsedMACUnits is the larger,
// Valid is the conjunction and the violations of both are kept.
//
// The zero Result is the identity, so that a total can start from it: the
// sum then is the other operand (with Layer "total"). Otherwise the sum has
// a per-level breakdown only when both operands have one, of the same
// levels (same count and names): a breakdown of one operand alone, or of
// levels that do not match, could not account for the whole sum, so it is
// dropped (Levels nil) while the totals stay exact. Results without a
// breakdown come from Evaluator.Score.
func (r Result) Add(o Result) Result {
	switch {
	case r.isZero():
		return o.total()
	case o.isZero():
		return r.total()
	}
	s := r
	s.Layer = "total"
	s.Valid = r.Valid && o.Valid
	s.Violations = append(append([]Violation(nil), r.Violations...), o.Violations...)
	s.MACs += o.MACs
	s.BusyMACs += o.BusyMACs
	s.EnergyPJ += o.EnergyPJ
	s.DynamicPJ += o.DynamicPJ
	s.StaticPJ += o.StaticPJ
	s.MACEnergyPJ += o.MACEnergyPJ
	s.MACStaticPJ += o.MACStaticPJ
	s.Cycles += o.Cycles
	s.ComputeCycles += o.ComputeCycles
	s.LowerBoundPJ += o.LowerBoundPJ
	s.LowerBoundCycles += o.LowerBoundCycles
	s.MACUnits = max(r.MACUnits, o.MACUnits)
	s.UsedMACUnits = max(r.UsedMACUnits, o.UsedMACUnits)
	s.BoundBy = ""
	if !sameLevels(r.Levels, o.Levels) {
		s.Levels = nil
		return s
	}
	s.Levels = append([]LevelResult(nil), r.Levels...)
	for i := range s.Levels {
		a, b := &s.Levels[i], o.Levels[i]
		a.EnergyPJ += b.EnergyPJ
		a.StoragePJ += b.StoragePJ
		a.NetworkPJ += b.NetworkPJ
		a.StaticPJ += b.StaticPJ
		a.Cycles += b.Cycles
		a.NetworkCycles += b.NetworkCycles
		a.Instances = max(a.Instances, b.Instances)
		for t := range a.Tensors {
			x, y := &a.Tensors[t], b.Tensors[t]
			x.Reads += y.Reads
			x.Writes += y.Writes
			x.Fills += y.Fills
			x.Updates += y.Updates
			x.Drains += y.Drains
			x.NetworkWords += y.NetworkWords
			x.EnergyPJ += y.EnergyPJ
			x.Tile = max(x.Tile, y.Tile)
			// The ratio of the sum weighs each layer by its traffic.
			if w := x.Reads + x.Writes; w > 0 {
				x.Ratio = (x.Ratio*float64(w-y.Reads-y.Writes) + y.Ratio*float64(y.Reads+y.Writes)) / float64(w)
			} else {
				x.Ratio = max(x.Ratio, y.Ratio)
			}
		}
	}
	return s
}

// isZero reports whether r is the zero Result, the identity of Add.
func (r *Result) isZero() bool {
	return r.MACs == 0 && r.BusyMACs == 0 && r.EnergyPJ == 0 && r.Cycles == 0 && r.LowerBoundPJ == 0 &&
		len(r.Levels) == 0 && len(r.Violations) == 0 && !r.Valid
}

// total returns a copy of r named "total" that shares no slices with r.
func (r Result) total() Result {
	r.Layer = "total"
	r.Levels = append([]LevelResult(nil), r.Levels...)
	r.Violations = append([]Violation(nil), r.Violations...)
	return r
}

// sameLevels reports whether two breakdowns are of the same levels.
func sameLevels(a, b []LevelResult) bool {
	if len(a) == 0 || len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name {
			return false
		}
	}
	return true
}

// Scale returns r with every count, energy and cycle multiplied by k (for
// example, k identical layers).
func (r Result) Scale(k int64) Result {
	s := r
	f := float64(k)
	s.MACs *= k
	s.BusyMACs *= k
	s.EnergyPJ *= f
	s.DynamicPJ *= f
	s.StaticPJ *= f
	s.MACEnergyPJ *= f
	s.MACStaticPJ *= f
	s.Cycles *= k
	s.ComputeCycles *= k
	s.LowerBoundPJ *= f
	s.LowerBoundCycles *= k
	s.Levels = append([]LevelResult(nil), r.Levels...)
	for i := range s.Levels {
		a := &s.Levels[i]
		a.EnergyPJ *= f
		a.StoragePJ *= f
		a.NetworkPJ *= f
		a.StaticPJ *= f
		a.Cycles *= k
		a.NetworkCycles *= k
		for t := range a.Tensors {
			x := &a.Tensors[t]
			x.Reads *= k
			x.Writes *= k
			x.Fills *= k
			x.Updates *= k
			x.Drains *= k
			x.NetworkWords *= k
			x.EnergyPJ *= f
		}
	}
	return s
}
