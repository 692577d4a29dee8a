#!/bin/sh
# --max-stacks caps the distinct call paths kept: with a cap far below what
# the cpu sample makes (its six functions and the addresses sampled in them), stacks past
# it end in "[stack limit]" under the part of them already known, every sample
# is still counted, and the summary says how many were folded. Without the
# cap the same run has no such frame.
. "$(dirname "$0")/../lib.sh"
# The capped run attaches to a sample already spinning in main: the cap keeps
# the first paths seen, and a launched run whose first sample fell in the
# dynamic loader (_start;_dl_start;...;elf_dynamic_do_Rela, 7 nodes) left one
# node for everything after it, so nothing could be kept under main (seen in
# CI under ASan). Attached, the path to the hot functions is known from the
# first sample on.
# 3 s of wall clock: on a loaded machine 1 s gave the sample 152 ms of CPU.
bg "$SAMPLES/cpu" 30
wait_exec "$BG" cpu || fail "cpu sample did not start"
# 50 ms of its own CPU time (5 ticks of utime): past the loader, in main.
spun() { awk '{ exit !($14 >= 5) }' "/proc/$1/stat" 2>/dev/null; }
wait_until spun "$BG" || fail "cpu sample got no CPU time in 5 s"
"$PROWL" record -F 999 --max-stacks 8 -d 3 -o "$TMP/cap.folded" -p "$BG" 2>"$TMP/err"
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
