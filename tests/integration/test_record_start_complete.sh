#!/bin/sh
# Stacks of a process's first instructions are complete (issue 13): those
# that end at _start (the executable's entry or ld.so's) or ld.so's
# _dl_start_user start where every process starts and lack nothing, so the
# summary must not count them partial (before: 725 of 1644 samples of this
# exec-heavy loop were "partial", nearly all of them these). Time in the
# kernel's half of execve, before the new program runs, has no user stack:
# it is an [exec] leaf, not an [unknown] partial stack (before: 12% of the
# samples at 4 kHz were such partial stacks).
#
# Sampled at 4 kHz: each `ls` runs about 1 ms of CPU, and its inherited
# cpu-clock counts from its own start, so at 1 kHz it gets one sample at
# the same point of its run, in ld.so on a slow machine and in main on a
# fast one (31 to 381 of ~700 stacks rooted in ld.so, measured run to run).
# At 4 kHz every run is sampled several times along its life.
. "$(dirname "$0")/../lib.sh"
require_perf
require_cmd ls

"$PROWL" record -F 4000 --children -o "$TMP/x.folded" -- \
	sh -c 'i=0; while [ $i -lt 800 ]; do ls / >/dev/null; i=$((i + 1)); done' 2>"$TMP/err"
rc=$?
[ "$rc" = 0 ] || fail "record exited $rc: $(cat "$TMP/err")"
line=$(grep ' samples, ' "$TMP/err")
samples=$(echo "$line" | sed 's/^prowl record: \([0-9]*\) samples.*/\1/')
partial=$(echo "$line" | sed 's/.*; \([0-9]*\) partial.*/\1/')
# Stacks starting (under their process's root) at ld.so's _start or
# _dl_start_user, named from its symbols (ls's own _start is stripped).
starts=$(folded_count "$TMP/x.folded" '^([^;]*;)?(_start|_dl_start_user)(;| )')
# The kernel loading ls: the process's root, then [exec] alone.
execs=$(folded_count "$TMP/x.folded" '^[^;]*;\[exec\] ')
info "$samples samples, $partial partial, $starts rooted at ld.so's _start/_dl_start_user, $execs in [exec]"
[ "$samples" -gt 800 ] || fail "only $samples samples of 800 runs of ls at 4 kHz: $line"
[ "$starts" -gt 50 ] || fail "only $starts stacks start at _start/_dl_start_user: the loop did not exercise them"
[ "$execs" -gt 0 ] || fail "no sample shows the kernel's half of execve as [exec]"
# An [exec] leaf has nothing above it but the process.
bad=$(grep -c '\[exec\];' "$TMP/x.folded")
[ "$bad" = 0 ] || fail "$bad stacks go on past [exec]: $(grep -m1 '\[exec\];' "$TMP/x.folded")"
# A stack ending at a process's start is complete, and so is [exec]:
# partial stacks are the few that really stopped early.
[ "$((partial * 100))" -le "$((samples * 10))" ] ||
	fail "$partial of $samples stacks counted partial (at most 10% expected): $line"
exit 0
