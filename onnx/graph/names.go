package graph

import (
	"fmt"

	"github.com/nnergy/nnergy/onnx"
)

// Names hands out unique names.
type Names map[string]bool

// Unique returns name, or name followed by "_2", "_3"... when it has been
// handed out already, and records it.
func (ns Names) Unique(name string) string {
	if ns[name] {
		for i := 2; ; i++ {
			if s := fmt.Sprintf("%s_%d", name, i); !ns[s] {
				name = s
				break
			}
		}
	}
	ns[name] = true
	return name
}

// NodeName names what is lowered from node n: its name, or its first
// output when it has none (RNN nodes may leave some outputs out).
func NodeName(n *onnx.Node) string {
	if n.Name != "" {
		return n.Name
	}
	for _, o := range n.Outputs {
		if o != "" {
			return o
		}
	}
	return ""
}
