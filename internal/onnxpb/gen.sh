#!/bin/sh
# Regenerates onnx.pb.go from the official ONNX IR schema. Builds never need
# this: onnx.pb.go is committed. Run from this directory (go generate does).
#
# Produced with:
#   apt-get install -y protobuf-compiler python3-onnx   # Debian 12: protoc 3.21.12, onnx 1.12.0 (IR 8)
#   go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12   # the version in go.mod
#   sh gen.sh
#
# onnx.proto is a verbatim copy of /usr/lib/python3/dist-packages/onnx/onnx.proto
# from python3-onnx 1.12.0-2 (sha256 a96f50c0fe1ff9180b6025843d4f7efcf53b024c83db55a36cd24a1e44345182),
# the non-ML variant of the schema (package onnx, proto2). It is committed so
# that regeneration does not depend on the installed python3-onnx version.
set -eu
src=/usr/lib/python3/dist-packages/onnx/onnx.proto
if [ "${ONNXPB_REFRESH:-}" = 1 ]; then
	cp "$src" onnx.proto
fi
PATH="$(go env GOPATH)/bin:$PATH" protoc \
	--go_out=. --go_opt=paths=source_relative \
	--go_opt=Monnx.proto=github.com/nnergy/nnergy/internal/onnxpb \
	onnx.proto
