package timeloop

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/nnergy/nnergy/internal/yamlspec"
	"github.com/nnergy/nnergy/workload"
)

// problem is a CNN layer: the bounds of nnergy's dimensions and the
// sliding window's strides and dilations.
type problem struct {
	name      string
	bounds    map[string]int
	dims      []string // in the shape's order
	stride    [2]int
	dilation  [2]int
	densities map[string]float64
}

// term is one term of a projection: a dimension times a coefficient.
type term struct {
	dim  string
	coef int
}

// problem reads the shape and instance and checks that the shape is the
// convolution nnergy's workloads describe.
func (im *importer) problem(pf *file) *problem {
	p := &problem{bounds: map[string]int{}, densities: map[string]float64{}}
	s := pf.f.Problem.Shape
	if s == nil {
		im.errPath(pf, "problem", "missing shape")
		return p
	}
	p.name = s.Name
	if p.name == "" {
		p.name = "layer"
	}
	inst := pf.f.Problem.Instance
	if inst == nil || inst.Kind != yaml.MappingNode {
		im.errPath(pf, "problem", "missing instance")
		return p
	}
	coefs := map[string]int{}
	for _, c := range s.Coefficients {
		if c.Default != nil {
			coefs[c.Name] = *c.Default
		}
	}
	isDim := map[string]bool{}
	for i, dn := range s.Dimensions {
		if _, err := workload.ParseDim(dn); err != nil {
			im.errPath(pf, yamlspec.Index("problem.shape.dimensions", i), "dimension %q has no nnergy counterpart (want N, G, M, C, P, Q, R or S)", dn)
			continue
		}
		isDim[dn] = true
		p.dims = append(p.dims, dn)
	}
	for i := 0; i+1 < len(inst.Content); i += 2 {
		k, v := inst.Content[i], inst.Content[i+1]
		path := "problem.instance." + k.Value
		switch {
		case k.Value == "densities":
			im.densities(pf, p, v)
		case isDim[k.Value]:
			n, err := strconv.Atoi(v.Value)
			if err != nil || n < 1 {
				im.errAt(pf.name, v, path, "want a positive whole number, got %q", v.Value)
				continue
			}
			p.bounds[k.Value] = n
		default:
			if _, ok := coefs[k.Value]; ok {
				n, err := strconv.Atoi(v.Value)
				if err != nil || n < 1 {
					im.errAt(pf.name, v, path, "want a positive whole number, got %q", v.Value)
					continue
				}
				coefs[k.Value] = n
				continue
			}
			im.note(where(pf.name, k), k.Value+": "+v.Value, "not a dimension or coefficient of the shape: Timeloop's model does not use it either")
		}
	}
	for _, dn := range p.dims {
		if _, ok := p.bounds[dn]; !ok {
			im.errPath(pf, "problem.instance", "missing the bound of dimension %s", dn)
		}
	}
	spaces := map[string][][]term{}
	for i := range s.DataSpaces {
		ds := &s.DataSpaces[i]
		path := yamlspec.Index("problem.shape.data_spaces", i)
		if _, err := workload.ParseTensor(ds.Name); err != nil {
			im.errPath(pf, path+".name", "data space %q has no nnergy counterpart (want Weights, Inputs, Outputs)", ds.Name)
			continue
		}
		spaces[ds.Name] = im.projection(pf, ds.Projection, path+".projection", coefs)
	}
	im.conv(pf, p, spaces)
	return p
}

func (im *importer) densities(pf *file, p *problem, v *yaml.Node) {
	if v.Kind != yaml.MappingNode {
		im.errAt(pf.name, v, "problem.instance.densities", "want a mapping of data space to density")
		return
	}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, x := v.Content[i], v.Content[i+1]
		f, err := strconv.ParseFloat(x.Value, 64)
		if x.Kind != yaml.ScalarNode || err != nil || f <= 0 || f > 1 {
			im.note(where(pf.name, x), "density of "+k.Value, "only a fixed density in (0, 1] is carried over (no distributions)")
			continue
		}
		p.densities[k.Value] = f
	}
}

