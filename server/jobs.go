package server

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/cost"
	"github.com/nnergy/nnergy/dataflow"
	"github.com/nnergy/nnergy/explore"
	"github.com/nnergy/nnergy/internal/yamlspec"
	"github.com/nnergy/nnergy/mapping"
	"github.com/nnergy/nnergy/onnx"
	"github.com/nnergy/nnergy/report"
	"github.com/nnergy/nnergy/store"
	"github.com/nnergy/nnergy/workload"
	wonnx "github.com/nnergy/nnergy/workload/onnx"
	"github.com/nnergy/nnergy/workload/zoo"
)

// EvalRequest is the body of POST /api/v1/jobs/eval: the inputs of nnergy
// eval. Exactly one of Arch and ArchYAML, and at most one of Model and
// WorkloadYAML (none with an ONNX model in a multipart body).
type EvalRequest struct {
	// Arch is a preset name (see nnergy archs).
	Arch string `json:"arch,omitempty"`
	// ArchYAML is an architecture YAML document (docs/format/arch.md).
	ArchYAML string `json:"arch_yaml,omitempty"`
	// Model is a zoo name (see nnergy models).
	Model string `json:"model,omitempty"`
	// WorkloadYAML is a workload YAML document (docs/format/workload.md).
	WorkloadYAML string `json:"workload_yaml,omitempty"`
	// Batch is the batch size (0: 1, or an ONNX model's own).
	Batch int `json:"batch,omitempty"`
	// Dataflow is ws, os, is, rs or nlr (empty: rs).
	Dataflow string `json:"dataflow,omitempty"`
}

// job is an evaluation admitted to the queue.
type job struct {
	id     int64
	cancel context.CancelFunc
	// cancelled is set when a client cancelled the job.
	cancelled bool

	mu sync.Mutex
	// p is the progress so far (its ID unset).
	p Progress
	// changed is closed and replaced on every change of progress.
	changed chan struct{}
}

// Progress is the data of a progress event of GET /api/v1/jobs/{id}/events.
// Eval and map jobs count shapes; a sweep job counts points; prune and
// adapt jobs count steps and iterations, with the figures of the last.
type Progress struct {
	ID int64 `json:"id"`
	// ShapesDone of Shapes unique layer shapes are mapped (0 of 0 for jobs
	// other than eval and map).
	ShapesDone int `json:"shapes_done"`
	Shapes     int `json:"shapes"`
	// Evaluated counts the mappings a map job's search has evaluated.
	Evaluated int64 `json:"evaluated,omitempty"`
	// PointsDone of Points design points of a sweep job are evaluated.
	PointsDone int `json:"points_done,omitempty"`
	Points     int `json:"points,omitempty"`
	// Iterations counts the NetAdapt iterations (adapt) or pruning steps
	// (prune) done; the fields below are those of the last one.
	Iterations int `json:"iterations,omitempty"`
	// Accuracy is the held-out (adapt) or test (prune) accuracy, 0..1;
	// absent when the step was not scored.
	Accuracy *float64 `json:"accuracy,omitempty"`
	// Resource is the adapt job's resource, in ResourceUnit (as the adapt
	// report's resource_unit), or the prune job's modelled energy in pJ.
	Resource     float64 `json:"resource,omitempty"`
	ResourceUnit string  `json:"resource_unit,omitempty"`
}

func (j *job) progress() (Progress, <-chan struct{}) {
	j.mu.Lock()
	defer j.mu.Unlock()
	p := j.p
	p.ID = j.id
	return p, j.changed
}

func (j *job) step() { j.update(func(p *Progress) { p.ShapesDone++ }) }

// update changes the progress with f.
func (j *job) update(f func(*Progress)) {
	j.mu.Lock()
	f(&j.p)
	close(j.changed)
	j.changed = make(chan struct{})
	j.mu.Unlock()
}

// ONNXPart and RequestPart name the parts of a multipart eval request.
const (
	RequestPart = "request"
	ONNXPart    = "onnx"
)

// readRequest reads a job request: a JSON body, or a multipart form with
// the JSON in part "request" and the ONNX model in part "onnx".
func readRequest[T any](r *http.Request) (*T, []byte, int, error) {
	req := new(T)
	model, code, err := readRequestInto(r, req)
	return req, model, code, err
}

