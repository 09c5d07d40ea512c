package nn

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"

	"github.com/nnergy/nnergy/internal/outfile"
)

// A training checkpoint is one file, CheckpointFile in the directory
// TrainConfig.Checkpoint names, written through a temporary file and a
// rename, so that a crash leaves the previous checkpoint or the new one:
//
//	magic    "NNERGYTC"
//	version  uint32, little endian (1)
//	slen     uint32: length of the state
//	state    JSON: the run's setup, where it stopped, the shuffling
//	         generator's state and the epochs' events so far
//	mlen     uint32: length of the model
//	model    the model in the native format (see Save)
//	opt      the optimizer's state: per parameter, in Model.Params order,
//	         a uint64 step count and a uint32 count n of float32 values,
//	         then the n values (SGD: the velocity; Adam: the first
//	         moments, then the second)
//	crc      uint32: CRC-32 (IEEE) of everything before it
const (
	checkpointMagic   = "NNERGYTC"
	checkpointVersion = 1
	// CheckpointFile is the name of the file a training checkpoint is
	// written to in its directory.
	CheckpointFile = "train.ckpt"
)

// ErrCheckpoint is wrapped by every error about a malformed training
// checkpoint.
var ErrCheckpoint = errors.New("not an nnergy training checkpoint")

// trainSetup is what a resumed run must share with the run it continues
// to give the same result as an uninterrupted one.
type trainSetup struct {
	Start     string `json:"start"` // digest of the model training began from
	TrainSet  string `json:"train_set"`
	Images    int    `json:"images"`
	TestSet   string `json:"test_set,omitempty"`
	Epochs    int    `json:"epochs"`
	Batch     int    `json:"batch"`
	Optimizer string `json:"optimizer"`
	Schedule  string `json:"schedule"`
	Seed      uint64 `json:"seed"`
	Workers   int    `json:"workers"`
	EvalBatch int    `json:"eval_batch"`
}

// trainState is the state of a checkpoint: where the run stopped, between
// two steps.
type trainState struct {
	Setup trainSetup `json:"setup"`
	// Epoch is the epoch under way (1-based) and Step the number of its
	// steps done; Pass the number of training passes done in all (the
	// dropout masks' counter).
	Epoch int    `json:"epoch"`
	Step  int    `json:"step"`
	Pass  uint64 `json:"pass"`
	// RNG is the shuffling generator's state at the start of the epoch,
	// before it drew the epoch's order.
	RNG []byte `json:"rng"`
	// LossBits is the sum, over the epoch's images so far, of their loss,
	// as the bits of a float64 (a diverging run's NaN survives).
	LossBits uint64  `json:"loss_bits"`
	History  []Event `json:"history"`
}

// TrainProgress says where a checkpoint stands.
type TrainProgress struct {
	Epoch, Epochs int // the epoch under way (1-based) and the run's epochs
	Step, Steps   int // the steps of that epoch done, and its steps
}

// optimizerName describes an optimizer with its settings, for a checkpoint
// to refuse another; ok is false for optimizers a checkpoint cannot hold.
func optimizerName(o Optimizer) (string, bool) {
	switch o := o.(type) {
	case *SGD:
		return fmt.Sprintf("sgd momentum %v weight decay %v nesterov %v", o.Momentum, o.WeightDecay, o.Nesterov), true
	case *Adam:
		return fmt.Sprintf("adam beta1 %v beta2 %v eps %v weight decay %v decoupled %v", o.Beta1, o.Beta2, o.Eps, o.WeightDecay, o.Decoupled), true
	}
	return "", false
}

// scheduleName describes a learning-rate schedule with its settings.
func scheduleName(s Schedule) string {
	return fmt.Sprintf("%T%+v", s, s)
}

// appendOptimizer appends the optimizer's state for params.
func appendOptimizer(b []byte, o Optimizer, params []*Param) []byte {
	put := func(t int, vs ...[]float32) {
		n := 0
		for _, v := range vs {
			n += len(v)
		}
		b = binary.LittleEndian.AppendUint64(b, uint64(t))
		b = binary.LittleEndian.AppendUint32(b, uint32(n))
		for _, v := range vs {
			for _, x := range v {
				b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
			}
		}
	}
	for _, p := range params {
		switch o := o.(type) {
		case *SGD:
			put(0, o.vel[p])
		case *Adam:
			if len(o.m[p]) == len(p.Data) {
				put(o.t[p], o.m[p], o.v[p])
			} else {
				put(0)
			}
		}
	}
	return b
}

