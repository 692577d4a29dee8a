#!/bin/sh
# `prowl dump -p PID` of a running CPython (started with no flag) shows, for
# every thread, the Python functions, files and lines the interpreter's own
# traceback.extract_stack() gives at that point (tests/data/python/stacks.py:
# threads, deep recursion, non-ASCII names, sorted() calling back into Python,
# a thread spinning), merged into the native stack in place of the
# evaluation frames, read while the threads are stopped; --json marks those
# frames "kind":"python"; --no-python gives the raw native stacks. A CPython
# prowl does not know (pyenv's 2.7) gets one line saying so and native
# stacks. Every pyenv CPython 3.6-3.13 and Debian's /usr/bin/python3.11; one
# skip line names what is missing.
. "$(dirname "$0")/../lib.sh"
require_ptrace

SCRIPT=$ROOT/tests/data/python/stacks.py
PYENV=${PYENV_ROOT:-$HOME/.pyenv}/versions

interps=""
missing=""
for m in 6 7 8 9 10 11 12 13; do
	found=$(ls -d "$PYENV"/3.$m.*/bin/python3.$m 2>/dev/null | head -n 1)
	if [ -n "$found" ]; then interps="$interps $found"; else missing="$missing 3.$m(pyenv)"; fi
done
if [ -x /usr/bin/python3.11 ]; then interps="$interps /usr/bin/python3.11"; else missing="$missing /usr/bin/python3.11"; fi

# "TID<TAB>qualname<TAB>file<TAB>line" for every [python] frame of a text dump, innermost first.
python_frames() {
	awk '/^thread [0-9]+ / { tid = $2; next }
	     /^  #[0-9]+ +\[python\] / {
		s = $0; sub(/^  #[0-9]+ +\[python\] +/, "", s)
		i = 0; p = 0; while ((p = index(substr(s, i + 1), " at ")) > 0) i += p
		name = substr(s, 1, i - 1); loc = substr(s, i + 4)
		j = 0; while ((p = index(substr(loc, j + 1), ":")) > 0) j += p
		printf "%s\t%s\t%s\t%s\n", tid, name, substr(loc, 1, j - 1), substr(loc, j + 1)
	     }' "$1"
}

checked=0
for py in $interps; do
	info "== $py"
	out=$TMP/expected.txt
	rm -f "$out"
	start_python "$py" "$SCRIPT" "$out"
	wait_in_futex "$pid" "$pid" || fail "$py: the main thread never blocked after READY"
	"$PROWL" dump -p "$pid" >"$TMP/dump.txt" 2>"$TMP/dump.err" || { cat "$TMP/dump.err"; fail "$py: dump failed"; }
	"$PROWL" dump --json -p "$pid" >"$TMP/dump.json" 2>>"$TMP/dump.err" || fail "$py: dump --json failed"
	"$PROWL" dump --no-python -p "$pid" >"$TMP/raw.txt" 2>>"$TMP/dump.err" || fail "$py: dump --no-python failed"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	[ -s "$TMP/dump.err" ] && { cat "$TMP/dump.err"; fail "$py: dump printed a message for a supported interpreter"; }
	grep -q "^python 3\.[0-9]*\.[0-9]* (" "$TMP/dump.txt" || fail "$py: the dump does not name the interpreter"
	# Same threads, same Python frames, innermost first (threads in any order).
	python_frames "$TMP/dump.txt" | sort -s -n -k1,1 >"$TMP/got.txt"
	cut -f1,3-5 "$out" | sort -s -n -k1,1 >"$TMP/want.txt"
	if ! diff -u "$TMP/want.txt" "$TMP/got.txt"; then
		fail "$py: the dump's Python frames differ from traceback.extract_stack() (- python, + prowl)"
	fi
	n=$(wc -l <"$TMP/got.txt")
	[ "$n" -ge 60 ] || fail "$py: only $n Python frames in the dump"
	grep -q "función_λ" "$TMP/got.txt" || fail "$py: the non-ASCII function name is missing"
	# Every evaluation frame was replaced, and the halves matched everywhere.
	grep -q "_PyEval_EvalFrameDefault" "$TMP/dump.txt" && fail "$py: an evaluation frame was left in the merged stacks"
	grep -q "did not match" "$TMP/dump.txt" && fail "$py: python and native frames did not match in a thread"
	# Native frames that do work stay: the lock wait under park().
	grep -q "PyThread_acquire_lock\|acquire_timed\|lock_PyThread_acquire_lock" "$TMP/dump.txt" ||
		fail "$py: the native lock wait under the Python frames is missing"
	# C calling back into Python: the key lambda, then native frames
	# (sorted's C code), then sorter(), in that order in one thread.
	awk '/^thread / { st = 0 }
	     /\[python\] +(sorter\.<locals>\.)?<lambda> at / { st = 1; next }
	     st == 1 && !/\[python\]/ { st = 2; next }
	     st == 1 && /\[python\]/ { st = 0 }
	     st == 2 && /\[python\] +sorter at / { ok = 1 }
	     END { exit !ok }' "$TMP/dump.txt" ||
		fail "$py: the key function, sorted()'s native frames and sorter() are not stacked in that order"
	# JSON: the same frames, marked as Python.
	j=$(grep -o '"kind":"python"' "$TMP/dump.json" | wc -l)
	[ "$j" -eq "$n" ] || fail "$py: $j Python frames in the JSON dump, $n in the text one"
	# --no-python: today's native stacks, no Python frame, the evaluator shown.
	grep -q "\[python\]" "$TMP/raw.txt" && fail "$py: --no-python still shows Python frames"
	grep -q "^python 3" "$TMP/raw.txt" && fail "$py: --no-python still names the interpreter"
	checked=$((checked + 1))
	info "$py: $n Python frames agree"
done

# An interpreter prowl does not read: one line, native stacks.
py2=$(ls -d "$PYENV"/2.7.*/bin/python2.7 2>/dev/null | head -n 1)
if [ -n "$py2" ]; then
	start_python "$py2" -c "import time; print('READY'); import sys; sys.stdout.flush(); time.sleep(60)"
	"$PROWL" dump -p "$pid" >"$TMP/dump2.txt" 2>"$TMP/dump2.err" || fail "dump of python 2.7 failed"
	kill -9 "$pid" 2>/dev/null
	[ "$(wc -l <"$TMP/dump2.err")" -eq 1 ] || { cat "$TMP/dump2.err"; fail "python 2.7: expected one line"; }
	grep -q "python 2.7 .*not supported: native stacks only" "$TMP/dump2.err" ||
		fail "python 2.7: the line does not say it is not supported: $(cat "$TMP/dump2.err")"
	grep -q "PyEval_EvalFrameEx" "$TMP/dump2.txt" || fail "python 2.7: no native stack"
	grep -q "\[python\]" "$TMP/dump2.txt" && fail "python 2.7: Python frames shown for an unsupported version"
else
	missing="$missing 2.7(pyenv, unsupported-version check)"
fi

[ $checked -gt 0 ] || skip "no CPython found"
[ -z "$missing" ] || skip "checked $checked interpreters; missing:$missing"
exit 0
