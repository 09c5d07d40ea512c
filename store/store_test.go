package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/nnergy/nnergy/internal/pgtest"
	"github.com/nnergy/nnergy/store"
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(childEnv); mode != "" {
		os.Exit(child(mode))
	}
	os.Exit(pgtest.Main(m))
}

// backend makes stores of one kind: empty returns the DSN of a new, empty
// one (no schema).
type backend struct {
	name  string
	empty func(t testing.TB) string
}

var backends = []backend{
	{"sqlite", func(t testing.TB) string { return filepath.Join(t.TempDir(), "results.db") }},
	{"postgres", func(t testing.TB) string { return pgtest.DSN(t) }},
}

// dsn returns the DSN of a new store, its schema created.
func (b backend) dsn(t testing.TB) string {
	dsn := b.empty(t)
	if _, _, err := store.Migrate(context.Background(), dsn); err != nil {
		t.Fatal(err)
	}
	return dsn
}

// forEach runs f as a subtest on a new store of every backend.
func forEach(t *testing.T, f func(t *testing.T, dsn string)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { f(t, b.dsn(t)) })
	}
}

// forEachEmpty runs f as a subtest on an empty database of every backend.
func forEachEmpty(t *testing.T, f func(t *testing.T, b backend, dsn string)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { f(t, b, b.empty(t)) })
	}
}

func open(t testing.TB, dsn string) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func wantErr(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error %v, want one containing %q", err, want)
	}
}

func TestOpenDSN(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(garbage, []byte(strings.Repeat("not a database\n", 100)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		dsn, err string
	}{
		{"mysql://u@h/db", `unknown scheme "mysql"`},
		{"sqlite:", "no file after sqlite:"},
		{"none", `"none" means no store`},
		{"postgres://u:secret@h:notaport/db", "bad PostgreSQL DSN"},
		{filepath.Join(dir, "missing", "x.db"), "does not exist"},
		{dir, "is a directory"},
		{garbage, "not a database"},
	} {
		_, err := store.Open(context.Background(), tc.dsn)
		wantErr(t, err, tc.err)
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("error %v shows the password", err)
		}
	}
	for _, dsn := range []string{filepath.Join(dir, "a.db"), "sqlite:" + filepath.Join(dir, "b.db")} {
		s := open(t, dsn)
		if s.Backend() != store.SQLite {
			t.Errorf("%s: backend %v", dsn, s.Backend())
		}
		if _, err := os.Stat(strings.TrimPrefix(dsn, "sqlite:")); err != nil {
			t.Errorf("%s: %v", dsn, err)
		}
	}
}

func TestDefaultLocation(t *testing.T) {
	data := t.TempDir()
	t.Setenv("XDG_DATA_HOME", data)
	s := open(t, "")
	want := filepath.Join(data, "nnergy", "results.db")
	if s.Location() != want {
		t.Errorf("location %s, want %s", s.Location(), want)
	}
	if _, err := os.Stat(want); err != nil {
		t.Error(err)
	}
	t.Setenv("XDG_DATA_HOME", "relative/dir")
	_, err := store.Open(context.Background(), "")
	wantErr(t, err, "not an absolute path")
	t.Setenv("XDG_DATA_HOME", "")
	t.Setenv("HOME", data)
	if p, err := store.DefaultPath(); err != nil || p != filepath.Join(data, ".local", "share", "nnergy", "results.db") {
		t.Errorf("DefaultPath() = %s, %v", p, err)
	}
}

func newRun(k store.Kind, workload string) *store.Run {
	return &store.Run{Kind: k, Version: "devel", Command: []string{"nnergy", k.String(), "--model", workload},
		Arch: "name: x\n", Workload: workload, WorkloadDigest: store.Key([]byte(workload)),
		Settings: json.RawMessage(`{"model":"` + workload + `"}`)}
}

// runIDs returns the IDs of runs, in order.
func runIDs(runs []*store.Run) []int64 {
	var ids []int64
	for _, r := range runs {
		ids = append(ids, r.ID)
	}
	return ids
}

