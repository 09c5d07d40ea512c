// Package store records nnergy's runs and keeps results that outlive a
// terminal: SQLite by default (one file under the user's data directory,
// several processes may write it at once), PostgreSQL for a store that
// shards of a sweep on many machines share.
//
// A store holds three things, and knows nothing of what they mean beyond
// what is written here:
//
//   - runs: one command each (eval, map, compare, prune, adapt, sweep,
//     codesign, fit) with its inputs, the nnergy version, the command line,
//     its report (JSON of package report) and its status;
//   - results: JSON values addressed by the SHA-256 of what determines them
//     (Key), written once: a second writer of a key keeps the first value;
//   - items: JSON values of a run's parts (points or shards of a sweep),
//     addressed by a run key and an index, with a done marker: an item
//     marked done never changes, so a part re-run after a kill changes
//     nothing.
//
// The schema is versioned (table schema_version) and migrated in one
// transaction: automatically when a SQLite store is opened, and by Migrate
// (nnergy runs init) once before shards fan out over PostgreSQL. A store
// written by a newer nnergy is refused, never altered. docs/format/store.md
// describes the tables, keys, migrations and DSNs.
package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	_ "modernc.org/sqlite"             // database/sql driver "sqlite"
)

// Backend is the database a store lives in.
type Backend uint8

// The backends.
const (
	SQLite Backend = iota
	Postgres
)

func (b Backend) String() string { return [...]string{"sqlite", "postgres"}[b] }

// BusyTimeoutMillis is how long a SQLite writer waits for another process's
// write to end before it fails.
const BusyTimeoutMillis = 10000

// Store is an open store. It is safe for concurrent use.
type Store struct {
	db      *sql.DB
	backend Backend
	where   string
}

// Backend returns the database the store lives in.
func (s *Store) Backend() Backend { return s.backend }

// Location returns the store for people: the SQLite file, or the
// PostgreSQL DSN without its password.
func (s *Store) Location() string { return s.where }

// Close closes the store.
func (s *Store) Close() error { return s.db.Close() }

// DefaultPath returns the SQLite file of the empty DSN:
// $XDG_DATA_HOME/nnergy/results.db, or ~/.local/share/nnergy/results.db
// when XDG_DATA_HOME is not set.
func DefaultPath() (string, error) {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		if !filepath.IsAbs(d) {
			return "", fmt.Errorf("store: XDG_DATA_HOME %q is not an absolute path", d)
		}
		return filepath.Join(d, "nnergy", "results.db"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("store: no data directory for the default store: %v", err)
	}
	return filepath.Join(home, ".local", "share", "nnergy", "results.db"), nil
}

// target is a parsed DSN.
type target struct {
	backend Backend
	// path is the SQLite file; dsn the PostgreSQL connection string.
	path, dsn string
	// makeDir: the default location, whose directory is created.
	makeDir bool
}

var schemeRE = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9+.-]*)://`)

// parseDSN reads a DSN: "" (the default SQLite file), a path or
// sqlite:PATH, or postgres:// and postgresql:// URLs.
func parseDSN(dsn string) (target, error) {
	switch {
	case dsn == "":
		p, err := DefaultPath()
		return target{backend: SQLite, path: p, makeDir: true}, err
	case dsn == "none":
		return target{}, fmt.Errorf("store: DSN \"none\" means no store (write ./none to use a file of that name)")
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		if _, err := pgx.ParseConfig(dsn); err != nil {
			return target{}, fmt.Errorf("store: bad PostgreSQL DSN: %v", err)
		}
		return target{backend: Postgres, dsn: dsn}, nil
	case strings.HasPrefix(dsn, "sqlite:"):
		p := strings.TrimPrefix(dsn, "sqlite:")
		if p == "" {
			return target{}, fmt.Errorf("store: DSN %q: no file after sqlite:", dsn)
		}
		return target{backend: SQLite, path: p}, nil
	}
	if m := schemeRE.FindStringSubmatch(dsn); m != nil {
		return target{}, fmt.Errorf("store: DSN %s: unknown scheme %q (want a file path, sqlite:PATH, postgres://... or postgresql://...)", Redact(dsn), m[1])
	}
	return target{backend: SQLite, path: dsn}, nil
}

