package nest

import (
	"fmt"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/mapping"
	"github.com/nnergy/nnergy/workload"
)

// Access counts the words one level moves for one tensor, summed over the
// level's instances.
type Access struct {
	// Tile is the number of words of the tensor one instance holds.
	Tile int64
	// Fills are words written into the level from its parent (for Outputs:
	// reloaded partial sums).
	Fills int64
	// Reads are words read out of the level: operands sent to the children
	// (for Outputs: partial sums reloaded into the children) plus Drains.
	Reads int64
	// Drains are the Outputs words read out of the level to update the
	// parent (included in Reads).
	Drains int64
	// Updates are Outputs words written into the level by its children.
	Updates int64
}

// Writes returns Fills + Updates.
func (a Access) Writes() int64 { return a.Fills + a.Updates }

// Net counts the traffic of the network into a level's instances.
type Net struct {
	// Words delivered to (or, for drained partial sums, sent from) the
	// instances of the level, per tensor.
	Words [workload.NumTensors]int64
	// Reduce counts the additions of partial sums done in the network.
	Reduce int64
}

// Level holds the counts of one storage level.
type Level struct {
	// Instances is the number of instances of the level that the mapping
	// uses (the product of the spatial factors above it).
	Instances int64
	Tensors   [workload.NumTensors]Access
	// Net is the network into this level's instances (from its parent).
	Net Net
}

// Counts are the results of analysing one layer under one mapping.
type Counts struct {
	// MACs is the number of multiply-accumulates.
	MACs int64
	// Steps is the number of temporal iterations of the whole nest: the
	// compute-bound cycles when every MAC unit does one MAC per cycle.
	Steps int64
	// MACUnits is the number of MAC units the mapping uses.
	MACUnits int64
	Levels   []Level
	// Compute is the traffic into the MAC units: operands delivered and
	// partial sums reduced across the lanes of one PE.
	Compute Net
	// Ext holds the extents of every level's tile per dimension (Ext[L]:
	// the MAC, all 1).
	Ext []workload.Shape
}

// loop is one loop of the flattened nest.
type loop struct {
	dim     workload.Dim
	f       int
	spatial bool
	step    int // product of the factors of the same dim at later positions
}

// Analyzer analyses mappings. It keeps scratch space between calls, so one
// Analyzer must not be used by several goroutines at once; give each worker
// its own.
type Analyzer struct {
	loops []loop
	start []int // start[i]: index of level i's first loop; start[L] = len(loops)
	words []uint64
	trs   [][]transition // transitions above each level, see trans
	trOK  []bool
	inst  []int64          // inst[i]: instances of level i in use (i = L: MAC units)
	steps []int64          // steps[i]: temporal iterations above level i
	ext   []workload.Shape // ext[i]: tile extents of level i (i = L: the MACs, all 1)
	rp    [workload.MaxRanks]rank
}

// Analyze counts the accesses of layer l under mapping m on architecture a.
// It returns an error when the mapping does not fit the architecture's
// structure (number of levels, factors that do not cover the layer, a level
// keeping a tensor the architecture does not allow there). Capacity and
// fan-out limits are not checked here: see cost.Model.Check.
func (z *Analyzer) Analyze(l *workload.Layer, a *arch.Spec, m *mapping.Mapping, c *Counts) error {
	if err := z.Tiles(l, a, m, c); err != nil {
		return err
	}
	z.Traffic(l, a, m, c)
	return nil
}