// readRequestInto is readRequest decoding onto req, whose fields hold
// the defaults of those the request leaves out.
func readRequestInto[T any](r *http.Request, req *T) ([]byte, int, error) {
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return nil, http.StatusUnsupportedMediaType, fmt.Errorf("server: Content-Type %q: want application/json or multipart/form-data", r.Header.Get("Content-Type"))
	}
	var body, model []byte
	switch ct {
	case "application/json":
		if body, err = io.ReadAll(r.Body); err != nil {
			return nil, bodyStatus(err), fmt.Errorf("server: reading the request: %v", err)
		}
	case "multipart/form-data":
		mr, err := r.MultipartReader()
		if err != nil {
			return nil, http.StatusBadRequest, fmt.Errorf("server: %v", err)
		}
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, bodyStatus(err), fmt.Errorf("server: reading the request: %v", err)
			}
			b, err := io.ReadAll(p)
			if err != nil {
				return nil, bodyStatus(err), fmt.Errorf("server: reading the request: %v", err)
			}
			switch p.FormName() {
			case RequestPart:
				body = b
			case ONNXPart:
				model = b
			default:
				return nil, http.StatusBadRequest, fmt.Errorf("server: unknown part %q (want %s and %s)", p.FormName(), RequestPart, ONNXPart)
			}
		}
		if body == nil {
			body = []byte("{}")
		}
	default:
		return nil, http.StatusUnsupportedMediaType, fmt.Errorf("server: Content-Type %q: want application/json or multipart/form-data", ct)
	}
	if err := decodeJSON(body, req); err != nil {
		return nil, http.StatusBadRequest, err
	}
	return model, 0, nil
}

// errorText is err as the command line prints it: every error of a list
// of spec errors, one a line.
func errorText(err error) string {
	var b strings.Builder
	yamlspec.PrintError(&b, "", err)
	return strings.TrimSuffix(b.String(), "\n")
}

// bodyStatus is 413 for a body over the limit, else 400.
func bodyStatus(err error) int {
	var mb *http.MaxBytesError
	if errors.As(err, &mb) {
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusBadRequest
}

// decodeJSON reads a request onto req strictly: unknown fields and
// trailing data are errors naming their offset.
func decodeJSON[T any](b []byte, req *T) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(req); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			line, col := lineCol(b, se.Offset)
			return fmt.Errorf("server: request:%d:%d: %v", line, col, se)
		case errors.As(err, &te):
			line, col := lineCol(b, te.Offset)
			return fmt.Errorf("server: request:%d:%d: %s: want %s, got %s", line, col, te.Field, te.Type, te.Value)
		}
		line, col := lineCol(b, d.InputOffset())
		return fmt.Errorf("server: request:%d:%d: %v", line, col, err)
	}
	if d.More() {
		line, col := lineCol(b, d.InputOffset())
		return fmt.Errorf("server: request:%d:%d: data after the JSON object", line, col)
	}
	return nil
}

// lineCol returns the line and column (from 1) of byte offset off in b.
func lineCol(b []byte, off int64) (int, int) {
	off = min(max(off, 0), int64(len(b)))
	line := 1 + bytes.Count(b[:off], []byte("\n"))
	col := int(off) - bytes.LastIndexByte(b[:off], '\n')
	return line, col
}

// runInfo is what a job's run records besides its report.
type runInfo struct {
	// command is the command line that does what the job does.
	command []string
	// arch is the canonical YAML of the architectures.
	arch          string
	model, digest string
	// settings are the run's settings, as flags with their values.
	settings map[string]string
}

// evalInputs are what an eval request resolves to.
type evalInputs struct {
	runInfo
	spec *arch.Spec
	cost *cost.Model
	net  *workload.Network
	df   dataflow.Dataflow
}

