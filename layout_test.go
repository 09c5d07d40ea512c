package nnergy

import (
	"bufio"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/nnergy/nnergy"

// layers reads the layer list of doc.go: package path -> layer number.
func layers(t *testing.T) map[string]int {
	t.Helper()
	f, err := os.Open("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got := map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(strings.TrimPrefix(sc.Text(), "//"))
		rest, ok := strings.CutPrefix(line, "layer ")
		if !ok {
			continue
		}
		num, pkgs, ok := strings.Cut(rest, ":")
		if !ok {
			continue
		}
		n, err := strconv.Atoi(num)
		if err != nil {
			t.Fatalf("doc.go: %q: layer number: %v", line, err)
		}
		for _, p := range strings.Fields(pkgs) {
			if l, dup := got[p]; dup {
				t.Errorf("doc.go: %s listed on layers %d and %d", p, l, n)
			}
			got[p] = n
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(got) == 0 {
		t.Fatal("doc.go: no layer lines")
	}
	return got
}

// imports returns, for every package directory of the module with non-test
// Go files, the module packages its non-test files import.
func imports(t *testing.T) map[string][]string {
	t.Helper()
	fset := token.NewFileSet()
	got := map[string][]string{}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != "." && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		dir := filepath.ToSlash(filepath.Dir(path))
		if _, ok := got[dir]; !ok {
			got[dir] = nil
		}
		for _, im := range f.Imports {
			p, _ := strconv.Unquote(im.Path.Value)
			if rel, ok := strings.CutPrefix(p, module+"/"); ok {
				got[dir] = append(got[dir], rel)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestLayers holds doc.go's package map to the import graph.
func TestLayers(t *testing.T) {
	layer := layers(t)
	graph := imports(t)
	var pkgs []string
	for p := range graph {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	for _, p := range pkgs {
		if p == "." {
			continue
		}
		lp, ok := layer[p]
		if !ok {
			t.Errorf("package %s is not on any layer of doc.go", p)
			continue
		}
		for _, q := range graph[p] {
			lq, ok := layer[q]
			if !ok {
				continue // reported as a package of its own
			}
			if lq >= lp {
				t.Errorf("%s (layer %d) imports %s (layer %d): imports must point to lower layers", p, lp, q, lq)
			}
		}
	}
	for p := range layer {
		if _, ok := graph[p]; !ok {
			t.Errorf("doc.go lists %s, which is not a package of the module", p)
		}
	}
}
