package netadapt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/nnergy/nnergy/measure"
	"github.com/nnergy/nnergy/nn"
)

// checkpointed is what the state.json of a NetAdapt and of a NetAdaptV2
// checkpoint have in common (NetAdaptV2's result holds NetAdapt's fields
// and more; its method is "netadaptv2", NetAdapt's is left out).
type checkpointed struct {
	Version  int     `json:"version"`
	Method   string  `json:"method"`
	Next     int     `json:"next_iteration"`
	Seed     uint64  `json:"seed"`
	Accuracy float64 `json:"accuracy"`
	Resource float64 `json:"resource"`
	Result   *Result `json:"result"`
}

// resumeTolerance is how far, relatively, the starting resource the
// resuming run measures may be from the checkpoint's: measurements of the
// same model on the same measurer agree to rounding.
const resumeTolerance = 1e-9

// CheckResume checks the checkpoint in the setup's Resume directory
// against the setup, before anything runs, and returns every difference
// at once: a resumed run mixed in the checkpoint's history, budget and
// model silently, and labelled its budget with the new value. The
// checkpoint must be of method (netadapt or netadaptv2), with numbers a
// run writes (no negative resource, no accuracy outside [0, 1]); the setup
// must have its budget (the value, not only the metric), seed and
// schedule; its model must be the one the checkpoint's is an adaptation
// of (the same layers, none wider); and, on a measurer that is not timed
// (the hardware model or counts), the setup's model must measure as the
// checkpoint's started: another architecture, dataflow, batch or model
// measures otherwise.
func (p *Prepared) CheckResume(ctx context.Context, method string) error {
	s := p.s
	if s.Resume == "" {
		return nil
	}
	path := filepath.Join(s.Resume, checkpointState)
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("netadapt: resume: %w", err)
	}
	var st checkpointed
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("netadapt: resume: %s: %w", path, err)
	}
	if st.Method == "" {
		st.Method = "netadapt"
	}
	if st.Version != 1 || st.Result == nil || st.Next < 1 {
		return fmt.Errorf("netadapt: resume: %s is not a checkpoint of nnergy adapt", path)
	}
	if st.Method != method {
		return fmt.Errorf("netadapt: resume: %s is a checkpoint of %s, not %s", path, st.Method, method)
	}
	if err := checkState(&st); err != nil {
		return fmt.Errorf("netadapt: resume: %s: %w", path, err)
	}
	res := st.Result
	var errs []error
	differs := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	metric, _ := measure.ParseMetric(res.Metric) // checked by checkState
	if metric != s.Budget.Metric {
		differs("the checkpoint's budget is on %s, not %s", metric, s.Budget.Metric)
	} else if want := s.Budget.Resolve(res.Initial); !near(want, res.Budget) {
		differs("the checkpoint's budget is %s, not %s", checkpointBudget(metric, res), s.Budget)
	}
	if st.Seed != s.Seed {
		differs("the checkpoint's seed is %d, not %d", st.Seed, s.Seed)
	}
	if ir := res.InitReduction / res.Initial; !near(ir, s.InitReduction) {
		differs("the checkpoint's initial reduction is %g, not %g", ir, s.InitReduction)
	}
	if !near(res.Decay, s.Decay) {
		differs("the checkpoint's decay is %g, not %g", res.Decay, s.Decay)
	}
	model := checkpointModel
	if method != "netadapt" {
		model = "super.nnw" // NetAdaptV2 keeps its trained super-network
	}
	if err := checkAdaptation(s.Model, filepath.Join(s.Resume, model)); err != nil {
		differs("%w", err)
	}
	if s.Measure != measure.CPUKind && metric == s.Budget.Metric {
		ms, err := p.cfg.Measurer.Measure(ctx, s.Model)
		if err != nil {
			return err
		}
		if init := ms.Total.Value(metric); !near(init, res.Initial) {
			differs("the model measures %s on %s, the checkpoint's started at %s: another model, architecture or measurer",
				FormatValue(metric, init), p.Measurer, FormatValue(metric, res.Initial))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("netadapt: resume %s: %w", s.Resume, errors.Join(errs...))
	}
	return nil
}

// checkpointBudget writes a checkpoint's budget as a fraction of its
// initial resource, and absolute.
func checkpointBudget(m measure.Metric, res *Result) string {
	return fmt.Sprintf("%s=%.4g (%s)", m, res.Budget/res.Initial, FormatValue(m, res.Budget))
}

// near reports whether a and b agree to resumeTolerance, relatively.
func near(a, b float64) bool {
	return math.Abs(a-b) <= resumeTolerance*math.Max(math.Abs(a), math.Abs(b))
}