// resolve builds the inputs of req and an ONNX model (nil for none), with
// the positioned errors the command line gives. It never reads a file.
func resolve(req *EvalRequest, model []byte) (*evalInputs, error) {
	var in evalInputs
	cmd := []string{"nnergy", "eval"}
	var err error
	if in.spec, err = archOf(req.Arch, req.ArchYAML); err != nil {
		return nil, err
	}
	cmd = append(cmd, "--arch", cmp.Or(req.Arch, "arch_yaml"))
	if req.Batch < 0 {
		return nil, fmt.Errorf("server: batch %d is negative", req.Batch)
	}
	batch := max(req.Batch, 1)
	n := 0
	for _, s := range []string{req.Model, req.WorkloadYAML} {
		if s != "" {
			n++
		}
	}
	if model != nil {
		n++
	}
	switch {
	case n != 1:
		return nil, errors.New("server: give exactly one of model (a zoo name), workload_yaml and an ONNX model")
	case req.Model != "":
		in.net, err = zoo.Get(req.Model)
		in.model = req.Model
		if err == nil {
			in.net = in.net.WithBatch(batch)
		}
	case req.WorkloadYAML != "":
		in.net, err = workload.Parse("workload_yaml", []byte(req.WorkloadYAML))
		in.model = "workload_yaml"
		if err == nil {
			in.net = in.net.WithBatch(batch)
		}
	default:
		var m *onnx.Model
		if m, err = onnx.Parse("onnx", model); err == nil {
			in.net, err = wonnx.ImportWith(m, wonnx.Options{Batch: req.Batch})
		}
		in.model = "onnx"
	}
	if err == nil && batch > 1 {
		// A large batch can push a layer past package workload's size
		// limits, as nnergy eval --batch checks.
		if err = in.net.Validate(); err != nil {
			err = fmt.Errorf("server: at batch %d: %w", batch, err)
		}
	}
	if err != nil {
		return nil, err
	}
	in.digest = workload.Digest(in.net.Layers)
	cmd = append(cmd, "--model", in.model, "--batch", strconv.Itoa(batch))
	in.df = dataflow.RS
	if req.Dataflow != "" {
		if in.df, err = dataflow.ParseDataflow(req.Dataflow); err != nil {
			return nil, fmt.Errorf("server: dataflow %q: want %s", req.Dataflow, dataflow.Choices())
		}
	}
	in.command = append(cmd, "--dataflow", in.df.String())
	in.settings = map[string]string{"arch": cmd[3], "model": in.model, "batch": strconv.Itoa(batch), "dataflow": in.df.String()}
	if in.cost, err = cost.New(in.spec); err != nil {
		return nil, err
	}
	in.arch = string(arch.Format(in.spec))
	return &in, nil
}

