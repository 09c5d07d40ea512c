package sweep

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/nnergy/nnergy/internal/golden"
)

// TestK8sJobGolden holds the manifest of the GLB/RF example sweep to a
// golden file.
func TestK8sJobGolden(t *testing.T) {
	s, err := Load("../examples/sweeps/glb-rf.yaml")
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.K8sJob(JobOptions{Image: "ghcr.io/nnergy/nnergy:v0.1.0", Parallelism: 2, Completions: 10, Secret: "nnergy-store", SecretKey: "dsn", BackoffLimitPerIndex: 3})
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "testdata/k8s-job.golden.yaml", b)
}

// TestK8sJob parses the manifest back as YAML and checks the fields a
// cluster acts on, for sweeps of preset and file architectures and
// networks.
func TestK8sJob(t *testing.T) {
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "nets"), 0o755)
	base, err := os.ReadFile("testdata/base.yaml")
	if err != nil {
		t.Fatal(err)
	}
	onnx, err := os.ReadFile("../workload/onnx/testdata/batch/cnn_b2.onnx")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "base.yaml"), base, 0o644)
	os.WriteFile(filepath.Join(dir, "nets", "enc.onnx"), onnx, 0o644)
	points := "parameters:\n  - {name: x, key: levels.RF.mesh.x, range: {from: 1, to: 14, step: 1}}\n"
	for _, tc := range []struct {
		name, src        string
		par, completions int
		wantCompletions  int
		wantFiles        []string // paths under /sweep, the sweep file first
		wantBinary       int
		wantMaxFailed    int
	}{
		{"preset", "version: 1\nname: A Preset!\narch: eyeriss\nnetworks: [lenet5]\n" + points, 3, 0, 14, []string{"s.yaml"}, 0, 1},
		{"files", "version: 1\nname: files\narch: base.yaml\nnetworks: [nets/enc.onnx, lenet5]\n" + points, 1, 0, 14, []string{"s.yaml", "base.yaml", "nets/enc.onnx"}, 1, 1},
		{"completions", "version: 1\nname: c\narch: eyeriss\nnetworks: [lenet5]\n" + points, 2, 12, 12, []string{"s.yaml"}, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(dir, "s.yaml")
			if err := os.WriteFile(file, []byte(tc.src), 0o644); err != nil {
				t.Fatal(err)
			}
			s := mustLoad(t, file)
			b, err := s.K8sJob(JobOptions{Image: "img", Parallelism: tc.par, Completions: tc.completions, Secret: "sec", SecretKey: "k"})
			if err != nil {
				t.Fatal(err)
			}
			var docs []map[string]any
			dec := yaml.NewDecoder(bytes.NewReader(b))
			for {
				var d map[string]any
				if err := dec.Decode(&d); errors.Is(err, io.EOF) {
					break
				} else if err != nil {
					t.Fatalf("the manifest is not YAML: %v\n%s", err, b)
				}
				docs = append(docs, d)
			}
			if len(docs) != 2 || docs[0]["kind"] != "ConfigMap" || docs[1]["kind"] != "Job" || docs[1]["apiVersion"] != "batch/v1" {
				t.Fatalf("want a ConfigMap and a Job, got %d documents", len(docs))
			}
			cm, job := docs[0], docs[1]
			name := get(t, job, "metadata", "name").(string)
			if get(t, cm, "metadata", "name") != name || len(name) > 52 || strings.ToLower(name) != name || strings.ContainsAny(name, " !") {
				t.Errorf("names: job %q, config map %q", name, get(t, cm, "metadata", "name"))
			}
			spec := get(t, job, "spec").(map[string]any)
			if spec["completionMode"] != "Indexed" || spec["completions"] != tc.wantCompletions || spec["parallelism"] != tc.par ||
				spec["maxFailedIndexes"] != tc.wantMaxFailed || spec["backoffLimitPerIndex"] != 0 {
				t.Errorf("job spec %v", spec)
			}
			pod := get(t, spec, "template", "spec").(map[string]any)
			if pod["restartPolicy"] != "Never" {
				t.Errorf("restart policy %v", pod["restartPolicy"])
			}
			initC := pod["initContainers"].([]any)[0].(map[string]any)
			shard := pod["containers"].([]any)[0].(map[string]any)
			if strings.Join(strs(initC["args"]), " ") != "runs init" {
				t.Errorf("init container runs %v", initC["args"])
			}
			args := strings.Join(strs(shard["args"]), " ")
			if want := "sweep /sweep/s.yaml --shards " + strconv.Itoa(tc.wantCompletions); !strings.HasPrefix(args, want) {
				t.Errorf("shard runs %q, want %q...", args, want)
			}
			for _, c := range []map[string]any{initC, shard} {
				env := c["env"].([]any)[0].(map[string]any)
				ref := get(t, env, "valueFrom", "secretKeyRef").(map[string]any)
				if c["image"] != "img" || env["name"] != "NNERGY_STORE" || ref["name"] != "sec" || ref["key"] != "k" {
					t.Errorf("container %v: image %v, env %v", c["name"], c["image"], env)
				}
			}
			vol := pod["volumes"].([]any)[0].(map[string]any)
			items := get(t, vol, "configMap", "items").([]any)
			var paths []string
			data, _ := cm["data"].(map[string]any)
			bin, _ := cm["binaryData"].(map[string]any)
			for _, it := range items {
				it := it.(map[string]any)
				paths = append(paths, it["path"].(string))
				key := it["key"].(string)
				want, _ := os.ReadFile(filepath.Join(dir, it["path"].(string)))
				if v, ok := data[key]; ok {
					if v != string(want) {
						t.Errorf("config map %s differs from %s", key, it["path"])
					}
				} else if v, err := base64.StdEncoding.DecodeString(bin[key].(string)); err != nil || !bytes.Equal(v, want) {
					t.Errorf("binary config map %s differs from %s", key, it["path"])
				}
			}
			if strings.Join(paths, " ") != strings.Join(tc.wantFiles, " ") || len(bin) != tc.wantBinary {
				t.Errorf("files %v (%d binary), want %v (%d)", paths, len(bin), tc.wantFiles, tc.wantBinary)
			}
		})
	}
}

