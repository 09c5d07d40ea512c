package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/nnergy/nnergy/report"
)

// Figure is one line of a run's results: the total, a layer, a group and
// dataflow of a comparison, or a pruning method. A figure the report does
// not give is NaN.
type Figure struct {
	Name           string
	EnergyPJ       float64
	LatencySeconds float64
	// Accuracy is a fraction (prune and adapt).
	Accuracy float64
}

// Total is the name of the figure of a whole run.
const Total = "total"

func figure(name string) Figure {
	return Figure{Name: name, EnergyPJ: math.NaN(), LatencySeconds: math.NaN(), Accuracy: math.NaN()}
}

// Figures returns the figures of a run's report, the total first (when the
// report has one). It reads reports of any version that has the fields it
// needs, and returns none for a kind it does not know (or no report).
func Figures(rep []byte) ([]Figure, error) {
	if len(rep) == 0 {
		return nil, nil
	}
	var h report.Header
	if err := json.Unmarshal(rep, &h); err != nil {
		return nil, fmt.Errorf("store: report: %v", err)
	}
	read := func(v any) error {
		if err := json.Unmarshal(rep, v); err != nil {
			return fmt.Errorf("store: %s report: %v", h.Kind, err)
		}
		return nil
	}
	var out []Figure
	switch h.Kind {
	case report.KindEval:
		var r report.Eval
		if err := read(&r); err != nil {
			return nil, err
		}
		t := figure(Total)
		t.EnergyPJ, t.LatencySeconds = r.Total.EnergyPJ, r.Total.LatencySeconds
		out = append(out, t)
		for _, l := range r.Layers {
			f := figure(l.Name)
			f.EnergyPJ, f.LatencySeconds = l.EnergyPJ, l.LatencySeconds
			out = append(out, f)
		}
	case report.KindMap:
		var r report.Map
		if err := read(&r); err != nil {
			return nil, err
		}
		t := figure(Total)
		t.EnergyPJ, t.LatencySeconds = r.Layer.EnergyPJ, r.Layer.LatencySeconds
		out = append(out, t)
		l := t
		l.Name = r.Layer.Name
		out = append(out, l)
	case report.KindCompare:
		var r report.Compare
		if err := read(&r); err != nil {
			return nil, err
		}
		for _, g := range r.Groups {
			for _, res := range g.Results {
				f := figure(string(g.Name) + "/" + res.Dataflow)
				f.EnergyPJ = res.EnergyPJ
				out = append(out, f)
			}
		}
	case report.KindPrune:
		var r report.Prune
		if err := read(&r); err != nil {
			return nil, err
		}
		for _, run := range r.Runs {
			if len(run.Steps) == 0 {
				continue
			}
			s := run.Steps[len(run.Steps)-1]
			name := run.Method
			if len(r.Runs) == 1 {
				name = Total
			}
			f := figure(name)
			f.EnergyPJ, f.LatencySeconds = s.EnergyPJ, s.LatencySeconds
			if s.Accuracy != nil {
				f.Accuracy = *s.Accuracy
			}
			out = append(out, f)
		}
	case report.KindAdapt:
		var r report.Adapt
		if err := read(&r); err != nil {
			return nil, err
		}
		f := figure(Total)
		switch r.ResourceUnit {
		case "pj":
			f.EnergyPJ = r.FinalResource
		case "seconds":
			f.LatencySeconds = r.FinalResource
		}
		f.Accuracy = r.FinalAccuracy
		out = append(out, f)
	case report.KindFit:
		var r report.Fit
		if err := read(&r); err != nil {
			return nil, err
		}
		// The design of --arch, or the cheapest design of a sweep that
		// fits: its energy and latency of a run of the network.
		d := r.Design
		if r.Sweep != nil && len(r.Sweep.Fits) > 0 {
			d = &r.Sweep.Fits[0]
		}
		if d != nil && d.Reason == "" {
			f := figure(Total)
			f.EnergyPJ, f.LatencySeconds = d.EnergyPerFramePJ*float64(max(r.Batch, 1)), d.LatencySeconds
			out = append(out, f)
		}
	}
	return out, nil
}

// FigureDiff is a figure of two runs; a figure one run lacks is NaN there.
type FigureDiff struct {
	Name string
	A, B Figure
}

