package report

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/nnergy/nnergy/netadapt"
)

// sameSince names, per kind, the oldest version whose fields of that kind
// are those of this version: Decode reads it too.
var sameSince = map[Kind]string{
	// nnergy.report/v2 added area, leakage and static energy to eval and
	// map; compare, prune and adapt reports are unchanged since v1.
	KindCompare: "nnergy.report/v1",
	KindPrune:   "nnergy.report/v1",
	KindAdapt:   "nnergy.report/v1",
}

// readable reports whether Decode reads a report of kind k at version v.
func readable(k Kind, v string) bool {
	return v == Version || v != "" && v == sameSince[k]
}

// Decode reads a report of this version, with no unknown fields, into a
// value of its kind: *Eval, *Map, *Compare, *Prune, *Adapt, *Sweep, *Fit, *Codesign, *Run, *Runs, *Diff or *Import.
// It also reads compare, prune and adapt reports of nnergy.report/v1, whose
// fields are those of this version.
func Decode(b []byte) (any, error) {
	var h Header
	if err := json.Unmarshal(b, &h); err != nil {
		return nil, fmt.Errorf("report: %v", err)
	}
	if !readable(h.Kind, h.Version) {
		if h.Version == "" {
			return nil, fmt.Errorf("report: no version (want %q)", Version)
		}
		return nil, fmt.Errorf("report: version %q, this nnergy reads %q", h.Version, Version)
	}
	var v any
	switch h.Kind {
	case KindEval:
		v = &Eval{}
	case KindMap:
		v = &Map{}
	case KindCompare:
		v = &Compare{}
	case KindPrune:
		v = &Prune{}
	case KindAdapt:
		v = &Adapt{}
	case KindSweep:
		v = &Sweep{}
	case KindFit:
		v = &Fit{}
	case KindCodesign:
		v = &Codesign{}
	case KindRun:
		v = &Run{}
	case KindRuns:
		v = &Runs{}
	case KindDiff:
		v = &Diff{}
	case KindImport:
		v = &Import{}
	default:
		return nil, fmt.Errorf("report: unknown kind %q (want eval, map, compare, prune, adapt, sweep, fit, codesign, run, runs, diff or import)", h.Kind)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return nil, fmt.Errorf("report: %s report: %v", h.Kind, err)
	}
	return v, nil
}

// ReadHistory reads a pruning or NetAdapt history (one of the two results
// is set): a report of this version, or a file written before reports were
// versioned (a pruning history as a JSON array of steps, a NetAdapt history
// as the result of package netadapt). A pruning history of that older form
// read back has empty model, data and method fields where it recorded none.
func ReadHistory(b []byte) (*Prune, *Adapt, error) {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		p, err := readLegacyPrune(b)
		return p, nil, err
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(b, &probe); err != nil {
		return nil, nil, fmt.Errorf("report: %v", err)
	}
	if _, ok := probe["version"]; !ok {
		a, err := readLegacyAdapt(b)
		return nil, a, err
	}
	v, err := Decode(b)
	if err != nil {
		return nil, nil, err
	}
	switch v := v.(type) {
	case *Prune:
		return v, nil, nil
	case *Adapt:
		if m := v.Method; m != "" && m != "netadapt" && m != "netadaptv2" {
			return nil, nil, fmt.Errorf("report: adapt report: method %q: want netadapt or netadaptv2", m)
		}
		return nil, v, nil
	}
	var h Header
	json.Unmarshal(b, &h) // Decode read it
	return nil, nil, fmt.Errorf("report: %s report, not a pruning or NetAdapt history", h.Kind)
}

// legacyStep is a step of a pruning history written before reports were
// versioned.
type legacyStep struct {
	Method      string   `json:"method"`
	Step        int      `json:"step"`
	Action      string   `json:"action"`
	Layer       string   `json:"layer"`
	Sparsity    float64  `json:"sparsity"`
	EnergyPJ    float64  `json:"energy_pj"`
	EnergyRatio float64  `json:"energy_ratio"`
	LatencyS    float64  `json:"latency_s"`
	MACs        int64    `json:"macs"`
	Params      int64    `json:"params"`
	Accuracy    *float64 `json:"accuracy"`
	Target      string   `json:"target"`
	LayerError  float64  `json:"layer_error"`
	PlainError  float64  `json:"plain_error"`
}

func readLegacyPrune(b []byte) (*Prune, error) {
	var steps []legacyStep
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&steps); err != nil {
		return nil, fmt.Errorf("report: pruning history: %v", err)
	}
	if len(steps) == 0 {
		return nil, fmt.Errorf("report: pruning history: no steps")
	}
	h := &Prune{Header: header(KindPrune), Targets: []string{}, Runs: []PruneRun{}}
	for i, s := range steps {
		switch s.Method {
		case "", "magnitude", "energy-aware":
		default:
			return nil, fmt.Errorf("report: pruning history: step %d: unknown method %q (want magnitude or energy-aware)", s.Step, s.Method)
		}
		if i == 0 || h.Runs[len(h.Runs)-1].Method != s.Method {
			h.Runs = append(h.Runs, PruneRun{Method: s.Method, Steps: []PruneStep{}})
		}
		p := PruneStep{Step: s.Step, Phase: PhasePrune, Action: s.Action, Layer: s.Layer, Sparsity: s.Sparsity, EnergyPJ: s.EnergyPJ,
			EnergyRatio: s.EnergyRatio, LatencySeconds: s.LatencyS, MACs: s.MACs, Params: s.Params, Accuracy: s.Accuracy,
			Target: s.Target, LayerError: s.LayerError, PlainError: s.PlainError}
		switch {
		case s.Step == 0:
			p.Phase = PhaseStart
		case s.Target != "":
			p.Phase = PhaseFinetune
		}
		r := &h.Runs[len(h.Runs)-1]
		r.Steps = append(r.Steps, p)
	}
	return h, nil
}

func readLegacyAdapt(b []byte) (*Adapt, error) {
	var res netadapt.Result
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&res); err != nil {
		return nil, fmt.Errorf("report: NetAdapt history: %v", err)
	}
	if res.Metric == "" || !(res.Initial > 0) {
		return nil, fmt.Errorf("report: NetAdapt history: no metric or initial resource")
	}
	// Its model, data and measurer were not recorded.
	return newAdapt(AdaptInfo{}, &res, false)
}
