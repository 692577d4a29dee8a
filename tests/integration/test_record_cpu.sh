#!/bin/sh
# prowl record on the 60/30/10 sample (no frame pointers): each function's
# share within 5 points, at least 99% of samples unwound to main, and no
# fewer than perf record --call-graph dwarf manages on the same binary.
. "$(dirname "$0")/../lib.sh"
require_perf

"$PROWL" record -o "$TMP/cpu.folded" -- "$SAMPLES/cpu" 3 2>"$TMP/err" || fail "record failed: $(cat "$TMP/err")"
cat "$TMP/err"
grep -q 'samples, 0 lost' "$TMP/err" || info "lost samples: $(cat "$TMP/err")"
total=$(folded_total "$TMP/cpu.folded")
[ "$total" -ge 300 ] || fail "only $total samples in 3 s"
a=$(folded_count "$TMP/cpu.folded" ';hot_a ')
b=$(folded_count "$TMP/cpu.folded" ';hot_b ')
c=$(folded_count "$TMP/cpu.folded" ';hot_c ')
pa=$(pct "$a" "$total") pb=$(pct "$b" "$total") pc=$(pct "$c" "$total")
info "hot_a $pa% hot_b $pb% hot_c $pc% of $total samples"
within "$pa" 60 5 || fail "hot_a has $pa%, expected 60 +- 5"
within "$pb" 30 5 || fail "hot_b has $pb%, expected 30 +- 5"
within "$pc" 10 5 || fail "hot_c has $pc%, expected 10 +- 5"
# The fixed call path, all the way to _start.
path=$(folded_count "$TMP/cpu.folded" '^_start;__libc_start_main[^;]*;__libc_start_call_main;main;run_workload;hot_[abc] ')
main=$(folded_count "$TMP/cpu.folded" '(^|;)main;')
pm=$(pct "$main" "$total")
info "unwound to main: $pm% ($main of $total); full path from _start: $(pct "$path" "$total")%"
at_least "$pm" 99 || fail "only $pm% of samples reach main"

# perf on the same binary, same rate and stack size, counted from perf script.
if command -v perf >/dev/null 2>&1; then
	perf record -q -F 999 -e cpu-clock --call-graph dwarf,16384 -o "$TMP/perf.data" -- "$SAMPLES/cpu" 3 \
		>/dev/null 2>"$TMP/perf.err" || fail "perf record failed: $(cat "$TMP/perf.err")"
	perf script -i "$TMP/perf.data" -F comm,tid,ip,sym 2>/dev/null >"$TMP/perf.txt"
	set -- $(awk 'BEGIN { RS = "" } { n++; if ($0 ~ /[ \t]main(\n|$)/) m++ } END { print n + 0, m + 0 }' "$TMP/perf.txt")
	pn=$1 pmain=$2
	[ "$pn" -gt 0 ] || fail "perf recorded no samples"
	pp=$(pct "$pmain" "$pn")
	info "perf --call-graph dwarf: $pp% of $pn samples reach main"
	# Two runs, two samplings: half a point (a few samples at start-up in
	# ld.so, before main exists) is noise, not a worse unwinder.
	at_least "$pm" "$(awk -v p="$pp" 'BEGIN { print p - 0.5 }')" || fail "prowl reaches main in $pm% of samples, perf in $pp%"
else
	fail "perf is not installed (run: sh scripts/setup-deps.sh test)"
fi
exit 0
