package cost_test

import (
	"math"
	"testing"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/cost"
	"github.com/nnergy/nnergy/mapping"
	"github.com/nnergy/nnergy/workload"
)

// featureCase is the small layer of the architecture-feature tests: a
// fully connected layer of M = 16 outputs over C = 8 inputs (128 MACs),
// its M split over 4 of the 8 PEs of featureSpec, each PE's weight
// register file holding its 4 × 8 = 32 weights, filled once and read once
// per MAC: 32 fills and 32 reads per instance, 32 compute cycles.
func featureCase(t *testing.T) (*workload.Layer, *mapping.Mapping) {
	t.Helper()
	l, err := workload.NewLayer("fc", workload.FC, workload.Shape{1, 1, 16, 8, 1, 1, 1, 1}, [2]int{1, 1}, [2]int{1, 1})
	if err != nil {
		t.Fatal(err)
	}
	mp, err := mapping.Parse("m", `DRAM keep Weights Inputs Outputs
GLB keep Weights Inputs Outputs
  spatial-x M in [0:4)
RF keep Weights
  for M in [0:4)
  for C in [0:8)
`)
	if err != nil {
		t.Fatal(err)
	}
	return l, mp
}

// featureSpec is DRAM, a GLB and 8 weight register files (RF) of 16-bit
// words at 100 MHz; the RF's energy is 1 pJ a word, its network's 1 pJ.
func featureSpec() *arch.Spec {
	all := [workload.NumTensors]bool{true, true, true}
	lv := func(name string, keeps [workload.NumTensors]bool, e float64, mesh int) arch.Level {
		l := arch.Level{Name: name, Keeps: keeps, MeshX: mesh, MeshY: 1, WordBits: 16}
		for t := range l.Energy {
			if keeps[t] {
				l.Energy[t] = arch.Actions{ReadPJ: e, WritePJ: e, UpdatePJ: e}
			}
		}
		return l
	}
	rf := lv("RF", [workload.NumTensors]bool{true, false, false}, 1, 8)
	rf.Network = arch.Network{WordPJ: 1, Multicast: true}
	return &arch.Spec{
		Name: "features", ClockHz: 100e6,
		Levels:  []arch.Level{lv("DRAM", all, 100, 1), lv("GLB", all, 2, 1), rf},
		Compute: arch.Compute{MeshX: 1, MeshY: 1, EnergyPJ: 1, Bits: 16},
	}
}

