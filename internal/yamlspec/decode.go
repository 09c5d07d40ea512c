package yamlspec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Doc is one decoded YAML document: the position of every value by its key
// path, and the errors found in it so far. Validation adds its own errors
// with Errorf, so that decoding and validation report in one format.
type Doc struct {
	// File names the input in error positions.
	File string
	// Errs holds the errors found so far.
	Errs ErrorList

	pos map[string]Pos
}

// Decode parses data as one YAML document and decodes it strictly into v,
// which must be a non-nil pointer to a struct whose fields carry `yaml:"key"`
// tags. It returns the document with the positions of all values, and an
// ErrorList with every syntax error, unknown or duplicate key, and value of
// the wrong type (nil if there are none).
//
// Supported field types are structs (mappings; `yaml:",inline"` embeds the
// keys of a struct field; fields without a tag are skipped), pointers
// (allocated when the key is present, so nil means absent), slices and
// arrays (sequences; an array needs exactly its length), string (any
// scalar), bool, signed integers and float64 (finite numbers; integers are
// accepted where floats are wanted), and yaml.Node, which takes any value
// as it is (aliases resolved) for the caller to check: a value whose type
// depends on other values. A key given without a value is an error.
func Decode(file string, data []byte, v any) (*Doc, error) {
	d := &Doc{File: file, pos: map[string]Pos{"": {File: file}}}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		panic(fmt.Sprintf("yamlspec: Decode needs a non-nil pointer to a struct, got %T", v))
	}
	if len(data) > MaxFileBytes {
		d.Errs.Add(Pos{File: file}, "", fmt.Sprintf("larger than %d bytes (yamlspec.MaxFileBytes, docs/limits.md)", MaxFileBytes))
		return d, d.Errs.Err()
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var root yaml.Node
	switch err := dec.Decode(&root); {
	case errors.Is(err, io.EOF):
		d.Errs.Add(Pos{File: file}, "", "empty document")
		return d, d.Errs.Err()
	case err != nil:
		d.syntaxError(err, data)
		return d, d.Errs.Err()
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		d.Errs.Add(d.nodePos(&extra), "", "more than one YAML document")
	case !errors.Is(err, io.EOF):
		d.syntaxError(err, data)
	}
	if len(d.Errs) > 0 {
		return d, d.Errs.Err()
	}
	n := &root
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	if isNull(n) {
		d.Errs.Add(d.nodePos(n), "", "empty document")
		return d, d.Errs.Err()
	}
	if !d.checkExpansion(n) {
		return d, d.Errs.Err()
	}
	d.value(n, "", rv.Elem())
	d.Errs.Sort()
	return d, d.Errs.Err()
}

var lineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func (d *Doc) syntaxError(err error, data []byte) {
	msg := err.Error()
	pos := Pos{File: d.File}
	if m := lineRE.FindStringSubmatch(msg); m != nil {
		pos.Line, _ = strconv.Atoi(m[1])
		msg = m[2]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
		// The parser names no line for bytes it cannot read (not UTF-8,
		// control characters): find the first such byte.
		if line, col, what, ok := badByte(data); ok {
			pos.Line, pos.Col = line, col
			msg += ": " + what
		}
	}
	d.Errs.Add(pos, "", "invalid YAML: "+msg)
}

// badByte returns the line and column (from 1, in bytes) of the first byte
// of data that is not UTF-8 or is a control character YAML does not allow,
// and what it is.
func badByte(data []byte) (line, col int, what string, ok bool) {
	line, start := 1, 0
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			return line, i - start + 1, fmt.Sprintf("byte 0x%02x is not UTF-8", data[i]), true
		case r < 0x20 && r != '\t' && r != '\n' && r != '\r', r == 0x7f:
			return line, i - start + 1, fmt.Sprintf("control character 0x%02x", r), true
		case r == '\n':
			line, start = line+1, i+1
		}
		i += size
	}
	return 0, 0, "", false
}

// Has reports whether the document gives a value at path.
func (d *Doc) Has(path string) bool {
	_, ok := d.pos[path]
	return ok
}

// Pos returns the position of the value at path or, when the document does
// not give one, of the nearest enclosing value that it gives.
func (d *Doc) Pos(path string) Pos {
	for {
		if p, ok := d.pos[path]; ok {
			return p
		}
		if path == "" {
			return Pos{File: d.File}
		}
		path = Parent(path)
	}
}

