#!/bin/sh
# The C library is stripped: its frames get file:line through the debug file
# found by build-id under /usr/lib/debug/.build-id/ (Debian's libc6-dbg).
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/data/symbolize/lib_symbolize.sh"
require_cmd nm
libc=$(readlink -f /lib/x86_64-linux-gnu/libc.so.6 2>/dev/null || true)
[ -f "$libc" ] || skip "no x86_64 C library here"
debug_file_of "$libc" >/dev/null || skip "libc6-dbg is not installed (run: sh scripts/setup-deps.sh test)"
readelf -S "$libc" | grep -q '\.debug_info' && fail "$libc is not stripped: this test would prove nothing"
a=$(nm -D --defined-only "$libc" | awk '$3 == "fopen" || $3 ~ /^fopen@@/ { print $1; exit }')
[ -n "$a" ] || fail "no fopen in $libc"
a=$(printf '0x%x' $((0x$a + 8)))
"$PROWL" addr2line -f -i -e "$libc" "$a" >"$TMP/out" || fail "prowl addr2line failed"
cat "$TMP/out"
grep -q 'fopen' "$TMP/out" || fail "fopen not named"
grep -Eq 'libio/.*iofopen\.c:[0-9]+' "$TMP/out" || fail "no file:line from the debug file"
