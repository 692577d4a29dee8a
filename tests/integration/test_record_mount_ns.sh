#!/bin/sh
# A target in another mount namespace (as in a container): its binary is not
# at that path for prowl, which reads it through /proc/PID/root; and a
# binary deleted while it runs is read through /proc/PID/map_files.
. "$(dirname "$0")/../lib.sh"
require_perf
require_cmd unshare
[ "$(id -u)" = 0 ] || skip "needs root for a private mount namespace"

mkdir -p "$TMP/ns"
bg unshare -m sh -c "mount -t tmpfs none '$TMP/ns' && cp '$SAMPLES/cpu' '$TMP/ns/cpu-ns' && exec '$TMP/ns/cpu-ns' 4"
pid=$BG
i=0
while [ $i -lt 100 ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != cpu-ns ]; do sleep 0.02; i=$((i + 1)); done
[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = cpu-ns ] || skip "cannot start a process in a private mount namespace here"
[ -e "$TMP/ns/cpu-ns" ] && fail "the namespace's file is visible outside it"
"$PROWL" record -p "$pid" -d 1.5 -o "$TMP/ns.folded" 2>"$TMP/err" || fail "record failed: $(cat "$TMP/err")"
cat "$TMP/err"
n=$(folded_count "$TMP/ns.folded" ';main;run_workload;hot_[abc] ')
t=$(folded_total "$TMP/ns.folded")
info "mount namespace: $n of $t samples named under main"
at_least "$n" "$(awk -v t="$t" 'BEGIN { print t * 0.95 }')" || fail "$(head -n 5 "$TMP/ns.folded")"
[ "$t" -gt 50 ] || fail "only $t samples"

# Deleted while running.
cp "$SAMPLES/cpu" "$TMP/cpu-del"
bg "$TMP/cpu-del" 4
pid=$BG
sleep 0.3
rm -f "$TMP/cpu-del"
"$PROWL" record -p "$pid" -d 1.5 -o "$TMP/del.folded" 2>"$TMP/err" || fail "record failed: $(cat "$TMP/err")"
cat "$TMP/err"
n=$(folded_count "$TMP/del.folded" ';main;run_workload;hot_[abc] ')
t=$(folded_total "$TMP/del.folded")
info "deleted binary: $n of $t samples named under main"
at_least "$n" "$(awk -v t="$t" 'BEGIN { print t * 0.95 }')" || fail "$(head -n 5 "$TMP/del.folded")"
exit 0