// Tiles is the first half of Analyze: it checks the mapping's structure and
// fills in the counts that do not need the traffic analysis (tiles,
// instances, MACs, steps). Traffic, called next with the same arguments,
// completes the counts. A caller that only needs to check limits can stop
// after Tiles.
func (z *Analyzer) Tiles(l *workload.Layer, a *arch.Spec, m *mapping.Mapping, c *Counts) error {
	if len(m.Levels) != len(a.Levels) {
		return fmt.Errorf("nest: mapping has %d levels, architecture %q has %d", len(m.Levels), a.Name, len(a.Levels))
	}
	if err := m.CheckShape(l); err != nil {
		return err
	}
	for i := range m.Levels {
		for t := range workload.NumTensors {
			if m.Levels[i].Keep[t] && !a.Levels[i].Keeps[t] {
				return fmt.Errorf("nest: level %s keeps %s, which the architecture bypasses", a.Levels[i].Name, t)
			}
			if i == 0 && !m.Levels[i].Keep[t] {
				return fmt.Errorf("nest: outermost level %s must keep %s", a.Levels[i].Name, t)
			}
		}
	}
	z.flatten(m)
	L := len(m.Levels)
	for len(z.trs) <= L {
		z.trs = append(z.trs, nil)
	}
	z.trOK = append(z.trOK[:0], make([]bool, L+1)...)
	z.inst = z.inst[:0]
	z.steps = z.steps[:0]
	for len(z.ext) <= L {
		z.ext = append(z.ext, workload.Shape{})
	}
	z.ext[L] = workload.Ones()
	for i := L - 1; i >= 0; i-- {
		z.ext[i] = z.ext[i+1]
		for _, lp := range z.loops[z.start[i]:z.start[i+1]] {
			z.ext[i][lp.dim] *= lp.f
		}
	}
	inst, steps := int64(1), int64(1)
	for i := 0; i <= L; i++ {
		z.inst = append(z.inst, inst)
		z.steps = append(z.steps, steps)
		if i == L {
			break
		}
		for _, lp := range z.loops[z.start[i]:z.start[i+1]] {
			if lp.spatial {
				inst *= int64(lp.f)
			} else {
				steps *= int64(lp.f)
			}
		}
	}
	if cap(c.Levels) < L {
		c.Levels = make([]Level, L)
	}
	c.Levels = c.Levels[:L]
	for i := range c.Levels {
		c.Levels[i] = Level{}
	}
	c.Compute = Net{}
	c.MACs = l.MACs()
	c.Steps = z.steps[L]
	c.MACUnits = z.inst[L]
	c.Ext = append(c.Ext[:0], z.ext[:L+1]...)
	for i := range L {
		c.Levels[i].Instances = z.inst[i]
		for t := range workload.NumTensors {
			if m.Levels[i].Keep[t] {
				c.Levels[i].Tensors[t].Tile = l.Projection(t).Size(&z.ext[i])
			}
		}
	}
	return nil
}

// Traffic completes the counts after Tiles.
func (z *Analyzer) Traffic(l *workload.Layer, a *arch.Spec, m *mapping.Mapping, c *Counts) {
	L := len(m.Levels)
	for t := range workload.NumTensors {
		p := 0
		for {
			ch := p + 1
			for ch < L && !m.Levels[ch].Keep[t] {
				ch++
			}
			z.iface(l, a, t, p, ch, c)
			if ch == L {
				break
			}
			p = ch
		}
	}
}

// flatten lays the loops of m out in nest order and computes their steps.
func (z *Analyzer) flatten(m *mapping.Mapping) {
	z.loops = z.loops[:0]
	z.start = z.start[:0]
	for _, lv := range m.Levels {
		z.start = append(z.start, len(z.loops))
		for _, lp := range lv.Temporal {
			if lp.Factor > 1 {
				z.loops = append(z.loops, loop{dim: lp.Dim, f: lp.Factor})
			}
		}
		for _, lp := range lv.Spatial {
			if lp.Factor > 1 {
				z.loops = append(z.loops, loop{dim: lp.Dim, f: lp.Factor, spatial: true})
			}
		}
	}
	z.start = append(z.start, len(z.loops))
	var prod [workload.NumDims]int
	for d := range prod {
		prod[d] = 1
	}
	for i := len(z.loops) - 1; i >= 0; i-- {
		lp := &z.loops[i]
		lp.step = prod[lp.dim]
		prod[lp.dim] *= lp.f
	}
}
