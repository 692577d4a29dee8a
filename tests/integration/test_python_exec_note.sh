#!/bin/sh
# A command that becomes CPython only by a later exec (a launcher script, as
# pyenv's python3 shim is: bash, env, then the interpreter) gets the perf
# backend's native stacks, chosen at the start. prowl says so in one line,
# with what to do, and the command's exit status is kept. Given the
# interpreter itself, Python frames and no such line; --no-python, asked
# for native stacks: no line either.
. "$(dirname "$0")/../lib.sh"
require_perf
require_python 12
cat >"$TMP/spin.py" <<'PY'
import sys, time
def spin_here():
    t = time.time()
    n = 0
    while time.time() - t < 1.5:
        n += 1
spin_here()
sys.exit(7)
PY
printf '#!/bin/sh\nexec "%s" "$@"\n' "$py" >"$TMP/launcher"
chmod +x "$TMP/launcher"
said() { grep -c "became a CPython ($(basename "$(readlink -f "$py")")) by exec" "$1"; }

"$PROWL" record -o "$TMP/shim.folded" -- "$TMP/launcher" "$TMP/spin.py" 2>"$TMP/shim.err"
rc=$?
info "launcher: exit $rc; $(tr '\n' '|' <"$TMP/shim.err")"
[ $rc = 7 ] || fail "through the launcher prowl exited $rc, not the script's 7: $(cat "$TMP/shim.err")"
[ "$(said "$TMP/shim.err")" = 1 ] || fail "through the launcher: not one line saying the exec into CPython: $(cat "$TMP/shim.err")"
grep -q 'spin_here' "$TMP/shim.folded" && fail "through the launcher: Python frames read after all, yet prowl said they are not"
folded_total "$TMP/shim.folded" | grep -qv '^0$' || fail "through the launcher: nothing recorded"

"$PROWL" record -o "$TMP/direct.folded" -- "$py" "$TMP/spin.py" 2>"$TMP/direct.err"
rc=$?
[ $rc = 7 ] || fail "the interpreter itself: prowl exited $rc, not 7: $(cat "$TMP/direct.err")"
[ "$(said "$TMP/direct.err")" = 0 ] || fail "the interpreter itself: said it became CPython by exec: $(cat "$TMP/direct.err")"
n=$(folded_count "$TMP/direct.folded" 'spin_here')
total=$(folded_total "$TMP/direct.folded")
info "the interpreter itself: spin_here in $n of $total samples"
[ "$n" -ge $((total / 2)) ] || fail "the interpreter itself: spin_here in $n of $total samples"

"$PROWL" record --no-python -o "$TMP/native.folded" -- "$TMP/launcher" "$TMP/spin.py" 2>"$TMP/native.err"
rc=$?
[ $rc = 7 ] || fail "--no-python: prowl exited $rc, not 7: $(cat "$TMP/native.err")"
[ "$(said "$TMP/native.err")" = 0 ] || fail "--no-python asked for native stacks, yet the exec was said: $(cat "$TMP/native.err")"
echo "an exec into CPython after the start: said once; the interpreter itself: its frames"
