package explore

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/nnergy/nnergy/arch"
	"github.com/nnergy/nnergy/arch/tech"
	"github.com/nnergy/nnergy/cost"
	"github.com/nnergy/nnergy/dataflow"
	"github.com/nnergy/nnergy/mapper"
	"github.com/nnergy/nnergy/workload"
)

// The equal-area setup of the Eyeriss dataflow comparison (Chen, Emer, Sze,
// ISCA 2016, §VI-B; shared/reference/figures.md §2).
//
// The paper gives every dataflow the same storage area, the baseline
//
//	#PE × Area(512 B RF) + Area(#PE × 512 B global buffer)
//
// (a 512 B RF per PE and a 128 kB GLB at 256 PEs), and lets each dataflow
// split that area between RFs and GLB as it needs. It states that the
// dataflows' total on-chip storage then differs by up to 80 kB and their
// GLB sizes by up to 2.6×, but not the area of an RF byte relative to a
// GLB byte, which the split needs.
//
// Area model. One RF byte costs k GLB bytes of area, and every dataflow
// spends exactly the baseline: GLB = #PE × 512 B + #PE × (512 B − RF) × k.
// The default k = 1.6 is the value the paper's two statements imply: NLR
// (no RF) has the largest GLB and RS (512 B RF) the smallest, 128 kB, so
// 2.6× = 1 + k; and the total storage then differs by #PE × 512 B ×
// (k − 1) = 76.8 kB at 256 PEs, which agrees with "up to 80 kB". The Eyeriss
// chip suggests a larger k (its spads take 2.5× the GLB's area with 1.5×
// less capacity, k ≈ 3.75, JSSC 2017 §VI), but its spads mix registers and
// SRAM and that k would make NLR's GLB 4.75× RS's, against the paper.
//
// RF per dataflow: each dataflow's RF holds what its constraints
// (dataflow.Constraints) can keep in a PE and no more, and the rest of the
// area goes to the GLB:
//
//   - RS: 512 B shared by weights, inputs and psums, the size the paper fixes
//     as RS's lowest-energy choice.
//   - WS: one 16-bit weight register (the PE loops only over N, P and Q, so
//     it never holds more than one weight).
//   - OS: one 16-bit psum register (the PE loops only over C, R and S).
//   - IS: one 16-bit input register (the PE loops only over M).
//   - NLR: no RF: all area goes to the GLB. The architecture format needs an
//     innermost level, so NLR's has a one-word register that its
//     constraints never use and that is charged no area.
//
// Everything else is the same for every dataflow: 16-bit words, the
// eyeriss-65nm energies (DRAM 200, GLB 6, array 2 per word delivered to a
// PE, RF 1, MAC 1), a GLB-to-PE network with multicast and spatial psum
// reduction, one MAC per PE, and no bandwidth limits (the paper takes
// throughput proportional to the active PEs).
const (
	// ISCA16PEs is the paper's PE count.
	ISCA16PEs = 256
	// ISCA16RFBytes is the baseline RF per PE and RS's RF.
	ISCA16RFBytes = 512
	// ISCA16RFArea is the default area of one RF byte in GLB bytes.
	ISCA16RFArea = 1.6
	// isca16WordBytes is the 16-bit word.
	isca16WordBytes = 2
	// isca16MaxAspect bounds the PE array's X:Y ratio.
	isca16MaxAspect = 4
)

// EqualArea is the equal-area setup for a PE count and area model.
type EqualArea struct {
	// PEs is the number of PEs (default ISCA16PEs). The array is the most
	// nearly square X × Y with X ≥ Y and X ≤ 4Y.
	PEs int
	// RFArea is the area of one RF byte in units of one GLB byte's area
	// (default ISCA16RFArea).
	RFArea float64
}

// Storage is how one dataflow spends the storage area.
type Storage struct {
	Dataflow     dataflow.Dataflow
	MeshX, MeshY int
	// RFBytes is the RF of one PE (0 for NLR), RFKeeps the tensors it may
	// hold.
	RFBytes int64
	RFKeeps [workload.NumTensors]bool
	// GLBBytes is the global buffer, rounded down to whole words.
	GLBBytes int64
	// AreaGLBBytes is the storage area every dataflow gets, in GLB bytes.
	AreaGLBBytes float64
}

