package server

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"strconv"
	"strings"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/report"
	"github.com/nnergy/nnergy/store"
	"github.com/nnergy/nnergy/sweep"
)

// SweepRequest is the body of POST /api/v1/jobs/sweep: the inputs of
// nnergy sweep that make sense on a server.
type SweepRequest struct {
	// SweepYAML is a sweep file (docs/format/sweep.md) that names presets
	// and zoo networks only; required.
	SweepYAML string `json:"sweep_yaml"`
	// Shard is i/N, part i (from 0) of N of the points (empty: all).
	Shard string `json:"shard,omitempty"`
	// Pareto is two or three objectives, comma-separated (empty: no front).
	Pareto string `json:"pareto,omitempty"`
	// Workers is the points evaluated at once (0: 1); with the sweep's
	// mapper workers it may use at most the server's cores.
	Workers int `json:"workers,omitempty"`
}

// SweepYAML names a request's sweep in errors.
const sweepYAML = "sweep_yaml"

// startSweep answers POST /api/v1/jobs/sweep as startEval does. The store
// keeps the sweep's points and layer searches, so that a sweep sent again
// resumes where an earlier one stopped (as nnergy sweep --store does).
func (s *Server) startSweep(w http.ResponseWriter, r *http.Request) {
	sj, ok := request(w, r, new(SweepRequest), resolveSweep)
	if !ok {
		return
	}
	sw, o := sj.sweep, sj.options
	o.Store = s.cfg.Store.Sweep()
	points := len(o.Shard.Indices(len(sw.Points), sw.ShardSeed))
	s.start(w, r, store.KindSweep, sj.run, Progress{Points: points}, func(ctx context.Context, j *job) (any, error) {
		o.Progress = func(done, total int, _ *sweep.PointResult) {
			j.update(func(p *Progress) { p.PointsDone, p.Points = done, total })
		}
		res, err := sw.Run(ctx, o)
		if err != nil {
			return nil, err
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return report.NewSweep(res, sj.objectives)
	})
}

// sweepJob is what a sweep request resolves to: the sweep, how to run it,
// the Pareto objectives and what its run records.
type sweepJob struct {
	sweep      *sweep.Sweep
	options    sweep.Options
	objectives []sweep.Objective
	run        runInfo
}

// resolveSweep reads a sweep request.
func resolveSweep(req *SweepRequest, model []byte) (*sweepJob, error) {
	var o sweep.Options
	var objs []sweep.Objective
	if model != nil {
		return nil, fmt.Errorf("server: a sweep job takes no ONNX model (its networks are zoo names)")
	}
	if req.SweepYAML == "" {
		return nil, fmt.Errorf("server: sweep_yaml is required: a sweep file (docs/format/sweep.md)")
	}
	var err error
	if req.Shard != "" {
		if o.Shard, err = sweep.ParseShard(req.Shard); err != nil {
			return nil, fmt.Errorf("server: shard: %s", strings.TrimPrefix(err.Error(), "sweep: "))
		}
	}
	if req.Pareto != "" {
		if objs, err = sweep.ParseObjectives(req.Pareto); err != nil {
			return nil, fmt.Errorf("server: pareto: %s", strings.TrimPrefix(err.Error(), "sweep: "))
		}
	}
	if req.Workers < 0 {
		return nil, fmt.Errorf("server: workers %d is negative", req.Workers)
	}
	o.Workers = max(req.Workers, 1)
	sw, err := sweep.ParseNoFiles(sweepYAML, []byte(req.SweepYAML))
	if err != nil {
		return nil, err
	}
	if cores, n := runtime.GOMAXPROCS(0), o.Workers*sw.Mapper.Search.Workers; n > cores {
		return nil, fmt.Errorf("server: workers %d x the sweep's mapper.workers %d = %d goroutines, more than the server's %d cores",
			o.Workers, sw.Mapper.Search.Workers, n, cores)
	}
	in := runInfo{command: []string{"nnergy", "sweep", sweepYAML, "--workers", strconv.Itoa(o.Workers)},
		arch: string(arch.Format(sw.Arch)), model: sw.Models(), digest: sw.RunKey(),
		settings: map[string]string{"workers": strconv.Itoa(o.Workers), "shard": req.Shard, "pareto": req.Pareto}}
	if req.Shard != "" {
		in.command = append(in.command, "--shard", req.Shard)
	}
	if req.Pareto != "" {
		in.command = append(in.command, "--pareto", req.Pareto)
	}
	return &sweepJob{sweep: sw, options: o, objectives: objs, run: in}, nil
}