// wantRuns checks that the runs f selects are want, in order.
func wantRuns(t *testing.T, s *store.Store, f store.Filter, want []int64) {
	t.Helper()
	rs, err := s.Runs(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	if ids := runIDs(rs); !slices.Equal(ids, want) {
		t.Errorf("Runs(%+v) = %v, want %v", f, ids, want)
	}
}

func TestRuns(t *testing.T) {
	forEach(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := open(t, dsn)
		a, b, c := newRun(store.KindEval, "alexnet"), newRun(store.KindMap, "vgg16"), newRun(store.KindEval, "lenet5")
		for _, r := range []*store.Run{a, b, c} {
			if err := s.Begin(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		if !(a.ID < b.ID && b.ID < c.ID) {
			t.Errorf("ids %d %d %d not increasing", a.ID, b.ID, c.ID)
		}
		rep := []byte(`{"version":"nnergy.report/v1","kind":"eval"}`)
		if err := s.Finish(ctx, a.ID, rep); err != nil {
			t.Fatal(err)
		}
		wantErr(t, s.Finish(ctx, a.ID, rep), "is done, not running")
		wantErr(t, s.Finish(ctx, 9999, rep), "no run 9999")
		wantErr(t, s.Finish(ctx, b.ID, []byte(`{`)), "not valid JSON")
		if err := s.Fail(ctx, b.ID, errors.New("interrupted")); err != nil {
			t.Fatal(err)
		}
		got, err := s.Run(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != store.Done || string(got.Report) != string(rep) || got.Workload != "alexnet" || !slices.Equal(got.Command, a.Command) ||
			!got.Created.Equal(a.Created) || string(got.Settings) != string(a.Settings) || got.Arch != a.Arch || got.Version != "devel" {
			t.Errorf("run %d read back as %+v, written %+v", a.ID, got, a)
		}
		if got, _ := s.Run(ctx, b.ID); got.Status != store.Failed || got.Error != "interrupted" || got.Report != nil {
			t.Errorf("failed run read back as %+v", got)
		}
		for _, tc := range []struct {
			f    store.Filter
			want []int64
		}{
			{store.Filter{}, []int64{c.ID, b.ID, a.ID}},
			{store.Filter{Kinds: []store.Kind{store.KindEval}}, []int64{c.ID, a.ID}},
			{store.Filter{Limit: 1}, []int64{c.ID}},
			{store.Filter{IDs: []int64{a.ID, b.ID}}, []int64{b.ID, a.ID}},
		} {
			wantRuns(t, s, tc.f, tc.want)
		}
		_, err = s.Runs(ctx, store.Filter{IDs: []int64{a.ID, 777}})
		wantErr(t, err, "no run 777")
		wantErr(t, s.Delete(ctx, a.ID, 777, 778), "no runs 777, 778 (nothing removed)")
		if _, err := s.Run(ctx, a.ID); err != nil {
			t.Errorf("a failed delete removed run %d: %v", a.ID, err)
		}
		if err := s.Delete(ctx, a.ID, c.ID, c.ID); err != nil {
			t.Fatal(err)
		}
		rs, _ := s.Runs(ctx, store.Filter{})
		if len(rs) != 1 || rs[0].ID != b.ID {
			t.Errorf("after delete: %d runs", len(rs))
		}
		d := newRun(store.KindAdapt, "lenet5")
		if err := s.Begin(ctx, d); err != nil {
			t.Fatal(err)
		}
		if d.ID <= c.ID {
			t.Errorf("id %d of a new run reuses a removed one (last %d)", d.ID, c.ID)
		}
		bad := newRun(store.KindEval, "x")
		bad.Settings = json.RawMessage(`[1]`)
		wantErr(t, s.Begin(ctx, bad), "not a JSON object")
		bad = newRun(store.KindEval, "x")
		bad.Command = nil
		wantErr(t, s.Begin(ctx, bad), "command line")
	})
}

func TestKey(t *testing.T) {
	k := store.Key([]byte("ab"), []byte("c"))
	if len(k) != 64 || strings.Trim(k, "0123456789abcdef") != "" {
		t.Errorf("Key = %q, want 64 hex digits", k)
	}
	for _, other := range [][][]byte{{[]byte("a"), []byte("bc")}, {[]byte("abc")}, {[]byte("c"), []byte("ab")}} {
		if store.Key(other...) == k {
			t.Errorf("Key(%q) = Key(ab, c)", other)
		}
	}
	if store.Key([]byte("ab"), []byte("c")) != k {
		t.Error("Key is not deterministic")
	}
}

func TestResults(t *testing.T) {
	forEach(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := open(t, dsn)
		k1, k2 := store.Key([]byte("layer 1")), store.Key([]byte("layer 2"))
		n, err := s.PutResults(ctx, store.Result{Key: k1, Value: []byte(`{"energy_pj":1}`)}, store.Result{Key: k2, Value: []byte(`{"energy_pj":2}`)})
		if err != nil || n != 2 {
			t.Fatalf("PutResults = %d, %v", n, err)
		}
		// A second writer keeps the first value.
		n, err = s.PutResults(ctx, store.Result{Key: k1, Value: []byte(`{"energy_pj":9}`)})
		if err != nil || n != 0 {
			t.Errorf("second PutResults = %d, %v; want 0 stored", n, err)
		}
		v, ok, err := s.Result(ctx, k1)
		if err != nil || !ok || string(v) != `{"energy_pj":1}` {
			t.Errorf("Result(k1) = %s, %v, %v", v, ok, err)
		}
		if _, ok, err := s.Result(ctx, store.Key([]byte("none"))); ok || err != nil {
			t.Errorf("Result(missing) = %v, %v", ok, err)
		}
		_, err = s.PutResults(ctx, store.Result{Key: "abc", Value: []byte(`1`)})
		wantErr(t, err, "want 64 lower-case hex digits")
		_, err = s.PutResults(ctx, store.Result{Key: strings.ToUpper(k1), Value: []byte(`1`)})
		wantErr(t, err, "want 64 lower-case hex digits")
		_, err = s.PutResults(ctx, store.Result{Key: k2, Value: []byte(`{`)})
		wantErr(t, err, "not valid JSON")
	})
}

func TestItems(t *testing.T) {
	forEach(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := open(t, dsn)
		put := func(it ...store.Item) int {
			t.Helper()
			n, err := s.PutItems(ctx, it...)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		key := store.Key([]byte("sweep"))
		if n := put(store.Item{RunKey: key, Index: 1, Value: []byte(`"partial"`)}, store.Item{RunKey: key, Index: 0, Value: []byte(`"a"`), Done: true}); n != 2 {
			t.Errorf("first put wrote %d", n)
		}
		// Not done: the new value replaces it; done: nothing changes.
		if n := put(store.Item{RunKey: key, Index: 1, Value: []byte(`"b"`), Done: true}, store.Item{RunKey: key, Index: 0, Value: []byte(`"other"`), Done: true}); n != 1 {
			t.Errorf("second put wrote %d, want 1", n)
		}
		if n := put(store.Item{RunKey: key, Index: 1, Value: []byte(`"c"`)}); n != 0 {
			t.Errorf("a put over a done item wrote %d", n)
		}
		put(store.Item{RunKey: "other", Index: 0, Value: []byte(`0`)})
		got, err := s.Items(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		want := []store.Item{{RunKey: key, Index: 0, Value: []byte(`"a"`), Done: true}, {RunKey: key, Index: 1, Value: []byte(`"b"`), Done: true}}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("Items = %v, want %v", got, want)
		}
		_, err = s.PutItems(ctx, store.Item{RunKey: key, Index: -1, Value: []byte(`1`)})
		wantErr(t, err, "negative index")
		_, err = s.PutItems(ctx, store.Item{Index: 1, Value: []byte(`1`)})
		wantErr(t, err, "no run key")
		_, err = s.PutItems(ctx, store.Item{RunKey: key, Index: 3, Value: []byte(`x`)})
		wantErr(t, err, "not valid JSON")
		c, err := s.Check(ctx)
		if err != nil || c != (store.Counts{Items: 3}) {
			t.Errorf("Check = %v, %v", c, err)
		}
	})
}

// TestMigrateFromOlder migrates a store of schema version 1 (runs only)
// with a run in it to the current schema.
func TestMigrateFromOlder(t *testing.T) {
	forEachEmpty(t, func(t *testing.T, b backend, dsn string) {
		ctx := context.Background()
		if err := store.MigrateTo(ctx, dsn, 1); err != nil {
			t.Fatal(err)
		}
		// What nnergy of schema 1 wrote.
		if err := store.Exec(ctx, dsn, `INSERT INTO runs (kind, created, nnergy_version, command, arch, workload, workload_digest, settings, report, status)
VALUES ('eval', '2025-01-02T03:04:05.000000Z', 'v0.1.0', '["nnergy","eval"]', '', 'alexnet', '', '{}', '{"kind":"eval"}', 'done')`); err != nil {
			t.Fatal(err)
		}
		if b.name == "postgres" {
			_, err := store.Open(ctx, dsn)
			wantErr(t, err, "schema version 1, this nnergy uses")
			from, to, err := store.Migrate(ctx, dsn)
			if err != nil || from != 1 || to != store.SchemaVersion {
				t.Fatalf("Migrate = %d, %d, %v", from, to, err)
			}
		}
		s := open(t, dsn)
		if v, err := s.Version(ctx); err != nil || v != store.SchemaVersion {
			t.Errorf("version %d, %v after migrating", v, err)
		}
		rs, err := s.Runs(ctx, store.Filter{})
		if err != nil || len(rs) != 1 || rs[0].Workload != "alexnet" || rs[0].Version != "v0.1.0" || rs[0].Status != store.Done {
			t.Fatalf("runs after migrating: %v, %v", rs, err)
		}
		if _, err := s.PutResults(ctx, store.Result{Key: store.Key(nil), Value: []byte(`1`)}); err != nil {
			t.Error(err)
		}
		if _, err := s.Check(ctx); err != nil {
			t.Error(err)
		}
		// Migrating again finds nothing to do.
		if from, _, err := store.Migrate(ctx, dsn); err != nil || from != store.SchemaVersion {
			t.Errorf("second Migrate from %d, %v", from, err)
		}
	})
}

// TestMigrateFromV2 migrates a store of schema version 2, as the nnergy
// before runs had owners wrote it, to the current schema: IDs and the
// AUTOINCREMENT sequence kept, statuses kept, totals filled from the
// reports, the new status accepted.
func TestMigrateFromV2(t *testing.T) {
	forEachEmpty(t, func(t *testing.T, b backend, dsn string) {
		ctx := context.Background()
		if err := store.MigrateTo(ctx, dsn, 2); err != nil {
			t.Fatal(err)
		}
		ins := func(status, report string) {
			t.Helper()
			var rep any
			if report != "" {
				rep = report
			}
			if err := store.Exec(ctx, dsn, `INSERT INTO runs (kind, created, nnergy_version, command, arch, workload, workload_digest, settings, report, status, error)
VALUES ('eval', '2026-01-02T03:04:05.000000Z', 'v0.2.0', '["nnergy","eval"]', 'name: x', 'lenet5', '', '{}', ?, ?, '')`, rep, status); err != nil {
				t.Fatal(err)
			}
		}
		evalReport := func(e, l float64) string {
			return fmt.Sprintf(`{"version":"nnergy.report/v2","kind":"eval","total":{"energy_pj":%g,"latency_seconds":%g}}`, e, l)
		}
		ins("done", evalReport(300, 0.5))  // 1
		ins("running", "")                 // 2
		ins("done", evalReport(100, 0.25)) // 3
		ins("failed", "")                  // 4
		ins("done", `{"kind":"compare"}`)  // 5: no total
		ins("done", evalReport(999, 9))    // 6, removed
		if err := store.Exec(ctx, dsn, `DELETE FROM runs WHERE id = 6`); err != nil {
			t.Fatal(err)
		}
		if b.name == "postgres" {
			if _, _, err := store.Migrate(ctx, dsn); err != nil {
				t.Fatal(err)
			}
		}
		s := open(t, dsn)
		if v, err := s.Version(ctx); err != nil || v != store.SchemaVersion {
			t.Fatalf("version %d, %v after migrating", v, err)
		}
		rs, err := s.Runs(ctx, store.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range rs {
			got = append(got, fmt.Sprintf("%d %s %v %v %v", r.ID, r.Status, r.EnergyPJ, r.LatencySeconds, r.Owner.Known()))
		}
		want := []string{"5 done NaN NaN false", "4 failed NaN NaN false", "3 done 100 0.25 false", "2 running NaN NaN false", "1 done 300 0.5 false"}
		if !slices.Equal(got, want) {
			t.Errorf("runs after migrating:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		// The removed ID 6 is not given again.
		r := newRun(store.KindEval, "lenet5")
		if err := s.Begin(ctx, r); err != nil {
			t.Fatal(err)
		}
		if r.ID != 7 {
			t.Errorf("first run after migrating has ID %d, want 7", r.ID)
		}
		if err := s.Interrupt(ctx, 2, "interrupted: test"); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Run(ctx, 2); got.Status != store.Interrupted || got.Error != "interrupted: test" {
			t.Errorf("interrupted run read back as %s %q", got.Status, got.Error)
		}
		sorted, err := s.Runs(ctx, store.Filter{Sort: store.SortEnergy})
		if err != nil {
			t.Fatal(err)
		}
		ids := runIDs(sorted)
		if want := []int64{3, 1, 7, 5, 4, 2}; !slices.Equal(ids, want) {
			t.Errorf("sorted by energy: %v, want %v", ids, want)
		}
		if _, err := s.Check(ctx); err != nil {
			t.Error(err)
		}
		if from, _, err := store.Migrate(ctx, dsn); err != nil || from != store.SchemaVersion {
			t.Errorf("second Migrate from %d, %v", from, err)
		}
	})
}

// TestRunsSorted sorts and pages runs by the totals Finish keeps: lowest
// first, runs without the figure last, newest first among equals, with
// filters and limits applied before the page is cut.
func TestRunsSorted(t *testing.T) {
	forEach(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := open(t, dsn)
		// workload, energy, latency (negative: no report)
		runs := []struct {
			model   string
			e, l    float64
			kind    store.Kind
			done    bool
			compare bool
		}{
			{"a", 30, 0.1, store.KindEval, true, false}, // 1
			{"b", 10, 0.3, store.KindEval, true, false}, // 2
			{"a", 20, 0.2, store.KindMap, true, false},  // 3
			{"a", 0, 0, store.KindEval, false, false},   // 4 running
			{"a", 10, 0.3, store.KindEval, true, false}, // 5
			{"b", 0, 0, store.KindCompare, true, true},  // 6 no total
		}
		for _, r := range runs {
			run := newRun(r.kind, r.model)
			if err := s.Begin(ctx, run); err != nil {
				t.Fatal(err)
			}
			if !r.done {
				continue
			}
			rep := fmt.Sprintf(`{"version":"nnergy.report/v2","kind":"eval","total":{"energy_pj":%g,"latency_seconds":%g}}`, r.e, r.l)
			if r.kind == store.KindMap {
				rep = fmt.Sprintf(`{"version":"nnergy.report/v2","kind":"map","layer":{"name":"c1","energy_pj":%g,"latency_seconds":%g}}`, r.e, r.l)
			}
			if r.compare {
				rep = `{"version":"nnergy.report/v2","kind":"compare"}`
			}
			if err := s.Finish(ctx, run.ID, []byte(rep)); err != nil {
				t.Fatal(err)
			}
		}
		for _, tc := range []struct {
			f    store.Filter
			want []int64
		}{
			{store.Filter{Sort: store.SortEnergy}, []int64{5, 2, 3, 1, 6, 4}},
			{store.Filter{Sort: store.SortEnergy, Limit: 2}, []int64{5, 2}},
			{store.Filter{Sort: store.SortLatency}, []int64{1, 3, 5, 2, 6, 4}},
			{store.Filter{Sort: store.SortLatency, Kinds: []store.Kind{store.KindEval}, Limit: 3}, []int64{1, 5, 2}},
			{store.Filter{Sort: store.SortEnergy, Workload: "a", Limit: 3}, []int64{5, 3, 1}},
			{store.Filter{Workload: "b"}, []int64{6, 2}},
			{store.Filter{Statuses: []store.Status{store.Running}}, []int64{4}},
			{store.Filter{Limit: 2}, []int64{6, 5}},
		} {
			wantRuns(t, s, tc.f, tc.want)
		}
		r, err := s.Run(ctx, 3)
		if err != nil || r.EnergyPJ != 20 || r.LatencySeconds != 0.2 {
			t.Errorf("map run's totals %v, %v (%v)", r.EnergyPJ, r.LatencySeconds, err)
		}
		_, err = s.Runs(ctx, store.Filter{Sort: store.Sort(9)})
		wantErr(t, err, "sort 9 unknown")
		if _, err := store.ParseSort("size"); err == nil || !strings.Contains(err.Error(), "date, energy or latency") {
			t.Errorf("ParseSort(size): %v", err)
		}
	})
}

// TestInterruptOrphans marks interrupted only the running runs whose owner
// on this host is gone: not those of a live process, of another host, or
// without an owner.
func TestInterruptOrphans(t *testing.T) {
	me := store.Self()
	if !me.Known() || !me.Alive() {
		t.Fatalf("this process as owner: %+v, known %v, alive %v", me, me.Known(), me.Alive())
	}
	// A process that has ended: its PID is free.
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	deadPID := dead.Process.Pid
	forEach(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := open(t, dsn)
		for _, tc := range []struct {
			name  string
			host  string
			pid   int
			start string
			want  store.Status
		}{
			{"this process", me.Host, me.PID, me.Start, store.Running},
			{"a process that ended", me.Host, deadPID, "", store.Interrupted},
			{"this PID, started at another time", me.Host, me.PID, me.Start + "0", store.Interrupted},
			{"another host", "elsewhere.example", deadPID, "", store.Running},
			{"no owner", "", 0, "", store.Running},
		} {
			if runtime.GOOS != "linux" && tc.start != me.Start && tc.pid == me.PID {
				continue // only Linux tells a reused PID apart
			}
			r := newRun(store.KindEval, tc.name)
			if err := s.Begin(ctx, r); err != nil {
				t.Fatal(err)
			}
			if r.Owner != me {
				t.Errorf("Begin recorded owner %+v, want %+v", r.Owner, me)
			}
			if err := store.Exec(ctx, dsn, `UPDATE runs SET owner_host = ?, owner_pid = ?, owner_start = ? WHERE id = ?`, tc.host, tc.pid, tc.start, r.ID); err != nil {
				t.Fatal(err)
			}
			ids, err := s.InterruptOrphans(ctx)
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.Run(ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != tc.want || (tc.want == store.Interrupted) != slices.Equal(ids, []int64{r.ID}) {
				t.Errorf("%s: %s (interrupted %v), want %s", tc.name, got.Status, ids, tc.want)
			}
			if tc.want == store.Interrupted && !strings.Contains(got.Error, fmt.Sprintf("%s pid %d", tc.host, tc.pid)) {
				t.Errorf("%s: error %q does not name the owner", tc.name, got.Error)
			}
			if tc.host != "" && (got.Owner.Host != tc.host || got.Owner.PID != tc.pid) {
				t.Errorf("%s: owner read back as %+v", tc.name, got.Owner)
			}
			if got.Status == store.Running {
				if err := s.Interrupt(ctx, r.ID, "interrupted: by hand"); err != nil {
					t.Fatal(err)
				}
			}
		}
		r := newRun(store.KindEval, "x")
		if err := s.Begin(ctx, r); err != nil {
			t.Fatal(err)
		}
		wantErr(t, s.Interrupt(ctx, r.ID, " "), "needs its reason")
		if err := s.Finish(ctx, r.ID, []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
		wantErr(t, s.Interrupt(ctx, r.ID, "late"), "is done, not running")
	})
}

// TestNewerSchemaRefused opens a store a newer nnergy wrote: refused, and
// left as it was.
func TestNewerSchemaRefused(t *testing.T) {
	forEachEmpty(t, func(t *testing.T, b backend, dsn string) {
		ctx := context.Background()
		if err := store.Exec(ctx, dsn, `CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied TEXT NOT NULL, what TEXT NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		newer := store.SchemaVersion + 5
		if err := store.Exec(ctx, dsn, `INSERT INTO schema_version VALUES (?, 'later', 'everything')`, newer); err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("schema version %d is newer than this nnergy's (%d)", newer, store.SchemaVersion)
		_, err := store.Open(ctx, dsn)
		wantErr(t, err, want)
		_, _, err = store.Migrate(ctx, dsn)
		wantErr(t, err, want)
		// Nothing was created: the runs table of version 1 is not there.
		if err := store.Exec(ctx, dsn, `SELECT 1 FROM runs`); err == nil {
			t.Error("refusing a newer store created table runs")
		}
	})
}

func TestPostgresNeedsInit(t *testing.T) {
	dsn := pgtest.DSN(t)
	_, err := store.Open(context.Background(), dsn)
	wantErr(t, err, "nnergy runs init")
	from, to, err := store.Migrate(context.Background(), dsn)
	if err != nil || from != 0 || to != store.SchemaVersion {
		t.Fatalf("Migrate = %d, %d, %v", from, to, err)
	}
	open(t, dsn)
}

// TestConcurrentUpserts has goroutines, each with a store of its own,
// write the same results and items at once: every key once, none lost, and
// each with a value one writer wrote.
func TestConcurrentUpserts(t *testing.T) {
	forEach(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		const writers, keys = 6, 60
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for w := range writers {
			wg.Go(func() {
				s, err := store.Open(ctx, dsn)
				if err != nil {
					errs <- err
					return
				}
				defer s.Close()
				for k := range keys {
					// Writers go through the keys in different orders.
					k = (k*7 + w*13) % keys
					v := []byte(fmt.Sprintf(`{"writer":%d,"key":%d}`, w, k))
					if _, err := s.PutResults(ctx, store.Result{Key: store.Key([]byte{byte(k)}), Value: v}); err != nil {
						errs <- err
						return
					}
					if _, err := s.PutItems(ctx, store.Item{RunKey: "shared", Index: k, Value: v, Done: w%2 == 0}); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		s := open(t, dsn)
		c, err := s.Check(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if c.Results != keys || c.Items != keys {
			t.Errorf("%v, want %d results and %d items", c, keys, keys)
		}
		for k := range keys {
			v, ok, err := s.Result(ctx, store.Key([]byte{byte(k)}))
			var got struct{ Writer, Key int }
			if err != nil || !ok || json.Unmarshal(v, &got) != nil || got.Key != k || got.Writer < 0 || got.Writer >= writers {
				t.Errorf("result %d: %s, %v, %v", k, v, ok, err)
			}
		}
		items, _ := s.Items(ctx, "shared")
		for i, it := range items {
			var got struct{ Writer, Key int }
			if it.Index != i || json.Unmarshal(it.Value, &got) != nil || got.Key != i {
				t.Errorf("item %d: %+v", i, it)
			}
			// Some writer marked every item done, and it kept that
			// writer's value.
			if !it.Done || got.Writer%2 != 0 {
				t.Errorf("item %d: done %v with the value of writer %d", i, it.Done, got.Writer)
			}
		}
	})
}

// TestSchemaEnums checks the run kinds and statuses of the report schema
// against the store's.
func TestSchemaEnums(t *testing.T) {
	b, err := os.ReadFile("../docs/format/report.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Defs map[string]struct {
			Properties map[string]struct{ Enum []string }
		} `json:"$defs"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	var kinds, statuses []string
	for k := store.KindEval; k <= store.KindFit; k++ {
		kinds = append(kinds, k.String())
	}
	for st := store.Running; st <= store.Interrupted; st++ {
		statuses = append(statuses, st.String())
	}
	for _, def := range []string{"run", "run_record"} {
		p := s.Defs[def].Properties
		if !slices.Equal(p["run_kind"].Enum, kinds) || !slices.Equal(p["status"].Enum, statuses) {
			t.Errorf("schema %s: run_kind %v, status %v; the store writes %v and %v", def, p["run_kind"].Enum, p["status"].Enum, kinds, statuses)
		}
	}
}

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"postgres://u:secret@h:5432/db?sslmode=disable", "postgres://u:xxxxx@h:5432/db?sslmode=disable"},
		{"postgresql://u@h/db", "postgresql://u@h/db"},
		{"/data/100% results?.db", "/data/100% results?.db"},
		{"sqlite:/tmp/r.db", "sqlite:/tmp/r.db"},
		{"postgres://u:sec ret@h:x/%zz", "(unparsable URL)"},
	} {
		if got := store.Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
