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
