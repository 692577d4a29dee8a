#!/bin/sh
# make bench: runs every tests/bench/bench_*.sh in turn. Each prints its own
# table of figures, side by side with the peer tools, as ratios. Benchmarks
# never fail the build on a timing; they fail only when a tool errors.
set -u
dir=$(dirname "$0")
rc=0
for b in "$dir"/bench_*.sh; do
	[ -e "$b" ] || continue
	echo "=== $(basename "$b" .sh)"
	sh "$b" || { echo "bench $(basename "$b") failed"; rc=1; }
	echo
done
exit $rc
