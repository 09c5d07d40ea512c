#!/bin/sh
# fetch-ort.sh [DIR]: install ONNX Runtime for the reference checks of nnergy's
# ONNX export and import (nn/onnx/ort_test.go, run through scripts/ort_run.js).
#
# ONNX Runtime comes from the npm package onnxruntime-node (pinned below),
# whose tarball ships the CPU runtime for Linux, macOS and Windows (about 290
# MB unpacked). Its install script would also download CUDA binaries from
# NuGet; ONNXRUNTIME_NODE_INSTALL=skip turns that off, so only the npm
# registry is used. DIR defaults to $NNERGY_ORT, else $NNERGY_DATA/ort, else
# ~/.cache/nnergy/ort. Running it again with the package in place does
# nothing.
set -eu

version=1.30.0
pkg=onnxruntime-node@$version
if [ $# -gt 1 ]; then
	echo "usage: $0 [DIR]" >&2
	exit 2
fi
if [ $# -eq 1 ]; then
	dir=$1
elif [ -n "${NNERGY_ORT:-}" ]; then
	dir=$NNERGY_ORT
elif [ -n "${NNERGY_DATA:-}" ]; then
	dir=$NNERGY_DATA/ort
else
	dir=$HOME/.cache/nnergy/ort
fi

have() {
	[ -f "$dir/node_modules/onnxruntime-node/package.json" ] &&
		grep -q "\"version\": \"$version\"" "$dir/node_modules/onnxruntime-node/package.json"
}
if have; then
	echo "onnxruntime-node $version already in $dir"
	exit 0
fi

command -v npm >/dev/null 2>&1 || { echo "fetch-ort.sh: npm not found (apt-get install npm)" >&2; exit 1; }
mkdir -p "$dir"
# A package.json of our own keeps npm from walking up to a parent project.
[ -f "$dir/package.json" ] || echo '{"name":"nnergy-ort-cache","private":true}' >"$dir/package.json"
ONNXRUNTIME_NODE_INSTALL=skip npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "$pkg" >&2
have || { echo "fetch-ort.sh: $pkg did not install into $dir" >&2; exit 1; }
# Check that the runtime loads on this machine.
NNERGY_ORT=$dir node -e '
const p = require("path").join(process.env.NNERGY_ORT, "node_modules", "onnxruntime-node");
const v = require(p).env.versions.common;
if (!v) { process.exit(1); }
' || { echo "fetch-ort.sh: onnxruntime-node does not load with $(node --version)" >&2; exit 1; }
echo "onnxruntime-node $version in $dir"
