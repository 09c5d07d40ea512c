package netadapt

import (
	"math"
	"strings"
	"testing"
)

// TestCheckResult refuses checkpointed results whose numbers no run
// writes (edited by hand): they used to be resumed as they were.
func TestCheckResult(t *testing.T) {
	valid := func() *Result {
		return &Result{Metric: "energy", Initial: 100, Budget: 50, InitReduction: 2.5, Decay: 0.96, InitialAccuracy: 0.9,
			Iterations: []Iteration{{Iteration: 1, Target: 97.5, Resource: 97, Accuracy: 0.88, Removed: 1, Filters: 5}},
			Proposals:  []Proposal{{Iteration: 1, Resource: 97, Accuracy: 0.88, Removed: 1, Filters: 5, Chosen: true}}}
	}
	if err := checkResult(valid()); err != nil {
		t.Fatalf("valid result: %v", err)
	}
	for _, tc := range []struct {
		name string
		edit func(r *Result)
		want string
	}{
		{"metric", func(r *Result) { r.Metric = "power" }, "result.metric"},
		{"negative initial", func(r *Result) { r.Initial = -100 }, "result.initial -100"},
		{"zero budget", func(r *Result) { r.Budget = 0 }, "result.budget 0"},
		{"infinite budget", func(r *Result) { r.Budget = math.Inf(1) }, "result.budget +Inf"},
		{"decay", func(r *Result) { r.Decay = 2 }, "result.decay 2"},
		{"accuracy", func(r *Result) { r.InitialAccuracy = 97 }, "result.initial_accuracy 97"},
		{"NaN accuracy", func(r *Result) { r.Accuracy = math.NaN() }, "result.accuracy NaN"},
		{"negative resource", func(r *Result) { r.Iterations[0].Resource = -1 }, "result.iterations[0].resource -1"},
		{"negative filters", func(r *Result) { r.Proposals[0].Filters = -3 }, "result.proposals[0]: removed 1, filters -3"},
	} {
		r := valid()
		tc.edit(r)
		if err := checkResult(r); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one naming %q", tc.name, err, tc.want)
		}
		// ResumeBudget, which NetAdapt and NetAdaptV2 resume through,
		// refuses it too.
		if _, err := ResumeBudget(r, 1, 0, 1); err == nil {
			t.Errorf("%s: ResumeBudget accepted it", tc.name)
		}
	}
}
