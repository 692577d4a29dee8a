#!/bin/sh
# The target calls exec in the middle of a recording (samples/bin/execer
# spins in before_exec, then execs the cpu sample in the same pid), launched
# and attached, with each backend: prowl keeps sampling the new program and
# names its functions from the new binary (hot_a under main;run_workload),
# not from the old one's symbols at the same addresses; the time before the
# exec stays under before_exec; the target finishes with status 0.
. "$(dirname "$0")/../lib.sh"
require_perf
require_ptrace
check() { # WHAT FILE
	total=$(folded_total "$2")
	before=$(folded_count "$2" ';main;before_exec ')
	after=$(folded_count "$2" ';main;run_workload;hot_[abc] ')
	info "$1: $total samples, $before in before_exec, $after in cpu's hot_a/b/c"
	[ "$before" -ge 10 ] || fail "$1: only $before samples before the exec: $(head -n 5 "$2")"
	[ "$after" -ge 10 ] || fail "$1: only $after samples of the exec'd program: $(head -n 5 "$2")"
	[ $((before + after)) -ge $((total * 9 / 10)) ] || fail "$1: $((total - before - after)) of $total samples are neither: $(head -n 8 "$2")"
}
for b in perf ptrace; do
	"$PROWL" record --backend $b -o "$TMP/$b-launch.folded" -- "$SAMPLES/execer" 2 700 2>"$TMP/err"
	rc=$?
	[ $rc = 0 ] || fail "$b launched: prowl exited $rc: $(cat "$TMP/err")"
	check "$b launched" "$TMP/$b-launch.folded"

	bg "$SAMPLES/execer" 2.2 1000
	t=$BG
	wait_exec $t execer
	sleep 0.2
	"$PROWL" record --backend $b -p $t -o "$TMP/$b-attach.folded" 2>"$TMP/err"
	rc=$?
	[ $rc = 0 ] || fail "$b attached: prowl exited $rc: $(cat "$TMP/err")"
	wait $t
	trc=$?
	[ $trc = 0 ] || fail "$b attached: the target exited $trc"
	check "$b attached" "$TMP/$b-attach.folded"
done
echo "exec in the middle, launched and attached, perf and ptrace: both programs named"
