#!/bin/sh
# `prowl record` of a CPython (launched with `-- python script.py`, and
# attached with -p to one started with no flag) gives merged Python + native
# stacks: tests/data/python/split.py runs nested functions whose leaf time
# splits about 60/40 (it measures the split itself). The Python leaf shares
# are within 10 points of that truth (more when the machine is so busy that
# fewer than about 200 independent looks fell in the leaves: 3.5 standard
# deviations of their count), the Python callers (<module>, outer,
# middle) are present in >= 90% of the samples (of a launched one, those of
# the script's run: not the interpreter's start-up), fewer than 1% of samples had
# Python and native halves that did not match, and prowl says it used the
# ptrace backend for it. --backend perf says it records native stacks only;
# --no-python gives native stacks; a CPython prowl does not read (2.7) one
# line and native stacks. Every pyenv CPython 3.6-3.13 and Debian's
# /usr/bin/python3.11; one skip line names what is missing
# (PROWL_NO_SKIP=1 turns a missing one into a failure).
. "$(dirname "$0")/../lib.sh"
require_ptrace

SCRIPT=$ROOT/tests/data/python/split.py
PYENV=${PYENV_ROOT:-$HOME/.pyenv}/versions
SECS=4

interps=""
missing=""
for m in 6 7 8 9 10 11 12 13; do
	found=$(ls -d "$PYENV"/3.$m.*/bin/python3.$m 2>/dev/null | head -n 1)
	if [ -n "$found" ]; then interps="$interps $found"; else missing="$missing 3.$m(pyenv)"; fi
done
if [ -x /usr/bin/python3.11 ]; then interps="$interps /usr/bin/python3.11"; else missing="$missing /usr/bin/python3.11"; fi
if [ -n "$missing" ] && [ "${PROWL_NO_SKIP:-0}" = 1 ]; then fail "missing interpreters:$missing"; fi

# The samples taken while the interpreter ran the script's file (its native
# frames, there whether or not the Python frames were read): not its
# start-up (pymain_init, site's imports) nor its finalization. A launched
# CPython spends a fixed CPU time in those, 60-90 ms for a 3.11 whose
# site-packages import certifi, and the share they take of a run grows as
# load shrinks the CPU the script gets in its 4 s (3.11's callers in 586 of
# 668 samples of a loaded run). A launched run's callers' share is of these.
RUN=';(_PyRun_SimpleFileObject|PyRun_SimpleFileExFlags)(_\[i\])?;'

# check FOLDED ERRFILE TRUTHFILE LABEL [launched]
check() {
	total=$(folded_total "$1")
	# Attached after READY, everything recorded is the script's loop: all
	# count there, so that a stack cut short of the script's frames does too.
	run=$total
	[ "${5:-}" = launched ] && run=$(folded_count "$1" "$RUN")
	a=$(folded_count "$1" ';leaf_a( |;)')
	b=$(folded_count "$1" ';leaf_b( |;)')
	callers=$(folded_count "$1" ';<module>;(.*;)?outer;(.*;)?middle(;| )')
	truth=$(sed -n 's/^TRUTH //p' "$3")
	[ -n "$truth" ] || fail "$4: the script wrote no truth"
	leaves=$((a + b))
	[ "$leaves" -ge 200 ] || { cat "$2"; fail "$4: only $leaves samples in the leaves (of $total)"; }
	share=$(pct "$a" "$leaves")
	# The tolerance is of independent looks, not of samples: the ptrace
	# backend looks less often when the machine is busy (a stop costs
	# milliseconds then) and weights each look by the CPU time the thread
	# used since the last, so under load a few dozen looks stood for
	# hundreds of samples (3.8: 72.3% against a truth of 58.9%). 3.5
	# standard deviations of the share from the looks that fell in the
	# leaves, and never under 10 points (over 3 deviations from 200).
	looks=$(sed -n 's/.*ptrace cost:.* samples \([0-9]*\) .*/\1/p' "$2")
	[ -n "$looks" ] || { cat "$2"; fail "$4: no ptrace cost line (record --stats)"; }
	tol=$(awk -v l="$looks" -v n="$leaves" -v t="$total" -v p="$truth" 'BEGIN {
		e = l * n / t; if (e < 1) e = 1; p /= 100
		d = 350 * sqrt(p * (1 - p) / e); printf "%.1f\n", (d > 10 ? d : 10) }')
	info "$4: leaf_a ${share}% of $leaves leaf samples from $looks looks (truth ${truth}%, tolerance $tol points), callers in $callers of $run samples of the script's run ($total in all)"
	within "$share" "$truth" "$tol" || fail "$4: leaf_a share ${share}% is not within $tol points of ${truth}%"
	at_least "$(pct "$callers" "$run")" 90 || fail "$4: the Python callers are in only $callers of the $run samples of the script's run"
	grep -q "using the ptrace backend: the target runs python" "$2" || { cat "$2"; fail "$4: no line about the backend"; }
	mism=$(sed -n 's/.*python_mismatched_pct \([0-9.]*\).*/\1/p' "$2")
	[ -n "$mism" ] || { cat "$2"; fail "$4: no python figures after the summary (record --stats)"; }
	info "$4: ${mism}% of samples with mismatched halves"
	at_least 1 "$mism" && [ "$mism" != "1.00" ] || fail "$4: ${mism}% of samples had mismatched halves"
	# An evaluation frame stays only where the halves did not match (a
	# frame being entered: the native call is made, the Python frame not yet linked).
	left=$(folded_count "$1" '_PyEval_EvalFrameDefault')
	at_least 1 "$(pct "$left" "$total")" || fail "$4: an evaluation frame was left in $left of $total samples"
	return 0
}

