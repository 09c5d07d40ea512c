package cost

import (
	"fmt"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/mapping"
	"github.com/nnergy/nnergy/nest"
	"github.com/nnergy/nnergy/workload"
)

// Kind says which limit a mapping breaks.
type Kind uint8

// The kinds of violation.
const (
	// Capacity: a level's tiles need more words than it has.
	Capacity Kind = iota
	// FanoutX, FanoutY: spatial loops need more instances than the mesh has.
	FanoutX
	FanoutY
	// Reduction: a reduction dimension is split across a network that
	// cannot add partial sums.
	Reduction
)

var kindNames = [...]string{"capacity", "fanout-x", "fanout-y", "reduction"}

func (k Kind) String() string { return kindNames[k] }

// MarshalText makes kinds print by name in JSON.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Violation is one broken limit: at level Level (index, outermost 0) the
// mapping needs Need where the architecture has Have. Tensor is meaningful
// for Capacity of a partitioned tensor; Shared is set when the tensors
// sharing a level overflow together.
type Violation struct {
	Kind   Kind            `json:"kind"`
	Level  int             `json:"level"`
	Name   string          `json:"level_name"`
	Tensor workload.Tensor `json:"-"`
	Shared bool            `json:"shared"`
	Need   int64           `json:"need"`
	Have   int64           `json:"have"`
}

func (v Violation) String() string {
	switch v.Kind {
	case Capacity:
		if v.Shared {
			return fmt.Sprintf("level %s: tiles need %d words, capacity is %d", v.Name, v.Need, v.Have)
		}
		return fmt.Sprintf("level %s: %s tile needs %d words, its partition is %d", v.Name, v.Tensor, v.Need, v.Have)
	case FanoutX, FanoutY:
		ax := "X"
		if v.Kind == FanoutY {
			ax = "Y"
		}
		return fmt.Sprintf("level %s: spatial %s fan-out %d exceeds the mesh (%d)", v.Name, ax, v.Need, v.Have)
	case Reduction:
		return fmt.Sprintf("level %s: network cannot reduce partial sums split %d ways", v.Name, v.Need)
	}
	return "violation"
}

// check appends the violations of nest n, whose tiles c holds, to dst; it
// does not allocate when dst has room. per is the layer's part
// (Evaluator.layer).
func (m *Model) check(l *workload.Layer, n *nest.Nest, c *nest.Counts, per *perLayer, dst []Violation) []Violation {
	s := m.spec
	L := len(s.Levels)
	var ovf [workload.NumTensors + 1]arch.Overflow
	outputs := l.Projection(workload.Outputs)
	for i := range L {
		sl := &s.Levels[i]
		plain := &per.levels[i].plain
		var tiles [workload.NumTensors]int64
		var keep [workload.NumTensors]bool
		for t := range workload.NumTensors {
			if v := c.Levels[i].Tensors[t].Tile; plain[t] {
				tiles[t] = v
			} else {
				tiles[t] = s.TileWords(l, i, workload.Tensor(t), v)
			}
			keep[t] = n.Keeps(i, t)
		}
		for _, o := range sl.Overflows(keep, tiles, ovf[:0]) {
			dst = append(dst, Violation{Kind: Capacity, Level: i, Name: sl.Name, Tensor: o.Tensor, Shared: o.Shared, Need: o.Need, Have: o.Have})
		}
		// Spatial fan-out into the next level (or the MAC units), and how
		// many ways it splits the reductions.
		x, y, split := 1, 1, int64(1)
		for _, lp := range n.Level(i) {
			switch lp.Axis {
			case mapping.Temporal:
				continue
			case mapping.Y:
				y *= lp.Factor
			default:
				x *= lp.Factor
			}
			if !outputs.Relevant(lp.Dim) {
				split *= int64(lp.Factor)
			}
		}
		mx, my := s.Compute.MeshX, s.Compute.MeshY
		if i+1 < L {
			mx, my = s.Levels[i+1].MeshX, s.Levels[i+1].MeshY
		}
		name := sl.Name
		if x > mx {
			dst = append(dst, Violation{Kind: FanoutX, Level: i, Name: name, Need: int64(x), Have: int64(mx)})
		}
		if y > my {
			dst = append(dst, Violation{Kind: FanoutY, Level: i, Name: name, Need: int64(y), Have: int64(my)})
		}
		if i+1 < L && !s.Levels[i+1].Network.Reduction && split > 1 {
			dst = append(dst, Violation{Kind: Reduction, Level: i + 1, Name: s.Levels[i+1].Name, Need: split, Have: 1})
		}
	}
	return dst
}
