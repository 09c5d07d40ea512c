package sweep

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/nnergy/nnergy/arch"
)

// JobOptions say how K8sJob runs a sweep's shards.
type JobOptions struct {
	// Image is the container image holding the nnergy binary as its
	// entrypoint (required).
	Image string
	// Parallelism is how many shards run at once (at least 1).
	Parallelism int
	// Completions is the number of shards; 0 chooses
	// DefaultCompletionsPerPod × Parallelism, at most the number of points.
	Completions int
	// Secret names the Kubernetes secret whose key SecretKey holds the
	// store's DSN (a postgres:// URL).
	Secret, SecretKey string
	// BackoffLimitPerIndex is how often a shard is retried; MaxFailedIndexes
	// how many shards may fail before the Job does (0: a tenth of the
	// completions, at least 1).
	BackoffLimitPerIndex, MaxFailedIndexes int
}

// DefaultCompletionsPerPod is how many shards K8sJob makes per pod that
// runs at once: many small shards balance the load (a shard of slow points
// does not hold up the Job) and make a retry cheap.
const DefaultCompletionsPerPod = 20

// ConfigMapLimit is the size a ConfigMap may hold, bytes.
const ConfigMapLimit = 1 << 20

// The paths in a Job's pods.
const (
	jobDir        = "/sweep"
	jobStoreEnv   = "NNERGY_STORE"
	jobMaxNameLen = 52 // Job names above 52 characters lose the pods' index label
)

// Completions returns the number of shards K8sJob makes under o.
func (s *Sweep) Completions(o JobOptions) int {
	if o.Completions > 0 {
		return o.Completions
	}
	return max(1, min(DefaultCompletionsPerPod*o.Parallelism, len(s.Points)))
}

// K8sJob returns a Kubernetes manifest that runs the sweep's shards: a
// ConfigMap holding the sweep file and the files it names beside it, and an
// Indexed Job of Completions shards, Parallelism at a time, each pod
// running nnergy sweep --shards N with its index from JOB_COMPLETION_INDEX
// against the store whose DSN the secret holds, retried per index. Its init
// container runs nnergy runs init, which creates or migrates the schema
// under an advisory lock: the first pod does it, the others find it done.
// docs/scale-out.md describes the manifest.
func (s *Sweep) K8sJob(o JobOptions) ([]byte, error) {
	switch {
	case o.Image == "":
		return nil, fmt.Errorf("sweep: a Kubernetes Job needs the image that holds nnergy")
	case o.Parallelism < 1:
		return nil, fmt.Errorf("sweep: a Kubernetes Job needs a parallelism of at least 1, got %d", o.Parallelism)
	case o.Completions < 0:
		return nil, fmt.Errorf("sweep: completions must not be negative, got %d", o.Completions)
	case o.Secret == "" || o.SecretKey == "":
		return nil, fmt.Errorf("sweep: a Kubernetes Job needs the secret and key that hold the store's DSN")
	case o.BackoffLimitPerIndex < 0 || o.MaxFailedIndexes < 0:
		return nil, fmt.Errorf("sweep: retries and failed indexes must not be negative")
	}
	files, err := s.jobFiles()
	if err != nil {
		return nil, err
	}
	name := jobName(s.Name)
	n := s.Completions(o)
	maxFailed := o.MaxFailedIndexes
	if maxFailed == 0 {
		maxFailed = max(1, n/10)
	}
	cm := configMap{APIVersion: "v1", Kind: "ConfigMap", Metadata: meta{Name: name, Labels: jobLabels(s.Name)}}
	var items []keyPath
	for _, f := range files {
		if utf8.Valid(f.data) {
			if cm.Data == nil {
				cm.Data = map[string]string{}
			}
			cm.Data[f.key] = string(f.data)
		} else {
			if cm.BinaryData == nil {
				cm.BinaryData = map[string]string{}
			}
			cm.BinaryData[f.key] = base64.StdEncoding.EncodeToString(f.data)
		}
		items = append(items, keyPath{Key: f.key, Path: f.path})
	}
	env := []envVar{{Name: jobStoreEnv, ValueFrom: &envSource{SecretKeyRef: secretKeyRef{Name: o.Secret, Key: o.SecretKey}}}}
	mount := []volumeMount{{Name: "sweep", MountPath: jobDir, ReadOnly: true}}
	sweepPath := jobDir + "/" + files[0].path
	job := job{APIVersion: "batch/v1", Kind: "Job", Metadata: meta{Name: name, Labels: jobLabels(s.Name)},
		Spec: jobSpec{CompletionMode: "Indexed", Completions: n, Parallelism: min(o.Parallelism, n),
			BackoffLimitPerIndex: o.BackoffLimitPerIndex, MaxFailedIndexes: maxFailed,
			Template: podTemplate{Metadata: meta{Labels: jobLabels(s.Name)}, Spec: podSpec{RestartPolicy: "Never",
				InitContainers: []container{{Name: "schema", Image: o.Image, Args: []string{"runs", "init"}, Env: env}},
				Containers: []container{{Name: "shard", Image: o.Image, WorkingDir: jobDir,
					Args:         []string{"sweep", sweepPath, "--shards", fmt.Sprint(n), "--progress", "never", "--format", "csv"},
					Env:          env,
					VolumeMounts: mount,
					Resources:    &resources{Requests: map[string]string{"cpu": "1", "memory": "1Gi"}, Limits: map[string]string{"cpu": "1"}}}},
				Volumes: []volume{{Name: "sweep", ConfigMap: configMapVolume{Name: name, Items: items}}}}}}}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Written by nnergy sweep %s --emit-k8s-job: sweep %s, %d points in %d shards, %d at a time.\n",
		files[0].path, s.Name, len(s.Points), n, job.Spec.Parallelism)
	fmt.Fprintf(&b, "# The secret %s must hold the PostgreSQL store's DSN under the key %s. After the Job completes:\n", o.Secret, o.SecretKey)
	fmt.Fprintf(&b, "#   NNERGY_STORE=postgres://... nnergy sweep %s --collect --shards %d\n", files[0].path, n)
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	for _, doc := range []any{cm, job} {
		if err := enc.Encode(doc); err != nil {
			return nil, fmt.Errorf("sweep: the Kubernetes manifest: %v", err)
		}
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("sweep: the Kubernetes manifest: %v", err)
	}
	return b.Bytes(), nil
}

