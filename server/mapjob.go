package server

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/nnergy/nnergy/dataflow"
	"github.com/nnergy/nnergy/mapper"
	"github.com/nnergy/nnergy/mapping"
	"github.com/nnergy/nnergy/mapspace"
	"github.com/nnergy/nnergy/report"
	"github.com/nnergy/nnergy/store"
	"github.com/nnergy/nnergy/workload"
)

// MapRequest is the body of POST /api/v1/jobs/map: the inputs of nnergy
// map, the search of one layer's best mapping.
type MapRequest struct {
	EvalRequest
	// Layer names the layer of the network; required.
	Layer string `json:"layer"`
	// Objective is energy, latency, edp or a list (empty: energy). A
	// Dataflow of "best" searches the whole mapspace.
	Objective string `json:"objective,omitempty"`
	// Algorithm is auto, exhaustive, random or bnb (empty: auto).
	Algorithm string `json:"algorithm,omitempty"`
	// MaxEvals bounds the evaluations (0: 200000).
	MaxEvals int64 `json:"max_evals,omitempty"`
	// Seed seeds the random search (0: 1).
	Seed uint64 `json:"seed,omitempty"`
}

// startMap answers POST /api/v1/jobs/map as startEval does.
func (s *Server) startMap(w http.ResponseWriter, r *http.Request) {
	req, model, code, err := readRequest[MapRequest](r)
	if err != nil {
		writeError(w, code, err.Error())
		return
	}
	best := req.Dataflow == "best"
	if best {
		req.Dataflow = ""
	}
	in, err := resolve(&req.EvalRequest, model)
	if err == nil && req.Layer == "" {
		err = fmt.Errorf("server: layer is required")
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, errorText(err))
		return
	}
	set := mapper.Settings{Algorithm: "auto", MaxEvaluations: 200000, Seed: 1, Workers: 1}
	if set.Objective, err = mapper.ParseObjective(req.Objective); err != nil && req.Objective != "" {
		writeError(w, http.StatusBadRequest, "server: objective: "+err.Error())
		return
	}
	if req.Objective == "" {
		set.Objective, _ = mapper.ParseObjective("energy")
	}
	switch req.Algorithm {
	case "", "auto", "exhaustive", "random", "bnb":
		if req.Algorithm != "" {
			set.Algorithm = req.Algorithm
		}
	default:
		writeError(w, http.StatusBadRequest, fmt.Sprintf("server: algorithm %q: want auto, exhaustive, random or bnb", req.Algorithm))
		return
	}
	if req.MaxEvals < 0 {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("server: max_evals %d is negative", req.MaxEvals))
		return
	}
	if req.MaxEvals > 0 {
		set.MaxEvaluations = req.MaxEvals
	}
	if req.Seed != 0 {
		set.Seed = req.Seed
	}
	l, err := in.net.Layer(req.Layer)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	in.digest = workload.Digest([]*workload.Layer{l}) // as nnergy map records it
	m := in.cost
	var df *dataflow.Dataflow
	var cons mapspace.Constraints
	if !best {
		df = &in.df
		cons = dataflow.Constraints(in.df, l, in.spec)
		if b, err := dataflow.Build(in.df, l, m); err == nil {
			set.Start = []*mapping.Mapping{b}
		}
	} else {
		in.command[len(in.command)-1], in.settings["dataflow"] = "best", "best"
	}
	space, err := mapspace.New(l, in.spec, cons)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	in.command = append(in.command, "--layer", l.Name, "--objective", set.Objective.String(), "--algorithm", set.Algorithm,
		"--max-evals", strconv.FormatInt(set.MaxEvaluations, 10), "--seed", strconv.FormatUint(set.Seed, 10), "--workers", "1")
	in.command[1] = "map"
	for k, v := range map[string]string{"layer": l.Name, "objective": set.Objective.String(), "algorithm": set.Algorithm,
		"max-evals": strconv.FormatInt(set.MaxEvaluations, 10), "seed": strconv.FormatUint(set.Seed, 10), "workers": "1"} {
		in.settings[k] = v
	}
	s.start(w, r, store.KindMap, in.runInfo, Progress{Shapes: 1}, func(ctx context.Context, j *job) (any, error) {
		set.Progress = func(st mapper.Stats) { j.update(func(p *Progress) { p.Evaluated = st.Evaluated }) }
		bestMap, st, err := mapper.Search(ctx, space, m, set)
		if err != nil {
			return nil, fmt.Errorf("%w for layer %q (%v)", err, l.Name, st)
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		j.update(func(p *Progress) { p.ShapesDone, p.Evaluated = 1, st.Evaluated })
		return report.NewMap(m, l, df, set.Objective, &bestMap, st)
	})
}
