package arch

import (
	"github.com/nnergy/nnergy/sparse"
	"github.com/nnergy/nnergy/workload"
)

// Spec is a built, validated accelerator: a chain of storage levels from the
// off-chip memory (index 0, outermost) to the innermost per-PE storage
// (last index), then the MAC units. A Spec is immutable once built; the cost
// model and the mapper share it between goroutines.
type Spec struct {
	Name        string
	Description string
	// ClockHz is the compute clock in Hz; latency = cycles / ClockHz.
	ClockHz float64
	// Levels lists the storage levels, outermost (DRAM) first.
	Levels []Level
	// Compute describes the MAC units under each innermost-level instance.
	Compute Compute
	// Source names where the spec came from ("preset eyeriss" or a file path).
	Source string
	// DataBits is the width at which the accelerator holds each tensor
	// (0: the layer's own width). An 8-bit accelerator runs every network
	// quantized to 8 bits, whatever its layers say.
	DataBits [workload.NumTensors]int
	// GateUnused says that instances a mapping leaves unused (of a level, or
	// MAC units) are power-gated and do not leak; otherwise every instance
	// leaks for the whole latency.
	GateUnused bool
	// Conventions are the counting conventions of the model (conventions.go;
	// zero: nnergy's own).
	Conventions Conventions
}

// Bits returns the width in bits of tensor t of layer l on this
// accelerator.
func (s *Spec) Bits(l *workload.Layer, t workload.Tensor) int {
	if b := s.DataBits[t]; b > 0 {
		return b
	}
	return l.Bits[t]
}

// Actions holds the energy of one access of each kind, in pJ per word of the
// level's word width.
type Actions struct {
	// ReadPJ is the energy to read one word (to a child level, the MACs, or
	// to drain partial sums to the parent).
	ReadPJ float64
	// WritePJ is the energy to write one word filled from the parent.
	WritePJ float64
	// UpdatePJ is the energy to write one partial-sum word sent up by a child.
	UpdatePJ float64
}

// Level is one storage level. Instances of a level form a mesh of MeshX ×
// MeshY under each instance of the level above it.
type Level struct {
	Name string
	// Keeps says which tensors the level may hold; the others bypass it.
	// The outermost level keeps every tensor.
	Keeps [workload.NumTensors]bool
	// SizeWords is the capacity of one instance in words shared by all kept
	// tensors (0 = unbounded, as for DRAM).
	SizeWords int64
	// Partition reserves words of one instance for one tensor alone (0 = the
	// tensor shares SizeWords). A tensor with a partition is checked against
	// its partition; the others share SizeWords minus all partitions. When
	// SizeWords is 0 and partitions are given, each tensor without a
	// partition is unbounded.
	Partition [workload.NumTensors]int64
	// WordBits is the width of one word (default 16).
	WordBits int
	// MeshX and MeshY give the fan-out of this level under one parent
	// instance (1 × 1 for the outermost level).
	MeshX, MeshY int
	// Energy is the per-word energy of each action, per tensor.
	Energy [workload.NumTensors]Actions
	// BandwidthWords is the number of words one instance can read plus write
	// per cycle (0 = unlimited).
	BandwidthWords float64
	// ReadBandwidthWords and WriteBandwidthWords bound, per instance and
	// cycle, the words read (to children, the MACs, or drained to the
	// parent) and the words written (filled from the parent, or updated
	// by children) on their own ports, as Timeloop's read_bandwidth and
	// write_bandwidth (0 = unlimited). BandwidthWords, when given, bounds
	// the two together as well.
	ReadBandwidthWords, WriteBandwidthWords float64
	// DataBits is, per tensor, the width in bits at which this level holds
	// each value (0: the tensor's width on the accelerator, Spec.Bits):
	// 24-bit partial sums in an accumulator of an 8-bit design. A value
	// of b bits takes b/WordBits words of capacity, energy and traffic.
	DataBits [workload.NumTensors]int
	// ClusterSize groups the level's instances into clusters of that many
	// (0 or 1: no clusters), each one wide physical array, as Timeloop's
	// cluster_size: an access of the array, whose energy Energy gives, is
	// shared by the instances of the cluster that the mapping uses.
	ClusterSize int
	// Network connects the parent level to the instances of this level
	// (ignored for the outermost level).
	Network Network
	// Format is how the level stores each tensor (nil: dense). A compressed
	// format shrinks the tile the level must hold and the words it moves to
	// the format's expected size at the tensor's density, when that is
	// smaller than dense.
	Format [workload.NumTensors]sparse.Format
	// GateOn and SkipOn name the tensors whose zeros gate (save the energy
	// of) or skip (save energy and time of) this level's reads and updates
	// of the other tensors for its children.
	GateOn, SkipOn [workload.NumTensors]bool
	// AreaUM2 is the area of one instance in µm² (its memories; the network
	// into it is not counted), and LeakageWatts its static power in watts.
	// Both are 0 for an off-chip level.
	AreaUM2, LeakageWatts float64
	// LeakagePJ is the energy one instance leaks per compute cycle in pJ
	// (Timeloop's leak action), besides LeakageWatts. Like it, it is
	// charged to every instance, or with Spec.GateUnused to the instances
	// a mapping uses.
	LeakagePJ float64
}