// OnChipBytes returns the RFs and the GLB together.
func (s Storage) OnChipBytes() int64 {
	return int64(s.MeshX*s.MeshY)*s.RFBytes + s.GLBBytes
}

func (e EqualArea) withDefaults() EqualArea {
	if e.PEs == 0 {
		e.PEs = ISCA16PEs
	}
	if e.RFArea == 0 {
		e.RFArea = ISCA16RFArea
	}
	return e
}

// Mesh returns the PE array for pes PEs: the most nearly square X × Y with
// X ≥ Y, or an error when pes is not positive or its squarest split is more
// than 4:1 (a prime above 3, for example).
func Mesh(pes int) (x, y int, err error) {
	if pes < 1 {
		return 0, 0, fmt.Errorf("explore: %d PEs, want at least 1", pes)
	}
	y = int(math.Sqrt(float64(pes)))
	for y*y > pes { // float rounding of the square root
		y--
	}
	for (y+1)*(y+1) <= pes {
		y++
	}
	for pes%y != 0 {
		y--
	}
	x = pes / y
	if x > isca16MaxAspect*y {
		return 0, 0, fmt.Errorf("explore: %d PEs make at best a %dx%d array, more than %d:1; pick a count with a squarer split", pes, x, y, isca16MaxAspect)
	}
	return x, y, nil
}

// Storage returns how dataflow df splits the storage area.
func (e EqualArea) Storage(df dataflow.Dataflow) (Storage, error) {
	e = e.withDefaults()
	if !(e.RFArea > 0) || math.IsInf(e.RFArea, 0) {
		return Storage{}, fmt.Errorf("explore: RF area per byte %g, want a positive number", e.RFArea)
	}
	x, y, err := Mesh(e.PEs)
	if err != nil {
		return Storage{}, err
	}
	st := Storage{Dataflow: df, MeshX: x, MeshY: y}
	const word = isca16WordBytes
	switch df {
	case dataflow.RS:
		st.RFBytes = ISCA16RFBytes
		st.RFKeeps = [workload.NumTensors]bool{true, true, true}
	case dataflow.WS:
		st.RFBytes, st.RFKeeps[workload.Weights] = word, true
	case dataflow.OS:
		st.RFBytes, st.RFKeeps[workload.Outputs] = word, true
	case dataflow.IS:
		st.RFBytes, st.RFKeeps[workload.Inputs] = word, true
	case dataflow.NLR:
	default:
		return Storage{}, fmt.Errorf("explore: unknown dataflow %v", df)
	}
	pes := float64(e.PEs)
	st.AreaGLBBytes = pes*ISCA16RFBytes*e.RFArea + pes*ISCA16RFBytes
	glb := pes*ISCA16RFBytes + pes*float64(ISCA16RFBytes-st.RFBytes)*e.RFArea
	// Round down to whole words; the tolerance keeps 131072 from becoming
	// 131070 through float error.
	st.GLBBytes = word * int64(math.Floor(glb/word+1e-9))
	return st, nil
}

