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
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/nnergy/nnergy/internal/yamlspec"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Main runs nnergy with the given arguments and streams, and returns the
// process exit code.
//
// SIGINT (Ctrl-C) and SIGTERM cancel the command's context with the signal
// as its cause; the command stops cleanly (a search reports its best so
// far, a sweep keeps its stored points) and Main returns 128 plus the
// signal's number, 130 or 143, whatever the command returned. A second
// signal kills the process as it would without nnergy's handler.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stopped, stop := notifySignals(context.Background())
	defer stop()
	return run(ctx, stopped, args, stdin, stdout, stderr)
}

// notifySignals returns a context cancelled by the first SIGINT or SIGTERM,
// its cause naming the signal; stopped reports the signal that cancelled
// it. After the first signal nnergy stops catching them, so that a second
// one ends the process at once. stop releases the handler.
func notifySignals(parent context.Context) (ctx context.Context, stopped func() (syscall.Signal, bool), stop func()) {
	var handled atomic.Bool
	ctx, cancel := context.WithCancelCause(context.WithValue(parent, signalHandledKey{}, &handled))
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	var got atomic.Int32
	done := make(chan struct{})
	go func() {
		select {
		case s := <-ch:
			signal.Stop(ch)
			sig := s.(syscall.Signal)
			got.Store(int32(sig))
			// The same cause as signal.NotifyContext's, which the runs
			// store records: "interrupt signal received".
			cancel(errors.New(s.String() + " signal received"))
		case <-done:
		}
	}()
	stopped = func() (syscall.Signal, bool) {
		s := syscall.Signal(got.Load())
		return s, s != 0 && !handled.Load()
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			signal.Stop(ch)
			close(done)
			cancel(context.Canceled)
		})
	}
	return ctx, stopped, stop
}

// signalHandledKey is the context key of the flag a command sets when
// stopping on a signal is its normal end.
type signalHandledKey struct{}

// signalIsNormalEnd tells Main that a signal stopping the command under ctx
// is its normal end (a server's), not an interruption: the command's own
// exit code stands.
func signalIsNormalEnd(ctx context.Context) {
	if h, ok := ctx.Value(signalHandledKey{}).(*atomic.Bool); ok {
		h.Store(true)
	}
}

// signalName names the signals nnergy handles as a shell does.
func signalName(s syscall.Signal) string {
	switch s {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return s.String()
}

// run runs the command line under ctx and returns its exit code. When
// stopped reports a signal, the code is 128 plus its number, and an error
// that only says the context was cancelled is not printed.
func run(ctx context.Context, stopped func() (syscall.Signal, bool), args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRoot(args, stdin, stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	sig, interrupted := stopped()
	if err != nil && !(interrupted && isCancel(err)) {
		// Every problem of a spec file on a line of its own, not the
		// first and a count.
		yamlspec.PrintError(stderr, "nnergy: ", err)
	}
	switch {
	case interrupted:
		fmt.Fprintf(stderr, "nnergy: stopped by %s\n", signalName(sig))
		return 128 + int(sig)
	case err == nil:
		return 0
	}
	var ue usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

// isCancel reports whether err says no more than that the context was
// cancelled.
func isCancel(err error) bool {
	return errors.Is(err, context.Canceled) && err.Error() == context.Canceled.Error()
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
	deprecationsToStderr(root, stderr)
	return root
}
