package server

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/dataflow"
	"github.com/nnergy/nnergy/prune"
	"github.com/nnergy/nnergy/report"
	"github.com/nnergy/nnergy/store"
)

// PruneRequest is the body of POST /api/v1/jobs/prune: the options of
// nnergy prune that make sense on a server, each named as its flag
// (finetune_epochs is --finetune-epochs; batch, calibration and limit are
// --train-batch, --restore-images and --train-images, see jobFlagNames),
// with the same defaults. The model and architecture are given as in
// AdaptRequest.
type PruneRequest struct {
	Model string `json:"model,omitempty"`
	Data  string `json:"data"`
	// Method is magnitude, energy-aware or both, comma-separated.
	Method string `json:"method"`
	// Target is energy=F or sparsity=F, or several of one kind.
	Target         string  `json:"target"`
	Granularity    string  `json:"granularity"`
	Arch           string  `json:"arch,omitempty"`
	ArchYAML       string  `json:"arch_yaml,omitempty"`
	Dataflow       string  `json:"dataflow"`
	Search         bool    `json:"search"`
	MaxEvals       int64   `json:"max_evals"`
	Increment      float64 `json:"increment"`
	PerLayer       bool    `json:"per_layer"`
	Tolerance      float64 `json:"tolerance"`
	Calibration    int     `json:"calibration"`
	DensityImages  int     `json:"density_images"`
	EvalImages     int     `json:"eval_images"`
	FinetuneEpochs int     `json:"finetune_epochs"`
	Limit          int     `json:"limit"`
	LR             float64 `json:"lr"`
	Batch          int     `json:"batch"`
	Seed           uint64  `json:"seed"`
	// Workers is the goroutines of the passes, the mapper and the
	// fine-tune, at most the server's cores (0: 1).
	Workers int `json:"workers"`
}

// DefaultPruneRequest returns the request whose fields are the defaults of
// nnergy prune.
func DefaultPruneRequest() PruneRequest {
	d := prune.DefaultSetup()
	return PruneRequest{Data: defaultData, Method: d.Methods[0].String(), Target: d.Target.String(), Granularity: d.Granularity.String(),
		Dataflow: d.Dataflow.String(), MaxEvals: d.MaxEvals, Increment: d.Increment, Tolerance: d.Tolerance, Calibration: d.Calibration,
		DensityImages: d.DensityImages, EvalImages: d.EvalImages, FinetuneEpochs: d.FinetuneEpochs, Limit: d.Limit, LR: d.LR,
		Batch: d.Batch, Seed: d.Seed}
}

// startPrune answers POST /api/v1/jobs/prune as startEval does.
func (s *Server) startPrune(w http.ResponseWriter, r *http.Request) {
	req := DefaultPruneRequest()
	pj, ok := request(w, r, &req, resolvePrune)
	if !ok {
		return
	}
	set := pj.set
	s.start(w, r, store.KindPrune, pj.run, Progress{ResourceUnit: "pj"}, func(ctx context.Context, j *job) (any, error) {
		set.OnStep = func(_ prune.Method, st prune.Step) {
			j.update(func(p *Progress) {
				p.Iterations++
				p.Accuracy, p.Resource = nil, st.EnergyPJ
				if !math.IsNaN(st.Accuracy) {
					acc := st.Accuracy
					p.Accuracy = &acc
				}
			})
		}
		p, err := set.Prepare()
		if err != nil {
			return nil, err
		}
		var runs []report.MethodResult
		for _, m := range set.Methods {
			res, err := p.Run(ctx, m)
			if err != nil {
				return nil, err
			}
			runs = append(runs, report.MethodResult{Method: m, Result: res})
		}
		h := report.NewPrune(pj.info, runs)
		if err := report.CheckFinite(h); err != nil {
			return nil, err
		}
		return h, nil
	})
}

// pruneJob is what a prune request resolves to: the setup, the report's
// description of the run and what the run records.
type pruneJob struct {
	set  *prune.Setup
	info report.PruneInfo
	run  runInfo
}

// resolvePrune reads a prune request.
func resolvePrune(req *PruneRequest, model []byte) (*pruneJob, error) {
	var rinfo runInfo
	set := prune.DefaultSetup()
	set.Methods = nil
	var errs []error
	for name := range strings.SplitSeq(req.Method, ",") {
		m, err := prune.ParseMethod(strings.TrimSpace(name))
		if err != nil {
			errs = append(errs, err)
		} else if !slices.Contains(set.Methods, m) {
			set.Methods = append(set.Methods, m)
		}
	}
	var err error
	if set.Granularity, err = prune.ParseGranularity(req.Granularity); err != nil {
		errs = append(errs, err)
	}
	if set.Target, set.Milestones, err = prune.ParseTargets(req.Target); err != nil {
		errs = append(errs, err)
	}
	if set.Dataflow, err = dataflow.ParseDataflow(req.Dataflow); err != nil {
		errs = append(errs, fmt.Errorf("dataflow %q: want %s", req.Dataflow, dataflow.Choices()))
	}
	set.PerLayer, set.Increment, set.Tolerance, set.Search, set.MaxEvals = req.PerLayer, req.Increment, req.Tolerance, req.Search, req.MaxEvals
	set.Calibration, set.DensityImages, set.EvalImages, set.FinetuneEpochs = req.Calibration, req.DensityImages, req.EvalImages, req.FinetuneEpochs
	set.Limit, set.Batch, set.LR, set.Workers, set.Seed = req.Limit, req.Batch, req.LR, max(req.Workers, 1), req.Seed
	errs = append(errs, tooManyWorkers(req.Workers), set.Check(func(o string) string { return o }))
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("server: prune: %w", err)
	}
	if set.Arch, err = archOf(presetOr(req.Arch, req.ArchYAML, defaultArch), req.ArchYAML); err != nil {
		return nil, err
	}
	in, err := resolveNN(req.Model, model, req.Seed, req.Data)
	if err != nil {
		return nil, err
	}
	set.Model, set.Train, set.Test = in.model, in.train, in.test
	rinfo.model, rinfo.digest, rinfo.arch = in.name, in.digest, string(arch.Format(set.Arch))
	rinfo.command, rinfo.settings = flagsOf("prune", req, in.name)
	return &pruneJob{set: &set, info: report.NewPruneInfo(in.name, req.Data, &set), run: rinfo}, nil
}