// Spec returns the equal-area architecture of dataflow df, named
// "isca16-DF-PES", e.g. isca16-rs-256.
func (e EqualArea) Spec(df dataflow.Dataflow) (*arch.Spec, Storage, error) {
	e = e.withDefaults()
	st, err := e.Storage(df)
	if err != nil {
		return nil, Storage{}, err
	}
	tab, err := tech.Lookup("eyeriss-65nm")
	if err != nil {
		return nil, Storage{}, err
	}
	const bits = 8 * isca16WordBytes
	energy := func(class string) float64 {
		v, err := tab.Energy(class, tech.Access{WordBits: bits})
		if err != nil {
			panic(err) // the table has every class used here
		}
		return v
	}
	all := [workload.NumTensors]bool{true, true, true}
	acts := func(keeps [workload.NumTensors]bool, pj float64) (en [workload.NumTensors]arch.Actions) {
		for t, k := range keeps {
			if k {
				en[t] = arch.Actions{ReadPJ: pj, WritePJ: pj, UpdatePJ: pj}
			}
		}
		return en
	}
	rfKeeps, rfWords := st.RFKeeps, st.RFBytes/isca16WordBytes
	rfDesc := fmt.Sprintf("%d B RF per PE (%s)", st.RFBytes, keepNames(rfKeeps))
	if df == dataflow.NLR {
		// A placeholder for the innermost level the format requires; NLR's
		// constraints keep nothing in it and it has no area.
		rfKeeps, rfWords = all, 1
		rfDesc = "no RF"
	}
	s := &arch.Spec{
		Name: fmt.Sprintf("isca16-%s-%d", df, e.PEs),
		Description: fmt.Sprintf("ISCA 2016 equal-area architecture for %s: %dx%d PEs, %s, %s GLB, 16-bit, eyeriss-65nm (RF byte = %g GLB bytes of area)",
			strings.ToUpper(df.String()), st.MeshX, st.MeshY, rfDesc, kB(st.GLBBytes), e.RFArea),
		ClockHz: 200e6,
		Levels: []arch.Level{
			{Name: "DRAM", Keeps: all, WordBits: bits, MeshX: 1, MeshY: 1, Energy: acts(all, energy("dram"))},
			{Name: "GLB", Keeps: all, SizeWords: st.GLBBytes / isca16WordBytes, WordBits: bits, MeshX: 1, MeshY: 1, Energy: acts(all, energy("glb"))},
			{Name: "RF", Keeps: rfKeeps, SizeWords: rfWords, WordBits: bits, MeshX: st.MeshX, MeshY: st.MeshY, Energy: acts(rfKeeps, energy("rf")),
				Network: arch.Network{Name: "array", WordPJ: energy("noc"), Multicast: true, Reduction: true}},
		},
		Compute: arch.Compute{MeshX: 1, MeshY: 1, EnergyPJ: energy("mac"), Bits: bits},
		Source:  "explore.EqualArea",
	}
	if err := s.Validate(); err != nil {
		return nil, Storage{}, err
	}
	return s, st, nil
}

// keepNames lists the kept tensors as W, I, O.
func keepNames(k [workload.NumTensors]bool) string {
	var s []string
	for _, t := range workload.Tensors {
		if k[t] {
			s = append(s, t.String())
		}
	}
	return strings.Join(s, ", ")
}

// kB formats bytes in kB of 1024 bytes, as the paper counts them.
func kB(b int64) string {
	return strings.TrimSuffix(strings.TrimSuffix(fmt.Sprintf("%.2f", float64(b)/1024), "0"), ".0") + " kB"
}

// Part is one share of an energy breakdown.
type Part uint8

// The parts of a breakdown by level, outermost first.
const (
	DRAM Part = iota
	Buffer
	Array
	RF
	ALU
	NumLevelParts
)

var partNames = [...]string{"DRAM", "buffer", "array", "RF", "ALU"}

func (p Part) String() string { return partNames[p] }

// Breakdown is the energy of some layers split two ways: by level (DRAM,
// buffer, array network, RF, ALU) and by data type (weights, inputs, psums,
// plus the ALU). Both add up to EnergyPJ.
type Breakdown struct {
	MACs     int64
	EnergyPJ float64
	// MACPJ is the energy of one MAC, the unit of PerMAC.
	MACPJ  float64
	Level  [NumLevelParts]float64
	Tensor [workload.NumTensors]float64
	// ALUPJ is the MAC energy (Level[ALU]).
	ALUPJ float64
}

// PerMAC returns pj per MAC in units of one MAC's energy.
func (b *Breakdown) PerMAC(pj float64) float64 {
	if b.MACs == 0 || b.MACPJ == 0 {
		return 0
	}
	return pj / float64(b.MACs) / b.MACPJ
}

