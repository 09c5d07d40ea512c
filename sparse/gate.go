package sparse

import (
	"fmt"

	"github.com/nnergy/nnergy/internal/enum"
)

// Policy is what a reader does with an action (a MAC, or a storage access)
// whose operand is zero.
type Policy uint8

const (
	// None performs the action anyway.
	None Policy = iota
	// Gate idles the hardware for the action: its energy is saved, its
	// cycle is spent (Eyeriss: a zero input gates the MAC and the weight
	// spad read).
	Gate
	// Skip leaves the action out: its energy and its cycle are saved
	// (Eyeriss v2: CSC data lists only nonzeros, so the PE never visits
	// the zeros).
	Skip
)

var policyNames = enum.New[Policy]("sparse", "policy", "none", "gate", "skip")

// String returns the policy's name: none, gate or skip.
func (p Policy) String() string { return policyNames.String(p) }

// ParsePolicy returns the policy with the given name.
func ParsePolicy(s string) (Policy, error) { return policyNames.Parse(s) }

// Condition is one operand an action depends on: the probability Zero that
// the operand is zero (1 - density for one element; TileStats.Empty for a
// whole tile the action needs), and what the reader does then.
type Condition struct {
	Zero   float64
	Policy Policy
}

// Split divides a stream of actions into those performed, gated and
// skipped; the three fractions add up to 1.
type Split struct {
	Performed float64 // full energy, one cycle
	Gated     float64 // energy saved, cycle spent
	Skipped   float64 // energy and cycle saved
}

// Energy is the fraction of the actions' energy that is spent (gated and
// skipped actions cost nothing here; a cost model may charge gated ones a
// residual).
func (s Split) Energy() float64 { return s.Performed }

// Cycles is the fraction of the actions' cycles that is spent.
func (s Split) Cycles() float64 { return s.Performed + s.Gated }

// Apply splits actions that depend on independent operands:
//
//	Skipped   = 1 - Π_{skip} (1 - z)
//	Gated     = Π_{skip} (1 - z) · (1 - Π_{gate} (1 - z))
//	Performed = Π_{skip} (1 - z) · Π_{gate} (1 - z)
//
// where z is each condition's Zero: an action is skipped if any skipping
// operand is zero, else gated if any gating operand is zero. Conditions
// with policy None do not matter. It panics if a Zero is outside [0, 1].
func Apply(conds ...Condition) Split {
	skip, gate := 1.0, 1.0 // probabilities that no skipping / gating operand is zero
	for _, c := range conds {
		if !(c.Zero >= 0 && c.Zero <= 1) {
			panic(fmt.Sprintf("sparse: zero probability %v outside [0, 1]", c.Zero))
		}
		switch c.Policy {
		case Gate:
			gate *= 1 - c.Zero
		case Skip:
			skip *= 1 - c.Zero
		}
	}
	return Split{Performed: skip * gate, Gated: skip * (1 - gate), Skipped: 1 - skip}
}

// Effectual returns the fraction of MACs whose operands are all nonzero,
// the product of the densities of independent operands.
func Effectual(densities ...float64) float64 {
	e := 1.0
	for _, d := range densities {
		e *= d
	}
	return e
}
