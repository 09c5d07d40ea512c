package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/nnergy/nnergy/report"
	"github.com/nnergy/nnergy/store"
)

// routes lists every endpoint; the OpenAPI test reads it.
var routes = []struct{ method, path string }{
	{"GET", "/api/v1/runs"},
	{"GET", "/api/v1/runs/{id}"},
	{"DELETE", "/api/v1/runs/{id}"},
	{"GET", "/api/v1/runs/{id}/diff/{other}"},
	{"POST", "/api/v1/jobs/eval"},
	{"POST", "/api/v1/jobs/map"},
	{"POST", "/api/v1/jobs/sweep"},
	{"POST", "/api/v1/jobs/adapt"},
	{"POST", "/api/v1/jobs/prune"},
	{"GET", "/api/v1/jobs/{id}"},
	{"DELETE", "/api/v1/jobs/{id}"},
	{"GET", "/api/v1/jobs/{id}/events"},
}

// uiRoutes lists the web UI's pages (docs/ui.md); they answer in HTML.
var uiRoutes = []struct{ method, path string }{
	{"GET", "/{$}"},
	{"GET", "/runs/{id}"},
	{"GET", "/runs/{id}/points/{point}"},
	{"GET", "/compare"},
	{"GET", "/new"},
	{"POST", "/new"},
	{"POST", "/runs/{id}/cancel"},
	{"POST", "/runs/{id}/delete"},
	{"GET", "/ui.js"},
}

func (s *Server) routes() {
	h := map[string]http.HandlerFunc{
		"GET /api/v1/runs":                   s.listRuns,
		"GET /api/v1/runs/{id}":              s.getRun,
		"DELETE /api/v1/runs/{id}":           s.deleteRun,
		"GET /api/v1/runs/{id}/diff/{other}": s.diffRuns,
		"POST /api/v1/jobs/eval":             s.startEval,
		"POST /api/v1/jobs/map":              s.startMap,
		"POST /api/v1/jobs/sweep":            s.startSweep,
		"POST /api/v1/jobs/adapt":            s.startAdapt,
		"POST /api/v1/jobs/prune":            s.startPrune,
		"GET /api/v1/jobs/{id}":              s.getRun,
		"DELETE /api/v1/jobs/{id}":           s.cancelJob,
		"GET /api/v1/jobs/{id}/events":       s.events,
		"GET /{$}":                           s.uiRuns,
		"GET /runs/{id}":                     s.uiRun,
		"GET /runs/{id}/points/{point}":      s.uiPoint,
		"GET /compare":                       s.uiCompare,
		"GET /new":                           s.uiNew,
		"POST /new":                          s.uiStart,
		"POST /runs/{id}/cancel":             s.uiCancel,
		"POST /runs/{id}/delete":             s.uiDelete,
		"GET /ui.js":                         s.uiScript,
	}
	s.mux = http.NewServeMux()
	// paths knows the paths without their methods, to tell 405 from 404.
	paths := http.NewServeMux()
	allow := map[string][]string{}
	for _, r := range slices.Concat(routes, uiRoutes) {
		s.mux.HandleFunc(r.method+" "+r.path, h[r.method+" "+r.path])
		if allow[r.path] == nil {
			paths.HandleFunc(r.path, func(http.ResponseWriter, *http.Request) {})
		}
		allow[r.path] = append(allow[r.path], r.method)
	}
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if _, p := paths.Handler(r); p != "" {
			w.Header().Set("Allow", strings.Join(allow[p], ", "))
			msg := fmt.Sprintf("server: %s %s: want %s", r.Method, r.URL.Path, strings.Join(allow[p], " or "))
			if !isAPI(r.URL.Path) {
				writeErrorPage(w, http.StatusMethodNotAllowed, msg)
				return
			}
			writeError(w, http.StatusMethodNotAllowed, msg)
			return
		}
		if !isAPI(r.URL.Path) {
			s.uiNotFound(w, r)
			return
		}
		writeError(w, http.StatusNotFound, fmt.Sprintf("server: no endpoint %s %s (see docs/api.md)", r.Method, r.URL.Path))
	})
}

// selection is the filter and order of a list of runs: GET /api/v1/runs
// and the web UI's runs list. The store filters by kind and model and
// sorts (by the totals it keeps beside the reports); the architecture's
// name is read here.
type selection struct {
	filter store.Filter
	arch   string
}

// parseSelection reads kind, model, arch and sort of a query.
func parseSelection(q url.Values) (selection, int, error) {
	var sel selection
	for _, k := range q["kind"] {
		for k := range strings.SplitSeq(k, ",") {
			if k == "" {
				continue
			}
			kind, err := store.ParseKind(k)
			if err != nil {
				return sel, http.StatusBadRequest, errors.New("server: query kind: " + err.Error())
			}
			sel.filter.Kinds = append(sel.filter.Kinds, kind)
		}
	}
	sortBy := cmp.Or(q.Get("sort"), "date")
	var err error
	if sel.filter.Sort, err = store.ParseSort(sortBy); err != nil {
		return sel, http.StatusBadRequest, fmt.Errorf("server: query sort %q: want %s", sortBy, strings.Join(store.SortChoices(), ", "))
	}
	sel.filter.Workload, sel.arch = q.Get("model"), q.Get("arch")
	return sel, 0, nil
}

