package arch_test

import (
	"fmt"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/workload"
)

func ExampleParse() {
	s, err := arch.Parse("tiny.yaml", []byte(`version: 1
name: tiny
clock_mhz: 500
tech: eyeriss-65nm
levels:
  - name: DRAM
    energy: {tech: dram}
  - name: RF
    size_words: 64
    mesh: [4, 2]
    energy: {read_mac: 1.5}
    network: {word_pj: 2, multicast: true}
compute: {tech: mac}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	rf := s.Levels[1]
	fmt.Println(s.MACUnits(), "MACs at", s.ClockHz/1e6, "MHz")
	fmt.Println("RF read", rf.Energy[workload.Inputs].ReadPJ, "pJ, write", rf.Energy[workload.Inputs].WritePJ, "pJ")
	// Output:
	// 8 MACs at 500 MHz
	// RF read 1.5 pJ, write 1.5 pJ
}

func ExampleParse_errors() {
	_, err := arch.Parse("bad.yaml", []byte(`version: 1
name: bad
clock_mhz: 0
levels:
  - name: DRAM
    sise_words: 10
    energy: {read_pj: 100}
compute: {mac_pj: 1}
`))
	fmt.Println(err)
	// Output:
	// bad.yaml:6:5: levels[0].sise_words: unknown key (did you mean size_words?)
}

func ExamplePreset() {
	s, err := arch.Preset("eyeriss")
	if err != nil {
		fmt.Println(err)
		return
	}
	for i, l := range s.Levels {
		fmt.Printf("%s: %d instance(s), read %g pJ\n", l.Name, s.Instances(i), l.Energy[workload.Inputs].ReadPJ)
	}
	fmt.Println("MAC", s.Compute.EnergyPJ, "pJ")
	// Output:
	// DRAM: 1 instance(s), read 200 pJ
	// GLB: 1 instance(s), read 6 pJ
	// RF: 168 instance(s), read 1 pJ
	// MAC 1 pJ
}

// The area of the Eyeriss preset per level and in total, and its leakage:
// the spads (RF) are one 224-word SRAM and two register files per PE.
func ExampleSpec_Area() {
	s, err := arch.Preset("eyeriss")
	if err != nil {
		fmt.Println(err)
		return
	}
	a := s.Area()
	for _, l := range a.Levels {
		fmt.Printf("%s: %d × %.0f µm² = %.3f mm²\n", l.Name, l.Instances, l.PerInstanceUM2, l.TotalUM2/1e6)
	}
	fmt.Printf("MACs %.3f mm², total %.3f mm², leakage %.2f mW\n", a.ComputeUM2/1e6, a.TotalUM2/1e6, s.LeakageWatts()*1e3)
	// Output:
	// DRAM: 1 × 0 µm² = 0.000 mm²
	// GLB: 1 × 625282 µm² = 0.625 mm²
	// RF: 168 × 9969 µm² = 1.675 mm²
	// MACs 0.551 mm², total 2.851 mm², leakage 2.12 mW
}
