package report

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "write the field list of a new report version")

// schemaPath is the JSON Schema of the reports.
const schemaPath = "../docs/format/report.schema.json"

// roots are the report of each kind.
var roots = []struct {
	kind Kind
	typ  reflect.Type
}{
	{KindEval, reflect.TypeFor[Eval]()},
	{KindMap, reflect.TypeFor[Map]()},
	{KindCompare, reflect.TypeFor[Compare]()},
	{KindPrune, reflect.TypeFor[Prune]()},
	{KindAdapt, reflect.TypeFor[Adapt]()},
	{KindSweep, reflect.TypeFor[Sweep]()},
	{KindFit, reflect.TypeFor[Fit]()},
	{KindCodesign, reflect.TypeFor[Codesign]()},
	{KindRun, reflect.TypeFor[Run]()},
	{KindRuns, reflect.TypeFor[Runs]()},
	{KindDiff, reflect.TypeFor[Diff]()},
	{KindImport, reflect.TypeFor[Import]()},
}

// rawJSON is the type of an embedded JSON document (a run's settings and
// report): an object whose fields the report does not fix, described in the
// schema with additionalProperties true.
var rawJSON = reflect.TypeFor[json.RawMessage]()

// A field line is "kind path type required|optional", path like
// .layers[].levels[].tensors.weights.read_words.

// goFields lists the fields of t as encoding/json writes them.
func goFields(kind Kind, t reflect.Type) []string {
	var out []string
	var walk func(path string, t reflect.Type, required bool)
	walk = func(path string, t reflect.Type, required bool) {
		nullable := false
		if t == rawJSON {
			out = append(out, line(kind, path, "object", required))
			return
		}
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
			// A pointer to a struct is an optional object (omitempty) or
			// one always set; a pointer to a value is that value or null.
			nullable = t.Kind() != reflect.Struct
		}
		typ := ""
		switch t.Kind() {
		case reflect.String:
			typ = "string"
		case reflect.Bool:
			typ = "boolean"
		case reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint64, reflect.Uint32:
			typ = "integer"
		case reflect.Float64:
			typ = "number"
		case reflect.Slice:
			typ = "array"
		case reflect.Struct, reflect.Map:
			typ = "object"
		default:
			panic(fmt.Sprintf("%s: Go kind %s has no JSON form here", path, t.Kind()))
		}
		if nullable {
			typ += "|null"
		}
		if path != "" {
			out = append(out, line(kind, path, typ, required))
		}
		switch t.Kind() {
		case reflect.Slice:
			walk(path+"[]", t.Elem(), true)
		case reflect.Map:
			walk(path+".*", t.Elem(), true)
		case reflect.Struct:
			var fields func(t reflect.Type)
			fields = func(t reflect.Type) {
				for f := range t.Fields() {
					if !f.IsExported() {
						continue
					}
					tag := f.Tag.Get("json")
					if tag == "-" {
						continue
					}
					name, opts, _ := strings.Cut(tag, ",")
					if f.Anonymous && name == "" {
						fields(f.Type)
						continue
					}
					if name == "" {
						panic(fmt.Sprintf("%s.%s has no json name", path, f.Name))
					}
					walk(path+"."+name, f.Type, !strings.Contains(opts, "omitempty"))
				}
			}
			fields(t)
		}
	}
	walk("", t, true)
	sort.Strings(out)
	return out
}

func line(kind Kind, path, typ string, required bool) string {
	req := "optional"
	if required {
		req = "required"
	}
	return fmt.Sprintf("%s %s %s %s", kind, path, typ, req)
}

type schemaNode = map[string]any

func readSchema(t *testing.T) schemaNode {
	t.Helper()
	b, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	var s schemaNode
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("%s: %v", schemaPath, err)
	}
	return s
}

