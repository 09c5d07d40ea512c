// Package arch describes accelerators: a chain of storage levels from the
// off-chip memory to the per-PE storage, the networks between them, and the
// MAC units, with the energy of every action in pJ and the area (µm²) and
// leakage (W) of every level instance and MAC unit ([Spec.Area],
// [Spec.LeakageWatts]).
//
// # Specs
//
// A [Spec] is built once and then shared read-only by the cost model and
// the mapper. Level 0 is the outermost level (every preset names it DRAM)
// and keeps every tensor; each further level fans out as a MeshX × MeshY
// mesh under one instance of its parent, so level i has [Spec.Instances](i)
// instances. [Spec.Validate] checks the invariants the cost model relies on.
//
// # Files and presets
//
// [Parse] reads the YAML format of docs/format/arch.md: strict decoding
// (unknown keys are errors), validation that reports every problem as
// file:line:col: path: message, defaults applied in one place, and a build
// that resolves every energy to pJ, whether it was given in pJ, as a
// multiple of the MAC energy, or as a class of a technology table from
// package [github.com/nnergy/nnergy/arch/tech]. [Format] writes the canonical
// YAML of a Spec, which Parse reads back to an equal Spec.
//
// The presets are embedded YAML files (arch/presets/*.yaml), each commented
// with the source of every number: [Presets] lists them, [Preset] builds
// one, and [Load] takes a preset name or a file path.
//
// # Example
//
//	s, err := arch.Load("eyeriss")
//	if err != nil {
//		return err
//	}
//	rf := s.Levels[s.Level("RF")]
//	fmt.Println(s.Instances(s.Level("RF")), rf.Energy[workload.Weights].ReadPJ)
//	// 168 1
package arch
