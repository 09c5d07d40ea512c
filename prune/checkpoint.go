package prune

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/nnergy/nnergy/internal/outfile"
	"github.com/nnergy/nnergy/nn"
)

// A checkpoint directory holds state.json and the models it names: the
// model after the last recorded pruning step (model-STEP.nnw, written
// before the state that names it, the one before removed after) and the
// model kept at each milestone met (kept-I.nnw).
const (
	checkpointState   = "state.json"
	checkpointVersion = 1
)

// state is a pruning run after a recorded step: what Run needs to go on
// as if it had not stopped.
type state struct {
	Version int `json:"version"`
	// The run: its start model's digest and the options its steps depend
	// on; a resume with others is refused.
	Start       string   `json:"start"`
	Method      string   `json:"method"`
	Granularity string   `json:"granularity"`
	Target      string   `json:"target"`
	Milestones  []string `json:"milestones,omitempty"`
	PerLayer    bool     `json:"per_layer,omitempty"`
	Increment   float64  `json:"increment"`
	// StartTolerance is the configured tolerance, Tolerance the one
	// reached (energy-aware), Saturated the layers that cannot be pruned
	// further within it.
	StartTolerance float64  `json:"start_tolerance"`
	Tolerance      float64  `json:"tolerance"`
	Saturated      []string `json:"saturated,omitempty"`
	// Level is the sparsity magnitude weight pruning has masked to.
	Level float64     `json:"level,omitempty"`
	Model string      `json:"model"`
	Steps []stateStep `json:"steps"`
	Kept  []stateKept `json:"kept,omitempty"`
}

// stateStep is a Step whose accuracy may be NaN (no test set): JSON has
// no NaN, so it is null.
type stateStep struct {
	Step
	Accuracy *float64 `json:"accuracy"`
}

type stateKept struct {
	Target  string    `json:"target"`
	Reached bool      `json:"reached"`
	Pruned  stateStep `json:"pruned"`
	Model   string    `json:"model"`
}

func toState(s Step) stateStep {
	out := stateStep{Step: s}
	if !math.IsNaN(s.Accuracy) {
		a := s.Accuracy
		out.Accuracy = &a
	}
	return out
}

func (s stateStep) step() Step {
	out := s.Step
	out.Accuracy = math.NaN()
	if s.Accuracy != nil {
		out.Accuracy = *s.Accuracy
	}
	return out
}

func targetNames(ts []Target) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.String())
	}
	return out
}

// identity returns the state of run r with only the fields that identify
// it (its start and options) filled.
func (r *run) identity() state {
	return state{Version: checkpointVersion, Start: r.start, Method: r.cfg.Method.String(), Granularity: r.cfg.Granularity.String(),
		Target: r.cfg.Target.String(), Milestones: targetNames(r.cfg.Milestones), PerLayer: r.cfg.PerLayer,
		Increment: r.cfg.Increment, StartTolerance: r.cfg.Tolerance}
}

// save writes the checkpoint of the steps recorded so far.
func (r *run) save() error {
	dir := r.cfg.Checkpoint
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("prune: checkpoint: %w", err)
	}
	st := r.identity()
	st.Tolerance, st.Level = r.tol, r.level
	st.Saturated = slices.Sorted(func(yield func(string) bool) {
		for n, ok := range r.saturated {
			if ok && !yield(n) {
				return
			}
		}
	})
	last := len(r.res.Steps) - 1
	st.Model = fmt.Sprintf("model-%d.nnw", last)
	if err := nn.SaveFile(filepath.Join(dir, st.Model), r.m); err != nil {
		return fmt.Errorf("prune: checkpoint: %w", err)
	}
	for _, s := range r.res.Steps {
		st.Steps = append(st.Steps, toState(s))
	}
	for i, k := range r.kept {
		name := fmt.Sprintf("kept-%d.nnw", i)
		if i >= r.keptSaved {
			if err := nn.SaveFile(filepath.Join(dir, name), k.Model); err != nil {
				return fmt.Errorf("prune: checkpoint: %w", err)
			}
			r.keptSaved = i + 1
		}
		st.Kept = append(st.Kept, stateKept{Target: k.Target.String(), Reached: k.Reached, Pruned: toState(k.Pruned), Model: name})
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("prune: checkpoint: %w", err)
	}
	if err := outfile.WriteFile(filepath.Join(dir, checkpointState), b); err != nil {
		return fmt.Errorf("prune: checkpoint: %w", err)
	}
	if r.savedModel != "" && r.savedModel != st.Model {
		os.Remove(filepath.Join(dir, r.savedModel))
	}
	r.savedModel = st.Model
	return nil
}

// HasCheckpoint reports whether dir holds a pruning checkpoint.
func HasCheckpoint(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, checkpointState))
	return err == nil
}

// restore loads the checkpoint in dir into r, which must be the run it
// was written by (the same start model and options).
func (r *run) restore(dir string) error {
	path := filepath.Join(dir, checkpointState)
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("prune: resume: %w", err)
	}
	var st state
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		return fmt.Errorf("prune: resume: %s: %w", path, err)
	}
	if st.Version != checkpointVersion {
		return fmt.Errorf("prune: resume: %s: version %d, want %d", path, st.Version, checkpointVersion)
	}
	want := r.identity()
	var differ []string
	for _, d := range []struct {
		name      string
		got, want any
	}{{"start model", st.Start, want.Start}, {"method", st.Method, want.Method}, {"granularity", st.Granularity, want.Granularity},
		{"target", st.Target, want.Target}, {"milestones", strings.Join(st.Milestones, ","), strings.Join(want.Milestones, ",")},
		{"per-layer", st.PerLayer, want.PerLayer}, {"increment", st.Increment, want.Increment},
		{"tolerance", st.StartTolerance, want.StartTolerance}} {
		if d.got != d.want {
			differ = append(differ, fmt.Sprintf("%s %v, this run's %v", d.name, d.got, d.want))
		}
	}
	if len(differ) > 0 {
		return fmt.Errorf("prune: resume: %s is another run's: %s", dir, strings.Join(differ, "; "))
	}
	if len(st.Steps) == 0 || !(st.Tolerance > 0) || len(st.Kept) > len(r.cfg.Milestones) {
		return fmt.Errorf("prune: resume: %s: %d steps, tolerance %v, %d models kept: not a run's state", path, len(st.Steps), st.Tolerance, len(st.Kept))
	}
	load := func(name string) (*nn.Model, error) {
		if name != filepath.Base(name) || !strings.HasSuffix(name, ".nnw") {
			return nil, fmt.Errorf("prune: resume: %s: model file %q", path, name)
		}
		return nn.LoadFile(filepath.Join(dir, name))
	}
	if r.m, err = load(st.Model); err != nil {
		return err
	}
	r.res.Steps = nil
	for _, s := range st.Steps {
		r.res.Steps = append(r.res.Steps, s.step())
	}
	r.kept = nil
	for i, k := range st.Kept {
		m, err := load(k.Model)
		if err != nil {
			return err
		}
		if k.Target != r.cfg.Milestones[i].String() {
			return fmt.Errorf("prune: resume: %s: model %d kept at %s, want %s", path, i, k.Target, r.cfg.Milestones[i])
		}
		r.kept = append(r.kept, TargetResult{Target: r.cfg.Milestones[i], Reached: k.Reached, Pruned: k.Pruned.step(), Model: m})
	}
	r.keptSaved = len(r.kept)
	r.tol, r.level = st.Tolerance, st.Level
	r.saturated = map[string]bool{}
	for _, n := range st.Saturated {
		r.saturated[n] = true
	}
	r.savedModel = st.Model
	return nil
}
