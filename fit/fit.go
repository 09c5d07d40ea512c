// Package fit answers whether a network fits a device's budget: a power
// budget at a required frame rate, and optionally a chip area. [Check]
// measures one architecture's evaluation of the network against a
// [Budget]; [Sweep] does so for every design point of a sweep and orders
// the designs that fit, cheapest first, and the closest misses.
//
// # Power at the required frame rate
//
// The device runs the network at the required frame rate and idles in
// between, so its power is the dynamic energy per frame times the frame
// rate, plus the leakage: of the whole chip, all the time; or, when the
// architecture gates unused instances (gate_unused), only the leakage of
// the instances each layer uses while it runs, that is the static energy
// per frame times the frame rate. A frame is one inference: a batch of N
// counts as N frames.
//
// # Margins and what limits a design
//
// Each axis has a margin, 1 − use/limit: power (the power at the frame
// rate over the budget), throughput (the frame rate over the highest the
// design reaches, batch / latency) and area (over the area budget, when
// one is given). A design fits when no margin is negative. Its limiter is
// the axis of smallest margin, or capacity when a layer has no legal
// mapping on it. Throughput is further attributed to the bounds the cost
// model reports per layer (compute, a level's bandwidth, the network into
// a level): the bound that accounts for the most cycles limits it.
package fit

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/cost"
	"github.com/nnergy/nnergy/explore"
	"github.com/nnergy/nnergy/internal/enum"
	"github.com/nnergy/nnergy/sweep"
)

// Budget is a device's budget.
type Budget struct {
	// PowerWatts is the power available, W.
	PowerWatts float64
	// FPS is the frame rate required, frames (inferences) per second.
	FPS float64
	// AreaUM2 is the chip area available, µm² (0: no area budget).
	AreaUM2 float64
}

// Check reports what is wrong with b, or nil.
func (b Budget) Check() error {
	var bad []string
	if !(b.PowerWatts > 0) || math.IsInf(b.PowerWatts, 0) {
		bad = append(bad, fmt.Sprintf("power %g W must be positive", b.PowerWatts))
	}
	if !(b.FPS > 0) || math.IsInf(b.FPS, 0) {
		bad = append(bad, fmt.Sprintf("frame rate %g must be positive", b.FPS))
	}
	if !(b.AreaUM2 >= 0) || math.IsInf(b.AreaUM2, 0) {
		bad = append(bad, fmt.Sprintf("area %g µm² must be positive, or 0 for none", b.AreaUM2))
	}
	if bad != nil {
		return fmt.Errorf("fit: budget: %s", strings.Join(bad, "; "))
	}
	return nil
}

// Limiter is what keeps a design from fitting, or, when it fits, the axis
// with the least margin.
type Limiter uint8

// The limiters.
const (
	Power      Limiter = iota // the power at the required frame rate
	Throughput                // the highest frame rate
	Area                      // the chip area
	Capacity                  // a layer has no legal mapping
)

var limiterNames = enum.New[Limiter]("fit", "limiter", "power", "throughput", "area", "capacity")

func (l Limiter) String() string { return limiterNames.String(l) }

// BoundKind is what bounds a layer's cycles in the cost model.
type BoundKind uint8

// The bounds.
const (
	Compute BoundKind = iota // the MAC units
	Level                    // a storage level's bandwidth
	Network                  // the bandwidth of the network into a level
)

var boundNames = enum.New[BoundKind]("fit", "bound", "compute", "level", "network")

func (k BoundKind) String() string { return boundNames.String(k) }

// Bound is the cycles of the layers one bound limits.
type Bound struct {
	Kind BoundKind
	// Level names the level (Level, Network); Outermost is set for the
	// outermost level (DRAM).
	Level     string
	Outermost bool
	// Cycles sums the cycles of the layers it bounds; Share is their part
	// of the network's cycles; Layers counts them.
	Cycles int64
	Share  float64
	Layers int
}

// String says what the bound is: compute, "DRAM bandwidth", "GLB
// bandwidth", "network into PE".
func (b Bound) String() string {
	switch b.Kind {
	case Level:
		return b.Level + " bandwidth"
	case Network:
		return "network into " + b.Level
	}
	return "compute"
}

// Part is a share of the power at the required frame rate.
type Part struct {
	// Name is "leakage", "MACs" or a level's name (its accesses and the
	// network into it).
	Name  string
	Watts float64
}

