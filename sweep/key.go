package sweep

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/nnergy/nnergy/internal/yamlspec"
	"github.com/nnergy/nnergy/workload"
)

// kind is the type of the values a key takes.
type kind uint8

const (
	kindInt     kind = iota // an integer
	kindNumber              // a finite number
	kindBool                // true or false
	kindString              // any string (the architecture checks it)
	kindTensors             // a list of tensor names
	kindPair                // [x, y], two integers
	kindMapper              // a mapper setting: checked by its own parser
)

func (k kind) String() string {
	return [...]string{"an integer", "a number", "true or false", "a string", "a list of tensors", "a pair [x, y] of integers", "a mapper setting"}[k]
}

// numeric reports whether values of k are numbers, usable in expressions.
func (k kind) numeric() bool { return k == kindInt || k == kindNumber }

// target is where a key's value goes: a path of mapping keys from the
// architecture's root (or from one level's mapping), and an element of an
// [x, y] pair; or a mapper setting.
type target struct {
	// level names the level whose mapping path starts from ("": the root).
	level string
	path  []string
	// index is 0 or 1 for an element of a pair, -1 otherwise.
	index int
	kind  kind
	// mapper names the mapper setting (mapper keys only).
	mapper string
}

// Keys a parameter can set (docs/format/sweep.md, "Keys"). A level's keys
// follow levels.NAME., and T stands for a tensor name.
var (
	rootKeys = map[string]kind{
		"clock_mhz":   kindNumber,
		"word_bits":   kindInt,
		"tech":        kindString,
		"conventions": kindString,
	}
	levelKeys = map[string]kind{
		"size_words":            kindInt,
		"word_bits":             kindInt,
		"bandwidth_words":       kindNumber,
		"read_bandwidth_words":  kindNumber,
		"write_bandwidth_words": kindNumber,
		"cluster_size":          kindInt,
		"leakage_pj_per_cycle":  kindNumber,
		"keeps":                 kindTensors,
		"mesh":                  kindPair,
		"network.multicast":     kindBool,
		"network.reduction":     kindBool,
	}
	levelTensorKeys = map[string]kind{
		"partition_words":         kindInt,
		"data_bits":               kindInt,
		"network.bandwidth_words": kindNumber,
	}
	computeKeys = map[string]kind{
		"mesh":                 kindPair,
		"bits":                 kindInt,
		"leakage_pj_per_cycle": kindNumber,
	}
	mapperKeys = []string{"method", "dataflow", "objective", "max_evaluations"}
)

// keyList lists the key forms for messages.
func keyList() string {
	return "clock_mhz, word_bits, tech, conventions, data_bits.T, levels.NAME.{size_words, partition_words.T, data_bits.T, word_bits, mesh, mesh.x, mesh.y, " +
		"bandwidth_words, read_bandwidth_words, write_bandwidth_words, cluster_size, leakage_pj_per_cycle, keeps, network.bandwidth_words.T, " +
		"network.multicast, network.reduction}, compute.{mesh, mesh.x, mesh.y, bits, leakage_pj_per_cycle}, " +
		"mapper.{" + strings.Join(mapperKeys, ", ") + "}"
}

// parseKey returns the target of key on an architecture with the given
// level names, or a message saying what is wrong.
func parseKey(key string, levels []string) (target, string) {
	t := target{index: -1}
	rest, isLevel := strings.CutPrefix(key, "levels.")
	switch {
	case strings.HasPrefix(key, "mapper."):
		name := strings.TrimPrefix(key, "mapper.")
		for _, k := range mapperKeys {
			if k == name {
				return target{index: -1, kind: kindMapper, mapper: name}, ""
			}
		}
		return t, fmt.Sprintf("unknown mapper key %q (want %s)", name, strings.Join(mapperKeys, ", "))
	case isLevel:
		// Level names may hold dots: take the longest that prefixes the rest.
		for _, l := range levels {
			if strings.HasPrefix(rest, l+".") && len(l) > len(t.level) {
				t.level = l
			}
		}
		if t.level == "" {
			name, _, _ := strings.Cut(rest, ".")
			hint := ""
			if c := yamlspec.Closest(name, levels); c != "" {
				hint = fmt.Sprintf(" (did you mean %s?)", c)
			}
			return t, fmt.Sprintf("no level %q in the architecture%s; its levels: %s", name, hint, strings.Join(levels, ", "))
		}
		return leafKey(t, strings.TrimPrefix(rest, t.level+"."), levelKeys, levelTensorKeys, key)
	case strings.HasPrefix(key, "compute."):
		t.path = []string{"compute"}
		return leafKey(t, strings.TrimPrefix(key, "compute."), computeKeys, nil, key)
	}
	if name, ok := strings.CutPrefix(key, "data_bits."); ok {
		if _, ok := tensorByName(name); ok {
			t.path, t.kind = []string{"data_bits", name}, kindInt
			return t, ""
		}
		return t, fmt.Sprintf("unknown tensor %q in %s (want Weights, Inputs or Outputs)", name, key)
	}
	if k, ok := rootKeys[key]; ok {
		t.path, t.kind = []string{key}, k
		return t, ""
	}
	return t, fmt.Sprintf("unknown key %q (keys: %s)", key, keyList())
}

