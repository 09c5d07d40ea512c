package cli

import (
	"io"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// commandFlags calls fn with every flag of every nnergy command.
func commandFlags(fn func(c *cobra.Command, f *pflag.Flag)) {
	root := newRoot(nil, strings.NewReader(""), io.Discard, io.Discard)
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.LocalFlags().VisitAll(func(f *pflag.Flag) { fn(c, f) })
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(root)
}

// TestVocabulary holds every command to the vocabulary of vocab.go: no
// flag spells a concept by one of its old names (other than as a hidden,
// deprecated alias of the new one), a flag with a concept's name says its
// unit, and every flag has a usage string.
func TestVocabulary(t *testing.T) {
	synonym := map[string]string{}
	byName := map[string]concept{}
	for _, c := range vocabulary {
		byName[c.name] = c
		for _, s := range c.synonyms {
			synonym[s] = c.name
		}
	}
	flags := 0
	commandFlags(func(c *cobra.Command, f *pflag.Flag) {
		flags++
		where := c.CommandPath() + " --" + f.Name
		if f.Deprecated != "" {
			canon := strings.TrimPrefix(strings.Fields(f.Deprecated)[1], "--")
			switch {
			case !f.Hidden:
				t.Errorf("%s: deprecated but listed in the help", where)
			case !strings.HasPrefix(f.Deprecated, "use --"):
				t.Errorf("%s: deprecation %q does not name the flag to use", where, f.Deprecated)
			case c.LocalFlags().Lookup(canon) == nil:
				t.Errorf("%s: deprecated for --%s, which %s does not have", where, canon, c.CommandPath())
			}
			return
		}
		if strings.TrimSpace(f.Usage) == "" {
			t.Errorf("%s: no usage string", where)
		}
		if canon, ok := synonym[f.Name]; ok {
			t.Errorf("%s: spells --%s the old way (keep it only as deprecatedAlias)", where, canon)
		}
		if k, ok := byName[f.Name]; ok && !strings.Contains(f.Usage, k.unit) {
			t.Errorf("%s: usage %q does not say %q", where, f.Usage, k.unit)
		}
	})
	if flags < 200 {
		t.Errorf("only %d flags walked; the walk missed commands", flags)
	}
}
