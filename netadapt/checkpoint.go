package netadapt

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/nnergy/nnergy/internal/outfile"
	"github.com/nnergy/nnergy/measure"
	"github.com/nnergy/nnergy/nn"
)

// The files of a checkpoint directory.
const (
	checkpointModel = "model.nnw"
	checkpointState = "state.json"
)

// state is what a checkpoint holds besides the model.
type state struct {
	Version  int     `json:"version"`
	Next     int     `json:"next_iteration"`
	Seed     uint64  `json:"seed"`
	Accuracy float64 `json:"accuracy"`
	Resource float64 `json:"resource"`
	Result   *Result `json:"result"`
}

// save writes the current model and history to the checkpoint directory,
// the model first and each file through a rename, so that a crash leaves
// the previous checkpoint or the new one.
func (r *run) save(next int) error {
	dir := r.cfg.Checkpoint
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("netadapt: checkpoint: %w", err)
	}
	st := state{Version: 1, Next: next, Seed: r.cfg.Seed, Accuracy: r.acc, Resource: r.cur, Result: r.res}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("netadapt: checkpoint: %w", err)
	}
	tmpModel := filepath.Join(dir, checkpointModel+".tmp")
	if err := nn.SaveFile(tmpModel, r.m); err != nil {
		return fmt.Errorf("netadapt: checkpoint: %w", err)
	}
	tmpState := filepath.Join(dir, checkpointState+".tmp")
	if err := outfile.WriteFile(tmpState, append(b, '\n')); err != nil {
		return fmt.Errorf("netadapt: checkpoint: %w", err)
	}
	if err := os.Rename(tmpModel, filepath.Join(dir, checkpointModel)); err != nil {
		return fmt.Errorf("netadapt: checkpoint: %w", err)
	}
	if err := os.Rename(tmpState, filepath.Join(dir, checkpointState)); err != nil {
		return fmt.Errorf("netadapt: checkpoint: %w", err)
	}
	return nil
}

// ResumeBudget checks a checkpointed run's result and seed against the
// metric and seed of the run that resumes it, and returns the budget to
// resume with: the checkpoint's, absolute. A result with numbers no run
// writes (a negative resource, an accuracy outside [0, 1]) is refused.
// [Prepared.CheckResume] checks the rest of a setup against a checkpoint.
func ResumeBudget(res *Result, seed uint64, metric measure.Metric, runSeed uint64) (Budget, error) {
	if err := checkResult(res); err != nil {
		return Budget{}, fmt.Errorf("netadapt: resume: the checkpoint's numbers are not a run's: %w", err)
	}
	m, err := measure.ParseMetric(res.Metric)
	if err != nil {
		return Budget{}, fmt.Errorf("netadapt: resume: %w", err)
	}
	if m != metric {
		return Budget{}, fmt.Errorf("netadapt: resume: the checkpoint's budget is on %s, not %s", m, metric)
	}
	if seed != runSeed {
		return Budget{}, fmt.Errorf("netadapt: resume: the checkpoint's seed is %d, not %d", seed, runSeed)
	}
	return Budget{Metric: m, Absolute: res.Budget}, nil
}

// Resume continues the run checkpointed in dir with cfg, which must have
// the checkpoint's metric and seed (and, for the same result as an
// uninterrupted run, its measurer and tuner). The budget, the schedule and
// the history come from the checkpoint; cfg.Budget's value, InitReduction
// and Decay are ignored. Checkpoints keep being written to cfg.Checkpoint
// (default dir).
func Resume(ctx context.Context, dir string, cfg Config) (*Result, error) {
	b, err := os.ReadFile(filepath.Join(dir, checkpointState))
	if err != nil {
		return nil, fmt.Errorf("netadapt: resume: %w", err)
	}
	var st state
	if err := DecodeState(b, &st); err != nil {
		return nil, fmt.Errorf("netadapt: resume: %s: %w", filepath.Join(dir, checkpointState), err)
	}
	if st.Version != 1 || st.Result == nil || st.Next < 1 {
		return nil, fmt.Errorf("netadapt: resume: %s is not a netadapt checkpoint", filepath.Join(dir, checkpointState))
	}
	if cfg.Budget, err = ResumeBudget(st.Result, st.Seed, cfg.Budget.Metric, cfg.Seed); err != nil {
		return nil, err
	}
	if cfg.Checkpoint == "" {
		cfg.Checkpoint = dir
	}
	r, err := newRun(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if r.m, err = nn.LoadFile(filepath.Join(dir, checkpointModel)); err != nil {
		return nil, fmt.Errorf("netadapt: resume: %w", err)
	}
	r.res, r.next, r.acc, r.cur = st.Result, st.Next, st.Accuracy, st.Resource
	r.res.Stop = ""
	return r.loop()
}

// DecodeState decodes a checkpoint's state.json into v strictly: an unknown
// field or a key given twice is an error (encoding/json alone takes the last
// of two and drops unknown ones, so a hand-edited checkpoint resumed from
// numbers it does not show). NetAdaptV2's checkpoints are read with it too.
func DecodeState(b []byte, v any) error {
	if err := checkKeys(json.NewDecoder(bytes.NewReader(b)), ""); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("data after the JSON object at byte %d", dec.InputOffset())
	}
	return nil
}

// checkKeys reads one JSON value from dec and reports the first key that an
// object in it gives twice, by its path.
func checkKeys(dec *json.Decoder, path string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return err
			}
			key, _ := k.(string)
			if seen[key] {
				return fmt.Errorf("duplicate key %q%s at byte %d", key, map[bool]string{true: "", false: " in " + path}[path == ""], dec.InputOffset())
			}
			seen[key] = true
			if err := checkKeys(dec, path+"."+key); err != nil {
				return err
			}
		}
		_, err = dec.Token()
		return err
	case json.Delim('['):
		for i := 0; dec.More(); i++ {
			if err := checkKeys(dec, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		_, err = dec.Token()
		return err
	}
	return nil
}
