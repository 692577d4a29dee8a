#!/bin/sh
# bench_record: what recording costs. A CPU-bound 2-thread target doing a
# fixed amount of work runs (a) alone, (b) under `prowl record -p`, (c) under
# `perf record --call-graph dwarf -p` at the same frequency and stack size,
# then perf's profile is turned into collapsed stacks (`perf script` and
# prowl's stackcollapse-compatible reader). Runs alternate; medians of
# BENCH_ROUNDS (default 3) are printed: the target's wall time and its ratio
# to (a), each profiler's CPU and peak memory, and the whole cost to a
# finished profile. Targets: prowl's pipeline <= half of perf's, its peak
# memory <= a quarter of perf's, the target's slowdown no worse than under perf.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PROWL=${PROWL:-$ROOT/prowl}
ROUNDS=${BENCH_ROUNDS:-3}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/prowl-bench-record.XXXXXX")
TPID=""
cleanup() {
	[ -n "$TPID" ] && kill -9 "$TPID" 2>/dev/null
	[ -n "${BENCH_KEEP:-}" ] || rm -rf "$TMP"
}
trap cleanup EXIT

for c in perf cc; do
	command -v $c >/dev/null || { echo "$c is not installed (sh scripts/setup-deps.sh test)"; exit 1; }
done
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "/usr/bin/time is not installed (apt-get install time)"; exit 1; }

