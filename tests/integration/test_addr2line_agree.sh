#!/bin/sh
# prowl addr2line -f -i -C prints what eu-addr2line prints, address by
# address, on 10,000 addresses drawn from the samples and the C library
# (through its build-id debug file): at least 99.9% must agree.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/data/symbolize/lib_symbolize.sh"
require_cmd eu-addr2line
require_cmd nm
libc=$(readlink -f /lib/x86_64-linux-gnu/libc.so.6 2>/dev/null || true)
[ -f "$libc" ] || skip "no x86_64 C library here"
libc_dbg=$(debug_file_of "$libc") || skip "libc6-dbg is not installed (run: sh scripts/setup-deps.sh test)"

# file, where its symbols are, how many addresses
set -- \
	"$SAMPLES/inline" "$SAMPLES/inline" 800 \
	"$SAMPLES/cpp" "$SAMPLES/cpp" 1200 \
	"$SAMPLES/cpu" "$SAMPLES/cpu" 800 \
	"$SAMPLES/recursion" "$SAMPLES/recursion" 600 \
	"$SAMPLES/threads" "$SAMPLES/threads" 600 \
	"$SAMPLES/libplugin.so" "$SAMPLES/libplugin.so" 500 \
	"$SAMPLES/deep" "$SAMPLES/deep" 500 \
	"$libc" "$libc_dbg" 5000
same=0 total=0 seed=7
while [ $# -ge 3 ]; do
	f=$1 syms=$2 n=$3; shift 3
	[ -f "$f" ] || fail "missing $f (run make)"
	seed=$((seed + 1))
	draw_addresses "$syms" "$n" "$seed" >"$TMP/addrs" || fail "no function symbols in $syms"
	eu-addr2line -a -f -i -C -e "$f" <"$TMP/addrs" >"$TMP/eu.out" || fail "eu-addr2line failed on $f"
	"$PROWL" addr2line -a -f -i -C -e "$f" <"$TMP/addrs" >"$TMP/prowl.out" || fail "prowl addr2line failed on $f"
	per_address "$TMP/eu.out" >"$TMP/eu.rec"
	per_address "$TMP/prowl.out" >"$TMP/prowl.rec"
	[ "$(wc -l <"$TMP/eu.rec")" -eq "$n" ] || fail "eu-addr2line answered $(wc -l <"$TMP/eu.rec") of $n addresses for $f"
	[ "$(wc -l <"$TMP/prowl.rec")" -eq "$n" ] || fail "prowl answered $(wc -l <"$TMP/prowl.rec") of $n addresses for $f"
	r=$(agreement "$TMP/eu.rec" "$TMP/prowl.rec")
	s=${r% *}
	info "$(basename "$f"): $s of $n agree"
	if [ "$s" -ne "$n" ]; then
		paste -d '\n' "$TMP/eu.rec" "$TMP/prowl.rec" | awk 'NR % 2 { a = $0; next } a != $0 { print "eu:    " a; print "prowl: " $0; if (++k == 3) exit }'
	fi
	same=$((same + s)); total=$((total + n))
done
info "agreement with eu-addr2line: $same of $total ($(pct "$same" "$total")%)"
[ "$total" -eq 10000 ] || fail "expected 10000 addresses, drew $total"
at_least "$same" 9990 || fail "only $same of $total addresses agree with eu-addr2line (need 99.9%)"
