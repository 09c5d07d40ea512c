package server

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/dataflow"
	"github.com/nnergy/nnergy/page"
	"github.com/nnergy/nnergy/report"
	"github.com/nnergy/nnergy/store"
	"github.com/nnergy/nnergy/sweep"
	"github.com/nnergy/nnergy/workload/zoo"
)

// The web UI: HTML pages rendered by package page over the same store and
// reports as the API, and the UI's script. docs/ui.md describes it.

// csp is the pages' Content-Security-Policy: the script only from /ui.js,
// the inline styles and SVG of package page, requests only to this server.
const csp = "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// writePage renders a page with render and sends it with code, or a 500
// page when rendering fails.
func writePage(w http.ResponseWriter, code int, render func(io.Writer) error) {
	var b bytes.Buffer
	if err := render(&b); err != nil {
		b.Reset()
		code = http.StatusInternalServerError
		if perr := page.Error(&b, code, err.Error()); perr != nil {
			http.Error(w, err.Error(), code)
			return
		}
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	w.Write(b.Bytes())
}

// writeErrorPage sends the web UI's error page.
func writeErrorPage(w http.ResponseWriter, code int, msg string) {
	writePage(w, code, func(wr io.Writer) error { return page.Error(wr, code, msg) })
}

// isAPI says whether a path is the API's (errors in JSON) rather than the
// web UI's (errors as pages).
func isAPI(path string) bool { return path == "/api" || strings.HasPrefix(path, "/api/") }

// scriptETag is the entity tag of page.Script.
var scriptETag = func() string {
	sum := sha256.Sum256(page.Script)
	return `"` + hex.EncodeToString(sum[:8]) + `"`
}()

// uiScript answers GET /ui.js with the UI's script, cacheable.
func (s *Server) uiScript(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("Cache-Control", "public, max-age=3600")
	h.Set("ETag", scriptETag)
	h.Set("X-Content-Type-Options", "nosniff")
	if r.Header.Get("If-None-Match") == scriptETag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Write(page.Script)
}

// uiRuns answers GET / with the runs list: filtered by model, arch and kind
// and sorted as GET /api/v1/runs does.
func (s *Server) uiRuns(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	sel, code, err := parseSelection(q)
	if err != nil {
		writeErrorPage(w, code, err.Error())
		return
	}
	all, err := s.cfg.Store.Runs(r.Context(), store.Filter{})
	if err != nil {
		writeErrorPage(w, http.StatusInternalServerError, err.Error())
		return
	}
	p := page.RunsPage{Model: sel.filter.Workload, Arch: sel.arch, Kind: q.Get("kind"), Sort: sel.filter.Sort.String()}
	models, archs, kinds := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, run := range all {
		if run.Workload != "" {
			models[run.Workload] = true
		}
		for _, a := range archNames(run.Arch) {
			archs[a] = true
		}
		kinds[run.Kind.String()] = true
	}
	p.Models, p.Archs, p.Kinds = sortedKeys(models), sortedKeys(archs), sortedKeys(kinds)
	shown, err := s.runs(r.Context(), sel, 0)
	if err != nil {
		writeErrorPage(w, http.StatusInternalServerError, err.Error())
		return
	}
	for _, run := range shown {
		rec := run.Record()
		rec.Report = nil
		row := page.RunRow{Run: rec, Arch: strings.Join(slices.Compact(archNames(run.Arch)), ", ")}
		if v := run.EnergyPJ; !math.IsNaN(v) {
			row.EnergyPJ = &v
		}
		if v := run.LatencySeconds; !math.IsNaN(v) {
			row.LatencySeconds = &v
		}
		p.Rows = append(p.Rows, row)
	}
	writePage(w, http.StatusOK, func(wr io.Writer) error { return page.Runs(wr, p) })
}

func sortedKeys(m map[string]bool) []string { return slices.Sorted(maps.Keys(m)) }

// uiRunID reads the {id} of a UI path and finds the run, or writes a 404
// page and returns nil.
func (s *Server) uiRunID(w http.ResponseWriter, r *http.Request, name string) *store.Run {
	v := r.PathValue(name)
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id < 1 {
		writeErrorPage(w, http.StatusNotFound, fmt.Sprintf("server: no run %q: a run ID is a positive integer", v))
		return nil
	}
	return s.uiLookup(w, r, id)
}

// uiLookup finds run id, or writes a 404 (or 500) page and returns nil.
func (s *Server) uiLookup(w http.ResponseWriter, r *http.Request, id int64) *store.Run {
	run, code, err := s.findRun(r.Context(), id)
	if err != nil {
		writeErrorPage(w, code, err.Error())
	}
	return run
}

// uiRun answers GET /runs/{id}?x=&y= with the run's page by its kind and
// status.
func (s *Server) uiRun(w http.ResponseWriter, r *http.Request) {
	run := s.uiRunID(w, r, "id")
	if run == nil {
		return
	}
	q := r.URL.Query()
	p := page.RunPage{Run: run.Record(), X: q.Get("x"), Y: q.Get("y"), Live: run.Status == store.Running && s.job(run.ID, nil) != nil}
	for _, a := range []string{p.X, p.Y} {
		if a != "" && !slices.Contains(page.Objectives(), a) {
			writeErrorPage(w, http.StatusBadRequest, fmt.Sprintf("server: axis %q: want one of %s", a, strings.Join(page.Objectives(), ", ")))
			return
		}
	}
	others, err := s.cfg.Store.Runs(r.Context(), store.Filter{Kinds: []store.Kind{run.Kind}, Limit: 51})
	if err != nil {
		writeErrorPage(w, http.StatusInternalServerError, err.Error())
		return
	}
	for _, o := range others {
		if o.ID != run.ID && o.Status == store.Done && len(p.Others) < 50 {
			rec := o.Record()
			rec.Report = nil
			p.Others = append(p.Others, rec)
		}
	}
	if run.Kind == store.KindSweep {
		if p.Shards, err = s.shards(r.Context(), run); err != nil {
			writeErrorPage(w, http.StatusInternalServerError, err.Error())
			return
		}
	}
	writePage(w, http.StatusOK, func(wr io.Writer) error { return page.Run(wr, p) })
}

// uiPoint answers GET /runs/{id}/points/{point} with the design page of a
// point of a sweep run.
func (s *Server) uiPoint(w http.ResponseWriter, r *http.Request) {
	run := s.uiRunID(w, r, "id")
	if run == nil {
		return
	}
	id := r.PathValue("point")
	if run.Kind != store.KindSweep || run.Status != store.Done || len(run.Report) == 0 {
		writeErrorPage(w, http.StatusNotFound, fmt.Sprintf("server: run %d is a %s run, %s: it has no sweep points", run.ID, run.Kind, run.Status))
		return
	}
	var rep report.Sweep
	if err := json.Unmarshal(run.Report, &rep); err != nil {
		writeErrorPage(w, http.StatusInternalServerError, fmt.Sprintf("server: run %d: %v", run.ID, err))
		return
	}
	var pt *report.SweepPoint
	for i := range rep.Points {
		if rep.Points[i].ID == id {
			pt = &rep.Points[i]
		}
	}
	if pt == nil {
		writeErrorPage(w, http.StatusNotFound, fmt.Sprintf("server: sweep run %d has no point %q", run.ID, id))
		return
	}
	p := page.PointPage{Run: run.Record(), Sweep: &rep, Point: id}
	p.Run.Report = nil
	yaml, err := pointArch(&rep, pt)
	if err != nil {
		p.ArchNote = err.Error()
	} else {
		p.ArchYAML = string(yaml)
	}
	writePage(w, http.StatusOK, func(wr io.Writer) error { return page.Point(wr, p) })
}

// uiCompare answers GET /compare?a=ID&b=ID with two runs side by side.
func (s *Server) uiCompare(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var ids [2]int64
	for i, k := range []string{"a", "b"} {
		v := q.Get(k)
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id < 1 {
			writeErrorPage(w, http.StatusBadRequest, fmt.Sprintf("server: compare: %s=%q: want the ID of a run (pick runs A and B in the runs list)", k, v))
			return
		}
		ids[i] = id
	}
	a := s.uiLookup(w, r, ids[0])
	if a == nil {
		return
	}
	b := s.uiLookup(w, r, ids[1])
	if b == nil {
		return
	}
	d, err := store.NewDiff(a, b)
	if err != nil {
		writeErrorPage(w, http.StatusUnprocessableEntity, err.Error())
		return
	}
	p := page.ComparePage{A: a.Record(), B: b.Record(), Diff: d.Report(), ArchA: store.ArchSummary(a.Arch), ArchB: store.ArchSummary(b.Arch)}
	p.A.Report, p.B.Report = nil, nil
	writePage(w, http.StatusOK, func(wr io.Writer) error { return page.Compare(wr, p) })
}

// newEvalPage is the eval form with its choices and defaults.
func newEvalPage() page.NewEvalPage {
	p := page.NewEvalPage{Presets: arch.Presets(), Models: zoo.Names(), Dataflow: dataflow.RS.String(), Batch: 1}
	for _, d := range dataflow.Dataflows {
		p.Dataflows = append(p.Dataflows, d.String())
	}
	if slices.Contains(p.Presets, "eyeriss") {
		p.Arch = "eyeriss"
	}
	if slices.Contains(p.Models, "lenet5") {
		p.Model = "lenet5"
	}
	return p
}

// uiNew answers GET /new with the eval form.
func (s *Server) uiNew(w http.ResponseWriter, r *http.Request) {
	writePage(w, http.StatusOK, func(wr io.Writer) error { return page.NewEval(wr, newEvalPage()) })
}

// uiStart answers POST /new, the eval form sent without JavaScript: it
// starts the job as POST /api/v1/jobs/eval does and redirects to the run's
// page (303), or shows the form again with the error.
func (s *Server) uiStart(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeErrorPage(w, bodyStatus(err), "server: reading the form: "+err.Error())
		return
	}
	f := r.PostForm
	p := newEvalPage()
	p.Arch, p.Model, p.Dataflow, p.ArchYAML, p.WorkloadYAML = f.Get("arch"), f.Get("model"), f.Get("dataflow"), f.Get("arch_yaml"), f.Get("workload_yaml")
	req := EvalRequest{Arch: p.Arch, Model: p.Model, Dataflow: p.Dataflow}
	if req.Arch == "" {
		req.ArchYAML = p.ArchYAML
	}
	if req.Model == "" {
		req.WorkloadYAML = p.WorkloadYAML
	}
	if v := f.Get("batch"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			p.Error = fmt.Sprintf("server: batch %q: want a positive integer", v)
			writePage(w, http.StatusBadRequest, func(wr io.Writer) error { return page.NewEval(wr, p) })
			return
		}
		req.Batch, p.Batch = n, n
	}
	body, _ := json.Marshal(req)
	sub, err := http.NewRequestWithContext(r.Context(), http.MethodPost, "/api/v1/jobs/eval", bytes.NewReader(body))
	if err != nil {
		writeErrorPage(w, http.StatusInternalServerError, err.Error())
		return
	}
	sub.Header.Set("Content-Type", "application/json")
	rec := &recorder{header: http.Header{}}
	s.startEval(rec, sub)
	if rec.code != http.StatusAccepted {
		p.Error = recordedError(rec)
		writePage(w, rec.code, func(wr io.Writer) error { return page.NewEval(wr, p) })
		return
	}
	var run report.Run
	if err := json.Unmarshal(rec.body.Bytes(), &run); err != nil {
		writeErrorPage(w, http.StatusInternalServerError, err.Error())
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/runs/%d", run.ID), http.StatusSeeOther)
}

