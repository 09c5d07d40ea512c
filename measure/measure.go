// Package measure scores a trainable network (package nn) by the resources
// it needs, for pruning and NetAdapt: energy and latency on an accelerator
// from the hardware model (cost model with the dataflow builder or the
// mapper, cached per layer shape and density), latency on this CPU from
// per-layer lookup tables, and MACs and parameter counts.
//
// Every [Measurer] returns a [Measurement]: a total and one entry per
// convolution or linear layer, so that a caller can ask "what does this
// network cost" for hundreds of candidates and see which layers cost it.
// Package workload/engine turns a model into the accelerator workload the
// hardware model evaluates.
package measure

import (
	"context"
	"fmt"

	"github.com/nnergy/nnergy/internal/enum"
	"github.com/nnergy/nnergy/nn"
)

// Measurer scores networks. Implementations may cache what they learn
// across calls, and are safe for concurrent use.
type Measurer interface {
	// Measure returns the resources of m. It does not change m.
	Measure(ctx context.Context, m *nn.Model) (Measurement, error)
}

// Resource is what a network or layer needs. A measurer fills the fields it
// knows; MACs and Params are always filled.
type Resource struct {
	EnergyPJ float64 // per batch (hardware model)
	LatencyS float64 // per batch (hardware model or CPU)
	Cycles   int64   // per batch (hardware model)
	MACs     int64   // per batch, dense
	Params   int64   // nonzero weights and biases
}

// LayerResource is the resource of one layer.
type LayerResource struct {
	Name string
	Resource
}

// Measurement is a network's resources: the total and each convolution or
// linear layer in model order, and, for Count and the hardware model, each
// matrix product of two activations (attention), as engine.Lower lowers
// them (the hardware model's total includes only those; the CPU measurer's
// also counts the other nodes, matrix products included, in Other).
type Measurement struct {
	Batch  int
	Total  Resource
	Layers []LayerResource
	// Other is the CPU latency of the nodes that are not in Layers
	// (activations, pooling, ...), included in Total.
	Other Resource
}

// Layer returns the resource of the named layer.
func (m *Measurement) Layer(name string) (Resource, bool) {
	for _, l := range m.Layers {
		if l.Name == name {
			return l.Resource, true
		}
	}
	return Resource{}, false
}

// Metric names one scalar resource.
type Metric uint8

// The metrics.
const (
	Energy  Metric = iota // pJ
	Latency               // s
	EDP                   // pJ·s
	MACs
	Params
)

var metricNames = enum.New[Metric]("measure", "metric", "energy", "latency", "edp", "macs", "params")

func (k Metric) String() string { return metricNames.String(k) }

// ParseMetric returns the metric named s: energy, latency, edp, macs or
// params.
func ParseMetric(s string) (Metric, error) { return metricNames.Parse(s) }

// Value returns the metric of r.
func (r Resource) Value(k Metric) float64 {
	switch k {
	case Energy:
		return r.EnergyPJ
	case Latency:
		return r.LatencyS
	case EDP:
		return r.EnergyPJ * r.LatencyS
	case MACs:
		return float64(r.MACs)
	case Params:
		return float64(r.Params)
	}
	return 0
}

func (r Resource) add(o Resource) Resource {
	return Resource{EnergyPJ: r.EnergyPJ + o.EnergyPJ, LatencyS: r.LatencyS + o.LatencyS, Cycles: r.Cycles + o.Cycles,
		MACs: r.MACs + o.MACs, Params: r.Params + o.Params}
}

// Count is the measurer of MACs and parameter counts, the proxies most
// pruning papers report.
type Count struct{ Batch int }

// Measure returns m's dense MACs per batch and nonzero parameters, per layer
// (the convolution, linear and matmul layers: the layers of
// engine.Lower).
func (c Count) Measure(ctx context.Context, m *nn.Model) (Measurement, error) {
	return counts(m, max(c.Batch, 1), true)
}

// counts lists every convolution and linear layer of m, and its matrix
// products of two activations (attention) when matmul, with its MACs and
// nonzero parameters.
func counts(m *nn.Model, batch int, matmul bool) (Measurement, error) {
	infos, err := nn.Describe(m)
	if err != nil {
		return Measurement{}, fmt.Errorf("measure: %w", err)
	}
	ms := Measurement{Batch: batch}
	for _, li := range infos {
		if li.Kind != nn.KindConv && li.Kind != nn.KindLinear && (!matmul || li.Kind != nn.KindMatMul) {
			continue
		}
		var nz int64
		for _, p := range m.Node(li.Name).Layer.Params() {
			nz += int64(p.Len() - p.Zeros())
		}
		r := Resource{MACs: li.MACs * int64(batch), Params: nz}
		ms.Layers = append(ms.Layers, LayerResource{Name: li.Name, Resource: r})
		ms.Total = ms.Total.add(r)
	}
	return ms, nil
}
