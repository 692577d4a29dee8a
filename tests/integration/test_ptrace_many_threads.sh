#!/bin/sh
# ptrace cpu mode on a process of 2001 threads, 2000 of them asleep: a look
# at every thread (a /proc read each) takes longer than a period at 999 Hz,
# so the rate falls; prowl must say so in one line naming the rate reached
# and why (it used to take 2 samples in 2 s and say nothing). The spinning
# main thread's samples still add up to its CPU time (each weighs the CPU
# its thread used since its previous one), so the profile is not starved.
. "$(dirname "$0")/../lib.sh"
require_ptrace
IT=$BUILD/tests/helpers/idlethreads
[ -x "$IT" ] || fail "$IT is missing: make $IT"
bg "$IT" 2000 30
wait_threads "$BG" 2001 || fail "idlethreads did not start its 2000 threads"
"$PROWL" record --backend ptrace -F 999 -p "$BG" -d 2 -o "$TMP/m.folded" 2>"$TMP/err" || fail "prowl failed: $(cat "$TMP/err")"
cat "$TMP/err"
kill "$BG"
line=$(grep 'ptrace sampling fell to' "$TMP/err" | tail -n 1)
[ -n "$line" ] || fail "nothing said about the rate falling"
[ "$(grep -c 'ptrace sampling fell to' "$TMP/err")" -le 3 ] || fail "more than a few lines about the rate"
echo "$line" | grep -qE 'fell to [0-9.]+ Hz \(asked 999 Hz\): one look at 2001 threads takes [0-9.]+ ms' ||
	fail "the line does not name the rate reached, the threads and the cost of a look: $line"
hz=$(echo "$line" | sed -n 's/.*fell to \([0-9.]*\) Hz.*/\1/p')
at_least 499 "$hz" || fail "said the rate fell to $hz Hz: not under half of 999"
spin=$(folded_count "$TMP/m.folded" ';spin_main [0-9]+$')
# 100 periods of 1 ms is 0.1 s of CPU in 2 s: a spinning thread gets that
# even on a loaded machine; counted by ticks it got 2.
info "rate fell to $hz Hz; spin_main weighs $spin samples"
at_least "$spin" 100 || fail "spin_main has $spin samples: the thread's CPU time is not counted"
exit 0
