// Package sparse models zeros in the tensors of a layer: how dense each
// tensor is and how its nonzeros fall into tiles (Density), how many bits a
// tile takes in a compressed storage format (Format), and which fraction of
// the MACs and storage accesses gating or skipping saves (Apply). The cost
// model uses these to adjust the counts of package nest before costing.
//
// # Formats
//
// A format stores a fiber: a tile flattened to n values, of which z are
// nonzero. Every format is a real encoder and decoder over []float32 whose
// bitstream length is the size used for costing; the sizes, with V the
// width of a value field, are
//
//	Dense    n·V                                       no metadata
//	Bitmask  n + z·V                                   one bit per element
//	COO      z·(C + V)                                 C-bit coordinate per nonzero
//	CSC      cols·A + (C + V)·(z + bridges)            Eyeriss v2: C = 4, V = 8
//	RLC      W·⌈P/k⌉,  P = z + bridges + ⌈t/2^B⌉       Eyeriss: B = 5, V = 16, k = 3, W = 64
//
// A count (CSC, C bits) or run (RLC, B bits) holds at most 2^C-1 or 2^B-1
// zeros; a longer gap of g zeros before a nonzero needs ⌊g/2^C⌋ (⌊g/2^B⌋)
// bridging entries whose value is a literal zero ("bridges" above). CSC
// leaves zeros after a column's last nonzero to its address vector (A bits
// per column); RLC codes the t trailing zeros of a fiber as pairs too,
// then packs k pairs and a last-word flag into W-bit words. Each type's
// comment gives its exact bit layout; values narrower than 32 bits are
// two's-complement integers (quantized data), 32-bit values are float32
// bits. A negative zero is a zero, and decodes as +0, except in Dense.
//
// # Expected sizes
//
// Format.ExpectedBits(n, d) is the mean size under the Bernoulli model:
// every element is nonzero with probability d, independently (q = 1 - d).
// For Dense, Bitmask and COO it is linear: n·V, n + n·d·V, n·d·(C + V).
// For the run formats, with R = 2^C or 2^B, a nonzero at position i has at
// least Rj zeros before it with probability q^{Rj} when Rj ≤ i, so
//
//	E[bridges] = d·Σ_{j=1}^{⌊(n-1)/R⌋} q^{Rj}·(n - Rj)
//	E[z + bridges] per CSC column of h = h·d + d·Σ_{j=1}^{⌊(h-1)/R⌋} q^{Rj}·(h - Rj)
//	E[P] = n·d + E[bridges] + q·Σ_{j=0}^{⌊(n-1)/R⌋} q^{Rj}
//
// (the last sum is E[⌈t/R⌉] = Σ_j Pr(t > Rj)). RLC pays whole words:
// E[⌈P/k⌉] = (E[P] + E[(-P) mod k])/k, and the distribution of P mod k
// comes from the generating function E[z^P] at the k-th roots of unity.
// Pairs are a renewal process (each covers l elements with probability
// d·q^{l-1} for l < R and q^{R-1} for l = R; the last is cut by the end of
// the fiber), which gives E[z^P] by a linear recurrence. These are exact
// expectations, not fits: tests check them against enumeration of every
// fiber of up to 12 elements, against a Markov chain over the elements of
// fibers up to 10^6 long (RLC), and against the mean of random encodings.
//
// # Densities
//
// Uniform is the random model: a tile of k elements holds k·d nonzeros on
// average, and is all zero with probability (1-d)^k when elements are
// independent, or C(N-K, k)/C(N, k) when exactly K of the tensor's N
// elements are nonzero (computed in log space, exactly for any N).
// Measured is a real tensor (pruned weights, activations of a calibration
// run): Measure cuts it into the tiles of a Tiling (extents and steps per
// rank, so input tiles may overlap) and returns the exact number of
// nonzeros, all-zero tiles and encoded bits over all tiles. DensityOf and
// Threshold measure and impose a zero threshold.
//
// # Gating and skipping
//
// An action (a MAC, or a storage access) that depends on operands with zero
// probabilities z_i, independent, splits into
//
//	Skipped   = 1 - Π_{skip}(1 - z_i)                  energy and cycle saved
//	Gated     = Π_{skip}(1 - z_i)·(1 - Π_{gate}(1 - z_i))  energy saved, cycle spent
//	Performed = Π_{skip}(1 - z_i)·Π_{gate}(1 - z_i)
//
// For a MAC with inputs of density d_i and weights of density d_w the
// operands' zero probabilities are 1 - d_i and 1 - d_w, and the effectual
// fraction (both nonzero) is d_i·d_w (Effectual). For a storage access
// that serves a whole tile of another tensor, z is that tile's Empty.
//
// Eyeriss (JSSC 2017) gates on zero inputs: the PE skips the weight spad
// read and the MAC for a zero input activation but spends the cycle, which
// cut PE power by 45%. That is Condition{Zero: 1 - d_i, Policy: Gate} for
// the MACs and for the weight spad reads. Eyeriss v2 (JETCAS 2019) keeps
// iacts and weights in CSC up to the PE and visits only nonzeros, so zeros
// cost neither energy nor cycles: Policy Skip on both operands, giving
// Performed = d_i·d_w of the MACs in d_i·d_w of the cycles.
package sparse