// Verdict is one design against a budget.
type Verdict struct {
	Fits bool
	// Limiter is Capacity when the design cannot run the network (Reason
	// says why); otherwise the axis with the smallest margin.
	Limiter Limiter
	Reason  string
	// AreaUM2 and LeakageWatts are the chip's (every instance powered);
	// GateUnused says unused instances are gated.
	AreaUM2, LeakageWatts float64
	GateUnused            bool
	// Batch is the frames per run of the network.
	Batch int
	MACs  int64
	// Energy per frame: DynamicPerFramePJ + StaticPerFramePJ (leakage over
	// the latency) = EnergyPerFramePJ.
	EnergyPerFramePJ, DynamicPerFramePJ, StaticPerFramePJ float64
	// LatencySeconds is one run of the network (a batch); MaxFPS =
	// Batch / LatencySeconds.
	LatencySeconds, MaxFPS float64
	// PowerWatts = DynamicWatts + LeakageAtFPSWatts, at the budget's frame
	// rate.
	PowerWatts, DynamicWatts, LeakageAtFPSWatts float64
	// Margins are 1 − use/limit: negative on an axis the design misses.
	// AreaMargin is 0 without an area budget.
	PowerMargin, ThroughputMargin, AreaMargin float64
	// Bounds are the cycle bounds of the layers, most cycles first; the
	// first limits the throughput.
	Bounds []Bound
	// Parts split PowerWatts, largest first.
	Parts []Part
}

// Check measures the evaluation net of a network on spec against b.
func Check(spec *arch.Spec, net *explore.Network, b Budget) Verdict {
	v := chip(spec, b)
	t := &net.Total
	v.Batch = max(net.Batch, 1)
	frames := float64(v.Batch)
	v.MACs = t.MACs
	v.EnergyPerFramePJ, v.DynamicPerFramePJ, v.StaticPerFramePJ = t.EnergyPJ/frames, t.DynamicPJ/frames, t.StaticPJ/frames
	v.LatencySeconds = float64(t.Cycles) / spec.ClockHz
	if v.LatencySeconds > 0 {
		v.MaxFPS = frames / v.LatencySeconds
	}
	v.DynamicWatts = v.DynamicPerFramePJ * 1e-12 * b.FPS
	v.LeakageAtFPSWatts = v.LeakageWatts
	if spec.GateUnused {
		v.LeakageAtFPSWatts = v.StaticPerFramePJ * 1e-12 * b.FPS
	}
	v.PowerWatts = v.DynamicWatts + v.LeakageAtFPSWatts
	v.PowerMargin = 1 - v.PowerWatts/b.PowerWatts
	v.ThroughputMargin = 1 // no cycles: nothing to run
	if v.MaxFPS > 0 {
		v.ThroughputMargin = 1 - b.FPS/v.MaxFPS
	}
	v.Bounds = bounds(spec, net)
	v.Parts = parts(t.Levels, t.MACEnergyPJ/frames*1e-12*b.FPS, v.LeakageAtFPSWatts, b.FPS/frames)
	// The limiter is the smallest margin; ties go to the first listed.
	v.Limiter, v.Fits = Power, v.PowerMargin >= 0 && v.ThroughputMargin >= 0
	least := v.PowerMargin
	if v.ThroughputMargin < least {
		v.Limiter, least = Throughput, v.ThroughputMargin
	}
	if b.AreaUM2 > 0 {
		v.Fits = v.Fits && v.AreaMargin >= 0
		if v.AreaMargin < least {
			v.Limiter = Area
		}
	}
	return v
}

// Cannot returns the verdict of a design that cannot run the network: a
// layer without a legal mapping (its capacity, or a limit it breaks).
func Cannot(spec *arch.Spec, reason string, b Budget) Verdict {
	v := chip(spec, b)
	v.Limiter, v.Reason = Capacity, reason
	return v
}

func chip(spec *arch.Spec, b Budget) Verdict {
	v := Verdict{AreaUM2: spec.Area().TotalUM2, LeakageWatts: spec.LeakageWatts(), GateUnused: spec.GateUnused}
	if b.AreaUM2 > 0 {
		v.AreaMargin = 1 - v.AreaUM2/b.AreaUM2
	}
	return v
}

