package arch

import (
	"fmt"
	"strings"

	"github.com/nnergy/nnergy/internal/enum"
	"github.com/nnergy/nnergy/internal/yamlspec"
	"go.yaml.in/yaml/v3"
)

// Convention names one counting convention: a point where accelerator
// models legitimately count the same mapping differently (issue 14 item 3,
// docs/format/arch.md "conventions"). Each has two values: nnergy's own (the
// default) and the alternative, which is Timeloop's.
type Convention uint8

// The counting conventions, in the order in which --explain switches them.
const (
	// ConvDrain: a partial-sum tile drained to the parent costs a read at
	// the child and the parent's update ("read"), or the update alone
	// ("update_only").
	ConvDrain Convention = iota
	// ConvReload: a partial sum reloaded from the parent into the k
	// instances that reduce it is written into one of them ("one") or
	// into all k ("all").
	ConvReload
	// ConvMulticast: one parent read serves every child that needs the
	// word at the same step ("overlap"), or only children whose tiles are
	// identical: that differ only in spatial loops over dimensions that
	// do not index the tensor ("identical").
	ConvMulticast
	// ConvLinks: every word comes from the parent ("parent"); a neighbour
	// to neighbour (link) transfer model ("neighbour") is not implemented.
	ConvLinks
	// ConvStride: a tile with a strided (sliding-window) rank counts the
	// words its loops touch ("touched") or its bounding box ("box"), for
	// the traffic and against capacity.
	ConvStride
	// ConvWrap: after every step of the loops above a child, the child
	// keeps the part of its new tile its old one held ("keep"); or only on
	// steps of the innermost loop, while on a step where inner loops wrap
	// around a changed tile is refilled whole ("refill").
	ConvWrap
	// ConvMACLeak: the MAC units leak ("charged") or their leakage is not
	// charged ("none"; Timeloop does not charge the compute level's leak).
	ConvMACLeak
	NumConventions
)

var conventionNames = enum.New[Convention]("arch", "convention",
	"drain", "reload", "multicast", "links", "strided_tile", "wrap_reuse", "mac_leakage")

// conventionValues holds each convention's two values: the default, then
// the alternative.
var conventionValues = [NumConventions][2]string{
	ConvDrain:     {"read", "update_only"},
	ConvReload:    {"one", "all"},
	ConvMulticast: {"overlap", "identical"},
	ConvLinks:     {"parent", "neighbour"},
	ConvStride:    {"touched", "box"},
	ConvWrap:      {"keep", "refill"},
	ConvMACLeak:   {"charged", "none"},
}

// String returns the convention's key in the YAML format.
func (c Convention) String() string { return conventionNames.String(c) }

// Values returns the convention's default and alternative value names.
func (c Convention) Values() [2]string { return conventionValues[c] }

// ParseConvention returns the convention whose key is s.
func ParseConvention(s string) (Convention, error) { return conventionNames.Parse(s) }

// Conventions is a set of counting conventions: bit c is set when
// convention c takes its alternative value. The zero value is nnergy's
// default counting.
type Conventions uint8

// TimeloopConventions counts as Timeloop does (every alternative but the
// link model, which nnergy does not have).
const TimeloopConventions = Conventions(1<<ConvDrain | 1<<ConvReload | 1<<ConvMulticast | 1<<ConvStride | 1<<ConvWrap | 1<<ConvMACLeak)

// implemented are the alternatives nnergy models.
const implemented = TimeloopConventions

// Has reports whether convention c takes its alternative value.
func (s Conventions) Has(c Convention) bool { return s&(1<<c) != 0 }

// With returns s with convention c set to its alternative (alt) or default.
func (s Conventions) With(c Convention, alt bool) Conventions {
	if alt {
		return s | 1<<c
	}
	return s &^ (1 << c)
}

// Value returns the name of the value s gives convention c.
func (s Conventions) Value(c Convention) string {
	if s.Has(c) {
		return conventionValues[c][1]
	}
	return conventionValues[c][0]
}

// String formats s as its YAML flow mapping of the conventions that differ
// from the default ("default" when none does, "timeloop" for Timeloop's).
func (s Conventions) String() string {
	switch s {
	case 0:
		return "default"
	case TimeloopConventions:
		return "timeloop"
	}
	var kv []string
	for c := range NumConventions {
		if s.Has(c) {
			kv = append(kv, c.String()+": "+s.Value(c))
		}
	}
	return "{" + strings.Join(kv, ", ") + "}"
}

// conventionSets names the sets a `base:` (or the shorthand) may give.
var conventionSets = map[string]Conventions{"default": 0, "timeloop": TimeloopConventions}

// ParseConventionSet returns the named set of conventions ("default" or
// "timeloop").
func ParseConventionSet(name string) (Conventions, error) {
	if s, ok := conventionSets[name]; ok {
		return s, nil
	}
	return 0, fmt.Errorf("arch: unknown convention set %q (want default or timeloop)", name)
}

// conventionsYAML is the mapping form of the `conventions:` key.
type conventionsYAML struct {
	Base        string `yaml:"base"`
	Drain       string `yaml:"drain"`
	Reload      string `yaml:"reload"`
	Multicast   string `yaml:"multicast"`
	Links       string `yaml:"links"`
	StridedTile string `yaml:"strided_tile"`
	WrapReuse   string `yaml:"wrap_reuse"`
	MACLeakage  string `yaml:"mac_leakage"`
}

func (c *conventionsYAML) value(k Convention) string {
	return [NumConventions]string{c.Drain, c.Reload, c.Multicast, c.Links, c.StridedTile, c.WrapReuse, c.MACLeakage}[k]
}

// decodeConventions reads the `conventions:` node: a set's name (the
// shorthand `conventions: timeloop`) or a mapping with an optional `base`
// set and one value per convention, which overrides the base's.
func decodeConventions(d *yamlspec.Doc, n *yaml.Node) Conventions {
	const path = "conventions"
	if n == nil || n.Kind == 0 {
		return 0
	}
	if n.Kind == yaml.ScalarNode {
		s, err := ParseConventionSet(n.Value)
		if err != nil {
			d.Errorf(path, "unknown convention set %q (want default, timeloop or a mapping of conventions)", n.Value)
		}
		return s
	}
	var c conventionsYAML
	d.DecodeNode(n, path, &c)
	var s Conventions
	if c.Base != "" {
		b, err := ParseConventionSet(c.Base)
		if err != nil {
			d.Errorf(yamlspec.Join(path, "base"), "unknown convention set %q (want default or timeloop)", c.Base)
		}
		s = b
	}
	for k := range NumConventions {
		v := c.value(k)
		if v == "" {
			continue
		}
		p := yamlspec.Join(path, k.String())
		vs := conventionValues[k]
		switch {
		case v == vs[0]:
			s = s.With(k, false)
		case v == vs[1] && implemented.Has(k):
			s = s.With(k, true)
		case v == vs[1]:
			d.Errorf(p, "%s: %s is not modelled: nnergy sends every word from the parent", k, v)
		default:
			d.Errorf(p, "unknown value %q (want %s or %s)", v, vs[0], vs[1])
		}
	}
	return s
}

// formatConventions writes the `conventions:` key of s (nothing for the
// default set).
func formatConventions(s Conventions) string {
	if s == 0 {
		return ""
	}
	if s == TimeloopConventions {
		return "conventions: timeloop\n"
	}
	var b strings.Builder
	b.WriteString("conventions:\n")
	for c := range NumConventions {
		if s.Has(c) {
			fmt.Fprintf(&b, "  %s: %s\n", c, s.Value(c))
		}
	}
	return b.String()
}
