package sweep

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nnergy/nnergy/dataflow"
	"github.com/nnergy/nnergy/explore"
)

// TestISCA16EqualsCompare runs examples/sweeps/isca16.yaml, the ISCA 2016
// equal-area comparison as a sweep, with a smaller search, and checks that
// every point is the architecture explore.EqualArea builds for its
// dataflow and that every layer's mapping and figures equal those of
// explore.Compare, which nnergy compare prints.
func TestISCA16EqualsCompare(t *testing.T) {
	s, err := Load("../examples/sweeps/isca16.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s.Mapper.Search.MaxEvaluations = 1500
	res, err := s.Run(context.Background(), Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	net := s.Workloads[0].Network
	if net.Name != "alexnet" || s.Workloads[0].Batch != 16 {
		t.Fatalf("the sweep runs %s at batch %d", net.Name, s.Workloads[0].Batch)
	}
	cmpRes, err := explore.Compare(context.Background(), net, dataflow.Dataflows, explore.EqualArea{}, s.Mapper.Search, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Points) != len(cmpRes) {
		t.Fatalf("%d points, %d dataflows compared", len(res.Points), len(cmpRes))
	}
	for _, c := range cmpRes {
		var p *PointResult
		for i := range res.Points {
			if res.Points[i].Design.Mapper.DataflowName() == c.Dataflow.String() {
				p = &res.Points[i]
			}
		}
		if p == nil || !p.Valid() {
			t.Fatalf("no valid point for %s", c.Dataflow)
		}
		// The same architecture but for its name and where it came from.
		a, b := *p.Design.Arch, *c.Spec
		a.Name, a.Description, a.Source = "", "", ""
		b.Name, b.Description, b.Source = "", "", ""
		if diff := cmp.Diff(b, a); diff != "" {
			t.Errorf("%s: the sweep's architecture differs from explore.EqualArea's (-compare +sweep):\n%s", c.Dataflow, diff)
		}
		got := p.Workloads[0].Network
		if got == nil {
			t.Fatalf("%s: %s", c.Dataflow, p.Workloads[0].Reason)
		}
		for i, l := range c.Network.Layers {
			g := got.Layers[i]
			if g.Mapping.Format() != l.Mapping.Format() {
				t.Errorf("%s %s: mapping\n%s\ncompare's\n%s", c.Dataflow, l.Layer.Name, g.Mapping.Format(), l.Mapping.Format())
			}
			if g.Result.EnergyPJ != l.Result.EnergyPJ || g.Result.Cycles != l.Result.Cycles {
				t.Errorf("%s %s: %g pJ, %d cycles; compare %g pJ, %d cycles", c.Dataflow, l.Layer.Name,
					g.Result.EnergyPJ, g.Result.Cycles, l.Result.EnergyPJ, l.Result.Cycles)
			}
		}
		if f := p.Workloads[0].Figures; f.EnergyPJ != c.Network.Total.EnergyPJ || f.Cycles != c.Network.Total.Cycles {
			t.Errorf("%s: total %g pJ, %d cycles; compare %g pJ, %d cycles", c.Dataflow, f.EnergyPJ, f.Cycles,
				c.Network.Total.EnergyPJ, c.Network.Total.Cycles)
		}
	}
}
