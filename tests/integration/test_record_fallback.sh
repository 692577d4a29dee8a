#!/bin/sh
# perf_event_open denied (a seccomp filter stands for a high
# kernel.perf_event_paranoid or a container profile): --backend auto falls
# back to ptrace saying so in one line and still writes a profile; --backend
# perf fails in one line naming kernel.perf_event_paranoid and CAP_PERFMON,
# with no output file.
. "$(dirname "$0")/../lib.sh"
require_ptrace
NOPERF=$BUILD/tests/helpers/noperf
[ -x "$NOPERF" ] || fail "helper $NOPERF is not built"

"$NOPERF" "$PROWL" record -o "$TMP/auto.folded" -- "$SAMPLES/cpu" 2 2>"$TMP/err"
rc=$?
cat "$TMP/err"
[ "$rc" = 0 ] || fail "auto backend exited $rc"
grep -q 'using the ptrace backend: perf_event_open denied' "$TMP/err" || fail "no fallback line: $(cat "$TMP/err")"
[ "$(grep -c 'ptrace backend' "$TMP/err")" = 1 ] || fail "the fallback is not one line"
n=$(folded_count "$TMP/auto.folded" ';main;run_workload;hot_a ')
[ "$n" -gt 20 ] || fail "no usable profile from the ptrace fallback: $(head -n 3 "$TMP/auto.folded")"

"$NOPERF" "$PROWL" record --backend perf -o "$TMP/perf.folded" -- "$SAMPLES/cpu" 2 >"$TMP/out" 2>"$TMP/err"
rc=$?
cat "$TMP/err"
[ "$rc" != 0 ] || fail "--backend perf succeeded with perf_event_open denied"
[ "$(wc -l <"$TMP/err")" = 1 ] || fail "more than one line: $(cat "$TMP/err")"
grep -q 'kernel.perf_event_paranoid' "$TMP/err" || fail "message does not name kernel.perf_event_paranoid"
grep -q 'CAP_PERFMON' "$TMP/err" || fail "message does not name CAP_PERFMON"
[ -e "$TMP/perf.folded" ] && fail "an output file was written"
[ -s "$TMP/out" ] && fail "something on stdout"
exit 0
