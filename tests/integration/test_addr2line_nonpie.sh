#!/bin/sh
# Non-PIE executables: addresses are absolute (0x400000 and up) and must
# resolve the same way; prowl agrees with eu-addr2line on every function of
# the inline sample built with -no-pie, inline chains included.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/data/symbolize/lib_symbolize.sh"
require_cmd eu-addr2line
require_cmd cc
cc -std=gnu11 -D_GNU_SOURCE -O2 -g -fno-pie -no-pie -I"$ROOT/samples" -o "$TMP/inline" \
	"$ROOT/samples/inline.c" -pthread -lm 2>"$TMP/cc.err" || { cat "$TMP/cc.err"; fail "cannot build the sample without PIE"; }
readelf -h "$TMP/inline" | grep -q 'EXEC (Executable file)' || fail "the build is still PIE"
draw_addresses "$TMP/inline" 400 5 >"$TMP/addrs" || fail "no symbols"
head -n 3 "$TMP/addrs" | grep -q '^0x4' || fail "addresses are not absolute: $(head -n 1 "$TMP/addrs")"
eu-addr2line -a -f -i -C -e "$TMP/inline" <"$TMP/addrs" >"$TMP/eu.out"
"$PROWL" addr2line -a -f -i -C -e "$TMP/inline" <"$TMP/addrs" >"$TMP/prowl.out" || fail "prowl addr2line failed"
per_address "$TMP/eu.out" >"$TMP/eu.rec"
per_address "$TMP/prowl.out" >"$TMP/prowl.rec"
r=$(agreement "$TMP/eu.rec" "$TMP/prowl.rec")
info "non-PIE: $r agree"
[ "$r" = "400 400" ] || { diff "$TMP/eu.rec" "$TMP/prowl.rec" | head; fail "disagreement on a non-PIE executable: $r"; }
a=0x$(nm "$TMP/inline" | awk '$3 == "outer_noinline" { print $1 }')
"$PROWL" addr2line -f -e "$TMP/inline" "$a" | head -n 1 | grep -qx outer_noinline || fail "outer_noinline not named at $a"