// SettingDiff is an input or setting that two runs do not share; NoA and
// NoB mark a side that has none.
type SettingDiff struct {
	Name     string
	A, B     string
	NoA, NoB bool
}

// Diff is what differs between two runs.
type Diff struct {
	A, B *Run
	// Figures are the figures of both, in the order of A's (then those
	// only B has).
	Figures []FigureDiff
	// Inputs are the inputs that differ, in this order: kind,
	// nnergy_version, arch (ArchSummary), workload, workload_digest.
	Inputs []SettingDiff
	// Settings are the settings that differ, by name.
	Settings []SettingDiff
}

// NewDiff returns what differs between runs a and b.
func NewDiff(a, b *Run) (*Diff, error) {
	d := &Diff{A: a, B: b}
	fa, err := Figures(a.Report)
	if err != nil {
		return nil, fmt.Errorf("store: run %d: %v", a.ID, strings.TrimPrefix(err.Error(), "store: "))
	}
	fb, err := Figures(b.Report)
	if err != nil {
		return nil, fmt.Errorf("store: run %d: %v", b.ID, strings.TrimPrefix(err.Error(), "store: "))
	}
	inB := map[string]Figure{}
	for _, f := range fb {
		inB[f.Name] = f
	}
	seen := map[string]bool{}
	for _, f := range fa {
		g, ok := inB[f.Name]
		if !ok {
			g = figure(f.Name)
		}
		d.Figures = append(d.Figures, FigureDiff{Name: f.Name, A: f, B: g})
		seen[f.Name] = true
	}
	for _, g := range fb {
		if !seen[g.Name] {
			d.Figures = append(d.Figures, FigureDiff{Name: g.Name, A: figure(g.Name), B: g})
		}
	}
	inputs := func(r *Run) map[string]string {
		return map[string]string{"kind": r.Kind.String(), "nnergy_version": r.Version, "arch": ArchSummary(r.Arch),
			"workload": r.Workload, "workload_digest": r.WorkloadDigest}
	}
	ia, ib := inputs(a), inputs(b)
	for _, k := range []string{"kind", "nnergy_version", "arch", "workload", "workload_digest"} {
		if ia[k] != ib[k] {
			d.Inputs = append(d.Inputs, SettingDiff{Name: k, A: ia[k], B: ib[k]})
		}
	}
	sa, err := settings(a)
	if err != nil {
		return nil, err
	}
	sb, err := settings(b)
	if err != nil {
		return nil, err
	}
	var names []string
	for k := range sa {
		names = append(names, k)
	}
	for k := range sb {
		if _, ok := sa[k]; !ok {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	for _, k := range names {
		va, okA := sa[k]
		vb, okB := sb[k]
		if okA && okB && va == vb {
			continue
		}
		d.Settings = append(d.Settings, SettingDiff{Name: k, A: va, B: vb, NoA: !okA, NoB: !okB})
	}
	return d, nil
}

// settings returns a run's settings as name -> value (strings as they are,
// other values as compact JSON).
func settings(r *Run) (map[string]string, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(r.Settings, &m); err != nil {
		return nil, fmt.Errorf("store: run %d: settings: %v", r.ID, err)
	}
	out := map[string]string{}
	for k, v := range m {
		var s string
		if json.Unmarshal(v, &s) == nil {
			out[k] = s
			continue
		}
		var b bytes.Buffer
		if err := json.Compact(&b, v); err != nil {
			return nil, fmt.Errorf("store: run %d: setting %s: %v", r.ID, k, err)
		}
		out[k] = b.String()
	}
	return out, nil
}

// ArchSummary names the architectures of canonical YAML for people: the
// name of each document and the first 12 hex digits of the YAML's Key, as
// "eyeriss (1a2b3c4d5e6f)"; empty for none.
func ArchSummary(yaml string) string {
	if yaml == "" {
		return ""
	}
	var names []string
	for _, line := range strings.Split(yaml, "\n") {
		if n, ok := strings.CutPrefix(line, "name: "); ok {
			names = append(names, strings.Trim(n, `"'`))
		}
	}
	if len(names) == 0 {
		names = []string{"?"}
	}
	return strings.Join(slices.Compact(names), ",") + " (" + Key([]byte(yaml))[:12] + ")"
}