// jobFile is a file of the ConfigMap: its key, its path under jobDir and
// its contents.
type jobFile struct {
	key, path string
	data      []byte
}

var keyBadRE = regexp.MustCompile(`[^-._a-zA-Z0-9]`)

// jobFiles returns the sweep file (first) and the files it names, with
// their paths relative to its directory: each must lie in it or below.
func (s *Sweep) jobFiles() ([]jobFile, error) {
	dir := filepath.Dir(s.File)
	data, err := os.ReadFile(s.File)
	if err != nil {
		return nil, fmt.Errorf("sweep: %v", err)
	}
	files := []jobFile{{key: "sweep.yaml", path: filepath.Base(s.File), data: data}}
	var refs []string
	if !slices.Contains(arch.Presets(), s.ArchRef) {
		refs = append(refs, s.ArchRef)
	}
	for _, w := range s.Workloads {
		if isModelFile(w.Model) && !slices.Contains(refs, w.Model) {
			refs = append(refs, w.Model)
		}
	}
	size := len(data)
	for _, r := range refs {
		rel := filepath.ToSlash(filepath.Clean(r))
		if filepath.IsAbs(r) || rel == ".." || strings.HasPrefix(rel, "../") {
			return nil, fmt.Errorf("sweep: %s names %s, outside its directory: the Job's ConfigMap holds the sweep file and the files beside it or below (copy it there, or name it in an image of your own)", s.File, r)
		}
		data, err := os.ReadFile(filepath.Join(dir, r))
		if err != nil {
			return nil, fmt.Errorf("sweep: %v", err)
		}
		size += len(data)
		key := keyBadRE.ReplaceAllString(strings.ReplaceAll(rel, "/", "."), "_")
		for _, f := range files {
			if f.key == key {
				key = fmt.Sprintf("f%d.%s", len(files), key)
			}
		}
		files = append(files, jobFile{key: key, path: rel, data: data})
	}
	if size > ConfigMapLimit {
		return nil, fmt.Errorf("sweep: the sweep file and the files it names hold %d bytes, more than a ConfigMap's %d: build them into the image", size, ConfigMapLimit)
	}
	return files, nil
}

