#!/bin/sh
# The target's binary is deleted, or replaced by another program at the same
# path, while it runs, with each backend: attached after the change, and
# launched with the change in the middle of the recording (symbols are only
# looked up at the end, when the path holds the other program). The profile
# names the code that ran (hot_a under main;run_workload), never the
# replacement's functions at the same addresses, nor [unknown].
. "$(dirname "$0")/../lib.sh"
require_perf
require_ptrace
check() { # WHAT FILE
	total=$(folded_total "$2")
	good=$(folded_count "$2" ';main;run_workload;hot_[abc] ')
	info "$1: $total samples, $good under main;run_workload;hot_a/b/c"
	[ "$total" -ge 20 ] || fail "$1: only $total samples"
	[ "$good" -ge $((total * 9 / 10)) ] || fail "$1: $good of $total samples named right: $(head -n 4 "$2")"
	grep -qE 'spin_(left|right)|left_thread' "$2" && fail "$1: named after the replacement (busy2): $(head -n 3 "$2")"
	return 0
}
# The replacement: another sample, same size class, its own symbols.
for be in perf ptrace; do
	for how in deleted replaced; do
		prog=$TMP/prog-$be-$how
		cp "$SAMPLES/cpu" "$prog"
		bg "$prog" 2
		t=$BG
		wait_exec $t "$(basename "$prog" | cut -c1-15)"
		if [ $how = deleted ]; then
			rm -f "$prog"
		else
			cp "$SAMPLES/busy2" "$prog.new" && mv -f "$prog.new" "$prog"
		fi
		"$PROWL" record --backend $be -p $t -d 1 -o "$TMP/$be-$how.folded" 2>"$TMP/err" ||
			fail "$be $how, attached: $(cat "$TMP/err")"
		check "$be $how, attached" "$TMP/$be-$how.folded"
		wait $t || fail "$be $how: the target failed"

		prog=$TMP/launch-$be-$how
		cp "$SAMPLES/cpu" "$prog"
		"$PROWL" record --backend $be -o "$TMP/$be-$how-launch.folded" -- "$prog" 1.5 2>"$TMP/err" &
		p=$!
		PIDS_TO_KILL="$PIDS_TO_KILL $p"
		sleep 0.7
		if [ $how = deleted ]; then
			rm -f "$prog"
		else
			cp "$SAMPLES/busy2" "$prog.new" && mv -f "$prog.new" "$prog"
		fi
		wait $p
		rc=$?
		[ $rc = 0 ] || fail "$be $how, launched: prowl exited $rc: $(cat "$TMP/err")"
		check "$be $how, launched" "$TMP/$be-$how-launch.folded"
	done
done
echo "binary deleted or replaced while running: named from the code that ran"
