package explore

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/dataflow"
	"github.com/nnergy/nnergy/mapper"
	"github.com/nnergy/nnergy/mapspace"
	"github.com/nnergy/nnergy/workload"
	"github.com/nnergy/nnergy/workload/zoo"
)

func TestMesh(t *testing.T) {
	tests := []struct {
		pes, x, y int
		err       string
	}{
		{256, 16, 16, ""},
		{168, 14, 12, ""},
		{128, 16, 8, ""},
		{200, 20, 10, ""},
		{1, 1, 1, ""},
		{2, 2, 1, ""},
		{3, 3, 1, ""},
		{4, 2, 2, ""},
		{0, 0, 0, "explore: 0 PEs, want at least 1"},
		{-4, 0, 0, "explore: -4 PEs, want at least 1"},
		{5, 0, 0, "explore: 5 PEs make at best a 5x1 array, more than 4:1; pick a count with a squarer split"},
		{257, 0, 0, "explore: 257 PEs make at best a 257x1 array, more than 4:1; pick a count with a squarer split"},
	}
	for _, tt := range tests {
		x, y, err := Mesh(tt.pes)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("Mesh(%d) error = %v, want %q", tt.pes, err, tt.err)
			}
			continue
		}
		if err != nil || x != tt.x || y != tt.y {
			t.Errorf("Mesh(%d) = %d, %d, %v; want %d, %d", tt.pes, x, y, err, tt.x, tt.y)
		}
	}
}

func TestEqualAreaStorage(t *testing.T) {
	var e EqualArea // the paper's setup: 256 PEs, k = 1.6
	want := map[dataflow.Dataflow]struct{ rf, glb int64 }{
		dataflow.RS:  {512, 128 << 10},
		dataflow.WS:  {2, 131072 + 256*510*16/10},
		dataflow.OS:  {2, 131072 + 256*510*16/10},
		dataflow.IS:  {2, 131072 + 256*510*16/10},
		dataflow.NLR: {0, 340786}, // 340787.2 B rounded down to whole words
	}
	st := map[dataflow.Dataflow]Storage{}
	for _, df := range dataflow.Dataflows {
		s, err := e.Storage(df)
		if err != nil {
			t.Fatal(err)
		}
		st[df] = s
		if s.MeshX != 16 || s.MeshY != 16 || s.RFBytes != want[df].rf || s.GLBBytes != want[df].glb {
			t.Errorf("%s: %dx%d PEs, RF %d B, GLB %d B; want 16x16, %d B, %d B", df, s.MeshX, s.MeshY, s.RFBytes, s.GLBBytes, want[df].rf, want[df].glb)
		}
		// Every dataflow spends the baseline area, to within one word.
		used := 256*float64(s.RFBytes)*ISCA16RFArea + float64(s.GLBBytes)
		if base := 256 * 512 * (1 + ISCA16RFArea); used > base || base-used >= 2 {
			t.Errorf("%s uses %g GLB bytes of area, want %g", df, used, base)
		}
	}
	// The paper's statements (figures.md §2): GLB sizes differ by up to
	// 2.6x and total on-chip storage by up to 80 kB.
	if r := float64(st[dataflow.NLR].GLBBytes) / float64(st[dataflow.RS].GLBBytes); math.Abs(r-2.6) > 1e-4 {
		t.Errorf("NLR/RS GLB = %.5f, want 2.6", r)
	}
	if d := st[dataflow.NLR].OnChipBytes() - st[dataflow.RS].OnChipBytes(); d > 80<<10 || d < 76<<10 {
		t.Errorf("on-chip storage differs by %d B, want just under 80 kB", d)
	}
	if _, err := (EqualArea{RFArea: -1}).Storage(dataflow.RS); err == nil || err.Error() != "explore: RF area per byte -1, want a positive number" {
		t.Errorf("negative RF area: %v", err)
	}
	if _, err := (EqualArea{PEs: 7}).Storage(dataflow.RS); err == nil || !strings.Contains(err.Error(), "7x1 array") {
		t.Errorf("7 PEs: %v", err)
	}
}

func TestEqualAreaSpec(t *testing.T) {
	for _, df := range dataflow.Dataflows {
		s, st, err := EqualArea{PEs: 168, RFArea: 3.75}.Spec(df)
		if err != nil {
			t.Fatalf("%s: %v", df, err)
		}
		if s.MACUnits() != 168 || s.Levels[1].SizeWords*2 != st.GLBBytes {
			t.Errorf("%s: %d MACs, GLB %d words, storage %+v", df, s.MACUnits(), s.Levels[1].SizeWords, st)
		}
		for _, lv := range s.Levels {
			for t2 := range workload.NumTensors {
				if !lv.Keeps[t2] {
					continue
				}
				want := map[string]float64{"DRAM": 200, "GLB": 6, "RF": 1}[lv.Name]
				if lv.Energy[t2].ReadPJ != want || lv.Energy[t2].UpdatePJ != want {
					t.Errorf("%s %s %s energy %+v, want %g pJ", df, lv.Name, workload.Tensor(t2), lv.Energy[t2], want)
				}
			}
		}
		if s.Levels[2].Network.WordPJ != 2 || s.Compute.EnergyPJ != 1 {
			t.Errorf("%s: array %g pJ, MAC %g pJ", df, s.Levels[2].Network.WordPJ, s.Compute.EnergyPJ)
		}
		// Format and Parse round-trip.
		p, err := arch.Parse(s.Name+".yaml", arch.Format(s))
		if err != nil {
			t.Fatalf("%s: %v", df, err)
		}
		p.Source = s.Source
		if !reflect.DeepEqual(p, s) {
			t.Errorf("%s: Parse(Format(spec)) differs:\n%s", df, arch.Format(p))
		}
		// The dataflow's constraints fit its architecture for every
		// AlexNet layer.
		for _, l := range zoo.AlexNet().WithBatch(16).Layers {
			if _, err := mapspace.New(l, s, dataflow.Constraints(df, l, s)); err != nil {
				t.Errorf("%s %s: %v", df, l.Name, err)
			}
		}
	}
}

