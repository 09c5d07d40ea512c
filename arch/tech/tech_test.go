package tech

import (
	"math"
	"strings"
	"testing"
)

func TestEnergy(t *testing.T) {
	tests := []struct {
		table, class string
		a            Access
		want         float64
	}{
		{"eyeriss-65nm", "dram", Access{WordBits: 16}, 200},
		{"eyeriss-65nm", "glb", Access{WordBits: 16, SizeBytes: 108 << 10}, 6},
		{"eyeriss-65nm", "noc", Access{WordBits: 16}, 2},
		{"eyeriss-65nm", "rf", Access{WordBits: 16}, 1},
		{"eyeriss-65nm", "mac", Access{WordBits: 16}, 1},
		{"eyeriss-65nm", "glb", Access{WordBits: 8}, 3},
		{"eyeriss-65nm", "mac", Access{WordBits: 8}, 0.25},
		{"horowitz-45nm", "dram", Access{WordBits: 64}, 1950},
		{"horowitz-45nm", "dram", Access{WordBits: 16}, 487.5},
		{"horowitz-45nm", "sram", Access{WordBits: 64, SizeBytes: 8 << 10}, 10},
		{"horowitz-45nm", "sram", Access{WordBits: 64, SizeBytes: 32 << 10}, 20},
		{"horowitz-45nm", "sram", Access{WordBits: 64, SizeBytes: 1 << 20}, 100},
		{"horowitz-45nm", "sram", Access{WordBits: 64, SizeBytes: 16 << 10}, 10 * math.Sqrt2},
		{"horowitz-45nm", "sram", Access{WordBits: 16, SizeBytes: 2 << 10}, 10 * 0.5 / 4},
		{"horowitz-45nm", "sram", Access{WordBits: 64, SizeBytes: 4 << 20}, 100 * math.Pow(4, math.Log(5)/math.Log(32))},
		{"horowitz-45nm", "reg", Access{WordBits: 8}, 10 * math.Sqrt(1.0/8192) / 8},
		{"horowitz-45nm", "mac", Access{WordBits: 8}, 0.3},
		{"horowitz-45nm", "mac", Access{WordBits: 32}, 3.2},
		{"horowitz-45nm", "mac", Access{WordBits: 16}, 0.2*math.Pow(2, math.Log(15.5)/math.Log(4)) + 0.1},
		{"horowitz-45nm", "fmac", Access{WordBits: 16}, 1.5},
		{"horowitz-45nm", "fmac", Access{WordBits: 32}, 4.6},
	}
	for _, tt := range tests {
		tab, err := Lookup(tt.table)
		if err != nil {
			t.Fatal(err)
		}
		got, err := tab.Energy(tt.class, tt.a)
		if err != nil {
			t.Errorf("%s %s %+v: %v", tt.table, tt.class, tt.a, err)
			continue
		}
		if math.Abs(got-tt.want) > 1e-9*math.Max(1, tt.want) {
			t.Errorf("%s %s %+v = %g pJ, want %g", tt.table, tt.class, tt.a, got, tt.want)
		}
	}
}

func TestEnergyErrors(t *testing.T) {
	h, _ := Lookup("horowitz-45nm")
	tests := []struct {
		class string
		a     Access
		want  string
	}{
		{"sram", Access{WordBits: 16}, "tech: horowitz-45nm sram: needs a bounded capacity (size_words or a partition)"},
		{"mac", Access{WordBits: 64}, "tech: horowitz-45nm mac: integer MAC of 64 bits is beyond the table (at most 32)"},
		{"fmac", Access{WordBits: 8}, "tech: horowitz-45nm fmac: floating-point MAC of 8 bits is not in the table (16 or 32)"},
		{"glb", Access{WordBits: 16}, "tech: table horowitz-45nm has no class \"glb\" (classes: dram, sram, reg, mac, fmac)"},
		{"dram", Access{}, "tech: horowitz-45nm dram: word width 0 bits, want a positive width"},
	}
	for _, tt := range tests {
		_, err := h.Energy(tt.class, tt.a)
		if err == nil || err.Error() != tt.want {
			t.Errorf("Energy(%q, %+v) error = %v, want %q", tt.class, tt.a, err, tt.want)
		}
	}
	if _, err := Lookup("tsmc7"); err == nil || !strings.Contains(err.Error(), "(tables: eyeriss-65nm, horowitz-45nm)") {
		t.Errorf("Lookup(unknown) = %v", err)
	}
}

