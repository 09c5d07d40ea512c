package tech

import (
	"fmt"
	"math"
)

// Figures of Horowitz, "Computing's energy problem", ISSCC 2014, Fig. 1.1.9
// (45 nm, 0.9 V), in pJ. They are known from transcriptions of the figure;
// see shared/reference/figures.md §7.
const (
	// HorowitzDRAMPJ is the energy of one 64-bit DRAM access: the midpoint
	// of the keynote's 1.3–2.6 nJ range.
	HorowitzDRAMPJ = 1950

	horowitzAdd8, horowitzAdd16, horowitzAdd32 = 0.03, 0.05, 0.1
	horowitzMul8, horowitzMul32                = 0.2, 3.1
	horowitzFAdd16, horowitzFMul16             = 0.4, 1.1
	horowitzFAdd32, horowitzFMul32             = 0.9, 3.7
)

// point is one (x, y) sample of a curve interpolated on log-log axes.
type point struct{ x, y float64 }

// horowitzSRAM is the 64-bit access energy of an SRAM by capacity in bytes:
// 8 KB 10 pJ, 32 KB 20 pJ, 1 MB 100 pJ.
var horowitzSRAM = []point{{8 << 10, 10}, {32 << 10, 20}, {1 << 20, 100}}

var (
	horowitzMul = []point{{8, horowitzMul8}, {32, horowitzMul32}}
	horowitzAdd = []point{{8, horowitzAdd8}, {16, horowitzAdd16}, {32, horowitzAdd32}}
)

// logLog interpolates the curve through pts linearly on log-log axes and
// extrapolates beyond its ends with the slope of the nearest segment.
func logLog(pts []point, x float64) float64 {
	i := 1
	for i < len(pts)-1 && x > pts[i].x {
		i++
	}
	a, b := pts[i-1], pts[i]
	slope := math.Log(b.y/a.y) / math.Log(b.x/a.x)
	return a.y * math.Pow(x/a.x, slope)
}

// SRAMPJ returns the energy of one access of a word of wordBits bits to an
// SRAM of sizeBytes bytes in the horowitz-45nm table: the 64-bit access
// energy interpolated on log-log axes between the 8 KB, 32 KB and 1 MB
// points (extrapolated beyond them with the slope of the nearest segment,
// which below 8 KB is energy ∝ √size), scaled linearly to the word width.
func SRAMPJ(sizeBytes int64, wordBits int) float64 {
	return logLog(horowitzSRAM, float64(sizeBytes)) * float64(wordBits) / 64
}

// MACPJ returns the energy of one integer multiply-accumulate with
// bits-wide operands in the horowitz-45nm table: a multiply interpolated on
// log-log axes between 8 bits (0.2 pJ) and 32 bits (3.1 pJ), plus a 32-bit
// add (0.1 pJ) into a 32-bit accumulator.
func MACPJ(bits int) float64 {
	return logLog(horowitzMul, float64(bits)) + horowitzAdd32
}

// AddPJ returns the energy of one integer add of bits-wide operands in the
// horowitz-45nm table (8 bits 0.03 pJ, 16 bits 0.05 pJ, 32 bits 0.1 pJ,
// interpolated on log-log axes).
func AddPJ(bits int) float64 { return logLog(horowitzAdd, float64(bits)) }

var horowitz45 = &Table{
	Name:        "horowitz-45nm",
	Description: "Horowitz ISSCC 2014 keynote, 45 nm 0.9 V: SRAM by size, DRAM, integer and FP MAC; area and leakage CACTI 7 and Aladdin at 45 nm",
	Classes: []Class{
		{
			Name: "dram",
			Doc:  fmt.Sprintf("DRAM: %g pJ per 64-bit access (midpoint of 1.3-2.6 nJ), scaled linearly to the word width. Area and leakage: none (off-chip; standby power not counted)", float64(HorowitzDRAMPJ)),
			energy: func(a Access) (float64, error) {
				return HorowitzDRAMPJ * float64(a.WordBits) / 64, nil
			},
			cost: none,
		},
		{
			Name: "sram",
			Doc:  "SRAM of the level's capacity: 8 KB 10 pJ, 32 KB 20 pJ, 1 MB 100 pJ per 64-bit access, interpolated on log-log axes (extrapolated with the nearest segment's slope), scaled linearly to the word width. Area and leakage: " + memoryDoc("45 nm"),
			energy: func(a Access) (float64, error) {
				if a.SizeBytes <= 0 {
					return 0, errUnbounded
				}
				return SRAMPJ(a.SizeBytes, a.WordBits), nil
			},
			cost: node45.memory,
		},
		{
			Name: "reg",
			Doc:  "one-word register: the sram curve extrapolated down to a capacity of one word (a derived estimate; the keynote gives no register figure). Area and leakage: Aladdin's flip-flop, 5.98 µm² per bit at 40 nm scaled to 45 nm, of the level's capacity (one word when unbounded)",
			energy: func(a Access) (float64, error) {
				return SRAMPJ(int64(max(1, (a.WordBits+7)/8)), a.WordBits), nil
			},
			cost: func(a Access) (Cost, error) {
				bits := float64(a.SizeBytes) * 8
				if bits <= 0 {
					bits = float64(a.WordBits)
				}
				return node45.registers(bits), nil
			},
		},
		{
			Name: "mac",
			Doc:  "integer MAC: multiply (8 bits 0.2 pJ, 32 bits 3.1 pJ, log-log interpolated) plus a 32-bit accumulate (0.1 pJ); 8 bits gives 0.3 pJ. Area and leakage: Aladdin's 40 nm multiplier (∝ width²) and 32-bit adder scaled to 45 nm (× 1.27 area, leakage ÷ 85.5 for itrs-lop): 854 µm² and 0.083 µW at 8 bits",
			energy: func(a Access) (float64, error) {
				if a.WordBits > 32 {
					return 0, fmt.Errorf("integer MAC of %d bits is beyond the table (at most 32)", a.WordBits)
				}
				return MACPJ(a.WordBits), nil
			},
			cost: func(a Access) (Cost, error) {
				if a.WordBits > 32 {
					return Cost{}, fmt.Errorf("integer MAC of %d bits is beyond the table (at most 32)", a.WordBits)
				}
				return node45.mac(a.WordBits, 32), nil
			},
		},
		{
			Name: "fmac",
			Doc:  "floating-point MAC, multiply plus add: 16 bits 1.1 + 0.4 = 1.5 pJ, 32 bits 3.7 + 0.9 = 4.6 pJ. Area and leakage: Aladdin's 40 nm single-precision multiplier and adder scaled to 45 nm; at 16 bits the multiplier scaled by (16/32)², the adder by 16/32 (an estimate: Aladdin has no half-precision unit)",
			energy: func(a Access) (float64, error) {
				switch a.WordBits {
				case 16:
					return horowitzFMul16 + horowitzFAdd16, nil
				case 32:
					return horowitzFMul32 + horowitzFAdd32, nil
				}
				return 0, fmt.Errorf("floating-point MAC of %d bits is not in the table (16 or 32)", a.WordBits)
			},
			cost: func(a Access) (Cost, error) {
				if a.WordBits != 16 && a.WordBits != 32 {
					return Cost{}, fmt.Errorf("floating-point MAC of %d bits is not in the table (16 or 32)", a.WordBits)
				}
				return node45.fmac(a.WordBits), nil
			},
		},
	},
}
