// Package dataflow names the dataflows of Chen, Emer and Sze (ISCA 2016):
// weight stationary (WS), output stationary (OS), input stationary (IS),
// row stationary (RS, Eyeriss) and no local reuse (NLR).
//
// A dataflow is two things here. Constraints returns it as a set of
// constraints on mappings (which dimensions may loop inside the PEs, which
// may spread across the PE array, what the PEs keep), for package mapper
// to search within. Build returns one deterministic, legal mapping that
// follows it, for any layer on any architecture, without a search: the
// quick default of `nnergy eval`.
package dataflow
