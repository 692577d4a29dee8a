#!/bin/sh
# A launched command and the signals that end a recording (issue 13): prowl
# waits for the command, passes its status on, writes what it has in every
# case, and leaves no zombie behind. Each run goes under a child subreaper
# (tests/helpers/subreaper), which stands for an init that does not reap: it
# says how many processes prowl left to it.
. "$(dirname "$0")/../lib.sh"
require_perf
require_ptrace
require_cmd setsid
SUB=$BUILD/tests/helpers/subreaper
[ -x "$SUB" ] || skip "build the helper: make $SUB"

# Waits until prowl has blocked SIGINT (its signals then go through its loop):
# before that, as for any program, a SIGINT simply ends it.
wait_blocked() { # PID
	i=0
	while [ $i -lt 500 ]; do
		blk=$(awk '/^SigBlk:/ { print $2 }' "/proc/$1/status" 2>/dev/null)
		[ -n "$blk" ] && [ $((0x$blk & 2)) -ne 0 ] && return 0
		sleep 0.01; i=$((i + 1))
	done
	return 1
}
left_of() { sed -n 's/^subreaper: \([0-9]*\) left$/\1/p' "$1"; }

# 1. Ctrl-C to the whole group (prowl and the command) at random 0-50 ms
# after prowl is ready: the command dies of SIGINT (130), prowl exits with
# that, a profile file is written (empty only with a one-line "nothing
# sampled"), never 141 (SIGPIPE) or 66 ("process exited"), and nothing left.
# 30 tries with perf, then 10 with the ptrace backend (it waits for the
# command itself).
tries=${TRIES:-30}
n=0 empty=0 be=perf
while [ $n -lt $((tries + 10)) ]; do
	n=$((n + 1))
	[ $n -gt "$tries" ] && be=ptrace
	out=$TMP/g$n.folded
	setsid "$SUB" "$PROWL" record --backend $be -o "$out" -- "$SAMPLES/cpu" 5 2>"$TMP/g$n.err" &
	s=$!
	PIDS_TO_KILL="$PIDS_TO_KILL $s"
	p=$(child_of "$s") || fail "try $n: prowl did not start"
	wait_blocked "$p" || fail "try $n: prowl never blocked SIGINT"
	sleep "$(awk -v seed="$$$n" 'BEGIN { srand(seed); printf "%.3f", rand() * 0.05 }')"
	kill -INT "-$s"
	wait "$s"
	rc=$?
	err=$(cat "$TMP/g$n.err")
	[ "$(left_of "$TMP/g$n.err")" = 0 ] || fail "try $n ($be): prowl left processes behind: $err"
	[ "$rc" = 130 ] || fail "try $n ($be): status $rc for a command killed by SIGINT (expected 130): $err"
	[ -e "$out" ] || fail "try $n: no profile written: $err"
	if [ "$(folded_total "$out")" = 0 ]; then
		empty=$((empty + 1))
		[ "$(grep -c 'nothing sampled\|no samples' "$TMP/g$n.err")" = 1 ] ||
			fail "try $n: an empty profile without one line saying so: $err"
	fi
done
info "$tries + 10 (ptrace) group SIGINTs: all exited 130 with a profile ($empty empty, each said so)"

# 2. SIGTERM to prowl alone reaches the command; prowl waits for it and
# exits with its status: 143 when it dies of it...
setsid "$SUB" "$PROWL" record -o "$TMP/term.folded" -- "$SAMPLES/cpu" 30 2>"$TMP/term.err" &
s=$!
PIDS_TO_KILL="$PIDS_TO_KILL $s"
p=$(child_of "$s") || fail "prowl did not start"
c=$(child_of "$p") || fail "no command started"
sleep 1
kill -TERM "$p"
wait "$s"
rc=$?
[ "$rc" = 143 ] || fail "status $rc after SIGTERM to prowl, command killed by it (expected 143): $(cat "$TMP/term.err")"
[ "$(left_of "$TMP/term.err")" = 0 ] || fail "SIGTERM: prowl left processes behind"
at_least "$(folded_count "$TMP/term.folded" ';main;run_workload;hot_')" 100 || fail "SIGTERM: no profile of the run"

# ...and its own code when its handler exits with one, after the handler ran
# (a profile of the handler's loop is there: prowl sampled until it exited).
handler='trap "i=0; while [ \$i -lt 300000 ]; do i=\$((i+1)); done; exit 7" TERM INT; while :; do :; done'
for how in prowl group; do
	setsid "$SUB" "$PROWL" record -o "$TMP/h$how.folded" -- sh -c "$handler" 2>"$TMP/h$how.err" &
	s=$!
	PIDS_TO_KILL="$PIDS_TO_KILL $s"
	p=$(child_of "$s") || fail "prowl did not start"
	sleep 1
	if [ $how = prowl ]; then kill -TERM "$p"; else kill -INT "-$s"; fi
	wait "$s"
	rc=$?
	[ "$rc" = 7 ] || fail "$how signal: status $rc, expected the handler's 7: $(cat "$TMP/h$how.err")"
	[ "$(left_of "$TMP/h$how.err")" = 0 ] || fail "$how signal: prowl left processes behind"
	[ "$(folded_total "$TMP/h$how.folded")" -gt 0 ] || fail "$how signal: nothing written"
done
info "SIGTERM: 143 when it killed the command, the handler's 7 otherwise"

# 3. -d ends a launched command that outlives it, and reaps it.
"$SUB" "$PROWL" record -d 0.5 -o "$TMP/d.folded" -- "$SAMPLES/cpu" 30 2>"$TMP/d.err"
rc=$?
[ "$rc" = 0 ] || fail "-d: status $rc, expected 0: $(cat "$TMP/d.err")"
[ "$(left_of "$TMP/d.err")" = 0 ] || fail "-d: the command was left running or unreaped"
exit 0