// Errorf adds an error at path, positioned as Pos(path).
func (d *Doc) Errorf(path, format string, args ...any) {
	d.Errs.Add(d.Pos(path), path, fmt.Sprintf(format, args...))
}

// Err returns the errors found so far, sorted, or nil.
func (d *Doc) Err() error {
	d.Errs.Sort()
	return d.Errs.Err()
}

// Join returns the path of key inside the mapping at path.
func Join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// Index returns the path of element i of the sequence at path.
func Index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// Parent returns the path that encloses path ("" for a top-level key).
func Parent(path string) string {
	if strings.HasSuffix(path, "]") {
		if i := strings.LastIndexByte(path, '['); i >= 0 {
			return path[:i]
		}
	}
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[:i]
	}
	return ""
}

func (d *Doc) nodePos(n *yaml.Node) Pos { return Pos{File: d.File, Line: n.Line, Col: n.Column} }

func (d *Doc) errAt(n *yaml.Node, path, format string, args ...any) {
	d.Errs.Add(d.nodePos(n), path, fmt.Sprintf(format, args...))
}

// nodeType is the type of a field that takes any value as it is.
var nodeType = reflect.TypeFor[yaml.Node]()

func isNull(n *yaml.Node) bool {
	return n.Kind == 0 || n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

func (d *Doc) value(n *yaml.Node, path string, v reflect.Value) {
	d.valueAt(n, path, nil, v)
}

// valueAt decodes n into v and records its position under path. key, when
// not nil, is the node of the mapping key of the value: collections are
// positioned at their key (block collections start on the next line),
// scalars at the value itself.
func (d *Doc) valueAt(n *yaml.Node, path string, key *yaml.Node, v reflect.Value) {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	p := d.nodePos(n)
	if key != nil && n.Kind != yaml.ScalarNode {
		p = d.nodePos(key)
	}
	d.pos[path] = p
	if isNull(n) {
		at := n
		if key != nil {
			at = key
		}
		d.errAt(at, path, "missing value")
		return
	}
	if v.Type() == nodeType {
		// A raw value: the caller checks it (its type may depend on other
		// values), positioned at path.
		v.Set(reflect.ValueOf(*n))
		return
	}
	if v.Kind() == reflect.Pointer {
		e := reflect.New(v.Type().Elem())
		d.valueAt(n, path, key, e.Elem())
		v.Set(e)
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.mapping(n, path, v)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.errAt(n, path, "want a sequence, got %s", Describe(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, c := range n.Content {
			d.valueAt(c, Index(path, i), nil, s.Index(i))
		}
		v.Set(s)
	case reflect.Array:
		if n.Kind != yaml.SequenceNode || len(n.Content) != v.Len() {
			got := Describe(n)
			if n.Kind == yaml.SequenceNode {
				got = strconv.Itoa(len(n.Content))
			}
			d.errAt(n, path, "want a sequence of %d %s, got %s", v.Len(), plural(v.Type().Elem()), got)
			return
		}
		for i, c := range n.Content {
			d.valueAt(c, Index(path, i), nil, v.Index(i))
		}
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.errAt(n, path, "want a string, got %s", Describe(n))
			return
		}
		v.SetString(n.Value)
	case reflect.Bool:
		var b bool
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
			d.errAt(n, path, "want true or false, got %s", Describe(n))
			return
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		var i int64
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&i) != nil {
			d.errAt(n, path, "want an integer, got %s", Describe(n))
			return
		}
		if v.OverflowInt(i) {
			d.errAt(n, path, "integer %d out of range", i)
			return
		}
		v.SetInt(i)
	case reflect.Float64:
		var f float64
		tag := n.ShortTag()
		if n.Kind != yaml.ScalarNode || (tag != "!!int" && tag != "!!float") || n.Decode(&f) != nil {
			d.errAt(n, path, "want a number, got %s", Describe(n))
			return
		}
		if math.IsInf(f, 0) || math.IsNaN(f) {
			d.errAt(n, path, "want a finite number, got %s", n.Value)
			return
		}
		v.SetFloat(f)
	default:
		panic(fmt.Sprintf("yamlspec: unsupported field type %s at %q", v.Type(), path))
	}
}

func (d *Doc) mapping(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.errAt(n, path, "want a mapping, got %s", Describe(n))
		return
	}
	fields := fieldsOf(v.Type())
	seen := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		kp := Join(path, k.Value)
		if k.Kind != yaml.ScalarNode || k.ShortTag() == "!!merge" {
			d.errAt(k, Join(path, k.Value), "want a plain key, got %s", Describe(k))
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.errAt(k, kp, "duplicate key (first at line %d)", first.Line)
			continue
		}
		seen[k.Value] = k
		f, ok := fields.byKey[k.Value]
		if !ok {
			d.errAt(k, kp, "unknown key (%s)", hint(k.Value, fields.keys))
			continue
		}
		d.valueAt(val, kp, k, v.FieldByIndex(f))
	}
}

