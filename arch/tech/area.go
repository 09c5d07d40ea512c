package tech

import (
	"errors"
	"fmt"
	"math"
)

// Area and leakage.
//
// Every class of a table has an area (µm² per instance: one memory, one
// MAC unit) and a leakage power (watts per instance), each from one of
// three sources:
//
//   - SRAM: CACTI 7.0 (github.com/HewlettPackard/cacti, commit 1ffd8df),
//     run for this table as a single-bank, single-port scratchpad RAM
//     ("cache type ram", 1 read-write port, no ECC) with itrs-lop cells and
//     periphery at 300 K, optimized for area (the density objective of a
//     memory compiler), at capacities from 64 B to 8 MiB and words of 16,
//     32, 64 and 128 bits, at 65 nm (sramTable cacti65) and 45 nm
//     (cacti45); cacti_gen.sh regenerates them. Between the points the
//     area and leakage are interpolated on log-log axes in capacity and
//     linearly in log2 of the word width; beyond them they are
//     extrapolated with the nearest segment's slope.
//     Words narrower than 16 bits use the 16-bit column (the same bits in
//     half as many words), wider than 128 bits split into 128-bit arrays.
//     The periphery (decoders, sense amplifiers, drivers) makes small
//     arrays cost more per bit: 1.3 µm² per bit at 64 B, 0.83 at 4 KiB and
//     0.66 at 1 MiB in 65 nm.
//   - Registers: memories of fewer than RegisterWords words, which no SRAM
//     compiler (nor CACTI) builds, are flip-flops: Aladdin's register,
//     5.98 µm² per bit at 40 nm (Shao et al., ISCA 2014, as tabulated in
//     Accelergy's Aladdin plug-in). A register bit costs 9 to 17 times an
//     SRAM bit at 65 nm, 12 to 24 times at 45 nm.
//   - Logic: Aladdin's 40 nm 32-bit integer multiplier (6350 µm²) and adder
//     (278 µm²), and its single-precision floating-point multiplier (8970
//     µm²) and adder (4360 µm²). A multiplier scales with the square of
//     its width, an adder linearly.
//
// Aladdin's 40 nm figures are scaled to the table's node by Stillmaker and
// Baas's area factors ("Scaling equations for the accurate prediction of
// CMOS device performance from 180 nm to 7 nm", Integration 58, 2017):
// 45 nm to 65 nm × 1.5; 40 nm to 45 nm is not in their table and takes the
// ideal (45/40)² = 1.27.
//
// Leakage. CACTI gives the SRAMs' leakage at itrs-lop. Aladdin's
// leakages (multiplier 77.9 µW, adder 2.25 µW, register 74 nW per bit) are
// of a high-leakage general-purpose process: its register leaks as much per
// bit as CACTI's itrs-hp SRAM at 45 nm (61 nW). They are divided by
// CACTI's itrs-hp over itrs-lop leakage ratio at the node (a 4 KiB 16-bit
// SRAM: 47.6 at 65 nm, 85.5 at 45 nm), so that logic and SRAM leak as one
// low-operating-power process. Leakage is not otherwise scaled across
// nodes.
//
// Not modelled: DRAM is off-chip (no die area; its standby power is not
// counted), networks have no area or leakage (wires, FIFOs and routers),
// and neither do control, clock tree, configuration, I/O pads and the
// chip's other glue.

// RegisterWords is the capacity, in words, below which a memory is built of
// flip-flops rather than SRAM.
const RegisterWords = 32

// Aladdin's 40 nm figures (µm², watts), as tabulated in Accelergy's
// Aladdin plug-in.
const (
	aladdinRegArea, aladdinRegLeak     = 5.98, 74.0e-9  // per bit
	aladdinAdd32Area, aladdinAdd32Leak = 278, 2.25e-6   // 32-bit integer adder
	aladdinMul32Area, aladdinMul32Leak = 6350, 77.9e-6  // 32-bit integer multiplier
	aladdinFAddArea, aladdinFAddLeak   = 4360, 53.1e-6  // single-precision adder
	aladdinFMulArea, aladdinFMulLeak   = 8970, 120.0e-6 // single-precision multiplier
	scale40to45                        = (45.0 / 40) * (45.0 / 40)
	scale45to65                        = 1.5 // Stillmaker and Baas, Table 5
)

// node is one technology node's area and leakage sources.
type node struct {
	name string
	sram *sramTable
	// logicArea scales Aladdin's 40 nm areas to the node; logicLeak divides
	// Aladdin's leakages (CACTI's itrs-hp over itrs-lop ratio at the node).
	logicArea, logicLeak float64
}

var (
	node65 = &node{name: "65 nm", sram: &cacti65, logicArea: scale40to45 * scale45to65, logicLeak: 2.24741 / 0.0472439}
	node45 = &node{name: "45 nm", sram: &cacti45, logicArea: scale40to45, logicLeak: 2.00062 / 0.0234005}
)

// Cost is the area and leakage of one instance of a component.
type Cost struct {
	// AreaUM2 is the area in µm².
	AreaUM2 float64
	// LeakageWatts is the static power in watts.
	LeakageWatts float64
}

