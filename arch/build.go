package arch

import (
	"strings"

	"github.com/nnergy/nnergy/arch/tech"
	"github.com/nnergy/nnergy/internal/yamlspec"
	"github.com/nnergy/nnergy/sparse"
	"github.com/nnergy/nnergy/workload"
)

// DefaultWordBits is the word width of levels and MACs that give none.
const DefaultWordBits = 16

// setDefaults fills in every optional value of a validated file; build
// relies on them being set. The one default it does not set is in
// resolveActions, because it applies to resolved energies: an action that
// nothing gives costs the same as the one before it (write as read, update
// as write).
func setDefaults(f *fileYAML) {
	if f.WordBits == nil {
		f.WordBits = ptr(DefaultWordBits)
	}
	for i := range f.Levels {
		l := &f.Levels[i]
		if l.Keeps == nil {
			l.Keeps = tensorNames()
		}
		if l.SizeWords == nil {
			l.SizeWords = ptr[int64](0)
		}
		if l.WordBits == nil {
			l.WordBits = ptr(*f.WordBits)
		}
		if l.Mesh == nil {
			l.Mesh = &[2]int{1, 1}
		}
		if l.BandwidthWords == nil {
			l.BandwidthWords = ptr(0.0)
		}
	}
	c := f.Compute
	if c.Mesh == nil {
		c.Mesh = &[2]int{1, 1}
	}
	if c.Bits == nil {
		c.Bits = ptr(*f.WordBits)
	}
}

func ptr[T any](v T) *T { return &v }

// builder resolves energies while building a Spec, reporting technology
// table errors (a class that cannot serve a level) at their paths.
type builder struct {
	d     *yamlspec.Doc
	table *tech.Table
	macPJ float64
}

// techCost is techEnergy for the area and leakage of one instance.
func (b *builder) techCost(path, class string, a tech.Access) tech.Cost {
	c, err := b.table.Cost(class, a)
	if err != nil {
		b.d.Errorf(path, "%s", strings.TrimPrefix(err.Error(), "tech: "))
		return tech.Cost{}
	}
	if c.AreaUM2 > MaxAreaUM2 || c.LeakageWatts > MaxLeakageWatts {
		b.d.Errorf(path, "class %s at %d bytes comes to %g µm² and %g W per instance, more than %g µm² (arch.MaxAreaUM2) or %g W (arch.MaxLeakageWatts)",
			class, a.SizeBytes, c.AreaUM2, c.LeakageWatts, float64(MaxAreaUM2), float64(MaxLeakageWatts))
	}
	return c
}

// override returns the area and leakage of c, each replaced by the value
// the file gives, if any.
func override(c tech.Cost, area, leakage *float64) (float64, float64) {
	if area != nil {
		c.AreaUM2 = *area
	}
	if leakage != nil {
		c.LeakageWatts = *leakage
	}
	return c.AreaUM2, c.LeakageWatts
}

// levelCost returns the area and leakage of one instance of level l: one
// memory per partition, and one for the words the tensors without a
// partition share, each priced by the technology class that gives its
// tensor's energy (the level's, or the tensor's override; the first sharing
// tensor's for the shared words). A memory without a class (energies in pJ)
// or without a bound (size_words 0) costs nothing.
func (b *builder) levelCost(l *Level, ly *levelYAML, path string) tech.Cost {
	var c tech.Cost
	if b.table == nil {
		return c
	}
	var parts int64
	shared, sharing := "", false
	for _, t := range workload.Tensors {
		if !l.Keeps[t] {
			continue
		}
		class, cp := ly.Energy.Tech, yamlspec.Join(path, "energy.tech")
		if o := ly.Energy.tensor(t); o != nil && o.Tech != "" {
			class, cp = o.Tech, yamlspec.Join(yamlspec.Join(path, "energy"), t.String()+".tech")
		}
		if p := l.Partition[t]; p > 0 {
			parts += p
			c = c.Add(b.memoryCost(cp, class, p, l.WordBits))
			continue
		}
		if !sharing {
			shared, sharing = class, true
		}
	}
	if sharing && l.SizeWords > 0 {
		c = c.Add(b.memoryCost(yamlspec.Join(path, "energy.tech"), shared, l.SizeWords-parts, l.WordBits))
	}
	return c
}

