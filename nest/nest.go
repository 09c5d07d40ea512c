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

// Nest is a mapping laid out the way the analysis walks it. Searches build
// nests straight from their own representation (mapspace.Space.Nest) and so
// skip building, checking and flattening a mapping.Mapping per candidate.
type Nest struct {
	// Loops holds the loops, outermost first: each level's temporal loops
	// (Axis Temporal), then its spatial loops (Axis X or Y). Loops of
	// factor 1 change nothing and may be left out, as Set leaves them.
	Loops []mapping.Loop
	// Start[i] is the index in Loops of level i's first loop, and
	// Start[len(Keep)] = len(Loops).
	Start []int
	// Keep holds each level's keep mask: bit t is set when the level keeps
	// tensor t.
	Keep []uint8
}

// Set lays out mapping m in n, reusing n's storage.
func (n *Nest) Set(m *mapping.Mapping) {
	n.Loops = n.Loops[:0]
	n.Start = n.Start[:0]
	n.Keep = n.Keep[:0]
	for _, lv := range m.Levels {
		n.Start = append(n.Start, len(n.Loops))
		for _, lp := range lv.Temporal {
			if lp.Factor > 1 {
				n.Loops = append(n.Loops, mapping.Loop{Dim: lp.Dim, Factor: lp.Factor})
			}
		}
		for _, lp := range lv.Spatial {
			if lp.Factor > 1 {
				n.Loops = append(n.Loops, lp)
			}
		}
		var keep uint8
		for t, k := range lv.Keep {
			if k {
				keep |= 1 << t
			}
		}
		n.Keep = append(n.Keep, keep)
	}
	n.Start = append(n.Start, len(n.Loops))
}

// Keeps reports whether level i keeps tensor t.
func (n *Nest) Keeps(i int, t workload.Tensor) bool { return n.Keep[i]&(1<<t) != 0 }

// Level returns the loops of level i.
func (n *Nest) Level(i int) []mapping.Loop { return n.Loops[n.Start[i]:n.Start[i+1]] }

// Analyzer analyses mappings. It keeps scratch space between calls, so one
// Analyzer must not be used by several goroutines at once; give each worker
// its own.
type Analyzer struct {
	own   Nest           // the layout of the last mapping given to Tiles
	n     *Nest          // the nest being analysed
	keep  []uint8        // n.Keep
	loops []mapping.Loop // n.Loops
	start []int          // n.Start: start[i] is the index of level i's first loop
	// step[k] is the product of the factors of loop k's dimension at later
	// positions of the nest.
	step []int
	// uni[k] is set when loop k is a spatial loop over a network that does
	// not multicast (see casts).
	uni   []bool
	words []uint64
	trs   [][]transition // transitions above each level, see trans
	trOK  []bool
	inst  []int64          // inst[i]: instances of level i in use (i = L: MAC units)
	steps []int64          // steps[i]: temporal iterations above level i
	ext   []workload.Shape // ext[i]: tile extents of level i (i = L: the MACs, all 1)
	// moving holds the factors of the outermost level's temporal loops
	// that a bound lets move (see BoundPrefix).
	moving workload.Shape
	// refetched is Bounding.Refetched of the bound being computed.
	refetched uint8
	fixed     int
	rp        [workload.MaxRanks]rank
	// The counting conventions of the architecture (arch.Conventions),
	// set by TilesNest.
	box, ident, refill, reloadAll, drainFree bool
	// whole caches the tensor sizes of the last layer (see wholeTensors).
	whole struct {
		l     *workload.Layer
		shape workload.Shape
		size  [workload.NumTensors]int64
	}
}

// Nest returns the nest of the last Tiles or TilesNest: for a mapping, its
// layout in the Analyzer's storage, valid until the next call.
func (z *Analyzer) Nest() *Nest { return z.n }

// keeps reports whether level i of the nest being analysed keeps tensor t.
func (z *Analyzer) keeps(i int, t workload.Tensor) bool { return z.keep[i]&(1<<t) != 0 }

// Analyze counts the accesses of layer l under mapping m on architecture a.
// It returns an error when the mapping does not fit the architecture's
// structure (number of levels, factors that do not cover the layer, a level
// keeping a tensor the architecture does not allow there). Capacity and
// fan-out limits are not checked here: see cost.Model.Check.
func (z *Analyzer) Analyze(l *workload.Layer, a *arch.Spec, m *mapping.Mapping, c *Counts) error {
	if err := z.Tiles(l, a, m, c); err != nil {
		return err
	}
	z.Traffic(l, a, c)
	return nil
}