// readOptimizer sets the optimizer's state for params from b, which
// appendOptimizer wrote.
func readOptimizer(b []byte, o Optimizer, params []*Param) error {
	type entry struct {
		t int
		v []float32
	}
	entries := make([]entry, len(params))
	for i, p := range params {
		if len(b) < 12 {
			return fmt.Errorf("optimizer state ends at parameter %d of %d", i, len(params))
		}
		t, n := binary.LittleEndian.Uint64(b), int(binary.LittleEndian.Uint32(b[8:]))
		b = b[12:]
		want := []int{0, len(p.Data)}
		if _, ok := o.(*Adam); ok {
			want[1] *= 2
		}
		if n != want[0] && n != want[1] {
			return fmt.Errorf("optimizer state of parameter %d has %d values, want %d or 0", i, n, want[1])
		}
		if _, adam := o.(*Adam); t > math.MaxInt32 || adam && (n == 0) != (t == 0) || !adam && t != 0 {
			return fmt.Errorf("optimizer state of parameter %d: step count %d with %d values", i, t, n)
		}
		if len(b) < 4*n {
			return fmt.Errorf("optimizer state ends in parameter %d", i)
		}
		v := make([]float32, n)
		for k := range v {
			v[k] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*k:]))
		}
		b = b[4*n:]
		entries[i] = entry{int(t), v}
	}
	if len(b) != 0 {
		return fmt.Errorf("%d bytes after the optimizer state", len(b))
	}
	switch o := o.(type) {
	case *SGD:
		o.vel = map[*Param][]float32{}
		for i, p := range params {
			if len(entries[i].v) > 0 {
				o.vel[p] = entries[i].v
			}
		}
	case *Adam:
		o.m, o.v, o.t = map[*Param][]float32{}, map[*Param][]float32{}, map[*Param]int{}
		for i, p := range params {
			if v := entries[i].v; len(v) > 0 {
				o.m[p], o.v[p], o.t[p] = v[:len(p.Data)], v[len(p.Data):], entries[i].t
			}
		}
	}
	return nil
}

// encodeCheckpoint returns the checkpoint file of a run.
func encodeCheckpoint(st *trainState, m *Model, o Optimizer) ([]byte, error) {
	sj, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("nn: checkpoint: %w", err)
	}
	var mb bytes.Buffer
	if err := Save(&mb, m); err != nil {
		return nil, fmt.Errorf("nn: checkpoint: %w", err)
	}
	b := append([]byte(checkpointMagic), 0, 0, 0, 0)
	binary.LittleEndian.PutUint32(b[len(checkpointMagic):], checkpointVersion)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(sj)))
	b = append(b, sj...)
	b = binary.LittleEndian.AppendUint32(b, uint32(mb.Len()))
	b = append(b, mb.Bytes()...)
	b = appendOptimizer(b, o, m.Params())
	return binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(b)), nil
}

// decodedCheckpoint is a checkpoint file read back: the state, the model
// and the optimizer's state, still encoded (it is read into an optimizer
// of the resumed run's).
type decodedCheckpoint struct {
	state trainState
	model *Model
	opt   []byte
}

