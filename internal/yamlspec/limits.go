package yamlspec

import (
	"fmt"
	"io"
	"os"

	"go.yaml.in/yaml/v3"
)

// Limits on a YAML document, checked by ReadFile before reading and by
// Decode before it walks the document, so that a small file whose aliases
// expand to billions of values (a "billion laughs" file: 800 KB with 100
// aliases took 125 s and 3.1 GB) is refused with an error instead.
// Every reader of a YAML format (architectures, workloads, constraints,
// sweeps) decodes through Decode. docs/limits.md lists every limit of
// nnergy; these are fixed (raise them here, in one place).
const (
	// MaxFileBytes is the largest YAML file: 16 MiB.
	MaxFileBytes = 16 << 20
	// MaxNodes is the most values (scalars, sequences, mappings and their
	// keys) a document may hold with every alias expanded: 1 000 000.
	MaxNodes = 1_000_000
	// MaxScalarBytes is the most bytes of scalar text a document may hold
	// with every alias expanded: 64 MiB.
	MaxScalarBytes = 64 << 20
)

// ReadFile reads the YAML file at path, refusing one larger than
// MaxFileBytes without reading more than that.
func ReadFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("%s: larger than %d bytes (yamlspec.MaxFileBytes, docs/limits.md)", path, MaxFileBytes)
	}
	return data, nil
}

// size is the expanded size of a node: its values and scalar bytes with
// every alias below it expanded, each saturating just above its limit.
type size struct{ nodes, bytes int64 }

func (s *size) add(o size) {
	s.nodes = min(s.nodes+o.nodes, MaxNodes+1)
	s.bytes = min(s.bytes+o.bytes, MaxScalarBytes+1)
}

func (s size) over() bool { return s.nodes > MaxNodes || s.bytes > MaxScalarBytes }

// expansion measures n as if every alias were expanded, in time linear in
// the nodes of the file (each node's size is computed once). It returns
// the size and the alias whose expansion is largest (nil if none).
func expansion(n *yaml.Node) (size, *yaml.Node) {
	memo := map[*yaml.Node]size{}
	var worst *yaml.Node
	var worstSize size
	var walk func(n *yaml.Node, depth int) size
	walk = func(n *yaml.Node, depth int) size {
		// Only anchored nodes can be reached twice, so only they are
		// remembered. An alias may not refer to a node that encloses it
		// (the parser refuses that), so the walk ends; the placeholder
		// and depth guard it all the same.
		if n.Anchor != "" {
			if s, ok := memo[n]; ok {
				return s
			}
			memo[n] = size{MaxNodes + 1, MaxScalarBytes + 1}
		}
		s := size{nodes: 1, bytes: int64(len(n.Value))}
		if depth > 10000 {
			return size{MaxNodes + 1, MaxScalarBytes + 1}
		}
		if n.Kind == yaml.AliasNode && n.Alias != nil {
			s = walk(n.Alias, depth+1)
			if worst == nil || s.nodes > worstSize.nodes || s.bytes > worstSize.bytes {
				worst, worstSize = n, s
			}
		}
		for _, c := range n.Content {
			s.add(walk(c, depth+1))
		}
		if n.Anchor != "" {
			memo[n] = s
		}
		return s
	}
	return walk(n, 0), worst
}

// checkExpansion adds an error when the document at n expands past
// MaxNodes or MaxScalarBytes; it reports whether the document is within
// them.
func (d *Doc) checkExpansion(n *yaml.Node) bool {
	s, worst := expansion(n)
	if !s.over() {
		return true
	}
	at := n
	if worst != nil {
		at = worst
	}
	via := ""
	if worst != nil {
		via = " with its aliases expanded"
	}
	if s.nodes > MaxNodes {
		d.errAt(at, "", "the document holds more than %d values%s (yamlspec.MaxNodes, docs/limits.md)", MaxNodes, via)
	} else {
		d.errAt(at, "", "the document holds more than %d bytes of text%s (yamlspec.MaxScalarBytes, docs/limits.md)", MaxScalarBytes, via)
	}
	return false
}
