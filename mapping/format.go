package mapping

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/nnergy/nnergy/workload"
)

// Format prints m as a loop nest, one level per block, outermost first:
//
//	DRAM keep Weights Inputs Outputs
//	  for M in [0:4)
//	GLB keep Inputs Outputs
//	  for C in [0:3)
//	  spatial-x M in [0:16)
//	RF keep Weights Inputs Outputs
//	  for S in [0:3)
//
// Loops of factor 1 are left out. Parse reads the same text back.
func (m *Mapping) Format() string {
	var b strings.Builder
	for _, l := range m.Levels {
		b.WriteString(l.Name)
		b.WriteString(" keep")
		for t, k := range l.Keep {
			if k {
				b.WriteByte(' ')
				b.WriteString(workload.Tensor(t).String())
			}
		}
		if !l.Keep[0] && !l.Keep[1] && !l.Keep[2] {
			b.WriteString(" none")
		}
		b.WriteByte('\n')
		for _, lp := range l.Temporal {
			if lp.Factor != 1 {
				fmt.Fprintf(&b, "  for %s in [0:%d)\n", lp.Dim, lp.Factor)
			}
		}
		for _, lp := range l.Spatial {
			if lp.Factor != 1 {
				fmt.Fprintf(&b, "  spatial-%s %s in [0:%d)\n", lp.Axis, lp.Dim, lp.Factor)
			}
		}
	}
	return b.String()
}

// String returns Format().
func (m *Mapping) String() string { return m.Format() }

// Parse reads a mapping in the form Format prints. Blank lines and lines
// starting with # are ignored. Errors name the line: "name:3: ...".
func Parse(name, text string) (*Mapping, error) {
	m, _, err := parse(name, text)
	return m, err
}

// ParseFor is Parse that also checks the mapping's levels against an
// architecture's, given by their names outermost first: as many, and each
// named as the architecture's level in its place. A level that matches
// none is an error at its header's line, where it used to be evaluated
// under the name of the level in its place.
func ParseFor(name, text string, levels []string) (*Mapping, error) {
	m, lines, err := parse(name, text)
	if err != nil {
		return nil, err
	}
	want := strings.Join(levels, ", ")
	for i, lv := range m.Levels {
		if i >= len(levels) {
			return nil, fmt.Errorf("mapping: %s:%d: level %s: the architecture has %d levels (%s)", name, lines[i], lv.Name, len(levels), want)
		}
		if lv.Name != levels[i] {
			if slices.Contains(levels, lv.Name) {
				return nil, fmt.Errorf("mapping: %s:%d: level %s is level %d of the architecture, not %d (%s: outermost first)", name, lines[i], lv.Name, slices.Index(levels, lv.Name)+1, i+1, want)
			}
			return nil, fmt.Errorf("mapping: %s:%d: level %s matches no level of the architecture (%s); level %d is %s", name, lines[i], lv.Name, want, i+1, levels[i])
		}
	}
	if len(m.Levels) < len(levels) {
		return nil, fmt.Errorf("mapping: %s: %d levels, the architecture has %d (%s): %s has no block", name, len(m.Levels), len(levels), want, levels[len(m.Levels)])
	}
	return m, nil
}

