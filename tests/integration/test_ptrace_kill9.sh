#!/bin/sh
# kill -9 of prowl in the middle of a ptrace recording: the kernel detaches
# (PTRACE_SEIZE without EXITKILL), so the target keeps running untraced, not
# stopped, and finishes its work by itself (exit 0).
. "$(dirname "$0")/../lib.sh"
require_ptrace

for sample in cpu threads64; do
	"$SAMPLES/$sample" 4 &
	T=$!
	PIDS_TO_KILL="$PIDS_TO_KILL $T"
	[ "$sample" = threads64 ] && wait_threads "$T" 65
	sleep 0.3
	"$PROWL" record --backend ptrace --mode wall -p "$T" -d 60 -o "$TMP/x.folded" 2>"$TMP/err" &
	P=$!
	sleep 1.2
	kill -0 "$P" 2>/dev/null || fail "$sample: prowl ended early: $(cat "$TMP/err")"
	kill -9 "$P"
	wait "$P" 2>/dev/null
	sleep 0.2
	for task in /proc/$T/task/*; do
		st=$(awk '/^State:/ { print $2 }' "$task/status" 2>/dev/null) || continue
		tr=$(awk '/^TracerPid:/ { print $2 }' "$task/status" 2>/dev/null)
		[ -z "$st" ] || [ -z "$tr" ] && continue # the thread ended meanwhile
		case "$st" in t | T) fail "$sample: thread ${task##*/} left in state $st" ;; esac
		[ "$tr" = 0 ] || fail "$sample: thread ${task##*/} still traced by $tr"
	done
	wait "$T"
	rc=$?
	[ "$rc" = 0 ] || fail "$sample: target exited $rc after prowl was killed (want 0)"
	info "$sample: untraced, running, exited 0 by itself"
done
exit 0
