package netadapt

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/nnergy/nnergy/measure"
)

// adaptStateSeed returns the state.json of a checkpoint holding the history
// in the adapt report file path (a testdata file of package page), whose
// field names it renames to the checkpoint's.
func adaptStateSeed(tb testing.TB, path string, next int) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	rename := strings.NewReplacer(`"target_resource"`, `"target"`, `"removed_filters"`, `"removed"`,
		`"kept_filters"`, `"filters"`, `"resource_ratio"`, `"ratio"`)
	var h struct {
		Metric          string          `json:"metric"`
		Initial         float64         `json:"initial_resource"`
		Budget          float64         `json:"budget_resource"`
		InitReduction   float64         `json:"init_reduction_resource"`
		Decay           float64         `json:"decay"`
		InitialAccuracy float64         `json:"initial_accuracy"`
		Iterations      json.RawMessage `json:"iterations"`
		Proposals       json.RawMessage `json:"proposals"`
		Resource        float64         `json:"final_resource"`
		Accuracy        float64         `json:"final_accuracy"`
	}
	if err := json.Unmarshal(b, &h); err != nil {
		tb.Fatal(err)
	}
	res := &Result{Metric: h.Metric, Initial: h.Initial, Budget: h.Budget, InitReduction: h.InitReduction, Decay: h.Decay,
		InitialAccuracy: h.InitialAccuracy, Resource: h.Resource, Accuracy: h.Accuracy}
	if err := json.Unmarshal([]byte(rename.Replace(string(h.Iterations))), &res.Iterations); err != nil {
		tb.Fatal(err)
	}
	if err := json.Unmarshal([]byte(rename.Replace(string(h.Proposals))), &res.Proposals); err != nil {
		tb.Fatal(err)
	}
	next = min(next, len(res.Iterations)+1)
	res.Iterations = res.Iterations[:next-1]
	out, err := json.MarshalIndent(state{Version: 1, Next: next, Seed: 1, Accuracy: h.Accuracy, Resource: h.Resource, Result: res}, "", "  ")
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// FuzzDecodeState checks that no state.json makes DecodeState, or the
// checks a resume runs on what it accepts (checkState, ResumeBudget),
// panic, and that an accepted state encodes to one that decodes to the
// same values. Seeds: the adapt history in page/testdata, as checkpoints
// after each iteration. Run longer with
//
//	go test ./netadapt -run '^$' -fuzz '^FuzzDecodeState$' -fuzztime 60s
func FuzzDecodeState(f *testing.F) {
	for next := 1; next <= 4; next++ {
		f.Add(adaptStateSeed(f, "../page/testdata/adapt_lenet5.json", next))
	}
	f.Add([]byte(`{"version": 1, "version": 2}`))
	f.Add([]byte(`{"version": 1, "next_iteration": 1, "result": {"metric": "energy", "iterations": [{"layer": "conv1"}]}} {}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		var st state
		if err := DecodeState(in, &st); err != nil {
			return
		}
		out, err := json.Marshal(st)
		if err != nil {
			t.Fatalf("a decoded state does not encode: %v", err)
		}
		var again state
		if err := DecodeState(out, &again); err != nil {
			t.Fatalf("an encoded state does not decode: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(st, again) {
			t.Fatalf("encode and decode changed the state:\n%+v\n%+v", st, again)
		}
		if st.Result == nil {
			return
		}
		c := checkpointed{Version: st.Version, Next: st.Next, Seed: st.Seed, Accuracy: st.Accuracy, Resource: st.Resource, Result: st.Result}
		if checkState(&c) != nil {
			return
		}
		metric, err := measure.ParseMetric(st.Result.Metric)
		if err != nil {
			t.Fatalf("checkState passed the metric %q: %v", st.Result.Metric, err)
		}
		b, err := ResumeBudget(st.Result, st.Seed, metric, st.Seed)
		if err != nil {
			return
		}
		if !(b.Absolute > 0) {
			t.Fatalf("resumed with the budget %+v from %+v", b, st.Result)
		}
	})
}
