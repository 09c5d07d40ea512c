package explore

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"sync"

	"github.com/nnergy/nnergy/cost"
	"github.com/nnergy/nnergy/mapping"
	"github.com/nnergy/nnergy/sparse"
	"github.com/nnergy/nnergy/workload"
)

// ZeroStructureStep is the tolerance to which the zero structure of
// measured tensors must agree for layers to share a search (see Key).
const ZeroStructureStep = 0.01

// Key identifies the layers that share one mapping search: the loop nest,
// word widths and densities (workload.ShapeKey without the measured
// values), and, per tensor, the fraction of all-zero slices of its last
// three and last two ranks (for convolution weights: whole filters and
// whole R×S kernels) in steps of ZeroStructureStep.
//
// What a search decides is legal or not depends on the shape, widths and
// densities alone: the cost model checks capacities with the compressed
// size at the tensor's density. Measured values change only the figures,
// through the statistics of every tile the mapping makes, and those differ
// between any two real tensors; the fractions of empty filters and kernels
// are what tell structured pruning from unstructured. So layers of equal
// Key share the mapping found for the first of them, and each is evaluated
// under it on its own values: its figures are its own, and only the choice
// of mapping is shared. A tensor without zeros has no empty slices and a
// compressed size that does not depend on its values, so imported dense
// weights give the same Key as the same layer from the zoo.
type Key struct {
	Shape workload.ShapeKey
	// Empty holds, per tensor, the empty-slice fractions in steps.
	Empty [workload.NumTensors][2]int32
}

// KeyOf returns the search key of l.
func KeyOf(l *workload.Layer) Key {
	k := Key{Shape: l.Key()}
	k.Shape.Measured = [workload.NumTensors]*sparse.Measured{}
	for t, ms := range l.Measured {
		if ms == nil || ms.Mean() >= 1 {
			continue
		}
		shape := ms.Tensor().Shape
		for i, trailing := range [2]int{3, 2} {
			lead := len(shape) - trailing
			if lead < 1 {
				continue
			}
			ext := make([]int, len(shape))
			for r := range ext {
				ext[r] = 1
				if r >= lead {
					ext[r] = shape[r]
				}
			}
			st, err := ms.Tile(sparse.Tiling{Extent: ext}, sparse.Dense{ValueBits: 16})
			if err != nil {
				continue // a valid measured tensor always tiles
			}
			k.Empty[t][i] = int32(math.Round(st.Empty / ZeroStructureStep))
		}
	}
	return k
}

// CacheStats counts the layers a Cache served: Hits from earlier results,
// Misses evaluated (each under a mapping searched for it or shared with an
// earlier layer of the same Key), and Searches, the calls of the Mapper.
type CacheStats struct{ Hits, Misses, Searches int64 }

// Cache maps and costs layers for one cost model and one Mapper: the
// Mapper runs once per Key (see there), and each distinct layer (equal
// shapes, widths, densities and measured values) is evaluated once. It is
// safe for concurrent use; layers evaluated at the same time may search
// the same Key twice.
type Cache struct {
	m      *cost.Model
	mapper Mapper

	mu       sync.Mutex
	mappings map[Key]*mapping.Mapping
	results  map[workload.ShapeKey]Layer
	// measured maps the contents of measured tensors to one value each, so
	// that equal values give equal result keys.
	measured map[[sha256.Size]byte]*sparse.Measured
	stats    CacheStats
}

// NewCache returns an empty cache of layers mapped by mapper and costed on
// m.
func NewCache(m *cost.Model, mapper Mapper) *Cache {
	return &Cache{m: m, mapper: mapper, mappings: map[Key]*mapping.Mapping{},
		results: map[workload.ShapeKey]Layer{}, measured: map[[sha256.Size]byte]*sparse.Measured{}}
}

// Stats returns the counters so far.
func (c *Cache) Stats() CacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

// Evaluate maps and costs every layer of net through the cache. An invalid
// mapping is an error naming the layer and its violations.
func (c *Cache) Evaluate(ctx context.Context, net *workload.Network) (*Network, error) {
	out := newNetwork(net)
	for _, l := range net.Layers {
		ly, err := c.Layer(ctx, l)
		if err != nil {
			return nil, err
		}
		out.Layers = append(out.Layers, ly)
		out.Total = out.Total.Add(ly.Result)
	}
	return out, nil
}

// newNetwork returns the result of net without its layers.
func newNetwork(net *workload.Network) *Network {
	out := &Network{Name: net.Name, Batch: net.Batch, BatchUnknown: net.BatchUnknown}
	if out.Batch == 0 { // zoo and YAML networks are built with N = batch
		out.Batch = net.Input[0]
		if len(net.Layers) > 0 {
			out.Batch = net.Layers[0].Shape[workload.N]
		}
	}
	return out
}

// Layer returns the mapping and result of l (the result named after l). It
// replaces l's measured tensors by equal ones seen before, if any.
func (c *Cache) Layer(ctx context.Context, l *workload.Layer) (Layer, error) {
	if err := ctx.Err(); err != nil {
		return Layer{}, err
	}
	return c.layer(ctx, l, c.mapper)
}

// layer is Layer with the Mapper that maps a Key not mapped yet.
func (c *Cache) layer(ctx context.Context, l *workload.Layer, mapper Mapper) (Layer, error) {
	c.intern(l)
	rk := l.Key()
	c.mu.Lock()
	ly, ok := c.results[rk]
	if ok {
		c.stats.Hits++
	}
	c.mu.Unlock()
	if ok {
		ly.Layer = l
		ly.Result.Layer = l.Name
		return ly, nil
	}
	sk := KeyOf(l)
	c.mu.Lock()
	mp, ok := c.mappings[sk]
	c.mu.Unlock()
	if !ok {
		var err error
		if mp, err = mapper(ctx, searched(l)); err != nil {
			return Layer{}, fmt.Errorf("explore: layer %q: %w", l.Name, err)
		}
		c.mu.Lock()
		c.stats.Searches++
		c.mappings[sk] = mp
		c.mu.Unlock()
	}
	r, err := c.m.Evaluate(l, mp)
	if err != nil {
		return Layer{}, fmt.Errorf("explore: layer %q: %w", l.Name, err)
	}
	if !r.Valid {
		msgs := make([]string, len(r.Violations))
		for i, v := range r.Violations {
			msgs[i] = v.String()
		}
		return Layer{}, fmt.Errorf("explore: layer %q: mapping breaks the architecture's limits: %s", l.Name, strings.Join(msgs, "; "))
	}
	r.Layer = l.Name
	ly = Layer{Layer: l, Mapping: mp, Result: r}
	c.mu.Lock()
	c.results[rk] = ly
	c.stats.Misses++
	c.mu.Unlock()
	return ly, nil
}

// searched returns the layer a search for l's Key runs on: l without the
// measured values of tensors that have no zeros, which change none of the
// cost model's figures (a tensor without zeros has no empty tile and a
// compressed size that does not depend on its values) but cost a scan of
// the tensor for every tiling a search tries.
func searched(l *workload.Layer) *workload.Layer {
	s := l
	for t, ms := range l.Measured {
		if ms != nil && ms.Mean() >= 1 {
			if s == l {
				c := *l
				s = &c
			}
			s.Measured[t] = nil
		}
	}
	return s
}

// intern replaces l's measured tensors by the first ones seen with the same
// shape and values.
func (c *Cache) intern(l *workload.Layer) {
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
		c.mu.Lock()
		if m, ok := c.measured[sum]; ok {
			l.Measured[t] = m
		} else {
			c.measured[sum] = ms
		}
		c.mu.Unlock()
	}
}
