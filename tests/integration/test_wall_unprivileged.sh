#!/bin/sh
# Wall-clock profiles work for an ordinary user on that user's own process,
# with no privilege (perf_event_paranoid 2 here, no capabilities): as nobody
# (setpriv), the blockers sample started as nobody is recorded in wall mode
# with the default backend (perf) and with ptrace. Every thread's wait is
# read (its call as the leaf, under the function that waits), and the
# target sees no EINTR and no wrong result.
. "$(dirname "$0")/../lib.sh"
require_cmd setpriv
[ "$(id -u)" = 0 ] || skip "needs root (to switch to nobody)"
[ -x "$SAMPLES/blockers" ] || fail "$SAMPLES/blockers is missing: make samples"
# nobody may not reach the build folder: copies it can run.
chmod 755 "$TMP"
mkdir -p "$TMP/bin" "$TMP/out"
cp "$PROWL" "$SAMPLES/blockers" "$TMP/bin/"
chmod 755 "$TMP/bin" "$TMP/bin/prowl" "$TMP/bin/blockers"
chmod 1777 "$TMP/out"
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$@"; }
as_nobody "$TMP/bin/prowl" record --backend perf -d 0.2 -o "$TMP/out/probe.folded" -- "$TMP/bin/blockers" 0.1 \
	>/dev/null 2>"$TMP/probe.err" ||
	skip "perf_event_open denied to an ordinary user here: $(tail -1 "$TMP/probe.err")"

for be in auto ptrace; do
	rm -f "$TMP/out/"*
	bg as_nobody "$TMP/bin/blockers" 5 2>"$TMP/report"
	i=0
	while [ $i -lt 100 ]; do
		T=$(pgrep -u 65534 -x blockers | head -1)
		[ -n "$T" ] && [ "$(ls "/proc/$T/task" 2>/dev/null | wc -l)" -ge 8 ] && break
		sleep 0.05
		i=$((i + 1))
	done
	[ -n "$T" ] || fail "$be: blockers did not start as nobody"
	as_nobody "$TMP/bin/prowl" record --backend "$be" --mode wall --threads -p "$T" -d 2 \
		-o "$TMP/out/w.folded" >/dev/null 2>"$TMP/err"
	rc=$?
	cat "$TMP/err"
	[ "$rc" = 0 ] || fail "$be as nobody: exit $rc: $(cat "$TMP/err")"
	[ "$be" = auto ] && grep -q 'ptrace backend' "$TMP/err" && fail "auto fell back to ptrace as nobody"
	for spec in "epoller do_epoll_wait poll" "reader do_pipe_read I/O wait" "locker do_mutex_lock lock wait" \
		"semwaiter do_semtimedop semtimedop" "sigwaiter do_sigwaitinfo signal wait"; do
		set -- $spec
		name=$1 fn=$2
		shift 2
		all=$(folded_count "$TMP/out/w.folded" "^$name \\(")
		in=$(folded_count "$TMP/out/w.folded" "^$name \\(.*;$fn;.*\\[$*\\] [0-9]+\$")
		p=$(pct "$in" "$all")
		info "$be: $name $p% of $all samples under $fn in [$*]"
		at_least "$all" 1000 || fail "$be: $name has only $all samples in 2 s at 999 Hz"
		at_least "$p" 80 || fail "$be: $name: only $p% under $fn in [$*]"
	done
	wait "$BG"
	cat "$TMP/report"
	[ "$(grep -c 'eintr 0 wrong 0$' "$TMP/report")" = 6 ] || fail "$be: the target saw EINTR or wrong results"
done
exit 0
