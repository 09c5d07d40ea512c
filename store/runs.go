package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"runtime/debug"
	"strings"
	"time"

	"github.com/nnergy/nnergy/internal/enum"
)

// Kind is the command a run was.
type Kind uint8

// The kinds of run.
const (
	KindEval Kind = iota
	KindMap
	KindCompare
	KindPrune
	KindAdapt
	KindSweep
	KindCodesign
	KindFit
)

var kindNames = enum.New[Kind]("store", "run kind", "eval", "map", "compare", "prune", "adapt", "sweep", "codesign", "fit")

func (k Kind) String() string { return kindNames.String(k) }

// ParseKind returns the kind named s.
func ParseKind(s string) (Kind, error) { return kindNames.Parse(s) }

// Status says where a run is.
type Status uint8

// The statuses.
const (
	// Running: begun and not ended. A run whose process was killed stays
	// running until InterruptOrphans (or Interrupt) marks it.
	Running Status = iota
	Done
	Failed
	// Interrupted: stopped before it ended, by a signal, a server's
	// shutdown, or its process's death found later; Error says which.
	Interrupted
)

var statusNames = enum.New[Status]("store", "run status", "running", "done", "failed", "interrupted")

func (s Status) String() string { return statusNames.String(s) }

// Run is one recorded command.
type Run struct {
	// ID is given by the store when the run begins; IDs of removed runs are
	// not given again.
	ID   int64
	Kind Kind
	// Created is when the run began (UTC, microseconds).
	Created time.Time
	// Version is the nnergy version that ran it (BuildVersion).
	Version string
	// Command is the command line, the program name first.
	Command []string
	// Arch is the architecture's canonical YAML (several documents for a
	// command of several architectures; empty for none).
	Arch string
	// Workload names the network or model, WorkloadDigest is the hex
	// SHA-256 of what of it determines the results.
	Workload, WorkloadDigest string
	// Settings is a JSON object of the settings the run used (flags).
	Settings json.RawMessage
	// Report is the run's report (package report's JSON): nil until
	// done, and for an interrupted run that reported what it finished
	// (marked partial in the report).
	Report json.RawMessage
	Status Status
	// Error says why a failed run failed, or what interrupted an
	// interrupted one.
	Error string
	// Owner is the process that began the run (Begin records it); unknown
	// for runs begun before schema version 3.
	Owner Owner
	// EnergyPJ and LatencySeconds are the total of a run done, from its
	// report (Figures' total); NaN when it has none.
	EnergyPJ, LatencySeconds float64
}

// BuildVersion returns the version of the running nnergy from its build
// information: the module version, or "devel" (with the VCS revision when
// the build recorded one) for a build from a source tree.
func BuildVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	v := "devel"
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if rev != "" {
		v += "+" + rev[:min(12, len(rev))] + dirty
	}
	return v
}

// checkJSON checks that b is one JSON value, an object when object is set.
func checkJSON(what string, b []byte, object bool) error {
	if !json.Valid(b) {
		return fmt.Errorf("store: %s is not valid JSON", what)
	}
	if object && !strings.HasPrefix(strings.TrimSpace(string(b)), "{") {
		return fmt.Errorf("store: %s is not a JSON object", what)
	}
	return nil
}

// Begin records r as running, owned by this process (Self), and sets its
// ID, Created and Owner. Kind, Version and Command are required; Settings
// is a JSON object (nil is stored as {}); Report, Status, Error and the
// totals are ignored.
func (s *Store) Begin(ctx context.Context, r *Run) error {
	if int(r.Kind) >= len(kindNames.List()) {
		return fmt.Errorf("store: run kind %d unknown", r.Kind)
	}
	if r.Version == "" || len(r.Command) == 0 {
		return fmt.Errorf("store: a run needs its nnergy version and command line")
	}
	settings := r.Settings
	if settings == nil {
		settings = json.RawMessage("{}")
	}
	if err := checkJSON("run settings", settings, true); err != nil {
		return err
	}
	cmd, _ := json.Marshal(r.Command)
	created := time.Now().UTC().Truncate(time.Microsecond)
	var id int64
	o := Self()
	err := s.db.QueryRowContext(ctx, s.q(`INSERT INTO runs (kind, created, nnergy_version, command, arch, workload, workload_digest, settings, status, owner_host, owner_pid, owner_start)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, ?, ?) RETURNING id`),
		r.Kind.String(), created.Format(timeFormat), r.Version, string(cmd), r.Arch, r.Workload, r.WorkloadDigest, string(settings),
		o.Host, o.PID, o.Start).Scan(&id)
	if err != nil {
		return s.errorf("recording a %s run: %v", r.Kind, err)
	}
	r.ID, r.Created, r.Settings, r.Status, r.Owner = id, created, settings, Running, o
	r.EnergyPJ, r.LatencySeconds = math.NaN(), math.NaN()
	return nil
}