// bounds sums the layers' cycles by what bounds them, most cycles first
// (ties in the order compute, then the levels outermost first).
func bounds(spec *arch.Spec, net *explore.Network) []Bound {
	var out []Bound
	var total int64
	for _, l := range net.Layers {
		b := Bound{Kind: Compute}
		name := l.Result.BoundBy
		if n, ok := strings.CutSuffix(name, " network"); ok && spec.Level(n) >= 0 {
			b = Bound{Kind: Network, Level: n}
		} else if i := spec.Level(name); i >= 0 {
			b = Bound{Kind: Level, Level: name, Outermost: i == 0}
		}
		k := slices.IndexFunc(out, func(o Bound) bool { return o.Kind == b.Kind && o.Level == b.Level })
		if k < 0 {
			out = append(out, b)
			k = len(out) - 1
		}
		out[k].Cycles += l.Result.Cycles
		out[k].Layers++
		total += l.Result.Cycles
	}
	for i := range out {
		if total > 0 {
			out[i].Share = float64(out[i].Cycles) / float64(total)
		}
	}
	rank := func(b Bound) int {
		if b.Kind == Compute {
			return -1
		}
		return spec.Level(b.Level)*2 + int(b.Kind)
	}
	slices.SortStableFunc(out, func(a, b Bound) int {
		if c := cmp.Compare(b.Cycles, a.Cycles); c != 0 {
			return c
		}
		return cmp.Compare(rank(a), rank(b))
	})
	return out
}

// parts splits the power: each level's dynamic energy (accesses and the
// network into it) and the MACs' at runs per second, and the leakage.
func parts(levels []cost.LevelResult, macWatts, leakWatts, runsPerSecond float64) []Part {
	out := []Part{{"leakage", leakWatts}, {"MACs", macWatts}}
	for _, l := range levels {
		out = append(out, Part{l.Name, (l.StoragePJ + l.NetworkPJ) * 1e-12 * runsPerSecond})
	}
	slices.SortStableFunc(out, func(a, b Part) int { return cmp.Compare(b.Watts, a.Watts) })
	return out
}

// Candidate is one design point of a sweep against a budget.
type Candidate struct {
	// Point indexes sweep.Result.Points.
	Point int
	Verdict
}

// Order is the order of the designs that fit, as the reports state it.
const Order = "lowest power at the required frame rate, then smallest area, then point index"

// MissOrder is the order of the misses.
const MissOrder = "closest first: largest worst margin (the capacity misses last), then lowest power"

// Sweep measures every point of res on workload w (an index of its
// sweep's workloads) against b. It returns the points that fit, ordered by
// Order, and those that do not, ordered by MissOrder; points whose
// architecture is invalid are in neither.
func Sweep(res *sweep.Result, w int, b Budget) (fits, misses []Candidate, err error) {
	if w < 0 || w >= len(res.Sweep.Workloads) {
		return nil, nil, fmt.Errorf("fit: workload %d: the sweep has %d", w, len(res.Sweep.Workloads))
	}
	for i := range res.Points {
		p := &res.Points[i]
		if !p.Valid() {
			continue
		}
		wr := &p.Workloads[w]
		c := Candidate{Point: i}
		if wr.OK() {
			c.Verdict = Check(p.Design.Arch, wr.Network, b)
		} else {
			c.Verdict = Cannot(p.Design.Arch, wr.Reason, b)
		}
		if c.Fits {
			fits = append(fits, c)
		} else {
			misses = append(misses, c)
		}
	}
	slices.SortStableFunc(fits, func(a, b Candidate) int {
		if c := cmp.Compare(a.PowerWatts, b.PowerWatts); c != 0 {
			return c
		}
		if c := cmp.Compare(a.AreaUM2, b.AreaUM2); c != 0 {
			return c
		}
		return cmp.Compare(a.Point, b.Point)
	})
	slices.SortStableFunc(misses, func(a, b Candidate) int {
		if a.Limiter == Capacity || b.Limiter == Capacity {
			if c := cmp.Compare(boolInt(a.Limiter == Capacity), boolInt(b.Limiter == Capacity)); c != 0 {
				return c
			}
		} else if c := cmp.Compare(b.Worst(), a.Worst()); c != 0 {
			return c
		}
		if c := cmp.Compare(a.PowerWatts, b.PowerWatts); c != 0 {
			return c
		}
		return cmp.Compare(a.Point, b.Point)
	})
	return fits, misses, nil
}

// Worst returns the smallest margin of v (-Inf when it cannot run).
func (v *Verdict) Worst() float64 {
	if v.Limiter == Capacity {
		return math.Inf(-1)
	}
	switch v.Limiter {
	case Throughput:
		return v.ThroughputMargin
	case Area:
		return v.AreaMargin
	}
	return v.PowerMargin
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