// memoryCost returns the cost of a memory of words words of bits bits of
// class (nothing without a class).
func (b *builder) memoryCost(path, class string, words int64, bits int) tech.Cost {
	if class == "" {
		return tech.Cost{}
	}
	return b.techCost(path, class, tech.Access{WordBits: bits, SizeBytes: (words*int64(bits) + 7) / 8})
}

func (b *builder) techEnergy(path, class string, a tech.Access) float64 {
	e, err := b.table.Energy(class, a)
	if err != nil {
		b.d.Errorf(path, "%s", strings.TrimPrefix(err.Error(), "tech: "))
		return 0
	}
	if e > MaxEnergyPJ {
		b.d.Errorf(path, "class %s at %d bytes comes to %g pJ an access, more than %g (arch.MaxEnergyPJ)", class, a.SizeBytes, e, float64(MaxEnergyPJ))
	}
	return e
}

// macs resolves an energy given as a multiple of the MAC energy, bounded
// by MaxEnergyPJ at path.
func (b *builder) macs(path string, m float64) float64 {
	e := m * b.macPJ
	if e > MaxEnergyPJ {
		b.d.Errorf(path, "%g MAC energies of %g pJ come to %g pJ, more than %g (arch.MaxEnergyPJ)", m, b.macPJ, e, float64(MaxEnergyPJ))
	}
	return e
}

// build turns a validated file with defaults into a Spec.
func (f *fileYAML) build(d *yamlspec.Doc) *Spec {
	b := &builder{d: d}
	if f.Tech != "" {
		b.table, _ = tech.Lookup(f.Tech) // validated
	}
	c := f.Compute
	s := &Spec{
		Name:        f.Name,
		Description: f.Description,
		ClockHz:     *f.ClockMHz * 1e6,
		Levels:      make([]Level, len(f.Levels)),
		Compute:     Compute{MeshX: c.Mesh[0], MeshY: c.Mesh[1], Bits: *c.Bits, GateOn: tensorSet(c.GateOn), SkipOn: tensorSet(c.SkipOn)},
		GateUnused:  f.GateUnused,
		Conventions: decodeConventions(d, f.Conventions),
	}
	var mac tech.Cost
	if c.Tech != "" {
		s.Compute.EnergyPJ = b.techEnergy("compute.tech", c.Tech, tech.Access{WordBits: *c.Bits})
		mac = b.techCost("compute.tech", c.Tech, tech.Access{WordBits: *c.Bits})
	} else {
		s.Compute.EnergyPJ = *c.MACPJ
	}
	s.Compute.AreaUM2, s.Compute.LeakageWatts = override(mac, c.AreaUM2, c.LeakageWatts)
	if c.LeakagePJ != nil {
		// Given per cycle: it replaces the table's leakage.
		s.Compute.LeakageWatts, s.Compute.LeakagePJ = 0, *c.LeakagePJ
	}
	b.macPJ = s.Compute.EnergyPJ
	for _, t := range workload.Tensors {
		if v := f.DataBits.Get(int(t)); v != nil {
			s.DataBits[t] = *v
		}
	}
	for i := range f.Levels {
		s.Levels[i] = b.level(&f.Levels[i], yamlspec.Index("levels", i))
	}
	return s
}

