#!/bin/sh
# prowl record -p on a multi-threaded process: threads started before the
# attach and threads started after it are all in the profile, named.
. "$(dirname "$0")/../lib.sh"
require_perf

bg "$SAMPLES/threads" 6 1500
pid=$BG
wait_threads "$pid" 3 || fail "the sample did not start its early threads"
wait_thread_names "$pid" early-a early-b || fail "the early threads did not name themselves"
"$PROWL" record -p "$pid" -d 3 --threads -o "$TMP/t.folded" 2>"$TMP/err" || fail "record failed: $(cat "$TMP/err")"
cat "$TMP/err"
[ "$(ls "/proc/$pid/task" | wc -l)" -ge 5 ] || fail "late threads were not started during the recording"
for t in early-a:work_early_a early-b:work_early_b late-c:work_late_c late-d:work_late_d; do
	name=${t%%:*} fn=${t#*:}
	n=$(folded_count "$TMP/t.folded" "^$name \\([0-9]+\\);.*;$fn ")
	info "$name: $n samples in $fn"
	[ "$n" -gt 0 ] || fail "thread $name ($fn) is missing: $(cut -d';' -f1 "$TMP/t.folded" | sort | uniq -c)"
done
# Late threads start inside the recording: their stacks are complete too.
n=$(folded_count "$TMP/t.folded" '^late-c \([0-9]+\);__clone3;start_thread;late_c;work_late_c ')
[ "$n" -gt 0 ] || fail "late-c stacks do not reach clone3"
exit 0
