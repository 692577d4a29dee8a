#!/bin/sh
# A target that creates and ends thousands of threads a second (samples/bin/
# churn, 16 in flight), launched and attached, with each backend: prowl runs
# to the end without error, the target finishes with status 0, and the
# profile's stacks are all of the target (churn_thread or main, or a thread
# caught in clone before its start routine). Through
# ptrace in wall mode (a clock that stops every thread, running or not) many
# distinct short-lived threads are in the profile. Those threads live about
# 1 ms (churn's WORK 50): a thread must be alive at a tick to be seen, and
# one that lives 20 us between two ticks is not, however it is sampled. With
# 20 us threads on an idle machine, prowl served the clone stops so fast that
# churn made 19,000-21,000 threads in 2 s (39,000 alone) and only 31-50 of
# them were ever alive at one of the ~900 ticks; on a busy machine the same
# threads waited for a CPU, lived longer and 300-700 showed. In cpu mode ptrace counts
# only threads that were on a CPU, and a 20 us thread seldom is. Through
# perf_event they are not, and cannot be: each
# thread inherits its own cpu-clock counter, and a thread that runs 20 us
# never reaches the 1 ms sampling period (perf record gets the same: 1
# sample in 2 s while churn burns 1.5 s of CPU); so for perf only the
# absence of harm and errors is asserted. Each new thread stops its creator
# under ptrace: that run says so in one line (the rate and --backend perf),
# perf's says nothing, nor does ptrace on a target whose threads stay.
. "$(dirname "$0")/../lib.sh"
require_perf
require_ptrace
# A thread's stack starts at clone (start, work, exit); main's reaches main,
# or, launched, is still in the dynamic loader that starts it (_start;
# _dl_start;...: a sample there is of the target too; CI under ASan had one).
ours_re='^(churn|main) \([0-9]+\);(__clone3?|.*;main|_start;_dl_start)(;| )'
churn_said() { grep -c 'threads a second: under ptrace each new thread stops the one creating it' "$1"; }
said_once() { # WHAT ERRFILE BACKEND
	n=$(churn_said "$2") want=1
	[ "$3" = perf ] && want=0
	[ "$n" = $want ] || fail "$1: the thread-creation cost said $n times, not $want: $(cat "$2")"
}
check() { # WHAT FILE BACKEND
	total=$(folded_total "$2")
	ours=$(folded_count "$2" "$ours_re")
	# A thread caught while it is torn down may give a lone [unknown]: at most 2%.
	[ "$ours" -ge $((total - total / 50)) ] || fail "$1: $((total - ours)) of $total samples are not of a churn thread or main: $(grep -vE "$ours_re" "$2" | head -n 3)"
	[ "$3" = perf ] && { info "$1: $total samples (perf cannot see 20 us threads)"; return 0; }
	work=$(folded_count "$2" '^churn \([0-9]+\);.*churn_thread;churn_work( |;)')
	tids=$(grep -oE '^churn \([0-9]+\)' "$2" | sort -u | wc -l)
	info "$1: $total samples, $work in churn_work, $tids distinct churn threads"
	# A churn thread spends about 1 ms in churn_work (fewer ticks fit
	# under ASan): some sample must reach its code.
	[ "$work" -ge 1 ] || fail "$1: only $work samples in churn_work: $(head -n 5 "$2")"
	[ "$tids" -ge 20 ] || fail "$1: only $tids distinct threads in the profile"
}
for b in perf ptrace; do
	mode=cpu wk=1
	[ $b = ptrace ] && mode=wall wk=50
	"$PROWL" record --backend $b --mode $mode --threads -o "$TMP/$b-launch.folded" -- "$SAMPLES/churn" 2 16 $wk 2>"$TMP/err"
	rc=$?
	cat "$TMP/err"
	[ $rc = 0 ] || fail "$b launched: prowl exited $rc (the target's status, or prowl's)"
	said_once "$b launched" "$TMP/err" $b
	check "$b launched" "$TMP/$b-launch.folded" $b

	# 3 s attached (the run ends 2 s after it): under ASan a 1.5 s attach
	# caught as few as 21 distinct threads, against the 20 required.
	bg "$SAMPLES/churn" 5 16 $wk
	t=$BG
	wait_exec $t churn
	"$PROWL" record --backend $b --mode $mode --threads -p $t -d 3 -o "$TMP/$b-attach.folded" 2>"$TMP/err"
	rc=$?
	cat "$TMP/err"
	[ $rc = 0 ] || fail "$b attached: prowl exited $rc"
	said_once "$b attached" "$TMP/err" $b
	st=$(proc_state $t) tr=$(proc_tracer $t)
	case "$st" in t|T) fail "$b attached: target left in state $st" ;; esac
	[ "${tr:-0}" = 0 ] || fail "$b attached: target still traced by $tr"
	wait $t
	trc=$?
	[ $trc = 0 ] || fail "$b attached: the target exited $trc"
	check "$b attached" "$TMP/$b-attach.folded" $b
done
# Threads that stay: nothing to say.
"$PROWL" record --backend ptrace -o "$TMP/steady.folded" -- "$SAMPLES/threads" 2 2>"$TMP/err"
rc=$?
[ $rc = 0 ] || fail "steady threads: prowl exited $rc: $(cat "$TMP/err")"
[ "$(churn_said "$TMP/err")" = 0 ] || fail "steady threads: the thread-creation cost was said: $(cat "$TMP/err")"
echo "thread churn, launched and attached, perf and ptrace: no error, many threads profiled"
