package mapping

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

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
	if len(text) > MaxTextBytes {
		return nil, fmt.Errorf("mapping: %s: larger than %d bytes (mapping.MaxTextBytes, docs/limits.md)", name, MaxTextBytes)
	}
	m := &Mapping{}
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
				return nil, errf("level header %q: want \"NAME keep TENSOR...\"", s)
			}
			lv := Level{Name: f[0]}
			for _, tn := range f[2:] {
				if tn == "none" {
					continue
				}
				t, err := workload.ParseTensor(tn)
				if err != nil {
					return nil, errf("%v", strings.TrimPrefix(err.Error(), "workload: "))
				}
				lv.Keep[t] = true
			}
			m.Levels = append(m.Levels, lv)
			continue
		}
		if len(m.Levels) == 0 {
			return nil, errf("loop before the first level header")
		}
		// for D in [0:F)  |  spatial-x D in [0:F)
		if len(f) != 4 || f[2] != "in" || !strings.HasPrefix(f[3], "[0:") || !strings.HasSuffix(f[3], ")") {
			return nil, errf("loop %q: want \"for D in [0:F)\" or \"spatial-x D in [0:F)\"", s)
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
			return nil, errf("loop %q: unknown loop kind %q (want for, spatial-x or spatial-y)", s, f[0])
		}
		d, err := workload.ParseDim(f[1])
		if err != nil {
			return nil, errf("%v", strings.TrimPrefix(err.Error(), "workload: "))
		}
		n, err := strconv.Atoi(f[3][3 : len(f[3])-1])
		if err != nil || n <= 0 || n > workload.MaxBound {
			return nil, errf("loop %q: factor must be an integer from 1 to %d (workload.MaxBound)", s, int64(workload.MaxBound))
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
		return nil, fmt.Errorf("mapping: %s:%d: %v", name, line+1, err)
	}
	if len(m.Levels) == 0 {
		return nil, fmt.Errorf("mapping: %s: no levels", name)
	}
	return m, nil
}

// MaxTextBytes is the longest mapping text Parse reads: 1 MiB (a mapping
// of a few levels takes a few hundred bytes). docs/limits.md lists every
// limit of nnergy; this one is fixed (raise it here).
const MaxTextBytes = 1 << 20

// ReadFile parses the mapping text in the file at path, refusing a file
// larger than MaxTextBytes without reading more than that.
func ReadFile(path string) (*Mapping, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("mapping: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxTextBytes+1))
	if err != nil {
		return nil, fmt.Errorf("mapping: %w", err)
	}
	return Parse(path, string(b))
}
