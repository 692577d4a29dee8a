#!/bin/sh
# The 2-thread CPU-bound sample at the default frequency: no sample lost,
# both threads named, and the end summary says so.
. "$(dirname "$0")/../lib.sh"
require_perf

"$PROWL" record --threads -o "$TMP/b.folded" -- "$SAMPLES/busy2" 3 2>"$TMP/err" || fail "record failed: $(cat "$TMP/err")"
cat "$TMP/err"
grep -Eq '^prowl record: [0-9]+ samples, 0 lost \(0\.0%\), [0-9]+ threads?, [0-9.]+ s' "$TMP/err" || fail "samples were lost or no summary: $(cat "$TMP/err")"
l=$(folded_count "$TMP/b.folded" '^busy-1 \([0-9]+\);__clone3;start_thread;left_thread;spin_left ')
r=$(folded_count "$TMP/b.folded" '^busy-2 \([0-9]+\);__clone3;start_thread;right_thread;spin_right ')
info "busy-1 $l, busy-2 $r"
[ "$l" -gt 100 ] && [ "$r" -gt 100 ] || fail "a thread is missing: $(cat "$TMP/b.folded")"
exit 0
