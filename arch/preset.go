package arch

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/nnergy/nnergy/internal/yamlspec"
)

//go:embed presets/*.yaml
var presetFS embed.FS

// ErrUnknown is wrapped by the error for an architecture name that is
// neither a preset nor a file.
var ErrUnknown = errors.New("unknown architecture")

// Presets returns the names of the built-in architectures, sorted.
func Presets() []string {
	entries, err := fs.ReadDir(presetFS, "presets")
	if err != nil {
		panic(err) // embedded at build time
	}
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	slices.Sort(names)
	return names
}

// PresetYAML returns the YAML source of the built-in architecture name,
// comments included.
func PresetYAML(name string) ([]byte, error) {
	if !slices.Contains(Presets(), name) {
		return nil, fmt.Errorf("arch: %w %q (presets: %s)", ErrUnknown, name, strings.Join(Presets(), ", "))
	}
	return presetFS.ReadFile(path.Join("presets", name+".yaml"))
}

// Preset returns the built-in architecture name. Its Source is
// "preset NAME".
func Preset(name string) (*Spec, error) {
	data, err := PresetYAML(name)
	if err != nil {
		return nil, err
	}
	s, err := Parse(path.Join("presets", name+".yaml"), data)
	if err != nil {
		return nil, err
	}
	s.Source = "preset " + name
	return s, nil
}

// Load returns the preset called nameOrPath or, when there is none, parses
// the YAML file at that path. A name that is neither, and does not look like
// a path (no separator, no .yaml or .yml suffix), gives an error wrapping
// ErrUnknown that lists the presets.
func Load(nameOrPath string) (*Spec, error) {
	if slices.Contains(Presets(), nameOrPath) {
		return Preset(nameOrPath)
	}
	data, err := yamlspec.ReadFile(nameOrPath)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && !looksLikePath(nameOrPath) {
			return nil, fmt.Errorf("arch: %w %q (presets: %s)", ErrUnknown, nameOrPath, strings.Join(Presets(), ", "))
		}
		return nil, fmt.Errorf("arch: %w", err)
	}
	return Parse(nameOrPath, data)
}

func looksLikePath(s string) bool {
	ext := filepath.Ext(s)
	return strings.ContainsRune(s, '/') || strings.ContainsRune(s, filepath.Separator) || ext == ".yaml" || ext == ".yml"
}
