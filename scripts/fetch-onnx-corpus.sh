#!/bin/sh
# fetch-onnx-corpus.sh [--small] [DIR]: make the corpus of real ONNX files
# that the corpus test (internal/cli/corpus_test.go) checks nnergy against,
# and print its directory on stdout (everything else goes to stderr), so that
#
#	NNERGY_ONNX_CORPUS=$(scripts/fetch-onnx-corpus.sh --small)
#
# sets up the test. scripts/onnx-corpus/make.py exports torchvision CNNs,
# ViT-B/16, torch TransformerEncoders in both layouts, an LSTM, a GRU, an
# einsum attention and a ConvTranspose decoder at opsets 11 to 17, static
# and dynamic batch, each with a JSON of MACs per node counted from the graph
# by Python (never by nnergy). --small makes the subset that CI builds (10
# files, 130 MB, about a minute on 2 cores); without it, all 21 files (1 GB:
# ViT-B/16 twice, ResNet-50, DenseNet-121...; about 13 minutes).
#
# The models come from Debian's python3-torch, python3-torchvision and
# python3-onnx (run under /usr/bin/python3) with weights=None: random
# weights, nothing downloaded from a model hub. When they are missing they
# are installed with apt-get (as root, or through sudo without a password):
# on Debian 12, 282 packages, 245 MB downloaded, about 2 minutes.
#
# DIR defaults to $NNERGY_DATA/onnx-corpus/SET-HASH when NNERGY_DATA is set,
# else ~/.cache/nnergy/onnx-corpus/SET-HASH, where SET is small or full and
# HASH is the start of the SHA-256 of make.py: a change to make.py makes a new
# corpus. Running it again with the corpus in place does nothing.
set -eu

set=full
if [ "${1:-}" = --small ]; then
	set=small
	shift
fi
if [ $# -gt 1 ] || [ "${1:-}" = -h ] || [ "${1:-}" = --help ]; then
	echo "usage: $0 [--small] [DIR]" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
make=$here/onnx-corpus/make.py
hash=$(sha256sum "$make" | cut -c1-12)
stamp="$set $hash"
if [ $# -eq 1 ]; then
	dir=$1
elif [ -n "${NNERGY_DATA:-}" ]; then
	dir=$NNERGY_DATA/onnx-corpus/$set-$hash
else
	dir=$HOME/.cache/nnergy/onnx-corpus/$set-$hash
fi

if [ -f "$dir/.nnergy-onnx-corpus" ] && [ "$(cat "$dir/.nnergy-onnx-corpus")" = "$stamp" ]; then
	echo "ONNX corpus ($set, make.py $hash) already in $dir" >&2
	echo "$dir"
	exit 0
fi
# DIR is replaced as a whole: only when it is ours or empty.
if [ -d "$dir" ] && [ ! -f "$dir/.nnergy-onnx-corpus" ] && [ -n "$(ls -A "$dir")" ]; then
	echo "fetch-onnx-corpus.sh: $dir exists and is not an ONNX corpus; give an empty or new directory" >&2
	exit 1
fi

py=/usr/bin/python3
pkgs="python3-torch python3-torchvision python3-onnx"
if ! "$py" -c 'import torch, torchvision, onnx' 2>/dev/null; then
	if [ "$(id -u)" -eq 0 ]; then
		sudo=
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		sudo=sudo
	else
		echo "fetch-onnx-corpus.sh: $py cannot import torch, torchvision and onnx; install $pkgs (apt-get install $pkgs as root)" >&2
		exit 1
	fi
	command -v apt-get >/dev/null 2>&1 || { echo "fetch-onnx-corpus.sh: no apt-get to install $pkgs" >&2; exit 1; }
	start=$(date +%s)
	echo "installing $pkgs with apt-get" >&2
	$sudo apt-get update -qq >&2
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $pkgs >&2
	"$py" -c 'import torch, torchvision, onnx' || { echo "fetch-onnx-corpus.sh: $py still cannot import torch, torchvision and onnx" >&2; exit 1; }
	echo "installed $pkgs in $(($(date +%s) - start)) s" >&2
fi

mkdir -p "$(dirname "$dir")"
tmp=$(mktemp -d "$(dirname "$dir")/.onnx-corpus.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
start=$(date +%s)
flag=
[ $set = small ] && flag=--small
# PyTorch's exporter warns about every TracerWarning and constant folding;
# keep the lines of make.py and the errors.
"$py" -W ignore "$make" $flag "$tmp" >&2
echo "$stamp" >"$tmp/.nnergy-onnx-corpus"
rm -rf "$dir"
mv "$tmp" "$dir"
trap - EXIT
echo "ONNX corpus ($set, make.py $hash): $(ls "$dir"/*.onnx | wc -l) files, $(du -sh "$dir" | cut -f1), made in $(($(date +%s) - start)) s, in $dir" >&2
echo "$dir"
