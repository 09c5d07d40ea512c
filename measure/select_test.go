package measure

import (
	"strings"
	"testing"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/dataflow"
	"github.com/nnergy/nnergy/nn/zoo"
)

func TestKind(t *testing.T) {
	for _, tc := range []struct {
		name    string
		reports string
	}{
		{"model", "energy latency edp macs params"},
		{"cpu", "latency macs params"},
		{"macs", "macs params"},
	} {
		k, err := ParseKind(tc.name)
		if err != nil || k.String() != tc.name {
			t.Fatalf("ParseKind(%q) = %v, %v", tc.name, k, err)
		}
		var got []string
		for _, m := range k.Metrics() {
			got = append(got, m.String())
		}
		if strings.Join(got, " ") != tc.reports {
			t.Errorf("%s reports %v, want %s", k, got, tc.reports)
		}
	}
	if _, err := ParseKind("gpu"); err == nil || err.Error() != `measure: unknown measurer "gpu" (want model, cpu or macs)` {
		t.Errorf("ParseKind(gpu) error = %v", err)
	}
}

func TestNewSelection(t *testing.T) {
	spec, err := arch.Load("eyeriss")
	if err != nil {
		t.Fatal(err)
	}
	base, err := zoo.New("lenet5", 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		sel  Selection
		want string // description, or error text
		err  bool
	}{
		{Selection{Kind: ModelKind, Arch: spec, Hardware: HardwareConfig{Dataflow: dataflow.RS}}, "eyeriss (rs builder)", false},
		{Selection{Kind: ModelKind, Arch: spec, Hardware: HardwareConfig{Dataflow: dataflow.RS, Search: true}}, "eyeriss (mapper within rs, 2000 evaluations per layer shape)", false},
		{Selection{Kind: CountKind}, "counts", false},
		{Selection{Kind: ModelKind}, "measure: the hardware model needs an architecture", true},
		{Selection{Kind: CPUKind}, "measure: CPU lookup tables need a base model", true},
		{Selection{Kind: Kind(9), Base: base}, "measure: unknown measurer kind 9", true},
	} {
		m, what, err := New(tc.sel)
		switch {
		case tc.err && (err == nil || err.Error() != tc.want):
			t.Errorf("New(%v) error = %v, want %q", tc.sel.Kind, err, tc.want)
		case !tc.err && (err != nil || what != tc.want || m == nil):
			t.Errorf("New(%v) = %v, %q, %v; want %q", tc.sel.Kind, m, what, err, tc.want)
		}
	}
}
