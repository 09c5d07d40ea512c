package yamlspec

import (
	"strings"
	"testing"
)

func TestDocDiff(t *testing.T) {
	type spec struct {
		Name  string `yaml:"name"`
		Width int    `yaml:"width"`
	}
	doc := func(keys ...string) []byte {
		var b strings.Builder
		b.WriteString("| Key | meaning |\n| --- | --- |\n")
		for _, k := range keys {
			b.WriteString("| `" + k + "` | ... |\n")
		}
		b.WriteString("\n```yaml\nname: a\n```\n")
		return []byte(b.String())
	}
	for _, tc := range []struct {
		doc  []byte
		want string
	}{
		{doc("name", "width"), ""},
		{doc("width", "name"), ""},
		{doc("name"), "accepted but not documented: width\n"},
		{doc("name", "width", "depth"), "documented but not accepted: depth\n"},
		{doc("depth"), "accepted but not documented: name, width\ndocumented but not accepted: depth\n"},
	} {
		if got := DocDiff(&spec{}, tc.doc); got != tc.want {
			t.Errorf("DocDiff(%q) = %q, want %q", tc.doc, got, tc.want)
		}
	}
	if ex := Examples(doc("name")); len(ex) != 1 || string(ex[0]) != "name: a\n" {
		t.Errorf("Examples = %q, want one block %q", ex, "name: a\n")
	}
}