func evalFeature(t *testing.T, s *arch.Spec) cost.Result {
	t.Helper()
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	l, mp := featureCase(t)
	m, err := cost.New(s)
	if err != nil {
		t.Fatal(err)
	}
	r, err := m.Evaluate(l, mp)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestFeatureCase checks the counts the feature tests work from.
func TestFeatureCase(t *testing.T) {
	r := evalFeature(t, featureSpec())
	w := r.Levels[2].Tensors[workload.Weights]
	if !r.Valid || r.Cycles != 32 || r.Levels[2].Instances != 4 || w.Reads != 128 || w.Fills != 128 || w.Updates != 0 || w.Drains != 0 || w.Tile != 32 {
		t.Fatalf("valid %v, %d cycles, %d RFs, weights %+v; want 32 cycles, 4 RFs, 128 reads and fills of tiles of 32", r.Valid, r.Cycles, r.Levels[2].Instances, w)
	}
}

// TestReadWriteBandwidth works out the RF's cycles by hand: 32 reads and
// 32 fills per instance, against one shared port, a read port and a write
// port.
func TestReadWriteBandwidth(t *testing.T) {
	for _, tc := range []struct {
		shared, read, write float64
		cycles              int64
		boundBy             string
	}{
		{0, 0, 0, 32, "compute"},
		{1, 0, 0, 64, "RF"},      // 64 words over one port of 1 word/cycle
		{0, 0.5, 0, 64, "RF"},    // 32 reads at 0.5 a cycle
		{0, 0, 0.25, 128, "RF"},  // 32 fills at 0.25 a cycle
		{0, 2, 2, 32, "compute"}, // 16 cycles each: compute binds
		{2, 0, 0.5, 64, "RF"},    // shared 32, write 64
		{0.5, 4, 4, 128, "RF"},   // the shared port binds
	} {
		s := featureSpec()
		rf := &s.Levels[2]
		rf.BandwidthWords, rf.ReadBandwidthWords, rf.WriteBandwidthWords = tc.shared, tc.read, tc.write
		r := evalFeature(t, s)
		if r.Cycles != tc.cycles || r.BoundBy != tc.boundBy {
			t.Errorf("bandwidth %g, read %g, write %g: %d cycles bound by %s, want %d by %s", tc.shared, tc.read, tc.write, r.Cycles, r.BoundBy, tc.cycles, tc.boundBy)
		}
	}
}

// TestLevelDataBits works out by hand what a width per level and tensor
// changes: 8-bit weights in the 16-bit RF take half a word each (capacity,
// storage energy, network energy and bandwidth), 32-bit ones two.
func TestLevelDataBits(t *testing.T) {
	base := evalFeature(t, featureSpec())
	for _, tc := range []struct {
		bits  int
		size  int64 // RF words
		valid bool
		scale float64
	}{
		{8, 16, true, 0.5}, // 32 weights of 8 bits fill 16 words
		{16, 16, false, 1}, // 32 words do not fit
		{32, 64, true, 2},  // 32 weights of 32 bits fill 64 words
		{32, 63, false, 2},
	} {
		s := featureSpec()
		rf := &s.Levels[2]
		rf.DataBits[workload.Weights] = tc.bits
		rf.SizeWords = tc.size
		rf.BandwidthWords = 1
		r := evalFeature(t, s)
		if r.Valid != tc.valid {
			t.Errorf("%d bits in %d words: valid %v, want %v (%v)", tc.bits, tc.size, r.Valid, tc.valid, r.Violations)
			continue
		}
		if !r.Valid {
			continue
		}
		// 128 reads and 128 fills of 1 pJ a word.
		if got, want := r.Levels[2].StoragePJ, 256*tc.scale; math.Abs(got-want) > 1e-9 {
			t.Errorf("%d bits: RF storage %g pJ, want %g", tc.bits, got, want)
		}
		// The weights' words into the RF (1 pJ each at 16 bits) scale; the
		// other tensors' do not.
		wn := float64(base.Levels[2].Tensors[workload.Weights].NetworkWords)
		if got, want := r.Levels[2].NetworkPJ, base.Levels[2].NetworkPJ+wn*(tc.scale-1); math.Abs(got-want) > 1e-9 || wn == 0 {
			t.Errorf("%d bits: RF network %g pJ, want %g", tc.bits, got, want)
		}
		// 64 values per instance over 1 word/cycle.
		if want := int64(math.Max(32, 64*tc.scale)); r.Cycles != want {
			t.Errorf("%d bits: %d cycles, want %d", tc.bits, r.Cycles, want)
		}
		// The other levels hold the weights at 16 bits, as before.
		if r.Levels[1].StoragePJ != base.Levels[1].StoragePJ {
			t.Errorf("%d bits: GLB storage %g pJ, want %g", tc.bits, r.Levels[1].StoragePJ, base.Levels[1].StoragePJ)
		}
	}
}

// TestClusters works out by hand the RF's storage energy when its 8
// instances form clusters: 4 of them are used, spread evenly over the
// clusters, and each access of a cluster's array (1 pJ) is shared by the
// used instances of the cluster.
func TestClusters(t *testing.T) {
	for _, tc := range []struct {
		size  int
		share float64
	}{
		{1, 1},
		{2, 1},    // 4 clusters of 2: one used instance each
		{4, 0.5},  // 2 clusters of 4: two used instances each
		{8, 0.25}, // 1 cluster: four used instances
	} {
		s := featureSpec()
		s.Levels[2].ClusterSize = tc.size
		r := evalFeature(t, s)
		if got, want := r.Levels[2].StoragePJ, 256*tc.share; math.Abs(got-want) > 1e-9 {
			t.Errorf("cluster %d: RF storage %g pJ, want %g", tc.size, got, want)
		}
		if r.Cycles != 32 || r.Levels[2].Tensors[workload.Weights].Reads != 128 {
			t.Errorf("cluster %d: clusters changed the counts or cycles: %d cycles", tc.size, r.Cycles)
		}
	}
}

// TestLeakagePerCycle works out by hand the static energy of leakage given
// per cycle: 0.01 pJ a cycle per RF and 0.001 per MAC unit over 32 cycles,
// for all 8 PEs or, gating unused instances, the 4 in use; and checks it is
// the same as the equivalent leakage in watts at the clock.
func TestLeakagePerCycle(t *testing.T) {
	for _, gate := range []bool{false, true} {
		used := 8.0
		if gate {
			used = 4
		}
		s := featureSpec()
		s.GateUnused = gate
		s.Levels[2].LeakagePJ = 0.01
		s.Compute.LeakagePJ = 0.001
		r := evalFeature(t, s)
		if got, want := r.Levels[2].StaticPJ, used*0.01*32; math.Abs(got-want) > 1e-12 {
			t.Errorf("gate %v: RF static %g pJ, want %g", gate, got, want)
		}
		if got, want := r.MACStaticPJ, used*0.001*32; math.Abs(got-want) > 1e-12 {
			t.Errorf("gate %v: MAC static %g pJ, want %g", gate, got, want)
		}
		w := featureSpec()
		w.GateUnused = gate
		w.Levels[2].LeakageWatts = 0.01e-12 * w.ClockHz
		w.Compute.LeakageWatts = 0.001e-12 * w.ClockHz
		rw := evalFeature(t, w)
		if math.Abs(rw.StaticPJ-r.StaticPJ) > 1e-12 || math.Abs(rw.LowerBoundPJ-r.LowerBoundPJ) > 1e-12 {
			t.Errorf("gate %v: per cycle static %g pJ (bound %g), in watts %g (bound %g)", gate, r.StaticPJ, r.LowerBoundPJ, rw.StaticPJ, rw.LowerBoundPJ)
		}
		if math.Abs(s.LeakageWatts()-w.LeakageWatts()) > 1e-18 {
			t.Errorf("gate %v: chip leakage %g W, in watts %g", gate, s.LeakageWatts(), w.LeakageWatts())
		}
	}
}
