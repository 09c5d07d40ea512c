package mapspace

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/nnergy/nnergy/internal/yamlspec"
	"github.com/nnergy/nnergy/mapping"
	"github.com/nnergy/nnergy/workload"
)

// FormatVersion is the version of the constraints file format.
const FormatVersion = 1

type constraintsYAML struct {
	Version        int         `yaml:"version"`
	Name           string      `yaml:"name"`
	MinUtilization *float64    `yaml:"min_utilization"`
	Levels         []levelYAML `yaml:"levels"`
}

type levelYAML struct {
	Name     string                   `yaml:"name"`
	Temporal *[]string                `yaml:"temporal"`
	SpatialX *[]string                `yaml:"spatial_x"`
	SpatialY *[]string                `yaml:"spatial_y"`
	Factors  *yamlspec.PerDim[int]    `yaml:"factors"`
	Spatial  *yamlspec.PerDim[string] `yaml:"spatial"`
	Order    []string                 `yaml:"order"`
	Keep     *[]string                `yaml:"keep"`
}

// ParseConstraints reads constraints in the YAML format of
// docs/format/constraints.md. Every problem is reported with its position
// (file:line:col: path: message). Level names are checked against an
// architecture when the constraints are used (New).
func ParseConstraints(file string, data []byte) (Constraints, error) {
	var f constraintsYAML
	doc, err := yamlspec.Decode(file, data, &f)
	if err != nil {
		return Constraints{}, err
	}
	c := Constraints{Name: f.Name, Levels: map[string]Rule{}, Where: map[string]string{}}
	if f.Version != FormatVersion {
		doc.Errorf("version", "want %d, got %d", FormatVersion, f.Version)
	}
	if mu := f.MinUtilization; mu != nil {
		if *mu < 0 || *mu > 1 {
			doc.Errorf("min_utilization", "must be between 0 and 1, got %g", *mu)
		}
		c.MinUtilization = *mu
	}
	dims := func(path string, names []string) []workload.Dim {
		out := []workload.Dim{}
		for i, n := range names {
			d, err := workload.ParseDim(n)
			if err != nil {
				doc.Errorf(yamlspec.Index(path, i), "unknown dimension %q (want N, G, M, C, P, Q, R or S)", n)
				continue
			}
			if slices.Contains(out, d) {
				doc.Errorf(yamlspec.Index(path, i), "%s listed twice", d)
				continue
			}
			out = append(out, d)
		}
		return out
	}
	for i, lv := range f.Levels {
		p := yamlspec.Index("levels", i)
		at := func(k string) string { return yamlspec.Join(p, k) }
		if lv.Name == "" {
			doc.Errorf(at("name"), "missing")
		}
		if _, dup := c.Levels[lv.Name]; dup {
			doc.Errorf(at("name"), "level %q constrained twice", lv.Name)
		}
		var r Rule
		if lv.Temporal != nil {
			r.Temporal = dims(at("temporal"), *lv.Temporal)
		}
		if lv.SpatialX != nil {
			r.X = dims(at("spatial_x"), *lv.SpatialX)
		}
		if lv.SpatialY != nil {
			r.Y = dims(at("spatial_y"), *lv.SpatialY)
		}
		if len(lv.Order) > 0 {
			r.Order = dims(at("order"), lv.Order)
		}
		if lv.Factors != nil {
			r.Factors = map[workload.Dim]int{}
			for d := range workload.NumDims {
				v := lv.Factors.Get(int(d))
				if v == nil {
					continue
				}
				if *v < 1 {
					doc.Errorf(yamlspec.Join(at("factors"), workload.Dim(d).String()), "must be at least 1, got %d", *v)
					continue
				}
				r.Factors[workload.Dim(d)] = *v
			}
		}
		if lv.Spatial != nil {
			r.Spatial = map[workload.Dim]mapping.Axis{}
			for d := range workload.NumDims {
				v := lv.Spatial.Get(int(d))
				if v == nil {
					continue
				}
				switch strings.ToLower(*v) {
				case "x":
					r.Spatial[workload.Dim(d)] = mapping.X
				case "y":
					r.Spatial[workload.Dim(d)] = mapping.Y
				default:
					doc.Errorf(yamlspec.Join(at("spatial"), workload.Dim(d).String()), "axis %q, want x or y", *v)
				}
			}
		}
		if lv.Keep != nil {
			var k [workload.NumTensors]bool
			for j, n := range *lv.Keep {
				t, err := workload.ParseTensor(n)
				if err != nil {
					doc.Errorf(yamlspec.Index(at("keep"), j), "unknown tensor %q (want Weights, Inputs or Outputs)", n)
					continue
				}
				k[t] = true
			}
			r.Keep = &k
		}
		c.Levels[lv.Name] = r
		if pos := doc.Pos(at("name")); pos.IsValid() {
			c.Where[lv.Name] = pos.String()
		}
	}
	if err := doc.Err(); err != nil {
		return Constraints{}, err
	}
	return c, nil
}

// Merge returns base with the rules of over laid on top: per level, every
// field over sets replaces base's; over's name and minimum utilization win
// when set.
func Merge(base, over Constraints) Constraints {
	out := Constraints{Name: base.Name, MinUtilization: base.MinUtilization, Levels: maps.Clone(base.Levels), Where: maps.Clone(base.Where)}
	if out.Levels == nil {
		out.Levels = map[string]Rule{}
	}
	if len(over.Where) > 0 && out.Where == nil {
		out.Where = map[string]string{}
	}
	maps.Copy(out.Where, over.Where)
	if over.Name != "" {
		if out.Name != "" {
			out.Name += "+" + over.Name
		} else {
			out.Name = over.Name
		}
	}
	if over.MinUtilization > 0 {
		out.MinUtilization = over.MinUtilization
	}
	for name, o := range over.Levels {
		r := out.Levels[name]
		if o.Temporal != nil {
			r.Temporal = o.Temporal
		}
		if o.X != nil {
			r.X = o.X
		}
		if o.Y != nil {
			r.Y = o.Y
		}
		if o.Factors != nil {
			r.Factors = o.Factors
		}
		if o.Spatial != nil {
			r.Spatial = o.Spatial
		}
		if o.Order != nil {
			r.Order = o.Order
		}
		if o.Keep != nil {
			r.Keep = o.Keep
		}
		out.Levels[name] = r
	}
	return out
}

// String describes the constraints in one line.
func (c Constraints) String() string {
	if c.Name != "" {
		return c.Name
	}
	if len(c.Levels) == 0 && c.MinUtilization == 0 {
		return "none"
	}
	return fmt.Sprintf("%d level rules", len(c.Levels))
}

// ConstraintKeys returns a value of the decoded form of a constraints
// file, for documentation tests (yamlspec.Keys).
func ConstraintKeys() any { return &constraintsYAML{} }
