package sparse

import (
	"math"
	"testing"
)

func TestApply(t *testing.T) {
	tests := []struct {
		name  string
		conds []Condition
		want  Split
	}{
		{"no conditions", nil, Split{Performed: 1}},
		{"policy none", []Condition{{Zero: 0.7, Policy: None}}, Split{Performed: 1}},
		// Eyeriss: MACs and weight spad reads gated on zero inputs.
		{"eyeriss gate on inputs", []Condition{{Zero: 0.4, Policy: Gate}, {Zero: 0.5, Policy: None}}, Split{Performed: 0.6, Gated: 0.4}},
		// Eyeriss v2: both operands in CSC, zeros skipped.
		{"v2 skip both", []Condition{{Zero: 0.5, Policy: Skip}, {Zero: 0.6, Policy: Skip}}, Split{Performed: 0.2, Skipped: 0.8}},
		// Skip zero inputs, gate zero weights: 1-0.5 skipped, 0.5·0.6 gated.
		{"skip inputs gate weights", []Condition{{Zero: 0.5, Policy: Skip}, {Zero: 0.6, Policy: Gate}}, Split{Performed: 0.2, Gated: 0.3, Skipped: 0.5}},
		// A GLB read of a weight tile skipped when the input tile it serves is all zero.
		{"tile skip", []Condition{{Zero: 0.25, Policy: Skip}}, Split{Performed: 0.75, Skipped: 0.25}},
		{"all zero", []Condition{{Zero: 1, Policy: Gate}}, Split{Gated: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Apply(tt.conds...)
			if math.Abs(got.Performed-tt.want.Performed) > 1e-15 || math.Abs(got.Gated-tt.want.Gated) > 1e-15 || math.Abs(got.Skipped-tt.want.Skipped) > 1e-15 {
				t.Errorf("Apply = %+v, want %+v", got, tt.want)
			}
			if s := got.Performed + got.Gated + got.Skipped; math.Abs(s-1) > 1e-15 {
				t.Errorf("fractions add to %v", s)
			}
			if got.Energy() != got.Performed || got.Cycles() != got.Performed+got.Gated {
				t.Errorf("Energy %v, Cycles %v for %+v", got.Energy(), got.Cycles(), got)
			}
		})
	}
}

// TestApplyBruteForce checks Apply against the four cases of two
// independent operands, for every pair of policies.
func TestApplyBruteForce(t *testing.T) {
	policies := []Policy{None, Gate, Skip}
	za, zb := 0.3, 0.45
	for _, pa := range policies {
		for _, pb := range policies {
			var want Split
			for _, a := range []bool{true, false} { // operand is zero
				for _, b := range []bool{true, false} {
					p := map[bool]float64{true: za, false: 1 - za}[a] * map[bool]float64{true: zb, false: 1 - zb}[b]
					switch {
					case a && pa == Skip || b && pb == Skip:
						want.Skipped += p
					case a && pa == Gate || b && pb == Gate:
						want.Gated += p
					default:
						want.Performed += p
					}
				}
			}
			got := Apply(Condition{za, pa}, Condition{zb, pb})
			if math.Abs(got.Performed-want.Performed)+math.Abs(got.Gated-want.Gated)+math.Abs(got.Skipped-want.Skipped) > 1e-15 {
				t.Errorf("%v/%v: Apply = %+v, want %+v", pa, pb, got, want)
			}
		}
	}
}

func TestApplyPanics(t *testing.T) {
	for _, z := range []float64{-0.1, 1.1, math.NaN()} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Apply with Zero %v did not panic", z)
				}
			}()
			Apply(Condition{Zero: z, Policy: Gate})
		}()
	}
}

func TestEffectual(t *testing.T) {
	if got := Effectual(0.5, 0.4); math.Abs(got-0.2) > 1e-16 {
		t.Errorf("Effectual(0.5, 0.4) = %v", got)
	}
	if got := Effectual(); got != 1 {
		t.Errorf("Effectual() = %v", got)
	}
}

func TestPolicyNames(t *testing.T) {
	for _, p := range []Policy{None, Gate, Skip} {
		got, err := ParsePolicy(p.String())
		if err != nil || got != p {
			t.Errorf("ParsePolicy(%q) = %v, %v", p.String(), got, err)
		}
	}
	if _, err := ParsePolicy("clock-gate"); err == nil || err.Error() != `sparse: unknown policy "clock-gate" (want none, gate or skip)` {
		t.Errorf("ParsePolicy(clock-gate) error = %v", err)
	}
	if got := Policy(7).String(); got != "policy(7)" {
		t.Errorf("Policy(7).String() = %q", got)
	}
}
