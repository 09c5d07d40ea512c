package workload

import (
	"fmt"
	"strings"

	"github.com/nnergy/nnergy/internal/yamlspec"
)

// The types in this file mirror the YAML workload format one to one
// (docs/format/workload.md). Pointers mark optional values.

// FormatVersion is the version of the workload format that Parse reads.
const FormatVersion = 1

type yamlNetwork struct {
	Version *int                     `yaml:"version"`
	Name    string                   `yaml:"name"`
	Input   *[4]int                  `yaml:"input"`
	Bits    *yamlspec.PerTensor[int] `yaml:"bits"`
	Layers  []yamlLayer              `yaml:"layers"`
}

type yamlLayer struct {
	Name string `yaml:"name"`
	Kind string `yaml:"kind"`

	InChannels  *int    `yaml:"in_channels"`
	OutChannels *int    `yaml:"out_channels"`
	Input       *[2]int `yaml:"input"`
	Kernel      *[2]int `yaml:"kernel"`
	Padding     []int   `yaml:"padding"`
	Groups      *int    `yaml:"groups"`
	Batch       *int    `yaml:"batch"`

	Bounds *yamlspec.PerDim[int] `yaml:"bounds"`

	Stride   *[2]int                      `yaml:"stride"`
	Dilation *[2]int                      `yaml:"dilation"`
	Bits     *yamlspec.PerTensor[int]     `yaml:"bits"`
	Density  *yamlspec.PerTensor[float64] `yaml:"density"`
	From     []string                     `yaml:"from"`
}

// Parse reads a network from YAML (the format of docs/format/workload.md):
// strict decoding, validation of the whole file, defaults, then the build
// of each layer with the constructors of this package. file names the input
// in error messages. The error, if any, is a yamlspec.ErrorList holding
// every problem found, each positioned as file:line:col with its key path.
func Parse(file string, data []byte) (*Network, error) {
	var f yamlNetwork
	doc, err := yamlspec.Decode(file, data, &f)
	if err != nil {
		return nil, err
	}
	f.validate(doc)
	if err := doc.Err(); err != nil {
		return nil, err
	}
	f.setDefaults()
	n := f.build(doc)
	if err := doc.Err(); err != nil {
		return nil, err
	}
	if err := n.Validate(); err != nil {
		return nil, fmt.Errorf("workload: %s: internal error: %w", file, err)
	}
	return n, nil
}

// keySet is an optional key of a layer and whether the file gives it.
type keySet struct {
	key string
	set bool
}

// frameworkKeys are the keys of the framework form of a layer.
func (l *yamlLayer) frameworkKeys() []keySet {
	return []keySet{
		{"in_channels", l.InChannels != nil},
		{"out_channels", l.OutChannels != nil},
		{"input", l.Input != nil},
		{"kernel", l.Kernel != nil},
		{"padding", l.Padding != nil},
		{"groups", l.Groups != nil},
		{"batch", l.Batch != nil},
	}
}

func (f *yamlNetwork) validate(d *yamlspec.Doc) {
	d.CheckVersion(f.Version, FormatVersion)
	if f.Name == "" {
		d.Errorf("name", "required")
	}
	if f.Input != nil {
		for i := range f.Input {
			checkPositive(d, yamlspec.Index("input", i), &f.Input[i])
		}
	}
	checkTensorBits(d, "bits", f.Bits)
	if len(f.Layers) == 0 {
		d.Errorf("layers", "required: at least one layer")
	}
	index := map[string]int{}
	for i := range f.Layers {
		if l := &f.Layers[i]; l.Name != "" {
			if _, dup := index[l.Name]; !dup {
				index[l.Name] = i
			}
		}
	}
	var names []string
	for i := range f.Layers {
		names = append(names, f.Layers[i].Name)
	}
	for i := range f.Layers {
		validateLayer(d, &f.Layers[i], i, index, names)
	}
}

func checkTensorBits(d *yamlspec.Doc, path string, b *yamlspec.PerTensor[int]) {
	for _, t := range Tensors {
		d.CheckBits(yamlspec.Join(path, t.String()), b.Get(int(t)))
	}
}

func checkPositive(d *yamlspec.Doc, path string, v *int) {
	switch {
	case v == nil:
	case *v < 1:
		d.Errorf(path, "must be positive, got %d", *v)
	case *v > MaxBound:
		d.Errorf(path, "%d is above the limit of %d (workload.MaxBound, docs/limits.md)", *v, int64(MaxBound))
	}
}

func checkPair(d *yamlspec.Doc, path string, v *[2]int) {
	if v == nil {
		return
	}
	for i := range v {
		checkPositive(d, yamlspec.Index(path, i), &v[i])
	}
}