// leafKey completes t with the key leaf under a level or compute: one of
// keys, a pair element (mesh.x, mesh.y), or one of tensorKeys followed by
// a tensor name.
func leafKey(t target, leaf string, keys, tensorKeys map[string]kind, whole string) (target, string) {
	if k, ok := keys[leaf]; ok {
		t.path, t.kind = append(t.path, strings.Split(leaf, ".")...), k
		return t, ""
	}
	if base, xy, ok := cutLast(leaf); ok && keys[base] == kindPair && (xy == "x" || xy == "y") {
		t.path, t.kind = append(t.path, strings.Split(base, ".")...), kindInt
		t.index = map[string]int{"x": 0, "y": 1}[xy]
		return t, ""
	}
	if base, name, ok := cutLast(leaf); ok {
		if k, ok := tensorKeys[base]; ok {
			if _, ok := tensorByName(name); !ok {
				return t, fmt.Sprintf("unknown tensor %q in %s (want Weights, Inputs or Outputs)", name, whole)
			}
			t.path, t.kind = append(append(t.path, strings.Split(base, ".")...), name), k
			return t, ""
		}
	}
	var known []string
	for k, kd := range keys {
		known = append(known, k)
		if kd == kindPair {
			known = append(known, k+".x", k+".y")
		}
	}
	for k := range tensorKeys {
		known = append(known, k+".T")
	}
	if c := yamlspec.Closest(leaf, known); c != "" {
		return t, fmt.Sprintf("unknown key %q in %s (did you mean %s?)", leaf, whole, c)
	}
	return t, fmt.Sprintf("unknown key %q in %s (keys: %s)", leaf, whole, keyList())
}

func cutLast(s string) (before, after string, ok bool) {
	i := strings.LastIndexByte(s, '.')
	if i < 0 {
		return "", "", false
	}
	return s[:i], s[i+1:], true
}

func tensorByName(name string) (workload.Tensor, bool) {
	for _, t := range workload.Tensors {
		if t.String() == name {
			return t, true
		}
	}
	return 0, false
}

// set puts v at t in the architecture document root (a yaml document
// node), creating the mappings on the way and a pair [1, 1] (the default
// mesh) when an element of an absent pair is set.
func (t target) set(root *yaml.Node, v *yaml.Node) error {
	m := root
	if m.Kind == yaml.DocumentNode && len(m.Content) == 1 {
		m = m.Content[0]
	}
	if t.level != "" {
		levels := yamlspec.Lookup(m, "levels")
		if levels == nil || levels.Kind != yaml.SequenceNode {
			return fmt.Errorf("the architecture has no list of levels")
		}
		m = nil
		for _, l := range levels.Content {
			if n := yamlspec.Lookup(l, "name"); n != nil && n.Value == t.level {
				m = l
				break
			}
		}
		if m == nil {
			return fmt.Errorf("no level %q", t.level)
		}
	}
	for _, k := range t.path[:len(t.path)-1] {
		next := yamlspec.Lookup(m, k)
		if next == nil {
			next = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			put(m, k, next)
		}
		if next.Kind != yaml.MappingNode {
			return fmt.Errorf("%s is not a mapping", k)
		}
		m = next
	}
	last := t.path[len(t.path)-1]
	if t.index < 0 {
		put(m, last, v)
		return nil
	}
	pair := yamlspec.Lookup(m, last)
	if pair == nil {
		pair = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle,
			Content: []*yaml.Node{intNode(1), intNode(1)}}
		put(m, last, pair)
	}
	if pair.Kind != yaml.SequenceNode || len(pair.Content) != 2 {
		return fmt.Errorf("%s is not a pair [x, y]", last)
	}
	pair.Content[t.index] = v
	return nil
}

// put sets key to v in mapping m, replacing the value or adding the key.
func put(m *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i+1] = v
			return
		}
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
}

func intNode(v int64) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: fmt.Sprint(v)}
}
