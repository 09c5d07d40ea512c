package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
)

// migration is one step of the schema. Its statements name the types
// that differ between the backends as tokens (see ddl). Version n is
// migrations[n-1]; a step is never changed once released, a change of
// schema is a new step.
type migration struct {
	what  string
	stmts []string
	// sqlite and postgres are statements of one backend, run before stmts.
	sqlite, postgres []string
	// fill, when set, runs after the statements, in the same transaction.
	fill func(ctx context.Context, s *Store, tx *sql.Tx) error
}

// migrations are the schema's steps, oldest first: SchemaVersion is their
// count.
var migrations = []migration{
	{
		what: "runs",
		stmts: []string{`CREATE TABLE runs (
	id @ID,
	kind TEXT NOT NULL,
	created TEXT NOT NULL,
	nnergy_version TEXT NOT NULL,
	command TEXT NOT NULL,
	arch TEXT NOT NULL,
	workload TEXT NOT NULL,
	workload_digest TEXT NOT NULL,
	settings TEXT NOT NULL,
	report TEXT,
	status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
	error TEXT NOT NULL DEFAULT ''
)`, `CREATE INDEX runs_kind ON runs (kind, id)`},
	},
	{
		what: "results and items",
		stmts: []string{`CREATE TABLE results (
	key TEXT PRIMARY KEY CHECK (length(key) = 64),
	value TEXT NOT NULL,
	created TEXT NOT NULL
)`, `CREATE TABLE items (
	run_key TEXT NOT NULL,
	idx BIGINT NOT NULL CHECK (idx >= 0),
	value TEXT NOT NULL,
	done @BOOL NOT NULL DEFAULT FALSE CHECK (done IN (FALSE, TRUE)),
	updated TEXT NOT NULL,
	PRIMARY KEY (run_key, idx)
)`},
	},
	{
		what: "interrupted runs, run owners, total energy and latency",
		// SQLite cannot change a CHECK: the table is built again, with
		// its IDs and its AUTOINCREMENT sequence, so that an ID removed
		// before the migration is not given again. The report comes
		// last: SQLite reads a column after a large value by walking
		// its overflow pages, and lists filter and sort on the others.
		sqlite: []string{`CREATE TABLE runs_v3 (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	kind TEXT NOT NULL,
	created TEXT NOT NULL,
	nnergy_version TEXT NOT NULL,
	command TEXT NOT NULL,
	arch TEXT NOT NULL,
	workload TEXT NOT NULL,
	workload_digest TEXT NOT NULL,
	settings TEXT NOT NULL,
	status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed', 'interrupted')),
	error TEXT NOT NULL DEFAULT '',
	owner_host TEXT NOT NULL DEFAULT '',
	owner_pid BIGINT NOT NULL DEFAULT 0,
	owner_start TEXT NOT NULL DEFAULT '',
	energy_pj REAL,
	latency_seconds REAL,
	report TEXT
)`, `INSERT INTO runs_v3 (id, kind, created, nnergy_version, command, arch, workload, workload_digest, settings, report, status, error)
SELECT id, kind, created, nnergy_version, command, arch, workload, workload_digest, settings, report, status, error FROM runs`,
			`DELETE FROM sqlite_sequence WHERE name = 'runs_v3'`,
			`INSERT INTO sqlite_sequence (name, seq) SELECT 'runs_v3', seq FROM sqlite_sequence WHERE name = 'runs'`,
			`DROP TABLE runs`,
			`ALTER TABLE runs_v3 RENAME TO runs`,
			`CREATE INDEX runs_kind ON runs (kind, id)`},
		postgres: []string{`ALTER TABLE runs DROP CONSTRAINT runs_status_check`,
			`ALTER TABLE runs ADD CONSTRAINT runs_status_check CHECK (status IN ('running', 'done', 'failed', 'interrupted'))`,
			`ALTER TABLE runs ADD COLUMN owner_host TEXT NOT NULL DEFAULT ''`,
			`ALTER TABLE runs ADD COLUMN owner_pid BIGINT NOT NULL DEFAULT 0`,
			`ALTER TABLE runs ADD COLUMN owner_start TEXT NOT NULL DEFAULT ''`,
			`ALTER TABLE runs ADD COLUMN energy_pj DOUBLE PRECISION`,
			`ALTER TABLE runs ADD COLUMN latency_seconds DOUBLE PRECISION`},
		// The indexes hold the order of Runs' sorts, so that a sorted
		// page reads its rows in order and stops at its limit.
		stmts: []string{`CREATE INDEX runs_energy ON runs ((energy_pj IS NULL), energy_pj, id DESC)`,
			`CREATE INDEX runs_latency ON runs ((latency_seconds IS NULL), latency_seconds, id DESC)`},
		fill: fillTotals,
	},
}

