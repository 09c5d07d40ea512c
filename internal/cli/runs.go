package cli

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/nnergy/nnergy/report"
	"github.com/nnergy/nnergy/store"
)

func (e *env) runsCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "runs",
		Short: "Browse the runs recorded in the results store",
		Long: `Every eval, map, compare, prune and adapt is recorded in the results
store with its inputs (the architecture's canonical YAML, the workload and
its digest, every flag), the nnergy version, the command line and its
report. The store is --store DSN, else $` + storeEnv + `, else a SQLite file
under the user's data directory ($XDG_DATA_HOME/nnergy/results.db or
~/.local/share/nnergy/results.db); --store none records nothing.
docs/format/store.md describes the store.`,
		Example: `  nnergy runs list --kind eval --limit 10
  nnergy runs show 12
  nnergy runs diff 12 14
  nnergy runs export --format csv > runs.csv
  nnergy runs reap
  nnergy runs init --store postgres://nnergy@db/nnergy`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	c.AddCommand(e.runsListCmd(), e.runsShowCmd(), e.runsDiffCmd(), e.runsExportCmd(), e.runsRmCmd(), e.runsReapCmd(), e.runsInitCmd())
	return c
}

// parseIDs reads run IDs.
func parseIDs(cmd string, args []string) ([]int64, error) {
	ids := make([]int64, len(args))
	for i, a := range args {
		id, err := strconv.ParseInt(a, 10, 64)
		if err != nil || id < 1 {
			return nil, usagef("%s: run ID %q: want a positive integer (see nnergy runs list)", cmd, a)
		}
		ids[i] = id
	}
	return ids, nil
}

func (e *env) runsListCmd() *cobra.Command {
	var kinds []string
	var limit int
	c := &cobra.Command{
		Use:   "list",
		Short: "List recorded runs, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if limit < 0 {
				return usagef("runs list: --limit must not be negative, got %d", limit)
			}
			runs, where, err := e.selectRuns(cmd, "runs list", nil, kinds, store.Filter{Limit: limit})
			if err != nil {
				return err
			}
			t := textTable{left: map[int]bool{1: true, 2: true, 3: true, 4: true, 5: true, 8: true}}
			t.header = []string{"id", "kind", "created", "status", "workload", "arch", "energy_uJ", "latency_ms", "command"}
			var gone []int64
			for _, r := range runs {
				tot := totalFigure(r)
				t.rows = append(t.rows, []string{i64(r.ID), r.Kind.String(), r.Created.Local().Format("2006-01-02 15:04:05"), runStatus(r),
					r.Workload, archNames(r.Arch), optF(tot.EnergyPJ/1e6, 2), optF(tot.LatencySeconds*1e3, 3), shellJoin(r.Command[1:])})
				if r.Status == store.Running && r.Owner.Local() && !r.Owner.Alive() {
					gone = append(gone, r.ID)
				}
			}
			fmt.Fprintf(e.stdout, "%s in %s\n\n", plural(len(runs), "run"), where)
			if len(runs) == 0 {
				return nil
			}
			if err := t.write(e.stdout); err != nil {
				return err
			}
			if len(gone) > 0 {
				what := "run %s: its process is gone; nnergy runs reap marks it interrupted\n"
				if len(gone) > 1 {
					what = "runs %s: their processes are gone; nnergy runs reap marks them interrupted\n"
				}
				_, err := fmt.Fprintf(e.stdout, "\n"+what, joinIDs(gone))
				return err
			}
			return nil
		},
	}
	c.Flags().StringSliceVar(&kinds, "kind", nil, "only runs of these kinds (eval, map, compare, prune, adapt, sweep, codesign, fit)")
	c.Flags().IntVar(&limit, "limit", 20, "at most N runs, the newest (0: all)")
	return c
}

// joinIDs lists run IDs as "3, 5, 8".
func joinIDs(ids []int64) string {
	strs := make([]string, len(ids))
	for i, id := range ids {
		strs[i] = i64(id)
	}
	return strings.Join(strs, ", ")
}

// runStatus is a run's status for the runs list: a running run's owner
// follows, "pid N" on this host ("gone" when it is no longer alive),
// "HOST pid N" on another.
func runStatus(r *store.Run) string {
	if r.Status != store.Running || !r.Owner.Known() {
		return r.Status.String()
	}
	switch o := r.Owner; {
	case !o.Local():
		return fmt.Sprintf("running (%s)", o)
	case !o.Alive():
		return fmt.Sprintf("running (pid %d gone)", o.PID)
	default:
		return fmt.Sprintf("running (pid %d)", o.PID)
	}
}

