#!/bin/sh
# Stacks of a process's first instructions are complete (issue 13): those
# that end at _start (the executable's entry or ld.so's) or ld.so's
# _dl_start_user start where every process starts and lack nothing, so the
# summary must not count them partial (before: 725 of 1644 samples of this
# exec-heavy loop were "partial", nearly all of them these).
. "$(dirname "$0")/../lib.sh"
require_perf
require_cmd ls

"$PROWL" record --children -o "$TMP/x.folded" -- \
	sh -c 'i=0; while [ $i -lt 800 ]; do ls / >/dev/null; i=$((i + 1)); done' 2>"$TMP/err"
rc=$?
[ "$rc" = 0 ] || fail "record exited $rc: $(cat "$TMP/err")"
line=$(grep ' samples, ' "$TMP/err")
samples=$(echo "$line" | sed 's/^prowl record: \([0-9]*\) samples.*/\1/')
partial=$(echo "$line" | sed 's/.*; \([0-9]*\) partial.*/\1/')
# Stacks starting (under their process's root) at ld.so's _start or
# _dl_start_user, named from its symbols (ls's own _start is stripped).
starts=$(folded_count "$TMP/x.folded" '^([^;]*;)?(_start|_dl_start_user)(;| )')
info "$samples samples, $partial partial, $starts rooted at ld.so's _start/_dl_start_user"
[ "$samples" -gt 200 ] || skip "too few samples ($samples) to judge on this machine"
[ "$starts" -gt 50 ] || fail "only $starts stacks start at _start/_dl_start_user: the loop did not exercise them"
# A stack ending at a process's start is complete: partial stacks are the
# few that really stopped early.
[ "$((partial * 100))" -le "$((samples * 10))" ] ||
	fail "$partial of $samples stacks counted partial (at most 10% expected): $line"
exit 0
