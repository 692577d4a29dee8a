#!/bin/sh
# node --perf-prof writes jit-PID.dump into its current folder (not /tmp)
# and maps it executable: prowl finds it only through that mapping and names
# the JS code from it. A nested hot loop outer -> middle -> leaf: V8 inlines
# middle and leaf into an optimized outer, so the check is that a function
# of the script is named (80% measured); no perf map is written.
. "$(dirname "$0")/../lib.sh"
require_perf
require_cmd node

cat >"$TMP/nest.js" <<'JSEOF'
function leaf(n) { let s = 0; for (let i = 0; i < n; i++) { s += (i * i) % 7; } return s; }
function middle(n) { return leaf(n) + 1; }
function outer(t) { const end = Date.now() + t; let x = 0; while (Date.now() < end) { x += middle(3000); } return x; }
outer(Number(process.argv[2]));
JSEOF
mkdir "$TMP/cwd"
cd "$TMP/cwd" || fail "cannot enter $TMP/cwd"
# Run under prowl, not attached: V8 buffers the dump (4 KiB at a time)
# and completes it at exit, so a live process's newest code is not in the
# file yet (see README, JIT runtimes).
"$PROWL" record -o "$TMP/js.folded" -- node --perf-prof --interpreted-frames-native-stack "$TMP/nest.js" 2000 2>"$TMP/err"
rc=$?
ls "$TMP"/cwd/jit-*.dump >/dev/null 2>&1 || skip "node --perf-prof wrote no jit-PID.dump in its folder"
for m in "$TMP"/cwd/jit-*.dump; do
	p=${m##*/jit-}
	[ ! -e "/tmp/perf-${p%.dump}.map" ] || fail "node also wrote a perf map: this test would not test the dump"
done
cat "$TMP/err"
[ "$rc" = 0 ] || fail "record failed"
t=$(folded_total "$TMP/js.folded")
named=$(folded_count "$TMP/js.folded" "JS:[*~^]*(leaf|middle|outer) $TMP/nest.js:[0-9:]*_\[j\]")
info "a function of nest.js named in $named of $t samples ($(pct "$named" "$t")%)"
[ "$t" -gt 100 ] || fail "only $t samples"
at_least "$named" "$(awk -v t="$t" 'BEGIN { print t * 0.6 }')" || fail "$(sort -k2 -nr "$TMP/js.folded" | head -5)"
exit 0
