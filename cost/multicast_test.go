package cost_test

import (
	"strings"
	"testing"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/cost"
	"github.com/nnergy/nnergy/dataflow"
	"github.com/nnergy/nnergy/workload/zoo"
)

// splitSpads is an Eyeriss-like architecture whose PEs hold each tensor in
// a scratchpad of its own: the array fans out into the psum spads, and the
// weight and ifmap spads below them (one per PE) bypass nothing of it.
const splitSpads = `version: 1
name: split-spads
clock_mhz: 200
tech: eyeriss-65nm
levels:
  - name: DRAM
    energy: {tech: dram}
  - name: GLB
    size_words: 55296
    partition_words: {Weights: 4096}
    energy: {tech: glb}
  - name: PsumSpad
    keeps: [Outputs]
    size_words: 24
    mesh: [14, 12]
    energy: {tech: rf}
    network: {name: NoC, tech: noc, multicast: true, reduction: true}
  - name: WeightSpad
    keeps: [Weights]
    size_words: 224
    energy: {tech: rf}
    INNER
  - name: IfmapSpad
    keeps: [Inputs]
    size_words: 12
    energy: {tech: rf}
    INNER
compute:
  tech: mac
`

// TestMulticastAtFanout checks that multicast is decided where the array
// fans out: the weights and ifmaps reach their spads through the NoC of
// the level whose mesh spreads them, so the networks of the spads below
// it, which do not fan out, change nothing: the same mapping of AlexNet
// CONV3 costs the same with them unicast, multicast or left out.
func TestMulticastAtFanout(t *testing.T) {
	net, err := zoo.Get("alexnet")
	if err != nil {
		t.Fatal(err)
	}
	conv3, err := net.Layer("conv3")
	if err != nil {
		t.Fatal(err)
	}
	var want cost.Result
	for i, inner := range []string{"network: {multicast: true}", "", "network: {multicast: false}"} {
		spec, err := arch.Parse("split.yaml", []byte(strings.ReplaceAll(splitSpads, "INNER", inner)))
		if err != nil {
			t.Fatal(err)
		}
		m, err := cost.New(spec)
		if err != nil {
			t.Fatal(err)
		}
		mp, err := dataflow.Build(dataflow.RS, conv3, m)
		if err != nil {
			t.Fatal(err)
		}
		r, err := m.Evaluate(conv3, mp)
		if err != nil || !r.Valid {
			t.Fatalf("%q: %v %v", inner, err, r.Violations)
		}
		if i == 0 {
			want = r
			continue
		}
		if r.EnergyPJ != want.EnergyPJ || r.Cycles != want.Cycles {
			t.Errorf("spads with %q: %.4f pJ/MAC, %d cycles; with multicast spads %.4f pJ/MAC, %d cycles",
				inner, r.PJPerMAC(), r.Cycles, want.PJPerMAC(), want.Cycles)
		}
	}
	// A unicast NoC at the fan-out makes every PE's words reads of their
	// own, whatever the spads below it declare.
	unicast := strings.Replace(splitSpads, "multicast: true, reduction", "multicast: false, reduction", 1)
	spec, err := arch.Parse("split.yaml", []byte(strings.ReplaceAll(unicast, "INNER", "network: {multicast: true}")))
	if err != nil {
		t.Fatal(err)
	}
	m, err := cost.New(spec)
	if err != nil {
		t.Fatal(err)
	}
	mp, err := dataflow.Build(dataflow.RS, conv3, m)
	if err != nil {
		t.Fatal(err)
	}
	r, err := m.Evaluate(conv3, mp)
	if err != nil {
		t.Fatal(err)
	}
	glb := func(r cost.Result) int64 {
		return r.Levels[1].Tensors[0].Reads + r.Levels[1].Tensors[1].Reads
	}
	if !(glb(r) > glb(want)) {
		t.Errorf("unicast NoC: GLB reads %d of weights and inputs, multicast %d; want more", glb(r), glb(want))
	}
}
