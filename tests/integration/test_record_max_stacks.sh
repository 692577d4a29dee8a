#!/bin/sh
# --max-stacks caps the distinct call paths kept: with a cap far below what
# the cpu sample makes (its six functions and the addresses sampled in them), stacks past
# it end in "[stack limit]" under the part of them already known, every sample
# is still counted, and the summary says how many were folded. Without the
# cap the same run has no such frame.
. "$(dirname "$0")/../lib.sh"
# 3 s of wall clock: on a loaded machine 1 s gave the sample 152 ms of CPU.
"$PROWL" record -F 999 --max-stacks 8 -o "$TMP/cap.folded" -- "$SAMPLES/cpu" 3 2>"$TMP/err"
rc=$?
cat "$TMP/err"
[ "$rc" = 0 ] || fail "prowl exited $rc"
total=$(folded_total "$TMP/cap.folded")
cut=$(folded_count "$TMP/cap.folded" ';\[stack limit\] [0-9]+$|^[^;]*\[stack limit\] [0-9]+$')
said=$(sed -n 's/^prowl record: \([0-9]*\) samples folded into \[stack limit\].*/\1/p' "$TMP/err")
recorded=$(sed -n 's/^prowl record: \([0-9]*\) samples, .*/\1/p' "$TMP/err")
info "$cut of $total samples under [stack limit]; summary says $said folded of $recorded"
at_least "$total" 200 || fail "only $total samples"
at_least "$cut" 1 || fail "no stack folded at a cap of 8"
[ "$said" = "$cut" ] || fail "summary says ${said:-nothing} folded, the profile has $cut under [stack limit]"
[ "$recorded" = "$total" ] || fail "folding lost samples: $recorded recorded, $total written"
# Folded stacks keep their known prefix: the cap is reached under main.
at_least "$(folded_count "$TMP/cap.folded" ';main;.*\[stack limit\] [0-9]+$')" 1 || fail "no folded stack kept its prefix through main"
distinct=$(wc -l <"$TMP/cap.folded")
# 8 nodes, and at most one marker under each: no more than 16 lines.
at_least 16 "$distinct" || fail "$distinct distinct stacks written with a cap of 8 nodes"
"$PROWL" record -F 999 -o "$TMP/free.folded" -- "$SAMPLES/cpu" 1 2>"$TMP/err2" || fail "uncapped run: $(cat "$TMP/err2")"
grep -q 'stack limit' "$TMP/free.folded" "$TMP/err2" && fail "[stack limit] without a cap reached"
exit 0
