package report

import (
	"fmt"
	"math"
	"reflect"
	"strings"
)

// CheckFinite returns an error naming the first figure of report v that is
// NaN or infinite, by its JSON path and the name of the layer (or other
// named item) it belongs to: "report: layers[3] (conv4).energy_pj is
// +Inf". No command prints Inf or NaN as a result: a figure that went
// non-finite is a bug or an input past its bounds, to be told, not shown.
// The constructors that return an error call it; a command building a
// report otherwise calls it before printing.
func CheckFinite(v any) error {
	if p := nonFinite(reflect.ValueOf(v), "", 0); p != "" {
		return fmt.Errorf("report: %s: a result went non-finite", p)
	}
	return nil
}

// maxDepth bounds the walk: reports are trees a few levels deep.
const maxDepth = 32

// nonFinite returns "path is value" for the first non-finite float under
// v, or "".
func nonFinite(v reflect.Value, path string, depth int) string {
	if depth > maxDepth {
		return ""
	}
	switch v.Kind() {
	case reflect.Float32, reflect.Float64:
		if f := v.Float(); math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Sprintf("%s is %v", strings.TrimPrefix(path, "."), f)
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return nonFinite(v.Elem(), path, depth+1)
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			p := path
			switch {
			case name != "":
				p += "." + name
			case !f.Anonymous:
				p += "." + f.Name
			}
			if s := nonFinite(v.Field(i), p, depth+1); s != "" {
				return s
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			e := v.Index(i)
			p := fmt.Sprintf("%s[%d]", path, i)
			if n := itemName(e); n != "" {
				p += " (" + n + ")"
			}
			if s := nonFinite(e, p, depth+1); s != "" {
				return s
			}
		}
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			if s := nonFinite(iter.Value(), fmt.Sprintf("%s[%v]", path, iter.Key()), depth+1); s != "" {
				return s
			}
		}
	}
	return ""
}

// itemName returns the Name (or Layer) of a struct item, to say which
// layer a figure is of.
func itemName(v reflect.Value) string {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return ""
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return ""
	}
	for _, f := range []string{"Name", "Layer"} {
		if n := v.FieldByName(f); n.IsValid() && n.Kind() == reflect.String && n.String() != "" {
			return n.String()
		}
	}
	return ""
}

// checked returns r, or the error of its first non-finite figure.
func checked[T any](r *T) (*T, error) {
	if err := CheckFinite(r); err != nil {
		return nil, err
	}
	return r, nil
}
