package tech

import "fmt"

// EyerissUnitPJ is the energy in pJ of one unit of the eyeriss-65nm table:
// one 16-bit MAC in 65 nm.
//
// The ISCA 2016 table gives only ratios. The chip bounds the unit: at 23.1
// GMAC/s the Eyeriss chip draws 278 mW with AlexNet, and its ALUs take less
// than 10% of that (JSSC 2017, §VI-A), so a MAC costs at most
// 0.1 × 0.278 W / 23.1e9 MAC/s ≈ 1.2 pJ. One pJ per unit is the round value
// under that bound; no better-sourced 65 nm MAC figure was found.
const EyerissUnitPJ = 1.0

// Normalized energies of the eyeriss-65nm table, in units per 16-bit
// access (Chen, Emer, Sze, ISCA 2016, Table IV).
const (
	eyerissDRAM  = 200
	eyerissGLB   = 6
	eyerissArray = 2
	eyerissRF    = 1
	eyerissMAC   = 1
)

var eyeriss65 = &Table{
	Name:        "eyeriss-65nm",
	Description: "Eyeriss ISCA 2016 Table IV, commercial 65 nm, normalized to a 16-bit MAC (1 unit = 1 pJ); area and leakage CACTI 7 and Aladdin at 65 nm",
	Classes: []Class{
		eyerissStorage("dram", eyerissDRAM, "off-chip DRAM: 200 units per 16-bit word", "no die area, standby power not counted", none),
		eyerissStorage("glb", eyerissGLB, "global buffer (> 100 kB SRAM): 6 units per 16-bit word", memoryDoc("65 nm"), node65.memory),
		eyerissStorage("noc", eyerissArray, "inter-PE array network, FIFOs and wires (1-2 mm): 2 units per 16-bit word delivered", "area and leakage not modelled", none),
		eyerissStorage("rf", eyerissRF, "per-PE register file or scratchpad (0.5 kB): 1 unit per 16-bit word", memoryDoc("65 nm"), node65.memory),
		{
			Name: "mac",
			Doc: "16-bit multiply-accumulate: 1 unit; other widths scale with the square of the width (multiplier area). " +
				"Area and leakage: Aladdin's 40 nm multiplier (∝ width²) and adder (∝ width) of the operand width, scaled to 65 nm (× 1.9 area, leakage ÷ 47.6 for itrs-lop): 3.28e3 µm² and 0.43 µW at 16 bits",
			energy: func(a Access) (float64, error) {
				r := float64(a.WordBits) / 16
				return eyerissMAC * EyerissUnitPJ * r * r, nil
			},
			cost: func(a Access) (Cost, error) { return node65.mac(a.WordBits, a.WordBits), nil },
		},
	},
}

// eyerissStorage returns a class whose energy is units per 16-bit word,
// scaled linearly to other word widths, and whose area and leakage are
// cost's.
func eyerissStorage(name string, units float64, doc, costDoc string, cost func(Access) (Cost, error)) Class {
	return Class{
		Name: name,
		Doc:  doc + "; other widths scale linearly. Area and leakage: " + costDoc,
		energy: func(a Access) (float64, error) {
			return units * EyerissUnitPJ * float64(a.WordBits) / 16, nil
		},
		cost: cost,
	}
}

// none is the cost of a component without area or leakage.
func none(Access) (Cost, error) { return Cost{}, nil }

// memoryDoc says where a memory class's area and leakage come from.
func memoryDoc(node string) string {
	return fmt.Sprintf("CACTI 7.0 SRAM at %s (itrs-lop, 300 K, area-optimized) by capacity and word width; below %d words, Aladdin flip-flops scaled to %s", node, RegisterWords, node)
}