// Network is the on-chip network that delivers words from a parent level to
// the instances of a child level.
type Network struct {
	Name string
	// WordPJ is the energy to deliver one word to one destination instance.
	WordPJ float64
	// Multicast lets one parent read serve every child that needs the same
	// word at the same time. Without it each child's fill is a separate read.
	Multicast bool
	// Reduction lets partial sums of several children be added in the
	// network before one update of the parent. Without it, mappings that
	// split a reduction dimension across this network's fan-out are illegal.
	Reduction bool
	// ReducePJ is the energy of one spatial addition in the network.
	ReducePJ float64
	// BandwidthWords is, per tensor, the words per cycle the network can
	// carry between one parent instance and its children (0: unlimited).
	BandwidthWords [workload.NumTensors]float64
}

// Compute describes the arithmetic: MeshX × MeshY MAC units under each
// instance of the innermost level (SIMD lanes), each doing one MAC per cycle.
type Compute struct {
	MeshX, MeshY int
	// EnergyPJ is the energy of one multiply-accumulate.
	EnergyPJ float64
	// Bits is the native operand width of the MAC (default 16).
	Bits int
	// GateOn and SkipOn name the operands whose zeros gate a MAC (no
	// energy, the cycle still spent) or skip it (neither).
	GateOn, SkipOn [workload.NumTensors]bool
	// AreaUM2 is the area of one MAC unit in µm², and LeakageWatts its static
	// power in watts.
	AreaUM2, LeakageWatts float64
	// LeakagePJ is the energy one MAC unit leaks per cycle, in pJ, besides
	// LeakageWatts.
	LeakagePJ float64
}

// LevelBits returns the width in bits at which level i holds tensor t of
// layer l: the level's own width for t, or the tensor's on the
// accelerator (Bits).
func (s *Spec) LevelBits(l *workload.Layer, i int, t workload.Tensor) int {
	if b := s.Levels[i].DataBits[t]; b > 0 {
		return b
	}
	return s.Bits(l, t)
}

// Instances returns the total number of instances of level i.
func (s *Spec) Instances(i int) int {
	n := 1
	for j := 0; j <= i; j++ {
		n *= s.Levels[j].MeshX * s.Levels[j].MeshY
	}
	return n
}

// MaxMACUnits is the most instances of any level, and MAC units in all,
// an architecture may have: 2^32, so that every count of instances fits
// an int with room to multiply. Parse and Validate check it.
// docs/limits.md lists every limit of nnergy; this one is fixed (raise it
// here).
const MaxMACUnits = 1 << 32

