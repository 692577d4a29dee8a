#!/bin/sh
# The CPython frame walker reading an interpreter that changes under it
# (tests/data/python/churn.py: threads coming and going, recursion, code
# objects created and freed) without stopping it, 400 times through one code
# cache (build/tests/helpers/pystack --live): every walk comes back (no
# crash, no hang: the test's timeout), most see Python frames, and the
# process is unharmed. Every pyenv CPython 3.6-3.13 and Debian's python3.11.
. "$(dirname "$0")/../lib.sh"
PYSTACK=$BUILD/tests/helpers/pystack
[ -x "$PYSTACK" ] || fail "missing $PYSTACK (make $PYSTACK)"
SCRIPT=$ROOT/tests/data/python/churn.py
PYENV=${PYENV_ROOT:-$HOME/.pyenv}/versions

interps="" missing=""
for m in 6 7 8 9 10 11 12 13; do
	found=$(ls -d "$PYENV"/3.$m.*/bin/python3.$m 2>/dev/null | head -n 1)
	if [ -n "$found" ]; then interps="$interps $found"; else missing="$missing 3.$m(pyenv)"; fi
done
if [ -x /usr/bin/python3.11 ]; then interps="$interps /usr/bin/python3.11"; else missing="$missing /usr/bin/python3.11"; fi

checked=0
for py in $interps; do
	start_python "$py" "$SCRIPT"
	"$PYSTACK" --live 400 "$pid" >"$TMP/live.out" 2>"$TMP/live.err" ||
		{ cat "$TMP/live.err"; fail "pystack --live failed on $py"; }
	info "$py: $(cat "$TMP/live.out")"
	kill -0 "$pid" 2>/dev/null || fail "$py died while being read"
	[ "$(proc_state "$pid")" != T ] || fail "$py was left stopped"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	with=$(sed -n 's/^live: [0-9]* walks, \([0-9]*\) with frames.*/\1/p' "$TMP/live.out")
	[ -n "$with" ] || fail "no summary from pystack --live"
	# The main thread always runs Python (deep/fresh/join): a walk without
	# any frame means the walker lost its way, not that the target moved.
	at_least "$with" 360 || fail "$py: only $with of 400 live walks found Python frames"
	checked=$((checked + 1))
done
[ -z "$missing" ] || skip "checked $checked interpreters; missing:$missing"
[ $checked -gt 0 ] || skip "no CPython found"
exit 0
