package sweep

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/dataflow"
)

// expand enumerates the combinations of the axes' values, the last axis
// varying fastest, computes each one's derived values, leaves out those a
// constraint rejects and names the others.
func (s *Sweep) expand() error {
	var axes []int // axis -> length
	for _, p := range s.Params {
		if p.Axis >= len(axes) {
			axes = append(axes, make([]int, p.Axis+1-len(axes))...)
		}
		axes[p.Axis] = len(p.Values)
	}
	cons := make([]expr, len(s.Constraints))
	for i, c := range s.Constraints {
		cons[i], _ = compile(c, true, s.scope()) // validated
	}
	np := len(s.Params)
	env := make([]float64, np+len(s.Derived))
	idx := make([]int, len(axes))
	ids := map[string]int{}
	for range s.Combinations {
		vals := make([]Value, np, np+len(s.Derived))
		for i, p := range s.Params {
			vals[i] = p.Values[idx[p.Axis]]
			env[i] = vals[i].Num
		}
		reason := ""
		for j, dr := range s.Derived {
			x, err := dr.e.eval(env)
			if err == nil {
				var msg string
				var v Value
				if v, msg = numValue(x, dr.kind); msg == "" {
					vals = append(vals, v)
					env[np+j] = x
					continue
				}
				err = fmt.Errorf("%s (it sets %s; floor, ceil or round make an integer)", msg, dr.Key)
			}
			reason = fmt.Sprintf("derived %s: %v", dr.Name, err)
			break
		}
		keep := true
		for i, c := range cons {
			if reason != "" {
				break
			}
			ok, err := c.eval(env)
			if err != nil {
				reason = fmt.Sprintf("constraint %q: %v", s.Constraints[i], err)
				break
			}
			keep = ok != 0
			if !keep {
				break
			}
		}
		if keep {
			p := Point{Index: len(s.Points), ID: pointID(s.Params, vals[:np]), Values: vals, Reason: reason}
			if j, dup := ids[p.ID]; dup {
				return fmt.Errorf("sweep: %s: points %d and %d have the same ID %s (a hash collision: rename a parameter)", s.File, j, p.Index, p.ID)
			}
			ids[p.ID] = p.Index
			s.Points = append(s.Points, p)
		} else {
			s.Excluded++
		}
		// The odometer: the last axis turns fastest.
		for a := len(idx) - 1; a >= 0; a-- {
			if idx[a]++; idx[a] < axes[a] {
				break
			}
			idx[a] = 0
		}
	}
	return nil
}

// scope resolves the names of the expanded sweep for expressions.
func (s *Sweep) scope() scope {
	return func(name string) (int, string) {
		for i, p := range s.Params {
			if p.Name == name {
				return i, ""
			}
		}
		for j, d := range s.Derived {
			if d.Name == name {
				return len(s.Params) + j, ""
			}
		}
		return 0, "unknown name " + name
	}
}

// pointID hashes the parameters' names and values, sorted by name.
func pointID(params []Param, vals []Value) string {
	lines := make([]string, len(params))
	for i, p := range params {
		lines[i] = p.Name + "=" + vals[i].Text + "\n"
	}
	slices.Sort(lines)
	sum := sha256.Sum256([]byte(strings.Join(lines, "")))
	return hex.EncodeToString(sum[:6])
}

// Names returns the names of a point's Values: the parameters', then the
// derived values'.
func (s *Sweep) Names() []string {
	var out []string
	for _, p := range s.Params {
		out = append(out, p.Name)
	}
	for _, d := range s.Derived {
		out = append(out, d.Name)
	}
	return out
}

// Models names the sweep's networks, comma-separated in their order, for
// its run record.
func (s *Sweep) Models() string {
	var names []string
	for _, w := range s.Workloads {
		if len(names) == 0 || names[len(names)-1] != w.Model {
			names = append(names, w.Model)
		}
	}
	return strings.Join(names, ",")
}

// Label returns name=value for every parameter of p, space-separated.
func (s *Sweep) Label(p *Point) string {
	var parts []string
	for i, prm := range s.Params {
		parts = append(parts, prm.Name+"="+p.Values[i].Text)
	}
	return strings.Join(parts, " ")
}

// Point returns the point whose ID is id, or nil.
func (s *Sweep) Point(id string) *Point {
	for i := range s.Points {
		if s.Points[i].ID == id {
			return &s.Points[i]
		}
	}
	return nil
}

// Design is what a point evaluates: its architecture and how it maps.
type Design struct {
	Arch *arch.Spec
	// YAML is the architecture file of the point: the base file with the
	// point's values set.
	YAML   []byte
	Mapper Mapper
}

// Design returns p's architecture, built from the base architecture's
// file with p's values set so that the architecture's own validation
// applies, and its mapper settings; or why p is invalid.
//
// The Design of an invalid point has its Mapper but no Arch.
func (s *Sweep) Design(p *Point) (Design, string) {
	d := Design{Mapper: s.Mapper}
	for i, prm := range s.Params {
		if prm.target.kind == kindMapper {
			setMapper(&d.Mapper, prm.target.mapper, p.Values[i].Text) // validated
		}
	}
	bad := Design{Mapper: d.Mapper}
	if p.Reason != "" {
		return bad, p.Reason
	}
	var root yaml.Node
	if err := yaml.Unmarshal(s.archYAML, &root); err != nil {
		return bad, fmt.Sprintf("the base architecture: %v", err) // it parsed before
	}
	set := func(t target, v Value) string {
		if t.kind == kindMapper || len(t.path) == 0 {
			return ""
		}
		if err := t.set(&root, cloneNode(v.node)); err != nil {
			return err.Error()
		}
		return ""
	}
	for i, prm := range s.Params {
		if msg := set(prm.target, p.Values[i]); msg != "" {
			return bad, fmt.Sprintf("%s: %s", prm.Key, msg)
		}
	}
	for j, dr := range s.Derived {
		if msg := set(dr.target, p.Values[len(s.Params)+j]); msg != "" {
			return bad, fmt.Sprintf("%s: %s", dr.Key, msg)
		}
	}
	spec, b, reason := s.build(&root)
	if reason != "" {
		return bad, reason
	}
	spec.Source = fmt.Sprintf("%s, point %s of sweep %s", s.Arch.Source, p.ID, s.Name)
	d.Arch, d.YAML = spec, b
	if d.Mapper.Method == Builder && d.Mapper.Dataflow == nil {
		return bad, fmt.Sprintf("the builder needs a dataflow (%s), not best", dataflow.Choices())
	}
	return d, ""
}

// build parses the point's architecture document, solving the filled
// level's capacity first when the sweep has one.
func (s *Sweep) build(root *yaml.Node) (*arch.Spec, []byte, string) {
	if s.Area.Fill != "" {
		return s.fill(root)
	}
	return s.parseDoc(root)
}

// parseDoc parses a point's architecture document.
func (s *Sweep) parseDoc(root *yaml.Node) (*arch.Spec, []byte, string) {
	b, err := yaml.Marshal(root)
	if err != nil {
		return nil, nil, fmt.Sprintf("the point's architecture: %v", err)
	}
	spec, err := arch.Parse(s.archFile, b)
	if err != nil {
		return nil, nil, "architecture: " + errorText(err)
	}
	return spec, b, ""
}

// cloneNode copies n and its children, so that each point's document owns
// what it holds.
func cloneNode(n *yaml.Node) *yaml.Node {
	c := *n
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, x := range n.Content {
		c.Content[i] = cloneNode(x)
	}
	return &c
}
