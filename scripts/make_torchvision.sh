#!/bin/sh
# make_torchvision.sh [DIR]: export the full-size torchvision models that
# nn/onnx/torchvision_test.go checks against PyTorch and ONNX Runtime
# (MobileNetV3-Small, MobileNetV3-Large, EfficientNet-B0 with weights=None
# from a fixed seed, 3x224x224, 1000 classes; 10-20 MB each, so not
# committed). Needs Debian's python3-torch, python3-torchvision and
# python3-onnx; downloads nothing. DIR defaults to $NNERGY_TORCHVISION, else
# $NNERGY_DATA/torchvision, else ~/.cache/nnergy/torchvision. Running it
# again with the files in place does nothing.
set -eu

if [ $# -gt 1 ]; then
	echo "usage: $0 [DIR]" >&2
	exit 2
fi
if [ $# -eq 1 ]; then
	dir=$1
elif [ -n "${NNERGY_TORCHVISION:-}" ]; then
	dir=$NNERGY_TORCHVISION
elif [ -n "${NNERGY_DATA:-}" ]; then
	dir=$NNERGY_DATA/torchvision
else
	dir=$HOME/.cache/nnergy/torchvision
fi
have=1
for m in mobilenet_v3_small mobilenet_v3_large efficientnet_b0; do
	for ext in onnx input.f32 output.f32; do
		[ -f "$dir/$m.$ext" ] || have=0
	done
done
if [ $have = 1 ]; then
	echo "torchvision models already in $dir"
	exit 0
fi
/usr/bin/python3 -c 'import torch, torchvision, onnx' 2>/dev/null ||
	{ echo "make_torchvision.sh: needs python3-torch, python3-torchvision and python3-onnx (apt-get install)" >&2; exit 1; }
mkdir -p "$dir"
/usr/bin/python3 "$(dirname "$0")/make_nn_onnx_fixtures.py" --full "$dir"
echo "torchvision models in $dir"
