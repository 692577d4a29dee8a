#!/bin/sh
# Crafted profiles cost what their size allows (issue 12). Each is written at
# test time by tests/fuzz/crafted.py and read by `prowl report`:
# - memory: peak RSS (GNU time's %M) stays under 10 times the file's size plus
#   a fixed base. The base is prowl's own RSS on a one-line profile (measured
#   here) plus the pprof reader's documented allowance (formats/pprof.h):
#   PPROF_UNPACK_BASE (32 MiB unpacked) and PPROF_MAX_ELEMENTS_BASE table
#   entries (1 Mi x 16 bytes), that is 48 MiB, which any pprof may use however
#   small it is;
# - time: reading an input of size 4N takes less than 8 times the CPU time of
#   size N (linear: 4x; quadratic: 16x). Times under 50 ms count as 50 ms, so
#   the clock's granularity cannot fail a linear reader. Each size's time is
#   the least of three reads: on this VM one read of the same 52 MB file took
#   0.35-0.67 s of CPU (the host's neighbours, the other core's test), and
#   interference only ever adds, so the least is the reader's own cost (a
#   single read each once made a linear reader look 8.3x);
# - totals: counts that add past 2^64 saturate; no share goes above 100%.
. "$(dirname "$0")/../lib.sh"
require_cmd python3
[ -x /usr/bin/time ] || skip "/usr/bin/time is not installed (package time; run: sh scripts/setup-deps.sh test)"
GEN=$ROOT/tests/fuzz/crafted.py

# Under `make asan` the binary under test keeps freed memory in ASan's
# quarantine and pays for shadow memory and redzones: its peak RSS and CPU say
# nothing about the reader. Then the bounds are measured on the normal build
# beside it (build/prowl, which `make test` built first), and the ASan binary
# still reads every crafted file, where a sanitizer report fails the test.
MEASURE=$PROWL
if nm "$PROWL" 2>/dev/null | grep -q __asan_init; then
	MEASURE=$ROOT/build/prowl
	[ -x "$MEASURE" ] || fail "the binary under test is an ASan build and $MEASURE does not exist (run make first)"
	info "ASan build under test: bounds measured on $MEASURE"
fi

# Peak RSS in KB and user+system seconds of `prowl report FILE` into $RSS,
# $CPU; the exit status into $RC. Nothing may take a minute.
measure() { # FILE
	if [ "$MEASURE" != "$PROWL" ]; then
		timeout 300 "$PROWL" report "$1" >/dev/null 2>"$TMP/asan.err"
		[ $? = 124 ] && fail "report $(basename "$1") ran past 300 s under ASan"
		grep -q -e 'ERROR: AddressSanitizer' -e 'ERROR: LeakSanitizer' -e 'runtime error:' "$TMP/asan.err" &&
			{ cat "$TMP/asan.err"; fail "sanitizer report reading $(basename "$1")"; }
	fi
	timed_report "$1"
}

# The timed read alone (on the build measured), into $RSS, $CPU and $RC.
timed_report() { # FILE
	timeout 120 /usr/bin/time -f '%M %U %S' -o "$TMP/time" "$MEASURE" report "$1" >"$TMP/out" 2>"$TMP/err"
	RC=$?
	[ $RC = 124 ] && fail "report $(basename "$1") ran past 120 s"
	RSS=$(awk 'END { print $1 }' "$TMP/time")
	CPU=$(awk 'END { print $2 + $3 }' "$TMP/time")
}

printf 'main;f 1\n' >"$TMP/one.folded"
measure "$TMP/one.folded"
[ $RC = 0 ] || fail "report of a one-line profile exited $RC"
BASE=$((RSS + 48 * 1024))
info "prowl's own RSS: $RSS KB; base with the pprof allowance: $BASE KB"

# Memory: KIND N [exit status]
check_memory() {
	python3 "$GEN" "$1" "$2" "$TMP/in" || fail "crafted.py $1 $2"
	size=$(stat -c %s "$TMP/in")
	measure "$TMP/in"
	limit=$((size * 10 / 1024 + BASE))
	info "$1 $2: $size bytes, exit $RC, $RSS KB (limit $limit KB), ${CPU} s"
	[ "$RSS" -le "$limit" ] || fail "$1 $2: $RSS KB for $size bytes (limit $limit KB)"
	[ $RC = "$3" ] || fail "$1 $2: exit $RC, want $3: $(head -c 300 "$TMP/err")"
	if [ "$3" != 0 ]; then
		[ "$(wc -l <"$TMP/err")" = 1 ] || fail "$1 $2: not one line: $(head -c 300 "$TMP/err")"
	fi
}

# 40 million empty strings in 78 KB (the issue's 778 KB held 400 million):
# unpacks past the limit, refused before anything is allocated.
check_memory pprof-strings 40000000 66
grep -q 'too large' "$TMP/err" || fail "pprof-strings: $(cat "$TMP/err")"
# 4 million: within the unpack limit, past the entry budget.
check_memory pprof-strings 4000000 66
# One location of 16000 inline lines named 16000 times in a 261-byte file:
# 256 million frames, cut to READ_MAX_FRAMES and counted.
check_memory pprof-inline 16000 0
grep -q '^prowl report: 1 sample' "$TMP/out" || fail "pprof-inline: $(head -n 2 "$TMP/out")"
grep -q 'incomplete stack' "$TMP/out" || fail "pprof-inline: the cut sample is not counted: $(head -n 3 "$TMP/out")"
check_memory perf-spaces 4000000 0
check_memory perf-parens 1000000 0
check_memory perf-lines 100000 0

# The least CPU time of three reads of FILE (the first through measure, so
# that an ASan build reads it too), into $CPU.
least_cpu() { # FILE
	measure "$1"
	best=$CPU
	for _ in 2 3; do
		timed_report "$1"
		best=$(awk -v a="$best" -v b="$CPU" 'BEGIN { print (b < a ? b : a) }')
	done
	CPU=$best
}

# Time: KIND N -> N and 4N.
check_linear() {
	python3 "$GEN" "$1" "$2" "$TMP/in" || fail "crafted.py $1 $2"
	least_cpu "$TMP/in"
	t1=$CPU
	python3 "$GEN" "$1" $(($2 * 4)) "$TMP/in" || fail "crafted.py $1 $(($2 * 4))"
	least_cpu "$TMP/in"
	t4=$CPU
	rm -f "$TMP/in"
	info "$1: $2 -> $t1 s, $(($2 * 4)) -> $t4 s"
	awk -v a="$t1" -v b="$t4" 'BEGIN { if (a < 0.05) a = 0.05; exit !(b < 8 * a) }' ||
		fail "$1: 4x the input took $t4 s against $t1 s (not linear)"
}
check_linear perf-spaces 8000000
check_linear perf-parens 2000000
check_linear perf-lines 100000
check_linear pprof-inline 8000

# Totals: two lines of 10^19 samples wrapped to 1.55 * 10^18 ("643.81%").
python3 "$GEN" folded-wrap 3 "$TMP/wrap.folded"
"$PROWL" report "$TMP/wrap.folded" >"$TMP/out" 2>"$TMP/err" || fail "report of wrapping counts exited $?"
grep -q '^prowl report: 18446744073709551615 samples' "$TMP/out" ||
	fail "the total does not saturate: $(head -n 1 "$TMP/out")"
awk '$1 ~ /%$/ { v = $1; sub(/%$/, "", v); if (v + 0 > 100) { print; bad = 1 } } END { exit bad }' "$TMP/out" ||
	fail "a share above 100%"
exit 0
