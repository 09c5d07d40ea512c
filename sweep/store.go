package sweep

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/explore"
	"github.com/nnergy/nnergy/internal/contentkey"
	"github.com/nnergy/nnergy/mapping"
	"github.com/nnergy/nnergy/workload"
)

// ModelVersion names the version of what computes a point's figures: the
// nest analysis, the cost model, the mapspace and the mapper. It is part of
// every key a sweep writes to a [Store], so that results of an older model
// are never reused: bump it whenever one of those packages changes what it
// computes.
const ModelVersion = 1

// Store keeps what a sweep has computed, so that an interrupted sweep
// resumes and a second sweep reuses the first one's layers. Package store
// satisfies it through a small adapter (its items and results); the keys
// are 64 lower-case hex digits.
type Store interface {
	// Items returns the values of the items of runKey marked done, by
	// index.
	Items(ctx context.Context, runKey string) (map[int][]byte, error)
	// PutItem stores the value of item index of runKey and marks it done;
	// an item already done keeps its value.
	PutItem(ctx context.Context, runKey string, index int, value []byte) error
	// Result returns the value under key; ok is false when there is none.
	Result(ctx context.Context, key string) (value []byte, ok bool, err error)
	// PutResult stores value under key unless the key has one already.
	PutResult(ctx context.Context, key string, value []byte) error
}

// RunKey returns the key of the sweep's expansion: the model version, the
// base architecture (its file and canonical form), the mapper settings,
// every workload's layers, and every point's index, ID, values and reason.
// Runs of equal keys (the shards of one sweep, a sweep run again) share
// their stored points.
func (s *Sweep) RunKey() string {
	parts := [][]byte{fmt.Appendf(nil, "nnergy sweep model %d", ModelVersion), s.archYAML, arch.Format(s.Arch), mapperBytes(&s.Mapper)}
	for i := range s.Workloads {
		w := &s.Workloads[i]
		parts = append(parts, fmt.Appendf(nil, "%s batch %d", w.Model, w.Batch), networkBytes(w.Network))
	}
	for i := range s.Points {
		p := &s.Points[i]
		b := fmt.Appendf(nil, "%d %s %q", p.Index, p.ID, p.Reason)
		for _, v := range p.Values {
			b = fmt.Appendf(b, " %q", v.Text)
		}
		parts = append(parts, b)
	}
	return contentkey.Of(parts...)
}

// mapperBytes is the canonical text of the mapper settings that determine a
// search's result.
func mapperBytes(m *Mapper) []byte {
	st := &m.Search
	return fmt.Appendf(nil, "method=%s dataflow=%s objective=%v algorithm=%q max_evaluations=%d victory=%d seed=%d workers=%d timeout=%d",
		m.Method, m.DataflowName(), st.Objective, st.Algorithm, st.MaxEvaluations, st.Victory, st.Seed, st.Workers, st.Timeout)
}

// networkBytes is what of a network determines its results: every layer's
// name, kind, shape, strides, dilations, widths, densities and edges, and
// its measured values.
func networkBytes(n *workload.Network) []byte {
	var b []byte
	b = fmt.Appendf(b, "%q batch=%d unknown=%t\n", n.Name, n.Batch, n.BatchUnknown)
	for _, l := range n.Layers {
		b = fmt.Appendf(b, "%q %s shape=%v stride=%v dilation=%v bits=%v density=%v from=%q shares=%q\n",
			l.Name, l.Kind, [workload.NumDims]int(l.Shape), l.Stride, l.Dilation, l.Bits, l.Density, l.From, l.SharesWeights)
		for t, m := range l.Measured {
			if m == nil {
				continue
			}
			v := m.Tensor()
			b = fmt.Appendf(b, "measured %s %v ", workload.Tensor(t), v.Shape)
			for _, x := range v.Values {
				b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
			}
			b = append(b, '\n')
		}
	}
	return b
}

