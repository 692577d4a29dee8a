#!/bin/sh
# Every way a ptrace recording ends leaves the target running and untraced,
# with no signal lost or injected: SIGINT, SIGTERM and SIGHUP to prowl (the
# profile is still written), -d expiry, and the target's own exit. The target
# counts the SIGUSR1s it receives (the forker-free way: a shell loop with a
# trap), so a lost or extra signal shows.
. "$(dirname "$0")/../lib.sh"
require_ptrace

untraced_running() { # PID WHAT
	for task in /proc/$1/task/*; do
		st=$(awk '/^State:/ { print $2 }' "$task/status" 2>/dev/null)
		tr=$(awk '/^TracerPid:/ { print $2 }' "$task/status" 2>/dev/null)
		[ -z "$st" ] || [ -z "$tr" ] && continue
		case "$st" in t | T) fail "$2: thread ${task##*/} left in state $st" ;; esac
		[ "$tr" = 0 ] || fail "$2: thread ${task##*/} still traced"
	done
}

for sig in INT TERM HUP; do
	bg "$SAMPLES/busy2" 30
	T=$BG
	wait_threads "$T" 3
	"$PROWL" record --backend ptrace -p "$T" -o "$TMP/$sig.folded" 2>"$TMP/err" &
	P=$!
	sleep 1
	kill -"$sig" "$P"
	wait "$P"
	rc=$?
	case "$sig" in
	INT | TERM) [ $rc = 0 ] || fail "SIG$sig: prowl exited $rc: $(cat "$TMP/err")"
		at_least "$(folded_total "$TMP/$sig.folded")" 50 || fail "SIG$sig: profile not written" ;;
	esac
	sleep 0.1
	untraced_running "$T" "SIG$sig"
	kill "$T"
	info "SIG$sig: prowl exit $rc, target untraced and running"
done

# Signals sent to the target while it is traced arrive exactly once each.
cat >"$TMP/counter.sh" <<'SH'
n=0
trap 'n=$((n + 1))' USR1
trap 'echo $n >"$1"; exit 0' TERM
while :; do sleep 0.01; done
SH
sh "$TMP/counter.sh" "$TMP/count" &
C=$!
PIDS_TO_KILL="$PIDS_TO_KILL $C"
sleep 0.2
"$PROWL" record --backend ptrace --mode wall -F 499 -p "$C" -d 3 -o "$TMP/c.folded" 2>"$TMP/err" &
P=$!
sleep 0.5
i=0
while [ $i -lt 20 ]; do kill -USR1 "$C"; sleep 0.08; i=$((i + 1)); done
wait "$P" || fail "prowl on the counter failed: $(cat "$TMP/err")"
untraced_running "$C" "-d expiry"
kill -TERM "$C"
wait "$C"
[ "$(cat "$TMP/count")" = 20 ] || fail "the target counted $(cat "$TMP/count") SIGUSR1 of 20 sent"
info "20 of 20 signals delivered, once each"

# The target's own exit ends the recording.
bg "$SAMPLES/cpu" 1
"$PROWL" record --backend ptrace -p "$BG" -d 30 -o "$TMP/exit.folded" 2>"$TMP/err" || fail "target exit: $(cat "$TMP/err")"
at_least "$(folded_total "$TMP/exit.folded")" 100 || fail "target exit: profile not written"
exit 0
