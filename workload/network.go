package workload

import (
	"fmt"
	"slices"
)

// Network is an ordered graph of layers: every layer comes after the layers
// it reads from (topological order).
type Network struct {
	Name string
	// Input is the shape of the network input as N, C, H, W (informational).
	Input [4]int
	// Inputs are the names and shapes of the network's inputs, of any rank,
	// when known (imported networks; informational).
	Inputs []NamedShape
	// Batch is the batch size the layers are built at, when recorded: the
	// ONNX importer and WithBatch set it. When 0, Input[0] or the first
	// layer's N give it (zoo and YAML networks built with N = batch).
	Batch int
	// BatchUnknown marks a network whose batch cannot be told apart from
	// its other dimensions (an imported file with static [S, B, D] or
	// [B, S, D] inputs): its layers are one pass over the file's own
	// shapes, Batch is 1, and it cannot be rebuilt at another batch.
	BatchUnknown bool
	Layers       []*Layer
}

// NamedShape is the shape of one named network input.
type NamedShape struct {
	Name  string `json:"name"`
	Shape []int  `json:"shape"`
}

// WithLayers returns a network with n's name, inputs and batch, and the
// given layers.
func (n *Network) WithLayers(layers []*Layer) *Network {
	c := *n
	c.Layers = layers
	return &c
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

// WithBatch returns a copy of the network with every layer at batch size b:
// it sets every layer's N, which is right only for networks built with
// N = batch (zoo, YAML). An imported network is rebuilt at another batch by
// its importer instead, since its batch may sit on other bounds (G of an
// attention product, P of a sequence-first projection).
func (n *Network) WithBatch(b int) *Network {
	c := &Network{Name: n.Name, Input: n.Input, Batch: b, Layers: make([]*Layer, len(n.Layers))}
	c.Input[0] = b
	for i, l := range n.Layers {
		c.Layers[i] = l.WithBatch(b)
	}
	return c
}

// Validate checks every layer, unique names and that edges point backwards.
func (n *Network) Validate() error {
	seen := make(map[string]bool, len(n.Layers))
	var macs int64
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
		// Each layer is below MaxMACs, so the sum cannot overflow before
		// it passes the limit.
		if macs += l.MACs(); macs > MaxMACs {
			return fmt.Errorf("workload: network %q: more than %d MACs up to layer %q (workload.MaxMACs, docs/limits.md)", n.Name, int64(MaxMACs), l.Name)
		}
		for _, f := range l.From {
			if !seen[f] {
				return fmt.Errorf("workload: network %q: layer %q reads from %q, which is not an earlier layer", n.Name, l.Name, f)
			}
		}
		if w := l.SharesWeights; w != "" {
			j := slices.IndexFunc(n.Layers[:i], func(o *Layer) bool { return o.Name == w })
			switch {
			case j < 0:
				return fmt.Errorf("workload: network %q: layer %q shares the weights of %q, which is not an earlier layer", n.Name, l.Name, w)
			case n.Layers[j].Size(Weights) != l.Size(Weights):
				return fmt.Errorf("workload: network %q: layer %q shares the weights of %q, which has %d weight words, not %d",
					n.Name, l.Name, w, n.Layers[j].Size(Weights), l.Size(Weights))
			}
		}
		seen[l.Name] = true
	}
	return nil
}