// schemaFields lists the properties of the schema of kind, as goFields.
func schemaFields(t *testing.T, root schemaNode, kind Kind) []string {
	defs := root["$defs"].(schemaNode)
	resolve := func(n schemaNode) schemaNode {
		for {
			ref, ok := n["$ref"].(string)
			if !ok {
				return n
			}
			d, ok := defs[strings.TrimPrefix(ref, "#/$defs/")].(schemaNode)
			if !ok {
				t.Fatalf("schema: unknown $ref %s", ref)
			}
			n = d
		}
	}
	var out []string
	var walk func(path string, n schemaNode, required bool)
	walk = func(path string, n schemaNode, required bool) {
		n = resolve(n)
		typ := ""
		switch v := n["type"].(type) {
		case string:
			typ = v
		case []any:
			var s []string
			for _, x := range v {
				s = append(s, x.(string))
			}
			typ = strings.Join(s, "|")
		case nil:
			if c, ok := n["const"].(string); ok {
				_ = c
				typ = "string"
			} else {
				t.Fatalf("schema: %s %s has no type", kind, path)
			}
		}
		if path != "" {
			out = append(out, line(kind, path, typ, required))
		}
		switch typ {
		case "array":
			walk(path+"[]", n["items"].(schemaNode), true)
		case "object":
			if ap, ok := n["additionalProperties"].(schemaNode); ok {
				walk(path+".*", ap, true)
			} else if n["additionalProperties"] == true {
				// An embedded document (rawJSON): its fields are not
				// the report's.
				if _, ok := n["properties"]; ok {
					t.Errorf("schema: %s %s: an open object (additionalProperties true) lists properties", kind, path)
				}
				return
			} else if n["additionalProperties"] != false {
				t.Errorf("schema: %s %s: additionalProperties must be false or a schema", kind, path)
			}
			req := map[string]bool{}
			for _, r := range n["required"].([]any) {
				req[r.(string)] = true
			}
			props, _ := n["properties"].(schemaNode)
			for r := range req {
				if _, ok := props[r]; !ok {
					t.Errorf("schema: %s %s requires %q, which it does not describe", kind, path, r)
				}
			}
			for name, p := range props {
				walk(path+"."+name, p.(schemaNode), req[name])
			}
		}
	}
	walk("", defs[string(kind)].(schemaNode), true)
	sort.Strings(out)
	return out
}

// TestSchemaMatchesTypes checks that the JSON Schema describes exactly the
// fields the Go types write (names, JSON types, required or optional), and
// that both are the recorded field list of this Version: renaming,
// retyping, adding or removing a field fails here until Version changes
// (go test -update writes the list of a new version; it never rewrites
// the list of an existing one).
func TestSchemaMatchesTypes(t *testing.T) {
	s := readSchema(t)
	if got := s["$schema"]; got != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$schema %v, want draft 2020-12", got)
	}
	if c := s["properties"].(schemaNode)["version"].(schemaNode)["const"]; c != Version {
		t.Errorf("schema version %v, Version %s", c, Version)
	}
	var goLines, schemaLines []string
	for _, r := range roots {
		g, sc := goFields(r.kind, r.typ), schemaFields(t, s, r.kind)
		goLines, schemaLines = append(goLines, g...), append(schemaLines, sc...)
		for _, l := range g {
			if !slices.Contains(sc, l) {
				t.Errorf("Go type writes %q; the schema does not describe it", l)
			}
		}
		for _, l := range sc {
			if !slices.Contains(g, l) {
				t.Errorf("schema describes %q; the Go type does not write it", l)
			}
		}
		if c := s["$defs"].(schemaNode)[string(r.kind)].(schemaNode)["properties"].(schemaNode)["kind"].(schemaNode)["const"]; c != string(r.kind) {
			t.Errorf("schema of %s: kind %v", r.kind, c)
		}
	}
	got := "version " + Version + "\n" + strings.Join(goLines, "\n") + "\n"
	path := filepath.Join("testdata", strings.ReplaceAll(Version, "/", "-")+".fields")
	want, err := os.ReadFile(path)
	switch {
	case os.IsNotExist(err) && *update:
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	case err != nil:
		t.Fatalf("%v: a new report version needs its field list (go test -update writes it)", err)
	}
	if string(want) != got {
		t.Errorf("the report fields differ from those of %s recorded in %s: a changed report needs a new Version "+
			"(and docs/format/report.md, report.schema.json); -update does not rewrite the list of an existing version\n%s",
			Version, path, diffLines(string(want), got))
	}
}

