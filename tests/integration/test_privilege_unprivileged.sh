#!/bin/sh
# prowl never adds privilege: run as nobody (setpriv) against a process of
# root's, every way prowl can reach a process (record with each backend and
# auto, dump, top) fails with the kernel's verdict (permission denied /
# operation not permitted) in one line that says what to do, exit 77
# (EX_NOPERM), writes no profile, and leaves root's process unharmed. The
# binary carries no set-user-id, set-group-id or file capability.
. "$(dirname "$0")/../lib.sh"
require_cmd setpriv
[ "$(id -u)" = 0 ] || skip "needs root (to run a root process and switch to nobody)"
# nobody may not be able to reach the build folder: a copy it can run.
chmod 755 "$TMP"
mkdir -p "$TMP/bin" "$TMP/out"
cp "$PROWL" "$TMP/bin/prowl"
chmod 755 "$TMP/bin" "$TMP/bin/prowl"
chmod 1777 "$TMP/out"
mode=$(stat -c %A "$PROWL")
case "$mode" in *s*|*S*) fail "prowl is set-id: $mode" ;; esac
if command -v getcap >/dev/null 2>&1; then
	caps=$(getcap "$PROWL")
	[ -z "$caps" ] || fail "prowl has file capabilities: $caps"
fi
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$@"; }

bg "$SAMPLES/cpu" 4
t=$BG
i=0
while [ $i -lt 100 ] && [ "$(cat "/proc/$t/comm" 2>/dev/null)" != cpu ]; do sleep 0.02; i=$((i + 1)); done
n=0
try() { # WHAT ARGS...
	what=$1
	shift
	n=$((n + 1))
	as_nobody "$TMP/bin/prowl" "$@" >"$TMP/stdout" 2>"$TMP/err" </dev/null
	rc=$?
	info "$what: exit $rc: $(cat "$TMP/err")"
	[ $rc = 77 ] || fail "$what: exit $rc, want 77 (EX_NOPERM)"
	[ "$(wc -l <"$TMP/err")" = 1 ] || fail "$what: $(wc -l <"$TMP/err") lines on stderr"
	grep -qiE 'permission denied|operation not permitted|not permitted|denied' "$TMP/err" ||
		fail "$what: the kernel's verdict is not in the message"
	grep -qE '\((run|check|lower|ask|use|as)' "$TMP/err" || fail "$what: the message says nothing of what to do"
	[ -z "$(ls -A "$TMP/out")" ] || fail "$what: files were written: $(ls -A "$TMP/out")"
	status=$(cat "/proc/$t/status")
	st=$(echo "$status" | awk '/^State:/ { print $2 }')
	tr=$(echo "$status" | awk '/^TracerPid:/ { print $2 }')
	case "$st" in t|T) fail "$what: root's process left in state $st" ;; esac
	[ "$tr" = 0 ] || fail "$what: root's process traced by $tr"
}
try "record --backend perf" record --backend perf -p $t -d 1 -o "$TMP/out/p.folded"
try "record --backend ptrace" record --backend ptrace -p $t -d 1 -o "$TMP/out/p.folded"
try "record --backend auto" record -p $t -d 1 -o "$TMP/out/p.folded"
try "record --mode wall" record --backend ptrace --mode wall -p $t -d 1 -o "$TMP/out/p.folded"
try "dump" dump -p $t
try "dump --json" dump --json -p $t
try "top --batch" top -b -n 1 -p $t
try "top --backend ptrace" top -b -n 1 --backend ptrace -p $t
# Root's process is unharmed: it finishes its work with status 0.
kill -0 $t || fail "root's process died"
wait $t
rc=$?
[ $rc = 0 ] || fail "root's process exited $rc"
echo "$n ways in, all refused by the kernel with a clear message; root's process unharmed"