// runs returns at most limit (0: every) runs the selection keeps, in its
// order.
func (s *Server) runs(ctx context.Context, sel selection, limit int) ([]*store.Run, error) {
	f := sel.filter
	if sel.arch == "" {
		f.Limit = limit
	}
	runs, err := s.cfg.Store.Runs(ctx, f)
	if err != nil {
		return nil, err
	}
	runs = slices.DeleteFunc(runs, func(run *store.Run) bool {
		return sel.arch != "" && !slices.Contains(archNames(run.Arch), sel.arch)
	})
	if limit > 0 && len(runs) > limit {
		runs = runs[:limit]
	}
	return runs, nil
}

// listRuns answers GET /api/v1/runs?kind=K&model=M&arch=A&sort=S&limit=N
// with a report of kind runs.
func (s *Server) listRuns(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	sel, code, err := parseSelection(q)
	if err != nil {
		writeError(w, code, err.Error())
		return
	}
	limit := 0
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("server: query limit %q: want a non-negative integer", v))
			return
		}
		limit = n
	}
	runs, err := s.runs(r.Context(), sel, limit)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	recs := make([]report.RunRecord, len(runs))
	for i, run := range runs {
		recs[i] = run.Record()
	}
	writeJSON(w, http.StatusOK, report.NewRuns(recs))
}

// archNames returns the names of the architectures in canonical arch YAML.
func archNames(yaml string) []string {
	var out []string
	for line := range strings.SplitSeq(yaml, "\n") {
		if v, ok := strings.CutPrefix(line, "name: "); ok {
			out = append(out, strings.Trim(strings.TrimSpace(v), `"'`))
		}
	}
	return out
}

// runID reads the {id} of a path; it writes the error and returns false
// when it is not a positive integer.
func runID(w http.ResponseWriter, r *http.Request) (int64, bool) { return pathID(w, r, "id") }

// pathID reads the path's {name} as runID reads {id}.
func pathID(w http.ResponseWriter, r *http.Request, name string) (int64, bool) {
	v := r.PathValue(name)
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id < 1 {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("server: run ID %q: want a positive integer", v))
		return 0, false
	}
	return id, true
}

// lookup returns run id, or writes 404 or 500 and returns nil.
func (s *Server) lookup(w http.ResponseWriter, r *http.Request, id int64) *store.Run {
	run, code, err := s.findRun(r.Context(), id)
	if err != nil {
		writeError(w, code, err.Error())
	}
	return run
}

// findRun returns run id, or the error with its status: 404 for no such
// run, else 500.
func (s *Server) findRun(ctx context.Context, id int64) (*store.Run, int, error) {
	runs, err := s.cfg.Store.Runs(ctx, store.Filter{IDs: []int64{id}})
	if err != nil {
		if strings.Contains(err.Error(), fmt.Sprintf("no run %d", id)) {
			return nil, http.StatusNotFound, err
		}
		return nil, http.StatusInternalServerError, err
	}
	return runs[0], 0, nil
}

// getRun answers GET /api/v1/runs/{id} and /api/v1/jobs/{id} with a report
// of kind run.
func (s *Server) getRun(w http.ResponseWriter, r *http.Request) {
	id, ok := runID(w, r)
	if !ok {
		return
	}
	if run := s.lookup(w, r, id); run != nil {
		writeJSON(w, http.StatusOK, report.NewRun(run.Record()))
	}
}

// errBusy refuses to remove a run whose job is still going.
var errBusy = errors.New("is a job still running: cancel it first (DELETE /api/v1/jobs/{id})")

// deleteRun answers DELETE /api/v1/runs/{id} with 204.
func (s *Server) deleteRun(w http.ResponseWriter, r *http.Request) {
	id, ok := runID(w, r)
	if !ok {
		return
	}
	if s.lookup(w, r, id) == nil {
		return
	}
	if s.job(id, nil) != nil {
		writeError(w, http.StatusConflict, fmt.Sprintf("server: run %d %v", id, errBusy))
		return
	}
	if err := s.cfg.Store.Delete(r.Context(), id); err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// diffRuns answers GET /api/v1/runs/{id}/diff/{other} with a report of
// kind diff: the figures, inputs and settings nnergy runs diff shows.
func (s *Server) diffRuns(w http.ResponseWriter, r *http.Request) {
	a, ok := runID(w, r)
	if !ok {
		return
	}
	b, ok := pathID(w, r, "other")
	if !ok {
		return
	}
	ra := s.lookup(w, r, a)
	if ra == nil {
		return
	}
	rb := s.lookup(w, r, b)
	if rb == nil {
		return
	}
	d, err := store.NewDiff(ra, rb)
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, d.Report())
}