// hint suggests the closest known key, or lists them all.
func hint(key string, keys []string) string {
	if c := Closest(key, keys); c != "" {
		return "did you mean " + c + "?"
	}
	return "want one of " + strings.Join(keys, ", ")
}

// Describe names a value for an error message: "a mapping", "a sequence",
// "nothing", or the quoted scalar. Callers that check a yaml.Node field
// themselves describe what they got the same way.
func Describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a sequence"
	case yaml.ScalarNode:
		if isNull(n) {
			return "nothing"
		}
		return strconv.Quote(n.Value)
	}
	return "an unsupported node"
}

func plural(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "integers"
	case reflect.Float64:
		return "numbers"
	case reflect.String:
		return "strings"
	case reflect.Bool:
		return "booleans"
	case reflect.Struct:
		return "mappings"
	}
	return "values"
}

type fieldSet struct {
	byKey map[string][]int // key -> field index path
	keys  []string         // keys in declaration order
	types map[string]reflect.Type
	// inline lists the struct types whose keys were embedded.
	inline []reflect.Type
}

var fieldCache sync.Map // reflect.Type -> *fieldSet

func fieldsOf(t reflect.Type) *fieldSet {
	if fs, ok := fieldCache.Load(t); ok {
		return fs.(*fieldSet)
	}
	fs := &fieldSet{byKey: map[string][]int{}, types: map[string]reflect.Type{}}
	var walk func(t reflect.Type, index []int)
	walk = func(t reflect.Type, index []int) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag, ok := f.Tag.Lookup("yaml")
			name, opt, _ := strings.Cut(tag, ",")
			if !ok || tag == "-" || !f.IsExported() && !(f.Anonymous && opt == "inline") {
				continue
			}
			idx := append(append([]int(nil), index...), i)
			if opt == "inline" {
				if f.Type.Kind() != reflect.Struct {
					panic(fmt.Sprintf("yamlspec: inline field %s of %s is not a struct", f.Name, t))
				}
				fs.inline = append(fs.inline, f.Type)
				walk(f.Type, idx)
				continue
			}
			if _, dup := fs.byKey[name]; dup || name == "" {
				panic(fmt.Sprintf("yamlspec: key %q of %s is empty or defined twice", name, t))
			}
			fs.byKey[name] = idx
			fs.keys = append(fs.keys, name)
			fs.types[name] = f.Type
		}
	}
	walk(t, nil)
	got, _ := fieldCache.LoadOrStore(t, fs)
	return got.(*fieldSet)
}

// CheckBits reports a word width outside 1..64 bits at path; nil (absent)
// is fine.
func (d *Doc) CheckBits(path string, bits *int) {
	if bits != nil && (*bits < 1 || *bits > 64) {
		d.Errorf(path, "must be between 1 and 64 bits, got %d", *bits)
	}
}

// CheckVersion reports a format version that is absent or other than want
// under the top-level key "version".
func (d *Doc) CheckVersion(version *int, want int) {
	switch {
	case version == nil:
		d.Errorf("version", "required (this format is version %d)", want)
	case *version != want:
		d.Errorf("version", "unsupported version %d (want %d)", *version, want)
	}
}

// DecodeNode decodes n, a raw value (a yaml.Node field) found at path, into
// the struct or value v points to, as Decode decodes a file: unknown keys
// and values of the wrong type are errors of d, positioned under path. It
// serves keys whose form (a name or a mapping) is known only once read.
func (d *Doc) DecodeNode(n *yaml.Node, path string, v any) {
	d.value(n, path, reflect.ValueOf(v).Elem())
}