// Finish marks running run id done with its report, and keeps the
// report's total energy and latency (Figures) beside it for sorting.
func (s *Store) Finish(ctx context.Context, id int64, report []byte) error {
	if err := checkJSON(fmt.Sprintf("report of run %d", id), report, true); err != nil {
		return err
	}
	return s.end(ctx, id, Done, report, "")
}

// Fail marks running run id failed with the error that ended it.
func (s *Store) Fail(ctx context.Context, id int64, cause error) error {
	msg := "failed"
	if cause != nil {
		msg = cause.Error()
	}
	return s.end(ctx, id, Failed, nil, msg)
}

// Interrupt marks running run id interrupted, saying why (required).
func (s *Store) Interrupt(ctx context.Context, id int64, reason string) error {
	return s.interrupt(ctx, id, reason, nil)
}

// InterruptPartial marks running run id interrupted, saying why
// (required), and keeps the report the command made of what it finished
// before the stop (a search's best mappings so far, marked partial in the
// report itself): the run is not done, and what it found is not lost.
func (s *Store) InterruptPartial(ctx context.Context, id int64, reason string, report []byte) error {
	if err := checkJSON(fmt.Sprintf("report of run %d", id), report, true); err != nil {
		return err
	}
	return s.interrupt(ctx, id, reason, report)
}

func (s *Store) interrupt(ctx context.Context, id int64, reason string, report []byte) error {
	if strings.TrimSpace(reason) == "" {
		return fmt.Errorf("store: run %d: an interruption needs its reason", id)
	}
	return s.end(ctx, id, Interrupted, report, reason)
}

// totalOf returns the total energy and latency of a report as column
// values: nil where it has none (or cannot be read).
func totalOf(report []byte) (energy, latency any) {
	fs, err := Figures(report)
	if err != nil || len(fs) == 0 || fs[0].Name != Total {
		return nil, nil
	}
	col := func(v float64) any {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil
		}
		return v
	}
	return col(fs[0].EnergyPJ), col(fs[0].LatencySeconds)
}