// selectRuns returns the runs of the results store that f, the IDs in
// args and the kinds named select, and where the store is.
func (e *env) selectRuns(cmd *cobra.Command, name string, args, kinds []string, f store.Filter) ([]*store.Run, string, error) {
	ids, err := parseIDs(name, args)
	if err != nil {
		return nil, "", err
	}
	f.IDs = ids
	for _, k := range kinds {
		kind, err := store.ParseKind(k)
		if err != nil {
			return nil, "", usageError{err}
		}
		f.Kinds = append(f.Kinds, kind)
	}
	st, err := e.openStore(cmd.Context(), name)
	if err != nil {
		return nil, "", err
	}
	defer st.Close()
	runs, err := st.Runs(cmd.Context(), f)
	return runs, st.Location(), err
}

// totalFigure returns a run's total figure (NaN figures when it has none
// or its report cannot be read).
func totalFigure(r *store.Run) store.Figure {
	fs, err := store.Figures(r.Report)
	if err == nil {
		for _, f := range fs {
			if f.Name == store.Total {
				return f
			}
		}
	}
	return store.Figure{EnergyPJ: math.NaN(), LatencySeconds: math.NaN(), Accuracy: math.NaN()}
}

// optF formats v, or "-" for NaN.
func optF(v float64, prec int) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmtF(v, prec)
}

// archNames returns the names in canonical arch YAML.
func archNames(yaml string) string {
	s := store.ArchSummary(yaml)
	if i := strings.LastIndex(s, " ("); i >= 0 {
		return s[:i]
	}
	return s
}

