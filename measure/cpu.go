package measure

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/nnergy/nnergy/nn"
)

// CPUConfig sets up a [CPU] measurer.
type CPUConfig struct {
	// Samples is the number of input channel counts measured for each
	// layer's table, evenly spaced from 1 to the base model's count
	// (default 5; at least 2). Output counts are all measured, up to
	// MaxOutputs of them (default 256; evenly spaced beyond): NetAdapt
	// removes filters a few at a time, and the engine's cost steps with
	// its matrix tiles (13 filters cost what 16 do), which interpolating
	// between a few samples would miss. Input counts change only when the
	// layer before is pruned, and cost about linearly.
	Samples    int
	MaxOutputs int
	// Latency sets up each timing (batch, runs, warm-up, workers).
	Latency nn.LatencyConfig
}

// CPU estimates a network's inference latency on this CPU the way NetAdapt
// does: a lookup table per convolution and linear layer of a base model,
// measured with the training engine for sampled input and output channel
// counts (nn.MeasureTables, every entry timed in interleaved rounds) and
// interpolated, summed over the layers.
// The other nodes (activations, pooling, batch norm) are timed once in the
// base model and scaled by their channel count. What a whole pass of the
// base model costs beyond the sum of its parts so estimated (passing data
// between nodes, which no table sees) is added to every estimate as a fixed
// overhead, so that the base model's estimate is its measured whole pass.
// A candidate must be the
// base model with channels removed (pruning or NetAdapt proposals) or
// layers bypassed (NetAdaptV2's channel-level bypasses): layers are found
// by name and their channel counts must not exceed the base's. The nodes a
// bypass adds (nn.CBC's concatenation and the slice before a depthwise
// layer), which the base model lacks, only copy: each costs its output
// elements at the base model's cheapest time per element among its other
// nodes (an activation's: a read and a write per element, as a copy).
type CPU struct {
	batch  int
	tables map[string]*nn.LatencyTable
	// other holds the base latency and output size of every other node.
	other map[string]otherNode
	// overhead is the base model's whole pass (whole) less the sum of
	// its parts.
	overhead, whole time.Duration
	// copyNS is the cheapest of the other nodes' times per output
	// element, in ns: what a node that only copies costs (0: none).
	copyNS float64
}

type otherNode struct {
	d     time.Duration
	elems int
}

// NewCPU measures the lookup tables of base's layers.
func NewCPU(base *nn.Model, cfg CPUConfig) (*CPU, error) {
	if cfg.Samples == 0 {
		cfg.Samples = 5
	}
	if cfg.MaxOutputs == 0 {
		cfg.MaxOutputs = 256
	}
	if cfg.Samples < 2 || cfg.MaxOutputs < 2 {
		return nil, fmt.Errorf("measure: CPU tables need at least 2 samples per dimension, got %d inputs and %d outputs", cfg.Samples, cfg.MaxOutputs)
	}
	infos, err := nn.Describe(base)
	if err != nil {
		return nil, fmt.Errorf("measure: %w", err)
	}
	var specs []nn.TableSpec
	for _, li := range infos {
		if li.Kind != nn.KindConv && li.Kind != nn.KindLinear {
			continue
		}
		in := li.In[0] * li.In[1] * li.In[2]
		if li.Kind == nn.KindConv {
			in = li.In[0]
		}
		specs = append(specs, nn.TableSpec{Node: li.Name, InC: spaced(in, cfg.Samples), OutC: spaced(li.Out[0], min(li.Out[0], cfg.MaxOutputs))})
	}
	// One interleaved measurement: the tables and the other nodes' times
	// see the same load (see nn.MeasureTables).
	tables, lat, err := nn.MeasureTables(base, specs, cfg.Latency)
	if err != nil {
		return nil, fmt.Errorf("measure: %w", err)
	}
	c := &CPU{batch: lat.Batch, tables: map[string]*nn.LatencyTable{}, other: map[string]otherNode{}}
	for _, t := range tables {
		c.tables[t.Node] = t
	}
	for i, li := range infos {
		if li.Kind != nn.KindConv && li.Kind != nn.KindLinear {
			o := otherNode{d: lat.Layers[i].Median, elems: li.Out[0] * li.Out[1] * li.Out[2]}
			c.other[li.Name] = o
			if per := float64(o.d) / float64(max(o.elems, 1)); o.d > 0 && (c.copyNS == 0 || per < c.copyNS) {
				c.copyNS = per
			}
		}
	}
	parts, err := c.Measure(context.Background(), base)
	if err != nil {
		return nil, err
	}
	c.whole = lat.Total
	c.overhead = lat.Total - time.Duration(math.Round(parts.Total.LatencyS*1e9))
	return c, nil
}

// spaced returns n counts evenly spaced from 1 to full (fewer when full is
// small).
func spaced(full, n int) []int {
	if n < 2 || full < 2 {
		return []int{full}
	}
	var s []int
	for i := range n {
		s = append(s, 1+(full-1)*i/(n-1))
	}
	return s
}

// Measure returns m's estimated latency per layer and in total.
func (c *CPU) Measure(ctx context.Context, m *nn.Model) (Measurement, error) {
	ms, err := counts(m, c.batch, false)
	if err != nil {
		return Measurement{}, err
	}
	infos, err := nn.Describe(m)
	if err != nil {
		return Measurement{}, fmt.Errorf("measure: %w", err)
	}
	k := 0
	for _, li := range infos {
		if li.Kind != nn.KindConv && li.Kind != nn.KindLinear {
			elems := float64(li.Out[0] * li.Out[1] * li.Out[2])
			o, ok := c.other[li.Name]
			var d float64
			switch {
			case ok:
				d = float64(o.d) * elems / float64(max(o.elems, 1))
			case (li.Kind == nn.KindCBC || li.Kind == nn.KindSlice) && c.copyNS > 0:
				d = c.copyNS * elems // a bypass's copy (see CPU)
			default:
				return Measurement{}, fmt.Errorf("measure: node %q (%v) is not in the base model", li.Name, li.Kind)
			}
			ms.Other.LatencyS += d / 1e9
			continue
		}
		t, ok := c.tables[li.Name]
		if !ok {
			return Measurement{}, fmt.Errorf("measure: layer %q is not in the base model", li.Name)
		}
		in := li.In[0] * li.In[1] * li.In[2]
		if li.Kind == nn.KindConv {
			in = li.In[0]
		}
		d, ok := t.At(in, li.Out[0])
		if !ok {
			return Measurement{}, fmt.Errorf("measure: layer %q has %d inputs and %d outputs, outside its table (up to %d and %d)",
				li.Name, in, li.Out[0], t.InC[len(t.InC)-1], t.OutC[len(t.OutC)-1])
		}
		ms.Layers[k].LatencyS = d.Seconds()
		ms.Total.LatencyS += d.Seconds()
		k++
	}
	ms.Other.LatencyS += c.overhead.Seconds()
	ms.Total.LatencyS += ms.Other.LatencyS
	return ms, ctx.Err()
}
