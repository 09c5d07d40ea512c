package measure

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"sync"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/cost"
	"github.com/nnergy/nnergy/dataflow"
	"github.com/nnergy/nnergy/explore"
	"github.com/nnergy/nnergy/mapper"
	"github.com/nnergy/nnergy/mapping"
	"github.com/nnergy/nnergy/nn"
	"github.com/nnergy/nnergy/sparse"
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
// its cache (Hits) and computed (Misses).
type CacheStats struct{ Hits, Misses int64 }

// Hardware measures energy and latency on an accelerator: each layer of the
// model's workload is mapped (builder or mapper) and costed, and the result
// is cached per layer shape, word widths and densities, so that scoring a
// candidate that differs from earlier ones in a few layers costs those few
// layers. It is safe for concurrent use.
type Hardware struct {
	spec  *arch.Spec
	model *cost.Model
	cfg   HardwareConfig
	mapFn explore.Mapper

	mu    sync.Mutex
	cache map[workload.ShapeKey]cached
	// measured maps the contents of measured tensors to one value each, so
	// that equal weights give equal cache keys.
	measured map[[sha256.Size]byte]*sparse.Measured
	stats    CacheStats
}

type cached struct {
	mp *mapping.Mapping
	r  cost.Result
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
	h := &Hardware{spec: spec, model: m, cfg: cfg, cache: map[workload.ShapeKey]cached{}, measured: map[[sha256.Size]byte]*sparse.Measured{}}
	if cfg.Search {
		set := cfg.Settings
		set.Progress = nil
		df := cfg.Dataflow
		h.mapFn = explore.DataflowSearch(m, &df, set, nil)
	} else {
		h.mapFn = explore.DataflowMapper(m, cfg.Dataflow)
	}
	return h, nil
}

// Spec returns the architecture.
func (h *Hardware) Spec() *arch.Spec { return h.spec }

// Stats returns the cache counters so far.
func (h *Hardware) Stats() CacheStats {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.stats
}

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
	ms, err := counts(m, h.cfg.Batch)
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
// explore.Evaluate does without one.
func (h *Hardware) Evaluate(ctx context.Context, net *workload.Network) (*explore.Network, error) {
	out := &explore.Network{Name: net.Name, Batch: h.cfg.Batch}
	for _, l := range net.Layers {
		c, err := h.layer(ctx, l)
		if err != nil {
			return nil, err
		}
		r := c.r
		r.Layer = l.Name
		out.Layers = append(out.Layers, explore.Layer{Layer: l, Mapping: c.mp, Result: r})
		out.Total = out.Total.Add(r)
	}
	return out, nil
}

func (h *Hardware) layer(ctx context.Context, l *workload.Layer) (cached, error) {
	if err := ctx.Err(); err != nil {
		return cached{}, err
	}
	h.intern(l)
	key := l.Key()
	h.mu.Lock()
	c, ok := h.cache[key]
	if ok {
		h.stats.Hits++
	}
	h.mu.Unlock()
	if ok {
		return c, nil
	}
	mp, err := h.mapFn(ctx, l)
	if err != nil {
		return cached{}, fmt.Errorf("measure: layer %q: %w", l.Name, err)
	}
	r, err := h.model.Evaluate(l, mp)
	if err != nil {
		return cached{}, fmt.Errorf("measure: layer %q: %w", l.Name, err)
	}
	if !r.Valid {
		msgs := make([]string, len(r.Violations))
		for i, v := range r.Violations {
			msgs[i] = v.String()
		}
		return cached{}, fmt.Errorf("measure: layer %q: mapping breaks the architecture's limits: %s", l.Name, strings.Join(msgs, "; "))
	}
	c = cached{mp, r}
	h.mu.Lock()
	h.cache[key] = c
	h.stats.Misses++
	h.mu.Unlock()
	return c, nil
}

// intern replaces l's measured tensors by the first ones seen with the same
// shape and values.
func (h *Hardware) intern(l *workload.Layer) {
	for t, ms := range l.Measured {
		if ms == nil {
			continue
		}
		v := ms.Tensor()
		d := sha256.New()
		var b [4]byte
		for _, n := range v.Shape {
			binary.LittleEndian.PutUint32(b[:], uint32(n))
			d.Write(b[:])
		}
		buf := make([]byte, 4*len(v.Values))
		for i, x := range v.Values {
			binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(x))
		}
		d.Write(buf)
		var sum [sha256.Size]byte
		d.Sum(sum[:0])
		h.mu.Lock()
		if c, ok := h.measured[sum]; ok {
			l.Measured[t] = c
		} else {
			h.measured[sum] = ms
		}
		h.mu.Unlock()
	}
}
