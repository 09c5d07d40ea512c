package cli

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/pflag"

	"github.com/nnergy/nnergy/dataflow"
	"github.com/nnergy/nnergy/mapper"
)

// searchFlags are the mapper settings shared by the commands that search.
type searchFlags struct {
	objective, algorithm string
	maxEvals, victory    int64
	timeout              time.Duration
	workers              int
	seed                 uint64
	progress             progressMode
}

func (f *searchFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&f.objective, "objective", "energy", "what to minimize: energy, latency, edp, or a comma-separated list (lexicographic)")
	fl.StringVar(&f.algorithm, "algorithm", "auto", "search algorithm: auto (exhaustive when the space fits --max-evals), exhaustive, random, or bnb (branch and bound: proves the optimum or reports the gap)")
	fl.Int64Var(&f.maxEvals, "max-evals", 200000, "cost-model evaluations per layer at most, for every --algorithm (an exhaustive search stopped by it is not proven optimal)")
	fl.Int64Var(&f.victory, "victory", 0, "stop a layer's random search after this many evaluations without improvement (0: never)")
	fl.DurationVar(&f.timeout, "timeout", 0, "stop each layer's search after this long (0: none; timed searches are not reproducible)")
	fl.IntVar(&f.workers, "workers", 0, "goroutines per search (0: all cores)")
	fl.Uint64Var(&f.seed, "seed", 1, "seed of the random search")
	registerProgress(fl, &f.progress, true)
}

func (f *searchFlags) settings(cmd string, progress io.Writer) (mapper.Settings, error) {
	o, err := mapper.ParseObjective(f.objective)
	if err != nil {
		return mapper.Settings{}, usageError{err}
	}
	switch f.algorithm {
	case "auto", "exhaustive", "random", "bnb":
	default:
		return mapper.Settings{}, usagef("%s: unknown --algorithm %q (want auto, exhaustive, random or bnb)", cmd, f.algorithm)
	}
	if f.maxEvals < 1 {
		return mapper.Settings{}, usagef("%s: --max-evals must be at least 1, got %d", cmd, f.maxEvals)
	}
	if f.workers < 0 {
		return mapper.Settings{}, usagef("%s: --workers must not be negative, got %d", cmd, f.workers)
	}
	set := mapper.Settings{Objective: o, Algorithm: f.algorithm, MaxEvaluations: f.maxEvals,
		Victory: f.victory, Timeout: f.timeout, Workers: f.workers, Seed: f.seed}
	if f.progress.on(progress) {
		set.Progress = func(st mapper.Stats) {
			fmt.Fprintf(progress, "\r\033[K%s: %d evaluated, %d valid, %.0f evals/s, %.1fs", st.Algorithm, st.Evaluated, st.Valid, st.EvalsPerSecond, st.Elapsed.Seconds())
		}
	}
	return set, nil
}

// clearProgress erases the progress line, if one was drawn.
func clearProgress(set mapper.Settings, w io.Writer) {
	if set.Progress != nil {
		fmt.Fprint(w, "\r\033[K")
	}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// parseDataflowFlag reads --dataflow: a dataflow name, or "best" (nil: the
// whole mapspace).
func parseDataflowFlag(s string) (*dataflow.Dataflow, error) {
	if s == "best" {
		return nil, nil
	}
	df, err := dataflow.ParseDataflow(s)
	if err != nil {
		return nil, usagef("dataflow: unknown dataflow %q (want %s, or best)", s, dataflow.Choices())
	}
	return &df, nil
}
