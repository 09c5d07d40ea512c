package yamlspec_test

import (
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/nnergy/nnergy/internal/yamlspec"
)

func TestLookup(t *testing.T) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("a: 1\nb: {c: x}\nlist: [a, b]\n"), &doc); err != nil {
		t.Fatal(err)
	}
	m := doc.Content[0]
	for _, c := range []struct {
		node *yaml.Node
		key  string
		want string // "" for nil
	}{
		{m, "a", "1"},
		{yamlspec.Lookup(m, "b"), "c", "x"},
		{m, "c", ""},
		{yamlspec.Lookup(m, "list"), "a", ""}, // a sequence has no keys
		{nil, "a", ""},
	} {
		got := yamlspec.Lookup(c.node, c.key)
		switch {
		case c.want == "" && got != nil:
			t.Errorf("Lookup(%q) = %q, want nil", c.key, got.Value)
		case c.want != "" && (got == nil || got.Value != c.want):
			t.Errorf("Lookup(%q) = %v, want %q", c.key, got, c.want)
		}
	}
}
