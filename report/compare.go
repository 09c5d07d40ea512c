package report

import (
	"fmt"

	"github.com/nnergy/nnergy/dataflow"
	"github.com/nnergy/nnergy/explore"
	"github.com/nnergy/nnergy/mapper"
	"github.com/nnergy/nnergy/workload"
)

// Compare is the report of nnergy compare: dataflows on equal-area
// accelerators (Chen, Emer and Sze, ISCA 2016), every layer searched within
// each dataflow's constraints, energy per MAC split by level and by tensor.
type Compare struct {
	Header
	Model string `json:"model"`
	Batch int    `json:"batch"`
	// BatchUnknown: the network's batch cannot be told apart; it is
	// evaluated at the file's own shapes and Batch is 1.
	BatchUnknown bool `json:"batch_unknown,omitempty"`
	PEs          int  `json:"pes"`
	Mesh         Mesh `json:"mesh"`
	// RFByteAreaGLBBytes is the area of one RF byte in GLB bytes of area.
	RFByteAreaGLBBytes float64 `json:"rf_byte_area_glb_bytes"`
	// AreaGLBBytes is the storage area every dataflow gets, in GLB bytes.
	AreaGLBBytes float64 `json:"area_glb_bytes"`
	// MACEnergyPJ is the energy of one MAC, the unit of the normalized
	// energies.
	MACEnergyPJ    float64   `json:"mac_energy_pj"`
	Objective      []string  `json:"objective"`
	MaxEvaluations int64     `json:"max_evaluations"`
	Seed           uint64    `json:"seed"`
	Workers        int       `json:"workers"`
	Architectures  []Storage `json:"architectures"`
	Groups         []Group   `json:"groups"`
	// Partial marks the report of a comparison stopped before it ended.
	Partial *Partial `json:"partial,omitempty"`
}

// Mesh is an X × Y array.
type Mesh struct {
	X int `json:"x"`
	Y int `json:"y"`
}

// Storage is one dataflow's equal-area accelerator.
type Storage struct {
	Dataflow     string `json:"dataflow"`
	Arch         string `json:"arch"`
	Mesh         Mesh   `json:"mesh"`
	RFBytesPerPE int64  `json:"rf_bytes_per_pe"`
	// RFKeeps lists the tensors the RF may hold.
	RFKeeps     []string `json:"rf_keeps"`
	GLBBytes    int64    `json:"glb_bytes"`
	OnChipBytes int64    `json:"on_chip_bytes"`
}

// GroupKind says which layers a comparison group holds.
type GroupKind string

// The groups.
const (
	GroupConv   GroupKind = "conv"   // conv, depthwise and pointwise layers
	GroupFC     GroupKind = "fc"     // fc, gemm and matmul layers
	GroupLayers GroupKind = "layers" // layers named on the command line
)

// Group is the comparison on one group of layers.
type Group struct {
	Name   GroupKind `json:"name"`
	Layers []string  `json:"layers"`
	MACs   int64     `json:"macs"`
	// Reference is the dataflow the others are compared with (rs when
	// compared, else the first).
	Reference string          `json:"reference"`
	Results   []CompareResult `json:"results"`
}

// CompareResult is one dataflow on one group.
type CompareResult struct {
	Dataflow string  `json:"dataflow"`
	EnergyPJ float64 `json:"energy_pj"`
	// EnergyPerMAC is the energy per MAC over one MAC's energy, split by
	// level and by tensor.
	EnergyPerMAC Normalized `json:"energy_per_mac_normalized"`
	// VsReference is EnergyPJ over the reference dataflow's.
	VsReference float64        `json:"vs_reference"`
	Layers      []CompareLayer `json:"layers"`
}

// Normalized is an energy per MAC in units of one MAC's energy, split two
// ways: ByLevel adds up to Total, and so do ByTensor and ByLevel.ALU.
type Normalized struct {
	ByLevel  ByLevel  `json:"by_level"`
	ByTensor ByTensor `json:"by_tensor"`
	Total    float64  `json:"total"`
}

// ByLevel splits energy by the kind of level: DRAM (the outermost level),
// buffer (the levels between), array (every network), RF (the innermost
// level) and ALU (the MACs).
type ByLevel struct {
	DRAM   float64 `json:"dram"`
	Buffer float64 `json:"buffer"`
	Array  float64 `json:"array"`
	RF     float64 `json:"rf"`
	ALU    float64 `json:"alu"`
}

// ByTensor splits the energy of storage and networks by tensor (outputs are
// the partial sums).
type ByTensor struct {
	Weights float64 `json:"weights"`
	Inputs  float64 `json:"inputs"`
	Outputs float64 `json:"outputs"`
}

// CompareLayer is one layer on one dataflow.
type CompareLayer struct {
	Name     string  `json:"name"`
	MACs     int64   `json:"macs"`
	EnergyPJ float64 `json:"energy_pj"`
	// EnergyPerMACNormalized is the energy per MAC over one MAC's energy.
	EnergyPerMACNormalized float64  `json:"energy_per_mac_normalized"`
	Mapping                *Mapping `json:"mapping"`
	// SameShapeAs names the earlier layer of the same shape whose search
	// this layer reuses; Search is present on the layer that was searched.
	SameShapeAs string  `json:"same_shape_as,omitempty"`
	Search      *Search `json:"search,omitempty"`
}

