package arch

import (
	"go.yaml.in/yaml/v3"

	"github.com/nnergy/nnergy/internal/yamlspec"
	"github.com/nnergy/nnergy/workload"
)

// The types in this file mirror the YAML architecture format one to one
// (docs/format/arch.md). Pointers mark optional values whose absence
// matters; setDefaults fills them in before build.

// FormatVersion is the version of the architecture format that Parse reads
// and Format writes.
const FormatVersion = 1

type fileYAML struct {
	Version     *int                     `yaml:"version"`
	DataBits    *yamlspec.PerTensor[int] `yaml:"data_bits"`
	Name        string                   `yaml:"name"`
	Description string                   `yaml:"description"`
	ClockMHz    *float64                 `yaml:"clock_mhz"`
	Tech        string                   `yaml:"tech"`
	WordBits    *int                     `yaml:"word_bits"`
	GateUnused  bool                     `yaml:"gate_unused"`
	// Conventions is a set's name or a mapping (conventions.go).
	Conventions *yaml.Node   `yaml:"conventions"`
	Levels      []levelYAML  `yaml:"levels"`
	Compute     *computeYAML `yaml:"compute"`
}

type levelYAML struct {
	Name           string                      `yaml:"name"`
	Keeps          []string                    `yaml:"keeps"`
	SizeWords      *int64                      `yaml:"size_words"`
	PartitionWords *yamlspec.PerTensor[int64]  `yaml:"partition_words"`
	WordBits       *int                        `yaml:"word_bits"`
	Mesh           *[2]int                     `yaml:"mesh"`
	Energy         *energyYAML                 `yaml:"energy"`
	BandwidthWords *float64                    `yaml:"bandwidth_words"`
	ReadBandwidth  *float64                    `yaml:"read_bandwidth_words"`
	WriteBandwidth *float64                    `yaml:"write_bandwidth_words"`
	DataBits       *yamlspec.PerTensor[int]    `yaml:"data_bits"`
	ClusterSize    *int                        `yaml:"cluster_size"`
	Network        *networkYAML                `yaml:"network"`
	Format         *yamlspec.PerTensor[string] `yaml:"format"`
	GateOn         []string                    `yaml:"gate_on"`
	SkipOn         []string                    `yaml:"skip_on"`
	AreaUM2        *float64                    `yaml:"area_um2"`
	LeakageWatts   *float64                    `yaml:"leakage_watts"`
	LeakagePJ      *float64                    `yaml:"leakage_pj_per_cycle"`
}

// actionsYAML gives the energy of each action: all three from a technology
// class, and each one in pJ or in multiples of the MAC energy.
type actionsYAML struct {
	Tech      string   `yaml:"tech"`
	ReadPJ    *float64 `yaml:"read_pj"`
	ReadMAC   *float64 `yaml:"read_mac"`
	WritePJ   *float64 `yaml:"write_pj"`
	WriteMAC  *float64 `yaml:"write_mac"`
	UpdatePJ  *float64 `yaml:"update_pj"`
	UpdateMAC *float64 `yaml:"update_mac"`
}

// energyYAML is a level's energy: actions for every kept tensor, and
// per-tensor overrides.
type energyYAML struct {
	actionsYAML `yaml:",inline"`
	Weights     *actionsYAML `yaml:"Weights"`
	Inputs      *actionsYAML `yaml:"Inputs"`
	Outputs     *actionsYAML `yaml:"Outputs"`
}

func (e *energyYAML) tensor(t workload.Tensor) *actionsYAML {
	if e == nil {
		return nil
	}
	return [...]*actionsYAML{e.Weights, e.Inputs, e.Outputs}[t]
}

type networkYAML struct {
	Name      string                       `yaml:"name"`
	Tech      string                       `yaml:"tech"`
	WordPJ    *float64                     `yaml:"word_pj"`
	WordMAC   *float64                     `yaml:"word_mac"`
	Multicast bool                         `yaml:"multicast"`
	Bandwidth *yamlspec.PerTensor[float64] `yaml:"bandwidth_words"`
	Reduction bool                         `yaml:"reduction"`
	ReducePJ  *float64                     `yaml:"reduce_pj"`
	ReduceMAC *float64                     `yaml:"reduce_mac"`
}

type computeYAML struct {
	Mesh         *[2]int  `yaml:"mesh"`
	Bits         *int     `yaml:"bits"`
	Tech         string   `yaml:"tech"`
	MACPJ        *float64 `yaml:"mac_pj"`
	GateOn       []string `yaml:"gate_on"`
	SkipOn       []string `yaml:"skip_on"`
	AreaUM2      *float64 `yaml:"area_um2"`
	LeakageWatts *float64 `yaml:"leakage_watts"`
	LeakagePJ    *float64 `yaml:"leakage_pj_per_cycle"`
}

// action names one of the three per-word actions of a storage level.
type action int

const (
	actRead action = iota
	actWrite
	actUpdate
	numActions
)

var actionKeys = [numActions]string{"read", "write", "update"}

// pj and mac return the energy given for a in pJ or in MACs (nil if absent).
func (a *actionsYAML) pj(x action) *float64 {
	return [...]*float64{a.ReadPJ, a.WritePJ, a.UpdatePJ}[x]
}

func (a *actionsYAML) mac(x action) *float64 {
	return [...]*float64{a.ReadMAC, a.WriteMAC, a.UpdateMAC}[x]
}
