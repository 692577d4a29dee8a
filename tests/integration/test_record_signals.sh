#!/bin/sh
# Ways a recording ends, each with a complete profile: SIGINT and SIGTERM
# (passed on to the command; prowl exits with the status it died of, 128+N),
# the target's exit (prowl exits with its status), and SIGUSR1 (the profile
# so far, and the recording goes on).
. "$(dirname "$0")/../lib.sh"
require_perf

# A profile is complete when it parses and every stack reaches main (a
# tick in the kernel, as the signal is taken, ends in a [kernel] leaf).
check_profile() { # FILE WHAT
	[ -s "$1" ] || fail "$2: no profile written"
	t=$(folded_total "$1")
	m=$(folded_count "$1" ';main;run_workload;hot_[abc](;\[kernel\]_\[k\])? ')
	[ "$t" -gt 50 ] || fail "$2: only $t samples"
	at_least "$m" "$(awk -v t="$t" 'BEGIN { print t * 0.99 }')" || fail "$2: $m of $t stacks complete"
	info "$2: $t samples, $m complete"
}
wait_gone() { # PID
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	! kill -0 "$1" 2>/dev/null
}

for sig in INT TERM; do
	bg "$PROWL" record -o "$TMP/$sig.folded" -- "$SAMPLES/cpu" 30
	p=$BG
	c=$(child_of "$p") || fail "no command started"
	PIDS_TO_KILL="$PIDS_TO_KILL $c"
	sleep 1.5
	[ -e "$TMP/$sig.folded" ] && fail "SIG$sig: profile written before the signal"
	kill -"$sig" "$p"
	wait "$p"
	rc=$?
	# A signal sent to prowl alone reaches the command, as if run directly:
	# prowl waits for it and exits with the status it died of.
	case $sig in INT) want=130 ;; TERM) want=143 ;; esac
	[ "$rc" = "$want" ] || fail "SIG$sig: prowl exited $rc, expected $want (the command's)"
	check_profile "$TMP/$sig.folded" "SIG$sig"
	wait_gone "$c" || fail "SIG$sig did not reach the command"
done

# Target exit: the profile is written and prowl exits with the command's status.
"$PROWL" record -o "$TMP/exit.folded" -- "$SAMPLES/cpu" 1.5 2>"$TMP/err"
rc=$?
[ "$rc" = 0 ] || fail "exit: prowl exited $rc for a command that exited 0: $(cat "$TMP/err")"
check_profile "$TMP/exit.folded" "target exit"
"$PROWL" record -o "$TMP/exit3.folded" -- sh -c 'exit 3' 2>/dev/null
rc=$?
[ "$rc" = 3 ] || fail "prowl exited $rc for a command that exited 3"
[ -e "$TMP/exit3.folded" ] || fail "no profile written for a command that exited 3"
"$PROWL" record -o "$TMP/kill.folded" -- sh -c 'kill -TERM $$' 2>/dev/null
rc=$?
[ "$rc" = 143 ] || fail "prowl exited $rc for a command killed by SIGTERM (expected 143)"
# stdin and stdout reach the command.
out=$(echo hello-through | "$PROWL" record -q -o "$TMP/cat.folded" -- cat)
[ "$out" = hello-through ] || fail "stdin/stdout did not reach the command: '$out'"

# SIGUSR1: a complete profile now, and the recording goes on.
bg "$PROWL" record -o "$TMP/usr1.folded" -- "$SAMPLES/cpu" 4
p=$BG
sleep 1.5
kill -USR1 "$p"
i=0
while [ ! -s "$TMP/usr1.folded" ] && [ $i -lt 60 ]; do sleep 0.05; i=$((i + 1)); done
check_profile "$TMP/usr1.folded" "SIGUSR1"
first=$(folded_total "$TMP/usr1.folded")
kill -0 "$p" 2>/dev/null || fail "SIGUSR1 stopped the recording"
wait "$p"
rc=$?
[ "$rc" = 0 ] || fail "prowl exited $rc after SIGUSR1 and target exit"
check_profile "$TMP/usr1.folded" "after SIGUSR1"
last=$(folded_total "$TMP/usr1.folded")
[ "$last" -gt "$first" ] || fail "the final profile ($last) has no more samples than the SIGUSR1 one ($first)"
exit 0
