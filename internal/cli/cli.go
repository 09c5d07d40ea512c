// Package cli implements the nnergy command line: every subcommand and its
// flags. cmd/nnergy only calls Main, so the commands are testable as
// transcripts.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/nnergy/nnergy/internal/yamlspec"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Main runs nnergy with the given arguments and streams, and returns the
// process exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRoot(args, stdin, stdout, stderr)
	root.SetArgs(args)
	if err := root.ExecuteContext(ctx); err != nil {
		// Every problem of a spec file on a line of its own, not the
		// first and a count.
		yamlspec.PrintError(stderr, "nnergy: ", err)
		var ue usageError
		if errors.As(err, &ue) {
			return 2
		}
		return 1
	}
	return 0
}

// usageError marks errors in the command line itself (exit code 2).
type usageError struct{ error }

func (u usageError) Unwrap() error { return u.error }

func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// env carries the standard streams, the command line and the global flags
// to every subcommand.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	// args is the command line after the program name, as the run records
	// it.
	args []string
	// store is --store; storeFlag tells whether it was given.
	store     string
	storeFlag *pflag.Flag
}

func newRoot(args []string, stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, args: args}
	root := &cobra.Command{
		Use:           "nnergy",
		Short:         "Energy-efficient deep learning across the hardware/software divide",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		// Main prints "nnergy: " before every error: name the
		// subcommand after it, not the program twice.
		if c == root {
			return usageError{err}
		}
		return usageError{fmt.Errorf("%s: %w", strings.TrimPrefix(c.CommandPath(), root.Name()+" "), err)}
	})
	root.PersistentFlags().StringVar(&e.store, "store", "", "results store that records the run: a SQLite file or sqlite:PATH, postgres://..., or none (default $"+storeEnv+", else the SQLite file under the user's data directory)")
	e.storeFlag = root.PersistentFlags().Lookup("store")
	root.AddCommand(
		// Each subcommand lives in a file of its own.
		e.commands()...,
	)
	checkNumericFlags(root)
	return root
}
