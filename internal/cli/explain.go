package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/report"
)

// explainFlags reads --explain and --explain-against: the conventions to
// explain against, or nil without --explain.
func explainFlags(cmd string, explain bool, against string, againstGiven bool) (*arch.Conventions, error) {
	if !explain {
		if againstGiven {
			return nil, usagef("%s: --explain-against needs --explain", cmd)
		}
		return nil, nil
	}
	if cv, err := arch.ParseConventionSet(against); err == nil {
		return &cv, nil
	}
	if strings.HasSuffix(against, ".yaml") || strings.HasSuffix(against, ".yml") {
		// An architecture file: its conventions.
		spec, err := arch.Load(against)
		if err != nil {
			return nil, err
		}
		return &spec.Conventions, nil
	}
	return nil, usagef("%s: --explain-against: unknown convention set %q (want default, timeloop or an architecture YAML file)", cmd, against)
}

// writeExplain prints each layer's explanation (eval --explain): per
// convention switched, the changes per level and tensor.
func writeExplain(w io.Writer, rep *report.Eval) error {
	for i := range rep.Layers {
		l := &rep.Layers[i]
		ex := l.Explain
		if ex == nil {
			continue
		}
		fmt.Fprintf(w, "\n%s: conventions %s against %s: %.2f uJ against %.2f (%+.2f uJ, %s%%), %d cycles against %d\n",
			l.Name, ex.To, ex.From, l.EnergyPJ/1e6, ex.FromEnergyPJ/1e6, (l.EnergyPJ-ex.FromEnergyPJ)/1e6, signedPct(l.EnergyPJ-ex.FromEnergyPJ, ex.FromEnergyPJ), l.Cycles, ex.FromCycles)
		if len(ex.Steps) == 0 {
			fmt.Fprintln(w, "  the same conventions: nothing to explain")
			continue
		}
		t := textTable{left: map[int]bool{0: true, 1: true, 2: true}}
		t.header = []string{"convention", "level", "tensor", "reads", "fills", "updates", "drains", "tile", "network", "energy_pJ", "energy%"}
		for _, st := range ex.Steps {
			name := st.Convention + ": " + st.From + " -> " + st.To
			for _, r := range st.Rows {
				what := r.Tensor
				if r.Part != "storage" {
					what = r.Part
				}
				t.rows = append(t.rows, []string{name, r.Level, what, signed(r.ReadWords), signed(r.FillWords), signed(r.UpdateWords),
					signed(r.DrainWords), signed(r.TileWords), signed(r.NetworkWords), fmt.Sprintf("%+.0f", r.EnergyPJ), signedPct(r.EnergyPJ, ex.FromEnergyPJ)})
				name = ""
			}
			if len(st.Rows) == 0 {
				t.rows = append(t.rows, []string{name, "", "nothing changed", "", "", "", "", "", "", "0", "0.00"})
				continue
			}
			cyc := ""
			if st.Cycles != 0 {
				cyc = fmt.Sprintf(" (%+d cycles)", st.Cycles)
			}
			t.rows = append(t.rows, []string{"", "step total" + cyc, "", "", "", "", "", "", "", fmt.Sprintf("%+.0f", st.EnergyPJ), signedPct(st.EnergyPJ, ex.FromEnergyPJ)})
		}
		if err := t.write(w); err != nil {
			return err
		}
	}
	return nil
}

// signed formats a change of a count, empty when nothing changed.
func signed(v int64) string {
	if v == 0 {
		return ""
	}
	return fmt.Sprintf("%+d", v)
}

// signedPct is part over whole in percent with its sign ("-" without a
// whole).
func signedPct(part, whole float64) string {
	if whole == 0 {
		return "-"
	}
	return fmt.Sprintf("%+.2f", 100*part/whole)
}