func TestMonotone(t *testing.T) {
	// Bigger memories and wider words never cost less per access.
	prev := 0.0
	for size := int64(1); size <= 64<<20; size *= 2 {
		e := SRAMPJ(size, 64)
		if e < prev {
			t.Errorf("SRAMPJ(%d) = %g < SRAMPJ(%d) = %g", size, e, size/2, prev)
		}
		prev = e
	}
	for bits := 2; bits <= 32; bits++ {
		if MACPJ(bits) < MACPJ(bits-1) {
			t.Errorf("MACPJ(%d) < MACPJ(%d)", bits, bits-1)
		}
	}
}

func TestCost(t *testing.T) {
	reg65 := aladdinRegArea * scale40to45 * scale45to65
	tests := []struct {
		table, class string
		a            Access
		area, leak   float64
	}{
		// At CACTI's points the table gives its results.
		{"eyeriss-65nm", "glb", Access{WordBits: 16, SizeBytes: 4096}, 27178, 4.7244e-05},
		{"eyeriss-65nm", "rf", Access{WordBits: 64, SizeBytes: 1 << 20}, 5.5903e+06, 0.0087124},
		{"horowitz-45nm", "sram", Access{WordBits: 32, SizeBytes: 16384}, 48550, 8.5657e-05},
		// Between widths: linear in log2 of the width.
		{"eyeriss-65nm", "glb", Access{WordBits: 96, SizeBytes: 4096}, 27357 + (29770-27357)*math.Log2(1.5), 4.043e-05 + (4.7337e-05-4.043e-05)*math.Log2(1.5)},
		// Wider than 128 bits: parallel 128-bit arrays.
		{"eyeriss-65nm", "glb", Access{WordBits: 256, SizeBytes: 8192}, 2 * 29770, 2 * 4.7337e-05},
		// Below 32 words: flip-flops.
		{"eyeriss-65nm", "rf", Access{WordBits: 16, SizeBytes: 48}, 384 * reg65, 384 * aladdinRegLeak / node65.logicLeak},
		{"horowitz-45nm", "reg", Access{WordBits: 8, SizeBytes: 1}, 8 * aladdinRegArea * scale40to45, 8 * aladdinRegLeak / node45.logicLeak},
		{"horowitz-45nm", "reg", Access{WordBits: 32}, 32 * aladdinRegArea * scale40to45, 32 * aladdinRegLeak / node45.logicLeak},
		// MACs: a quarter of the 32-bit multiplier and half the adder at 16 bits.
		{"eyeriss-65nm", "mac", Access{WordBits: 16}, (6350.0/4 + 278.0/2) * 1.5 * scale40to45, (77.9e-6/4 + 2.25e-6/2) / (2.24741 / 0.0472439)},
		{"horowitz-45nm", "mac", Access{WordBits: 8}, (6350.0/16 + 278) * scale40to45, (77.9e-6/16 + 2.25e-6) / (2.00062 / 0.0234005)},
		{"horowitz-45nm", "fmac", Access{WordBits: 32}, (8970 + 4360) * scale40to45, (120e-6 + 53.1e-6) / (2.00062 / 0.0234005)},
		// Off-chip memory and networks cost nothing.
		{"eyeriss-65nm", "dram", Access{WordBits: 16}, 0, 0},
		{"eyeriss-65nm", "noc", Access{WordBits: 16}, 0, 0},
		{"horowitz-45nm", "dram", Access{WordBits: 64}, 0, 0},
	}
	for _, tt := range tests {
		tab, err := Lookup(tt.table)
		if err != nil {
			t.Fatal(err)
		}
		got, err := tab.Cost(tt.class, tt.a)
		if err != nil {
			t.Errorf("%s %s %+v: %v", tt.table, tt.class, tt.a, err)
			continue
		}
		if math.Abs(got.AreaUM2-tt.area) > 1e-9*math.Max(1, tt.area) || math.Abs(got.LeakageWatts-tt.leak) > 1e-9*tt.leak {
			t.Errorf("%s %s %+v = %+v, want {%g µm², %g W}", tt.table, tt.class, tt.a, got, tt.area, tt.leak)
		}
	}
}