// Add returns the sum of two costs.
func (c Cost) Add(o Cost) Cost {
	return Cost{AreaUM2: c.AreaUM2 + o.AreaUM2, LeakageWatts: c.LeakageWatts + o.LeakageWatts}
}

var errUnbounded = errors.New("needs a bounded capacity (size_words or a partition)")

// memory returns the cost of a memory of a.SizeBytes bytes and
// a.WordBits-bit words: flip-flops below RegisterWords words, an SRAM
// otherwise.
func (n *node) memory(a Access) (Cost, error) {
	if a.SizeBytes <= 0 {
		return Cost{}, errUnbounded
	}
	bits := float64(a.SizeBytes) * 8
	if bits/float64(a.WordBits) < RegisterWords {
		return n.registers(bits), nil
	}
	return n.sram.cost(a.SizeBytes, a.WordBits), nil
}

// registers returns the cost of bits flip-flops.
func (n *node) registers(bits float64) Cost {
	return Cost{AreaUM2: bits * aladdinRegArea * n.logicArea, LeakageWatts: bits * aladdinRegLeak / n.logicLeak}
}

// mac returns the cost of an integer MAC of bits-wide operands with an
// accBits-wide accumulator: a multiplier (area and leakage ∝ bits²) and an
// adder (∝ accBits).
func (n *node) mac(bits, accBits int) Cost {
	m := float64(bits) / 32
	a := float64(accBits) / 32
	return Cost{
		AreaUM2:      (aladdinMul32Area*m*m + aladdinAdd32Area*a) * n.logicArea,
		LeakageWatts: (aladdinMul32Leak*m*m + aladdinAdd32Leak*a) / n.logicLeak,
	}
}

// fmac returns the cost of a floating-point MAC of 16 or 32 bits: Aladdin's
// single-precision multiplier and adder, the multiplier scaled by the square
// of the width, the adder linearly.
func (n *node) fmac(bits int) Cost {
	r := float64(bits) / 32
	return Cost{
		AreaUM2:      (aladdinFMulArea*r*r + aladdinFAddArea*r) * n.logicArea,
		LeakageWatts: (aladdinFMulLeak*r*r + aladdinFAddLeak*r) / n.logicLeak,
	}
}

// sramPoint is one CACTI result: an SRAM of size bytes.
type sramPoint struct {
	size        float64 // bytes
	area, leakW float64 // µm², watts
}

// sramTable holds CACTI results by word width: 16, 32, 64 and 128 bits.
type sramTable [4][]sramPoint

// sramWidths are the word widths of a sramTable's columns.
var sramWidths = [4]float64{16, 32, 64, 128}

// cost returns the area and leakage of an SRAM of size bytes and wordBits-bit
// words.
func (t *sramTable) cost(size int64, wordBits int) Cost {
	w := float64(wordBits)
	if w > 128 {
		// Parallel 128-bit arrays, each holding its share of the bits.
		k := w / 128
		c := t.cost(int64(math.Ceil(float64(size)/k)), 128)
		return Cost{AreaUM2: c.AreaUM2 * k, LeakageWatts: c.LeakageWatts * k}
	}
	w = max(w, 16)
	i := 0
	for i < len(sramWidths)-2 && w > sramWidths[i+1] {
		i++
	}
	lo, hi := t.column(i, float64(size)), t.column(i+1, float64(size))
	f := math.Log2(w/sramWidths[i]) / math.Log2(sramWidths[i+1]/sramWidths[i])
	return Cost{AreaUM2: lo.area + f*(hi.area-lo.area), LeakageWatts: lo.leakW + f*(hi.leakW-lo.leakW)}
}

// column interpolates column i of t at size bytes on log-log axes.
func (t *sramTable) column(i int, size float64) sramPoint {
	pts := t[i]
	j := 1
	for j < len(pts)-1 && size > pts[j].size {
		j++
	}
	a, b := pts[j-1], pts[j]
	x := math.Log(size/a.size) / math.Log(b.size/a.size)
	return sramPoint{
		size:  size,
		area:  a.area * math.Pow(b.area/a.area, x),
		leakW: a.leakW * math.Pow(b.leakW/a.leakW, x),
	}
}

// SRAMCost returns the area and leakage of one SRAM (or, below
// RegisterWords words, register file) of sizeBytes bytes and wordBits-bit
// words at nm nanometres (65 or 45).
func SRAMCost(nm int, sizeBytes int64, wordBits int) (Cost, error) {
	var n *node
	switch nm {
	case 65:
		n = node65
	case 45:
		n = node45
	default:
		return Cost{}, fmt.Errorf("tech: no area model at %d nm (65 or 45)", nm)
	}
	if wordBits <= 0 {
		return Cost{}, fmt.Errorf("tech: word width %d bits, want a positive width", wordBits)
	}
	c, err := n.memory(Access{WordBits: wordBits, SizeBytes: sizeBytes})
	if err != nil {
		return Cost{}, fmt.Errorf("tech: %w", err)
	}
	return c, nil
}
