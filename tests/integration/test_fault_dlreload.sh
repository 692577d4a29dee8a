#!/bin/sh
# A library is dlclose()d and another is loaded at the same address
# (tests/helpers/fault_dlreload: liba.so then libb.so, same size, their
# work function at the same offset), with each backend, launched and
# attached: the samples of each phase are named after the library that was
# really there (work_a, then work_b), not after the first one's symbols.
# (ptrace has no MMAP records: it compares /proc/PID/maps every 50 ms; before
# that, libb.so's code fell inside liba.so's stale mapping, named work_a.)
. "$(dirname "$0")/../lib.sh"
require_perf
require_ptrace
require_cmd cc
helper=$BUILD/tests/helpers/fault_dlreload
[ -x "$helper" ] || fail "no $helper (make builds it)"
for x in a b; do
	cat >"$TMP/lib$x.c" <<EOF
#include <stdint.h>
__attribute__((noinline)) uint64_t work_$x(uint64_t acc)
{
	for (int i = 0; i < 200000; i++) {
		acc = acc * 6364136223846793005ULL + 1442695040888963407ULL;
		__asm__ volatile("" : "+r"(acc));
	}
	return acc;
}
EOF
	cc -O2 -g -shared -fPIC -o "$TMP/lib$x.so" "$TMP/lib$x.c" || fail "cannot build lib$x.so"
done
offa=$(nm "$TMP/liba.so" | awk '$3 == "work_a" { print $1 }')
offb=$(nm "$TMP/libb.so" | awk '$3 == "work_b" { print $1 }')
[ "$offa" = "$offb" ] || info "work_a at $offa, work_b at $offb: the test is weaker (not the same offset)"
check() { # WHAT FILE STDOUT
	[ "$(awk '{ print $2 }' "$3" | sort -u | wc -l)" = 1 ] || skip "libb.so did not land at liba.so's address here: $(tr '\n' ' ' <"$3")"
	total=$(folded_total "$2")
	a=$(folded_count "$2" ';work_a ')
	b=$(folded_count "$2" ';work_b ')
	info "$1: $total samples, work_a $a, work_b $b"
	[ "$a" -ge $((total / 4)) ] || fail "$1: only $a of $total samples in work_a: $(head -n 4 "$2")"
	[ "$b" -ge $((total / 4)) ] || fail "$1: only $b of $total samples in work_b (named after liba?): $(head -n 4 "$2")"
}
backends="perf ptrace"
for be in $backends; do
	"$PROWL" record --backend $be -o "$TMP/$be.folded" -- "$helper" "$TMP/liba.so" work_a "$TMP/libb.so" work_b 700 700 \
		>"$TMP/$be.out" 2>"$TMP/err"
	rc=$?
	[ $rc = 0 ] || fail "$be launched: exit $rc: $(cat "$TMP/err")"
	check "$be launched" "$TMP/$be.folded" "$TMP/$be.out"

	"$helper" "$TMP/liba.so" work_a "$TMP/libb.so" work_b 1000 1000 >"$TMP/$be-p.out" &
	t=$!
	PIDS_TO_KILL="$PIDS_TO_KILL $t"
	i=0
	while [ $i -lt 100 ] && [ ! -s "$TMP/$be-p.out" ]; do sleep 0.02; i=$((i + 1)); done
	"$PROWL" record --backend $be -p $t -o "$TMP/$be-p.folded" 2>"$TMP/err"
	rc=$?
	[ $rc = 0 ] || fail "$be attached: exit $rc: $(cat "$TMP/err")"
	wait $t
	trc=$?
	[ $trc = 0 ] || fail "$be attached: the helper exited $trc"
	check "$be attached" "$TMP/$be-p.folded" "$TMP/$be-p.out"
done
echo "dlclose + another library at the same address: both named right ($backends)"
