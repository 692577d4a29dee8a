#!/bin/sh
# The GIL in wall mode (tests/data/python/gil.py, attached with -p to an
# interpreter started with no flag): hog() holds the GIL in one long C call,
# waiter() runs bytecode and so waits for the GIL most of the time, the main
# thread waits in join() (a lock, not the GIL).
# - waiter's samples end in [GIL wait] far more often than hog's, and no more
#   often than waiter was off the CPU (its own measure); the main thread's
#   lock wait is [sleeping], not [GIL wait];
# - --gil keeps only samples of the thread holding the GIL: none of the main
#   thread, no [GIL wait], and most of the three threads' samples dropped
#   (counted on the closing line).
# Tolerances are 3.5 binomial standard deviations of the sample counts plus
# a fixed margin. Every pyenv CPython 3.6-3.13 and Debian's python3.11; one
# skip line names what is missing (PROWL_NO_SKIP=1 makes that a failure).
. "$(dirname "$0")/../lib.sh"
require_ptrace

SCRIPT=$ROOT/tests/data/python/gil.py
PYENV=${PYENV_ROOT:-$HOME/.pyenv}/versions
SECS=3

interps="" missing=""
for m in 6 7 8 9 10 11 12 13; do
	found=$(ls -d "$PYENV"/3.$m.*/bin/python3.$m 2>/dev/null | head -n 1)
	if [ -n "$found" ]; then interps="$interps $found"; else missing="$missing 3.$m(pyenv)"; fi
done
if [ -x /usr/bin/python3.11 ]; then interps="$interps /usr/bin/python3.11"; else missing="$missing /usr/bin/python3.11"; fi
if [ -n "$missing" ] && [ "${PROWL_NO_SKIP:-0}" = 1 ]; then fail "missing interpreters:$missing"; fi

# "who leaf weight" per folded line: who is waiter, hog, main (join) or
# other; leaf is gil, sleeping or run.
classify() {
	awk '{ n = $NF; k = "other" }
	     /;waiter(;| )/ { k = "waiter" } /;hog(;| )/ { k = "hog" }
	     /;main;(.*;)?Thread\.join(;| )|;main;(.*;)?join(;| )/ && k == "other" { k = "main" }
	     { leaf = "run" } / \[GIL wait\] [0-9]+$|;\[GIL wait\] [0-9]+$/ { leaf = "gil" }
	     /;\[sleeping\] [0-9]+$/ { leaf = "sleeping" }
	     { c[k " " leaf] += n }
	     END { for (x in c) print x, c[x] }' "$1"
}
get() { awk -v k="$2 $3" '$1 " " $2 == k { print $3; f = 1 } END { if (!f) print 0 }' "$1"; }
# bound SHARE_PCT N: 3.5 standard deviations of a share from N samples, in points, plus 5.
bound() { awk -v p="$1" -v n="$2" 'BEGIN { p /= 100; if (n < 1) n = 1; printf "%.1f\n", 5 + 350 * sqrt(p * (1 - p) / n) }'; }

run() { # PY OUT ERR TRUTH [prowl options...]
	py=$1 out=$2 err=$3 truth=$4
	shift 4
	rm -f "$truth"
	# A long run that SIGUSR1 ends once the recording is over.
	start_python "$py" "$SCRIPT" $((SECS + 60)) "$truth"
	# After READY the main thread still runs join()'s own bytecode, and
	# holds the GIL while it does (on a loaded machine, for as long as a
	# few hand-overs take): --gil rightly keeps those samples. Record once
	# it is parked in the lock.
	wait_in_futex "$pid" "$pid" || fail "$py: the main thread never parked in join()"
	"$PROWL" record --mode wall --stats -d "$SECS" -o "$out" -p "$pid" "$@" >/dev/null 2>"$err" ||
		{ cat "$err"; fail "$py: record $* failed"; }
	kill -USR1 "$pid"
	wait "$pid"
}

