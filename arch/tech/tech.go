// Package tech holds technology tables: the energy of one access to a class
// of storage, network or arithmetic, in pJ per word, as a function of the
// word width and, for memories whose energy grows with their size, the
// capacity; and the area (µm²) and leakage power (watts) of one instance of
// each class (see area.go for their sources).
//
// Two tables ship:
//
//   - "eyeriss-65nm": the normalized energy table of the Eyeriss ISCA 2016
//     dataflow analysis (commercial 65 nm; DRAM 200, global buffer 6,
//     inter-PE array 2, register file 1, MAC 1, per 16-bit access), with one
//     unit set to [EyerissUnitPJ].
//   - "horowitz-45nm": Horowitz's ISSCC 2014 keynote figures (45 nm, 0.9 V):
//     SRAM energy interpolated by size, DRAM, and integer and floating-point
//     multiply-accumulate.
//
// Area and leakage come from CACTI 7.0 for SRAM (65 nm or 45 nm, itrs-lop),
// and Aladdin's 40 nm register, multiplier and adder scaled to the node;
// DRAM and networks have none.
//
// Architecture files name a table with the top-level `tech` key and a class
// with a level's `tech` key; see docs/format/arch.md.
package tech

import (
	"fmt"
	"slices"
	"strings"
)

// Access describes the access whose energy a table gives.
type Access struct {
	// WordBits is the width of one word in bits.
	WordBits int
	// SizeBytes is the capacity of the memory being accessed (one instance,
	// the part the tensor may use), or 0 when unknown or unbounded. Only
	// size-dependent classes use it for energy; every storage class with an
	// area needs it for Cost.
	SizeBytes int64
}

// Class is one row of a table: a kind of component, how its energy per
// word follows from an access, and its area and leakage per instance.
type Class struct {
	Name string
	// Doc says what the class models and where its numbers come from:
	// energy, then area and leakage.
	Doc    string
	energy func(Access) (float64, error)
	// cost gives the area and leakage of one instance: a memory of
	// Access.SizeBytes, or a MAC unit of Access.WordBits.
	cost func(Access) (Cost, error)
}

// Table is a technology energy table.
type Table struct {
	Name string
	// Description is one line naming the technology and the source.
	Description string
	Classes     []Class
}

var tables = []*Table{eyeriss65, horowitz45}

// Names returns the names of the shipped tables, sorted.
func Names() []string {
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = t.Name
	}
	slices.Sort(names)
	return names
}

// Lookup returns the table named name.
func Lookup(name string) (*Table, error) {
	for _, t := range tables {
		if t.Name == name {
			return t, nil
		}
	}
	return nil, fmt.Errorf("tech: unknown technology table %q (tables: %s)", name, strings.Join(Names(), ", "))
}

// ClassNames returns the names of the table's classes in table order.
func (t *Table) ClassNames() []string {
	names := make([]string, len(t.Classes))
	for i, c := range t.Classes {
		names[i] = c.Name
	}
	return names
}

// class returns the class named name, checking the access's word width.
func (t *Table) class(name string, a Access) (*Class, error) {
	for i := range t.Classes {
		if c := &t.Classes[i]; c.Name == name {
			if a.WordBits <= 0 {
				return nil, fmt.Errorf("tech: %s %s: word width %d bits, want a positive width", t.Name, name, a.WordBits)
			}
			return c, nil
		}
	}
	return nil, fmt.Errorf("tech: table %s has no class %q (classes: %s)", t.Name, name, strings.Join(t.ClassNames(), ", "))
}

// Energy returns the energy in pJ of one access of one word of class c.
func (t *Table) Energy(class string, a Access) (float64, error) {
	c, err := t.class(class, a)
	if err != nil {
		return 0, err
	}
	e, err := c.energy(a)
	if err != nil {
		return 0, fmt.Errorf("tech: %s %s: %w", t.Name, class, err)
	}
	return e, nil
}

// Cost returns the area and leakage of one instance of class c: a memory of
// a.SizeBytes bytes of a.WordBits-bit words (storage classes), or one MAC
// unit of a.WordBits-bit operands. A storage class needs a bounded
// capacity; DRAM and network classes cost nothing.
func (t *Table) Cost(class string, a Access) (Cost, error) {
	c, err := t.class(class, a)
	if err != nil {
		return Cost{}, err
	}
	v, err := c.cost(a)
	if err != nil {
		return Cost{}, fmt.Errorf("tech: %s %s: %w", t.Name, class, err)
	}
	return v, nil
}