var nameBadRE = regexp.MustCompile(`[^a-z0-9-]+`)

// jobName is a DNS label of the sweep's name, for the Job and ConfigMap.
func jobName(sweep string) string {
	n := strings.Trim(nameBadRE.ReplaceAllString(strings.ToLower(sweep), "-"), "-")
	n = strings.TrimRight(("nnergy-sweep-" + n)[:min(jobMaxNameLen, len("nnergy-sweep-"+n))], "-")
	return n
}

func jobLabels(sweep string) map[string]string {
	return map[string]string{"app.kubernetes.io/name": "nnergy", "app.kubernetes.io/component": "sweep",
		"nnergy.dev/sweep": strings.Trim(nameBadRE.ReplaceAllString(strings.ToLower(sweep), "-"), "-")}
}

// The manifest's types: the fields of the Kubernetes API that K8sJob
// writes, in its order.
type (
	meta struct {
		Name   string            `yaml:"name,omitempty"`
		Labels map[string]string `yaml:"labels,omitempty"`
	}
	configMap struct {
		APIVersion string            `yaml:"apiVersion"`
		Kind       string            `yaml:"kind"`
		Metadata   meta              `yaml:"metadata"`
		Data       map[string]string `yaml:"data,omitempty"`
		BinaryData map[string]string `yaml:"binaryData,omitempty"`
	}
	job struct {
		APIVersion string  `yaml:"apiVersion"`
		Kind       string  `yaml:"kind"`
		Metadata   meta    `yaml:"metadata"`
		Spec       jobSpec `yaml:"spec"`
	}
	jobSpec struct {
		CompletionMode       string      `yaml:"completionMode"`
		Completions          int         `yaml:"completions"`
		Parallelism          int         `yaml:"parallelism"`
		BackoffLimitPerIndex int         `yaml:"backoffLimitPerIndex"`
		MaxFailedIndexes     int         `yaml:"maxFailedIndexes"`
		Template             podTemplate `yaml:"template"`
	}
	podTemplate struct {
		Metadata meta    `yaml:"metadata"`
		Spec     podSpec `yaml:"spec"`
	}
	podSpec struct {
		RestartPolicy  string      `yaml:"restartPolicy"`
		InitContainers []container `yaml:"initContainers"`
		Containers     []container `yaml:"containers"`
		Volumes        []volume    `yaml:"volumes"`
	}
	container struct {
		Name         string        `yaml:"name"`
		Image        string        `yaml:"image"`
		WorkingDir   string        `yaml:"workingDir,omitempty"`
		Args         []string      `yaml:"args"`
		Env          []envVar      `yaml:"env"`
		VolumeMounts []volumeMount `yaml:"volumeMounts,omitempty"`
		Resources    *resources    `yaml:"resources,omitempty"`
	}
	envVar struct {
		Name      string     `yaml:"name"`
		ValueFrom *envSource `yaml:"valueFrom,omitempty"`
	}
	envSource struct {
		SecretKeyRef secretKeyRef `yaml:"secretKeyRef"`
	}
	secretKeyRef struct {
		Name string `yaml:"name"`
		Key  string `yaml:"key"`
	}
	volumeMount struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
		ReadOnly  bool   `yaml:"readOnly"`
	}
	resources struct {
		Requests map[string]string `yaml:"requests"`
		Limits   map[string]string `yaml:"limits"`
	}
	volume struct {
		Name      string          `yaml:"name"`
		ConfigMap configMapVolume `yaml:"configMap"`
	}
	configMapVolume struct {
		Name  string    `yaml:"name"`
		Items []keyPath `yaml:"items"`
	}
	keyPath struct {
		Key  string `yaml:"key"`
		Path string `yaml:"path"`
	}
)