// decodeCheckpoint reads a checkpoint file that encodeCheckpoint wrote.
func decodeCheckpoint(all []byte) (*decodedCheckpoint, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrCheckpoint, fmt.Sprintf(format, a...))
	}
	if len(all) < len(checkpointMagic)+12 || string(all[:len(checkpointMagic)]) != checkpointMagic {
		return nil, bad("bad magic")
	}
	body, sum := all[:len(all)-4], binary.LittleEndian.Uint32(all[len(all)-4:])
	if v := binary.LittleEndian.Uint32(body[8:]); v != checkpointVersion {
		return nil, bad("version %d (this build reads %d)", v, checkpointVersion)
	}
	if crc32.ChecksumIEEE(body) != sum {
		return nil, bad("checksum mismatch (truncated or corrupt)")
	}
	rest := body[12:]
	part := func(what string) ([]byte, error) {
		if len(rest) < 4 {
			return nil, bad("ends before the %s", what)
		}
		n := binary.LittleEndian.Uint32(rest)
		if uint64(n) > uint64(len(rest)-4) {
			return nil, bad("%s of %d bytes, %d left", what, n, len(rest)-4)
		}
		p := rest[4 : 4+n]
		rest = rest[4+n:]
		return p, nil
	}
	sj, err := part("state")
	if err != nil {
		return nil, err
	}
	mb, err := part("model")
	if err != nil {
		return nil, err
	}
	d := &decodedCheckpoint{opt: rest}
	dec := json.NewDecoder(bytes.NewReader(sj))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d.state); err != nil {
		return nil, bad("state: %v", err)
	}
	if dec.More() {
		return nil, bad("state: data after the JSON object")
	}
	if err := d.state.check(); err != nil {
		return nil, bad("state: %v", err)
	}
	if d.model, err = Load(bytes.NewReader(mb)); err != nil {
		return nil, bad("model: %v", err)
	}
	return d, nil
}

// check refuses numbers no run writes.
func (st *trainState) check() error {
	s := st.Setup
	switch {
	case s.Epochs < 1 || s.Batch < 1 || s.Images < 1 || s.Workers < 1:
		return fmt.Errorf("setup: epochs %d, batch %d, images %d, workers %d: each must be at least 1", s.Epochs, s.Batch, s.Images, s.Workers)
	case st.Epoch < 1 || st.Epoch > s.Epochs+1:
		return fmt.Errorf("epoch %d outside 1..%d", st.Epoch, s.Epochs+1)
	case st.Step < 0 || st.Step > (s.Images+s.Batch-1)/s.Batch:
		return fmt.Errorf("step %d outside 0..%d", st.Step, (s.Images+s.Batch-1)/s.Batch)
	case len(st.History) != st.Epoch-1:
		return fmt.Errorf("%d epochs in the history, want %d", len(st.History), st.Epoch-1)
	}
	return new(rand.PCG).UnmarshalBinary(st.RNG)
}

// ReadCheckpoint reads the training checkpoint in dir and reports where it
// stands.
func ReadCheckpoint(dir string) (TrainProgress, error) {
	d, err := readCheckpointFile(dir)
	if err != nil {
		return TrainProgress{}, err
	}
	s := d.state.Setup
	return TrainProgress{Epoch: d.state.Epoch, Epochs: s.Epochs, Step: d.state.Step, Steps: (s.Images + s.Batch - 1) / s.Batch}, nil
}

func readCheckpointFile(dir string) (*decodedCheckpoint, error) {
	path := filepath.Join(dir, CheckpointFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("nn: resume: %w", err)
	}
	d, err := decodeCheckpoint(b)
	if err != nil {
		return nil, fmt.Errorf("nn: resume: %s: %w", path, err)
	}
	return d, nil
}

// writeCheckpoint writes the run's checkpoint to dir.
func writeCheckpoint(dir string, st *trainState, m *Model, o Optimizer) error {
	b, err := encodeCheckpoint(st, m, o)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("nn: checkpoint: %w", err)
	}
	if err := outfile.WriteFile(filepath.Join(dir, CheckpointFile), b); err != nil {
		return fmt.Errorf("nn: checkpoint: %w", err)
	}
	return nil
}

// differences lists, by field, where a resumed run's setup differs from
// the checkpoint's.
func (s trainSetup) differences(run trainSetup) []error {
	var errs []error
	a, b := reflect.ValueOf(s), reflect.ValueOf(run)
	for i := range a.NumField() {
		if x, y := a.Field(i).Interface(), b.Field(i).Interface(); x != y {
			name := a.Type().Field(i).Tag.Get("json")
			if name == "start" {
				errs = append(errs, fmt.Errorf("the checkpoint's run started from another model (digest %.12s, not %.12s)", x, y))
				continue
			}
			if j := bytes.IndexByte([]byte(name), ','); j >= 0 {
				name = name[:j]
			}
			errs = append(errs, fmt.Errorf("the checkpoint's %s is %v, not %v", name, x, y))
		}
	}
	return errs
}
