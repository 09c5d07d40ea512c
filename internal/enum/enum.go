// Package enum names the values of nnergy's small enumerations (dataflows,
// layer kinds, tensors, metrics, ...): one table of names gives String,
// Parse and the list of choices, and every unknown name is reported the same
// way, listing what is accepted.
package enum

import (
	"fmt"
	"strings"
)

// Names holds the names of the values 0, 1, ... of an enumeration E.
type Names[E ~uint8] struct {
	pkg, what string
	names     []string
}

// New returns the names of an enumeration whose values are 0..len(names)-1.
// pkg prefixes errors ("dataflow") and what names the kind of value
// ("dataflow", "layer kind").
func New[E ~uint8](pkg, what string, names ...string) Names[E] {
	return Names[E]{pkg: pkg, what: what, names: names}
}

// String returns the name of e, or "what(e)" for a value without one.
func (n Names[E]) String(e E) string {
	if int(e) < len(n.names) {
		return n.names[e]
	}
	return fmt.Sprintf("%s(%d)", n.what, uint8(e))
}

// Parse returns the value named s (case-insensitive), or an error naming s
// and every accepted name: `pkg: unknown what "s" (want a, b or c)`.
func (n Names[E]) Parse(s string) (E, error) {
	for i, name := range n.names {
		if strings.EqualFold(name, s) {
			return E(i), nil
		}
	}
	return 0, fmt.Errorf("%s: unknown %s %q (want %s)", n.pkg, n.what, s, n.Choices())
}

// Choices lists the names for people: "a, b or c".
func (n Names[E]) Choices() string {
	switch len(n.names) {
	case 0:
		return "nothing"
	case 1:
		return n.names[0]
	}
	return strings.Join(n.names[:len(n.names)-1], ", ") + " or " + n.names[len(n.names)-1]
}

// List returns the names in value order.
func (n Names[E]) List() []string { return append([]string(nil), n.names...) }

// ParseSet reads a comma-separated list of distinct names, in order:
// an unknown name is reported as Parse does, a repeated one as
// `pkg: what "s" listed twice`.
func (n Names[E]) ParseSet(s string) ([]E, error) {
	var out []E
	for _, f := range strings.Split(s, ",") {
		e, err := n.Parse(strings.TrimSpace(f))
		if err != nil {
			return nil, err
		}
		for _, o := range out {
			if o == e {
				return nil, fmt.Errorf("%s: %s %s listed twice", n.pkg, n.what, n.String(e))
			}
		}
		out = append(out, e)
	}
	return out, nil
}