// LayerGroup is a set of layers compared together.
type LayerGroup struct {
	Kind   GroupKind
	Layers []*workload.Layer
}

// CompareSettings are the comparison's parameters.
type CompareSettings struct {
	Model        string
	Batch        int
	BatchUnknown bool
	Area         explore.EqualArea
	// Search is the mapper's settings; Workers 0 is reported as the
	// number the mapper uses then.
	Search         mapper.Settings
	DefaultWorkers int
}

// NewCompare returns the report of res, the comparison of the layers of
// groups.
func NewCompare(s CompareSettings, groups []LayerGroup, res []explore.Compared) (*Compare, error) {
	if len(res) == 0 {
		return nil, fmt.Errorf("report: a comparison of no dataflows")
	}
	rep := &Compare{Header: header(KindCompare), Model: s.Model, Batch: s.Batch, BatchUnknown: s.BatchUnknown, PEs: s.Area.PEs, RFByteAreaGLBBytes: s.Area.RFArea,
		Objective: objective(s.Search.Objective), MaxEvaluations: s.Search.MaxEvaluations, Seed: s.Search.Seed,
		Workers: s.Search.Workers, Architectures: []Storage{}, Groups: []Group{}}
	if rep.Workers == 0 {
		rep.Workers = s.DefaultWorkers
	}
	for _, c := range res {
		st := c.Storage
		rep.AreaGLBBytes = st.AreaGLBBytes
		rep.MACEnergyPJ = c.Spec.Compute.EnergyPJ
		rep.Mesh = Mesh{st.MeshX, st.MeshY}
		rep.Architectures = append(rep.Architectures, Storage{Dataflow: c.Dataflow.String(), Arch: c.Spec.Name, Mesh: Mesh{st.MeshX, st.MeshY},
			RFBytesPerPE: st.RFBytes, GLBBytes: st.GLBBytes, OnChipBytes: st.OnChipBytes(), RFKeeps: tensorIDs(st.RFKeeps)})
	}
	ref := 0
	for i, c := range res {
		if c.Dataflow == dataflow.RS {
			ref = i
		}
	}
	for _, g := range groups {
		switch g.Kind {
		case GroupConv, GroupFC, GroupLayers:
		default:
			return nil, fmt.Errorf("report: unknown layer group %q (want conv, fc or layers)", g.Kind)
		}
		cg := Group{Name: g.Kind, Layers: []string{}, Reference: res[ref].Dataflow.String(), Results: []CompareResult{}}
		in := map[*workload.Layer]bool{}
		for _, l := range g.Layers {
			cg.Layers = append(cg.Layers, l.Name)
			cg.MACs += l.MACs()
			in[l] = true
		}
		keep := func(l *workload.Layer) bool { return in[l] }
		for _, c := range res {
			b := c.Breakdown(keep)
			r := CompareResult{Dataflow: c.Dataflow.String(), EnergyPJ: b.EnergyPJ, EnergyPerMAC: normalized(&b), Layers: []CompareLayer{}}
			first := map[workload.ShapeKey]string{}
			for _, nl := range c.Network.Layers {
				if !in[nl.Layer] {
					continue
				}
				cl := CompareLayer{Name: nl.Layer.Name, MACs: nl.Result.MACs, EnergyPJ: nl.Result.EnergyPJ,
					Mapping: NewMapping(nl.Mapping)}
				if nl.Result.MACs > 0 && rep.MACEnergyPJ > 0 {
					cl.EnergyPerMACNormalized = nl.Result.EnergyPJ / float64(nl.Result.MACs) / rep.MACEnergyPJ
				}
				if st, ok := c.Stats[nl.Layer.Name]; ok {
					cl.Search = NewSearch(st)
				} else {
					cl.SameShapeAs = first[nl.Layer.Key()]
				}
				if _, ok := first[nl.Layer.Key()]; !ok {
					first[nl.Layer.Key()] = nl.Layer.Name
				}
				r.Layers = append(r.Layers, cl)
			}
			cg.Results = append(cg.Results, r)
		}
		if refE := cg.Results[ref].EnergyPJ; refE > 0 {
			for i := range cg.Results {
				cg.Results[i].VsReference = cg.Results[i].EnergyPJ / refE
			}
		}
		rep.Groups = append(rep.Groups, cg)
	}
	return checked(rep)
}

func normalized(b *explore.Breakdown) Normalized {
	return Normalized{
		ByLevel: ByLevel{DRAM: b.PerMAC(b.Level[explore.DRAM]), Buffer: b.PerMAC(b.Level[explore.Buffer]),
			Array: b.PerMAC(b.Level[explore.Array]), RF: b.PerMAC(b.Level[explore.RF]), ALU: b.PerMAC(b.Level[explore.ALU])},
		ByTensor: ByTensor{Weights: b.PerMAC(b.Tensor[workload.Weights]), Inputs: b.PerMAC(b.Tensor[workload.Inputs]),
			Outputs: b.PerMAC(b.Tensor[workload.Outputs])},
		Total: b.PerMAC(b.EnergyPJ),
	}
}
