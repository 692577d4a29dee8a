#!/bin/sh
# A stack deeper than the stack copy: the frames that fit are kept, the
# sample is counted as truncated, nothing crashes; a bigger --stack-size
# reaches further.
. "$(dirname "$0")/../lib.sh"
require_perf

"$PROWL" record -d 1.5 -o "$TMP/deep.folded" -- "$SAMPLES/deep" 3 200 2>"$TMP/err" || fail "record failed: $(cat "$TMP/err")"
cat "$TMP/err"
total=$(folded_total "$TMP/deep.folded")
[ "$total" -gt 100 ] || fail "only $total samples"
trunc=$(sed -n 's/.*; [0-9]* partial, \([0-9]*\) truncated.*/\1/p' "$TMP/err")
info "truncated: $trunc of $total"
at_least "$trunc" "$(awk -v t="$total" 'BEGIN { print t * 0.9 }')" || fail "deep samples not counted as truncated"
# Kept frames: the leaf and a run of deep_recurse callers.
kept=$(folded_count "$TMP/deep.folded" '^deep_recurse;(deep_recurse;)+deep_bottom ')
at_least "$kept" "$(awk -v t="$total" 'BEGIN { print t * 0.9 }')" || fail "truncated stacks lost their frames"
depth16=$(awk '{ n = split($1, a, ";"); if (n > m) m = n } END { print m + 0 }' "$TMP/deep.folded")

"$PROWL" record -d 1.5 --stack-size 64k -o "$TMP/deep64.folded" -- "$SAMPLES/deep" 3 200 2>"$TMP/err64" ||
	fail "record failed: $(cat "$TMP/err64")"
depth64=$(awk '{ n = split($1, a, ";"); if (n > m) m = n } END { print m + 0 }' "$TMP/deep64.folded")
info "frames kept: $depth16 with the default copy, $depth64 with 64 KiB"
[ "$depth64" -gt "$depth16" ] || fail "a bigger stack copy did not reach further"
exit 0