// projection reads a projection: per tensor axis, a sum of terms, each
// [dim] or [dim, coefficient name].
func (im *importer) projection(pf *file, n *yaml.Node, path string, coefs map[string]int) [][]term {
	if n == nil || n.Kind != yaml.SequenceNode {
		im.errAt(pf.name, n, path, "want a sequence of axes, each a sequence of [dimension] or [dimension, coefficient] terms")
		return nil
	}
	var axes [][]term
	for _, ax := range n.Content {
		if ax.Kind != yaml.SequenceNode {
			im.errAt(pf.name, ax, path, "want a sequence of terms")
			return nil
		}
		var ts []term
		for _, t := range ax.Content {
			if t.Kind != yaml.SequenceNode || len(t.Content) < 1 || len(t.Content) > 2 {
				im.errAt(pf.name, t, path, "want a term [dimension] or [dimension, coefficient]")
				return nil
			}
			tm := term{dim: t.Content[0].Value, coef: 1}
			if len(t.Content) == 2 {
				c, ok := coefs[t.Content[1].Value]
				if !ok {
					im.errAt(pf.name, t.Content[1], path, "unknown coefficient %q", t.Content[1].Value)
					return nil
				}
				tm.coef = c
			}
			ts = append(ts, tm)
		}
		axes = append(axes, ts)
	}
	return axes
}

// conv checks that the projections are a convolution's and takes its
// strides and dilations: Weights[..C, M, R, S], Outputs[..N, M, P, Q],
// Inputs[..N, C, R·d + P·s, S·d + Q·s] in any axis order.
func (im *importer) conv(pf *file, p *problem, spaces map[string][][]term) {
	plain := func(name string, want ...string) {
		axes, ok := spaces[name]
		if !ok {
			im.errPath(pf, "problem.shape.data_spaces", "missing data space %s", name)
			return
		}
		got := map[string]bool{}
		for _, ax := range axes {
			if len(ax) != 1 || ax[0].coef != 1 {
				im.errPath(pf, "problem.shape.data_spaces", "%s: an axis that is not one dimension: nnergy's %s are indexed by %s", name, name, strings.Join(want, ", "))
				return
			}
			got[ax[0].dim] = true
		}
		for d := range got {
			if !slices.Contains(want, d) && p.bounds[d] > 1 {
				im.errPath(pf, "problem.shape.data_spaces", "%s is indexed by %s: nnergy's %s are indexed by %s", name, d, name, strings.Join(want, ", "))
			}
		}
	}
	plain("Weights", "G", "C", "M", "R", "S")
	plain("Outputs", "N", "G", "M", "P", "Q")
	p.stride, p.dilation = [2]int{1, 1}, [2]int{1, 1}
	axes, ok := spaces["Inputs"]
	if !ok {
		im.errPath(pf, "problem.shape.data_spaces", "missing data space Inputs")
		return
	}
	for _, ax := range axes {
		if len(ax) == 1 && ax[0].coef == 1 {
			continue
		}
		co := map[string]int{}
		for _, t := range ax {
			co[t.dim] = t.coef
		}
		switch {
		case len(ax) == 2 && co["P"] > 0 && co["R"] > 0:
			p.stride[0], p.dilation[0] = co["P"], co["R"]
		case len(ax) == 2 && co["Q"] > 0 && co["S"] > 0:
			p.stride[1], p.dilation[1] = co["Q"], co["S"]
		default:
			im.errPath(pf, "problem.shape.data_spaces", "Inputs: an axis that is neither P·stride + R·dilation nor Q·stride + S·dilation")
		}
	}
}

// yaml writes the problem as an nnergy workload of one layer.
func (p *problem) yaml(bits int) []byte {
	var b bytes.Buffer
	b.WriteString("# Imported from a Timeloop problem by nnergy import timeloop.\n")
	fmt.Fprintf(&b, "version: 1\nname: %s\n", strconv.Quote(p.name))
	if bits > 0 { // the architecture's; without one, the workload's default
		fmt.Fprintf(&b, "bits: {Weights: %d, Inputs: %d, Outputs: %d}\n", bits, bits, bits)
	}
	b.WriteString("layers:\n")
	fmt.Fprintf(&b, "  - name: %s\n    kind: conv\n    bounds: {", strconv.Quote(p.name))
	for i, d := range p.dims {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s: %d", d, p.bounds[d])
	}
	b.WriteString("}\n")
	fmt.Fprintf(&b, "    stride: [%d, %d]\n    dilation: [%d, %d]\n", p.stride[0], p.stride[1], p.dilation[0], p.dilation[1])
	if len(p.densities) > 0 {
		b.WriteString("    density: {")
		first := true
		for _, t := range []string{"Weights", "Inputs", "Outputs"} {
			if v, ok := p.densities[t]; ok {
				if !first {
					b.WriteString(", ")
				}
				fmt.Fprintf(&b, "%s: %s", t, num(v))
				first = false
			}
		}
		b.WriteString("}\n")
	}
	return b.Bytes()
}