# Fixed work in two named threads, so a slowdown shows in its wall time; it
# writes that wall time to argv[2] when done. Built like the samples: -O2 -g
# without frame pointers.
cat >"$TMP/work2.c" <<'CEOF'
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static volatile uint64_t sink;
static long iters;
__attribute__((noinline)) static uint64_t leaf(uint64_t x, int k)
{
	for (int i = 0; i < 1000; i++)
		x = x * 6364136223846793005ULL + (uint64_t)k;
	return x;
}
__attribute__((noinline)) static uint64_t middle(uint64_t x, int k)
{
	x = leaf(x, k);
	return x ^ (x >> 7);
}
static void *worker(void *name)
{
	pthread_setname_np(pthread_self(), name);
	uint64_t x = 1;
	for (long i = 0; i < iters; i++)
		x = middle(x, (int)(i & 7));
	sink = x;
	return NULL;
}
int main(int argc, char **argv)
{
	struct timespec a, b;
	pthread_t t1, t2;
	iters = argc > 1 ? atol(argv[1]) : 1000000;
	/* Give the profiler a second to attach before the threads start (perf
	 * misses threads created while it is still starting up). */
	struct timespec d = { 1, 0 };
	nanosleep(&d, NULL);
	clock_gettime(CLOCK_MONOTONIC, &a);
	pthread_create(&t1, NULL, worker, "busy-1");
	pthread_create(&t2, NULL, worker, "busy-2");
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	if (argc > 2) {
		FILE *f = fopen(argv[2], "w");
		if (f) {
			fprintf(f, "%.3f\n", (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9);
			fclose(f);
		}
	}
	return 0;
}
CEOF
cc -D_GNU_SOURCE -O2 -g -fomit-frame-pointer -fno-inline -o "$TMP/work2" "$TMP/work2.c" -lpthread ||
	{ echo "cannot build the target"; exit 1; }

# About 4 s of work per thread alone on an idle core.
ITERS=${BENCH_ITERS:-}
if [ -z "$ITERS" ]; then
	"$TMP/work2" 200000 "$TMP/cal" >/dev/null
	ITERS=$(awk -v t="$(cat "$TMP/cal")" 'BEGIN { n = int(200000 * 4 / (t > 0.01 ? t : 0.01)); print n }')
fi
echo "target: 2 threads x $ITERS calls (about 4 s alone); $ROUNDS rounds, alternating; medians"

# time_of FILE: "wall user+sys maxrss_kb" from /usr/bin/time -f output
tf='%e %U %S %M'
cpu_of() { tail -n 1 "$1" | awk '{ printf "%.2f", $2 + $3 }'; }

for r in $(seq 1 "$ROUNDS"); do
	# (a) alone
	"$TMP/work2" "$ITERS" "$TMP/a.wall.$r"
	# (b) prowl record -p, from the target's first instruction of work
	"$TMP/work2" "$ITERS" "$TMP/b.wall.$r" & TPID=$!
	$TIME -f "$tf" -o "$TMP/b.time.$r" "$PROWL" record -q -p "$TPID" -o "$TMP/prowl.$r.folded" 2>"$TMP/b.err" ||
		{ echo "prowl record failed: $(cat "$TMP/b.err")"; exit 1; }
	wait "$TPID"; TPID=""
	# (c) perf record --call-graph dwarf -p, same rate and stack size
	"$TMP/work2" "$ITERS" "$TMP/c.wall.$r" & TPID=$!
	$TIME -f "$tf" -o "$TMP/c.time.$r" perf record -q -e cpu-clock -F 999 --call-graph dwarf,16384 \
		-p "$TPID" -o "$TMP/perf.$r.data" >/dev/null 2>"$TMP/c.err" ||
		{ echo "perf record failed: $(cat "$TMP/c.err")"; exit 1; }
	wait "$TPID"; TPID=""
	# perf's profile to collapsed stacks: perf script, then a collapse step
	$TIME -f "$tf" -o "$TMP/s.time.$r" perf script -i "$TMP/perf.$r.data" \
		>"$TMP/perf.$r.txt" 2>/dev/null
	$TIME -f "$tf" -o "$TMP/k.time.$r" "$PROWL" convert "$TMP/perf.$r.txt" -o "$TMP/perf.$r.folded" 2>/dev/null
	rm -f "$TMP/perf.$r.data" "$TMP/perf.$r.data.old"
	ps=$(awk '{ s += $NF } END { print s + 0 }' "$TMP/prowl.$r.folded")
	pp=$(awk 'BEGIN { RS = "" } END { print NR }' "$TMP/perf.$r.txt")
	echo "round $r: alone $(cat "$TMP/a.wall.$r") s; prowl $(cat "$TMP/b.wall.$r") s ($ps samples, $(cpu_of "$TMP/b.time.$r") s CPU); perf $(cat "$TMP/c.wall.$r") s ($pp samples, $(cpu_of "$TMP/c.time.$r") s CPU + script $(cpu_of "$TMP/s.time.$r") s + collapse $(cpu_of "$TMP/k.time.$r") s)"
done

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
med_wall() { for r in $(seq 1 "$ROUNDS"); do cat "$TMP/$1.wall.$r"; done | median; }
med_cpu() { for r in $(seq 1 "$ROUNDS"); do cpu_of "$TMP/$1.time.$r"; echo; done | median; }
med_rss() { for r in $(seq 1 "$ROUNDS"); do tail -n 1 "$TMP/$1.time.$r" | awk '{ print $4 / 1024 }'; done | median; }

wa=$(med_wall a) wb=$(med_wall b) wc=$(med_wall c)
cb=$(med_cpu b) cc=$(med_cpu c) cs=$(med_cpu s) ck=$(med_cpu k)
mb=$(med_rss b) mc=$(med_rss c) ms=$(med_rss s) mk=$(med_rss k)
echo
awk -v wa="$wa" -v wb="$wb" -v wc="$wc" -v cb="$cb" -v cc="$cc" -v cs="$cs" -v ck="$ck" \
	-v mb="$mb" -v mc="$mc" -v ms="$ms" -v mk="$mk" 'BEGIN {
	printf "%-34s %9s %9s %12s %12s\n", "", "target s", "vs alone", "profiler CPU", "peak MiB";
	printf "%-34s %9.2f %9.2f %12s %12s\n", "(a) alone", wa, 1, "-", "-";
	printf "%-34s %9.2f %9.2f %12.2f %12.1f\n", "(b) prowl record (to folded)", wb, wb / wa, cb, mb;
	printf "%-34s %9.2f %9.2f %12.2f %12.1f\n", "(c) perf record --call-graph dwarf", wc, wc / wa, cc, mc;
	printf "%-34s %9s %9s %12.2f %12.1f\n", "    + perf script", "", "", cs, ms;
	printf "%-34s %9s %9s %12.2f %12.1f\n", "    + collapse (prowl convert)", "", "", ck, mk;
	pc = cc + cs + ck; pm = mc; if (ms > pm) pm = ms; if (mk > pm) pm = mk;
	rc = (pc > 0) ? cb / pc : 0; rm = (pm > 0) ? mb / pm : 0;
	printf "\nwhole cost to collapsed stacks: prowl %.2f s CPU, perf pipeline %.2f s: ratio %.2f (target <= 0.50)\n", cb, pc, rc;
	printf "peak memory: prowl %.1f MiB, perf pipeline %.1f MiB: ratio %.2f (target <= 0.25)\n", mb, pm, rm;
	printf "target slowdown: under prowl x%.2f, under perf x%.2f (target: prowl <= perf)\n", wb / wa, wc / wa;
}'
