package netadaptv2

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/nnergy/nnergy/nn"
)

// Unit is one searchable width of a super-network: a convolution or
// linear layer whose filters can be removed (nn.Prunable), together with
// the layers tied to it (residual Adds make several layers keep the same
// channels; they share one width, named after the first).
//
// A bypass unit (Bypass) is a channel-level bypass connection (CBC,
// nn.CBC): a convolution or linear layer whose input and output (after
// its batch norm and activations) have one shape, and whose width the
// other units change on both sides at once or not at all, keeps the first
// k of its C output channels computed and the others carry its input: k
// runs from C down to 0, where the layer leaves the network (depth and
// width are one search dimension). In mobilenet-small these are b1_dw and
// b3_dw (3×3 depthwise, stride 1) and b3_pw (64 to 64 in the residual
// block, whose width the b2_pw unit also sets); LeNet-5 has none (every
// layer changes channels or size); a layer that is its own width unit and
// changes its output channels alone (vgg-small's conv1_2) keeps that unit
// and takes no bypass.
type Unit struct {
	Node string   `json:"node"`
	Tied []string `json:"tied,omitempty"` // other layers that lose the same filters
	Full int      `json:"full"`           // filters of the super-network
	// Min is the smallest width the search may give it: Sampling.MinWidth
	// of Full, rounded up, at least 1; 0 for a bypass unit.
	Min    int  `json:"min"`
	Bypass bool `json:"bypass,omitempty"`
}

// Widths gives each unit of a [Super] its kept filters, by unit index: a
// sub-network keeps the first Widths[u] filters of unit u (ordered
// dropout trains the prefixes).
type Widths []int

// Clone returns a copy of w.
func (w Widths) Clone() Widths { return slices.Clone(w) }

// Super is a super-network: a model whose every prefix of filters in each
// unit is a usable sub-network once trained with ordered dropout
// ([TrainSuper]).
type Super struct {
	Model *nn.Model
	Units []Unit
	// bypass[u] is the nn.CBC node after bypass unit u in Model ("" for
	// the other units): its Keep is the unit's width.
	bypass []string
	// ranks[u][k] lists, for parameter index k of Model.Params() that unit
	// u touches, the unit's filter each value belongs to: the value is
	// dropped when its filter is at or beyond the unit's width.
	ranks []map[int][]int32
}

// NewSuper returns m (not copied) as a super-network whose units are its
// prunable convolution and linear layers, each at least minWidth (a
// fraction in (0, 1]) of its filters, and with bypass its bypass units
// (see [Unit]), for which m gets an nn.CBC node each (nn.AddBypass). The
// bypasses m has already (a checkpointed super-network) are taken out
// first.
func NewSuper(m *nn.Model, minWidth float64, bypass bool) (*Super, error) {
	if !(minWidth > 0 && minWidth <= 1) {
		return nil, fmt.Errorf("netadaptv2: smallest width %v outside (0, 1]", minWidth)
	}
	if _, err := nn.RemoveBypasses(m); err != nil {
		return nil, fmt.Errorf("netadaptv2: %w", err)
	}
	ok, _, err := nn.Prunable(m)
	if err != nil {
		return nil, err
	}
	params := m.Params()
	index := map[*nn.Param]int{}
	for i, p := range params {
		index[p] = i
	}
	s := &Super{Model: m}
	seen := map[string]bool{} // the tied layers of each unit so far
	// uneven marks the layers a width unit changes on one side only (output
	// filters but not the matching input channels): they take no bypass.
	uneven := map[string]bool{}
	for _, name := range ok {
		full := filters(m.Node(name))
		if full == 0 {
			continue // attention heads are not searched
		}
		changes, err := nn.PlanRemoval(m, name, []int{0})
		if err != nil {
			return nil, err
		}
		var tied []string
		for _, c := range changes {
			if dw, ok := m.Node(c.Node).Layer.(*nn.Conv); (!ok || !dw.Depthwise()) && !slices.Equal(c.Out, c.In) {
				uneven[c.Node] = true
			}
			if len(c.Out) > 0 && (c.Kind == nn.KindConv || c.Kind == nn.KindLinear) {
				if l, ok := m.Node(c.Node).Layer.(*nn.Conv); !ok || !l.Depthwise() {
					tied = append(tied, c.Node)
				}
			}
		}
		key := strings.Join(tied, ",")
		if seen[key] {
			continue
		}
		seen[key] = true
		u := Unit{Node: name, Full: full, Min: max(1, int(math.Ceil(minWidth*float64(full)-1e-9)))}
		for _, t := range tied {
			if t != name {
				u.Tied = append(u.Tied, t)
			}
		}
		rank := map[int][]int32{}
		for f := full - 1; f >= 0; f-- { // lower filters overwrite: the smallest index wins
			changes, err := nn.PlanRemoval(m, name, []int{f})
			if err != nil {
				return nil, err
			}
			for _, c := range changes {
				markChange(m.Node(c.Node), c, index, rank, int32(f))
			}
		}
		s.Units = append(s.Units, u)
		s.ranks = append(s.ranks, rank)
		s.bypass = append(s.bypass, "")
	}
	if bypass {
		var names []string
		for _, n := range m.Nodes {
			if full := filters(n); full > 0 && !uneven[n.Name] && nn.CanBypassPartially(m, n.Name) == nil {
				names = append(names, n.Name)
			}
		}
		for _, name := range names {
			full := filters(m.Node(name))
			l, err := nn.AddBypass(m, name)
			if err != nil {
				return nil, fmt.Errorf("netadaptv2: %w", err)
			}
			s.Units = append(s.Units, Unit{Node: name, Full: full, Min: 0, Bypass: true})
			s.ranks = append(s.ranks, nil)
			s.bypass = append(s.bypass, m.Nodes[slices.IndexFunc(m.Nodes, func(n *nn.Node) bool { return n.Layer == l })].Name)
		}
	}
	if len(s.Units) == 0 {
		return nil, fmt.Errorf("netadaptv2: the model has no convolution or linear layer whose filters can be removed")
	}
	return s, nil
}

