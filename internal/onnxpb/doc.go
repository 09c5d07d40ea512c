// Package onnxpb holds the Go protocol buffer types of the ONNX IR, generated
// by protoc-gen-go from the official onnx.proto (see gen.sh for the exact
// tools and versions). Use package github.com/nnergy/nnergy/onnx instead of
// these types directly.
package onnxpb

//go:generate sh gen.sh
