#!/bin/sh
# A binary deleted while it runs is still named: its code is read through
# /proc/PID/map_files/, the path the capture side passes for deleted files.
. "$(dirname "$0")/../lib.sh"
require_cmd nm
cp "$SAMPLES/cpu" "$TMP/doomed" || fail "cannot copy the sample"
sym=$(nm "$TMP/doomed" | awk '$2 ~ /^[tT]$/ && $3 == "hot_a" { print $1, $3; exit }')
[ -n "$sym" ] || fail "no hot_a symbol in the cpu sample"
addr=0x${sym% *}; name=${sym#* }
bg "$TMP/doomed" 30
pid=$BG
i=0
while [ $i -lt 100 ] && ! grep -q doomed "/proc/$pid/maps" 2>/dev/null; do sleep 0.05; i=$((i + 1)); done
rm -f "$TMP/doomed"
line=$(grep 'doomed (deleted)' "/proc/$pid/maps" | head -n 1)
[ -n "$line" ] || fail "the process does not map the deleted binary: $(cat /proc/$pid/maps | head -3)"
range=${line%% *}
mf=/proc/$pid/map_files/$range
[ -e "$mf" ] || skip "no /proc/PID/map_files here (needs CAP_SYS_ADMIN or a newer kernel)"
out=$("$PROWL" addr2line -f -e "$mf" "$addr") || fail "prowl addr2line failed on $mf"
echo "$out"
echo "$out" | head -n 1 | grep -qx "$name" || fail "expected $name for $addr, got: $out"
echo "$out" | sed -n 2p | grep -q 'cpu\.c:[0-9]' || fail "no file:line for the deleted binary: $out"