func TestCompareBreakdown(t *testing.T) {
	net := zoo.LeNet5().WithBatch(4)
	dfs := []dataflow.Dataflow{dataflow.RS, dataflow.WS, dataflow.OS, dataflow.NLR}
	set := mapper.Settings{MaxEvaluations: 300, Workers: 1, Seed: 3}
	var searches int
	res, err := Compare(context.Background(), net, dfs, EqualArea{PEs: 16}, set, func(dataflow.Dataflow, *workload.Layer, mapper.Stats) { searches++ })
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != len(dfs) || searches != len(dfs)*len(net.Layers) {
		t.Fatalf("%d results, %d searches", len(res), searches)
	}
	for i, c := range res {
		if c.Dataflow != dfs[i] || c.Spec.MACUnits() != 16 || len(c.Stats) != len(net.Layers) {
			t.Errorf("result %d: %s on %s, %d stats", i, c.Dataflow, c.Spec.Name, len(c.Stats))
		}
		b := c.Breakdown(nil)
		var lv, tn float64
		for _, v := range b.Level {
			lv += v
		}
		for _, v := range b.Tensor {
			tn += v
		}
		tn += b.ALUPJ
		if math.Abs(lv-b.EnergyPJ) > 1e-9*b.EnergyPJ || math.Abs(tn-b.EnergyPJ) > 1e-9*b.EnergyPJ {
			t.Errorf("%s: levels %g, tensors + ALU %g, total %g pJ", c.Dataflow, lv, tn, b.EnergyPJ)
		}
		if b.EnergyPJ != c.Network.Total.EnergyPJ || b.MACs != net.MACs() {
			t.Errorf("%s: breakdown %g pJ %d MACs, network %g pJ %d MACs", c.Dataflow, b.EnergyPJ, b.MACs, c.Network.Total.EnergyPJ, net.MACs())
		}
		if got := b.PerMAC(b.Level[ALU]); math.Abs(got-1) > 1e-12 {
			t.Errorf("%s: ALU %g per MAC, want 1", c.Dataflow, got)
		}
		// NLR keeps nothing in its PEs; WS keeps only weights there.
		rf := b.Level[RF]
		switch c.Dataflow {
		case dataflow.NLR:
			if rf != 0 {
				t.Errorf("NLR spends %g pJ in the RF", rf)
			}
		case dataflow.WS:
			for _, l := range c.Network.Layers {
				tr := l.Result.Levels[2].Tensors
				if tr[workload.Inputs].Reads+tr[workload.Outputs].Reads != 0 {
					t.Errorf("WS %s reads inputs or psums from the RF", l.Layer.Name)
				}
			}
		}
		conv := c.Breakdown(func(l *workload.Layer) bool { return l.Kind == workload.Conv })
		fc := c.Breakdown(func(l *workload.Layer) bool { return l.Kind == workload.FC })
		if conv.MACs+fc.MACs != b.MACs || math.Abs(conv.EnergyPJ+fc.EnergyPJ-b.EnergyPJ) > 1e-9*b.EnergyPJ {
			t.Errorf("%s: CONV + FC do not add up to the whole network", c.Dataflow)
		}
	}
}

// A layer's search does not depend on the layers searched before it.
func TestCompareLayerIndependent(t *testing.T) {
	net := zoo.LeNet5().WithBatch(16)
	set := mapper.Settings{MaxEvaluations: 2000, Workers: 2, Seed: 1}
	f6 := func(layers []*workload.Layer) string {
		sub := &workload.Network{Name: net.Name, Input: net.Input, Layers: layers}
		res, err := Compare(context.Background(), sub, []dataflow.Dataflow{dataflow.WS}, EqualArea{}, set, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range res[0].Network.Layers {
			if l.Layer.Name == "f6" {
				return l.Mapping.Format()
			}
		}
		t.Fatal("no f6")
		return ""
	}
	if alone, after := f6(net.Layers[3:4]), f6(net.Layers); alone != after {
		t.Errorf("f6 searched alone:\n%s\nafter c1, c3, c5:\n%s", alone, after)
	}
}

func ExampleEqualArea_Storage() {
	area := EqualArea{PEs: 256, RFArea: 1.6}
	for _, df := range []dataflow.Dataflow{dataflow.RS, dataflow.WS, dataflow.NLR} {
		st, err := area.Storage(df)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s: %dx%d PEs, RF %d B per PE, GLB %d B, on chip %d B\n", df, st.MeshX, st.MeshY, st.RFBytes, st.GLBBytes, st.OnChipBytes())
	}
	// Output:
	// rs: 16x16 PEs, RF 512 B per PE, GLB 131072 B, on chip 262144 B
	// ws: 16x16 PEs, RF 2 B per PE, GLB 339968 B, on chip 340480 B
	// nlr: 16x16 PEs, RF 0 B per PE, GLB 340786 B, on chip 340786 B
}
