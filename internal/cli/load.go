package cli

import (
	"github.com/nnergy/nnergy/workload"
	"github.com/nnergy/nnergy/workload/zoo"
)

// loadModel returns the network that a --model flag or a MODEL argument
// names: a zoo model, e.g. "alexnet".
//
// TODO: also accept the path of a YAML workload file (once workload.Parse
// exists); until then any name that is not in the zoo gives the zoo's
// error, `zoo: unknown model "x" (models: lenet5, alexnet, ...)`.
func loadModel(nameOrPath string) (*workload.Network, error) {
	return zoo.Get(nameOrPath)
}