// diffLines lists the lines only in a (-) and only in b (+).
func diffLines(a, b string) string {
	as, bs := strings.Split(a, "\n"), strings.Split(b, "\n")
	var out []string
	for _, l := range as {
		if !slices.Contains(bs, l) {
			out = append(out, "- "+l)
		}
	}
	for _, l := range bs {
		if !slices.Contains(as, l) {
			out = append(out, "+ "+l)
		}
	}
	return strings.Join(out, "\n")
}

// TestSchemaEnums checks the schema's enumerations against the identifiers
// the package writes.
func TestSchemaEnums(t *testing.T) {
	defs := readSchema(t)["$defs"].(schemaNode)
	enum := func(def, prop string) []string {
		p := defs[def].(schemaNode)["properties"].(schemaNode)[prop].(schemaNode)
		if items, ok := p["items"].(schemaNode); ok {
			p = items
		}
		var out []string
		for _, v := range p["enum"].([]any) {
			out = append(out, v.(string))
		}
		return out
	}
	for _, tc := range []struct {
		def, prop string
		want      []string
	}{
		{"eval", "mapping_source", []string{string(SourceBuilder), string(SourceMapper), string(SourceFile)}},
		{"prune", "mapping_source", []string{string(SourceBuilder), string(SourceMapper)}},
		{"layer", "bound_by", []string{string(BoundCompute), string(BoundLevel), string(BoundNetwork)}},
		{"group", "name", []string{string(GroupConv), string(GroupFC), string(GroupLayers)}},
		{"prune_step", "phase", []string{string(PhaseStart), string(PhasePrune), string(PhaseFinetune)}},
		{"mapping_level", "keep", tensorIDNames[:]},
		{"adapt", "resource_unit", []string{"pj", "seconds", "pj_seconds", "macs", "params"}},
	} {
		if got := enum(tc.def, tc.prop); !slices.Equal(got, tc.want) {
			t.Errorf("schema %s.%s: enum %v, the package writes %v", tc.def, tc.prop, got, tc.want)
		}
	}
	var kinds []string
	for _, r := range roots {
		kinds = append(kinds, string(r.kind))
	}
	var top []string
	for _, v := range readSchema(t)["properties"].(schemaNode)["kind"].(schemaNode)["enum"].([]any) {
		top = append(top, v.(string))
	}
	if !slices.Equal(top, kinds) {
		t.Errorf("schema kinds %v, want %v", top, kinds)
	}
	for _, u := range resourceUnits {
		if !slices.Contains(enum("adapt", "resource_unit"), u) {
			t.Errorf("resource unit %q not in the schema", u)
		}
	}
}

// TestDocNamesEveryField checks that docs/format/report.md names every
// field of the schema (as `name`) and every kind.
func TestDocNamesEveryField(t *testing.T) {
	doc, err := os.ReadFile("../docs/format/report.md")
	if err != nil {
		t.Fatal(err)
	}
	s := readSchema(t)
	seen := map[string]bool{}
	for _, r := range roots {
		if !strings.Contains(string(doc), "## `kind: "+string(r.kind)+"`") {
			t.Errorf("report.md has no section ## `kind: %s`", r.kind)
		}
		for _, l := range schemaFields(t, s, r.kind) {
			path := strings.Fields(l)[1]
			name := path[strings.LastIndexAny(path, ".")+1:]
			name = strings.TrimSuffix(name, "[]")
			if name == "" || name == "*" || seen[name] {
				continue
			}
			seen[name] = true
			if !regexp.MustCompile("`[^`]*\\b" + regexp.QuoteMeta(name) + "\\b[^`]*`").Match(doc) {
				t.Errorf("report.md does not describe field `%s` (%s)", name, l)
			}
		}
	}
	if !strings.Contains(string(doc), Version) {
		t.Errorf("report.md does not name version %s", Version)
	}
}
