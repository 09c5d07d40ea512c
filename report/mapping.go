package report

import (
	"github.com/nnergy/nnergy/mapping"
)

// Mapping is a mapping as its loop-nest text (mapping.Format, which
// mapping.Parse reads back) and as structured loops.
type Mapping struct {
	Text   string         `json:"text"`
	Levels []MappingLevel `json:"levels"`
}

// MappingLevel is the part of a mapping at one storage level. Loops of
// factor 1 are left out, as in the text.
type MappingLevel struct {
	Name string `json:"name"`
	// Keep lists the tensors the level holds (weights, inputs, outputs).
	Keep []string `json:"keep"`
	// Temporal loops, outermost first.
	Temporal []Loop `json:"temporal"`
	// Spatial loops fan out to the next inner level's instances (or the MAC
	// units below the innermost level).
	Spatial []SpatialLoop `json:"spatial"`
}

// Loop is a temporal loop: dimension Dim (N, G, M, C, P, Q, R, S) iterated
// Factor times.
type Loop struct {
	Dim    string `json:"dim"`
	Factor int    `json:"factor"`
}

// SpatialLoop is a loop across the x or y axis of the child mesh.
type SpatialLoop struct {
	Dim    string `json:"dim"`
	Factor int    `json:"factor"`
	Axis   string `json:"axis"`
}

// NewMapping returns the report form of mp.
func NewMapping(mp *mapping.Mapping) *Mapping {
	out := &Mapping{Text: mp.Format(), Levels: []MappingLevel{}}
	for _, l := range mp.Levels {
		ml := MappingLevel{Name: l.Name, Keep: tensorIDs(l.Keep), Temporal: []Loop{}, Spatial: []SpatialLoop{}}
		for _, lp := range l.Temporal {
			if lp.Factor != 1 {
				ml.Temporal = append(ml.Temporal, Loop{Dim: lp.Dim.String(), Factor: lp.Factor})
			}
		}
		for _, lp := range l.Spatial {
			if lp.Factor != 1 {
				ml.Spatial = append(ml.Spatial, SpatialLoop{Dim: lp.Dim.String(), Factor: lp.Factor, Axis: lp.Axis.String()})
			}
		}
		out.Levels = append(out.Levels, ml)
	}
	return out
}
