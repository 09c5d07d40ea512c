package timeloop

import "go.yaml.in/yaml/v3"

// fileYAML is any one Timeloop input file: each section is optional here,
// and Import checks that the files together give each one exactly once.
type fileYAML struct {
	DumpedByFrontEnd        *bool          `yaml:"dumped_by_timeloop_front_end"`
	Architecture            *archYAML      `yaml:"architecture"`
	ArchitectureConstraints *yaml.Node     `yaml:"architecture_constraints"`
	Problem                 *problemYAML   `yaml:"problem"`
	CompoundComponents      *yaml.Node     `yaml:"compound_components"`
	Components              *yaml.Node     `yaml:"components"`
	Mapping                 *[]mapLoopYAML `yaml:"mapping"`
	Mapper                  *yaml.Node     `yaml:"mapper"`
	Mapspace                *yaml.Node     `yaml:"mapspace"`
	MapspaceConstraints     *yaml.Node     `yaml:"mapspace_constraints"`
	Globals                 *yaml.Node     `yaml:"globals"`
	Variables               *yaml.Node     `yaml:"variables"`
	ERT                     *ertYAML       `yaml:"ERT"`
	ART                     *artYAML       `yaml:"ART"`
}

// archYAML is the v0.3 architecture tree: nested subtrees, each with the
// components local to it.
type archYAML struct {
	Version string        `yaml:"version"`
	Subtree []subtreeYAML `yaml:"subtree"`
	// Nodes is the v0.4 tree (!Container, !Component, !Parallel), read
	// by tree (v04.go).
	Nodes *yaml.Node `yaml:"nodes"`
}

type subtreeYAML struct {
	Name       string          `yaml:"name"`
	Attributes *yaml.Node      `yaml:"attributes"`
	Local      []componentYAML `yaml:"local"`
	Subtree    []subtreeYAML   `yaml:"subtree"`
}

type componentYAML struct {
	Name            string     `yaml:"name"`
	Class           string     `yaml:"class"`
	Attributes      *yaml.Node `yaml:"attributes"`
	RequiredActions []string   `yaml:"required_actions"`
	Enabled         *bool      `yaml:"enabled"`
	Subclass        string     `yaml:"subclass"`
}

type problemYAML struct {
	Version  string     `yaml:"version"`
	Instance *yaml.Node `yaml:"instance"`
	Shape    *shapeYAML `yaml:"shape"`
}

type shapeYAML struct {
	Name         string            `yaml:"name"`
	Dimensions   []string          `yaml:"dimensions"`
	Coefficients []coefficientYAML `yaml:"coefficients"`
	DataSpaces   []dataSpaceYAML   `yaml:"data_spaces"`
}

type coefficientYAML struct {
	Name    string `yaml:"name"`
	Default *int   `yaml:"default"`
}

type dataSpaceYAML struct {
	Name       string     `yaml:"name"`
	Projection *yaml.Node `yaml:"projection"`
	ReadWrite  *bool      `yaml:"read_write"`
}

// mapLoopYAML is one entry of a map.yaml: the loops (temporal or spatial)
// or the kept tensors (datatype) of one target level.
type mapLoopYAML struct {
	Target      string   `yaml:"target"`
	Type        string   `yaml:"type"`
	Factors     string   `yaml:"factors"`
	Permutation string   `yaml:"permutation"`
	Split       *int     `yaml:"split"`
	Keep        []string `yaml:"keep"`
	Bypass      []string `yaml:"bypass"`
}

type ertYAML struct {
	Version string         `yaml:"version"`
	Tables  []ertTableYAML `yaml:"tables"`
}

type ertTableYAML struct {
	Name    string          `yaml:"name"`
	Actions []ertActionYAML `yaml:"actions"`
}

type ertActionYAML struct {
	Name      string     `yaml:"name"`
	Arguments *yaml.Node `yaml:"arguments"`
	Energy    float64    `yaml:"energy"`
}

type artYAML struct {
	Version string         `yaml:"version"`
	Tables  []artTableYAML `yaml:"tables"`
}

type artTableYAML struct {
	Name string  `yaml:"name"`
	Area float64 `yaml:"area"`
}
