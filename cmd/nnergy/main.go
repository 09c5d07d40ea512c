// Command nnergy evaluates, maps and adapts deep neural networks for
// energy-efficient accelerators. See the README for the subcommands.
package main

import (
	"os"

	"github.com/nnergy/nnergy/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
