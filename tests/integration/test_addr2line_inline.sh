#!/bin/sh
# Inlined functions are frames of their own: in samples/inline the hot loop
# of inlined_leaf (inlined into inlined_mid, itself inlined into
# outer_noinline) resolves to three frames, innermost first, each with the
# right file:line: the leaf's own line, then the call sites in mid and outer.
. "$(dirname "$0")/../lib.sh"
require_cmd nm
bin=$SAMPLES/inline
src=$ROOT/samples/inline.c
[ -f "$bin" ] || fail "missing $bin (run make)"
hot=$(grep -n 'hot line' "$src" | cut -d: -f1)
midcall=$(grep -n 'acc = inlined_leaf(acc);' "$src" | cut -d: -f1)
outercall=$(grep -n 'acc = inlined_mid(acc);' "$src" | cut -d: -f1)
[ -n "$hot" ] && [ -n "$midcall" ] && [ -n "$outercall" ] || fail "cannot find the marked lines in $src"

# Every byte of outer_noinline, one address per line.
set -- $(nm -S "$bin" | awk '$4 == "outer_noinline" { print $1, $2 }')
[ $# -eq 2 ] || fail "no outer_noinline symbol in $bin"
start=$(printf '%d' "0x$1"); size=$(printf '%d' "0x$2")
i=0
while [ $i -lt "$size" ]; do printf '0x%x\n' $((start + i)); i=$((i + 1)); done >"$TMP/addrs"

"$PROWL" addr2line -a -i -f -e "$bin" <"$TMP/addrs" >"$TMP/out" || fail "prowl addr2line failed"
# Records: address, then pairs of (function line, location line).
awk -v hot="$hot" -v mid="$midcall" -v outer="$outercall" '
	/^0x/ { n = 0; next }
	{ l[++n] = $0 }
	n == 6 && l[1] ~ /^inlined_leaf inlined at .*inline\.c:/ &&
	  l[2] ~ ("inline\\.c:" hot "(:[0-9]+)?$") &&
	  l[3] == "inlined_mid" && l[4] ~ ("inline\\.c:" mid "(:[0-9]+)?$") &&
	  l[5] == "outer_noinline" && l[6] ~ ("inline\\.c:" outer "(:[0-9]+)?$") { good++ }
	END { print good + 0 }' "$TMP/out" >"$TMP/good"
good=$(cat "$TMP/good")
info "$good addresses of outer_noinline show leaf:$hot <- mid:$midcall <- outer:$outercall"
[ "$good" -ge 1 ] || { head -40 "$TMP/out"; fail "no address resolved to the inline chain leaf <- mid <- outer"; }

# Without -i only the innermost function and its own line are shown.
a=$(awk '/^0x/ { a = $0; next } /^inlined_leaf inlined/ { print a; exit }' "$TMP/out")
"$PROWL" addr2line -f -e "$bin" "$a" >"$TMP/one" || fail "prowl addr2line failed on $a"
[ "$(wc -l <"$TMP/one")" -eq 2 ] || fail "without -i expected 2 lines, got: $(cat "$TMP/one")"
grep -q "inline\.c:$hot" "$TMP/one" || fail "without -i the location is not the leaf's line: $(cat "$TMP/one")"