// filters returns the filters of a convolution or linear node, 0 for
// other nodes.
func filters(n *nn.Node) int {
	switch l := n.Layer.(type) {
	case *nn.Conv:
		return l.OutC
	case *nn.Linear:
		return l.Out
	}
	return 0
}

// markChange records filter f as the owner of the values c removes.
func markChange(n *nn.Node, c nn.Change, index map[*nn.Param]int, rank map[int][]int32, f int32) {
	mark := func(p *nn.Param, axis int, idx []int) {
		if p == nil || len(idx) == 0 {
			return
		}
		k := index[p]
		r := rank[k]
		if r == nil {
			r = make([]int32, len(p.Data))
			for i := range r {
				r[i] = math.MaxInt32
			}
			rank[k] = r
		}
		outer, dim, inner := 1, p.Shape[axis], 1
		for _, d := range p.Shape[:axis] {
			outer *= d
		}
		for _, d := range p.Shape[axis+1:] {
			inner *= d
		}
		for o := range outer {
			for _, i := range idx {
				lo := (o*dim + i) * inner
				for e := lo; e < lo+inner; e++ {
					r[e] = f
				}
			}
		}
	}
	switch l := n.Layer.(type) {
	case *nn.Conv:
		mark(l.Weight, 0, c.Out)
		mark(l.Bias, 0, c.Out)
		if !l.Depthwise() {
			mark(l.Weight, 1, c.In)
		}
	case *nn.Linear:
		mark(l.Weight, 0, c.Out)
		mark(l.Bias, 0, c.Out)
		mark(l.Weight, 1, c.In)
	case *nn.BatchNorm:
		mark(l.Scale, 0, c.Out)
		mark(l.Bias, 0, c.Out)
	}
}

// FullWidths returns every unit at its full width.
func (s *Super) FullWidths() Widths {
	w := make(Widths, len(s.Units))
	for u, x := range s.Units {
		w[u] = x.Full
	}
	return w
}

// MinWidths returns every unit at its smallest width.
func (s *Super) MinWidths() Widths {
	w := make(Widths, len(s.Units))
	for u, x := range s.Units {
		w[u] = x.Min
	}
	return w
}

func (s *Super) check(w Widths) error {
	if len(w) != len(s.Units) {
		return fmt.Errorf("netadaptv2: %d widths for %d units", len(w), len(s.Units))
	}
	for u, x := range s.Units {
		if lo := min(x.Min, 1); w[u] < lo || w[u] > x.Full {
			return fmt.Errorf("netadaptv2: %s: width %d outside [%d, %d]", x.Node, w[u], lo, x.Full)
		}
	}
	return nil
}

