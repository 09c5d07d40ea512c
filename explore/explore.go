// Package explore evaluates whole networks: every layer of a network mapped
// onto an architecture and costed, with per-layer results and a total.
package explore

import (
	"context"
	"fmt"

	"github.com/nnergy/nnergy/cost"
	"github.com/nnergy/nnergy/dataflow"
	"github.com/nnergy/nnergy/mapper"
	"github.com/nnergy/nnergy/mapping"
	"github.com/nnergy/nnergy/mapspace"
	"github.com/nnergy/nnergy/workload"
)

// Mapper chooses the mapping of one layer.
type Mapper func(ctx context.Context, l *workload.Layer) (*mapping.Mapping, error)

// DataflowMapper returns a Mapper that builds every layer's mapping with the
// deterministic builder of dataflow df.
func DataflowMapper(m *cost.Model, df dataflow.Dataflow) Mapper {
	return func(_ context.Context, l *workload.Layer) (*mapping.Mapping, error) {
		return dataflow.Build(df, l, m)
	}
}

// Layer is the result of one layer.
type Layer struct {
	Layer   *workload.Layer
	Mapping *mapping.Mapping
	Result  cost.Result
}

// Network is the result of a whole network.
type Network struct {
	Name  string
	Batch int
	// BatchUnknown is set when the network's batch cannot be told apart
	// (workload.Network.BatchUnknown): Batch is 1, one pass of its layers.
	BatchUnknown bool
	Layers       []Layer
	Total        cost.Result
}

// Evaluate maps and costs every layer of net, searching a mapping once per
// Key and evaluating each distinct layer once (see Cache). An invalid
// mapping is an error naming the layer and its violations.
func Evaluate(ctx context.Context, m *cost.Model, net *workload.Network, mapper Mapper) (*Network, error) {
	return NewCache(m, mapper).Evaluate(ctx, net)
}

// ConstrainedSearch returns a Mapper that searches every layer's mapspace
// with package mapper under the constraints cons returns for it (the whole
// space when cons is nil), starting from the mapping start returns (none
// when start is nil or fails). Stats of every search go to onStats when it
// is not nil.
func ConstrainedSearch(m *cost.Model, cons func(*workload.Layer) mapspace.Constraints, start func(*workload.Layer) (*mapping.Mapping, error), set mapper.Settings, onStats func(l *workload.Layer, st mapper.Stats)) Mapper {
	return func(ctx context.Context, l *workload.Layer) (*mapping.Mapping, error) {
		var c mapspace.Constraints
		if cons != nil {
			c = cons(l)
		}
		s, err := mapspace.New(l, m.Spec(), c)
		if err != nil {
			return nil, err
		}
		set := set
		if start != nil {
			if b, err := start(l); err == nil {
				set.Start = []*mapping.Mapping{b}
			}
		}
		best, st, err := mapper.Search(ctx, s, m, set)
		if onStats != nil {
			onStats(l, st)
		}
		if err != nil {
			return nil, err
		}
		return best.Mapping, nil
	}
}

// DataflowSearch returns a Mapper that searches within dataflow df's
// constraints (the whole space when df is nil), starting from df's builder
// mapping.
func DataflowSearch(m *cost.Model, df *dataflow.Dataflow, set mapper.Settings, onStats func(l *workload.Layer, st mapper.Stats)) Mapper {
	if df == nil {
		return ConstrainedSearch(m, nil, nil, set, onStats)
	}
	return ConstrainedSearch(m,
		func(l *workload.Layer) mapspace.Constraints { return dataflow.Constraints(*df, l, m.Spec()) },
		func(l *workload.Layer) (*mapping.Mapping, error) { return dataflow.Build(*df, l, m) },
		set, onStats)
}

// DenseTwin evaluates every layer of res again with each tensor dense
// (density 1, no measured values) under the mapping res chose for it: what
// the zeros save on the same schedule. A mapping chosen for compressed
// tiles may not fit the dense ones; the dense figures of such a layer are
// those of the same loop nest on levels with room for its tiles, and its
// Result has Valid false with the capacity the dense tiles would need (see
// cost.Model.EvaluateBeyondLimits). The twin's Total is valid only when
// every layer's is.
func DenseTwin(m *cost.Model, res *Network) (*Network, error) {
	out := &Network{Name: res.Name, Batch: res.Batch, BatchUnknown: res.BatchUnknown}
	for _, ly := range res.Layers {
		d := ly.Layer.WithBatch(ly.Layer.Shape[workload.N])
		for t := range d.Density {
			d.Density[t] = 1
			d.Measured[t] = nil
		}
		r, err := m.EvaluateBeyondLimits(d, ly.Mapping)
		if err != nil {
			return nil, fmt.Errorf("explore: dense twin of layer %q: %w", ly.Layer.Name, err)
		}
		r.Layer = ly.Layer.Name
		out.Layers = append(out.Layers, Layer{Layer: d, Mapping: ly.Mapping, Result: r})
		out.Total = out.Total.Add(r)
	}
	return out, nil
}
