package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestBadValuesRefused runs the bad values of issue 15 that used to pass
// silently into wrong results, each refused now with a message naming the
// file and line, the flag or the field. Paths are written relative to the
// test's directory so that the transcript does not depend on it.
func TestBadValuesRefused(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	const conv1 = `DRAM keep Weights Inputs Outputs
  for P in [0:5)
  for M in [0:3)
GLB keep Inputs
  for P in [0:11)
  for Q in [0:55)
  spatial-x M in [0:2)
  spatial-x C in [0:3)
  spatial-y R in [0:11)
RF keep Weights Inputs Outputs
  for M in [0:16)
  for S in [0:11)
`
	write("good.map", conv1)
	write("renamed.map", strings.Replace(conv1, "GLB keep", "SRAM keep", 1))
	write("none.map", strings.Replace(conv1, "GLB keep Inputs", "GLB keep none Inputs", 1))
	const onnx = "../../workload/onnx/testdata/"
	cases := [][]string{
		{"eval", "--layer", "conv1", "--mapping", "DIR/good.map"},
		{"eval", "--layer", "conv1", "--mapping", "DIR/renamed.map"},
		{"eval", "--layer", "conv1", "--mapping", "DIR/none.map"},
		{"eval", "--model", onnx + "tiny_cnn.onnx", "--sparsity-from", onnx + "pruned_cnn.onnx"},
	}
	var b strings.Builder
	for _, c := range cases {
		args := make([]string, len(c))
		for i, a := range c {
			args[i] = strings.ReplaceAll(a, "DIR", dir)
		}
		code, out, errOut := runNnergy(t, append(args, "--store", "none")...)
		if nonFinite.MatchString(out + errOut) {
			t.Errorf("%v printed a non-finite figure:\n%s%s", c, out, errOut)
		}
		if code == 0 {
			errOut = "(ran)\n"
		}
		fmt.Fprintf(&b, "$ nnergy %s\nexit %d\n%s\n", strings.Join(c, " "), code, strings.ReplaceAll(errOut, dir, "DIR"))
	}
	checkGolden(t, "bad_values.golden", b.String())
}

// nonFinite matches a figure printed as NaN or Inf.
var nonFinite = regexp.MustCompile(`\b(NaN|[+-]?Inf)\b`)