// uiCancel answers POST /runs/{id}/cancel, the run header's Cancel button:
// it cancels the job as DELETE /api/v1/jobs/{id} does and shows the run
// again.
func (s *Server) uiCancel(w http.ResponseWriter, r *http.Request) {
	rec := &recorder{header: http.Header{}}
	s.cancelJob(rec, r)
	if rec.code != http.StatusAccepted {
		writeErrorPage(w, rec.code, recordedError(rec))
		return
	}
	http.Redirect(w, r, "/runs/"+r.PathValue("id"), http.StatusSeeOther)
}

// uiDelete answers POST /runs/{id}/delete, the run header's Delete button
// (whose form asks for confirm=yes): it deletes the run as DELETE
// /api/v1/runs/{id} does and shows the runs list.
func (s *Server) uiDelete(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeErrorPage(w, bodyStatus(err), "server: reading the form: "+err.Error())
		return
	}
	if r.PostForm.Get("confirm") != "yes" {
		writeErrorPage(w, http.StatusBadRequest, fmt.Sprintf("server: run %s was not deleted: tick the box that confirms it", r.PathValue("id")))
		return
	}
	rec := &recorder{header: http.Header{}}
	s.deleteRun(rec, r)
	if rec.code != http.StatusNoContent {
		writeErrorPage(w, rec.code, recordedError(rec))
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// recordedError returns the message of an API error a recorder kept.
func recordedError(rec *recorder) string {
	var e Error
	if json.Unmarshal(rec.body.Bytes(), &e) != nil || e.Error == "" {
		e.Error = strings.TrimSpace(rec.body.String())
	}
	return e.Error
}

// recorder keeps the response of a handler the UI calls.
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.body.Write(b)
}
func (r *recorder) WriteHeader(code int) { r.code = cmp.Or(r.code, code) }