func (b *builder) level(ly *levelYAML, path string) Level {
	l := Level{
		Name:           ly.Name,
		SizeWords:      *ly.SizeWords,
		WordBits:       *ly.WordBits,
		MeshX:          ly.Mesh[0],
		MeshY:          ly.Mesh[1],
		BandwidthWords: *ly.BandwidthWords,
	}
	if ly.ReadBandwidth != nil {
		l.ReadBandwidthWords = *ly.ReadBandwidth
	}
	if ly.WriteBandwidth != nil {
		l.WriteBandwidthWords = *ly.WriteBandwidth
	}
	if ly.ClusterSize != nil {
		l.ClusterSize = *ly.ClusterSize
	}
	for _, t := range workload.Tensors {
		if b := ly.DataBits.Get(int(t)); b != nil {
			l.DataBits[t] = *b
		}
	}
	for _, name := range ly.Keeps {
		t, _, _ := parseTensor(name) // validated
		l.Keeps[t] = true
	}
	for _, t := range workload.Tensors {
		if n := ly.Format.Get(int(t)); n != nil {
			f, err := sparse.ParseFormat(*n, l.WordBits)
			if err != nil {
				// The name is valid (validate); the level's word width is not.
				b.d.Errorf(yamlspec.Join(yamlspec.Join(path, "format"), t.String()), "%s", strings.TrimPrefix(err.Error(), "sparse: "))
				continue
			}
			l.Format[t] = f
		}
	}
	l.GateOn, l.SkipOn = tensorSet(ly.GateOn), tensorSet(ly.SkipOn)
	for _, t := range workload.Tensors {
		if n := ly.PartitionWords.Get(int(t)); n != nil {
			l.Partition[t] = *n
		}
	}
	ep := yamlspec.Join(path, "energy")
	for _, t := range workload.Tensors {
		if l.Keeps[t] {
			l.Energy[t] = b.resolveActions(&l, t, ep, &ly.Energy.actionsYAML, ly.Energy.tensor(t))
		}
	}
	l.AreaUM2, l.LeakageWatts = override(b.levelCost(&l, ly, path), ly.AreaUM2, ly.LeakageWatts)
	if ly.LeakagePJ != nil {
		// Given per cycle: it replaces the table's leakage.
		l.LeakageWatts, l.LeakagePJ = 0, *ly.LeakagePJ
	}
	if l.AreaUM2 > MaxAreaUM2 || l.LeakageWatts > MaxLeakageWatts {
		// Each memory within the bounds, their sum past them.
		b.d.Errorf(yamlspec.Join(path, "size_words"), "the level's memories come to %g µm² and %g W per instance, more than %g µm² (arch.MaxAreaUM2) or %g W (arch.MaxLeakageWatts)",
			l.AreaUM2, l.LeakageWatts, float64(MaxAreaUM2), float64(MaxLeakageWatts))
	}
	if n := ly.Network; n != nil {
		np := yamlspec.Join(path, "network")
		l.Network = Network{Name: n.Name, Multicast: n.Multicast, Reduction: n.Reduction}
		for _, t := range workload.Tensors {
			if bw := n.Bandwidth.Get(int(t)); bw != nil {
				l.Network.BandwidthWords[t] = *bw
			}
		}
		switch {
		case n.Tech != "":
			l.Network.WordPJ = b.techEnergy(yamlspec.Join(np, "tech"), n.Tech, tech.Access{WordBits: l.WordBits})
		case n.WordPJ != nil:
			l.Network.WordPJ = *n.WordPJ
		case n.WordMAC != nil:
			l.Network.WordPJ = b.macs(yamlspec.Join(np, "word_mac"), *n.WordMAC)
		}
		switch {
		case n.ReducePJ != nil:
			l.Network.ReducePJ = *n.ReducePJ
		case n.ReduceMAC != nil:
			l.Network.ReducePJ = b.macs(yamlspec.Join(np, "reduce_mac"), *n.ReduceMAC)
		}
	}
	return l
}

// resolveActions returns the energies of tensor t at level l. Sources apply
// in increasing precedence: the level's tech class, its read/write/update
// values, the tensor's tech class, the tensor's values. An action that no
// source gives costs the same as the action before it.
func (b *builder) resolveActions(l *Level, t workload.Tensor, path string, base, over *actionsYAML) Actions {
	var val [numActions]float64
	var set [numActions]bool
	words, _ := l.Capacity(t)
	access := tech.Access{WordBits: l.WordBits, SizeBytes: words * int64(l.WordBits) / 8}
	apply := func(a *actionsYAML, path string) {
		if a == nil {
			return
		}
		if a.Tech != "" {
			e := b.techEnergy(yamlspec.Join(path, "tech"), a.Tech, access)
			for x := range numActions {
				val[x], set[x] = e, true
			}
		}
		for x := range numActions {
			if p := a.pj(x); p != nil {
				val[x], set[x] = *p, true
			} else if m := a.mac(x); m != nil {
				val[x], set[x] = b.macs(yamlspec.Join(path, actionKeys[x]+"_mac"), *m), true
			}
		}
	}
	apply(base, path)
	apply(over, yamlspec.Join(path, t.String()))
	for x := actWrite; x < numActions; x++ {
		if !set[x] {
			val[x] = val[x-1]
		}
	}
	return Actions{ReadPJ: val[actRead], WritePJ: val[actWrite], UpdatePJ: val[actUpdate]}
}
