#!/bin/sh
# Addresses no function symbol covers (the padding after a function, glibc's
# compat entry points): eu-addr2line still answers file:line from the line
# table of the unit below, under the name "??". prowl addr2line -a -f must
# print exactly what eu-addr2line prints for every such address of the C
# library (each first byte after a sized function that no symbol starts at).
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/data/symbolize/lib_symbolize.sh"
require_cmd eu-addr2line
require_cmd nm
libc=$(readlink -f /lib/x86_64-linux-gnu/libc.so.6 2>/dev/null || true)
[ -f "$libc" ] || skip "no x86_64 C library here"
libc_dbg=$(debug_file_of "$libc") || skip "libc6-dbg is not installed (run: sh scripts/setup-deps.sh test)"

nm -S --defined-only "$libc_dbg" |
	awk 'NF == 4 && $3 ~ /^[tTwWi]$/ && $2 !~ /^0+$/ { print $1, $2 }' | sort -u |
	awk 'function hex(s,   i, v) {
		v = 0
		for (i = 1; i <= length(s); i++)
			v = v * 16 + index("0123456789abcdef", tolower(substr(s, i, 1))) - 1
		return v
	}
	{ a[NR] = hex($1); e[NR] = hex($1) + hex($2) }
	END { for (i = 1; i < NR; i++) if (e[i] < a[i + 1]) printf "0x%x\n", e[i] }' >"$TMP/addrs"
n=$(wc -l <"$TMP/addrs")
[ "$n" -gt 100 ] || fail "only $n gaps between the functions of $libc_dbg"
eu-addr2line -a -f -e "$libc" <"$TMP/addrs" >"$TMP/eu.out" || fail "eu-addr2line failed"
"$PROWL" addr2line -a -f -e "$libc" <"$TMP/addrs" >"$TMP/prowl.out" || fail "prowl addr2line failed"
per_address "$TMP/eu.out" >"$TMP/eu.rec"
per_address "$TMP/prowl.out" >"$TMP/prowl.rec"
# The case this test is about must be there, or it proves nothing.
named_by_line=$(awk -F'\t' '$2 ~ /^ \| \?\? \| / && $2 !~ /\| \?\?:0$/' "$TMP/eu.rec" | wc -l)
[ "$named_by_line" -gt 0 ] || skip "eu-addr2line answers no gap of this C library from the line table"
info "$n gaps; eu-addr2line gives $named_by_line of them a file:line under the name ??"
r=$(agreement "$TMP/eu.rec" "$TMP/prowl.rec")
s=${r% *}
info "prowl agrees on $s of $n"
if [ "$s" -ne "$n" ]; then
	paste -d '\n' "$TMP/eu.rec" "$TMP/prowl.rec" | awk 'NR % 2 { a = $0; next } a != $0 { print "eu:    " a; print "prowl: " $0; if (++k == 5) exit }'
	fail "prowl addr2line differs from eu-addr2line on $((n - s)) of $n gaps"
fi
