package timeloop_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/nnergy/nnergy/timeloop"
	"github.com/nnergy/nnergy/workload"
)

// TestImportArchFeatures checks that the import carries Timeloop's
// read_bandwidth and write_bandwidth, datawidths other than the outermost
// level's, the ERT's leak per cycle and cluster_size into the nnergy keys
// of the same meaning, and that the export writes them back.
func TestImportArchFeatures(t *testing.T) {
	ey := importDesign(t, "testdata/eyeriss_like")
	si := importDesign(t, "testdata/simba_like")
	ws := &ey.Spec.Levels[ey.Spec.Level("weights_spad")]
	regs := &si.Spec.Levels[si.Spec.Level("PEWeightRegs")]
	acc := &si.Spec.Levels[si.Spec.Level("PEAccuBuffer")]
	for _, c := range []struct {
		what      string
		got, want float64
	}{
		// read_bandwidth: 2, write_bandwidth: 2: two ports, not one of 4.
		{"weights_spad read bandwidth", ws.ReadBandwidthWords, 2},
		{"weights_spad write bandwidth", ws.WriteBandwidthWords, 2},
		{"weights_spad shared bandwidth", ws.BandwidthWords, 0},
		// The ERT's leak of weights_spad, pJ per instance and cycle.
		{"weights_spad leak pJ/cycle", ws.LeakagePJ, 0.001592},
		{"weights_spad leak W", ws.LeakageWatts, 0},
		// 512 bits of 8-bit words over clusters of 64: a block of 1 word,
		// depth 1; the read energy is the ERT's for the whole array.
		{"PEWeightRegs cluster", float64(regs.ClusterSize), 64},
		{"PEWeightRegs words", float64(regs.SizeWords), 1},
		{"PEWeightRegs read pJ", regs.Energy[workload.Weights].ReadPJ, 0.259899},
		// datawidth 24 in an 8-bit design: 24-bit words holding 24-bit
		// partial sums, one to a word.
		{"PEAccuBuffer word bits", float64(acc.WordBits), 24},
		{"PEAccuBuffer output bits", float64(acc.DataBits[workload.Outputs]), 24},
		{"PEAccuBuffer words", float64(acc.SizeWords), 128},
	} {
		if d := c.got - c.want; d > 1e-12 || d < -1e-12 {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
	for _, c := range []struct {
		r    *timeloop.Result
		want []string
	}{
		{ey, []string{"read_bandwidth: 2\n", "write_bandwidth: 2\n"}},
		{si, []string{"width: 512\n            datawidth: 8\n", "cluster_size: 64\n", "datawidth: 24\n"}},
	} {
		ex, err := timeloop.ExportDesign(c.r.Spec, c.r.Layout, c.r.Network.Layers[0], c.r.Mapping)
		if err != nil {
			t.Fatal(err)
		}
		a := string(ex.Files[0].Data)
		for _, w := range c.want {
			if !strings.Contains(a, w) {
				t.Errorf("%s: export has no %q:\n%s", c.r.Spec.Name, w, a)
			}
		}
	}
	// Values packed into a level's words (8-bit partial sums in the 24-bit
	// accumulator) are noted: Timeloop holds one value a word.
	packed := *si.Spec
	packed.Levels = slices.Clone(si.Spec.Levels)
	packed.Levels[si.Spec.Level("PEAccuBuffer")].DataBits[workload.Outputs] = 8
	ex, err := timeloop.ExportDesign(&packed, si.Layout, si.Network.Layers[0], si.Mapping)
	if err != nil {
		t.Fatal(err)
	}
	noted := false
	for _, n := range ex.Notes {
		noted = noted || n.Where == "PEAccuBuffer" && n.What == "data_bits Outputs 8"
	}
	if !noted {
		t.Errorf("no note on the packed partial sums: %+v", ex.Notes)
	}
}

// TestImportClusterErrors wants a cluster_size that does not divide a
// level's width or instances refused at the attribute.
func TestImportClusterErrors(t *testing.T) {
	for _, c := range []brokenCase{
		{"cluster over the width", "parsed-processed-input.yaml", "                cluster_size: 1\n", "                cluster_size: 3\n", "DRAM: cluster_size 3 does not divide the 8 words of width 64", ""},
		{"cluster over the instances", "parsed-processed-input.yaml", "                cluster_size: 1\n", "                cluster_size: 2\n", "DRAM: cluster_size 2 does not divide its 1 instances", ""},
	} {
		t.Run(c.name, func(t *testing.T) { checkBroken(t, inputs(t), c) })
	}
}
