#!/bin/sh
# prowl raises its own soft RLIMIT_NOFILE to the hard limit (the perf backend
# needs a descriptor per thread and CPU), but a command it launches must run
# with the limit its shell gave it: record and top give it back before exec.
. "$(dirname "$0")/../lib.sh"
hard=$(ulimit -Hn)
[ "$hard" = unlimited ] || [ "$hard" -gt 300 ] || skip "hard RLIMIT_NOFILE is $hard: no room below it for a test limit"
for cmd in record top; do
	rm -f "$TMP/soft" "$TMP/hard"
	(
		ulimit -Sn 256 || exit 3
		case $cmd in
		record) exec "$PROWL" record -q -o "$TMP/out.folded" -- sh -c "ulimit -Sn >'$TMP/soft'; ulimit -Hn >'$TMP/hard'" ;;
		top) exec "$PROWL" top --batch -n 1 -- sh -c "ulimit -Sn >'$TMP/soft'; ulimit -Hn >'$TMP/hard'" >/dev/null ;;
		esac
	) 2>"$TMP/err"
	rc=$?
	[ $rc -eq 3 ] && skip "cannot lower the soft RLIMIT_NOFILE here"
	[ $rc -eq 69 ] && skip "no backend can sample here: $(tail -n 1 "$TMP/err")"
	[ $rc -eq 0 ] || { cat "$TMP/err"; fail "prowl $cmd exited $rc"; }
	[ -s "$TMP/soft" ] || fail "$cmd: the launched command did not run"
	soft=$(cat "$TMP/soft")
	info "$cmd: launched command's soft limit $soft, hard $(cat "$TMP/hard") (shell's: 256, $hard)"
	[ "$soft" = 256 ] || fail "$cmd: the launched command's soft RLIMIT_NOFILE is $soft, not the 256 its shell set"
	[ "$(cat "$TMP/hard")" = "$hard" ] || fail "$cmd: the launched command's hard limit changed"
done
