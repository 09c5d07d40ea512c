package arch

import (
	"strings"
	"testing"
)

// TestConventions parses the `conventions:` key in its forms and checks that
// Format writes it back.
func TestConventions(t *testing.T) {
	const head = "version: 1\nname: t\nclock_mhz: 100\nlevels:\n  - name: DRAM\n    energy: {read_pj: 1}\ncompute: {mac_pj: 1}\n"
	all := TimeloopConventions
	tests := []struct {
		name, in string
		want     Conventions
		err      string // a part of the error
	}{
		{"absent", "", 0, ""},
		{"default by name", "conventions: default\n", 0, ""},
		{"timeloop shorthand", "conventions: timeloop\n", all, ""},
		{"one key", "conventions: {drain: update_only}\n", Conventions(0).With(ConvDrain, true), ""},
		{"base then override", "conventions: {base: timeloop, drain: read, mac_leakage: none}\n", all.With(ConvDrain, false), ""},
		{"every key its default", "conventions: {base: timeloop, drain: read, reload: one, multicast: overlap, links: parent, strided_tile: touched, wrap_reuse: keep, mac_leakage: charged}\n", 0, ""},
		{"unknown set", "conventions: timelop\n", 0, `t.yaml:8:14: conventions: unknown convention set "timelop"`},
		{"unknown base", "conventions: {base: zigzag}\n", 0, `conventions.base: unknown convention set "zigzag"`},
		{"unknown value", "conventions: {reload: some}\n", 0, `t.yaml:8:23: conventions.reload: unknown value "some" (want one or all)`},
		{"unknown key", "conventions: {drains: read}\n", 0, `conventions.drains: unknown key`},
		{"links not modelled", "conventions: {links: neighbour}\n", 0, `conventions.links: links: neighbour is not modelled`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse("t.yaml", []byte(head+tt.in))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one with %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.Conventions != tt.want {
				t.Fatalf("conventions %v, want %v", s.Conventions, tt.want)
			}
			back, err := Parse("back.yaml", Format(s))
			if err != nil {
				t.Fatalf("%v\n%s", err, Format(s))
			}
			if back.Conventions != tt.want {
				t.Fatalf("Format wrote %v back as %v", tt.want, back.Conventions)
			}
		})
	}
}
