package workload

import (
	"fmt"
)

// Network is an ordered graph of layers: every layer comes after the layers
// it reads from (topological order).
type Network struct {
	Name string
	// Input is the shape of the network input as N, C, H, W (informational).
	Input  [4]int
	Layers []*Layer
}

// Layer returns the layer named name.
func (n *Network) Layer(name string) (*Layer, error) {
	for _, l := range n.Layers {
		if l.Name == name {
			return l, nil
		}
	}
	names := make([]string, 0, len(n.Layers))
	for _, l := range n.Layers {
		names = append(names, l.Name)
	}
	return nil, fmt.Errorf("workload: network %q has no layer %q (layers: %v)", n.Name, name, names)
}

// MACs returns the total multiply-accumulates of the network.
func (n *Network) MACs() int64 {
	var s int64
	for _, l := range n.Layers {
		s += l.MACs()
	}
	return s
}

// WithBatch returns a copy of the network with every layer at batch size b.
func (n *Network) WithBatch(b int) *Network {
	c := &Network{Name: n.Name, Input: n.Input, Layers: make([]*Layer, len(n.Layers))}
	c.Input[0] = b
	for i, l := range n.Layers {
		c.Layers[i] = l.WithBatch(b)
	}
	return c
}

// Validate checks every layer, unique names and that edges point backwards.
func (n *Network) Validate() error {
	seen := make(map[string]bool, len(n.Layers))
	for i, l := range n.Layers {
		if l.Name == "" {
			return fmt.Errorf("workload: network %q: layer %d has no name", n.Name, i)
		}
		if seen[l.Name] {
			return fmt.Errorf("workload: network %q: duplicate layer name %q", n.Name, l.Name)
		}
		if err := l.Validate(); err != nil {
			return err
		}
		for _, f := range l.From {
			if !seen[f] {
				return fmt.Errorf("workload: network %q: layer %q reads from %q, which is not an earlier layer", n.Name, l.Name, f)
			}
		}
		seen[l.Name] = true
	}
	return nil
}