func (s *Store) end(ctx context.Context, id int64, st Status, report []byte, msg string) error {
	var rep, energy, latency any
	if report != nil {
		rep = string(report)
		energy, latency = totalOf(report)
	}
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE runs SET status = ?, report = ?, error = ?, energy_pj = ?, latency_seconds = ? WHERE id = ? AND status = 'running'`),
		st.String(), rep, msg, energy, latency, id)
	if err != nil {
		return s.errorf("run %d: %v", id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	var cur string
	switch err := s.db.QueryRowContext(ctx, s.q(`SELECT status FROM runs WHERE id = ?`), id).Scan(&cur); {
	case errors.Is(err, sql.ErrNoRows):
		return s.errorf("no run %d", id)
	case err != nil:
		return s.errorf("run %d: %v", id, err)
	}
	return s.errorf("run %d is %s, not running", id, cur)
}

const runColumns = `id, kind, created, nnergy_version, command, arch, workload, workload_digest, settings, report, status, error, owner_host, owner_pid, owner_start, energy_pj, latency_seconds`

type scanner interface{ Scan(dest ...any) error }

func (s *Store) scanRun(row scanner) (*Run, error) {
	var r Run
	var kind, created, cmd, settings, status string
	var rep sql.NullString
	var energy, latency sql.NullFloat64
	var pid int64
	if err := row.Scan(&r.ID, &kind, &created, &r.Version, &cmd, &r.Arch, &r.Workload, &r.WorkloadDigest, &settings, &rep, &status, &r.Error,
		&r.Owner.Host, &pid, &r.Owner.Start, &energy, &latency); err != nil {
		return nil, err
	}
	r.Owner.PID = int(pid)
	r.EnergyPJ, r.LatencySeconds = math.NaN(), math.NaN()
	if energy.Valid {
		r.EnergyPJ = energy.Float64
	}
	if latency.Valid {
		r.LatencySeconds = latency.Float64
	}
	var err error
	if r.Kind, err = ParseKind(kind); err != nil {
		return nil, fmt.Errorf("run %d: %v", r.ID, err)
	}
	if r.Status, err = statusNames.Parse(status); err != nil {
		return nil, fmt.Errorf("run %d: %v", r.ID, err)
	}
	if r.Created, err = time.Parse(timeFormat, created); err != nil {
		return nil, fmt.Errorf("run %d: created %q: %v", r.ID, created, err)
	}
	if err := json.Unmarshal([]byte(cmd), &r.Command); err != nil {
		return nil, fmt.Errorf("run %d: command %q: %v", r.ID, cmd, err)
	}
	r.Settings = json.RawMessage(settings)
	if rep.Valid {
		r.Report = json.RawMessage(rep.String)
	}
	return &r, nil
}

// Run returns run id.
func (s *Store) Run(ctx context.Context, id int64) (*Run, error) {
	r, err := s.scanRun(s.db.QueryRowContext(ctx, s.q(`SELECT `+runColumns+` FROM runs WHERE id = ?`), id))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, s.errorf("no run %d", id)
	case err != nil:
		return nil, s.errorf("%v", err)
	}
	return r, nil
}

// Filter selects runs.
type Filter struct {
	// Kinds keeps runs of these kinds (none: every kind).
	Kinds []Kind
	// IDs keeps these runs (none: every run); each must exist.
	IDs []int64
	// Workload keeps runs of this workload (empty: any).
	Workload string
	// Statuses keeps runs of these statuses (none: every status).
	Statuses []Status
	// Sort orders the runs (SortDate: newest first).
	Sort Sort
	// Limit keeps the first Limit runs in that order (0: all).
	Limit int
}

// Sort is an order of runs.
type Sort uint8

// The orders. SortEnergy and SortLatency put the lowest total first, runs
// without one last, and the newest first among equals; they read the
// columns Finish fills, not the reports.
const (
	SortDate Sort = iota
	SortEnergy
	SortLatency
)

var sortNames = enum.New[Sort]("store", "sort", "date", "energy", "latency")

func (o Sort) String() string { return sortNames.String(o) }

// ParseSort returns the order named s.
func ParseSort(s string) (Sort, error) { return sortNames.Parse(s) }

// SortChoices lists the orders' names.
func SortChoices() []string { return sortNames.List() }

// Runs returns the runs f selects, in its order.
func (s *Store) Runs(ctx context.Context, f Filter) ([]*Run, error) {
	if f.Limit < 0 {
		return nil, fmt.Errorf("store: limit %d is negative", f.Limit)
	}
	if int(f.Sort) >= len(sortNames.List()) {
		return nil, fmt.Errorf("store: sort %d unknown", f.Sort)
	}
	var where []string
	var args []any
	// in keeps the rows whose column is one of vals (all when none).
	in := func(column string, vals []any) {
		if len(vals) == 0 {
			return
		}
		where = append(where, column+" IN (?"+strings.Repeat(", ?", len(vals)-1)+")")
		args = append(args, vals...)
	}
	if f.Workload != "" {
		in("workload", []any{f.Workload})
	}
	in("status", anys(f.Statuses, Status.String))
	in("kind", anys(f.Kinds, Kind.String))
	in("id", anys(f.IDs, func(id int64) int64 { return id }))
	order := " ORDER BY id DESC"
	switch f.Sort {
	case SortEnergy:
		order = " ORDER BY energy_pj IS NULL, energy_pj, id DESC"
	case SortLatency:
		order = " ORDER BY latency_seconds IS NULL, latency_seconds, id DESC"
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	query := `SELECT ` + runColumns + ` FROM runs` + cond + order
	if f.Limit > 0 {
		// The page's IDs first, then their rows: a sort that the
		// database cannot read from an index then sorts IDs, not
		// reports.
		query = `SELECT ` + runColumns + ` FROM runs WHERE id IN (SELECT id FROM runs` + cond + order + fmt.Sprintf(" LIMIT %d)", f.Limit) + order
	}
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, s.errorf("%v", err)
	}
	defer rows.Close()
	var out []*Run
	for rows.Next() {
		r, err := s.scanRun(rows)
		if err != nil {
			return nil, s.errorf("%v", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, s.errorf("%v", err)
	}
	if err := missing(f.IDs, out); err != nil {
		return nil, s.errorf("%v", err)
	}
	return out, nil
}

// anys returns f of each of vs.
func anys[T, U any](vs []T, f func(T) U) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = f(v)
	}
	return out
}

// missing names the ids not among runs.
func missing(ids []int64, runs []*Run) error {
	have := map[int64]bool{}
	for _, r := range runs {
		have[r.ID] = true
	}
	var no []string
	for _, id := range ids {
		if !have[id] {
			no = append(no, fmt.Sprint(id))
			have[id] = true
		}
	}
	switch len(no) {
	case 0:
		return nil
	case 1:
		return fmt.Errorf("no run %s", no[0])
	}
	return fmt.Errorf("no runs %s", strings.Join(no, ", "))
}

// Delete removes runs ids, all or none: an id not in the store is an error
// and removes nothing.
func (s *Store) Delete(ctx context.Context, ids ...int64) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.errorf("%v", err)
	}
	defer tx.Rollback()
	var gone []string
	seen := map[int64]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		res, err := tx.ExecContext(ctx, s.q(`DELETE FROM runs WHERE id = ?`), id)
		if err != nil {
			return s.errorf("run %d: %v", id, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return s.errorf("run %d: %v", id, err)
		} else if n == 0 {
			gone = append(gone, fmt.Sprint(id))
		}
	}
	switch len(gone) {
	case 0:
	case 1:
		return s.errorf("no run %s (nothing removed)", gone[0])
	default:
		return s.errorf("no runs %s (nothing removed)", strings.Join(gone, ", "))
	}
	if err := tx.Commit(); err != nil {
		return s.errorf("%v", err)
	}
	return nil
}

// InterruptOrphans marks interrupted the running runs whose owner ran on
// this machine and is gone (Owner.Alive), and returns their IDs. Runs of
// other hosts, and runs without an owner, are left running: whether their
// process lives cannot be told from here.
func (s *Store) InterruptOrphans(ctx context.Context) ([]int64, error) {
	me := Self()
	if me.Host == "" {
		return nil, nil
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id, owner_pid, owner_start FROM runs WHERE status = 'running' AND owner_host = ? ORDER BY id`), me.Host)
	if err != nil {
		return nil, s.errorf("%v", err)
	}
	var gone []Run
	for rows.Next() {
		r := Run{Owner: Owner{Host: me.Host}}
		var pid int64
		if err := rows.Scan(&r.ID, &pid, &r.Owner.Start); err != nil {
			rows.Close()
			return nil, s.errorf("%v", err)
		}
		r.Owner.PID = int(pid)
		if !r.Owner.Alive() {
			gone = append(gone, r)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, s.errorf("%v", err)
	}
	var ids []int64
	for _, r := range gone {
		why := fmt.Sprintf("interrupted: its process (%s) ended before the run did", r.Owner)
		res, err := s.db.ExecContext(ctx, s.q(`UPDATE runs SET status = 'interrupted', error = ? WHERE id = ? AND status = 'running'`), why, r.ID)
		if err != nil {
			return ids, s.errorf("run %d: %v", r.ID, err)
		}
		// A run removed or ended meanwhile is not counted.
		if n, err := res.RowsAffected(); err == nil && n == 1 {
			ids = append(ids, r.ID)
		}
	}
	return ids, nil
}
