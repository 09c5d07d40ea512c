// Package cost turns the access counts of a mapped layer (package nest) into
// energy (pJ), cycles and utilization on an architecture, checks that a
// mapping fits the architecture (capacity, fan-out, spatial reduction) and
// reports the compulsory lower bound of every layer.
//
// Energy = Σ over levels and tensors of reads × read energy + fills × write
// energy + updates × update energy, + Σ over networks of words delivered ×
// energy per word + spatial additions × energy per addition, + MACs × MAC
// energy. Per-word energies are scaled by the tensor's word width over the
// level's word width. Cycles are the largest of the compute-bound cycles
// (temporal steps of the nest) and each level's bandwidth-bound cycles.
//
// The lower bound moves every weight and input out of the outermost level
// once, writes every output into it once and does every MAC once, on every
// MAC unit in parallel.
//
// Results are values: Result.Add sums layers into a network total.
package cost
