package yamlspec

import "go.yaml.in/yaml/v3"

// Lookup returns the value of key in the mapping node m, or nil when m is
// not a mapping or has no such key: a read of a yaml.Node field whose keys
// the caller checks itself.
func Lookup(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}
