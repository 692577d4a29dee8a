#!/bin/sh
# --unwind fp on the frame-pointer build (the kernel's callchain), and
# --kernel adding kernel frames (named from kallsyms) to the user stacks.
. "$(dirname "$0")/../lib.sh"
require_perf

"$PROWL" record --unwind fp -o "$TMP/fp.folded" -- "$SAMPLES/cpu-fp" 2 2>"$TMP/err" || fail "record failed: $(cat "$TMP/err")"
cat "$TMP/err"
total=$(folded_total "$TMP/fp.folded")
a=$(folded_count "$TMP/fp.folded" '(^|;)main;(run_workload;)?hot_a ')
b=$(folded_count "$TMP/fp.folded" '(^|;)main;(run_workload;)?hot_b ')
c=$(folded_count "$TMP/fp.folded" '(^|;)main;(run_workload;)?hot_c ')
info "fp: hot_a $(pct "$a" "$total")% hot_b $(pct "$b" "$total")% hot_c $(pct "$c" "$total")% of $total"
[ "$total" -gt 100 ] || fail "only $total samples"
within "$(pct "$a" "$total")" 60 6 || fail "fp: hot_a share $(pct "$a" "$total")%"
within "$(pct "$b" "$total")" 30 6 || fail "fp: hot_b share $(pct "$b" "$total")%"

# Kernel frames: a command that lives in read()/write() of /dev/zero.
cmd="dd if=/dev/zero of=/dev/null bs=1M count=100000"
"$PROWL" record --kernel -d 1.5 -o "$TMP/k.folded" -- $cmd 2>"$TMP/kerr" || fail "record --kernel failed: $(cat "$TMP/kerr")"
cat "$TMP/kerr"
if grep -q "kernel frames missing" "$TMP/kerr"; then
	skip "the kernel hides its frames here: $(cat "$TMP/kerr")"
fi
kt=$(folded_total "$TMP/k.folded")
kk=$(folded_count "$TMP/k.folded" '_\[k\]')
info "--kernel: $kk of $kt samples have kernel frames"
[ "$kk" -gt 0 ] || fail "no kernel frames with --kernel: $(head -n 3 "$TMP/k.folded")"
# Kernel frames are leaves under the user stack that made the system call.
n=$(folded_count "$TMP/k.folded" ';__libc_start_call_main;.*_\[k\]')
[ "$n" -gt 0 ] || fail "kernel frames are not under dd's user stack: $(head -n 3 "$TMP/k.folded")"
"$PROWL" record -d 1 -o "$TMP/u.folded" -- $cmd 2>/dev/null
# Without --kernel no kernel function is named: its time is one [kernel] leaf (issue 13).
[ "$(tr ';' '\n' <"$TMP/u.folded" | sed 's/ [0-9]*$//' | grep '_\[k\]$' | grep -vcx '\[kernel\]_\[k\]')" = 0 ] ||
	fail "kernel frames without --kernel"
exit 0
