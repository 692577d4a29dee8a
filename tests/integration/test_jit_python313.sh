#!/bin/sh
# CPython 3.13 -X perf_jit: the trampolines come with a jitdump
# (/tmp/jit-PID.dump, found through the executable mapping of it the runtime
# makes) whose unwinding records hold their .eh_frame. The unwinder reads it
# as the runtime writes it and steps JIT code with that CFI, so the native
# stack of a nested hot loop outer -> middle -> leaf is whole: middle and
# outer named, _start reached, in >= 90% of samples (issue 15).
. "$(dirname "$0")/../lib.sh"
require_perf
require_python 13

# The nested hot loop (tests/data/python/nest.py: outer -> middle -> leaf).
{ cat "$ROOT/tests/data/python/nest.py"; cat <<'PYEOF'
outer(0.01)
# CPython writes its jitdump through a 4 KiB buffer: code loaded after
# outer, middle and leaf pushes their records into the file while it runs.
for i in range(200):
    exec("def f%d():\n    return %d\nf%d()" % (i, i, i))
outer(float(sys.argv[1]))
PYEOF
} >"$TMP/nest.py"
"$PROWL" record --no-python --stats -o "$TMP/py.folded" -- "$py" -X perf_jit "$TMP/nest.py" 3 "$TMP/pid" 2>"$TMP/err"
rc=$?
pid=$(cat "$TMP/pid" 2>/dev/null)
[ -n "$pid" ] || fail "the script did not start: $(cat "$TMP/err")"
dump=/tmp/jit-$pid.dump
[ -f "$dump" ] || skip "python -X perf_jit wrote no $dump"
rm -f "$dump" "/tmp/perf-$pid.map"
cat "$TMP/err"
[ "$rc" = 0 ] || fail "record failed"
t=$(folded_total "$TMP/py.folded")
[ "$t" -gt 200 ] || fail "only $t samples"
middle=$(folded_count "$TMP/py.folded" "py::middle:")
outer=$(folded_count "$TMP/py.folded" "py::outer:")
rooted=$(folded_count "$TMP/py.folded" "^_start;")
info "of $t samples: py::middle in $middle ($(pct "$middle" "$t")%), py::outer in $outer ($(pct "$outer" "$t")%), from _start $rooted ($(pct "$rooted" "$t")%)"
set -- $(unwind_stats "$TMP/err")
[ $# = 5 ] || fail "no unwinding line in --stats"
info "refused $1, stepped by fp $2, trampoline $3, jitdump $4; frames outside code $5"
share_at_least "$middle" "$t" 0.9 || fail "py::middle in $middle of $t: $(sort -k2 -nr "$TMP/py.folded" | head -3)"
share_at_least "$outer" "$t" 0.9 || fail "py::outer in $outer of $t"
share_at_least "$rooted" "$t" 0.9 || fail "only $rooted of $t samples reach _start"
# The dump's .eh_frame did it (not the trampoline's byte rule).
share_at_least "$4" "$t" 0.9 || fail "the jitdump's CFI stepped only $4 of $t samples"
[ "$5" = 0 ] || fail "$5 frames outside executable memory"
exit 0