// startEval answers POST /api/v1/jobs/eval: 202 with the report of the run
// the job is recorded as, 429 when the queue is full.
func (s *Server) startEval(w http.ResponseWriter, r *http.Request) {
	req, model, code, err := readRequest[EvalRequest](r)
	if err != nil {
		writeError(w, code, err.Error())
		return
	}
	in, err := resolve(req, model)
	if err != nil {
		writeError(w, http.StatusBadRequest, errorText(err))
		return
	}
	m := in.cost
	shapes := map[workload.ShapeKey]bool{}
	for _, l := range in.net.Layers {
		shapes[l.Key()] = true
	}
	s.start(w, r, store.KindEval, in.runInfo, Progress{Shapes: len(shapes)}, func(ctx context.Context, j *job) (any, error) {
		inner := explore.DataflowMapper(m, in.df)
		mapFn := func(ctx context.Context, l *workload.Layer) (*mapping.Mapping, error) {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			mp, err := inner(ctx, l)
			j.step()
			return mp, err
		}
		res, err := explore.Evaluate(ctx, m, in.net, mapFn)
		if err != nil {
			return nil, err
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return report.NewEval(ctx, m, res, report.EvalOptions{Source: report.SourceBuilder, Dataflow: &in.df})
	})
}

// start admits a job of kind, recorded as a run with in, that work does
// from progress p, and answers 202 with the run (429 when the queue is
// full).
func (s *Server) start(w http.ResponseWriter, r *http.Request, kind store.Kind, in runInfo, p Progress, work func(context.Context, *job) (any, error)) {
	select {
	case s.slots <- struct{}{}:
	default:
		writeError(w, http.StatusTooManyRequests, fmt.Sprintf("server: the job queue is full (%d running or waiting)", cap(s.slots)))
		return
	}
	settings, _ := json.Marshal(in.settings)
	run := store.Run{Kind: kind, Version: store.BuildVersion(), Command: in.command, Arch: in.arch,
		Workload: in.model, WorkloadDigest: in.digest, Settings: settings}
	s.mu.Lock()
	closed := s.closed
	if !closed {
		s.wg.Add(1)
	}
	s.mu.Unlock()
	if closed {
		<-s.slots
		writeError(w, http.StatusServiceUnavailable, "server: shutting down")
		return
	}
	if err := s.cfg.Store.Begin(r.Context(), &run); err != nil {
		<-s.slots
		s.wg.Done()
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	ctx, cancel := context.WithCancel(s.ctx)
	j := &job{id: run.ID, cancel: cancel, p: p, changed: make(chan struct{})}
	s.mu.Lock()
	s.jobs[run.ID] = j
	s.mu.Unlock()
	go s.run(ctx, j, work)
	w.Header().Set("Location", fmt.Sprintf("/api/v1/jobs/%d", run.ID))
	writeJSON(w, http.StatusAccepted, report.NewRun(run.Record()))
}

// run runs job j when a running slot is free and records how it ended.
func (s *Server) run(ctx context.Context, j *job, work func(context.Context, *job) (any, error)) {
	defer s.wg.Done()
	defer func() { <-s.slots }()
	var rep any
	var err error
	select {
	case s.running <- struct{}{}:
		rep, err = work(ctx, j)
		<-s.running
	case <-ctx.Done():
		err = ctx.Err()
	}
	st := s.cfg.Store
	bg := context.WithoutCancel(ctx)
	s.mu.Lock()
	cancelled := j.cancelled
	s.mu.Unlock()
	switch {
	case err == nil:
		b, merr := json.Marshal(rep)
		if merr == nil {
			if ferr := st.Finish(bg, j.id, b); ferr != nil {
				st.Fail(bg, j.id, fmt.Errorf("recording the report: %v", ferr))
			}
		} else {
			st.Fail(bg, j.id, merr)
		}
	case cancelled:
		st.Fail(bg, j.id, errors.New("cancelled"))
	case ctx.Err() != nil:
		// Only Shutdown cancels a job without marking it cancelled.
		st.Interrupt(bg, j.id, Interrupted)
	default:
		st.Fail(bg, j.id, err)
	}
	// The job leaves the table once its run is recorded, so that whoever
	// finds it gone reads the run as it ended.
	s.mu.Lock()
	delete(s.jobs, j.id)
	s.mu.Unlock()
	j.cancel()
	j.mu.Lock()
	close(j.changed)
	j.changed = nil
	j.mu.Unlock()
}

// job returns job id (nil when none runs), calling f on it under the
// server's lock when f is not nil.
func (s *Server) job(id int64, f func(*job)) *job {
	s.mu.Lock()
	defer s.mu.Unlock()
	j := s.jobs[id]
	if j != nil && f != nil {
		f(j)
	}
	return j
}

// cancelJob answers DELETE /api/v1/jobs/{id}: 202 when the job was
// cancelled (it is recorded failed, "cancelled"), 409 when it is over.
func (s *Server) cancelJob(w http.ResponseWriter, r *http.Request) {
	id, ok := runID(w, r)
	if !ok {
		return
	}
	j := s.job(id, func(j *job) {
		j.cancelled = true
		j.cancel()
	})
	if j == nil {
		if run := s.lookup(w, r, id); run != nil {
			writeError(w, http.StatusConflict, fmt.Sprintf("server: run %d is %s, not a job of this server that is running", id, run.Status))
		}
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

// events answers GET /api/v1/jobs/{id}/events with server-sent events: a
// progress event (Progress) when it opens and on changes (several changes
// between two events make one), the last with the job over, then one run
// event (the report of the run).
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	id, ok := runID(w, r)
	if !ok {
		return
	}
	j := s.job(id, nil)
	if j == nil && s.lookup(w, r, id) == nil {
		return
	}
	fl, _ := w.(http.Flusher)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	send := func(event string, v any) {
		b, _ := json.Marshal(v)
		fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, b)
		if fl != nil {
			fl.Flush()
		}
	}
	for j != nil {
		p, changed := j.progress()
		send("progress", p)
		if changed == nil {
			break
		}
		select {
		case <-changed:
		case <-r.Context().Done():
			return
		}
	}
	if run := s.lookupQuiet(r.Context(), id); run != nil {
		send("run", report.NewRun(run.Record()))
	}
}

func (s *Server) lookupQuiet(ctx context.Context, id int64) *store.Run {
	run, err := s.cfg.Store.Run(ctx, id)
	if err != nil {
		return nil
	}
	return run
}
