package yamlspec

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

type testEnergy struct {
	ReadPJ *float64 `yaml:"read_pj"`
}

type testTensorEnergy struct {
	testEnergy `yaml:",inline"`
	Weights    *testEnergy `yaml:"Weights"`
}

type testLevel struct {
	Name      string            `yaml:"name"`
	SizeWords *int64            `yaml:"size_words"`
	Mesh      *[2]int           `yaml:"mesh"`
	Keeps     []string          `yaml:"keeps"`
	Multicast bool              `yaml:"multicast"`
	Energy    *testTensorEnergy `yaml:"energy"`
	internal  int
}

type testFile struct {
	Version int         `yaml:"version"`
	Name    string      `yaml:"name"`
	Clock   float64     `yaml:"clock_mhz"`
	Levels  []testLevel `yaml:"levels"`
}

func ptr[T any](v T) *T { return &v }

func TestDecode(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want testFile
		errs []string
	}{{
		name: "ok",
		in: `version: 1
name: x
clock_mhz: 200
levels:
  - name: DRAM
    keeps: [Weights, Inputs]
  - name: RF
    size_words: 12
    mesh: [14, 12]
    multicast: true
    energy: {read_pj: 1, Weights: {read_pj: 2.5}}
`,
		want: testFile{Version: 1, Name: "x", Clock: 200, Levels: []testLevel{
			{Name: "DRAM", Keeps: []string{"Weights", "Inputs"}},
			{Name: "RF", SizeWords: ptr[int64](12), Mesh: &[2]int{14, 12}, Multicast: true,
				Energy: &testTensorEnergy{testEnergy{ptr(1.0)}, &testEnergy{ptr(2.5)}}},
		}},
	}, {
		name: "unknown keys with and without a hint",
		in: `version: 1
levels:
  - name: DRAM
    sise_words: 3
    colour: red
`,
		errs: []string{
			"t.yaml:4:5: levels[0].sise_words: unknown key (did you mean size_words?)",
			"t.yaml:5:5: levels[0].colour: unknown key (want one of name, size_words, mesh, keeps, multicast, energy)",
		},
	}, {
		name: "wrong types",
		in: `version: "1"
clock_mhz: fast
levels:
  - name: [a]
    size_words: 1.5
    mesh: [1, 2, 3]
    multicast: yes
    keeps: Weights
`,
		errs: []string{
			`t.yaml:1:10: version: want an integer, got "1"`,
			`t.yaml:2:12: clock_mhz: want a number, got "fast"`,
			`t.yaml:4:11: levels[0].name: want a string, got a sequence`,
			`t.yaml:5:17: levels[0].size_words: want an integer, got "1.5"`,
			`t.yaml:6:11: levels[0].mesh: want a sequence of 2 integers, got 3`,
			`t.yaml:7:16: levels[0].multicast: want true or false, got "yes"`,
			`t.yaml:8:12: levels[0].keeps: want a sequence, got "Weights"`,
		},
	}, {
		name: "duplicate key and missing value",
		in: `version: 1
name:
version: 2
`,
		errs: []string{
			"t.yaml:2:1: name: missing value",
			"t.yaml:3:1: version: duplicate key (first at line 1)",
		},
	}, {
		name: "not a mapping",
		in:   "- 1\n- 2\n",
		errs: []string{"t.yaml:1:1: want a mapping, got a sequence"},
	}, {
		name: "syntax error",
		in:   "version: 1\nlevels: [\n",
		errs: []string{"t.yaml:2: invalid YAML: did not find expected node content"},
	}, {
		name: "empty",
		in:   "# nothing\n",
		errs: []string{"t.yaml: empty document"},
	}, {
		name: "two documents",
		in:   "version: 1\n---\nversion: 2\n",
		errs: []string{"t.yaml:2:1: more than one YAML document"},
	}, {
		name: "aliases resolve",
		in:   "version: &v 1\nclock_mhz: *v\n",
		want: testFile{Version: 1, Clock: 1},
	}, {
		name: "infinite number",
		in:   "clock_mhz: .inf\n",
		errs: []string{"t.yaml:1:12: clock_mhz: want a finite number, got .inf"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got testFile
			_, err := Decode("t.yaml", []byte(tt.in), &got)
			var errs []string
			if err != nil {
				for _, e := range err.(ErrorList) {
					errs = append(errs, e.Error())
				}
			}
			if diff := cmp.Diff(tt.errs, errs); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			if tt.errs == nil {
				if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(testLevel{}, testTensorEnergy{})); diff != "" {
					t.Errorf("decoded (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestDocPositions(t *testing.T) {
	in := `version: 1
levels:
  - name: DRAM
  - name: RF
    size_words: -3
    energy:
      read_pj: 1
`
	var f testFile
	doc, err := Decode("t.yaml", []byte(in), &f)
	if err != nil {
		t.Fatal(err)
	}
	doc.Errorf("levels[1].size_words", "must be positive, got %d", *f.Levels[1].SizeWords)
	doc.Errorf("levels[1].mesh", "missing")      // absent: positioned at levels[1]
	doc.Errorf("levels[1].energy", "collection") // block mapping: at its key
	doc.Errorf("clock_mhz", "required")          // absent at the top: the document
	var got []string
	for _, e := range doc.Err().(ErrorList) {
		got = append(got, e.Error())
	}
	want := []string{
		"t.yaml:1:1: clock_mhz: required",
		"t.yaml:4:5: levels[1].mesh: missing",
		"t.yaml:5:17: levels[1].size_words: must be positive, got -3",
		"t.yaml:6:5: levels[1].energy: collection",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	if !doc.Has("levels[1].energy.read_pj") || doc.Has("levels[0].size_words") {
		t.Errorf("Has: wrong presence")
	}
}

func TestPaths(t *testing.T) {
	tests := []struct{ path, parent string }{
		{"levels[2].size_words", "levels[2]"},
		{"levels[2]", "levels"},
		{"levels", ""},
		{"a.b.c", "a.b"},
	}
	for _, tt := range tests {
		if got := Parent(tt.path); got != tt.parent {
			t.Errorf("Parent(%q) = %q, want %q", tt.path, got, tt.parent)
		}
	}
	if got := Index(Join(Join("", "levels"), "x"), 3); got != "levels.x[3]" {
		t.Errorf("Join/Index = %q", got)
	}
}

func TestKeys(t *testing.T) {
	want := []string{
		"version", "name", "clock_mhz", "levels",
		"levels[].name", "levels[].size_words", "levels[].mesh", "levels[].keeps",
		"levels[].multicast", "levels[].energy",
		"levels[].energy.read_pj", "levels[].energy.Weights",
	}
	if diff := cmp.Diff(want, Keys(&testFile{})); diff != "" {
		t.Errorf("Keys (-want +got):\n%s", diff)
	}
}

func TestDocumentedKeys(t *testing.T) {
	md := strings.Join([]string{
		"# Format",
		"| Table | Classes |",
		"|---|---|",
		"| `eyeriss` | x |",
		"",
		"| Key | Type |",
		"|---|---|",
		"| `version` | integer |",
		"| `levels[].name` | string |",
		"| not a key | x |",
		"| `two words` | x |",
		"Text with `code` | pipes",
	}, "\n")
	if diff := cmp.Diff([]string{"version", "levels[].name"}, DocumentedKeys([]byte(md))); diff != "" {
		t.Errorf("DocumentedKeys (-want +got):\n%s", diff)
	}
}

func TestClosest(t *testing.T) {
	opts := []string{"size_words", "mesh", "keeps", "Weights"}
	tests := []struct{ in, want string }{
		{"sise_words", "size_words"},
		{"size_wrods", "size_words"},
		{"weights", "Weights"},
		{"mash", "mesh"},
		{"colour", ""},
		{"kp", ""},
	}
	for _, tt := range tests {
		if got := Closest(tt.in, opts); got != tt.want {
			t.Errorf("Closest(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// A yaml.Node field takes any value as it is, positioned like any other.
func TestDecodeNode(t *testing.T) {
	type raw struct {
		Values []yaml.Node `yaml:"values"`
		One    yaml.Node   `yaml:"one"`
	}
	in := "values: [1, x, [a, b], {k: v}]\none: &a 2.5\nvalues2: 1\n"
	var got raw
	doc, err := Decode("t.yaml", []byte(in), &got)
	var errs []string
	for _, e := range err.(ErrorList) {
		errs = append(errs, e.Error())
	}
	if diff := cmp.Diff([]string{"t.yaml:3:1: values2: unknown key (did you mean values?)"}, errs); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	kinds := []yaml.Kind{yaml.ScalarNode, yaml.ScalarNode, yaml.SequenceNode, yaml.MappingNode}
	if len(got.Values) != len(kinds) {
		t.Fatalf("%d values", len(got.Values))
	}
	for i, k := range kinds {
		if got.Values[i].Kind != k {
			t.Errorf("values[%d]: kind %v, want %v", i, got.Values[i].Kind, k)
		}
	}
	if got.One.Value != "2.5" || got.One.ShortTag() != "!!float" {
		t.Errorf("one = %q %s", got.One.Value, got.One.ShortTag())
	}
	if p := doc.Pos("values[2]"); p.Line != 1 || p.Col != 16 {
		t.Errorf("values[2] at %v, want 1:16", p)
	}
	var missing raw
	if _, err := Decode("t.yaml", []byte("one:\n"), &missing); err == nil || err.Error() != "t.yaml:1:1: one: missing value" {
		t.Errorf("missing value: %v", err)
	}
}