// layerRecord is the stored result of one layer search: the mapping found,
// or why there is none.
type layerRecord struct {
	Mapping string `json:"mapping,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

// pointRecord is a point's stored item: enough to check its re-evaluation
// from the stored layers, and to query the store without nnergy.
type pointRecord struct {
	ID          string           `json:"id"`
	Reason      string           `json:"reason,omitempty"`
	Workloads   []workloadRecord `json:"workloads"`
	Searches    int64            `json:"searches"`
	Evaluations int64            `json:"evaluations"`
}

type workloadRecord struct {
	Model          string  `json:"model"`
	Batch          int     `json:"batch"`
	Reason         string  `json:"reason,omitempty"`
	MACs           int64   `json:"macs"`
	EnergyPJ       float64 `json:"energy_pj"`
	Cycles         int64   `json:"cycles"`
	LatencySeconds float64 `json:"latency_seconds"`
}

func newPointRecord(r *PointResult) pointRecord {
	rec := pointRecord{ID: r.Point.ID, Reason: r.Reason, Workloads: []workloadRecord{}, Searches: r.Cache.Searches, Evaluations: r.Evaluations}
	for _, w := range r.Workloads {
		rec.Workloads = append(rec.Workloads, workloadRecord{Model: w.Workload.Model, Batch: w.Workload.Batch, Reason: w.Reason,
			MACs: w.MACs, EnergyPJ: w.EnergyPJ, Cycles: w.Cycles, LatencySeconds: w.LatencySeconds})
	}
	return rec
}

// storeErr holds the first error of a store met inside a mapper, where
// the cache would turn it into a layer's reason.
type storeErr struct {
	mu  sync.Mutex
	err error
}

func (e *storeErr) set(err error) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.err == nil {
		e.err = err
	}
	return err
}

func (e *storeErr) get() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.err
}

// errNotStored marks a layer whose search is not in the store when the
// sweep may only read it.
var errNotStored = errors.New("sweep: the layer's search is not in the store")

// storedSearch wraps a point's search: a layer whose search key (the
// model version, the point's architecture, the mapper settings and
// explore.KeyOf the layer) is in st takes the stored mapping, or the stored
// reason there is none, and counts in *hits; another is searched and its
// outcome stored, unless readOnly, when it is an error. Errors of the store
// go to serr as well.
func storedSearch(st Store, d *Design, search explore.Mapper, readOnly bool, serr *storeErr, hits *int64) explore.Mapper {
	prefix := [][]byte{fmt.Appendf(nil, "nnergy layer search model %d", ModelVersion), arch.Format(d.Arch), mapperBytes(&d.Mapper)}
	var mu sync.Mutex
	return func(ctx context.Context, l *workload.Layer) (*mapping.Mapping, error) {
		key := contentkey.Of(append(prefix[:len(prefix):len(prefix)], fmt.Appendf(nil, "%+v", explore.KeyOf(l)))...)
		v, ok, err := st.Result(ctx, key)
		if err != nil {
			return nil, serr.set(err)
		}
		if ok {
			var rec layerRecord
			if err := json.Unmarshal(v, &rec); err != nil {
				return nil, serr.set(fmt.Errorf("sweep: stored result %s: %v", key, err))
			}
			mu.Lock()
			*hits++
			mu.Unlock()
			if rec.Mapping == "" {
				return nil, errors.New(rec.Reason)
			}
			m, err := mapping.Parse("stored result "+key, rec.Mapping)
			if err != nil {
				return nil, serr.set(fmt.Errorf("sweep: %v", err))
			}
			return m, nil
		}
		if readOnly {
			return nil, serr.set(fmt.Errorf("%w (layer %q, key %s)", errNotStored, l.Name, key))
		}
		m, err := search(ctx, l)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		rec := layerRecord{}
		if err != nil {
			rec.Reason = err.Error()
		} else {
			rec.Mapping = m.Format()
		}
		b, jerr := json.Marshal(rec)
		if jerr == nil {
			jerr = st.PutResult(ctx, key, b)
		}
		if jerr != nil {
			return nil, serr.set(jerr)
		}
		return m, err
	}
}

// stored returns point p as stored in value: its re-evaluation from the
// stored layer searches, which must give the stored figures, with the
// stored count of searches and evaluations.
func (s *Sweep) stored(ctx context.Context, st Store, p *Point, value []byte) (PointResult, error) {
	var rec pointRecord
	if err := json.Unmarshal(value, &rec); err != nil {
		return PointResult{}, fmt.Errorf("sweep: stored point %d: %v", p.Index, err)
	}
	if rec.ID != p.ID {
		return PointResult{}, fmt.Errorf("sweep: stored point %d is %s, want %s", p.Index, rec.ID, p.ID)
	}
	r, err := s.evaluate(ctx, p, st, true)
	if err != nil {
		return r, err
	}
	got := newPointRecord(&r)
	for i := range got.Workloads {
		if i >= len(rec.Workloads) || got.Workloads[i] != rec.Workloads[i] {
			return r, fmt.Errorf("sweep: point %s: its stored layers give other figures than the stored point's (a cost model changed without a new sweep.ModelVersion?)", p.ID)
		}
	}
	if got.Reason != rec.Reason || len(got.Workloads) != len(rec.Workloads) {
		return r, fmt.Errorf("sweep: point %s: its stored layers give another outcome than the stored point's", p.ID)
	}
	r.Cache.Searches, r.Evaluations, r.FromStore = rec.Searches, rec.Evaluations, true
	return r, nil
}

// put stores r as done under the sweep's run key.
func (s *Sweep) put(ctx context.Context, st Store, runKey string, r *PointResult) error {
	b, err := json.Marshal(newPointRecord(r))
	if err != nil {
		return fmt.Errorf("sweep: point %s: %v", r.Point.ID, err)
	}
	return st.PutItem(ctx, runKey, r.Point.Index, b)
}
