#!/bin/sh
# --mode wall through ptrace on the sleeping sample: each thread's time is
# mostly in the state frame of its wait under the function it waits in (main
# [sleeping] under do_sleep, reader [I/O wait] under do_read, locker
# [lock wait] under do_lock).
. "$(dirname "$0")/../lib.sh"
require_ptrace

"$PROWL" record --backend ptrace --mode wall --threads -F 199 -o "$TMP/w.folded" -- "$SAMPLES/sleepy" 2 2>"$TMP/err"
rc=$?
cat "$TMP/err"
[ "$rc" = 0 ] || fail "prowl exited $rc"
for spec in "sleepy do_sleep 85 sleeping" "reader do_read 95 I/O wait" "locker do_lock 95 lock wait"; do
	set -- $spec
	leaf=$(echo "$spec" | cut -d' ' -f4-)
	all=$(folded_count "$TMP/w.folded" "^$1 \\(")
	in=$(folded_count "$TMP/w.folded" "^$1 \\(.*;$2;.*\\[$leaf\\] [0-9]+\$")
	p=$(pct "$in" "$all")
	info "$1: $p% of $all samples in [$leaf] under $2"
	at_least "$all" 50 || fail "$1: only $all samples"
	at_least "$p" "$3" || fail "$1: $p% in [$leaf] under $2 (want >= $3%)"
done
# cpu mode on the same sample: no sleeping frames, main's samples in do_compute.
"$PROWL" record --backend ptrace -o "$TMP/c.folded" -- "$SAMPLES/sleepy" 1 2>"$TMP/err" || fail "cpu mode: $(cat "$TMP/err")"
grep -q '\[sleeping\]' "$TMP/c.folded" && fail "cpu mode has sleeping frames"
exit 0
