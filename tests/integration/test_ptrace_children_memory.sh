#!/bin/sh
# --children under ptrace keeps no per-process state once a process is gone:
# a parent forks N short-lived children one by one, and prowl's peak memory
# (VmHWM, through /usr/bin/time -f %M) for 4N children must exceed that for N
# by less than 16 KB per extra child. Each process record held a 64 KB page
# cache, so keeping them costs ~67 KB a child (measured before the fix: 55 MB
# for 500 children, 156 MB for 2000); what is left per child is the
# session's own record of it (~2 KB). The bound is a quarter of the page
# cache: keeping that alone fails the test, whatever the machine's speed.
. "$(dirname "$0")/../lib.sh"
require_ptrace
[ -x /usr/bin/time ] || skip "/usr/bin/time is not installed (apt-get install time)"
FORK=$BUILD/tests/helpers/forkmany
[ -x "$FORK" ] || fail "$FORK is missing: make $FORK"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0:thread_local_quarantine_size_kb=0"
N=500
peak() { # CHILDREN: prowl's VmHWM in kB
	/usr/bin/time -o "$TMP/time.$1" -f %M "$PROWL" record --backend ptrace --children -o "$TMP/f.$1.folded" -- "$FORK" "$1" 2>"$TMP/err.$1" ||
		fail "prowl failed with $1 children: $(tail -n 3 "$TMP/err.$1")"
	tail -n 1 "$TMP/time.$1"
}
short=$(peak $N)
long=$(peak $((4 * N)))
per=$(awk -v a="$short" -v b="$long" -v n=$((3 * N)) 'BEGIN { printf "%.1f", (b - a) / n }')
info "$N children: VmHWM $short kB; $((4 * N)): $long kB; $per kB per extra child"
at_least 16 "$per" || fail "prowl keeps $per kB per child that exited ($short kB -> $long kB)"
exit 0
