#!/bin/sh
# prowl top without a terminal: text snapshots every --delay seconds, -n of them,
# then exit, leaving an attached target as it was.
. "$(dirname "$0")/../lib.sh"

if ! "$BUILD/tests/helpers/probe" perf >/dev/null 2>&1; then
	require_ptrace # the auto backend falls back to ptrace
fi

# Waits until pid runs NAME with its libraries mapped: attaching to a job the
# shell has forked but not yet exec'd profiles the shell's image (a capture
# race outside what these tests are about).

# Share of a function in the last snapshot's table (its %Own column).
own_share() { # FILE FUNCTION
	awk -v f="$2" '/^prowl top / { delete own } $5 == f { own[f] = $1 } END { print own[f] + 0 }' "$1"
}

bg "$SAMPLES/cpu" 0
CPID=$BG
wait_exec "$CPID" cpu || fail "the target did not start"
"$PROWL" top --batch -n 3 --delay 0.5 -o "$TMP/b.folded" -p "$CPID" >"$TMP/out" 2>"$TMP/err" ||
	fail "prowl top --batch failed: $(cat "$TMP/err")"
n=$(grep -c '^prowl top  pid' "$TMP/out")
[ "$n" = 3 ] || fail "-n 3 printed $n snapshots"
grep -q "pid $CPID " "$TMP/out" || fail "the snapshots do not name the target"
grep -Eq '^ +%Own +%Total +Own +Total +Function +Location$' "$TMP/out" || fail "no column titles"
a=$(own_share "$TMP/out" hot_a) b=$(own_share "$TMP/out" hot_b) c=$(own_share "$TMP/out" hot_c)
info "last snapshot: hot_a $a%, hot_b $b%, hot_c $c%"
show() { echo "--- prowl top's output:"; cat "$TMP/out"; cat "$TMP/err"; }
within "$a" 60 12 || { show; fail "hot_a at $a%, expected about 60%"; }
within "$b" 30 10 || { show; fail "hot_b at $b%, expected about 30%"; }
within "$c" 10 7 || { show; fail "hot_c at $c%, expected about 10%"; }
# the hottest first in every snapshot that has data
awk '/%Own +%Total/ { getline; print $5 }' "$TMP/out" | sort -u >"$TMP/tops"
[ "$(cat "$TMP/tops")" = hot_a ] || fail "a snapshot did not start with hot_a: $(cat "$TMP/tops" | tr '\n' ' ')"
# -o: collapsed stacks written at the end
[ -s "$TMP/b.folded" ] || fail "-o b.folded was not written"
bad=$(grep -cvE '^[^ ].* [0-9]+$' "$TMP/b.folded")
[ "$bad" = 0 ] || fail "$bad lines of b.folded are not 'stack count'"
at_least "$(folded_count "$TMP/b.folded" 'hot_a')" 1 || fail "b.folded has no hot_a"
# the target is as it was
kill -0 "$CPID" || fail "the target died"
case "$(proc_state "$CPID")" in T | t) fail "the target was left stopped" ;; esac
[ "$(proc_tracer "$CPID")" = 0 ] || fail "the target is still traced"

# stdout not a terminal means batch too; a launched command that ends ends top
"$PROWL" top --delay 0.5 --rows 5 -- "$SAMPLES/cpu" 1.5 >"$TMP/out2" 2>"$TMP/err2" ||
	fail "prowl top -- cpu 1.5 failed: $(cat "$TMP/err2")"
n=$(grep -c '^prowl top  pid' "$TMP/out2")
at_least "$n" 2 || fail "only $n snapshots of a 1.5 s command at --delay 0.5"
grep -q 'target exited' "$TMP/out2" || fail "the last snapshot does not say the target exited"
[ "$(awk '/%Own +%Total/ { getline; r = $5 } END { print r }' "$TMP/out2")" = hot_a ] ||
	fail "the final snapshot does not start with hot_a"

# -n ends top before a command it launched: the command is stopped as Ctrl-C would
"$PROWL" top --batch -n 1 --delay 0.5 -- "$SAMPLES/cpu" 0 >"$TMP/out3" 2>"$TMP/err3" ||
	fail "prowl top -n 1 -- cpu 0 failed: $(cat "$TMP/err3")"
lpid=$(sed -n 's/^prowl top  pid \([0-9]*\) .*/\1/p' "$TMP/out3" | head -n 1)
[ -n "$lpid" ] || fail "no pid in the header of a launched command"
PIDS_TO_KILL="$PIDS_TO_KILL $lpid"
i=0
while kill -0 "$lpid" 2>/dev/null && [ "$(proc_state "$lpid")" != Z ] && [ $i -lt 30 ]; do
	sleep 0.1
	i=$((i + 1))
done
if kill -0 "$lpid" 2>/dev/null && [ "$(proc_state "$lpid")" != Z ]; then
	fail "the launched command $lpid still runs after top ended"
fi

# usage errors
# (no target is no usage error: it is the whole machine, as perf top; as
# root it runs, otherwise it is refused with 77: test_record_system_wide.sh)
"$PROWL" top --batch -n 1 --delay 0.3 >"$TMP/w" 2>"$TMP/e"
rc=$?
if [ "$(id -u)" = 0 ]; then
	[ $rc = 0 ] || fail "top without a target (the whole machine) exited $rc: $(cat "$TMP/e")"
	grep -q '^prowl top  all processes' "$TMP/w" || fail "top without a target is not the whole machine: $(head -1 "$TMP/w")"
else
	[ $rc = 77 ] || fail "top without a target, not root, exited $rc, not 77"
fi
"$PROWL" top --delay 0 -p "$CPID" >/dev/null 2>"$TMP/e"
rc=$?
[ $rc = 64 ] || fail "--delay 0 exited $rc, not 64"
grep -q 'invalid --delay' "$TMP/e" || fail "no message for a bad --delay"
echo ok