var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_./:=,+@%-]+$`)

// shellJoin quotes args for a POSIX shell.
func shellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if shellSafe.MatchString(a) {
			q[i] = a
		} else {
			q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(q, " ")
}

func (e *env) runsShowCmd() *cobra.Command {
	var format string
	c := &cobra.Command{
		Use:   "show ID",
		Short: "Show one recorded run: its inputs, settings and results",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != formatTable && format != formatJSON {
				return usagef("runs show: --format %q: want table or json", format)
			}
			runs, _, err := e.selectRuns(cmd, "runs show", args, nil, store.Filter{})
			if err != nil {
				return err
			}
			r := runs[0]
			if format == formatJSON {
				return writeJSON(e.stdout, report.NewRun(r.Record()))
			}
			return writeRun(e.stdout, r)
		},
	}
	c.Flags().StringVar(&format, "format", formatTable, "output format: table or json")
	return c
}

func writeRun(w io.Writer, r *store.Run) error {
	fmt.Fprintf(w, "run %d: %s, %s\n", r.ID, r.Kind, r.Status)
	if r.Error != "" {
		fmt.Fprintf(w, "error: %s\n", r.Error)
	}
	if o := r.Owner; o.Known() {
		state := "on another host"
		switch {
		case o.Local() && o.Alive():
			state = "alive"
		case o.Local():
			state = "gone"
		}
		fmt.Fprintf(w, "owner    %s (%s)\n", o, state)
	}
	fmt.Fprintf(w, "created  %s\nnnergy   %s\ncommand  nnergy %s\nworkload %s (sha256 %s)\narch     %s\n",
		r.Created.Local().Format(time.RFC3339), r.Version, shellJoin(r.Command[1:]), r.Workload, r.WorkloadDigest, store.ArchSummary(r.Arch))
	var set map[string]string
	if err := json.Unmarshal(r.Settings, &set); err == nil && len(set) > 0 {
		fmt.Fprintf(w, "\nsettings:\n")
		t := textTable{left: map[int]bool{0: true, 1: true}, header: []string{"flag", "value"}}
		for _, k := range sortedKeys(set) {
			t.rows = append(t.rows, []string{"--" + k, set[k]})
		}
		if err := t.write(w); err != nil {
			return err
		}
	}
	fs, err := store.Figures(r.Report)
	if err != nil {
		return err
	}
	if len(fs) > 0 {
		fmt.Fprintf(w, "\nresults:\n")
		t := textTable{left: map[int]bool{0: true}, header: []string{"name", "energy_uJ", "latency_ms", "accuracy%"}}
		for _, f := range fs {
			t.rows = append(t.rows, []string{f.Name, optF(f.EnergyPJ/1e6, 3), optF(f.LatencySeconds*1e3, 4), optF(100*f.Accuracy, 2)})
		}
		if err := t.write(w); err != nil {
			return err
		}
	}
	_, err = fmt.Fprintf(w, "\nreport: nnergy runs show %d --format json\n", r.ID)
	return err
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func (e *env) runsDiffCmd() *cobra.Command {
	var format string
	c := &cobra.Command{
		Use:   "diff ID1 ID2",
		Short: "Compare two recorded runs: energy and latency, in total and per layer, and the settings that differ",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != formatTable && format != formatJSON {
				return usagef("runs diff: --format %q: want table or json", format)
			}
			runs, _, err := e.selectRuns(cmd, "runs diff", args, nil, store.Filter{})
			if err != nil {
				return err
			}
			byID := map[int64]*store.Run{}
			for _, r := range runs {
				byID[r.ID] = r
			}
			a, _ := strconv.ParseInt(args[0], 10, 64) // selectRuns checked them
			b, _ := strconv.ParseInt(args[1], 10, 64)
			d, err := store.NewDiff(byID[a], byID[b])
			if err != nil {
				return err
			}
			if format == formatJSON {
				return writeJSON(e.stdout, d.Report())
			}
			return writeDiff(e.stdout, d)
		},
	}
	c.Flags().StringVar(&format, "format", formatTable, "output format: table or json (report kind diff)")
	return c
}

// change formats b - a and its percentage of a.
func change(a, b, scale float64, prec int) (string, string) {
	if math.IsNaN(a) || math.IsNaN(b) {
		return "-", "-"
	}
	d := fmtF((b-a)*scale, prec)
	if b-a > 0 {
		d = "+" + d
	}
	p := "-"
	if a != 0 {
		p = fmt.Sprintf("%+.1f", 100*(b-a)/a)
	}
	return d, p
}

func writeDiff(w io.Writer, d *store.Diff) error {
	a, b := d.A, d.B
	fmt.Fprintf(w, "run %d (%s %s, %s) -> run %d (%s %s, %s)\n", a.ID, a.Kind, a.Workload, a.Status, b.ID, b.Kind, b.Workload, b.Status)
	if len(d.Figures) > 0 {
		fmt.Fprintln(w)
		t := textTable{left: map[int]bool{0: true}}
		t.header = []string{"name", "energy_uJ_" + i64(a.ID), "energy_uJ_" + i64(b.ID), "change_uJ", "change%", "latency_ms_" + i64(a.ID), "latency_ms_" + i64(b.ID), "change_ms", "change%"}
		for _, f := range d.Figures {
			de, pe := change(f.A.EnergyPJ, f.B.EnergyPJ, 1e-6, 3)
			dl, pl := change(f.A.LatencySeconds, f.B.LatencySeconds, 1e3, 4)
			t.rows = append(t.rows, []string{f.Name, optF(f.A.EnergyPJ/1e6, 3), optF(f.B.EnergyPJ/1e6, 3), de, pe,
				optF(f.A.LatencySeconds*1e3, 4), optF(f.B.LatencySeconds*1e3, 4), dl, pl})
		}
		if err := t.write(w); err != nil {
			return err
		}
	}
	fmt.Fprintln(w)
	if len(d.Inputs)+len(d.Settings) == 0 {
		_, err := fmt.Fprintln(w, "the same inputs and settings")
		return err
	}
	t := textTable{left: map[int]bool{0: true, 1: true, 2: true}, header: []string{"input or setting", "run " + i64(a.ID), "run " + i64(b.ID)}}
	side := func(v string, none bool) string {
		if none {
			return "(none)"
		}
		return v
	}
	for _, s := range d.Inputs {
		t.rows = append(t.rows, []string{s.Name, side(s.A, s.NoA), side(s.B, s.NoB)})
	}
	for _, s := range d.Settings {
		t.rows = append(t.rows, []string{"--" + s.Name, side(s.A, s.NoA), side(s.B, s.NoB)})
	}
	return t.write(w)
}

func (e *env) runsExportCmd() *cobra.Command {
	var format string
	var kinds []string
	c := &cobra.Command{
		Use:   "export [ID...]",
		Short: "Write recorded runs (all, or those named) as JSON or CSV",
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != formatJSON && format != formatCSV {
				return usagef("runs export: --format %q: want json or csv", format)
			}
			runs, _, err := e.selectRuns(cmd, "runs export", args, kinds, store.Filter{})
			if err != nil {
				return err
			}
			if format == formatJSON {
				recs := make([]report.RunRecord, len(runs))
				for i, r := range runs {
					recs[i] = r.Record()
				}
				return writeJSON(e.stdout, report.NewRuns(recs))
			}
			return writeRunsCSV(e.stdout, runs)
		},
	}
	c.Flags().StringVar(&format, "format", formatJSON, "output format: json or csv")
	c.Flags().StringSliceVar(&kinds, "kind", nil, "only runs of these kinds")
	return c
}

// runsCSVHeader is the header of runs export --format csv.
var runsCSVHeader = []string{"id", "run_kind", "created", "status", "nnergy_version", "workload", "workload_digest", "arch",
	"energy_pj", "latency_seconds", "accuracy", "command"}

func writeRunsCSV(w io.Writer, runs []*store.Run) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(runsCSVHeader); err != nil {
		return err
	}
	num := func(v float64) string {
		if math.IsNaN(v) {
			return ""
		}
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	for _, r := range runs {
		tot := totalFigure(r)
		rec := r.Record()
		if err := cw.Write([]string{i64(r.ID), rec.RunKind, rec.Created, rec.Status, r.Version, r.Workload, r.WorkloadDigest, store.ArchSummary(r.Arch),
			num(tot.EnergyPJ), num(tot.LatencySeconds), num(tot.Accuracy), shellJoin(r.Command)}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func (e *env) runsRmCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "rm ID...",
		Short: "Remove recorded runs (all named, or none when one is missing)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ids, err := parseIDs("runs rm", args)
			if err != nil {
				return err
			}
			st, err := e.openStore(cmd.Context(), "runs rm")
			if err != nil {
				return err
			}
			defer st.Close()
			if err := st.Delete(cmd.Context(), ids...); err != nil {
				return err
			}
			n := len(uniq(ids))
			_, err = fmt.Fprintf(e.stdout, "removed %d run%s from %s\n", n, map[bool]string{true: "s"}[n != 1], st.Location())
			return err
		},
	}
}

func uniq(ids []int64) map[int64]bool {
	m := map[int64]bool{}
	for _, id := range ids {
		m[id] = true
	}
	return m
}

func (e *env) runsReapCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "reap [ID...]",
		Short: "Mark interrupted the runs left running by a process that is gone",
		Long: `Mark interrupted the runs the store holds as running whose process ran on