func validateLayer(d *yamlspec.Doc, l *yamlLayer, i int, index map[string]int, names []string) {
	p := yamlspec.Index("layers", i)
	at := func(key string) string { return yamlspec.Join(p, key) }
	switch j := index[l.Name]; {
	case l.Name == "":
		d.Errorf(at("name"), "required")
	case j != i:
		d.Errorf(at("name"), "duplicate layer name %q (also layers[%d])", l.Name, j)
	}
	kind, kindOK := Conv, false
	switch k, err := ParseKind(l.Kind); {
	case l.Kind == "":
		d.Errorf(at("kind"), "required (one of %s)", strings.Join(kindNames.List(), ", "))
	case err != nil:
		hint := "one of " + strings.Join(kindNames.List(), ", ")
		if c := yamlspec.Closest(l.Kind, kindNames.List()); c != "" {
			hint = "did you mean " + c + "?"
		}
		d.Errorf(at("kind"), "unknown layer kind %q (%s)", l.Kind, hint)
	default:
		kind, kindOK = k, true
	}

	checkPair(d, at("stride"), l.Stride)
	checkPair(d, at("dilation"), l.Dilation)
	checkTensorBits(d, at("bits"), l.Bits)
	for _, t := range Tensors {
		if v := l.Density.Get(int(t)); v != nil && (*v <= 0 || *v > 1) {
			d.Errorf(yamlspec.Join(at("density"), t.String()), "must be in (0, 1], got %g", *v)
		}
	}
	for k, from := range l.From {
		fp := yamlspec.Index(at("from"), k)
		switch j, ok := index[from]; {
		case !ok:
			hint := ""
			if c := yamlspec.Closest(from, names); c != "" {
				hint = fmt.Sprintf(" (did you mean %s?)", c)
			}
			d.Errorf(fp, "no layer named %q%s", from, hint)
		case j >= i:
			d.Errorf(fp, "layer %q is not an earlier layer (list layers in order)", from)
		}
	}

	if l.Bounds != nil {
		for _, fk := range l.frameworkKeys() {
			if fk.set {
				d.Errorf(at(fk.key), "not allowed with bounds (give a layer either bounds or framework parameters)")
			}
		}
		for _, dim := range Dims {
			checkPositive(d, yamlspec.Join(at("bounds"), dim.String()), l.Bounds.Get(int(dim)))
		}
		return
	}
	if !kindOK {
		return
	}
	switch kind {
	case GEMM, MatMul:
		d.Errorf(p, "%s layers need bounds", kind)
		return
	case FC:
		for _, k := range []keySet{
			{"input", l.Input != nil}, {"kernel", l.Kernel != nil}, {"padding", l.Padding != nil},
			{"groups", l.Groups != nil}, {"stride", l.Stride != nil}, {"dilation", l.Dilation != nil},
		} {
			if k.set {
				d.Errorf(at(k.key), "not used by fc layers (give in_channels, out_channels and batch)")
			}
		}
	}
	if l.InChannels == nil {
		d.Errorf(at("in_channels"), "required (or give bounds)")
	}
	if l.OutChannels == nil && kind != Depthwise {
		d.Errorf(at("out_channels"), "required (or give bounds)")
	}
	checkPositive(d, at("in_channels"), l.InChannels)
	checkPositive(d, at("out_channels"), l.OutChannels)
	checkPositive(d, at("groups"), l.Groups)
	checkPositive(d, at("batch"), l.Batch)
	if kind == FC {
		return
	}
	if l.Input == nil {
		d.Errorf(at("input"), "required: [height, width] (or give bounds)")
	}
	checkPair(d, at("input"), l.Input)
	switch {
	case l.Kernel == nil && kind != Pointwise:
		d.Errorf(at("kernel"), "required: [height, width] (or give bounds)")
	case l.Kernel != nil && kind == Pointwise && *l.Kernel != [2]int{1, 1}:
		d.Errorf(at("kernel"), "a pointwise layer has a 1x1 kernel, got %dx%d", l.Kernel[0], l.Kernel[1])
	}
	checkPair(d, at("kernel"), l.Kernel)
	switch len(l.Padding) {
	case 0, 2, 4:
		for k, v := range l.Padding {
			switch {
			case v < 0:
				d.Errorf(yamlspec.Index(at("padding"), k), "must not be negative, got %d", v)
			case v > MaxBound:
				d.Errorf(yamlspec.Index(at("padding"), k), "%d is above the limit of %d (workload.MaxBound, docs/limits.md)", v, int64(MaxBound))
			}
		}
	default:
		d.Errorf(at("padding"), "want [rows, columns] or [top, bottom, left, right], got %d values", len(l.Padding))
	}
	if l.InChannels != nil && l.OutChannels != nil && l.Groups != nil && *l.InChannels > 0 && *l.OutChannels > 0 && *l.Groups > 0 {
		if g := *l.Groups; *l.InChannels%g != 0 || *l.OutChannels%g != 0 {
			d.Errorf(at("groups"), "%d input and %d output channels are not divisible by %d groups", *l.InChannels, *l.OutChannels, g)
		}
	}
	if kind == Depthwise && l.Groups != nil && l.InChannels != nil && *l.Groups != *l.InChannels {
		d.Errorf(at("groups"), "a depthwise layer has one group per input channel (%d), got %d", *l.InChannels, *l.Groups)
	}
}

