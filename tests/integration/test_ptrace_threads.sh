#!/bin/sh
# Many threads and thread churn through ptrace: threads64 (65 threads, every
# worker sampled, named) and churn (thousands of threads a second) are
# profiled without error, and the launched command's exit status is prowl's.
. "$(dirname "$0")/../lib.sh"
require_ptrace

"$PROWL" record --backend ptrace --threads -o "$TMP/t64.folded" -- "$SAMPLES/threads64" 2 2>"$TMP/err"
rc=$?
cat "$TMP/err"
[ "$rc" = 0 ] || fail "threads64: prowl exited $rc"
workers=$(grep -oE '^worker-[0-9]+ \([0-9]+\)' "$TMP/t64.folded" | sort -u | wc -l)
info "threads64: $workers named workers sampled"
[ "$workers" = 64 ] || fail "threads64: $workers of 64 workers in the profile"
# On-CPU samples of the workers are in worker_spin (not in their sleep: a
# thread woken but still waiting for a CPU is not running).
spin=$(folded_count "$TMP/t64.folded" '^worker-[0-9]+ .*;worker_thread;worker_spin [0-9]+$')
total=$(folded_count "$TMP/t64.folded" '^worker-[0-9]+ ')
info "threads64: $spin of $total worker samples in worker_spin"
at_least "$spin" "$((total * 9 / 10))" || fail "threads64: only $spin of $total worker samples in worker_spin"

"$PROWL" record --backend ptrace --threads -o "$TMP/churn.folded" -- "$SAMPLES/churn" 2 8 2>"$TMP/err"
rc=$?
cat "$TMP/err"
[ "$rc" = 0 ] || fail "churn: prowl exited $rc"
threads=$(grep -cE '^churn \([0-9]+\);' "$TMP/churn.folded")
work=$(folded_count "$TMP/churn.folded" ';churn_thread;churn_work [0-9]+$')
info "churn: $threads stacks of short-lived threads, $work samples in churn_work"
at_least "$threads" 20 || fail "churn: only $threads short-lived thread stacks"
at_least "$work" 10 || fail "churn: only $work samples in churn_work"

# Attached to churn: ends when it exits, no error.
bg "$SAMPLES/churn" 2 8
"$PROWL" record --backend ptrace -p "$BG" -d 10 -o "$TMP/churn2.folded" 2>"$TMP/err" || fail "churn -p: $(cat "$TMP/err")"
wait "$BG"
rc=$?
[ "$rc" = 0 ] || fail "churn exited $rc under prowl -p"
exit 0
