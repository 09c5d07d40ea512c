package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/nnergy/nnergy/arch"
)

func TestArchsGolden(t *testing.T) {
	code, out, errOut := runNnergy(t, "archs")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	checkGolden(t, "arch_archs.golden", out)
}

func TestArchsFormats(t *testing.T) {
	for _, format := range []string{"json", "csv"} {
		code, out, errOut := runNnergy(t, "archs", "--format", format)
		if code != 0 || errOut != "" {
			t.Fatalf("--format %s: exit %d, stderr %q", format, code, errOut)
		}
		for _, name := range arch.Presets() {
			if !strings.Contains(out, name) {
				t.Errorf("--format %s does not list %s:\n%s", format, name, out)
			}
		}
	}
}

// TestArchShowGolden pins the table of every preset and the canonical YAML
// of eyeriss.
func TestArchShowGolden(t *testing.T) {
	for _, name := range arch.Presets() {
		code, out, errOut := runNnergy(t, "arch", "show", name)
		if code != 0 || errOut != "" {
			t.Fatalf("arch show %s: exit %d, stderr %q", name, code, errOut)
		}
		checkGolden(t, "arch_show_"+name+".golden", out)
	}
	code, out, errOut := runNnergy(t, "arch", "show", "--format", "yaml", "eyeriss")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	checkGolden(t, "arch_show_eyeriss_yaml.golden", out)
}

// TestArchShowRoundTrip prints every preset as YAML, reads the file back
// with `arch show`, and checks that it prints the same YAML and parses to
// the same Spec.
func TestArchShowRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for _, name := range arch.Presets() {
		code, out, errOut := runNnergy(t, "arch", "show", "--format", "yaml", name)
		if code != 0 {
			t.Fatalf("arch show %s: exit %d, stderr %q", name, code, errOut)
		}
		file := filepath.Join(dir, name+".yaml")
		if err := os.WriteFile(file, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		code, again, errOut := runNnergy(t, "arch", "show", "--format", "yaml", file)
		if code != 0 {
			t.Fatalf("arch show %s: exit %d, stderr %q", file, code, errOut)
		}
		if again != out {
			t.Errorf("%s: YAML changes on a second round:\n%s", name, cmp.Diff(out, again))
		}
		want, err := arch.Preset(name)
		if err != nil {
			t.Fatal(err)
		}
		got, err := arch.Load(file)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(arch.Spec{}, "Source")); diff != "" {
			t.Errorf("%s: round trip (-preset +reparsed):\n%s", name, diff)
		}
	}
}

// TestArchErrors pins the one-line errors of bad input, unknown names and
// bad usage, with their exit codes, in one transcript.
func TestArchErrors(t *testing.T) {
	cases := [][]string{
		{"arch", "show", "eyriss"},
		{"arch", "show", "testdata/arch_bad_key.yaml"},
		{"arch", "show", "testdata/arch_bad_syntax.yaml"},
		{"arch", "show", "testdata/arch_many.yaml"},
		{"arch", "show", "testdata/arch_missing.yaml"},
		{"arch", "show"},
		{"arch", "show", "--format", "json", "eyeriss"},
		{"arch"},
		{"archs", "--format", "xml"},
	}
	var b strings.Builder
	for _, args := range cases {
		code, out, errOut := runNnergy(t, args...)
		if code == 0 {
			t.Errorf("nnergy %s: exit 0, want an error", strings.Join(args, " "))
		}
		if out != "" {
			t.Errorf("nnergy %s: stdout %q, want nothing", strings.Join(args, " "), out)
		}
		// One line, except a spec file's problems: a line each.
		if n := strings.Count(errOut, "\n"); n != 1 && !(args[len(args)-1] == "testdata/arch_many.yaml" && n == 3) {
			t.Errorf("nnergy %s: stderr %q, want one line", strings.Join(args, " "), errOut)
		}
		fmt.Fprintf(&b, "$ nnergy %s\n%s[exit %d]\n\n", strings.Join(args, " "), errOut, code)
	}
	checkGolden(t, "arch_errors.golden", b.String())
}