// Redact returns a DSN for people: the password of a URL replaced by
// xxxxx (a URL that does not parse is not shown); a file path as it is.
func Redact(dsn string) string {
	if !schemeRE.MatchString(dsn) {
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparsable URL)"
	}
	if u.User == nil {
		return dsn
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// Open opens the store dsn names:
//
//	""                                  SQLite at DefaultPath (its directory is created)
//	PATH, sqlite:PATH                   SQLite file (created, its directory must exist)
//	postgres://..., postgresql://...    PostgreSQL (pgx connection string)
//
// A SQLite store is created or migrated to this nnergy's schema on open; a
// PostgreSQL store must have been migrated with Migrate first. A store of a
// newer schema is refused.
func Open(ctx context.Context, dsn string) (*Store, error) {
	s, err := connect(ctx, dsn)
	if err != nil {
		return nil, err
	}
	if s.backend == SQLite {
		_, err = s.migrate(ctx, len(migrations))
	} else {
		err = s.checkVersion(ctx)
	}
	if err != nil {
		s.db.Close()
		return nil, err
	}
	return s, nil
}

// Migrate creates or migrates the schema of the store dsn names to this
// nnergy's, in one transaction, and returns the versions before and after.
// Run it once before shards of a sweep write a shared PostgreSQL store.
func Migrate(ctx context.Context, dsn string) (from, to int, err error) {
	s, err := connect(ctx, dsn)
	if err != nil {
		return 0, 0, err
	}
	defer s.db.Close()
	from, err = s.migrate(ctx, len(migrations))
	return from, len(migrations), err
}

// connect opens the database without touching the schema.
func connect(ctx context.Context, dsn string) (*Store, error) {
	t, err := parseDSN(dsn)
	if err != nil {
		return nil, err
	}
	if t.backend == Postgres {
		db, err := sql.Open("pgx", t.dsn)
		if err != nil {
			return nil, fmt.Errorf("store: %s: %v", Redact(t.dsn), err)
		}
		s := &Store{db: db, backend: Postgres, where: Redact(t.dsn)}
		if err := db.PingContext(ctx); err != nil {
			db.Close()
			return nil, fmt.Errorf("store: %s: %v", s.where, err)
		}
		return s, nil
	}
	if t.makeDir {
		if err := os.MkdirAll(filepath.Dir(t.path), 0o755); err != nil {
			return nil, fmt.Errorf("store: %v", err)
		}
	} else if fi, err := os.Stat(filepath.Dir(t.path)); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("store: %s: directory %s does not exist", t.path, filepath.Dir(t.path))
	}
	if fi, err := os.Stat(t.path); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("store: %s is a directory", t.path)
	}
	// WAL: readers do not block the writer; the busy timeout lets several
	// processes write in turn; immediate transactions take the write lock
	// when they begin, so two writers never deadlock upgrading a read lock.
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", BusyTimeoutMillis))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+escapePath(t.path)+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("store: %s: %v", t.path, err)
	}
	s := &Store{db: db, backend: SQLite, where: t.path}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: %s: %v", t.path, err)
	}
	return s, nil
}

// escapePath escapes the characters a SQLite URI filename gives meaning to.
func escapePath(p string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(p)
}

// q rewrites a query written with ? placeholders for the backend.
func (s *Store) q(query string) string {
	if s.backend != Postgres {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// errorf prefixes an error of the database with the package and the store.
func (s *Store) errorf(format string, a ...any) error {
	return fmt.Errorf("store: %s: %s", s.where, fmt.Sprintf(format, a...))
}
