#!/bin/sh
# A target stopped by its user stays stopped: stopped before prowl attaches,
# and stopped (SIGSTOP) during the recording; after prowl detaches every
# thread is in state T and untraced, and SIGCONT resumes it as usual.
. "$(dirname "$0")/../lib.sh"
require_ptrace

all_stopped() { # PID
	for task in /proc/$1/task/*; do
		st=$(awk '/^State:/ { print $2 }' "$task/status" 2>/dev/null)
		[ -z "$st" ] && continue
		[ "$st" = T ] || return 1
		[ "$(awk '/^TracerPid:/ { print $2 }' "$task/status")" = 0 ] || return 1
	done
	return 0
}

# 1. Stopped before the recording.
bg "$SAMPLES/threads" 30 100
T=$BG
wait_threads "$T" 5
kill -STOP "$T"
sleep 0.2
"$PROWL" record --backend ptrace -p "$T" -d 1 -o "$TMP/a.folded" 2>"$TMP/err" || fail "prowl failed: $(cat "$TMP/err")"
sleep 0.2
all_stopped "$T" || fail "target stopped before attach is not stopped after prowl: $(cat /proc/$T/status | grep -E 'State|TracerPid')"
kill -CONT "$T"
sleep 0.3
[ "$(proc_state "$T")" != T ] || fail "SIGCONT did not resume the target"

# 2. Stopped in the middle of the recording (wall mode: stopped threads are skipped, not sampled).
"$PROWL" record --backend ptrace --mode wall -p "$T" -d 2 -o "$TMP/b.folded" 2>"$TMP/err" &
P=$!
sleep 0.7
kill -STOP "$T"
wait "$P" || fail "prowl failed: $(cat "$TMP/err")"
sleep 0.2
all_stopped "$T" || fail "target stopped during the recording is not stopped after prowl"
at_least "$(folded_total "$TMP/b.folded")" 1 || fail "no samples before the stop"
kill -CONT "$T"
sleep 0.3
[ "$(proc_state "$T")" != T ] || fail "SIGCONT did not resume the target"
kill "$T"
exit 0
