#!/bin/sh
# --children follows what the command forks and execs; without it only the
# command's own process is sampled. An exec in the same process renames it
# and its new code is named.
. "$(dirname "$0")/../lib.sh"
require_perf

"$PROWL" record --children -o "$TMP/c.folded" -- sh -c '"$0" 1.5; exit 5' "$SAMPLES/cpu" 2>"$TMP/err"
rc=$?
cat "$TMP/err"
[ "$rc" = 5 ] || fail "prowl exited $rc, the command 5"
n=$(folded_count "$TMP/c.folded" ';main;run_workload;hot_a ')
[ "$n" -gt 50 ] || fail "--children: the forked cpu sample is missing ($n samples)"

"$PROWL" record -o "$TMP/nc.folded" -- sh -c '"$0" 1; exit 0' "$SAMPLES/cpu" 2>/dev/null ||
	fail "record without --children failed"
n=$(folded_count "$TMP/nc.folded" 'hot_a')
[ "$n" = 0 ] || fail "without --children a child process was sampled ($n samples)"

# exec in place: before_exec in execer, then the cpu sample's code (one
# thread: it carries its last name).
"$PROWL" record --threads -o "$TMP/e.folded" -- "$SAMPLES/execer" 2.5 1000 2>"$TMP/err" ||
	fail "record execer failed: $(cat "$TMP/err")"
b=$(folded_count "$TMP/e.folded" '^cpu \([0-9]+\);.*main;before_exec ')
a=$(folded_count "$TMP/e.folded" '^cpu \([0-9]+\);.*main;run_workload;hot_a ')
info "before exec: $b samples, after: $a"
[ "$b" -gt 20 ] || fail "no samples named before the exec: $(head -n 5 "$TMP/e.folded")"
[ "$a" -gt 20 ] || fail "no samples named after the exec: $(head -n 5 "$TMP/e.folded")"
exit 0
