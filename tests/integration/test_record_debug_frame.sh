#!/bin/sh
# Code with no .eh_frame entries, only .debug_frame (built with
# -fno-asynchronous-unwind-tables), unwinds completely: from the file itself,
# and from its separate debug file found through .gnu_debuglink.
. "$(dirname "$0")/../lib.sh"
require_perf
require_cmd cc
require_cmd objcopy

cat >"$TMP/nocfi.c" <<'CEOF'
#include <stdint.h>
#include <stdlib.h>
static volatile uint64_t sink;
__attribute__((noinline)) static uint64_t leaf_work(uint64_t x)
{
	for (int i = 0; i < 100000; i++)
		x = x * 6364136223846793005ULL + 1;
	return x;
}
__attribute__((noinline)) static uint64_t middle_work(uint64_t x)
{
	volatile char pad[64];
	pad[0] = (char)x;
	x = leaf_work(x);
	return x + pad[0];
}
__attribute__((noinline)) static uint64_t outer_work(uint64_t x)
{
	volatile char pad[32];
	pad[0] = (char)x;
	x = middle_work(x);
	return x ^ pad[0];
}
int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 20000;
	uint64_t x = 1;
	for (long i = 0; i < n; i++)
		x = outer_work(x);
	sink = x;
	return 0;
}
CEOF
cc -O2 -g -fomit-frame-pointer -fno-asynchronous-unwind-tables -fno-unwind-tables -o "$TMP/nocfi" "$TMP/nocfi.c" ||
	fail "cannot build the test program"
readelf -S "$TMP/nocfi" | grep -q '\.debug_frame' || skip "this compiler emitted no .debug_frame"

check() { # FILE WHAT
	t=$(folded_total "$1")
	m=$(folded_count "$1" '^_start;__libc_start_main[^;]*;__libc_start_call_main;main;outer_work;middle_work;leaf_work ')
	info "$2: $m of $t samples complete"
	[ "$t" -gt 50 ] || fail "$2: only $t samples"
	at_least "$m" "$(awk -v t="$t" 'BEGIN { print t * 0.95 }')" || fail "$2: $(cat "$1")"
}
"$PROWL" record -o "$TMP/a.folded" -- "$TMP/nocfi" 3000 2>"$TMP/err" || fail "record failed: $(cat "$TMP/err")"
check "$TMP/a.folded" ".debug_frame in the file"

cp "$TMP/nocfi" "$TMP/nocfi-s"
objcopy --only-keep-debug "$TMP/nocfi-s" "$TMP/nocfi-s.debug"
strip --strip-debug "$TMP/nocfi-s"
objcopy --add-gnu-debuglink="$TMP/nocfi-s.debug" "$TMP/nocfi-s"
readelf -S "$TMP/nocfi-s" | grep -q '\.debug_frame' && fail "strip left .debug_frame"
"$PROWL" record -o "$TMP/b.folded" -- "$TMP/nocfi-s" 3000 2>"$TMP/err" || fail "record failed: $(cat "$TMP/err")"
check "$TMP/b.folded" ".debug_frame in the separate debug file"
exit 0
