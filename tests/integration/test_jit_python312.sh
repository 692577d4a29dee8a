#!/bin/sh
# CPython 3.12 -X perf: every Python function runs through a copy of
# CPython's perf trampoline (anonymous code named py::NAME in
# /tmp/perf-PID.map) that has no CFI and keeps no frame pointer. The
# unwinder steps it by its fixed rule, recognised by its bytes, so the
# native stack of a nested hot loop outer -> middle -> leaf is whole: middle
# and outer are named, and the stack reaches _start, in >= 90% of samples
# (issue 15; 98-99% measured, perf --call-graph dwarf: see the issue).
. "$(dirname "$0")/../lib.sh"
require_perf
require_python 12

# The nested hot loop (tests/data/python/nest.py: outer -> middle -> leaf).
{ cat "$ROOT/tests/data/python/nest.py"; cat <<'PYEOF'
outer(float(sys.argv[1]))
PYEOF
} >"$TMP/nest.py"
# Native stacks (--no-python): the trampolines are what is tested here.
"$PROWL" record --no-python --stats -o "$TMP/py.folded" -- "$py" -X perf "$TMP/nest.py" 3 "$TMP/pid" 2>"$TMP/err"
rc=$?
pid=$(cat "$TMP/pid" 2>/dev/null)
[ -n "$pid" ] || fail "the script did not start: $(cat "$TMP/err")"
[ -f "/tmp/perf-$pid.map" ] || skip "python -X perf wrote no /tmp/perf-$pid.map"
rm -f "/tmp/perf-$pid.map"
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
# The trampoline rule did it: nearly every sample steps through one.
share_at_least "$3" "$t" 0.9 || fail "the trampoline rule stepped only $3 of $t samples"
[ "$5" = 0 ] || fail "$5 frames outside executable memory"
exit 0
