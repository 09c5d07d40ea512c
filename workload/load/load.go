// Package load finds the network a model name or path means: a built-in
// network (package workload/zoo), a workload YAML file, an ONNX file
// (package workload/onnx) or a model trained by nnergy (.nnw, lowered by
// package workload/engine), at the batch size asked. It is the one route
// from a name on a command line to a workload.Network.
package load

import (
	"fmt"
	"os"
	"strings"

	"github.com/nnergy/nnergy/internal/yamlspec"
	"github.com/nnergy/nnergy/nn"
	"github.com/nnergy/nnergy/workload"
	"github.com/nnergy/nnergy/workload/engine"
	wonnx "github.com/nnergy/nnergy/workload/onnx"
	"github.com/nnergy/nnergy/workload/zoo"
)

// Options say at what size to load a network.
type Options struct {
	// Batch is the batch size. 0 loads an ONNX file at its own batch (1
	// when it is symbolic) and any other network at batch 1; an ONNX file
	// is imported with its batch dimension set to Batch, and refused when
	// its batch cannot be told apart (see workload/onnx).
	Batch int
	// Dims and Shapes size the symbolic dimensions of an ONNX file other
	// than the batch: by dim_param, and whole graph inputs by name. They
	// are an error for any other kind of network.
	Dims   map[string]int
	Shapes map[string][]int
}

// Kind says what a name or path means.
type Kind uint8

// The kinds of model reference.
const (
	Zoo  Kind = iota // a built-in network
	YAML             // a workload YAML file
	ONNX             // an ONNX file
	NNW              // a model trained by nnergy
)

// KindOf returns what nameOrPath means: an ONNX file (.onnx), a model
// trained by nnergy (.nnw), a workload YAML file (.yaml or .yml, a path with
// a separator, or an existing file), or else a zoo name.
func KindOf(nameOrPath string) Kind {
	switch {
	case strings.HasSuffix(nameOrPath, ".onnx"):
		return ONNX
	case strings.HasSuffix(nameOrPath, ".nnw"):
		return NNW
	case strings.HasSuffix(nameOrPath, ".yaml"), strings.HasSuffix(nameOrPath, ".yml"),
		strings.ContainsRune(nameOrPath, os.PathSeparator):
		return YAML
	}
	if fi, err := os.Stat(nameOrPath); err == nil && !fi.IsDir() {
		return YAML
	}
	return Zoo
}

// Network returns the network nameOrPath means (see KindOf) at the size o
// asks.
func Network(nameOrPath string, o Options) (*workload.Network, error) {
	if o.Batch < 0 {
		return nil, fmt.Errorf("load: batch %d is negative", o.Batch)
	}
	kind := KindOf(nameOrPath)
	if kind == ONNX {
		return wonnx.ReadFileWith(nameOrPath, wonnx.Options{Batch: o.Batch, Dims: o.Dims, Shapes: o.Shapes})
	}
	if len(o.Dims) > 0 || len(o.Shapes) > 0 {
		return nil, fmt.Errorf("load: symbolic dimensions and input shapes apply to ONNX files, not to %s", nameOrPath)
	}
	batch := max(o.Batch, 1)
	switch kind {
	case NNW:
		m, err := nn.LoadFile(nameOrPath)
		if err != nil {
			return nil, err
		}
		return engine.Lower(m, batch)
	case YAML:
		b, err := yamlspec.ReadFile(nameOrPath)
		if err != nil {
			return nil, fmt.Errorf("load: %w", err)
		}
		n, err := workload.Parse(nameOrPath, b)
		if err != nil {
			return nil, err
		}
		return atBatch(n, batch)
	}
	n, err := zoo.Get(nameOrPath)
	if err != nil {
		return nil, err
	}
	return atBatch(n, batch)
}

// atBatch returns n at batch size b, checked against the size limits of
// package workload (a large batch can push a layer past them).
func atBatch(n *workload.Network, b int) (*workload.Network, error) {
	nb := n.WithBatch(b)
	if err := nb.Validate(); err != nil {
		return nil, fmt.Errorf("load: at batch %d: %w", b, err)
	}
	return nb, nil
}
