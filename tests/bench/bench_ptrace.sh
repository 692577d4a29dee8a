#!/bin/sh
# bench_ptrace: what the ptrace backend costs the target, and prowl dump
# against eu-stack.
#  1. one stop-and-unwind per thread: wall mode at a low rate (never lowered)
#     on N always-running threads (N = 1, 8, 64): the wait for a thread to
#     reach its stop after PTRACE_INTERRUPT, the time it is held (registers,
#     unwind over live memory, resume), and the time the target is held per tick;
#  2. the highest rate sustained on an 8-thread target with the target held
#     at most 5% of the time: asked rates swept in cpu mode, with the held
#     share measured and the rate the pause budget settled on;
#  3. prowl dump vs `eu-stack -p PID -i -s` on a 64-thread process (median of
#     BENCH_ROUNDS, default 5, alternating), and whether they list the same
#     threads and functions.
# The cost figures come from the "prowl record: ptrace cost: ..." line that record --stats prints after its summary.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PROWL=${PROWL:-$ROOT/prowl}
BUILD=${BUILD:-$ROOT/build}
SAMPLES=$ROOT/samples/bin
SPIN=$BUILD/tests/helpers/ptrace_spin
ROUNDS=${BENCH_ROUNDS:-5}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/prowl-bench-ptrace.XXXXXX")
TPID=""
cleanup() {
	[ -n "$TPID" ] && kill -9 "$TPID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
[ -x "$SPIN" ] || { echo "$SPIN is missing (make bench builds tests/helpers)"; exit 1; }
command -v eu-stack >/dev/null || { echo "eu-stack is not installed (sh scripts/setup-deps.sh test)"; exit 1; }

field() { echo "$1" | sed -n "s/.* $2 \([^ ]*\).*/\1/p"; }
stats() { # prowl record args...: prints the ptrace cost line
	"$PROWL" record --stats --backend ptrace -o "$TMP/out.folded" "$@" 2>"$TMP/err"
	grep '^prowl record: ptrace cost:' "$TMP/err" || { echo "prowl failed: $(cat "$TMP/err")" >&2; return 1; }
}
start() { "$@" & TPID=$!; sleep 0.5; }
stop_target() { kill "$TPID" 2>/dev/null; wait "$TPID" 2>/dev/null; TPID=""; }
ms_of() { # command...: wall time in ms
	s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); echo $(( (e - s) / 1000000 ))
}
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

echo "1. one stop-and-unwind per thread (wall mode, 10 Hz, always-running threads, 3 s)"
printf '   %-8s %12s %12s %16s %10s\n' threads "wait us" "held us" "held per tick us" "held %"
for n in 1 8 64; do
	start "$SPIN" "$n" 60
	line=$(stats --mode wall -F 10 -p "$TPID" -d 3) || exit 1
	stop_target
	wait_us=$(field "$line" wait_us); held=$(field "$line" held_us)
	stops=$(field "$line" stops); ticks=$(field "$line" ticks)
	per_tick=$(awk -v h="$held" -v s="$stops" -v t="$ticks" 'BEGIN { printf "%.0f", t ? h * s / t : 0 }')
	printf '   %-8s %12s %12s %16s %10s\n' "$n" "$wait_us" "$held" "$per_tick" "$(field "$line" held_pct)"
done

echo
echo "2. highest rate on 8 running threads with the target held <= 5% (cpu mode, 3 s each)"
printf '   %-10s %10s %10s %10s %12s %10s %10s\n' "asked Hz" "ticks/s" "tick us" "held %" "held us" "final Hz" samples
best=0
start "$SPIN" 8 600
for f in 50 100 200 400 999 2000; do
	line=$(stats -F "$f" -p "$TPID" -d 3) || exit 1
	final=$(field "$line" final_hz); hp=$(field "$line" held_pct); th=$(field "$line" tick_hz)
	printf '   %-10s %10s %10s %10s %12s %10s %10s\n' "$f" "$th" "$(field "$line" tick_us)" "$hp" "$(field "$line" held_us)" "$final" "$(field "$line" samples)"
	if [ "$final" = "$f" ] && awk -v h="$hp" 'BEGIN { exit !(h <= 5) }'; then best=$th; fi
done
stop_target
echo "   highest tick rate reached with the target held <= 5% and the rate not lowered: $best ticks/s"
echo "   (ticks/s below the asked rate: a tick lasts until the threads on a CPU have stopped, and prowl itself"
echo "   waits for a CPU among 8 spinning threads; each tick samples the threads on a CPU)"

echo
echo "3. prowl dump vs eu-stack -i -s on threads64 (65 threads), median of $ROUNDS"
start "$SAMPLES/threads64" 600 64
i=0
: >"$TMP/p.ms"; : >"$TMP/e.ms"
while [ $i -lt "$ROUNDS" ]; do
	ms_of "$PROWL" dump -p "$TPID" >>"$TMP/p.ms"
	ms_of eu-stack -p "$TPID" -i -s >>"$TMP/e.ms"
	i=$((i + 1))
done
"$PROWL" dump -p "$TPID" >"$TMP/dump.txt"
eu-stack -p "$TPID" -i -s >"$TMP/eu.txt" 2>/dev/null
stop_target
p=$(median <"$TMP/p.ms"); e=$(median <"$TMP/e.ms")
pt=$(grep -c '^thread ' "$TMP/dump.txt"); et=$(grep -c '^TID ' "$TMP/eu.txt")
pf=$(awk '/^  #/ { print $3 }' "$TMP/dump.txt" | sort -u | tr '\n' ' ')
ef=$(awk '/^#[0-9]/ && $3 != "" { print $3 }' "$TMP/eu.txt" | sort -u | tr '\n' ' ')
printf '   %-12s %10s %10s\n' tool "ms" threads
printf '   %-12s %10s %10s\n' "prowl dump" "$p" "$pt"
printf '   %-12s %10s %10s\n' "eu-stack" "$e" "$et"
awk -v p="$p" -v e="$e" 'BEGIN { if (p > 0) printf "   prowl dump is %.1fx faster than eu-stack\n", e / p }'
if [ "$pf" = "$ef" ]; then echo "   same set of function names"; else echo "   function names differ:"; echo "     prowl: $pf"; echo "     eu-stack: $ef"; fi
exit 0
