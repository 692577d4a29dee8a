#!/bin/sh
# Detection of CPython from the process (build/tests/helpers/pystack over
# profiler/capture/python.c): a process with no interpreter is not taken for
# one, whatever its name; a CPython prowl cannot read (pyenv's 2.7) gives one
# line naming its version and file, and no frames; the same script under a
# copy of the interpreter renamed to something else is still found (the
# executable's own symbols, not its name), and the .cold part of its
# stripped evaluation function too; where the file names its .cold part
# (pyenv's 3.12), that symbol's range is used.
. "$(dirname "$0")/../lib.sh"
require_ptrace
PYSTACK=$BUILD/tests/helpers/pystack
[ -x "$PYSTACK" ] || fail "missing $PYSTACK (make $PYSTACK)"
PYENV=${PYENV_ROOT:-$HOME/.pyenv}/versions

# Not python, though named so.
cp /bin/sleep "$TMP/python3.11"
bg "$TMP/python3.11" 30
wait_exec "$BG" python3.11 || fail "sleep did not start"
"$PYSTACK" "$BG" >"$TMP/out" 2>"$TMP/err" && fail "a renamed sleep was taken for python"
grep -q "no python found" "$TMP/err" || { cat "$TMP/err"; fail "unexpected message for a non-python process"; }
[ -s "$TMP/out" ] && fail "frames printed for a non-python process"

missing=""
py2=$(ls -d "$PYENV"/2.7.*/bin/python2.7 2>/dev/null | head -n 1)
if [ -n "$py2" ]; then
	bg "$py2" -c 'import time; time.sleep(30)'
	wait_exec "$BG" python2.7 || fail "python2.7 did not start"
	"$PYSTACK" "$BG" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	cat "$TMP/err"
	[ $rc = 2 ] || fail "python 2.7 was not refused (exit $rc)"
	[ "$(wc -l <"$TMP/err")" = 1 ] || fail "refusing python 2.7 took more than one line"
	grep -q "python 2.7 is not supported: native stacks only (.*libpython2.7" "$TMP/err" ||
		fail "the refusal does not name the version and the file"
	[ -s "$TMP/out" ] && fail "frames printed for python 2.7"
else
	missing="$missing 2.7(pyenv)"
fi

# Debian's static python under another name: found from its symbols.
if [ -x /usr/bin/python3.11 ]; then
	cp /usr/bin/python3.11 "$TMP/app"
	bg "$TMP/app" -c 'import time
def zzz():
    time.sleep(30)
zzz()'
	i=0
	until "$PYSTACK" "$BG" >"$TMP/out" 2>"$TMP/err" && grep -q "	zzz	" "$TMP/out"; do
		i=$((i + 1))
		[ $i -lt 100 ] || { cat "$TMP/err" "$TMP/out"; fail "python renamed 'app' was not read"; }
		sleep 0.05
	done
	cat "$TMP/err"
	grep -q "^python 3.11" "$TMP/err" || fail "version of the renamed python not read from Py_Version"
	# Stripped: no .cold symbol, yet its part is found (its own FDE, where
	# the function's jumps land), apart from the function itself.
	python3 -c 'import sys
l = [x for x in open(sys.argv[1]) if x.startswith("eval: ")][0].split()
hs, he = (int(v, 16) for v in l[1].split("-")); cs, ce = (int(v, 16) for v in l[3].split("-"))
sys.exit(not (cs > 0 and ce > cs and (ce <= hs or cs >= he) and ce - cs < 1 << 20))' "$TMP/err" ||
		fail "the .cold part of the stripped python's evaluation function was not found: $(grep '^eval' "$TMP/err")"
else
	missing="$missing /usr/bin/python3.11"
fi
# Where the file names its .cold part, that symbol's range is the one used.
py312=$(ls -d "$PYENV"/3.12.*/lib/libpython3.12.so.1.0 2>/dev/null | head -n 1)
if [ -n "$py312" ]; then
	bg "$(dirname "$py312")/../bin/python3.12" -c 'import time; time.sleep(30)'
	wait_exec "$BG" python3.12 || fail "python3.12 did not start"
	i=0
	until "$PYSTACK" "$BG" >"$TMP/out" 2>"$TMP/err"; do
		i=$((i + 1))
		[ $i -lt 100 ] || { cat "$TMP/err"; fail "pystack failed on python3.12"; }
		sleep 0.05
	done
	sym=$(readelf -sW "$py312" | awk '$8 == "_PyEval_EvalFrameDefault.cold" { print $2, $3; exit }')
	base=$(awk -v f="$(readlink -f "$py312")" '$6 == f && $3 == "00000000" { split($1, a, "-"); print a[1]; exit }' "/proc/$BG/maps")
	want=$(python3 -c 'import sys; v, n, b = int(sys.argv[1], 16), int(sys.argv[2]), int(sys.argv[3], 16); print("%#x-%#x" % (b + v, b + v + n))' $sym "$base")
	got=$(sed -n 's/^eval: .* cold: //p' "$TMP/err")
	[ "$got" = "$want" ] || fail "python3.12's .cold range is $got, its symbol says $want"
else
	missing="$missing 3.12(pyenv)"
fi
[ -z "$missing" ] || skip "missing:$missing"
exit 0
