#!/bin/sh
# make demo: profile a bundled sample (the 60/30/10 CPU program, built
# without frame pointers) for about 3 seconds, write its collapsed stacks and
# an SVG flame graph under build/demo/, then print the hottest functions.
# make has already built ./prowl and samples/bin/.
set -eu
cd "$(dirname "$0")/.."
out=${DEMO_DIR:-build/demo}
mkdir -p "$out"
prowl=./prowl
[ -x "$prowl" ] || prowl=build/prowl

echo "== prowl record -o $out/cpu.folded -- samples/bin/cpu 3"
echo "   (hot_a, hot_b and hot_c share the CPU 60/30/10 under main -> run_workload)"
"$prowl" record -o "$out/cpu.folded" -- samples/bin/cpu 3
"$prowl" convert "$out/cpu.folded" -o "$out/cpu.svg" 2>/dev/null ||
	"$prowl" record -d 1 -o "$out/cpu.svg" -- samples/bin/cpu 1
echo
echo "== hottest functions (prowl report $out/cpu.folded --top 8)"
if ! "$prowl" report "$out/cpu.folded" --top 8 2>/dev/null; then
	# Before `prowl report` existed: self samples per leaf function.
	awk '{ n = split($1, f, ";"); self[f[n]] += $NF; total += $NF }
	     END { for (k in self) printf "%6.2f%%  %s\n", 100 * self[k] / total, k }' "$out/cpu.folded" |
		sort -rn | head -n 8
fi
echo
echo "flame graph: $out/cpu.svg (open it in a browser); collapsed stacks: $out/cpu.folded"