func TestK8sJobErrors(t *testing.T) {
	dir := t.TempDir()
	s := mustParse(t, head+"parameters:\n  - {name: x, key: levels.RF.mesh.x, values: [2, 3]}\n")
	s.File = filepath.Join(dir, "s.yaml")
	os.WriteFile(s.File, []byte("x"), 0o644)
	good := JobOptions{Image: "i", Parallelism: 1, Secret: "s", SecretKey: "k"}
	for _, tc := range []struct {
		o    func(*JobOptions)
		want string
	}{
		{func(o *JobOptions) { o.Image = "" }, "image"},
		{func(o *JobOptions) { o.Parallelism = 0 }, "parallelism"},
		{func(o *JobOptions) { o.Completions = -1 }, "completions"},
		{func(o *JobOptions) { o.Secret = "" }, "secret"},
		{func(o *JobOptions) { o.BackoffLimitPerIndex = -1 }, "retries"},
		{func(o *JobOptions) {}, ""},
	} {
		o := good
		tc.o(&o)
		_, err := s.K8sJob(o)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%+v: %v, want an error about %q", o, err, tc.want)
		}
	}
	s.ArchRef = "../outside.yaml"
	if _, err := s.K8sJob(good); err == nil || !strings.Contains(err.Error(), "outside its directory") {
		t.Errorf("a file outside the sweep's directory: %v", err)
	}
}

func mustLoad(t *testing.T, file string) *Sweep {
	t.Helper()
	s, err := Load(file)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func get(t *testing.T, m map[string]any, path ...string) any {
	t.Helper()
	var v any = m
	for _, p := range path {
		mm, ok := v.(map[string]any)
		if !ok || mm[p] == nil {
			t.Fatalf("no %s in the manifest", strings.Join(path, "."))
		}
		v = mm[p]
	}
	return v
}

func strs(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}
