#!/bin/sh
# -p and -t with a thread id (issue 13): -p TID of a thread that is not the
# process's first means its whole process, said in one line (before, it
# recorded nothing and blamed the target for using no CPU); -t TID records
# that one thread alone, with both backends.
. "$(dirname "$0")/../lib.sh"
require_perf

bg "$SAMPLES/threads" 30 0
P=$BG
wait_threads "$P" 5 || fail "the sample did not start its threads"
wait_thread_names "$P" early-a early-b late-c late-d || fail "the threads did not name themselves"
tid_named() { # NAME
	for t in $(ls "/proc/$P/task"); do
		[ "$(cat "/proc/$P/task/$t/comm" 2>/dev/null)" = "$1" ] && { echo "$t"; return 0; }
	done
	return 1
}
A=$(tid_named early-a) || fail "no thread early-a"
B=$(tid_named early-b) || fail "no thread early-b"
[ "$A" != "$P" ] || fail "early-a is the process's own thread"

# -p TID: the whole process, and one line saying so.
"$PROWL" record -d 1 --threads -o "$TMP/p.folded" -p "$A" 2>"$TMP/p.err"
rc=$?
[ "$rc" = 0 ] || fail "-p TID: exit $rc: $(cat "$TMP/p.err")"
grep -q "^prowl record: $A is thread early-a of process $P (threads): profiling the whole process; -t $A takes that thread alone$" "$TMP/p.err" ||
	fail "-p TID: no line saying it takes the process: $(cat "$TMP/p.err")"
a=$(folded_count "$TMP/p.folded" "^early-a \($A\);.*work_early_a ")
b=$(folded_count "$TMP/p.folded" "^early-b \($B\);.*work_early_b ")
[ "$a" -gt 50 ] && [ "$b" -gt 50 ] || fail "-p TID: early-a $a, early-b $b samples (the whole process expected)"
info "-p $A: early-a $a, early-b $b"

# -t TID: that thread alone, with each backend.
for be in perf ptrace; do
	"$PROWL" record -d 1 --threads --backend $be -o "$TMP/t$be.folded" -t "$A" 2>"$TMP/t$be.err"
	rc=$?
	[ "$rc" = 0 ] || fail "-t TID ($be): exit $rc: $(cat "$TMP/t$be.err")"
	all=$(folded_total "$TMP/t$be.folded")
	# (a tick that lands in the kernel, a page fault or an interrupt, is
	# work_early_a's [kernel] leaf: time in the kernel is kept by default)
	a=$(folded_count "$TMP/t$be.folded" "^early-a \($A\);.*work_early_a(;\[kernel\]_\[k\])? ")
	[ "$a" -gt 50 ] || fail "-t TID ($be): $a samples of early-a"
	[ "$all" = "$a" ] || fail "-t TID ($be): $all samples, only $a of early-a: $(cut -d';' -f1 "$TMP/t$be.folded" | sort -u | tr '\n' ' ')"
	grep -q "samples, .* 1 thread," "$TMP/t$be.err" || fail "-t TID ($be): the summary counts other threads: $(cat "$TMP/t$be.err")"
	info "-t $A ($be): $a samples, all of early-a"
done

# -t twice, and -p with -t on the same process: the threads named, or all.
"$PROWL" record -d 1 --threads -o "$TMP/tt.folded" -t "$A" -t "$B" 2>/dev/null || fail "-t A -t B failed"
[ "$(cut -d' ' -f1-2 "$TMP/tt.folded" | cut -d';' -f1 | sort -u | wc -l)" = 2 ] || fail "-t A -t B: not exactly the two threads"
exit 0
