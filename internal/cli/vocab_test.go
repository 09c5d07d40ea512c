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

// TestDeprecatedAliases sets every deprecated spelling of every command
// and checks that it set the flag it stands for, as given.
func TestDeprecatedAliases(t *testing.T) {
	value := map[string]string{"string": "x1", "int": "7", "int64": "7", "bool": "true", "stringSlice": "a,b", "float64": "0.25", "duration": "7s"}
	n := 0
	commandFlags(func(c *cobra.Command, f *pflag.Flag) {
		if f.Deprecated == "" {
			return
		}
		n++
		where := c.CommandPath() + " --" + f.Name
		v, ok := value[f.Value.Type()]
		if !ok {
			t.Errorf("%s: no test value of type %s", where, f.Value.Type())
			return
		}
		canon := c.Flags().Lookup(strings.TrimPrefix(strings.Fields(f.Deprecated)[1], "--"))
		before := canon.Value.String()
		if err := c.Flags().Set(f.Name, v); err != nil {
			t.Errorf("%s %s: %v", where, v, err)
			return
		}
		if !canon.Changed || canon.Value.String() == before {
			t.Errorf("%s %s: --%s changed %v, %q (was %q)", where, v, canon.Name, canon.Changed, canon.Value.String(), before)
		}
	})
	if n == 0 {
		t.Error("no deprecated flags found")
	}
}

// TestEveryAliasWarns gives every deprecated spelling of every command on
// a command line: each says on stderr, as it is parsed, which flag to use.
func TestEveryAliasWarns(t *testing.T) {
	value := map[string]string{"string": "x1", "int": "7", "int64": "7", "bool": "true", "stringSlice": "a,b", "float64": "0.25", "duration": "7s"}
	commandFlags(func(c *cobra.Command, f *pflag.Flag) {
		if f.Deprecated == "" {
			return
		}
		args := append(strings.Fields(c.CommandPath())[1:], "--"+f.Name+"="+value[f.Value.Type()], "--no-such-flag")
		code, stdout, stderr := runNnergy(t, args...)
		want := "Flag --" + f.Name + " has been deprecated, " + f.Deprecated + "\n"
		if code != 2 || stdout != "" || !strings.HasPrefix(stderr, want) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want 2 and %q first on stderr", strings.Join(args, " "), code, stdout, stderr, want)
		}
	})
}

// TestDeprecatedAliasWarns runs commands with each old spelling: they still
// work, and say on stderr (never on stdout) which flag to use instead.
func TestDeprecatedAliasWarns(t *testing.T) {
	for _, tc := range []struct {
		args []string
		warn string
		code int
	}{
		{append(compareSmall, "--layers", "c3", "--dataflow", "rs", "--format", "json"), "Flag --layers has been deprecated, use --layer (--layers goes away in " + aliasesRemovedIn + ")\n", 0},
		{[]string{"map", "--model", "lenet5", "--layer", "c1", "--max-evals", "50", "--workers", "1", "--quiet", "--format", "json"}, "Flag --quiet has been deprecated, use --progress never (--quiet goes away in " + aliasesRemovedIn + ")\n", 0},
		{[]string{"train", "--data", "synthetic", "--epochs", "1", "--train-images", "200", "--batch", "32", "--progress", "never"}, "Flag --batch has been deprecated, use --train-batch (--batch goes away in " + aliasesRemovedIn + ")\n", 0},
		{[]string{"eval", "--model", "alexnet", "--calibrate", "synthetic"}, "Flag --calibrate has been deprecated, use --data (--calibrate goes away in " + aliasesRemovedIn + ")\n", 2},
		{[]string{"eval", "--model", "lenet5", "--calibrate-images", "3", "--progress", "never", "--format", "json"}, "Flag --calibrate-images has been deprecated, use --density-images (--calibrate-images goes away in " + aliasesRemovedIn + ")\n", 0},
		{[]string{"train", "--data", "synthetic", "--epochs", "1", "--limit", "100", "--progress", "never"}, "Flag --limit has been deprecated, use --train-images (--limit goes away in " + aliasesRemovedIn + ")\n", 0},
		{[]string{"prune", "--calibration", "5", "--model", "missing.nnw"}, "Flag --calibration has been deprecated, use --restore-images (--calibration goes away in " + aliasesRemovedIn + ")\n", 2},
		{append(compareSmall, "--layer", "c3", "--dataflows", "rs", "--format", "json"), "Flag --dataflows has been deprecated, use --dataflow (--dataflows goes away in " + aliasesRemovedIn + ")\n", 0},
		{[]string{"compare", "--model", "lenet6", "--chart", "x.svg"}, "Flag --chart has been deprecated, use --plot (--chart goes away in " + aliasesRemovedIn + ")\n", 1},
		{[]string{"codesign", "--objective", "power", "--sweep", "x.yaml"}, "Flag --objective has been deprecated, use --pareto (--objective goes away in " + aliasesRemovedIn + ")\n", 2},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, stdout, stderr := runNnergy(t, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.warn) {
				t.Fatalf("exit %d, stderr %q, want it to contain %q", code, stderr, tc.warn)
			}
			if strings.Contains(stdout, "deprecated") {
				t.Errorf("the deprecation went to stdout: %q", stdout)
			}
		})
	}
}