// checkAdaptation checks that the model in file is start or an
// adaptation of it: the same input and layers, none with more outputs.
func checkAdaptation(start *nn.Model, file string) error {
	m, err := nn.LoadFile(file)
	if err != nil {
		return err
	}
	a, err := nn.Describe(start)
	if err != nil {
		return err
	}
	c, err := nn.Describe(m)
	if err != nil {
		return err
	}
	var diffs []string
	if fmt.Sprint(start.InShape) != fmt.Sprint(m.InShape) {
		diffs = append(diffs, fmt.Sprintf("its input is %v, the model's %v", m.InShape, start.InShape))
	}
	if len(a) != len(c) {
		diffs = append(diffs, fmt.Sprintf("it has %d layers, the model %d", len(c), len(a)))
	} else {
		for i := range a {
			switch {
			case a[i].Name != c[i].Name || a[i].Kind != c[i].Kind:
				diffs = append(diffs, fmt.Sprintf("its layer %d is %s %s, the model's %s %s", i, c[i].Kind, c[i].Name, a[i].Kind, a[i].Name))
			case c[i].Out[0] > a[i].Out[0]:
				diffs = append(diffs, fmt.Sprintf("its layer %s has %d outputs, more than the model's %d", c[i].Name, c[i].Out[0], a[i].Out[0]))
			}
			if len(diffs) >= 3 {
				break
			}
		}
	}
	if len(diffs) > 0 {
		return fmt.Errorf("the checkpoint's model %s is not an adaptation of the model: %s", file, strings.Join(diffs, "; "))
	}
	return nil
}

// checkState refuses a checkpoint whose numbers no run writes: edited by
// hand, or by another program.
func checkState(st *checkpointed) error {
	var errs []error
	if err := checkResult(st.Result); err != nil {
		errs = append(errs, err)
	}
	if !(st.Resource >= 0) || math.IsInf(st.Resource, 0) {
		errs = append(errs, fmt.Errorf("resource %v: want a finite number at least 0", st.Resource))
	}
	if !(st.Accuracy >= 0 && st.Accuracy <= 1) {
		errs = append(errs, fmt.Errorf("accuracy %v: want a fraction in [0, 1]", st.Accuracy))
	}
	if st.Next > len(st.Result.Iterations)+1 {
		errs = append(errs, fmt.Errorf("next_iteration %d after %d iterations", st.Next, len(st.Result.Iterations)))
	}
	return errors.Join(errs...)
}

// checkResult refuses a checkpointed result whose numbers no run writes.
func checkResult(res *Result) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if _, err := measure.ParseMetric(res.Metric); err != nil {
		bad("result.metric: %v", err)
	}
	positive := func(field string, v float64) {
		if !(v > 0) || math.IsInf(v, 0) {
			bad("result.%s %v: want a positive finite number", field, v)
		}
	}
	resource := func(field string, v float64) {
		if !(v >= 0) || math.IsInf(v, 0) {
			bad("%s %v: want a finite number at least 0", field, v)
		}
	}
	accuracy := func(field string, v float64) {
		if !(v >= 0 && v <= 1) {
			bad("%s %v: want a fraction in [0, 1]", field, v)
		}
	}
	positive("initial", res.Initial)
	positive("budget", res.Budget)
	positive("init_reduction", res.InitReduction)
	if !(res.Decay > 0 && res.Decay <= 1) {
		bad("result.decay %v: outside (0, 1]", res.Decay)
	}
	accuracy("result.initial_accuracy", res.InitialAccuracy)
	resource("result.resource", res.Resource)
	accuracy("result.accuracy", res.Accuracy)
	for i, it := range res.Iterations {
		p := fmt.Sprintf("result.iterations[%d]", i)
		resource(p+".resource", it.Resource)
		resource(p+".target", it.Target)
		accuracy(p+".accuracy", it.Accuracy)
		if it.Removed < 0 || it.Filters < 0 {
			bad("%s: removed %d, filters %d: want counts at least 0", p, it.Removed, it.Filters)
		}
	}
	for i, pr := range res.Proposals {
		p := fmt.Sprintf("result.proposals[%d]", i)
		resource(p+".resource", pr.Resource)
		accuracy(p+".accuracy", pr.Accuracy)
		if pr.Removed < 0 || pr.Filters < 0 {
			bad("%s: removed %d, filters %d: want counts at least 0", p, pr.Removed, pr.Filters)
		}
	}
	if len(errs) > 4 {
		errs = append(errs[:4], fmt.Errorf("and %d more", len(errs)-4))
	}
	return errors.Join(errs...)
}
