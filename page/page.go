// Package page renders nnergy's reports as self-contained HTML pages: inline
// CSS and SVG charts (drawn with internal/chart), no scripts, no external
// assets, so a page reads the same in a browser without JavaScript, in an
// email or in a paper's appendix. The web UI serves the same pages.
//
// Every figure a page shows sits in an element with a stable id and its
// exact value in a data-value attribute (strconv 'g' format, -1 precision),
// so a test or a browser script can read the report's numbers back.
package page

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"
)

//go:embed templates/*.html
var files embed.FS

var tmpl = template.Must(template.New("").Funcs(template.FuncMap{
	"exact":    exact,
	"short":    short,
	"si":       func(v float64, unit string) string { return si(v, unit) },
	"pj":       func(v float64) string { return si(v*1e-12, "J") },
	"pct":      func(v float64) string { return strconv.FormatFloat(v*100, 'f', 1, 64) + "%" },
	"indent":   func(n int) string { return strings.Repeat("  ", n) },
	"deref":    func(p *float64) float64 { return *p },
	"join":     strings.Join,
	"runURL":   runURL,
	"pointURL": pointURL,
	"ratio":    ratio,
	"when":     shortTime,
	"cell":     cell,
	"mul":      func(a, b float64) float64 { return a * b },
}).ParseFS(files, "templates/*.html"))

// exact formats v so that strconv.ParseFloat gives v back.
func exact(v any) string {
	switch x := v.(type) {
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case *float64:
		if x != nil {
			return exact(*x)
		}
	}
	return fmt.Sprint(v)
}

// render executes the named template with data and writes the page to w in
// one piece, so a failed page writes nothing.
func render(w io.Writer, name string, data any) error {
	var b bytes.Buffer
	if err := tmpl.ExecuteTemplate(&b, name, data); err != nil {
		return fmt.Errorf("page: %w", err)
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("page: %w", err)
	}
	return nil
}