this machine and is gone (killed, crashed, or the machine rebooted): the
owner every run records (host name, process ID and, on Linux, its start
time) no longer runs. Runs of other hosts, and runs recorded before the
store had owners, are left running; name them (ID...) to mark them
interrupted by hand. A named run whose process is alive on this machine is
refused, and then none is marked. nnergy serve does the same at start.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			ids, err := parseIDs("runs reap", args)
			if err != nil {
				return err
			}
			st, err := e.openStore(cmd.Context(), "runs reap")
			if err != nil {
				return err
			}
			defer st.Close()
			ctx := cmd.Context()
			if len(ids) == 0 {
				ids, err = st.InterruptOrphans(ctx)
				if err != nil {
					return err
				}
			} else {
				runs, err := st.Runs(ctx, store.Filter{IDs: ids})
				if err != nil {
					return err
				}
				for _, r := range runs {
					switch {
					case r.Status != store.Running:
						return fmt.Errorf("runs reap: run %d is %s, not running (nothing marked)", r.ID, r.Status)
					case r.Owner.Alive():
						return fmt.Errorf("runs reap: run %d is running in process %d of this machine, which is alive (nothing marked)", r.ID, r.Owner.PID)
					}
				}
				for _, r := range runs {
					if err := st.Interrupt(ctx, r.ID, fmt.Sprintf("interrupted: marked by nnergy runs reap (owner %s)", r.Owner)); err != nil {
						return err
					}
				}
				slices.Sort(ids)
				ids = slices.Compact(ids)
			}
			if len(ids) == 0 {
				_, err = fmt.Fprintf(e.stdout, "no run in %s was left running by a process that is gone\n", st.Location())
				return err
			}
			_, err = fmt.Fprintf(e.stdout, "marked %s interrupted in %s: %s\n", plural(len(ids), "run"), st.Location(), joinIDs(ids))
			return err
		},
	}
}

func (e *env) runsInitCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "init",
		Short: "Create or migrate the store's schema once (before shards share a PostgreSQL store)",
		Long: `Create the schema of the results store, or migrate it to this nnergy's, in
one transaction. A SQLite store is migrated whenever it is opened; a
PostgreSQL store is migrated only here, once, before the shards of a sweep
write it at the same time. A store of a newer schema is left untouched.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			dsn, on := e.storeDSN()
			if !on {
				return usagef("runs init: --store none: no results store to create")
			}
			from, to, err := store.Migrate(cmd.Context(), dsn)
			if err != nil {
				return err
			}
			st, err := store.Open(cmd.Context(), dsn)
			if err != nil {
				return err
			}
			defer st.Close()
			if from == to {
				_, err = fmt.Fprintf(e.stdout, "%s: schema version %d, nothing to do\n", st.Location(), to)
			} else {
				_, err = fmt.Fprintf(e.stdout, "%s: schema version %d -> %d\n", st.Location(), from, to)
			}
			return err
		},
	}
}