checked=0
for py in $interps; do
	info "== $py"
	# Launched.
	"$PROWL" record --stats -o "$TMP/l.folded" -- "$py" "$SCRIPT" "$SECS" "$TMP/truth_l" >/dev/null 2>"$TMP/l.err" ||
		{ cat "$TMP/l.err"; fail "$py: record of the launched script failed"; }
	check "$TMP/l.folded" "$TMP/l.err" "$TMP/truth_l" "$py launched" launched
	# Attached to a running one.
	start_python "$py" "$SCRIPT" $((SECS + 2)) "$TMP/truth_p"
	"$PROWL" record --stats -d "$SECS" -o "$TMP/p.folded" -p "$pid" >/dev/null 2>"$TMP/p.err" ||
		{ cat "$TMP/p.err"; fail "$py: record -p failed"; }
	wait "$pid"
	check "$TMP/p.folded" "$TMP/p.err" "$TMP/truth_p" "$py attached"
	checked=$((checked + 1))
done

# The interpreter's last: --no-python and --backend perf give native stacks.
if [ -n "$py" ]; then
	"$PROWL" record --no-python --backend ptrace -o "$TMP/n.folded" -- "$py" "$SCRIPT" 1 "$TMP/truth_n" >/dev/null 2>"$TMP/n.err" ||
		{ cat "$TMP/n.err"; fail "record --no-python failed"; }
	grep -q ';leaf_a' "$TMP/n.folded" && fail "--no-python still shows Python frames"
	grep -q "_PyEval_EvalFrameDefault" "$TMP/n.folded" || fail "--no-python: no native evaluation frame"
	if "$BUILD/tests/helpers/probe" perf >/dev/null 2>&1; then
		"$PROWL" record --backend perf -o "$TMP/f.folded" -- "$py" "$SCRIPT" 1 "$TMP/truth_f" >/dev/null 2>"$TMP/f.err" ||
			{ cat "$TMP/f.err"; fail "record --backend perf failed"; }
		grep -q "backend perf records native stacks only" "$TMP/f.err" || { cat "$TMP/f.err"; fail "--backend perf: no line saying so"; }
	fi
fi

# A CPython prowl does not read (pyenv's 2.7): one line, native stacks, in
# either backend.
py2=$(ls -d "$PYENV"/2.7.*/bin/python2.7 2>/dev/null | head -n 1)
if [ -n "$py2" ]; then
	start_python "$py2" -c "import time; print('READY'); import sys; sys.stdout.flush(); time.sleep(60)"
	for mode in cpu wall; do
		"$PROWL" record --mode $mode -d 1 -o "$TMP/z.folded" -p "$pid" >/dev/null 2>"$TMP/z.err" || { cat "$TMP/z.err"; fail "record of python 2.7 failed"; }
		n=$(grep -c "python 2.7 .*not supported: native stacks only" "$TMP/z.err")
		[ "$n" -eq 1 ] || { cat "$TMP/z.err"; fail "python 2.7 ($mode): expected one line saying it is not supported, got $n"; }
	done
	grep -q "PyEval_EvalFrameEx" "$TMP/z.folded" || fail "python 2.7: no native stacks"
	kill -9 "$pid" 2>/dev/null
else
	missing="$missing 2.7(pyenv, unsupported-version check)"
fi

[ $checked -gt 0 ] || skip "no CPython found"
[ -z "$missing" ] || skip "checked $checked interpreters; missing:$missing"
exit 0