func TestCostErrors(t *testing.T) {
	e, _ := Lookup("eyeriss-65nm")
	h, _ := Lookup("horowitz-45nm")
	tests := []struct {
		tab   *Table
		class string
		a     Access
		want  string
	}{
		{e, "glb", Access{WordBits: 16}, "tech: eyeriss-65nm glb: needs a bounded capacity (size_words or a partition)"},
		{h, "sram", Access{WordBits: 16}, "tech: horowitz-45nm sram: needs a bounded capacity (size_words or a partition)"},
		{h, "mac", Access{WordBits: 64}, "tech: horowitz-45nm mac: integer MAC of 64 bits is beyond the table (at most 32)"},
		{h, "fmac", Access{WordBits: 8}, "tech: horowitz-45nm fmac: floating-point MAC of 8 bits is not in the table (16 or 32)"},
		{e, "mac", Access{}, "tech: eyeriss-65nm mac: word width 0 bits, want a positive width"},
		{e, "sram", Access{WordBits: 16}, "tech: table eyeriss-65nm has no class \"sram\" (classes: dram, glb, noc, rf, mac)"},
	}
	for _, tt := range tests {
		_, err := tt.tab.Cost(tt.class, tt.a)
		if err == nil || err.Error() != tt.want {
			t.Errorf("Cost(%q, %+v) error = %v, want %q", tt.class, tt.a, err, tt.want)
		}
	}
	if _, err := SRAMCost(28, 1024, 16); err == nil || err.Error() != "tech: no area model at 28 nm (65 or 45)" {
		t.Errorf("SRAMCost(28 nm) error = %v", err)
	}
}

// TestCostShape checks the properties the area model must have: SRAM area
// per bit falls with capacity (periphery is a smaller share of a big array;
// CACTI's own organizations wobble by up to 3%), a register file costs more
// per bit than any SRAM, SRAM area grows with capacity, and a MAC's area
// grows faster than its width.
func TestCostShape(t *testing.T) {
	for _, nm := range []int{65, 45} {
		for _, bits := range []int{8, 16, 32, 64, 128} {
			prevPerBit, prevArea := math.Inf(1), 0.0
			for size := int64(RegisterWords * bits / 8); size <= 16<<20; size *= 2 {
				c, err := SRAMCost(nm, size, bits)
				if err != nil {
					t.Fatal(err)
				}
				perBit := c.AreaUM2 / float64(size*8)
				if perBit > prevPerBit*1.03 || c.AreaUM2 <= prevArea || c.LeakageWatts <= 0 {
					t.Errorf("%d nm, %d-bit words, %d B: %.3g µm² per bit after %.3g, area %.4g after %.4g, leakage %g",
						nm, bits, size, perBit, prevPerBit, c.AreaUM2, prevArea, c.LeakageWatts)
				}
				prevPerBit, prevArea = perBit, c.AreaUM2
			}
			// The largest register file costs more per bit than the
			// smallest SRAM.
			words := int64(RegisterWords)
			rf, _ := SRAMCost(nm, (words-1)*int64(bits)/8, bits)
			sram, _ := SRAMCost(nm, words*int64(bits)/8, bits)
			if rf.AreaUM2/float64(words-1) <= 2*sram.AreaUM2/float64(words) {
				t.Errorf("%d nm, %d bits: register file %.4g µm² for %d words, SRAM %.4g for %d: want registers to cost at least twice as much per bit",
					nm, bits, rf.AreaUM2, words-1, sram.AreaUM2, words)
			}
		}
	}
	for _, tab := range []string{"eyeriss-65nm", "horowitz-45nm"} {
		tb, _ := Lookup(tab)
		c8, _ := tb.Cost("mac", Access{WordBits: 8})
		c16, _ := tb.Cost("mac", Access{WordBits: 16})
		if r := c16.AreaUM2 / c8.AreaUM2; r <= 1 || r > 4 {
			t.Errorf("%s: 16-bit MAC %.4g µm², 8-bit %.4g: ratio %.3g, want in (1, 4]", tab, c16.AreaUM2, c8.AreaUM2, r)
		}
	}
}
