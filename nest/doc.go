// Package nest analyses a mapped loop nest: from a layer and a mapping it
// counts, per storage level and tensor, the tile held by one instance, the
// words filled from the parent, read by the children, drained and updated
// (partial sums), the words carried by each network, spatial reductions and
// MACs. It knows nothing of energy: package cost turns counts into pJ and
// cycles.
//
// # Semantics
//
// The nest runs level by level, outermost first: the temporal loops of a
// level, then its spatial loops, which fan out to the instances of the next
// inner level (or to the MAC units below the innermost level). A level's
// tile of a tensor is every coordinate touched by the loops inside it (its
// own spatial loops and all inner levels). For each tensor the levels that
// keep it form a chain; each pair (parent, child) of consecutive keepers is
// an interface, and the MAC units are the last child of every chain.
//
// Weights and Inputs are read-only. When a temporal loop above the child
// advances, each child instance is filled with the words of its new tile it
// did not hold in its old tile (so sliding windows reuse their overlap). The
// parent reads each word once for all children under it that need it at
// that step (multicast), or once per child when the network cannot
// multicast. The MAC units hold nothing: every MAC reads its operands.
//
// Outputs are partial sums. Every time the child tile changes an occupancy
// ends: the children's tiles are drained, added together in the network when
// several children hold the same outputs (spatial reduction), and the parent
// is updated once per distinct output. When an occupancy begins, every
// output of the new tile that this parent instance has held before is
// reloaded (read from the parent, written into one child); outputs seen for
// the first time start at zero (first-write elision). At the MAC interface
// every MAC is its own occupancy, so the innermost keeper is read and
// updated once per MAC, less the first visit of every output.
//
// # Counting conventions
//
// The rules above are nnergy's own counting. An architecture may count some
// points the way other models do (arch.Conventions, docs/format/arch.md):
// a drain charged as the parent's update alone (arch.ConvDrain); a
// reloaded partial sum written into every instance that reduces it
// (arch.ConvReload); a multicast that serves only children with identical
// tiles, a fan-out over a dimension that indexes the tensor being unicast
// for it (arch.ConvMulticast); a tile with a strided rank counted as its
// bounding box (arch.ConvStride); and the overlap with the old tile kept
// only on steps of the innermost loop, a changed tile being refilled whole
// after a wrap-around (arch.ConvWrap).
//
// These rules are exact: a brute-force walk of every iteration of the nest
// (see the package tests) counts the same numbers, under every convention.
package nest