// Tiles is the first half of Analyze: it checks the mapping's structure and
// fills in the counts that do not need the traffic analysis (tiles,
// instances, MACs, steps). Traffic, called next, completes the counts. A
// caller that only needs to check limits can stop after Tiles.
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
	z.own.Set(m)
	z.TilesNest(l, a, &z.own, c)
	return nil
}

// TilesNest is Tiles for a nest built directly. It does not check n: n must
// have one level per level of a, factors whose product per dimension is
// the layer's bound, and keep masks a allows, with the outermost level
// keeping every tensor (mapspace.Space.Nest builds such nests). The
// analysis reads n until the next Tiles or TilesNest.
func (z *Analyzer) TilesNest(l *workload.Layer, a *arch.Spec, n *Nest, c *Counts) {
	z.n, z.keep = n, n.Keep
	cv := a.Conventions
	z.box, z.ident, z.refill = cv.Has(arch.ConvStride), cv.Has(arch.ConvMulticast), cv.Has(arch.ConvWrap)
	z.reloadAll, z.drainFree = cv.Has(arch.ConvReload), cv.Has(arch.ConvDrain)
	z.loops, z.start = n.Loops, n.Start
	L := len(n.Keep)
	for len(z.trs) <= L {
		z.trs = append(z.trs, nil)
	}
	z.trOK = append(z.trOK[:0], make([]bool, L+1)...)
	z.inst = z.inst[:0]
	z.steps = z.steps[:0]
	for len(z.ext) <= L {
		z.ext = append(z.ext, workload.Shape{})
	}
	if cap(z.step) < len(z.loops) {
		z.step = make([]int, len(z.loops))
	}
	z.step = z.step[:len(z.loops)]
	// Walk the loops inside out, multiplying up the factors of each
	// dimension: before a loop, the product is its step; after a level,
	// the level's tile extents.
	prod := workload.Ones()
	z.ext[L] = prod
	for i := L - 1; i >= 0; i-- {
		for k := z.start[i+1] - 1; k >= z.start[i]; k-- {
			d := z.loops[k].Dim
			z.step[k] = prod[d]
			prod[d] *= z.loops[k].Factor
		}
		z.ext[i] = prod
	}
	inst, steps := int64(1), int64(1)
	for i := 0; i <= L; i++ {
		z.inst = append(z.inst, inst)
		z.steps = append(z.steps, steps)
		if i == L {
			break
		}
		for _, lp := range z.loops[z.start[i]:z.start[i+1]] {
			if lp.Axis != mapping.Temporal {
				inst *= int64(lp.Factor)
			} else {
				steps *= int64(lp.Factor)
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
	// The outermost level's tiles are the whole tensors.
	whole := z.wholeTensors(l)
	for i := range L {
		c.Levels[i].Instances = z.inst[i]
		for t := range workload.NumTensors {
			switch {
			case !z.keeps(i, t):
			case i == 0 && z.box:
				c.Levels[i].Tensors[t].Tile = tileSize(l.Projection(t), &l.Shape, true)
			case i == 0:
				c.Levels[i].Tensors[t].Tile = whole[t]
			default:
				c.Levels[i].Tensors[t].Tile = tileSize(l.Projection(t), &z.ext[i], z.box)
			}
		}
	}
}

// wholeTensors returns the size of each tensor of l, computed once per
// layer.
func (z *Analyzer) wholeTensors(l *workload.Layer) *[workload.NumTensors]int64 {
	if z.whole.l != l || z.whole.shape != l.Shape {
		z.whole.l, z.whole.shape = l, l.Shape
		for t := range workload.NumTensors {
			z.whole.size[t] = l.Size(t)
		}
	}
	return &z.whole.size
}

// Traffic completes the counts of the mapping or nest given to the last
// Tiles or TilesNest, which filled c.
func (z *Analyzer) Traffic(l *workload.Layer, a *arch.Spec, c *Counts) {
	L := len(z.keep)
	z.casts(a, 0)
	for t := range workload.NumTensors {
		z.castsFor(l, a, t)
		p := 0
		for {
			ch := p + 1
			for ch < L && !z.keeps(ch, t) {
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
