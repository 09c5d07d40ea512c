// Package server is nnergy's HTTP API over the results store and the same
// library calls as the command line: runs recorded in a store.Store are
// listed, read and removed, and evaluations start as jobs that run in a
// bounded queue and are recorded as runs. Every response body is a report
// of package report (or an error object). docs/api.md describes the API
// and docs/api/openapi.yaml specifies it.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nnergy/nnergy/store"
)

// Interrupted is the reason recorded for a job still running or waiting
// when the server shut down (status interrupted).
const Interrupted = "interrupted: the server stopped before the run finished"

// DefaultMaxBody is the default bound on a request body (bytes).
const DefaultMaxBody = 32 << 20

// DefaultTimeout is the default bound on the time a request takes (jobs
// run on after the request that started them).
const DefaultTimeout = 30 * time.Second

// Config configures a Server.
type Config struct {
	// Store records the runs; required. The server does not close it.
	Store *store.Store
	// Token, when not empty, is required on every request as
	// "Authorization: Bearer TOKEN", or as the cookie a browser gets by
	// opening a page of the web UI with ?token=TOKEN once (docs/api.md).
	Token string
	// Jobs is how many jobs run at once; 0 means GOMAXPROCS. As many more
	// wait; a job beyond those is refused with 429.
	Jobs int
	// MaxBody bounds request bodies in bytes (0: DefaultMaxBody); a larger
	// body is refused with 413.
	MaxBody int64
	// Timeout bounds each request (0: DefaultTimeout).
	Timeout time.Duration
}

// Server is the HTTP API. It is an http.Handler.
type Server struct {
	cfg Config
	mux *http.ServeMux
	// slots holds a token per job admitted (running or waiting); run
	// running holds one per job running.
	slots, running chan struct{}
	// ctx is cancelled by Shutdown; every job's context derives from it.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu   sync.Mutex
	jobs map[int64]*job
	// closed is set by Shutdown: no job starts after it.
	closed bool

	// orphans are the runs New found left running by a process gone.
	orphans []int64
}

// New returns the server cfg describes. It marks interrupted the runs
// the store holds as running whose process, on this machine, is gone
// (store.InterruptOrphans): those of a previous server, or of a command
// killed. Runs that live processes write (another server, a CLI sweep on
// the same store) and runs of other hosts are left as they are.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, errors.New("server: no store")
	}
	if cfg.Jobs < 0 || cfg.MaxBody < 0 || cfg.Timeout < 0 {
		return nil, fmt.Errorf("server: jobs %d, max body %d and timeout %v must not be negative", cfg.Jobs, cfg.MaxBody, cfg.Timeout)
	}
	if cfg.Jobs == 0 {
		cfg.Jobs = runtime.GOMAXPROCS(0)
	}
	if cfg.MaxBody == 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	orphans, err := cfg.Store.InterruptOrphans(ctx)
	if err != nil {
		return nil, fmt.Errorf("server: %v", err)
	}
	s := &Server{cfg: cfg, slots: make(chan struct{}, 2*cfg.Jobs), running: make(chan struct{}, cfg.Jobs), jobs: map[int64]*job{}, orphans: orphans}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.routes()
	return s, nil
}

// Orphans returns the IDs of the runs New marked interrupted, oldest
// first.
func (s *Server) Orphans() []int64 { return slices.Clone(s.orphans) }

// Shutdown stops accepting jobs, cancels the running and waiting ones and
// waits for them to be recorded (interrupted, with Interrupted) or for
// ctx.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("server: shutdown: %v", ctx.Err())
	}
}

// ServeHTTP checks the token and bounds the request, then routes it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Token != "" && !s.authorize(w, r) {
		return
	}
	if r.ContentLength > s.cfg.MaxBody {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("server: request body of %d bytes exceeds the limit of %d", r.ContentLength, s.cfg.MaxBody))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBody)
	if !strings.HasSuffix(r.URL.Path, "/events") {
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.Timeout)
		defer cancel()
		r = r.WithContext(ctx)
	}
	if err := crossOrigin.Check(r); err != nil {
		msg := "server: " + r.Method + " " + r.URL.Path + ": refused: the request comes from another site's page"
		if !isAPI(r.URL.Path) {
			writeErrorPage(w, http.StatusForbidden, msg)
			return
		}
		writeError(w, http.StatusForbidden, msg)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// crossOrigin refuses requests that change something (POST, DELETE) sent
// by a browser from another site's page (by Sec-Fetch-Site or Origin), so
// that a page elsewhere cannot start jobs or delete runs with the user's
// cookie or on a server without a token. Clients that are not browsers
// (curl, scripts) send neither header and pass.
var crossOrigin = http.NewCrossOriginProtection()

// Error is the body of every error response.
type Error struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, Error{Error: msg})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code, b = http.StatusInternalServerError, []byte(`{"error": "server: encoding the response"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}
