#!/bin/sh
# CPython 3.13 with -X perf_jit writes /tmp/jit-PID.dump (and maps it
# executable as the marker perf looks for), no perf map: prowl finds the dump
# through that mapping and names the Python function that runs. A nested hot
# loop outer -> middle -> leaf spends nearly all its time in leaf; leaf must
# be named in most samples (90% measured). Whole stacks through the
# trampolines (the dump's .eh_frame) are test_jit_python313.sh's.
. "$(dirname "$0")/../lib.sh"
require_perf
require_python 13

# The nested hot loop (tests/data/python/nest.py: outer -> middle -> leaf).
{ cat "$ROOT/tests/data/python/nest.py"; cat <<'PYEOF'
outer(float(sys.argv[1]))
PYEOF
} >"$TMP/nest.py"
# Run under prowl, not attached: runtimes buffer the dump (4 KiB at a
# time) and complete it when they exit, so a live process's newest code is
# not in the file yet (see README, JIT runtimes).
"$PROWL" record -o "$TMP/py.folded" -- "$py" -X perf_jit "$TMP/nest.py" 2 "$TMP/pid" 2>"$TMP/err"
rc=$?
pid=$(cat "$TMP/pid" 2>/dev/null)
[ -n "$pid" ] || fail "the script did not start: $(cat "$TMP/err")"
dump=/tmp/jit-$pid.dump
[ -f "$dump" ] || skip "python -X perf_jit wrote no $dump"
rm -f "$dump"
[ ! -e "/tmp/perf-$pid.map" ] || { rm -f "/tmp/perf-$pid.map"; fail "perf_jit also wrote a perf map: this test would not test the dump"; }
cat "$TMP/err"
[ "$rc" = 0 ] || fail "record failed"
t=$(folded_total "$TMP/py.folded")
leaf=$(folded_count "$TMP/py.folded" "py::leaf:$TMP/nest.py_\[j\]")
info "py::leaf named in $leaf of $t samples ($(pct "$leaf" "$t")%)"
[ "$t" -gt 100 ] || fail "only $t samples"
at_least "$leaf" "$(awk -v t="$t" 'BEGIN { print t * 0.75 }')" || fail "$(sort -k2 -nr "$TMP/py.folded" | head -5)"
exit 0
