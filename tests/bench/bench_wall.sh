#!/bin/sh
# bench_wall: what a wall-clock profile costs, on 64 mostly idle threads
# (samples/pool: a thread pool blocked in read, one thread woken every 10 ms
# for 0.1-0.2 ms of work) at the default rate for BENCH_SECONDS (default 10)
# each:
#  - prowl's own CPU time (user + system) with --mode wall on the perf
#    backend (blocked threads read from /proc, unchanged ones from the cache)
#    and on the ptrace backend (blocked threads read the same way, running
#    ones stopped), beside --mode cpu on perf for scale;
#  - with BASELINE=path/to/an/older/prowl, that prowl's ptrace wall mode too
#    (before issue 16 it stopped every thread at every tick);
#  - the share of blocked-thread looks served from the unchanged-thread cache,
#    the rate the looks ran at, and the target's state checks (EINTR cannot
#    be seen on pool: tests/integration/test_wall_blockers.sh counts them).
# Figures come from `record --stats`.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PROWL=${PROWL:-$ROOT/prowl}
SAMPLES=$ROOT/samples/bin
SECS=${BENCH_SECONDS:-10}
BASELINE=${BASELINE:-}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/prowl-bench-wall.XXXXXX")
TPID=""
cleanup() {
	[ -n "$TPID" ] && kill -9 "$TPID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
[ -x "$SAMPLES/pool" ] || { echo "$SAMPLES/pool is missing (make samples)"; exit 1; }

field() { echo "$1" | sed -n "s/.* $2 \([^ ]*\).*/\1/p"; }
# Seconds of CPU (user + system) of the children a command ran, from the
# shell's `times` (its second line: children's user and system time).
cpu_of() {
	( "$@" >/dev/null 2>"$TMP/err"; times ) | tail -n 1 |
		awk '{ n = 0; for (i = 1; i <= 2; i++) { split($i, a, "m"); sub("s", "", a[2]); n += a[1] * 60 + a[2] } printf "%.2f", n }'
}

printf '%-34s %10s %10s %12s %10s %12s\n' "64 idle threads, $SECS s" "prowl cpu s" "% of a CPU" "cache hit %" "look Hz" samples
row() { # LABEL PROWL ARGS...
	label=$1 bin=$2
	shift 2
	"$SAMPLES/pool" 0 64 &
	TPID=$!
	sleep 0.5
	cpu=$(cpu_of "$bin" record --stats -p "$TPID" -d "$SECS" -o "$TMP/out.folded" "$@")
	alive=yes
	kill "$TPID" 2>/dev/null || alive=no
	wait "$TPID" 2>/dev/null
	TPID=""
	[ "$alive" = yes ] || { echo "$label: the target ended before the recording did" >&2; return 1; }
	grep -q '^prowl record: [0-9]* samples' "$TMP/err" || { echo "$label: prowl failed: $(cat "$TMP/err")" >&2; return 1; }
	line=$(grep -E '^prowl record: (wall|ptrace) cost:' "$TMP/err")
	samples=$(sed -n 's/^prowl record: \([0-9]*\) samples.*/\1/p' "$TMP/err")
	hit=$(field "$line" cache_hit_pct)
	hz=$(field "$line" tick_hz)
	printf '%-34s %10s %10s %12s %10s %12s\n' "$label" "$cpu" "$(awk -v c="$cpu" -v s="$SECS" 'BEGIN { printf "%.1f", 100 * c / s }')" \
		"${hit:--}" "${hz:--}" "$samples"
}
row "cpu mode, perf" "$PROWL" --backend perf || exit 1
row "wall mode, perf" "$PROWL" --backend perf --mode wall || exit 1
row "wall mode, ptrace" "$PROWL" --backend ptrace --mode wall || exit 1
if [ -n "$BASELINE" ]; then
	row "wall mode, ptrace (BASELINE)" "$BASELINE" --backend ptrace --mode wall || exit 1
fi
exit 0