// SetBypasses sets the Keep of every bypass unit's nn.CBC node in m (the
// super-network or a copy of it) to the unit's width in w: the bypassed
// channels carry the layer's input.
func (s *Super) SetBypasses(m *nn.Model, w Widths) {
	for u, name := range s.bypass {
		if name != "" {
			m.Node(name).Layer.(*nn.CBC).Keep = w[u]
		}
	}
}

// Mask zeroes, in params (m.Params() of a copy of the super-network, or
// the super-network itself), the values of the filters beyond w: the
// sub-network of w computed at the super-network's shapes.
func (s *Super) Mask(params []*nn.Param, w Widths) {
	for u, rank := range s.ranks {
		lim := int32(w[u])
		for k, r := range rank {
			d := params[k].Data
			for e, f := range r {
				if f >= lim {
					d[e] = 0
				}
			}
		}
	}
}

// Masked returns a copy of the super-network with the filters beyond w
// zeroed and the bypasses set to w ([Super.SetBypasses]).
func (s *Super) Masked(w Widths) (*nn.Model, error) {
	if err := s.check(w); err != nil {
		return nil, err
	}
	c := s.Model.Clone()
	s.Mask(c.Params(), w)
	s.SetBypasses(c, w)
	return c, nil
}

// Extract returns the sub-network of w as its own model: the filters
// beyond each unit's width removed by surgery (nn.RemoveFilters), so that
// it runs and measures at its real size, and each bypass unit below its
// layer's channels cut to a partial bypass (nn.PartialBypass), or removed
// at width 0. It computes what [Super.Masked] does.
func (s *Super) Extract(w Widths) (*nn.Model, error) {
	if err := s.check(w); err != nil {
		return nil, err
	}
	c := s.Model.Clone()
	if _, err := nn.RemoveBypasses(c); err != nil {
		return nil, fmt.Errorf("netadaptv2: %w", err)
	}
	for u, x := range s.Units {
		if x.Bypass {
			continue
		}
		have := filters(c.Node(x.Node))
		if w[u] >= have {
			continue
		}
		drop := make([]int, 0, have-w[u])
		for f := w[u]; f < have; f++ {
			drop = append(drop, f)
		}
		if _, err := nn.RemoveFilters(c, x.Node, drop); err != nil {
			return nil, fmt.Errorf("netadaptv2: %s to width %d: %w", x.Node, w[u], err)
		}
	}
	// The bypasses last: each keeps its layer's output shape, whatever the
	// width units did to its channels (on both sides).
	for u, x := range s.Units {
		if !x.Bypass {
			continue
		}
		if have := filters(c.Node(x.Node)); w[u] < have {
			if _, err := nn.PartialBypass(c, x.Node, w[u]); err != nil {
				return nil, fmt.Errorf("netadaptv2: %s to width %d: %w", x.Node, w[u], err)
			}
		}
	}
	return c, nil
}

// Bypassed lists the bypass units of w that leave the network (width 0)
// and those that bypass part of their channels, as "b3_dw" and
// "b3_pw 20/64".
func (s *Super) Bypassed(w Widths) (removed, partial []string) {
	for u, x := range s.Units {
		switch {
		case !x.Bypass || w[u] >= x.Full:
		case w[u] == 0:
			removed = append(removed, x.Node)
		default:
			partial = append(partial, fmt.Sprintf("%s %d/%d", x.Node, w[u], x.Full))
		}
	}
	return removed, partial
}

// Describe lists the units whose width differs between from and to, as
// "conv2 16→12, fc1 120→90".
func (s *Super) Describe(from, to Widths) string {
	var parts []string
	for u, x := range s.Units {
		switch {
		case from[u] == to[u]:
		case x.Bypass && to[u] == 0:
			parts = append(parts, fmt.Sprintf("%s %d→0 (bypassed)", x.Node, from[u]))
		case x.Bypass:
			parts = append(parts, fmt.Sprintf("%s %d→%d (cbc)", x.Node, from[u], to[u]))
		default:
			parts = append(parts, fmt.Sprintf("%s %d→%d", x.Node, from[u], to[u]))
		}
	}
	return strings.Join(parts, ", ")
}
