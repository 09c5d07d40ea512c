// Package mapping holds one mapping of a layer onto an architecture: for
// every storage level an ordered list of temporal loops, the spatial loops
// that fan out to the next level's instances, and which tensors the level
// keeps. Mappings print as a readable loop nest (Format) and parse back
// (Parse).
package mapping

import (
	"fmt"

	"github.com/nnergy/nnergy/workload"
)

// Axis says where a loop runs: in time, or across the X or Y axis of the
// child mesh.
type Axis uint8

// The axes.
const (
	Temporal Axis = iota
	X
	Y
)

func (a Axis) String() string {
	switch a {
	case Temporal:
		return "temporal"
	case X:
		return "x"
	case Y:
		return "y"
	}
	return fmt.Sprintf("Axis(%d)", uint8(a))
}

// Loop is one loop of the nest: dimension Dim iterated Factor times.
type Loop struct {
	Dim    workload.Dim
	Factor int
	Axis   Axis
}

// Level is the part of the nest at one storage level.
type Level struct {
	// Name is the architecture level's name.
	Name string
	// Temporal loops, outermost first.
	Temporal []Loop
	// Spatial loops fan out to the instances of the next inner level (or to
	// the MAC units below the innermost level); each has Axis X or Y.
	Spatial []Loop
	// Keep says which tensors this level holds; a tensor not kept bypasses
	// the level. It must be a subset of what the architecture allows, and
	// the outermost level keeps everything.
	Keep [workload.NumTensors]bool
}

// Mapping is a complete mapping: one Level per architecture level,
// outermost first.
type Mapping struct {
	Levels []Level
}

// Clone returns a deep copy of m.
func (m *Mapping) Clone() *Mapping {
	c := &Mapping{Levels: make([]Level, len(m.Levels))}
	for i, l := range m.Levels {
		c.Levels[i] = Level{
			Name:     l.Name,
			Temporal: append([]Loop(nil), l.Temporal...),
			Spatial:  append([]Loop(nil), l.Spatial...),
			Keep:     l.Keep,
		}
	}
	return c
}

// Factors returns, per dimension, the product of all loop factors.
func (m *Mapping) Factors() workload.Shape {
	s := workload.Ones()
	for _, l := range m.Levels {
		for _, lp := range l.Temporal {
			s[lp.Dim] *= lp.Factor
		}
		for _, lp := range l.Spatial {
			s[lp.Dim] *= lp.Factor
		}
	}
	return s
}

// SpatialFanout returns the product of the X and Y spatial factors of level i.
func (m *Mapping) SpatialFanout(i int) (x, y int) {
	x, y = 1, 1
	for _, lp := range m.Levels[i].Spatial {
		if lp.Axis == Y {
			y *= lp.Factor
		} else {
			x *= lp.Factor
		}
	}
	return x, y
}

// TemporalSteps returns the product of every temporal factor: the number of
// time steps of the whole nest, each a cycle of the MAC units.
func (m *Mapping) TemporalSteps() int64 {
	n := int64(1)
	for _, l := range m.Levels {
		for _, lp := range l.Temporal {
			n *= int64(lp.Factor)
		}
	}
	return n
}

// CheckShape reports an error if the loops do not exactly cover the layer:
// every factor positive, spatial loops on X or Y, temporal loops on no axis,
// and the product of each dimension's factors equal to its bound.
func (m *Mapping) CheckShape(l *workload.Layer) error {
	for i, lv := range m.Levels {
		for _, lp := range lv.Temporal {
			if lp.Factor <= 0 {
				return fmt.Errorf("mapping: level %s: loop %s has factor %d", lv.Name, lp.Dim, lp.Factor)
			}
			if lp.Axis != Temporal {
				return fmt.Errorf("mapping: level %s: temporal loop %s has axis %s", lv.Name, lp.Dim, lp.Axis)
			}
		}
		for _, lp := range lv.Spatial {
			if lp.Factor <= 0 {
				return fmt.Errorf("mapping: level %s: spatial loop %s has factor %d", lv.Name, lp.Dim, lp.Factor)
			}
			if lp.Axis != X && lp.Axis != Y {
				return fmt.Errorf("mapping: level %s: spatial loop %s has no axis", lv.Name, lp.Dim)
			}
		}
		_ = i
	}
	// The product stops once it passes the bound, so that no factors,
	// however large, wrap it around to the bound.
	f := workload.Ones()
	over := [workload.NumDims]bool{}
	for _, lv := range m.Levels {
		for _, loops := range [2][]Loop{lv.Temporal, lv.Spatial} {
			for _, lp := range loops {
				if over[lp.Dim] || f[lp.Dim] > l.Shape[lp.Dim]/lp.Factor {
					over[lp.Dim] = true
					continue
				}
				f[lp.Dim] *= lp.Factor
			}
		}
	}
	for d, v := range f {
		if over[d] {
			return fmt.Errorf("mapping: factors of %s multiply to more than layer %q's %s=%d", workload.Dim(d), l.Name, workload.Dim(d), l.Shape[d])
		}
		if v != l.Shape[d] {
			return fmt.Errorf("mapping: factors of %s multiply to %d, layer %q has %s=%d", workload.Dim(d), v, l.Name, workload.Dim(d), l.Shape[d])
		}
	}
	return nil
}
