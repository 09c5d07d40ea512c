package cli

import (
	"os"
	"strings"

	"github.com/nnergy/nnergy/measure"
	"github.com/nnergy/nnergy/nn"
	"github.com/nnergy/nnergy/workload"
	wonnx "github.com/nnergy/nnergy/workload/onnx"
	"github.com/nnergy/nnergy/workload/zoo"
)

// loadNetwork returns the network that a --model flag or a MODEL argument
// names: a zoo model, e.g. "alexnet", an ONNX file (.onnx), a model trained
// by nnergy (.nnw) or the path of a workload YAML file (anything else ending in .yaml or .yml, or naming an
// existing file). Batch sizes come from the file; callers rescale with
// WithBatch.
func loadNetwork(nameOrPath string) (*workload.Network, error) {
	if strings.HasSuffix(nameOrPath, ".onnx") {
		return wonnx.ReadFile(nameOrPath, 0)
	}
	if strings.HasSuffix(nameOrPath, ".nnw") {
		m, err := nn.LoadFile(nameOrPath)
		if err != nil {
			return nil, err
		}
		return measure.Workload(m, 1)
	}
	if isFile(nameOrPath, ".yaml", ".yml") {
		b, err := os.ReadFile(nameOrPath)
		if err != nil {
			return nil, err
		}
		return workload.Parse(nameOrPath, b)
	}
	return zoo.Get(nameOrPath)
}

// isFile reports whether s looks like a file path: it has one of the
// extensions, or a file of that name exists.
func isFile(s string, exts ...string) bool {
	for _, e := range exts {
		if strings.HasSuffix(s, e) {
			return true
		}
	}
	if strings.ContainsRune(s, os.PathSeparator) {
		return true
	}
	fi, err := os.Stat(s)
	return err == nil && !fi.IsDir()
}
