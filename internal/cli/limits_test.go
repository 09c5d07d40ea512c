package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestConstraintsDocExample runs map and eval --search with the example
// constraints file of docs/format/constraints.md, copied as it is, under
// several dataflows: its order: line made map panic (issue 15).
func TestConstraintsDocExample(t *testing.T) {
	md, err := os.ReadFile("../../docs/format/constraints.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindSubmatch(md)
	if m == nil {
		t.Fatal("no YAML example in docs/format/constraints.md")
	}
	file := filepath.Join(t.TempDir(), "constraints.yaml")
	if err := os.WriteFile(file, m[1], 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"map", "--layer", "conv3", "--dataflow", "rs"},
		{"map", "--layer", "conv3", "--dataflow", "ws"},
		{"map", "--layer", "conv3", "--dataflow", "best"},
		{"eval", "--search", "--layer", "conv3"},
	} {
		args = append(args, "--constraints", file, "--max-evals", "3000", "--workers", "1", "--progress", "never", "--store", "none")
		if code, _, stderr := runNnergy(t, args...); code != 0 {
			t.Errorf("%v: exit %d: %s", args, code, stderr)
		}
	}
}

// TestYAMLAliasLimit gives every YAML reader a small file whose aliases
// expand to 10^10 values: each refuses it naming the limit, where they
// used to expand it in full.
func TestYAMLAliasLimit(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 10; i++ {
		fmt.Fprintf(&b, "a%d: &a%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d, ", i-1), 10), ", "))
	}
	bomb := filepath.Join(dir, "bomb.yaml")
	if err := os.WriteFile(bomb, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"eval", "--arch", bomb},
		{"eval", "--model", bomb},
		{"map", "--layer", "conv1", "--constraints", bomb},
		{"sweep", bomb},
		{"arch", "show", bomb},
	} {
		code, _, stderr := runNnergy(t, append(args, "--store", "none")...)
		if code == 0 || !strings.Contains(stderr, "yamlspec.MaxNodes") || !strings.Contains(stderr, "bomb.yaml:") {
			t.Errorf("%v: exit %d, stderr %q; want a positioned error naming yamlspec.MaxNodes", args, code, stderr)
		}
	}
}

// TestHugeLayers evaluates and maps layers of prime and huge bounds (they
// used to hang, divisors being found by counting down) and shows one whose
// MACs overflow int64 (shown as 0 before), refused naming the limit.
func TestHugeLayers(t *testing.T) {
	dir := t.TempDir()
	write := func(name, bounds string) string {
		path := filepath.Join(dir, name)
		text := "version: 1\nname: huge\nlayers:\n  - name: big\n    kind: gemm\n    bounds: " + bounds + "\n"
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	prime := write("prime.yaml", "{M: 2147483647, C: 1, P: 1}")
	power := write("power.yaml", "{M: 4294967296, C: 2, P: 1}")
	for _, args := range [][]string{
		{"eval", "--model", prime},
		{"eval", "--model", power, "--dataflow", "ws"},
		{"map", "--model", prime, "--layer", "big", "--max-evals", "2000", "--workers", "1", "--progress", "never"},
	} {
		if code, _, stderr := runNnergy(t, append(args, "--store", "none")...); code != 0 {
			t.Errorf("%v: exit %d: %s", args, code, stderr)
		}
	}
	wraps := write("wraps.yaml", "{M: 4294967296, C: 4294967296, P: 4294967296}")
	code, _, stderr := runNnergy(t, "show", wraps)
	if code == 0 || !strings.Contains(stderr, "wraps.yaml:4:5: layers[0]") || !strings.Contains(stderr, "workload.MaxMACs") {
		t.Errorf("show: exit %d, stderr %q; want wraps.yaml:4:5: naming workload.MaxMACs", code, stderr)
	}
	code, _, stderr = runNnergy(t, "show", "alexnet", "--batch", "1000000000000")
	if code == 0 || !strings.Contains(stderr, "workload.Max") {
		t.Errorf("show --batch 1e12: exit %d, stderr %q; want a limit named", code, stderr)
	}
}

// TestExhaustiveMaxEvals maps with --algorithm exhaustive on a space far
// larger than --max-evals: the search stops at the bound and says so.
func TestExhaustiveMaxEvals(t *testing.T) {
	code, stdout, stderr := runNnergy(t, "map", "--layer", "conv3", "--algorithm", "exhaustive", "--max-evals", "500", "--workers", "1", "--progress", "never", "--store", "none")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !regexp.MustCompile(`exhaustive search: (\d+) evaluated.*not proven optimal \(stopped: evaluations\)`).MatchString(stdout) {
		t.Errorf("no stop at the bound in:\n%s", stdout)
	}
	if n := regexp.MustCompile(`exhaustive search: (\d+) evaluated`).FindStringSubmatch(stdout); n == nil || len(n[1]) > 3 {
		t.Errorf("more than 500 evaluations: %v", n)
	}
}
