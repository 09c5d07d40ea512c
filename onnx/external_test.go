package onnx_test

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"

	"github.com/nnergy/nnergy/internal/onnxpb"
	"github.com/nnergy/nnergy/onnx"
)

// externalModel writes dir/model.onnx with one FLOAT initializer "w" of
// dims [2, 3] whose data is in an external file described by kv (key,
// value pairs), and returns the model's path.
func externalModel(t *testing.T, dir string, kv ...string) string {
	t.Helper()
	tp := &onnxpb.TensorProto{Name: proto.String("w"), DataType: proto.Int32(int32(onnx.Float)), Dims: []int64{2, 3},
		DataLocation: onnxpb.TensorProto_EXTERNAL.Enum()}
	for i := 0; i < len(kv); i += 2 {
		tp.ExternalData = append(tp.ExternalData, &onnxpb.StringStringEntryProto{Key: proto.String(kv[i]), Value: proto.String(kv[i+1])})
	}
	path := filepath.Join(dir, "model.onnx")
	if err := os.WriteFile(path, graphModel(t, &onnxpb.GraphProto{Name: proto.String("g"), Initializer: []*onnxpb.TensorProto{tp}}), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// floatBytes returns vs as little-endian float32s after pad zero bytes.
func floatBytes(pad int, vs ...float32) []byte {
	b := make([]byte, pad, pad+4*len(vs))
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
	}
	return b
}

func TestExternalData(t *testing.T) {
	want := []float32{1, 2, 0, -4, 5, 6}
	for _, tc := range []struct {
		name  string
		files map[string][]byte // relative to the model's directory
		kv    []string
		err   string // substring; "" for success
	}{{
		name:  "whole file",
		files: map[string][]byte{"w.bin": floatBytes(0, want...)},
		kv:    []string{"location", "w.bin"},
	}, {
		name:  "offset and length in a subdirectory",
		files: map[string][]byte{"data/all.bin": append(floatBytes(8, want...), 9, 9, 9)},
		kv:    []string{"location", "data/all.bin", "offset", "8", "length", "24", "checksum", "x"},
	}, {
		name: "missing file",
		kv:   []string{"location", "nothere.bin"},
		err:  `initializer "w": external data file DIR/nothere.bin does not exist`,
	}, {
		name:  "parent directory",
		files: map[string][]byte{"w.bin": floatBytes(0, want...)},
		kv:    []string{"location", "../w.bin"},
		err:   `initializer "w": external data location "../w.bin" is outside the model's directory DIR; refused`,
	}, {
		name: "absolute path",
		kv:   []string{"location", "/etc/passwd"},
		err:  `initializer "w": external data location "/etc/passwd" is outside the model's directory DIR; refused`,
	}, {
		name:  "too short",
		files: map[string][]byte{"w.bin": floatBytes(0, 1, 2)},
		kv:    []string{"location", "w.bin"},
		err:   `initializer "w": dimensions [2 3] need 24 bytes of external data in DIR/w.bin, have 8`,
	}, {
		name:  "past the end",
		files: map[string][]byte{"w.bin": floatBytes(0, want...)},
		kv:    []string{"location", "w.bin", "offset", "4", "length", "24"},
		err:   `initializer "w": external data file DIR/w.bin: offset 4 and length 24 go past its end (24 bytes)`,
	}, {
		name:  "bad offset",
		files: map[string][]byte{"w.bin": floatBytes(0, want...)},
		kv:    []string{"location", "w.bin", "offset", "-1"},
		err:   `initializer "w": external data offset "-1" is not a non-negative integer`,
	}, {
		name:  "unknown key",
		files: map[string][]byte{"w.bin": floatBytes(0, want...)},
		kv:    []string{"location", "w.bin", "basepath", "x"},
		err:   `initializer "w": external data has an unknown key "basepath"`,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "model")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			for name, b := range tc.files {
				p := filepath.Join(dir, name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			// A file next to the model's directory, for "../w.bin".
			if err := os.WriteFile(filepath.Join(dir, "..", "w.bin"), floatBytes(0, want...), 0o644); err != nil {
				t.Fatal(err)
			}
			path := externalModel(t, dir, tc.kv...)
			m, err := onnx.ReadFile(path)
			if tc.err != "" {
				wantErr := strings.ReplaceAll(tc.err, "DIR", dir)
				if err == nil || !strings.Contains(err.Error(), wantErr) {
					t.Fatalf("got error\n%v\nwant it to contain\n%s", err, wantErr)
				}
				if !strings.HasPrefix(err.Error(), "onnx: "+path+": ") {
					t.Errorf("error %q does not name the model file", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, m.Graph.Initializers[0].Floats); diff != "" {
				t.Errorf("data (-want +got):\n%s", diff)
			}
			// Parse resolves against the directory of the name it is given.
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if m, err = onnx.Parse(path, b); err != nil || !slicesEqualF(m.Graph.Initializers[0].Floats, want) {
				t.Errorf("Parse: %v", err)
			}
		})
	}
}

// TestExternalDataSymlink: a link inside the model's directory that leads
// out of it is refused, like a "../" location.
func TestExternalDataSymlink(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "model")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(base, "secret.bin"), floatBytes(0, 1, 2, 3, 4, 5, 6), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(base, "secret.bin"), filepath.Join(dir, "w.bin")); err != nil {
		t.Skipf("cannot make a symbolic link: %v", err)
	}
	_, err := onnx.ReadFile(externalModel(t, dir, "location", "w.bin"))
	want := `external data location "w.bin" leads outside the model's directory ` + dir + `; refused`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("got error %v, want it to contain %q", err, want)
	}
}

func slicesEqualF(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestReadFileAllocations: reading a model allocates about one copy of its
// weights, not the file's bytes plus protobuf's copy of raw_data plus the
// decoded floats (3× before the decoder streamed). Bytes allocated, not
// time or peak, so the check is deterministic; BenchmarkReadFileMemory in
// package workload/onnx reports the peak.
func TestReadFileAllocations(t *testing.T) {
	m := onnx.NewModel("big")
	m.Graph.AddInitializer("w", []int64{1 << 20}, make([]float32, 1<<20)) // 4 MiB
	path := filepath.Join(t.TempDir(), "big.onnx")
	if err := onnx.WriteFile(path, m); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	got, err := onnx.ReadFile(path)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	runtime.KeepAlive(got)
	if ratio := float64(after.TotalAlloc-before.TotalAlloc) / float64(st.Size()); ratio > 1.1 {
		t.Errorf("ReadFile allocated %.2f bytes per byte of the file, want at most 1.1", ratio)
	}
}