// setDefaults fills in the optional values of a validated file.
func (f *yamlNetwork) setDefaults() {
	batch := 1
	if f.Input != nil {
		batch = f.Input[0]
	}
	for i := range f.Layers {
		l := &f.Layers[i]
		kind, _ := ParseKind(l.Kind)
		l.Stride = orPair(l.Stride)
		l.Dilation = orPair(l.Dilation)
		l.Bits = &yamlspec.PerTensor[int]{
			Weights: orInt(16, l.Bits.Get(int(Weights)), f.Bits.Get(int(Weights))),
			Inputs:  orInt(16, l.Bits.Get(int(Inputs)), f.Bits.Get(int(Inputs))),
			Outputs: orInt(16, l.Bits.Get(int(Outputs)), f.Bits.Get(int(Outputs))),
		}
		l.Density = &yamlspec.PerTensor[float64]{
			Weights: orFloat(1, l.Density.Get(int(Weights))),
			Inputs:  orFloat(1, l.Density.Get(int(Inputs))),
			Outputs: orFloat(1, l.Density.Get(int(Outputs))),
		}
		if b := l.Bounds; b != nil {
			b.N, b.G, b.M, b.C = orInt(1, b.N), orInt(1, b.G), orInt(1, b.M), orInt(1, b.C)
			b.P, b.Q, b.R, b.S = orInt(1, b.P), orInt(1, b.Q), orInt(1, b.R), orInt(1, b.S)
			continue
		}
		l.Batch = orInt(batch, l.Batch)
		if kind == Depthwise {
			l.OutChannels = orInt(0, l.OutChannels, l.InChannels)
			l.Groups = orInt(0, l.Groups, l.InChannels)
		}
		l.Groups = orInt(1, l.Groups)
		if kind == Pointwise {
			l.Kernel = orPair(l.Kernel)
		}
		switch len(l.Padding) {
		case 0:
			l.Padding = []int{0, 0, 0, 0}
		case 2:
			l.Padding = []int{l.Padding[0], l.Padding[0], l.Padding[1], l.Padding[1]}
		}
	}
}

// orInt returns the first non-nil of ps, or a pointer to def.
func orInt(def int, ps ...*int) *int {
	for _, p := range ps {
		if p != nil {
			return p
		}
	}
	return &def
}

func orFloat(def float64, p *float64) *float64 {
	if p != nil {
		return p
	}
	return &def
}

// orPair returns p, or [1, 1] when p is nil.
func orPair(p *[2]int) *[2]int {
	if p != nil {
		return p
	}
	return &[2]int{1, 1}
}

// build constructs the network; constructor errors (a kernel larger than
// its padded input, say) are reported at the layer.
func (f *yamlNetwork) build(d *yamlspec.Doc) *Network {
	n := &Network{Name: f.Name}
	if f.Input != nil {
		n.Input = *f.Input
	}
	var macs int64
	for i := range f.Layers {
		yl := &f.Layers[i]
		p := yamlspec.Index("layers", i)
		kind, _ := ParseKind(yl.Kind)
		var l *Layer
		var err error
		if yl.Bounds != nil {
			var shape Shape
			for _, dim := range Dims {
				shape[dim] = *yl.Bounds.Get(int(dim))
			}
			l, err = NewLayer(yl.Name, kind, shape, *yl.Stride, *yl.Dilation)
		} else if kind == FC {
			l, err = NewFC(yl.Name, *yl.Batch, *yl.InChannels, *yl.OutChannels)
		} else {
			l, err = NewConv(ConvSpec{
				Name: yl.Name, Batch: *yl.Batch,
				InC: *yl.InChannels, OutC: *yl.OutChannels,
				InH: yl.Input[0], InW: yl.Input[1],
				KH: yl.Kernel[0], KW: yl.Kernel[1],
				StrideH: yl.Stride[0], StrideW: yl.Stride[1],
				PadT: yl.Padding[0], PadB: yl.Padding[1], PadL: yl.Padding[2], PadR: yl.Padding[3],
				DilationH: yl.Dilation[0], DilW: yl.Dilation[1],
				Groups: *yl.Groups,
			})
		}
		if err != nil {
			msg := err.Error()
			if _, rest, ok := strings.Cut(msg, fmt.Sprintf("layer %q: ", yl.Name)); ok {
				msg = rest
			}
			d.Errorf(p, "%s", msg)
			continue
		}
		l.Kind = kind
		for _, t := range Tensors {
			l.Bits[t] = *yl.Bits.Get(int(t))
			l.Density[t] = *yl.Density.Get(int(t))
		}
		l.From = append([]string(nil), yl.From...)
		if macs += l.MACs(); macs > MaxMACs {
			d.Errorf(p, "the network has more than %d MACs up to this layer (workload.MaxMACs, docs/limits.md)", int64(MaxMACs))
			break
		}
		n.Layers = append(n.Layers, l)
	}
	return n
}