checked=0
for py in $interps; do
	info "== $py"
	run "$py" "$TMP/w.folded" "$TMP/w.err" "$TMP/truth"
	classify "$TMP/w.folded" >"$TMP/w.cls"
	wg=$(get "$TMP/w.cls" waiter gil) wr=$(get "$TMP/w.cls" waiter run) ws=$(get "$TMP/w.cls" waiter sleeping)
	hg=$(get "$TMP/w.cls" hog gil) hr=$(get "$TMP/w.cls" hog run) hs=$(get "$TMP/w.cls" hog sleeping)
	mg=$(get "$TMP/w.cls" main gil) mr=$(get "$TMP/w.cls" main run) ms=$(get "$TMP/w.cls" main sleeping)
	wn=$((wg + wr + ws)) hn=$((hg + hr + hs)) mn=$((mg + mr + ms))
	[ "$wn" -ge 100 ] && [ "$hn" -ge 100 ] && [ "$mn" -ge 100 ] ||
		{ cat "$TMP/w.cls"; fail "$py: too few samples (waiter $wn, hog $hn, main $mn)"; }
	off=$(sed -n 's/^OFFCPU //p' "$TMP/truth")
	[ -n "$off" ] || fail "$py: the script wrote no off-CPU share"
	w=$(pct "$wg" "$wn") h=$(pct "$hg" "$hn") m=$(pct "$mg" "$mn") msl=$(pct "$ms" "$mn")
	info "$py: [GIL wait] in waiter ${w}% of $wn (off the CPU ${off}%), hog ${h}% of $hn, main ${m}% of $mn ([sleeping] ${msl}%)"
	bw=$(bound "$w" "$wn") bh=$(bound "$h" "$hn")
	# Waiting for the GIL is most of what waiter does off the CPU: far
	# more than hog, which holds it; never more than its off-CPU time.
	at_least "$(awk -v w="$w" -v h="$h" -v b="$bw" -v c="$bh" 'BEGIN { print w - h - b - c }')" 20 ||
		fail "$py: waiter's [GIL wait] share ${w}% is not well above hog's ${h}%"
	at_least "$(awk -v o="$off" -v b="$bw" 'BEGIN { print o + b }')" "$w" ||
		fail "$py: waiter shows [GIL wait] ${w}% of the time but was off the CPU only ${off}%"
	# The main thread's lock wait is not the GIL (it is [sleeping], or
	# running while its futex call restarts after one of our stops).
	bm=$(bound "$m" "$mn")
	at_least "$bm" "$m" || fail "$py: the main thread in join() shows [GIL wait] in ${m}% of its samples"

	# --gil: the holder only.
	run "$py" "$TMP/g.folded" "$TMP/g.err" "$TMP/truth_g" --gil
	classify "$TMP/g.folded" >"$TMP/g.cls"
	gm=$(($(get "$TMP/g.cls" main gil) + $(get "$TMP/g.cls" main run) + $(get "$TMP/g.cls" main sleeping)))
	gg=$(($(get "$TMP/g.cls" waiter gil) + $(get "$TMP/g.cls" hog gil) + $(get "$TMP/g.cls" other gil)))
	gh=$(($(get "$TMP/g.cls" hog run) + $(get "$TMP/g.cls" waiter run)))
	tg=$(folded_total "$TMP/g.folded") tw=$(folded_total "$TMP/w.folded")
	dropped=$(sed -n 's/.* gil_dropped \([0-9]*\).*/\1/p' "$TMP/g.err")
	info "$py: --gil kept $tg of weight (without: $tw), main $gm, [GIL wait] $gg, dropped ${dropped:-?}"
	[ "$gm" -eq 0 ] || fail "$py: --gil kept $gm samples of the main thread, which waits in join()"
	[ "$gg" -eq 0 ] || fail "$py: --gil kept $gg samples waiting for the GIL"
	[ "$gh" -ge 100 ] || { cat "$TMP/g.cls"; fail "$py: --gil kept only $gh samples of hog and waiter"; }
	[ -n "$dropped" ] && [ "$dropped" -gt 0 ] || { cat "$TMP/g.err"; fail "$py: --gil dropped nothing"; }
	# One holder at a time: of three threads' looks, the main thread's and
	# most of waiter's (about two thirds) are dropped.
	kept=$(sed -n 's/.* samples \([0-9]*\) .*/\1/p' "$TMP/g.err")
	share=$(pct "$dropped" $((dropped + kept)))
	info "$py: --gil dropped ${share}% of $((dropped + kept)) looks"
	at_least "$share" 40 || fail "$py: --gil dropped only ${share}% of the samples"
	checked=$((checked + 1))
done

# --gil and --no-python cannot go together; --gil on a process without
# CPython says it keeps everything.
"$PROWL" record --gil --no-python -d 1 -o "$TMP/x.folded" -- sleep 1 >/dev/null 2>"$TMP/x.err" &&
	fail "--gil --no-python was accepted"
grep -q -- "--gil needs the Python frames --no-python turns off" "$TMP/x.err" || { cat "$TMP/x.err"; fail "no message for --gil --no-python"; }
"$PROWL" record --gil -o "$TMP/y.folded" -- "$BUILD/../samples/bin/sleepy" 1 >/dev/null 2>"$TMP/y.err" ||
	"$PROWL" record --gil -o "$TMP/y.folded" -- sleep 1 >/dev/null 2>"$TMP/y.err" || { cat "$TMP/y.err"; fail "record --gil of a non-python command failed"; }
grep -q -- "--gil: the target runs no CPython prowl reads, so every sample is kept" "$TMP/y.err" ||
	{ cat "$TMP/y.err"; fail "--gil on a non-python target: no line saying so"; }

[ $checked -gt 0 ] || skip "no CPython found"
[ -z "$missing" ] || skip "checked $checked interpreters; missing:$missing"
exit 0
