#!/bin/sh
# prowl's CPython frame walker (profiler/capture/python.c, through
# build/tests/helpers/pystack) attached to a running interpreter started with
# no flag finds, for every thread, the same functions, qualified names, files
# and lines as the interpreter's own traceback.extract_stack() at that point
# (tests/data/python/stacks.py: nested calls, non-ASCII names, deep
# recursion, sorted() calling back into Python, a thread spinning with the
# GIL). With gdb present, each thread's frames marked as entry frames are as
# many as gdb's native _PyEval_EvalFrameDefault frames in that thread: what
# the merge of Python and native stacks relies on. Every pyenv CPython
# 3.6-3.13 and Debian's /usr/bin/python3.11 (static, stripped, non-PIE); one
# skip line names what is missing.
. "$(dirname "$0")/../lib.sh"
require_ptrace

# "TID count" of native evaluation frames per thread in a gdb backtrace.
gdb_counts() {
	awk '/^Thread [0-9]+ \(Thread .*LWP [0-9]+/ { s = $0; sub(/.*LWP /, "", s); sub(/\).*/, "", s); t = s; n[t] += 0 }
	     / _PyEval_EvalFrameDefault(\.cold)? \(/ { n[t]++ }
	     END { for (k in n) print k, n[k] }' "$1" | sort -n
}
# "TID count" of frames pystack marked as entry frames.
entry_counts() {
	awk -F'\t' '{ n[$1] += ($6 == "entry") } END { for (k in n) print k, n[k] }' "$1" | sort -n
}
have_gdb=yes
command -v gdb >/dev/null 2>&1 || have_gdb=""

PYSTACK=$BUILD/tests/helpers/pystack
[ -x "$PYSTACK" ] || fail "missing $PYSTACK (make $PYSTACK)"
SCRIPT=$ROOT/tests/data/python/stacks.py
PYENV=${PYENV_ROOT:-$HOME/.pyenv}/versions

interps=""
missing=""
for m in 6 7 8 9 10 11 12 13; do
	found=$(ls -d "$PYENV"/3.$m.*/bin/python3.$m 2>/dev/null | head -n 1)
	if [ -n "$found" ]; then interps="$interps $found"; else missing="$missing 3.$m(pyenv)"; fi
done
if [ -x /usr/bin/python3.11 ]; then interps="$interps /usr/bin/python3.11"; else missing="$missing /usr/bin/python3.11"; fi

checked=0
for py in $interps; do
	info "== $py"
	out=$TMP/expected.txt
	rm -f "$out"
	start_python "$py" "$SCRIPT" "$out"
	wait_in_futex "$pid" "$pid" || fail "$py: the main thread never blocked after READY"
	spin_tid=$(sed -n 's/^READY //p' "$TMP/py.out")
	"$PYSTACK" "$pid" >"$TMP/got.txt" 2>"$TMP/got.err" || { cat "$TMP/got.err"; fail "pystack failed on $py"; }
	cat "$TMP/got.err"
	if [ -n "$have_gdb" ]; then
		timeout 120 gdb -p "$pid" -batch -ex "thread apply all bt" >"$TMP/gdb.txt" 2>/dev/null
		gdb_counts "$TMP/gdb.txt" >"$TMP/native.cnt"
		entry_counts "$TMP/got.txt" >"$TMP/entry.cnt"
		[ -s "$TMP/native.cnt" ] || fail "$py: gdb gave no backtrace"
		if ! diff -u "$TMP/native.cnt" "$TMP/entry.cnt"; then
			fail "$py: entry frames per thread differ from gdb's _PyEval_EvalFrameDefault frames (- gdb, + prowl)"
		fi
	fi
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	# Same threads, same frames in the same order (thread order may differ).
	cut -f1-5 "$TMP/got.txt" | sort -s -n -k1,1 >"$TMP/got5.txt"
	sort -s -n -k1,1 "$out" >"$TMP/want5.txt"
	if ! diff -u "$TMP/want5.txt" "$TMP/got5.txt"; then
		fail "$py: prowl's Python stacks differ from traceback.extract_stack() (- python, + prowl)"
	fi
	n=$(wc -l <"$TMP/got5.txt")
	[ "$n" -ge 60 ] || fail "$py: only $n frames read"
	grep -q "truncated" "$TMP/got.err" && fail "$py: a thread was truncated"
	grep -q "^gil: $spin_tid\$" "$TMP/got.err" || fail "$py: the spinning thread $spin_tid should hold the GIL"
	# sorted() calls the key from C: the lambda is where a native
	# evaluation starts (3.11+: is_entry or the C-stack shim; older: every frame).
	grep -q "	<lambda>	sorter.<locals>.<lambda>	.*	entry\$" "$TMP/got.txt" ||
		grep -q "	<lambda>	<lambda>	.*	entry\$" "$TMP/got.txt" ||
		fail "$py: the key function called from sorted() is not marked as an entry frame"
	checked=$((checked + 1))
	info "$py: $n frames agree"
done
[ -n "$have_gdb" ] || missing="$missing gdb(entry frames not checked)"
[ -z "$missing" ] || skip "checked $checked interpreters; missing:$missing"
[ $checked -gt 0 ] || skip "no CPython found"
exit 0
