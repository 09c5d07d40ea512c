#!/usr/bin/env bash
# fuzz-all.sh [TIME]: runs every Fuzz target of the module for TIME each
# (a go test -fuzztime value, default 3s) from its seed corpus (its f.Add
# calls and testdata/fuzz/NAME), FUZZ_JOBS targets at a time (default 2,
# each with one fuzzing worker). Targets are found by grep, so that a new
# one is never left out. A crash fails the script, with the failing input
# written under the package's testdata/fuzz/NAME as go test does: commit it
# with the fix, as its regression test.
#
# Go's fuzzing engine sometimes ends a run on a loaded machine with
# "context deadline exceeded" and no failing input (its coordinator gives
# up waiting for a busy worker); such a run is tried once more.
# Minimizing a new interesting input is capped at 2 s (-fuzzminimizetime;
# Go's default is 60 s): the ONNX targets' seeds are 100 KB models, and
# minimizing one byte at a time kept a worker busy for minutes, so that a
# 10-minute run of workload/onnx's FuzzImport made 31 executions.
set -euo pipefail
cd "$(dirname "$0")/.."
time=${1:-3s}
jobs=${FUZZ_JOBS:-2}
pattern='^func Fuzz[A-Za-z0-9_]+\([A-Za-z0-9_]+ \*testing\.F\)'
targets=$(grep -rlE --include='*_test.go' "$pattern" . | sort | while read -r file; do
	grep -oE "$pattern" "$file" | sed -E 's/^func (Fuzz[A-Za-z0-9_]+).*/\1/' | sed "s|^|$(dirname "$file") |"
done)
if [ -z "$targets" ]; then
	echo "fuzz-all: no Fuzz targets found" >&2
	exit 1
fi
n=$(wc -l <<<"$targets")
echo "fuzz-all: $n targets, $time each, $jobs at a time"

# one DIR NAME fuzzes one target and prints one line, or the log of a
# failure; it fails when the target does.
one() {
	local dir=$1 name=$2 log t0 try
	log=$(mktemp)
	for try in 1 2; do
		t0=$SECONDS
		if go test "$dir" -run '^$' -fuzz "^$name\$" -fuzztime "$time" -fuzzminimizetime 2s -parallel 1 >"$log" 2>&1; then
			echo "ok    $dir $name ($((SECONDS - t0))s)"
			rm -f "$log"
			return 0
		fi
		if [ "$try" = 1 ] && grep -q 'context deadline exceeded' "$log" && ! grep -q 'Failing input written' "$log"; then
			echo "again $dir $name: the engine timed out without a failing input"
			continue
		fi
		break
	done
	{ echo "FAIL  $dir $name"; cat "$log"; } 
	rm -f "$log"
	return 1
}
export -f one
export time
start=$SECONDS
status=0
xargs -P "$jobs" -L 1 bash -c 'one "$@"' _ <<<"$targets" || status=1
echo "fuzz-all: $n targets in $((SECONDS - start))s$([ $status = 0 ] || echo ', some FAILED')"
exit $status