// parse is Parse that also returns the line of each level's header.
func parse(name, text string) (*Mapping, []int, error) {
	if len(text) > MaxTextBytes {
		return nil, nil, fmt.Errorf("mapping: %s: larger than %d bytes (mapping.MaxTextBytes, docs/limits.md)", name, MaxTextBytes)
	}
	// A byte that is not text (not UTF-8, or a control character) is named
	// where it is, rather than echoed inside a level name or a loop.
	for i, line, start := 0, 1, 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			return nil, nil, fmt.Errorf("mapping: %s:%d:%d: byte 0x%02x is not UTF-8: not a mapping text", name, line, i-start+1, text[i])
		case r < 0x20 && r != '\t' && r != '\n' && r != '\r', r == 0x7f:
			return nil, nil, fmt.Errorf("mapping: %s:%d:%d: control character 0x%02x: not a mapping text", name, line, i-start+1, r)
		case r == '\n':
			line, start = line+1, i+1
		}
		i += size
	}
	m := &Mapping{}
	var lines []int
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(nil, MaxTextBytes+1) // a line may be as long as the text
	line := 0
	errf := func(format string, a ...any) error {
		return fmt.Errorf("mapping: %s:%d: %s", name, line, fmt.Sprintf(format, a...))
	}
	for sc.Scan() {
		line++
		raw := sc.Text()
		s := strings.TrimSpace(raw)
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		f := strings.Fields(s)
		if raw[0] != ' ' && raw[0] != '\t' {
			// Level header: NAME keep T...
			if len(f) < 2 || f[1] != "keep" {
				return nil, nil, errf("level header %q: want \"NAME keep TENSOR...\"", s)
			}
			lv := Level{Name: f[0]}
			keeps := f[2:]
			if slices.Contains(keeps, "none") && len(keeps) > 1 {
				return nil, nil, errf("level %s: keep %s: none keeps no tensor, and cannot be given with tensors", f[0], strings.Join(keeps, " "))
			}
			for _, tn := range keeps {
				if tn == "none" {
					continue
				}
				t, err := workload.ParseTensor(tn)
				if err != nil {
					return nil, nil, errf("%v", strings.TrimPrefix(err.Error(), "workload: "))
				}
				if lv.Keep[t] {
					return nil, nil, errf("level %s: keeps %s twice", f[0], t)
				}
				lv.Keep[t] = true
			}
			m.Levels = append(m.Levels, lv)
			lines = append(lines, line)
			continue
		}
		if len(m.Levels) == 0 {
			return nil, nil, errf("loop before the first level header")
		}
		// for D in [0:F)  |  spatial-x D in [0:F)
		if len(f) != 4 || f[2] != "in" || !strings.HasPrefix(f[3], "[0:") || !strings.HasSuffix(f[3], ")") {
			return nil, nil, errf("loop %q: want \"for D in [0:F)\" or \"spatial-x D in [0:F)\"", s)
		}
		var ax Axis
		switch f[0] {
		case "for":
			ax = Temporal
		case "spatial-x":
			ax = X
		case "spatial-y":
			ax = Y
		default:
			return nil, nil, errf("loop %q: unknown loop kind %q (want for, spatial-x or spatial-y)", s, f[0])
		}
		d, err := workload.ParseDim(f[1])
		if err != nil {
			return nil, nil, errf("%v", strings.TrimPrefix(err.Error(), "workload: "))
		}
		n, err := strconv.Atoi(f[3][3 : len(f[3])-1])
		if err != nil || n <= 0 || n > workload.MaxBound {
			return nil, nil, errf("loop %q: factor must be an integer from 1 to %d (workload.MaxBound)", s, int64(workload.MaxBound))
		}
		lv := &m.Levels[len(m.Levels)-1]
		lp := Loop{Dim: d, Factor: n, Axis: ax}
		if ax == Temporal {
			lv.Temporal = append(lv.Temporal, lp)
		} else {
			lv.Spatial = append(lv.Spatial, lp)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("mapping: %s:%d: %v", name, line+1, err)
	}
	if len(m.Levels) == 0 {
		return nil, nil, fmt.Errorf("mapping: %s: no levels", name)
	}
	return m, lines, nil
}

// MaxTextBytes is the longest mapping text Parse reads: 1 MiB (a mapping
// of a few levels takes a few hundred bytes). docs/limits.md lists every
// limit of nnergy; this one is fixed (raise it here).
const MaxTextBytes = 1 << 20

// ReadFile parses the mapping text in the file at path, refusing a file
// larger than MaxTextBytes without reading more than that.
func ReadFile(path string) (*Mapping, error) {
	b, err := readText(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, b)
}

// ReadFileFor is ReadFile checking the levels as ParseFor does.
func ReadFileFor(path string, levels []string) (*Mapping, error) {
	b, err := readText(path)
	if err != nil {
		return nil, err
	}
	return ParseFor(path, b, levels)
}

func readText(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("mapping: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxTextBytes+1))
	if err != nil {
		return "", fmt.Errorf("mapping: %w", err)
	}
	return string(b), nil
}
