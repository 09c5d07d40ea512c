package timeloop_test

import (
	"fmt"
	"strings"

	"github.com/nnergy/nnergy/timeloop"
	"github.com/nnergy/nnergy/workload"
)

// Import a Timeloop design: the front end's architecture and problem, the
// ERT and ART, and the mapper's map.yaml, all in one directory.
func ExampleImport() {
	in, _, err := timeloop.ReadPaths([]string{"testdata/eyeriss_like"})
	if err != nil {
		fmt.Println(err)
		return
	}
	r, err := timeloop.Import(in)
	if err != nil {
		fmt.Println(err)
		return
	}
	for i, l := range r.Spec.Levels {
		for t := range workload.NumTensors {
			if l.Keeps[t] {
				fmt.Printf("%-12s %3d instances, %s read %.4g pJ/word\n", l.Name, r.Spec.Instances(i), workload.Tensor(t), l.Energy[t].ReadPJ)
				break
			}
		}
	}
	fmt.Println(r.Network.Layers[0].Name, r.Network.Layers[0].MACs(), "MACs")
	_, nest, _ := strings.Cut(r.MappingText, "\n") // after the comment line
	fmt.Print(nest)
	// Output:
	// DRAM           1 instances, Weights read 64 pJ/word
	// shared_glb     1 instances, Inputs read 2.273 pJ/word
	// ifmap_spad   168 instances, Inputs read 0.1012 pJ/word
	// weights_spad 168 instances, Weights read 0.9883 pJ/word
	// psum_spad    168 instances, Outputs read 0.2513 pJ/word
	// conv2D 10838016 MACs
	// DRAM keep Weights Inputs Outputs
	//   for P in [0:8)
	//   for Q in [0:2)
	//   for M in [0:4)
	// shared_glb keep Inputs Outputs
	//   for P in [0:14)
	//   for Q in [0:4)
	//   spatial-x Q in [0:14)
	//   spatial-y C in [0:3)
	//   spatial-y S in [0:3)
	// ifmap_spad keep Inputs
	// weights_spad keep Weights
	//   for R in [0:3)
	// psum_spad keep Outputs
	//   for M in [0:8)
}

// Export a mapping back to Timeloop: to the imported design's own levels,
// those that keep nothing included.
func ExampleExportMapping() {
	in, _, err := timeloop.ReadPaths([]string{"testdata/eyeriss_like"})
	if err != nil {
		fmt.Println(err)
		return
	}
	r, err := timeloop.Import(in)
	if err != nil {
		fmt.Println(err)
		return
	}
	out, err := timeloop.ExportMapping(r.Spec, r.Layout, r.Network.Layers[0], r.Mapping)
	if err != nil {
		fmt.Println(err)
		return
	}
	lines := strings.Split(string(out), "\n")
	for i, l := range lines {
		if strings.HasSuffix(l, "type: spatial") {
			fmt.Println(strings.TrimSpace(strings.Join(lines[i-1:i+4], "\n")))
		}
	}
	// Output:
	// - target: inter_PE_spatial
	//     type: spatial
	//     factors: C3 M1 R1 S3 N1 P1 Q1
	//     permutation: SCMRNPQ
	//     split: 0
	// - target: inter_PE_column_spatial
	//     type: spatial
	//     factors: C1 M1 R1 S1 N1 P1 Q14
	//     permutation: QCMRSNP
	//     split: 1
}