// Add adds the result of one layer on spec: level 0 is DRAM, the levels
// between it and the innermost are the buffer, the innermost is the RF, and
// every network is the array. Network energy goes to the tensor it carries;
// spatial additions in the network go to psums.
func (b *Breakdown) Add(spec *arch.Spec, l *workload.Layer, r *cost.Result) {
	b.MACs += r.MACs
	b.EnergyPJ += r.EnergyPJ
	b.MACPJ = spec.Compute.EnergyPJ
	b.Level[ALU] += r.MACEnergyPJ
	b.ALUPJ += r.MACEnergyPJ
	last := len(r.Levels) - 1
	for i := range r.Levels {
		lr := &r.Levels[i]
		switch i {
		case 0:
			b.Level[DRAM] += lr.StoragePJ
		case last:
			b.Level[RF] += lr.StoragePJ
		default:
			b.Level[Buffer] += lr.StoragePJ
		}
		b.Level[Array] += lr.NetworkPJ
		sl := &spec.Levels[i]
		net := 0.0
		for t := range workload.NumTensors {
			tr := &lr.Tensors[t]
			// As package cost charges it: words × energy per word, scaled
			// by the tensor's width over the level's and its compression.
			sc := float64(spec.Bits(l, workload.Tensor(t))) / float64(sl.WordBits)
			if tr.Ratio > 0 {
				sc *= tr.Ratio
			}
			e := float64(tr.NetworkWords) * sl.Network.WordPJ * sc
			b.Tensor[t] += tr.EnergyPJ + e
			net += e
		}
		b.Tensor[workload.Outputs] += lr.NetworkPJ - net
	}
}

// Compared is one dataflow's side of a comparison.
type Compared struct {
	Dataflow dataflow.Dataflow
	Storage  Storage
	Spec     *arch.Spec
	Network  *Network
	// Stats holds the search statistics of each unique layer shape, by the
	// name of the first layer of that shape.
	Stats map[string]mapper.Stats
	// Stopped, when not nil, says which layers the comparison, stopped by
	// its context, did not search (or left out).
	Stopped *Stopped
}

// Compare searches every layer of net on each dataflow's equal-area
// architecture within the dataflow's constraints (each unique shape once)
// and returns the results in the order of dfs. onStats, when not nil, sees
// every search as it ends. Cancelling ctx does not lose the work done: the
// search under way ends with its best so far, every later layer (of that
// dataflow and the next ones) takes its dataflow's builder mapping, and
// the results of the dataflows it reached say so in Stopped.
func Compare(ctx context.Context, net *workload.Network, dfs []dataflow.Dataflow, area EqualArea, set mapper.Settings,
	onStats func(df dataflow.Dataflow, l *workload.Layer, st mapper.Stats)) ([]Compared, error) {
	out := make([]Compared, 0, len(dfs))
	for _, df := range dfs {
		spec, st, err := area.Spec(df)
		if err != nil {
			return nil, err
		}
		m, err := cost.New(spec)
		if err != nil {
			return nil, err
		}
		c := Compared{Dataflow: df, Storage: st, Spec: spec, Stats: map[string]mapper.Stats{}}
		d := df
		record := func(l *workload.Layer, s mapper.Stats) {
			c.Stats[l.Name] = s
			if onStats != nil {
				onStats(df, l, s)
			}
		}
		mp := DataflowSearch(m, &d, set, record)
		res, stopped, err := EvaluateStopped(ctx, m, net, mp, DataflowMapper(m, df))
		if err != nil {
			return nil, fmt.Errorf("explore: dataflow %s: %w", df, err)
		}
		c.Network, c.Stopped = res, stopped
		out = append(out, c)
	}
	return out, nil
}

// Breakdown returns the breakdown of the layers of c whose names satisfy
// keep (all layers when keep is nil).
func (c *Compared) Breakdown(keep func(*workload.Layer) bool) Breakdown {
	var b Breakdown
	b.MACPJ = c.Spec.Compute.EnergyPJ
	for i := range c.Network.Layers {
		l := &c.Network.Layers[i]
		if keep == nil || keep(l.Layer) {
			b.Add(c.Spec, l.Layer, &l.Result)
		}
	}
	return b
}
