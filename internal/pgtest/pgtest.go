// Package pgtest gives tests a PostgreSQL database: the server that
// NNERGY_POSTGRES names, or a throwaway server started from the machine's
// PostgreSQL binaries (Debian's postgresql: /usr/lib/postgresql/*/bin) in a
// temporary directory, listening on a unix socket only. PostgreSQL refuses to
// run as root, so under root the server runs as the postgres system user (or
// nobody). Each call of Schema gives a test a schema of its own, dropped when
// the test ends.
//
// Without PostgreSQL a test skips, saying why, unless
// NNERGY_REQUIRE_POSTGRES=1, when it fails.
package pgtest

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
)

// server is the one server of a test binary.
var server struct {
	once sync.Once
	dsn  string // base DSN
	err  error  // why there is none
	// skip: PostgreSQL is missing (not an error unless required).
	skip bool
	dir  string
	bin  string
	as   *user.User
}

// Main runs the tests of m and stops the server they started; call it from
// TestMain: os.Exit(pgtest.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	stop()
	return code
}

// Required says whether NNERGY_REQUIRE_POSTGRES asks the tests to fail
// rather than skip without PostgreSQL.
func Required() bool { return os.Getenv("NNERGY_REQUIRE_POSTGRES") == "1" }

// DSN returns the DSN of a schema of t's own in a PostgreSQL database
// (search_path set to it), dropped when t ends; it skips t (fails it under
// NNERGY_REQUIRE_POSTGRES=1) when there is no PostgreSQL.
func DSN(t testing.TB) string {
	t.Helper()
	server.once.Do(start)
	if server.err != nil {
		if server.skip && !Required() {
			t.Skipf("no PostgreSQL: %v (set NNERGY_POSTGRES=DSN or install Debian's postgresql; NNERGY_REQUIRE_POSTGRES=1 makes this a failure)", server.err)
		}
		t.Fatalf("PostgreSQL: %v", server.err)
	}
	db, err := sql.Open("pgx", server.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	schema := fmt.Sprintf("t%d_%d", os.Getpid(), time.Now().UnixNano())
	if _, err := db.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("PostgreSQL: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", server.dsn)
		if err != nil {
			t.Error(err)
			return
		}
		defer db.Close()
		if _, err := db.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			t.Errorf("PostgreSQL: dropping schema %s: %v", schema, err)
		}
	})
	return withParam(server.dsn, "search_path", schema)
}

// withParam adds a query parameter to a URL DSN.
func withParam(dsn, key, value string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn // pgx will say what is wrong with it
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

// start finds or starts the server.
func start() {
	if d := os.Getenv("NNERGY_POSTGRES"); d != "" {
		server.dsn = d
		server.err = ping(d)
		return
	}
	bin, err := findBin()
	if err != nil {
		server.err, server.skip = err, true
		return
	}
	server.bin = bin
	if os.Geteuid() == 0 {
		for _, name := range []string{"postgres", "nobody"} {
			if u, err := user.Lookup(name); err == nil {
				server.as = u
				break
			}
		}
		if server.as == nil {
			server.err = fmt.Errorf("running as root and neither the postgres nor the nobody user exists to run the server as")
			return
		}
	}
	// Under /tmp itself, not a test's TempDir: the server's user must be
	// able to reach it.
	dir, err := os.MkdirTemp("", "nnergy-pg-")
	if err != nil {
		server.err = err
		return
	}
	server.dir = dir
	data := filepath.Join(dir, "data")
	if server.as != nil {
		uid, _ := strconv.Atoi(server.as.Uid)
		gid, _ := strconv.Atoi(server.as.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			server.err = err
			return
		}
	}
	if out, err := run("initdb", "-D", data, "-A", "trust", "-U", "nnergy", "--no-sync", "-E", "UTF8"); err != nil {
		server.err = fmt.Errorf("initdb: %v\n%s", err, out)
		return
	}
	opts := fmt.Sprintf("-c listen_addresses='' -c unix_socket_directories=%s -c fsync=off -c max_connections=100", dir)
	if out, err := run("pg_ctl", "-D", data, "-o", opts, "-l", filepath.Join(dir, "log"), "-w", "-t", "60", "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		server.err = fmt.Errorf("pg_ctl start: %v\n%s\n%s", err, out, log)
		return
	}
	server.dsn = (&url.URL{Scheme: "postgres", User: url.User("nnergy"), Path: "/postgres",
		RawQuery: url.Values{"host": {dir}, "sslmode": {"disable"}}.Encode()}).String()
	server.err = ping(server.dsn)
}

// stop stops a server start started and removes its directory.
func stop() {
	if server.dir == "" {
		return
	}
	if server.dsn != "" {
		run("pg_ctl", "-D", filepath.Join(server.dir, "data"), "-m", "fast", "-w", "stop")
	}
	os.RemoveAll(server.dir)
}

// run runs a PostgreSQL program, as the server's user under root.
func run(prog string, args ...string) ([]byte, error) {
	path := filepath.Join(server.bin, prog)
	var cmd *exec.Cmd
	if server.as != nil {
		cmd = exec.Command("runuser", append([]string{"-u", server.as.Username, "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	cmd.Dir = os.TempDir()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.Bytes(), err
}

// findBin returns the directory of initdb and pg_ctl: the newest
// /usr/lib/postgresql/*/bin, else the directory of initdb on PATH.
func findBin() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int {
		va, _ := strconv.Atoi(filepath.Base(filepath.Dir(a)))
		vb, _ := strconv.Atoi(filepath.Base(filepath.Dir(b)))
		return vb - va
	})
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", fmt.Errorf("no initdb in /usr/lib/postgresql/*/bin or on PATH")
}

func ping(dsn string) error {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		return fmt.Errorf("%s: %v", strings.SplitN(dsn, "?", 2)[0], err)
	}
	return nil
}
