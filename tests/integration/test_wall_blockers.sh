#!/bin/sh
# --mode wall never changes what the target's system calls return: the
# blockers sample (a thread in each of read on a pipe, epoll_wait, a
# contended mutex, nanosleep, semtimedop, sigwaitinfo, each checking every
# result) is profiled 10 s with each backend and reports zero EINTR and zero
# wrong results (the old ptrace wall mode gave ~1500 EINTR in 5 s). While it
# runs, no thread of it is ever seen stopped (T), and with the perf backend
# it is never traced (TracerPid 0, no tracing stop t). The profile names each
# wait by its call under the function that waits, and every thread's samples
# add up to its wall time (recorded seconds x rate).
. "$(dirname "$0")/../lib.sh"
require_perf
require_ptrace
[ -x "$SAMPLES/blockers" ] || fail "$SAMPLES/blockers is missing: make samples"

run() { # BACKEND
	be=$1
	# The sample's stderr is its report, written when it ends.
	bg "$SAMPLES/blockers" 13 2>"$TMP/$be.report"
	T=$BG
	wait_exec "$T" blockers || fail "$be: blockers did not start"
	wait_threads "$T" 8 || fail "$be: blockers has not its 8 threads"
	"$PROWL" record --stats --backend "$be" --mode wall --threads -p "$T" -d 10 -o "$TMP/$be.folded" \
		2>"$TMP/$be.err" &
	P=$!
	bad=""
	looks=0
	while kill -0 "$P" 2>/dev/null; do
		for st in /proc/"$T"/task/*/status; do
			s=$(awk '/^State:/ { print $2 } /^TracerPid:/ { print $2 }' "$st" 2>/dev/null | tr '\n' ' ')
			set -- $s
			[ $# = 2 ] || continue
			looks=$((looks + 1))
			case "$1" in T) bad="$bad stopped:$st" ;; esac
			if [ "$be" = perf ]; then
				[ "$2" = 0 ] || bad="$bad traced-by-$2:$st"
				[ "$1" = t ] && bad="$bad tracing-stop:$st"
			fi
		done
		sleep 0.05
	done
	wait "$P"
	rc=$?
	cat "$TMP/$be.err"
	[ "$rc" = 0 ] || fail "$be: prowl exited $rc"
	info "$be: $looks looks at the target's threads while recording"
	at_least "$looks" 100 || fail "$be: only $looks looks at the target while it was recorded"
	[ -z "$bad" ] || fail "$be: seen while recording:$(echo "$bad" | head -c 400)"
	# Let the sample end on its own and report.
	kill -0 "$T" 2>/dev/null || fail "$be: blockers died while recorded"
}

report_ok() { # BACKEND REPORTFILE
	for name in reader epoller locker sleeper semwaiter sigwaiter; do
		line=$(grep "^blockers: $name " "$2")
		[ -n "$line" ] || fail "$1: no report from $name"
		info "$1: $line"
		calls=$(echo "$line" | awk '{ print $4 }')
		eintr=$(echo "$line" | awk '{ print $6 }')
		wrong=$(echo "$line" | awk '{ print $8 }')
		at_least "$calls" 100 || fail "$1: $name made only $calls calls"
		[ "$eintr" = 0 ] || fail "$1: $name saw $eintr EINTR"
		[ "$wrong" = 0 ] || fail "$1: $name saw $wrong wrong results"
	done
}

leaves_ok() { # BACKEND
	f=$TMP/$1.folded
	secs=$(sed -n 's/^prowl record: [0-9]* samples, .*, \([0-9.]*\) s; .*/\1/p' "$TMP/$1.err")
	[ -n "$secs" ] || fail "$1: no summary line"
	for spec in "reader do_pipe_read I/O wait" "epoller do_epoll_wait poll" "locker do_mutex_lock lock wait" \
		"sleeper do_nanosleep sleeping" "semwaiter do_semtimedop semtimedop" "sigwaiter do_sigwaitinfo signal wait"; do
		set -- $spec
		name=$1 fn=$2
		shift 2
		leaf="$*"
		all=$(folded_count "$f" "^$name \\(")
		in=$(folded_count "$f" "^$name \\(.*;$fn;.*\\[$leaf\\] [0-9]+\$")
		p=$(pct "$in" "$all")
		# Each thread's weights are its time: seconds x 999 Hz, give or
		# take a tick at each end and the look that only set the baseline.
		want=$(awk -v s="$secs" 'BEGIN { printf "%d", s * 999 }')
		info "$name: $all samples (wall time $want), $p% under $fn in [$leaf]"
		at_least "$all" "$((want * 90 / 100))" || fail "$name: $all samples, wall time is $want periods"
		at_least "$((want * 105 / 100 + 50))" "$all" || fail "$name: $all samples, more than its wall time ($want)"
		# The locker sleeps 1 ms after each lock (1 in 16 of its time).
		min=90
		[ "$name" = locker ] && min=80
		at_least "$p" "$min" || fail "$name: only $p% under $fn in [$leaf]"
	done
}

run perf
wait "$T"
[ -s "$TMP/perf.report" ] || fail "perf: blockers wrote no report"
report_ok perf "$TMP/perf.report"
leaves_ok perf
grep -q '^prowl record: wall cost: .* cache_hits [1-9]' "$TMP/perf.err" || fail "perf: no cache hits in --stats"
# The summary says how wall mode sampled and what it cost, without --stats too.
grep -qE '^prowl record: wall mode: blocked threads read without stopping them \([0-9]+% unchanged .*\); running ones sampled by cpu-clock; the looks took [0-9.]+% of a CPU$' "$TMP/perf.err" ||
	fail "perf: no wall mode line in the summary: $(grep 'wall mode' "$TMP/perf.err")"

run ptrace
wait "$T"
[ -s "$TMP/ptrace.report" ] || fail "ptrace: blockers wrote no report"
report_ok ptrace "$TMP/ptrace.report"
leaves_ok ptrace
grep -qE '^prowl record: wall mode: blocked threads read without stopping them \([0-9]+% unchanged .*\); running ones stopped for their stacks: target held [0-9.]+% of the time$' "$TMP/ptrace.err" ||
	fail "ptrace: no wall mode line in the summary: $(grep 'wall mode' "$TMP/ptrace.err")"
exit 0
