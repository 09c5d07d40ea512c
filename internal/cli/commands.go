package cli

import "github.com/spf13/cobra"

// commands lists every subcommand; add new ones here.
func (e *env) commands() []*cobra.Command {
	return []*cobra.Command{
		e.modelsCmd(), e.showCmd(), // models.go
		e.evalCmd(),                 // eval.go
		e.mapCmd(), e.mapspaceCmd(), // map.go
		e.archsCmd(), e.archCmd(), // arch.go
		e.compareCmd(),                            // compare.go
		e.trainCmd(), e.testCmd(), e.latencyCmd(), // train.go, test.go, latency.go
		e.pruneCmd(),    // prune.go
		e.adaptCmd(),    // adapt.go
		e.plotCmd(),     // plot.go
		e.runsCmd(),     // runs.go
		e.sweepCmd(),    // sweep.go
		e.fitCmd(),      // fit.go
		e.codesignCmd(), // codesign.go
		e.serveCmd(),    // serve.go
		e.importCmd(),   // import.go
	}
}
