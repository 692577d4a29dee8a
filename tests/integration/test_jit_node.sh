#!/bin/sh
# node 20 --perf-basic-prof --interpreted-frames-native-stack: JS code is
# anonymous JIT code named in /tmp/perf-PID.map, and V8's embedded builtins
# (Builtins_*, inside the node binary) have no CFI. Both keep frame
# pointers: the default --unwind dwarf steps them by their frame pointer and
# goes on with CFI in node's own C++ code, so a nested hot loop outer ->
# middle -> leaf has middle and outer named, and the stack reaches _start,
# in >= 90% of samples (issue 15).
. "$(dirname "$0")/../lib.sh"
require_perf
command -v node >/dev/null 2>&1 || skip "node is not installed"

cat >"$TMP/nest.js" <<'JSEOF'
const fs = require('fs');
function leaf(n) { let s = 0; for (let i = 0; i < n; i++) s += (i * i) % 7; return s; }
function middle(n) { return leaf(n) + 1; }
function outer(t) {
	const end = Date.now() + t * 1000; let x = 0;
	while (Date.now() < end) for (let k = 0; k < 64; k++) x += middle(3000);
	return x;
}
outer(0.3);
fs.writeFileSync(process.argv[3], String(process.pid));
outer(parseFloat(process.argv[2]));
JSEOF
# --no-turbo-inlining: else TurboFan inlines middle and leaf into outer and
# no frame of theirs is left to unwind through. Attached once warm: node's
# start-up (its own, not the loop's) is not what is measured.
# In $TMP: V8 writes an isolate-*.log into its current folder.
bg sh -c 'cd "$1" && shift && exec "$@"' sh "$TMP" \
	node --perf-basic-prof --interpreted-frames-native-stack --no-turbo-inlining "$TMP/nest.js" 60 "$TMP/pid"
i=0
while [ ! -s "$TMP/pid" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
[ -s "$TMP/pid" ] || fail "node did not start the loop"
pid=$(cat "$TMP/pid")
"$PROWL" record --stats -d 3 -p "$pid" -o "$TMP/js.folded" 2>"$TMP/err"
rc=$?
kill "$pid" 2>/dev/null
wait 2>/dev/null
rm -f "/tmp/perf-$pid.map"
cat "$TMP/err"
[ "$rc" = 0 ] || fail "record failed"
t=$(folded_total "$TMP/js.folded")
[ "$t" -gt 200 ] || fail "only $t samples"
middle=$(folded_count "$TMP/js.folded" "JS:[*~]?middle ")
outer=$(folded_count "$TMP/js.folded" "JS:[*~]?outer ")
rooted=$(folded_count "$TMP/js.folded" "^_start;")
info "of $t samples: middle in $middle ($(pct "$middle" "$t")%), outer in $outer ($(pct "$outer" "$t")%), from _start $rooted ($(pct "$rooted" "$t")%)"
set -- $(unwind_stats "$TMP/err")
[ $# = 5 ] || fail "no unwinding line in --stats"
info "refused $1, stepped by fp $2, trampoline $3, jitdump $4; frames outside code $5"
share_at_least "$middle" "$t" 0.9 || fail "middle in $middle of $t: $(sort -k2 -nr "$TMP/js.folded" | head -3)"
share_at_least "$outer" "$t" 0.9 || fail "outer in $outer of $t"
share_at_least "$rooted" "$t" 0.9 || fail "only $rooted of $t samples reach _start"
share_at_least "$2" "$t" 0.9 || fail "the frame-pointer step took only $2 of $t samples"
[ "$5" = 0 ] || fail "$5 frames outside executable memory"
exit 0
