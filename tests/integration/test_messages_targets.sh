#!/bin/sh
# What prowl says about a process it cannot profile names what would help in
# that case (issue 13), in one line, with the status of the exit table:
# - a kernel thread: it has no user stack (69, every command);
# - a process another tracer holds: that tracer's pid and name (77);
# - another user's process, as nobody: root or CAP_SYS_PTRACE/CAP_PERFMON,
#   not perf_event_paranoid (77);
# - a stopped process recorded or watched by top: it is stopped, not idle
#   (0: nothing to record).
. "$(dirname "$0")/../lib.sh"

one_line() { # WHAT WANT_RC REGEX (after a run that left $rc, $TMP/err)
	[ "$rc" = "$2" ] || { cat "$TMP/err"; fail "$1: exit $rc, want $2"; }
	[ "$(wc -l <"$TMP/err")" = 1 ] || { cat "$TMP/err"; fail "$1: $(wc -l <"$TMP/err") lines on stderr"; }
	grep -Eq -- "$3" "$TMP/err" || fail "$1: '$(cat "$TMP/err")' does not match /$3/"
	info "$1: $(cat "$TMP/err")"
}

# 1. A kernel thread.
k=""
for s in /proc/[0-9]*/status; do
	if grep -q '^Kthread:[[:space:]]*1' "$s" 2>/dev/null; then k=${s#/proc/}; k=${k%/status}; break; fi
done
[ -n "$k" ] || { [ "$(cat /proc/2/comm 2>/dev/null)" = kthreadd ] && k=2; }
if [ -n "$k" ]; then
	"$PROWL" record -p "$k" -d 0.5 -o "$TMP/k.folded" >/dev/null 2>"$TMP/err"; rc=$?
	one_line "record of kernel thread $k" 69 "^prowl record: cannot attach to $k: it is a kernel thread, with no user stack"
	"$PROWL" top -b -n 1 -p "$k" >/dev/null 2>"$TMP/err"; rc=$?
	one_line "top of kernel thread $k" 69 "^prowl top: cannot attach to $k: it is a kernel thread"
	"$PROWL" dump -p "$k" >/dev/null 2>"$TMP/err"; rc=$?
	one_line "dump of kernel thread $k" 69 "^prowl dump: cannot dump $k: it is a kernel thread"
else
	info "no kernel thread visible here: that case is not checked"
fi

# 2. A process another tracer holds (our helper, as a debugger would).
bg sleep 60
S=$BG
wait_exec "$S" sleep || fail "sleep did not start"
"$BUILD/tests/helpers/tracer" "$S" 60 >"$TMP/tracer.out" 2>"$TMP/tracer.err" &
TR=$!
PIDS_TO_KILL="$PIDS_TO_KILL $TR"
i=0
until grep -q ready "$TMP/tracer.out" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 100 ] || skip "cannot trace a process here: $(cat "$TMP/tracer.err")"
	sleep 0.05
done
"$PROWL" dump -p "$S" >/dev/null 2>"$TMP/err"; rc=$?
one_line "dump of a traced process" 77 "^prowl dump: cannot dump $S: permission denied \(it is already traced by $TR \(tracer\): detach that tracer first\)$"
"$PROWL" record --backend ptrace -p "$S" -d 0.5 -o "$TMP/t.folded" >/dev/null 2>"$TMP/err"; rc=$?
one_line "record --backend ptrace of a traced process" 77 "traced by $TR \(tracer\)"
kill "$TR"
wait "$TR" 2>/dev/null

# 3. Another user's process, as nobody.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1; then
	chmod 755 "$TMP"
	cp "$PROWL" "$TMP/prowl"
	chmod 755 "$TMP/prowl"
	for c in "record -d 0.5 -o /tmp/prowl-nobody-$$.folded" "top -b -n 1" "dump"; do
		cmd=${c%% *}
		setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$TMP/prowl" $c -p "$S" >/dev/null 2>"$TMP/err"; rc=$?
		one_line "$cmd of root's process as nobody" 77 \
			"^prowl $cmd: .*$S: permission denied \(run as root or with CAP_SYS_PTRACE and CAP_PERFMON: it runs as uid 0 \(root\), prowl as uid 65534"
		grep -q paranoid "$TMP/err" && fail "$cmd: perf_event_paranoid named for another user's process (it does not help)"
	done
	rm -f "/tmp/prowl-nobody-$$.folded"
else
	info "not root or no setpriv: the other-user case is not checked"
fi

# 4. A stopped process: recorded, it gives nothing, and prowl says why.
kill -STOP "$S"
"$PROWL" record -p "$S" -d 0.5 -o "$TMP/s.folded" 2>"$TMP/err"; rc=$?
[ $rc = 0 ] || { cat "$TMP/err"; fail "record of a stopped process: exit $rc"; }
grep -q "^prowl record: no samples: process $S is stopped (by a signal, state T), not idle" "$TMP/err" ||
	{ cat "$TMP/err"; fail "record of a stopped process does not say it is stopped"; }
grep -q 'used no CPU' "$TMP/err" && fail "a stopped process called idle"
"$PROWL" top -b -n 1 -p "$S" >"$TMP/top.txt" 2>"$TMP/err" || fail "top of a stopped process: $(cat "$TMP/err")"
grep -q 'target stopped (by a signal): it runs no code, not idle' "$TMP/top.txt" ||
	{ cat "$TMP/top.txt"; fail "top of a stopped process does not say it is stopped"; }
[ "$(proc_state "$S")" = T ] || fail "the stopped process was resumed"
kill -CONT "$S"
info "stopped: $(grep stopped "$TMP/err")"
echo ok
