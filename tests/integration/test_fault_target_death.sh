#!/bin/sh
# The target ends in the middle of a recording, with each backend: it exits
# by itself, or it is killed by a signal (SIGKILL, SIGSEGV). A launched
# command: prowl stops at once (not at -d), writes a complete profile and
# exits with the command's status as a shell would (0, 137, 139). An
# attached process (-p): the same, with exit 0.
. "$(dirname "$0")/../lib.sh"
require_perf
require_ptrace
check() { # WHAT FILE
	total=$(folded_total "$2")
	main=$(folded_count "$2" '(^|;)main;run_workload;hot_[abc] ')
	[ "$total" -ge 20 ] || fail "$1: only $total samples"
	[ "$main" -ge $((total * 95 / 100)) ] || fail "$1: $main of $total samples reach main: $(head -n 3 "$2")"
	ls -A "$(dirname "$2")" | grep -q '\.tmp' && fail "$1: a temporary file was left"
	info "$1: $total samples, $main under main"
}
for b in perf ptrace; do
	# Launched, exits by itself after 1 s; -d 20 must not be waited for.
	start=$(date +%s)
	"$PROWL" record --backend $b -d 20 -o "$TMP/$b-exit.folded" -- "$SAMPLES/cpu" 1 2>"$TMP/err"
	rc=$?
	[ $rc = 0 ] || fail "$b launched, exit: prowl exited $rc: $(cat "$TMP/err")"
	[ $(( $(date +%s) - start )) -lt 15 ] || fail "$b launched: prowl waited for -d after the command exited"
	check "$b launched, exits" "$TMP/$b-exit.folded"
	# Launched, killed by SIGKILL then SIGSEGV from outside.
	for sig in KILL:9 SEGV:11; do
		num=${sig#*:} sig=${sig%:*}
		"$PROWL" record --backend $b -d 20 -o "$TMP/$b-$sig.folded" -- "$SAMPLES/cpu" 20 2>"$TMP/err" &
		p=$!
		PIDS_TO_KILL="$PIDS_TO_KILL $p"
		c=$(child_of $p cpu) || fail "$b: no launched command under prowl"
		sleep 1
		kill -$sig "$c"
		wait $p
		rc=$?
		want=$((128 + num))
		[ $rc = $want ] || fail "$b launched, SIG$sig: prowl exited $rc, want $want: $(cat "$TMP/err")"
		check "$b launched, SIG$sig" "$TMP/$b-$sig.folded"
	done
	# Attached: exits by itself, then killed by SIGKILL.
	for how in exit KILL; do
		bg "$SAMPLES/cpu" 1.5
		t=$BG
		wait_exec $t cpu
		"$PROWL" record --backend $b -p $t -d 20 -o "$TMP/$b-p-$how.folded" 2>"$TMP/err" &
		p=$!
		PIDS_TO_KILL="$PIDS_TO_KILL $p"
		if [ $how = KILL ]; then
			sleep 0.8
			kill -KILL $t
		fi
		wait $p
		rc=$?
		[ $rc = 0 ] || fail "$b attached, $how: prowl exited $rc: $(cat "$TMP/err")"
		check "$b attached, $how" "$TMP/$b-p-$how.folded"
	done
done
echo "target exit and death by SIGKILL/SIGSEGV, launched and attached, perf and ptrace: complete profiles, right exit status"
