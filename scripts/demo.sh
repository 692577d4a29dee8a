#!/bin/sh
# make demo: profile a bundled sample (the 60/30/10 CPU program, built
# without frame pointers) for about 3 seconds, write its collapsed stacks and
# an SVG flame graph and pprof under build/demo/, then print the hottest functions.
# make has already built ./prowl and samples/bin/.
set -eu
cd "$(dirname "$0")/.."
out=${DEMO_DIR:-build/demo}
mkdir -p "$out"
prowl=./prowl
[ -x "$prowl" ] || prowl=build/prowl

echo "== prowl record -o $out/cpu.pb.gz -- samples/bin/cpu 3"
echo "   (hot_a, hot_b and hot_c share the CPU 60/30/10 under main -> run_workload)"
"$prowl" record -o "$out/cpu.pb.gz" -- samples/bin/cpu 3
# pprof keeps file:line and inline chains; the other formats are made from it.
"$prowl" convert "$out/cpu.pb.gz" -o "$out/cpu.svg"
"$prowl" convert "$out/cpu.pb.gz" -o "$out/cpu.folded"
echo
echo "== hottest functions (prowl report $out/cpu.pb.gz --top 8)"
"$prowl" report "$out/cpu.pb.gz" --top 8
echo
echo "flame graph: $out/cpu.svg (open it in a browser); collapsed stacks: $out/cpu.folded;"
echo "pprof: $out/cpu.pb.gz (go tool pprof -top $out/cpu.pb.gz)"
