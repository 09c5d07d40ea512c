package cli

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// TestNumericFlags gives every numeric flag of every command the values
// that used to pass silently (NaN trained to NaN and exited 0; 0 became a
// default; a negative timeout or victory was taken as none): each is
// refused as the flag is parsed, and the ordinary values still parse.
func TestNumericFlags(t *testing.T) {
	root := newRoot(nil, strings.NewReader(""), io.Discard, io.Discard)
	type value struct {
		s  string
		ok bool
	}
	var walk func(c *cobra.Command)
	n := 0
	walk = func(c *cobra.Command) {
		c.Flags().VisitAll(func(f *pflag.Flag) {
			var cases []value
			switch f.Value.Type() {
			case "float64":
				_, zeroOK := f.Annotations[zeroOKAnnotation]
				cases = []value{{"NaN", false}, {"Inf", false}, {"-Inf", false}, {"-0.5", false}, {"1e400", false}, {"0", zeroOK}, {"0.5", true}}
			case "int", "int64":
				cases = []value{{"-1", false}, {"0", true}, {"3", true}}
			case "duration":
				cases = []value{{"-1s", false}, {"0s", true}, {"2s", true}}
			default:
				return
			}
			for _, v := range cases {
				n++
				err := f.Value.Set(v.s)
				if (err == nil) != v.ok {
					t.Errorf("%s --%s %s: error %v, want ok=%v", c.CommandPath(), f.Name, v.s, err, v.ok)
				}
			}
		})
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(root)
	if n < 100 {
		t.Errorf("only %d numeric flag values tried; the walk missed the commands", n)
	}
	for _, name := range []string{"momentum", "weight-decay"} {
		c, _, err := root.Find([]string{"train"})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := c.Flags().Lookup(name).Annotations[zeroOKAnnotation]; !ok {
			t.Errorf("train --%s does not take 0", name)
		}
	}
}

// TestNumericFlagErrors shows what a user sees for a bad numeric flag:
// exit 2 and the flag named.
func TestNumericFlagErrors(t *testing.T) {
	cases := [][]string{
		{"train", "--lr", "NaN"},
		{"train", "--lr", "Inf"},
		{"train", "--lr", "0"},
		{"train", "--momentum", "-0.1"},
		{"prune", "--increment", "0"},
		{"prune", "--tolerance", "NaN"},
		{"adapt", "--finetune-lr", "-Inf"},
		{"adapt", "--v2-calib-batches", "0", "--method", "netadaptv2", "--data", "synthetic"},
		{"eval", "--search", "--timeout", "-5s"},
		{"eval", "--search", "--victory", "-1"},
		{"map", "--layer", "conv1", "--timeout", "-1ms"},
		{"compare", "--rf-area", "NaN"},
		{"latency", "--model", "lenet5", "--warmup", "-2"},
		{"serve", "--timeout", "-1m"},
		{"test", "--model", "lenet5", "--normalize", "NaN,1"},
	}
	var b strings.Builder
	for _, args := range cases {
		code, out, errOut := runNnergy(t, args...)
		if code != 2 || out != "" {
			t.Errorf("%v: exit %d, stdout %q; want 2 and nothing", args, code, out)
		}
		fmt.Fprintf(&b, "$ nnergy %s\nexit %d\n%s\n", strings.Join(args, " "), code, errOut)
	}
	checkGolden(t, "numeric_flag_errors.golden", b.String())
}