// The bounds of an architecture's numbers. Past them a result overflows
// to Inf or NaN or a cycle count past int64 (a clock of 1e-300 MHz made the
// static energy Inf; 1e308 MHz made the clock in Hz Inf), and a value
// there is almost always a typo: real clocks are MHz to GHz, real
// energies fractions of a pJ to a few hundred. Parse (positioned at the
// key) and Validate check them; docs/format/arch.md lists them.
const (
	// MinClockMHz and MaxClockMHz bound clock_mhz: 1 kHz to 1 THz.
	MinClockMHz = 1e-3
	MaxClockMHz = 1e6
	// MaxEnergyPJ bounds every energy once resolved to pJ: of an action
	// of a level (read, write, update), of a network's word and
	// addition, of a MAC (1 mJ; DRAM is about 200 pJ a word). A _mac
	// multiple is bounded by the pJ it comes to.
	MaxEnergyPJ = 1e9
	// MaxAreaUM2 bounds an area of one instance (1 m²); MaxLeakageWatts
	// its leakage (1 MW).
	MaxAreaUM2      = 1e12
	MaxLeakageWatts = 1e6
	// MinBandwidthWords and MaxBandwidthWords bound a bandwidth in words
	// per cycle that is given (0 is unlimited): below 0.01 the cycles of
	// a network of workload.MaxMACs pass int64.
	MinBandwidthWords = 0.01
	MaxBandwidthWords = 1e12
	// MaxLeakagePJ bounds a leakage per cycle of one instance, in pJ.
	MaxLeakagePJ = 1e9
)

// mulUnits returns a·b, saturating just above MaxMACUnits; a and b are
// positive and a at most MaxMACUnits + 1.
func mulUnits(a int64, b int) int64 {
	if int64(b) > (MaxMACUnits+1)/a {
		return MaxMACUnits + 1
	}
	return min(a*int64(b), MaxMACUnits+1)
}

// MACUnits returns the total number of MAC units.
func (s *Spec) MACUnits() int {
	return s.Instances(len(s.Levels)-1) * s.Compute.MeshX * s.Compute.MeshY
}

// Level returns the index of the level named name, or -1.
func (s *Spec) Level(name string) int {
	for i := range s.Levels {
		if s.Levels[i].Name == name {
			return i
		}
	}
	return -1
}

// Capacity returns the words one instance of level l can give tensor t when
// the other kept tensors share the rest (0 = unbounded), and whether t has
// a partition of its own.
func (l *Level) Capacity(t workload.Tensor) (words int64, own bool) {
	if l.Partition[t] > 0 {
		return l.Partition[t], true
	}
	if l.SizeWords == 0 {
		return 0, false
	}
	rest := l.SizeWords
	for _, p := range l.Partition {
		rest -= p
	}
	return rest, false
}

// Overflow is one capacity problem of a level: a tensor's tile that exceeds
// its partition, or (Shared) the tiles of the tensors without a partition
// that together exceed the rest of the level.
type Overflow struct {
	Tensor     workload.Tensor
	Shared     bool
	Need, Have int64
}

// Overflows appends to dst the capacity problems of one instance of the
// level holding tiles (words) of the tensors it keeps. It does not allocate
// when dst has room.
func (l *Level) Overflows(keep [workload.NumTensors]bool, tiles [workload.NumTensors]int64, dst []Overflow) []Overflow {
	var shared int64
	pool := int64(-1)
	for t := range workload.NumTensors {
		if !keep[t] {
			continue
		}
		c, own := l.Capacity(workload.Tensor(t))
		if own {
			if tiles[t] > c {
				dst = append(dst, Overflow{Tensor: workload.Tensor(t), Need: tiles[t], Have: c})
			}
			continue
		}
		shared += tiles[t]
		pool = c
	}
	if pool > 0 && shared > pool {
		dst = append(dst, Overflow{Shared: true, Need: shared, Have: pool})
	}
	return dst
}
