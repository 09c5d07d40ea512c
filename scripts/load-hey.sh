#!/usr/bin/env bash
# Load test of nnergy serve with hey (Debian package hey): builds nnergy,
# records 50 LeNet-5 evals into a fresh SQLite store, serves it on a free
# loopback port with one job at a time, then runs at once for SECONDS
# (default 30) four hey clients of 2 workers each:
#   get-run      GET  /api/v1/runs/25
#   list-20      GET  /api/v1/runs?limit=20
#   list-energy  GET  /api/v1/runs?sort=energy&limit=20
#   post-eval    POST /api/v1/jobs/eval (LeNet-5; 429 when the queue is full)
# and prints requests, p50, p99 and status codes per endpoint. It fails
# when an answer is not 200 (202 or 429 for post-eval), when hey reports
# errors, or when the server does not exit 0 on SIGTERM.
#
# Usage: scripts/load-hey.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
command -v hey >/dev/null || { echo "load-hey: hey is not installed (apt-get install hey)" >&2; exit 1; }

dir=$(mktemp -d)
server=
cleanup() {
	if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; fi
	rm -rf "$dir"
}
trap cleanup EXIT

go build -o "$dir/nnergy" ./cmd/nnergy
db=$dir/runs.db
for _ in $(seq 50); do
	"$dir/nnergy" eval --model lenet5 --store "$db" --format json >/dev/null
done

"$dir/nnergy" serve --addr 127.0.0.1:0 --store "sqlite:$db" --jobs 1 2>"$dir/serve.err" &
server=$!
base=
for _ in $(seq 100); do
	base=$(sed -n '1s|^nnergy: serving the API on \(http://[^/]*\)/api/v1 over .*|\1|p' "$dir/serve.err")
	[ -n "$base" ] && break
	sleep 0.1
done
[ -n "$base" ] || { echo "load-hey: nnergy serve did not start:" >&2; cat "$dir/serve.err" >&2; exit 1; }

hey -z "${seconds}s" -c 2 "$base/api/v1/runs/25" >"$dir/get-run" &
hey -z "${seconds}s" -c 2 "$base/api/v1/runs?limit=20" >"$dir/list-20" &
hey -z "${seconds}s" -c 2 "$base/api/v1/runs?sort=energy&limit=20" >"$dir/list-energy" &
hey -z "${seconds}s" -c 2 -m POST -T application/json -d '{"arch": "eyeriss", "model": "lenet5"}' \
	"$base/api/v1/jobs/eval" >"$dir/post-eval" &
wait %2 %3 %4 %5

echo "hey, $seconds s, 4 x 2 workers against nnergy serve --jobs 1 on $base ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%-12s %9s %9s %9s  %s\n' endpoint requests p50_ms p99_ms status
fail=0
for e in get-run list-20 list-energy post-eval; do
	f=$dir/$e
	p50=$(awk '/ 50% in/ {printf "%.1f", $3*1000}' "$f")
	p99=$(awk '/ 99% in/ {printf "%.1f", $3*1000}' "$f")
	codes=$(awk '/^Status code distribution:/ {on=1; next} on && /^ *\[/ {gsub(/[][]/, "", $1); printf "%s%s:%s", sep, $1, $2; sep=" "; next} on && !/^ *\[/ {on=0}' "$f")
	total=$(awk '/^Status code distribution:/ {on=1; next} on && /^ *\[/ {n+=$2} on && !/^ *\[/ {on=0} END {print n+0}' "$f")
	printf '%-12s %9s %9s %9s  %s\n' "$e" "$total" "$p50" "$p99" "$codes"
	allowed='200'
	[ "$e" = post-eval ] && allowed='202|429'
	for c in $codes; do
		if ! [[ ${c%%:*} =~ ^($allowed)$ ]]; then
			echo "load-hey: $e answered ${c%%:*} (${c##*:} times)" >&2
			fail=1
		fi
	done
	if grep -q '^Error distribution:' "$f"; then
		echo "load-hey: $e: hey reports errors:" >&2
		sed -n '/^Error distribution:/,$p' "$f" >&2
		fail=1
	fi
done

kill -TERM "$server"
if ! wait "$server"; then
	echo "load-hey: nnergy serve did not exit 0 on SIGTERM:" >&2
	cat "$dir/serve.err" >&2
	fail=1
fi
server=
exit $fail
