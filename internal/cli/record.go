package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/store"
)

// storeEnv names the store when --store is not given.
const storeEnv = "NNERGY_STORE"

// storeNone is the DSN that turns recording off.
const storeNone = "none"

// storeDSN returns the DSN of the results store: --store, else
// $NNERGY_STORE, else "" (the default SQLite file); on is false for none.
func (e *env) storeDSN() (dsn string, on bool) {
	dsn = e.store
	if !e.storeFlag.Changed {
		dsn = os.Getenv(storeEnv)
	}
	return dsn, dsn != storeNone
}

// openStore opens the results store, for the runs commands.
func (e *env) openStore(ctx context.Context, cmd string) (*store.Store, error) {
	dsn, on := e.storeDSN()
	if !on {
		return nil, usagef("%s: --store none: no results store to read", cmd)
	}
	return store.Open(ctx, dsn)
}

// runInputs are what a run records besides its flags.
type runInputs struct {
	// arch is the canonical YAML of the architectures.
	arch             string
	workload, digest string
}

// recording is one run being recorded; nil when recording is off.
type recording struct {
	st  *store.Store
	run store.Run
	// report is the run's report, set when the command has made it.
	report any
}

// begin records cmd as a running run of kind in the results store, so
// that a run that fails or is interrupted is recorded too. It fails when
// the store cannot be opened: a run is never silently left unrecorded.
func (e *env) begin(cmd *cobra.Command, kind store.Kind, in runInputs) (*recording, error) {
	dsn, on := e.storeDSN()
	if !on {
		return nil, nil
	}
	st, err := store.Open(cmd.Context(), dsn)
	if err != nil {
		return nil, fmt.Errorf("recording the run (--store none turns recording off): %w", err)
	}
	settings, err := flagSettings(cmd)
	if err != nil {
		st.Close()
		return nil, err
	}
	r := &recording{st: st, run: store.Run{Kind: kind, Version: store.BuildVersion(), Command: append([]string{"nnergy"}, redactStore(e.args)...),
		Arch: in.arch, Workload: in.workload, WorkloadDigest: in.digest, Settings: settings}}
	if err := st.Begin(cmd.Context(), &r.run); err != nil {
		st.Close()
		return nil, fmt.Errorf("recording the run (--store none turns recording off): %w", err)
	}
	return r, nil
}

// setReport keeps the run's report for end.
func (r *recording) setReport(rep any) {
	if r != nil {
		r.report = rep
	}
}

// end records how the run ended: done with its report when err is nil,
// interrupted when the command's context was cancelled (a signal), failed
// with err otherwise. It returns err, joined with any error of the
// recording. It records even when the command was interrupted.
func (r *recording) end(ctx context.Context, err error) error {
	if r == nil {
		return err
	}
	defer r.st.Close()
	// The cause names the signal ("interrupt signal received").
	stopped := context.Cause(ctx)
	ctx = context.WithoutCancel(ctx)
	if err != nil && stopped != nil {
		if ierr := r.st.Interrupt(ctx, r.run.ID, "interrupted: "+stopped.Error()); ierr != nil {
			return errors.Join(err, fmt.Errorf("recording the run's interruption: %w", ierr))
		}
		return err
	}
	if err != nil {
		if ferr := r.st.Fail(ctx, r.run.ID, err); ferr != nil {
			return errors.Join(err, fmt.Errorf("recording the run's failure: %w", ferr))
		}
		return err
	}
	if r.report == nil {
		return fmt.Errorf("recording run %d: the command made no report", r.run.ID)
	}
	b, err := json.Marshal(r.report)
	if err != nil {
		return fmt.Errorf("recording run %d: %v", r.run.ID, err)
	}
	if stopped != nil {
		// A command that reports what it finished before a signal (compare,
		// eval --search: the best so far, marked partial) is interrupted,
		// not done; its report is kept.
		if err := r.st.InterruptPartial(ctx, r.run.ID, "interrupted: "+stopped.Error(), b); err != nil {
			return fmt.Errorf("recording the run's interruption: %w", err)
		}
		return nil
	}
	if err := r.st.Finish(ctx, r.run.ID, b); err != nil {
		return fmt.Errorf("recording the run: %w", err)
	}
	return nil
}

// redactStore returns args with the password of a --store DSN replaced,
// so that the store does not keep it.
func redactStore(args []string) []string {
	out := append([]string(nil), args...)
	for i, a := range out {
		if v, ok := strings.CutPrefix(a, "--store="); ok {
			out[i] = "--store=" + store.Redact(v)
		} else if a == "--store" && i+1 < len(out) {
			out[i+1] = store.Redact(out[i+1])
		}
	}
	return out
}

// flagSettings returns every flag of cmd but --store and --help, by name,
// with its value as text (given or default), as a JSON object.
func flagSettings(cmd *cobra.Command) (json.RawMessage, error) {
	m := map[string]string{}
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		// A deprecated alias shows as the flag it stands for.
		if f.Name == "store" || f.Name == "help" || f.Deprecated != "" {
			return
		}
		m[f.Name] = f.Value.String()
	})
	return json.Marshal(m)
}

// archYAML returns the canonical YAML of specs, one document each.
func archYAML(specs ...*arch.Spec) string {
	var b bytes.Buffer
	for i, s := range specs {
		if i > 0 {
			b.WriteString("---\n")
		}
		b.Write(arch.Format(s))
	}
	return b.String()
}