// uiNotFound answers a path of neither the API nor the UI with a 404 page.
func (s *Server) uiNotFound(w http.ResponseWriter, r *http.Request) {
	writeErrorPage(w, http.StatusNotFound, fmt.Sprintf("server: no page %s (the runs are at /)", r.URL.Path))
}

// errNoShard says a running shard's part is not known.
var errNoShard = errors.New("unknown")

// shards returns the progress of the runs of run's sweep: every sweep run
// of the same run key (its shards, and runs again of the same points), in
// the order they began, with the points the store holds of each.
func (s *Server) shards(ctx context.Context, run *store.Run) ([]page.Shard, error) {
	key := run.WorkloadDigest
	if key == "" {
		return nil, nil
	}
	runs, err := s.cfg.Store.Runs(ctx, store.Filter{Kinds: []store.Kind{store.KindSweep}})
	if err != nil {
		return nil, err
	}
	runs = slices.DeleteFunc(runs, func(o *store.Run) bool { return o.WorkloadDigest != key })
	slices.SortFunc(runs, func(a, b *store.Run) int { return cmp.Compare(a.ID, b.ID) })
	items, err := s.cfg.Store.Items(ctx, key)
	if err != nil {
		return nil, err
	}
	stored := map[int]bool{}
	for _, it := range items {
		if it.Done {
			stored[it.Index] = true
		}
	}
	// The number of points and the shuffle's seed come from any report.
	n, seed := -1, uint64(0)
	for _, o := range runs {
		var rep report.Sweep
		if len(o.Report) > 0 && json.Unmarshal(o.Report, &rep) == nil {
			n, seed = rep.TotalPoints, rep.Shard.Seed
		}
	}
	var out []page.Shard
	for _, o := range runs {
		sh := page.Shard{Run: o.ID, Status: o.Status.String()}
		part, err := runShard(o)
		switch {
		case err != nil:
			sh.Shard = "?"
			sh.Done = len(stored)
		case n < 0:
			sh.Shard = shardText(part)
			sh.Done = len(stored)
		default:
			sh.Shard = shardText(part)
			idx := part.Indices(n, seed)
			sh.Total = len(idx)
			for _, i := range idx {
				if stored[i] {
					sh.Done++
				}
			}
		}
		out = append(out, sh)
	}
	return out, nil
}

// shardText says which part of a sweep a shard is.
func shardText(s sweep.Shard) string {
	if s.Whole() {
		return "all"
	}
	return s.String()
}

// runShard returns the shard a sweep run ran: from its report, else from
// its --shard setting.
func runShard(run *store.Run) (sweep.Shard, error) {
	var rep report.Sweep
	if len(run.Report) > 0 && json.Unmarshal(run.Report, &rep) == nil {
		return sweep.Shard{Index: rep.Shard.Index, Count: rep.Shard.Count}, nil
	}
	var set map[string]string
	_ = json.Unmarshal(run.Settings, &set)
	if v := set["shard"]; v != "" {
		return sweep.ParseShard(v)
	}
	if v := set["shards"]; v != "" && v != "0" {
		return sweep.Shard{}, errNoShard
	}
	return sweep.Shard{}, nil
}
