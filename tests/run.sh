#!/bin/sh
# Runs cmocka unit test binaries and integration scripts, one after the other,
# and prints one closing line: "N passed, N failed, N skipped".
# An integration script exits 0 (pass), 77 (skip, with a reason on stderr) or
# anything else (fail). With PROWL_NO_SKIP=1 (set by .ci/run) a skip is a failure:
# a green CI means every test really ran.
set -u
pass=0 fail=0 skip=0
failed=""
logdir=${TEST_LOG_DIR:-${BUILD:-build}/test-logs}
mkdir -p "$logdir"
per_test_timeout=${TEST_TIMEOUT:-600}

note_skip() {
	if [ "${PROWL_NO_SKIP:-0}" = 1 ]; then
		fail=$((fail + $1)); failed="$failed $2(skipped-under-CI)"
		echo "FAIL (skip not allowed under CI): $2"
	else
		skip=$((skip + $1))
	fi
}

for t in "$@"; do
	name=$(basename "$t")
	log="$logdir/$name.log"
	case "$t" in
	*.sh)
		start=$(date +%s)
		# Every recording appends "record samples N nonexec N refused N"
		# here: a frame outside executable memory fails the test (issue 15).
		audit="$logdir/$name.frames"
		rm -f "$audit"
		PROWL_FRAME_AUDIT=$audit timeout -k 10 "$per_test_timeout" sh "$t" >"$log" 2>&1
		rc=$?
		secs=$(( $(date +%s) - start ))
		if [ $rc != 77 ] && [ -s "$audit" ] && awk '$5 != 0 { bad = 1 } END { exit !bad }' "$audit"; then
			echo "frames outside executable memory reached a profile: $(awk '$5 != 0' "$audit" | head -n 3)" >>"$log"
			rc=1
		fi
		if [ $rc = 0 ]; then
			pass=$((pass + 1)); echo "ok    $name (${secs}s)"
		elif [ $rc = 77 ]; then
			echo "skip  $name: $(tail -n 1 "$log")"
			note_skip 1 "$name"
		else
			fail=$((fail + 1)); failed="$failed $name"
			echo "FAIL  $name (exit $rc, ${secs}s); last lines of $log:"
			tail -n 25 "$log" | sed 's/^/    /'
		fi
		;;
	*)
		timeout -k 10 "$per_test_timeout" "$t" >"$log" 2>&1
		rc=$?
		p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
		f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
		s=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
		p=${p:-0} f=${f:-0} s=${s:-0}
		if [ $rc != 0 ] && [ "$f" = 0 ]; then f=1; fi
		pass=$((pass + p)); fail=$((fail + f))
		[ "$s" != 0 ] && note_skip "$s" "$name"
		if [ "$f" != 0 ]; then
			failed="$failed $name"
			echo "FAIL  $name: $p passed, $f failed"
			grep -E '^\[  (FAILED|ERROR|SKIPPED) |error:|Failure' "$log" | head -n 20 | sed 's/^/    /'
		else
			echo "ok    $name ($p tests)"
		fi
		;;
	esac
done

echo
[ -n "$failed" ] && echo "failed:$failed"
echo "$pass passed, $fail failed, $skip skipped"
[ $fail = 0 ]
