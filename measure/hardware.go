package measure

import (
	"context"
	"fmt"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/cost"
	"github.com/nnergy/nnergy/dataflow"
	"github.com/nnergy/nnergy/explore"
	"github.com/nnergy/nnergy/mapper"
	"github.com/nnergy/nnergy/nn"
	"github.com/nnergy/nnergy/workload"
	"github.com/nnergy/nnergy/workload/engine"
)

// HardwareConfig sets up a [Hardware] measurer. Zero fields take the
// defaults given.
type HardwareConfig struct {
	// Dataflow whose deterministic builder maps every layer (the zero value
	// is WS; callers name the one they want),
	// or, with Search, whose constraints the mapper searches within.
	Dataflow dataflow.Dataflow
	// Search maps each unique layer with the mapper (package mapper)
	// instead of the builder, starting from the builder's mapping.
	Search bool
	// Unconstrained, with Search, searches the whole mapspace, without the
	// Dataflow's constraints or its builder's mapping as a start (a
	// sweep's dataflow best).
	Unconstrained bool
	// Settings of the searches (default: 2,000 evaluations per layer,
	// objective energy). Their Progress is ignored.
	Settings mapper.Settings
	// Batch size of the workload (default 1).
	Batch int
	// Calibration, when set, is a batch of inputs on which every Measure
	// measures the activation densities of the model (see [Densities]), so
	// that zero gating and skipping of activations are modelled.
	Calibration *nn.Tensor
	// DensityStep rounds measured activation densities (default 0.01), so
	// that layers whose activations hardly changed hit the cache.
	DensityStep float64
	// Workers for the calibration passes (default: every CPU).
	Workers int
}

// CacheStats counts the layer evaluations a Hardware measurer served from
// its cache (Hits) and computed (Misses), and the mapping searches (or
// builder runs) it made.
type CacheStats = explore.CacheStats

// Hardware measures energy and latency on an accelerator: each layer of the
// model's workload is mapped (builder or mapper) and costed through an
// explore.Cache, so that scoring a candidate that differs from earlier ones
// in a few layers costs those few layers, and layers that differ only in
// their measured weights share a search (see explore.Key). It is safe for
// concurrent use.
type Hardware struct {
	spec  *arch.Spec
	model *cost.Model
	cfg   HardwareConfig
	cache *explore.Cache
}

// NewHardware returns a measurer for the architecture spec.
func NewHardware(spec *arch.Spec, cfg HardwareConfig) (*Hardware, error) {
	m, err := cost.New(spec)
	if err != nil {
		return nil, fmt.Errorf("measure: %w", err)
	}
	if cfg.Batch < 1 {
		cfg.Batch = 1
	}
	if cfg.DensityStep == 0 {
		cfg.DensityStep = 0.01
	}
	if cfg.Search && cfg.Settings.MaxEvaluations == 0 {
		cfg.Settings.MaxEvaluations = 2000
	}
	h := &Hardware{spec: spec, model: m, cfg: cfg}
	mapFn := explore.DataflowMapper(m, cfg.Dataflow)
	if cfg.Search {
		set := cfg.Settings
		set.Progress = nil
		df := &cfg.Dataflow
		if cfg.Unconstrained {
			df = nil
		}
		mapFn = explore.DataflowSearch(m, df, set, nil)
	}
	h.cache = explore.NewCache(m, mapFn)
	return h, nil
}

// Spec returns the architecture.
func (h *Hardware) Spec() *arch.Spec { return h.spec }

// Stats returns the cache counters so far.
func (h *Hardware) Stats() CacheStats { return h.cache.Stats() }

// Network returns the workload Measure evaluates for m: [engine.Lower] at the
// configured batch with, when there is a calibration batch, the measured
// activation densities.
func (h *Hardware) Network(m *nn.Model) (*workload.Network, error) {
	net, err := engine.Lower(m, h.cfg.Batch)
	if err != nil {
		return nil, err
	}
	if h.cfg.Calibration != nil {
		d, err := MeasureDensities(m, h.cfg.Calibration, h.cfg.Workers)
		if err != nil {
			return nil, err
		}
		d.Apply(net, h.cfg.DensityStep)
	}
	return net, nil
}

// Measure returns m's energy, cycles and latency on the architecture per
// layer and in total, with its MACs and nonzero parameters.
func (h *Hardware) Measure(ctx context.Context, m *nn.Model) (Measurement, error) {
	// The same layers as engine.Lower's, in the same order.
	ms, err := counts(m, h.cfg.Batch, true)
	if err != nil {
		return Measurement{}, err
	}
	net, err := h.Network(m)
	if err != nil {
		return Measurement{}, err
	}
	res, err := h.Evaluate(ctx, net)
	if err != nil {
		return Measurement{}, err
	}
	ms.Total = Resource{MACs: ms.Total.MACs, Params: ms.Total.Params}
	if len(res.Layers) != len(ms.Layers) {
		return Measurement{}, fmt.Errorf("measure: the workload has %d layers for the model's %d (a bug)", len(res.Layers), len(ms.Layers))
	}
	for i, l := range res.Layers {
		r := &ms.Layers[i].Resource
		r.EnergyPJ = l.Result.EnergyPJ
		r.Cycles = l.Result.Cycles
		r.LatencyS = float64(l.Result.Cycles) / h.spec.ClockHz
		ms.Total.EnergyPJ += r.EnergyPJ
		ms.Total.Cycles += r.Cycles
		ms.Total.LatencyS += r.LatencyS
	}
	return ms, nil
}

// Evaluate maps and costs every layer of net through the cache, as
// explore.Evaluate does with a cache of its own.
func (h *Hardware) Evaluate(ctx context.Context, net *workload.Network) (*explore.Network, error) {
	out, err := h.cache.Evaluate(ctx, net)
	if err != nil {
		return nil, fmt.Errorf("measure: %w", err)
	}
	out.Batch = h.cfg.Batch
	return out, nil
}