// fillTotals writes the total energy and latency of every run done, from
// its report, as Finish does.
func fillTotals(ctx context.Context, s *Store, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, report FROM runs WHERE status = 'done' AND report IS NOT NULL`)
	if err != nil {
		return err
	}
	type total struct {
		id   int64
		e, l any
	}
	var totals []total
	for rows.Next() {
		var id int64
		var rep string
		if err := rows.Scan(&id, &rep); err != nil {
			rows.Close()
			return err
		}
		e, l := totalOf([]byte(rep))
		totals = append(totals, total{id, e, l})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, t := range totals {
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE runs SET energy_pj = ?, latency_seconds = ? WHERE id = ?`), t.e, t.l, t.id); err != nil {
			return fmt.Errorf("run %d: %v", t.id, err)
		}
	}
	return nil
}

// ddl returns a migration statement for the backend: @ID is an integer key
// whose values are never given again, @BOOL a boolean (SQLite: 0 or 1).
func (s *Store) ddl(stmt string) string {
	r := strings.NewReplacer("@ID", "INTEGER PRIMARY KEY AUTOINCREMENT", "@BOOL", "INTEGER")
	if s.backend == Postgres {
		r = strings.NewReplacer("@ID", "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY", "@BOOL", "BOOLEAN")
	}
	return r.Replace(stmt)
}

// SchemaVersion is the version of the schema this nnergy reads and writes.
var SchemaVersion = len(migrations)

// migrateLock is the PostgreSQL advisory lock that serialises migrations
// ("nnergy" in ASCII).
const migrateLock = 0x6e6e65726779

// timeFormat writes times in UTC, fixed width, so they sort as text.
const timeFormat = "2006-01-02T15:04:05.000000Z"

func now() string { return time.Now().UTC().Format(timeFormat) }

// migrate brings the schema to version target (at most SchemaVersion) in one
// transaction and returns the version it found. A newer schema is refused
// and left as it is.
func (s *Store) migrate(ctx context.Context, target int) (int, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, s.errorf("%v", err)
	}
	defer tx.Rollback()
	if s.backend == Postgres {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrateLock)); err != nil {
			return 0, s.errorf("%v", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
	version INTEGER PRIMARY KEY,
	applied TEXT NOT NULL,
	what TEXT NOT NULL
)`); err != nil {
		return 0, s.errorf("schema_version: %v", err)
	}
	from, err := readVersion(ctx, tx)
	if err != nil {
		return 0, s.errorf("%v", err)
	}
	if from > SchemaVersion {
		return from, s.newerError(from)
	}
	for v := from + 1; v <= target; v++ {
		m := migrations[v-1]
		stmts := m.sqlite
		if s.backend == Postgres {
			stmts = m.postgres
		}
		for _, st := range append(slices.Clip(stmts), m.stmts...) {
			if _, err := tx.ExecContext(ctx, s.ddl(st)); err != nil {
				return from, s.errorf("migration %d (%s): %v", v, m.what, err)
			}
		}
		if m.fill != nil {
			if err := m.fill(ctx, s, tx); err != nil {
				return from, s.errorf("migration %d (%s): %v", v, m.what, err)
			}
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO schema_version (version, applied, what) VALUES (?, ?, ?)`), v, now(), m.what); err != nil {
			return from, s.errorf("migration %d (%s): %v", v, m.what, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return from, s.errorf("migration: %v", err)
	}
	return from, nil
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// readVersion returns the highest version applied (0: none).
func readVersion(ctx context.Context, q queryer) (int, error) {
	var v sql.NullInt64
	if err := q.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_version`).Scan(&v); err != nil {
		return 0, fmt.Errorf("schema_version: %v", err)
	}
	return int(v.Int64), nil
}

func (s *Store) newerError(v int) error {
	return s.errorf("schema version %d is newer than this nnergy's (%d): use a newer nnergy; the store was not changed", v, SchemaVersion)
}

// checkVersion checks that a store not migrated on open has this nnergy's
// schema.
func (s *Store) checkVersion(ctx context.Context) error {
	var exists bool
	if err := s.db.QueryRowContext(ctx, `SELECT to_regclass('schema_version') IS NOT NULL`).Scan(&exists); err != nil {
		return s.errorf("%v", err)
	}
	v := 0
	if exists {
		var err error
		if v, err = readVersion(ctx, s.db); err != nil {
			return s.errorf("%v", err)
		}
	}
	switch {
	case v > SchemaVersion:
		return s.newerError(v)
	case v == 0:
		return s.errorf("no nnergy schema: create it once with 'nnergy runs init --store DSN' (store.Migrate)")
	case v < SchemaVersion:
		return s.errorf("schema version %d, this nnergy uses %d: migrate it once with 'nnergy runs init --store DSN' (store.Migrate)", v, SchemaVersion)
	}
	return nil
}

// Version returns the schema version of the store.
func (s *Store) Version(ctx context.Context) (int, error) {
	v, err := readVersion(ctx, s.db)
	if err != nil {
		return 0, s.errorf("%v", err)
	}
	return v, nil
}
