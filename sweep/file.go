package sweep

import "go.yaml.in/yaml/v3"

// The types in this file mirror the YAML sweep format one to one
// (docs/format/sweep.md). Pointers mark optional values whose absence
// matters.

// FormatVersion is the version of the sweep format that Parse reads.
const FormatVersion = 1

type fileYAML struct {
	Version     *int          `yaml:"version"`
	Name        string        `yaml:"name"`
	Description string        `yaml:"description"`
	Arch        string        `yaml:"arch"`
	Networks    []string      `yaml:"networks"`
	Batches     []int         `yaml:"batches"`
	Mapper      *mapperYAML   `yaml:"mapper"`
	Parameters  []paramYAML   `yaml:"parameters"`
	Derived     []derivedYAML `yaml:"derived"`
	Constraints []string      `yaml:"constraints"`
	ShardSeed   *int64        `yaml:"shard_seed"`
	Area        *areaYAML     `yaml:"area"`
}

// areaYAML is the area budget and the level that fills it.
type areaYAML struct {
	BudgetMM2     *float64 `yaml:"budget_mm2"`
	Fill          string   `yaml:"fill"`
	FillStepWords *int64   `yaml:"fill_step_words"`
}

type mapperYAML struct {
	Method         string `yaml:"method"`
	Dataflow       string `yaml:"dataflow"`
	Objective      string `yaml:"objective"`
	Algorithm      string `yaml:"algorithm"`
	MaxEvaluations *int64 `yaml:"max_evaluations"`
	Victory        *int64 `yaml:"victory"`
	Seed           *int64 `yaml:"seed"`
	Workers        *int   `yaml:"workers"`
}

// paramYAML is one axis of the sweep (a parameter, or a zip of parameters
// varied together) or, inside a zip, one of its parameters.
type paramYAML struct {
	Name   string      `yaml:"name"`
	Key    string      `yaml:"key"`
	Values []yaml.Node `yaml:"values"`
	Range  *rangeYAML  `yaml:"range"`
	Zip    []paramYAML `yaml:"zip"`
}

type rangeYAML struct {
	From   *float64 `yaml:"from"`
	To     *float64 `yaml:"to"`
	Step   *float64 `yaml:"step"`
	Factor *float64 `yaml:"factor"`
}

type derivedYAML struct {
	Name string `yaml:"name"`
	Key  string `yaml:"key"`
	Expr string `yaml:"expr"`
}
