package sweep

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"

	"github.com/nnergy/nnergy/cost"
	"github.com/nnergy/nnergy/explore"
	"github.com/nnergy/nnergy/internal/pool"
	"github.com/nnergy/nnergy/mapper"
	"github.com/nnergy/nnergy/workload"
)

// Options say how to run a sweep.
type Options struct {
	// Workers is the number of points evaluated at once (0: GOMAXPROCS).
	// Each point's searches use the sweep's mapper workers on top.
	Workers int
	// Shard is the part of the points to evaluate (the zero Shard: all).
	Shard Shard
	// Progress, when not nil, is called after each point with the number
	// of points done and to do, from one goroutine at a time.
	Progress func(done, total int, r *PointResult)
	// Store, when not nil, keeps the sweep's points and layer searches
	// (see Store): a point stored under the sweep's RunKey is taken from
	// it, re-evaluated from its stored layers without a search; another is
	// evaluated, each layer search first looked up in the store, and
	// stored when done. So an interrupted sweep resumes where it stopped,
	// and a sweep reuses the layer searches of every earlier one.
	Store Store
	// StoredOnly evaluates nothing: the result holds the points of the
	// shard that Store holds, and Missing the others (the reduction after
	// the shards of a sweep ran).
	StoredOnly bool
}

// Result is the evaluation of a sweep's points (of one shard).
type Result struct {
	Sweep *Sweep
	Shard Shard
	// Points are the points evaluated, in index order.
	Points []PointResult
	// RunKey is the sweep's RunKey when it ran with a Store; Stored counts
	// the points taken from the store, and Missing lists the indices of
	// the points of the shard not in it (StoredOnly, which is set when
	// the sweep evaluated nothing).
	RunKey     string
	Stored     int
	StoredOnly bool
	Missing    []int
}

// PointResult is one point evaluated on every workload.
type PointResult struct {
	Point *Point
	// Design is the point's architecture and mapper (Arch nil when Reason
	// is set; the mapper is the point's all the same).
	Design Design
	// Reason says why the point is invalid: its architecture does not
	// validate, or a derived value cannot be computed.
	Reason string
	// Workloads holds a result per workload of the sweep, in its order
	// (none when Reason is set).
	Workloads []WorkloadResult
	// Cache counts the layers the point's cache served; Evaluations the
	// cost-model evaluations of its searches.
	Cache       explore.CacheStats
	Evaluations int64
	// AreaUM2 is the chip's area (µm²) and LeakageWatts its static power
	// with every instance powered (0 when Reason is set).
	AreaUM2, LeakageWatts float64
	// OverArea is set when the area is over the sweep's area budget: the
	// point is evaluated and reported all the same.
	OverArea bool
	// FromStore is set for a point taken from the store (its searches and
	// evaluations are those of the run that stored it); StoredLayers counts
	// the layer searches the store served instead of the mapper.
	FromStore    bool
	StoredLayers int64
}

// Valid reports whether the point's architecture is valid.
func (r *PointResult) Valid() bool { return r.Reason == "" }

// WorkloadResult is one network at one batch on one point.
type WorkloadResult struct {
	Workload *Workload
	// Network is every layer's mapping and result; nil when Reason is set.
	Network *explore.Network
	// Reason says why the point cannot run the network: a layer without a
	// legal mapping, or whose mapping breaks the architecture's limits.
	Reason string
	Figures
}

// OK reports whether the workload ran.
func (w *WorkloadResult) OK() bool { return w.Reason == "" }

// Figures are the totals of a network at one batch on one point: its
// layers one after the other.
type Figures struct {
	MACs     int64
	EnergyPJ float64
	Cycles   int64
	// LatencySeconds is Cycles over the clock.
	LatencySeconds float64
	// EDPJouleSeconds is the energy in joules times the latency.
	EDPJouleSeconds float64
	// Utilization is the busy MACs over cycles × MAC units.
	Utilization float64
	// MACUnits is the point's number of MAC units.
	MACUnits int64
	// LevelsEnergyPJ is each storage level's energy, outermost first.
	LevelsEnergyPJ []float64
	// DynamicPJ and StaticPJ split EnergyPJ: accesses, transfers and MACs,
	// and leakage over the latency.
	DynamicPJ, StaticPJ float64
	// PowerWatts is the average power running the network back to back:
	// EnergyPJ over the latency, which is the dynamic energy per inference
	// times the inferences per second plus the leakage (of the instances
	// in use when the architecture gates unused ones).
	PowerWatts float64
	// AreaUM2 is the point's chip area, µm² (the same for every workload).
	AreaUM2 float64
}

func figures(t *cost.Result, clockHz float64, macUnits int) Figures {
	f := Figures{MACs: t.MACs, EnergyPJ: t.EnergyPJ, Cycles: t.Cycles, LatencySeconds: float64(t.Cycles) / clockHz,
		Utilization: t.Utilization(), MACUnits: int64(macUnits)}
	f.EDPJouleSeconds = t.EnergyPJ * 1e-12 * f.LatencySeconds
	f.DynamicPJ, f.StaticPJ = t.DynamicPJ, t.StaticPJ
	if f.LatencySeconds > 0 {
		f.PowerWatts = t.EnergyPJ * 1e-12 / f.LatencySeconds
	}
	for _, l := range t.Levels {
		f.LevelsEnergyPJ = append(f.LevelsEnergyPJ, l.EnergyPJ)
	}
	return f
}

