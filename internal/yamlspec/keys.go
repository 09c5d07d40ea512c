package yamlspec

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
)

// Keys lists the key paths that decoding into a value of v's type accepts,
// in declaration order: "levels", "levels[].name", ... Elements of sequences
// are written "[]". A mapping type whose keys were already listed under an
// earlier path is listed by its own path only, so that repeated shapes
// (a per-tensor override with the same keys as its parent, say) appear
// once. Documentation tests compare this list with the documented keys.
func Keys(v any) []string {
	t := reflect.TypeOf(v)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []string
	seen := map[reflect.Type]bool{}
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		seen[t] = true
		fs := fieldsOf(t)
		for _, it := range fs.inline {
			seen[it] = true
		}
		for _, k := range fs.keys {
			path := Join(prefix, k)
			out = append(out, path)
			ft := fs.types[k]
			for {
				switch ft.Kind() {
				case reflect.Pointer:
					ft = ft.Elem()
					continue
				case reflect.Slice, reflect.Array:
					ft = ft.Elem()
					path += "[]"
					continue
				}
				break
			}
			if ft.Kind() == reflect.Struct && !seen[ft] {
				walk(ft, path)
			}
		}
	}
	walk(t, "")
	return out
}

// Closest returns the option nearest to s when it is close enough to be a
// likely misspelling (same letters ignoring case, or at most two edits for
// words longer than four letters, one for shorter ones), or "".
func Closest(s string, options []string) string {
	best, bestD := "", 1<<30
	for _, o := range options {
		if strings.EqualFold(o, s) {
			return o
		}
		d := editDistance(strings.ToLower(s), strings.ToLower(o))
		if d < bestD {
			best, bestD = o, d
		}
	}
	limit := 1
	if len(s) > 4 {
		limit = 2
	}
	if bestD <= limit {
		return best
	}
	return ""
}

// editDistance is the Levenshtein distance with adjacent transpositions.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// DocumentedKeys returns the key paths that a Markdown format description
// documents: the first cell of every row of the tables whose header starts
// with a "Key" column, when that cell is one backquoted word, as in
// "| `levels[].size_words` | integer | ... |".
func DocumentedKeys(markdown []byte) []string {
	var out []string
	inTable, keyTable := false, false
	for _, line := range strings.Split(string(markdown), "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "|") {
			inTable = false
			continue
		}
		cell, _, _ := strings.Cut(line[1:], "|")
		cell = strings.TrimSpace(cell)
		if !inTable { // header row
			inTable, keyTable = true, cell == "Key"
			continue
		}
		if keyTable && len(cell) > 2 && cell[0] == '`' && cell[len(cell)-1] == '`' && !strings.ContainsAny(cell[1:len(cell)-1], "` ") {
			out = append(out, cell[1:len(cell)-1])
		}
	}
	return out
}

// DocDiff compares the keys that decoding into v accepts (Keys) with those
// a Markdown format description documents (DocumentedKeys). It returns ""
// when they are the same set, else one line per side naming the keys the
// other lacks, for a documentation test to report.
func DocDiff(v any, markdown []byte) string {
	accepted, documented := set(Keys(v)), set(DocumentedKeys(markdown))
	var b strings.Builder
	for _, side := range []struct {
		what     string
		from, in map[string]bool
	}{
		{"accepted but not documented", accepted, documented},
		{"documented but not accepted", documented, accepted},
	} {
		var keys []string
		for k := range side.from {
			if !side.in[k] {
				keys = append(keys, k)
			}
		}
		if len(keys) > 0 {
			slices.Sort(keys)
			fmt.Fprintf(&b, "%s: %s\n", side.what, strings.Join(keys, ", "))
		}
	}
	return b.String()
}

func set(keys []string) map[string]bool {
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[k] = true
	}
	return m
}

var yamlBlock = regexp.MustCompile("(?s)```yaml\n(.*?)```")

// Examples returns the bodies of a Markdown document's ```yaml blocks, in
// order, for documentation tests to parse.
func Examples(markdown []byte) [][]byte {
	var out [][]byte
	for _, m := range yamlBlock.FindAllSubmatch(markdown, -1) {
		out = append(out, m[1])
	}
	return out
}
