// Package workload describes what a network computes as loop nests.
//
// A Layer is a loop nest over eight dimensions (N batch, G groups, M output
// channels and C input channels per group, P×Q output rows and columns,
// R×S filter rows and columns) with three tensors, each indexed by an
// affine projection of the loop indices (an einsum):
//
//	Weights[G,M,C,R,S]  Inputs[N,G,C, P·Sh+R·Dh, Q·Sw+S·Dw]  Outputs[N,G,M,P,Q]
//
// Convolutions (strides, dilations, padding, groups, depthwise), pointwise
// convolutions, fully connected layers, GEMMs and batched matrix products
// (attention) are constructors over this one form. A Network is an ordered
// graph of layers with per-tensor word width and density. Networks come
// from the built-in zoo (package zoo), from YAML (Parse, documented in
// docs/format/workload.md) or from ONNX (package workload/onnx).
package workload