// Run evaluates the points of o.Shard on a pool of o.Workers goroutines.
// The result does not depend on the number of workers. It returns an error
// only when ctx ends first; points and workloads that cannot be evaluated
// carry their reasons.
func (s *Sweep) Run(ctx context.Context, o Options) (*Result, error) {
	if err := o.Shard.Check(); err != nil {
		return nil, err
	}
	idx := o.Shard.Indices(len(s.Points), s.ShardSeed)
	res := &Result{Sweep: s, Shard: o.Shard, Points: make([]PointResult, len(idx)), StoredOnly: o.StoredOnly}
	if o.StoredOnly && o.Store == nil {
		return nil, fmt.Errorf("sweep: the points of a sweep are read from a store, and there is none")
	}
	var done map[int][]byte
	if o.Store != nil {
		res.RunKey = s.RunKey()
		var err error
		if done, err = o.Store.Items(ctx, res.RunKey); err != nil {
			return nil, err
		}
	}
	missing := make([]bool, len(idx))
	workers := o.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var mu sync.Mutex
	ndone := 0
	err := pool.Run(ctx, workers, len(idx), func(ctx context.Context, j int) error {
		p := &s.Points[idx[j]]
		var r PointResult
		var err error
		value, stored := done[p.Index]
		switch {
		case stored:
			r, err = s.stored(ctx, o.Store, p, value)
		case o.StoredOnly:
			mu.Lock()
			missing[j] = true
			mu.Unlock()
			return nil
		case o.Store != nil:
			if r, err = s.evaluate(ctx, p, o.Store, false); err == nil {
				err = s.put(ctx, o.Store, res.RunKey, &r)
			}
		default:
			r, err = s.Evaluate(ctx, p)
		}
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		res.Points[j] = r
		ndone++
		if r.FromStore {
			res.Stored++
		}
		if o.Progress != nil {
			o.Progress(ndone, len(idx), &res.Points[j])
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if o.StoredOnly {
		kept := res.Points[:0]
		for j, r := range res.Points {
			if missing[j] {
				res.Missing = append(res.Missing, idx[j])
			} else {
				kept = append(kept, r)
			}
		}
		res.Points = kept
	}
	return res, nil
}

// Evaluate maps and costs every workload on point p with one explore.Cache:
// one search (or build) per unique layer shape and density on the point.
// The error is ctx's when it ends; everything else is a reason in the
// result.
func (s *Sweep) Evaluate(ctx context.Context, p *Point) (PointResult, error) {
	return s.evaluate(ctx, p, nil, false)
}

// evaluate is Evaluate with the layer searches looked up in st, when not
// nil, and stored there (storedSearch); readOnly fails on a search st does
// not hold.
func (s *Sweep) evaluate(ctx context.Context, p *Point, st Store, readOnly bool) (PointResult, error) {
	r := PointResult{Point: p}
	if err := ctx.Err(); err != nil {
		return r, err
	}
	d, reason := s.Design(p)
	r.Design = d
	if reason != "" {
		r.Reason = reason
		return r, nil
	}
	r.AreaUM2, r.LeakageWatts = d.Arch.Area().TotalUM2, d.Arch.LeakageWatts()
	r.OverArea = s.Area.OverBudget(r.AreaUM2)
	m, err := cost.New(d.Arch)
	if err != nil {
		r.Design.Arch = nil
		r.Reason = "architecture: " + strings.TrimPrefix(err.Error(), "cost: ")
		return r, nil
	}
	var mp explore.Mapper
	switch d.Mapper.Method {
	case Builder:
		mp = explore.DataflowMapper(m, *d.Mapper.Dataflow)
	default:
		mp = explore.DataflowSearch(m, d.Mapper.Dataflow, d.Mapper.Search, func(_ *workload.Layer, st mapper.Stats) {
			r.Evaluations += st.Evaluated // the cache searches one layer at a time
		})
	}
	var serr storeErr
	if st != nil && d.Mapper.Method == Search {
		mp = storedSearch(st, &d, mp, readOnly, &serr, &r.StoredLayers)
	}
	cache := explore.NewCache(m, mp)
	for i := range s.Workloads {
		w := &s.Workloads[i]
		wr := WorkloadResult{Workload: w}
		net, err := cache.Evaluate(ctx, ownLayers(w.Network))
		switch {
		case ctx.Err() != nil:
			return r, ctx.Err()
		case serr.get() != nil:
			return r, serr.get()
		case err != nil:
			wr.Reason = strings.TrimPrefix(err.Error(), "explore: ")
		default:
			wr.Network = net
			wr.Figures = figures(&net.Total, d.Arch.ClockHz, d.Arch.MACUnits())
			wr.AreaUM2 = r.AreaUM2
		}
		r.Workloads = append(r.Workloads, wr)
	}
	r.Cache = cache.Stats()
	return r, nil
}

// ownLayers returns n with copies of its layers: a cache interns measured
// tensors into the layers it sees, and points run at the same time.
func ownLayers(n *workload.Network) *workload.Network {
	c := *n
	c.Layers = make([]*workload.Layer, len(n.Layers))
	for i, l := range n.Layers {
		lc := *l
		c.Layers[i] = &lc
	}
	return &c
}
