#!/bin/sh
# bench_python: what reading Python frames costs (issue 14), per interpreter
# (pyenv 3.8, 3.12, 3.13 and Debian's python3.11 where present; BENCH_PYTHONS
# overrides the list):
#  1. the time a thread is held per sample, Python-aware against native-only
#     (--no-python) ptrace samples of the same script (tests/data/python/
#     split.py), cpu mode at 100 Hz so that the pause budget never lowers the
#     rate: `held_us` of the closing "ptrace cost" line;
#  2. the target's slowdown at the default rate (999 Hz, cpu mode): the loops
#     per second a Python loop gets done in BENCH_SECS seconds (default 4)
#     alone, under `prowl record` (Python-aware) and under `prowl record
#     --no-python --backend ptrace`, median of BENCH_ROUNDS (default 3),
#     alternating; also per second less the time it waited for a CPU (the
#     machine's other load); with py-spy installed, under `py-spy record`.
#  3. one read of a 4-thread script's thread names (threading's), first and
#     later, beside one walk of its frames (tests/helpers/pystack).
# Timings on a shared machine are noisy: the table says what was measured,
# never a pass/fail.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PROWL=${PROWL:-$ROOT/prowl}
PYENV=${PYENV_ROOT:-$HOME/.pyenv}/versions
SECS=${BENCH_SECS:-4}
ROUNDS=${BENCH_ROUNDS:-3}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/prowl-bench-python.XXXXXX")
TPID=""
cleanup() {
	[ -n "$TPID" ] && kill -9 "$TPID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

pythons=${BENCH_PYTHONS:-}
if [ -z "$pythons" ]; then
	for m in 8 12 13; do
		p=$(ls -d "$PYENV"/3.$m.*/bin/python3.$m 2>/dev/null | head -n 1)
		[ -n "$p" ] && pythons="$pythons $p"
	done
	[ -x /usr/bin/python3.11 ] && pythons="$pythons /usr/bin/python3.11"
fi
[ -n "$pythons" ] || { echo "no CPython found (pyenv 3.8/3.12/3.13 or /usr/bin/python3.11)"; exit 0; }

field() { echo "$1" | sed -n "s/.* $2 \([^ ]*\).*/\1/p"; }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
cat >"$TMP/loop.py" <<'PY'
import sys, time
def leaf(n):
    x = 0
    for i in range(n):
        x += i
    return x
def middle():
    return leaf(300) + leaf(200)
def delay():
    with open("/proc/self/schedstat") as f:
        return int(f.read().split()[1]) / 1e9
t0, d0 = time.time(), delay()
end = t0 + float(sys.argv[1])
n = 0
while time.time() < end:
    middle()
    n += 1
# loops per second of wall time, and per second of wall time less the time
# spent runnable waiting for a CPU (other load on the machine)
wall, waited = time.time() - t0, delay() - d0
print("%.0f %.0f" % (n / wall, n / max(wall - waited, 1e-3)))
PY

echo "1. time a thread is held per sample (cpu mode, 100 Hz, split.py attached, ${SECS} s)"
printf '   %-40s %14s %14s %8s %10s\n' python "python-aware us" "native-only us" ratio "python_edge"
for py in $pythons; do
	"$py" "$ROOT/tests/data/python/split.py" $((2 * SECS + 4)) "$TMP/truth" >/dev/null &
	TPID=$!
	sleep 1
	"$PROWL" record --stats -F 100 -d "$SECS" -o "$TMP/a.folded" -p "$TPID" 2>"$TMP/a.err" >/dev/null
	"$PROWL" record --stats -F 100 -d "$SECS" --no-python --backend ptrace -o "$TMP/n.folded" -p "$TPID" 2>"$TMP/n.err" >/dev/null
	kill "$TPID" 2>/dev/null; wait "$TPID" 2>/dev/null; TPID=""
	a=$(grep '^prowl: ptrace cost:' "$TMP/a.err") n=$(grep '^prowl: ptrace cost:' "$TMP/n.err")
	[ -n "$a" ] && [ -n "$n" ] || { echo "prowl failed: $(cat "$TMP/a.err" "$TMP/n.err")"; exit 1; }
	ha=$(field "$a" held_us) hn=$(field "$n" held_us)
	printf '   %-40s %14s %14s %8s %10s\n' "$py" "$ha" "$hn" \
		"$(awk -v a="$ha" -v n="$hn" 'BEGIN { if (n > 0) printf "%.2f", a / n }')" "$(field "$a" python_edge)"
done

echo
echo "2. the target's slowdown at the default rate (cpu mode, 999 Hz asked; median of $ROUNDS, ${SECS} s each)"
echo "   loops/s of a Python loop alone and under prowl, and the slowdown; 'net': per second of wall time less"
echo "   the time the loop waited for a CPU (/proc/self/schedstat), which leaves out the machine's other load"
echo "   but keeps the stops (a stopped thread does not wait for a CPU) and prowl's effect on caches"
have_pyspy=""
command -v py-spy >/dev/null 2>&1 && have_pyspy=yes
printf '   %-40s %9s %9s %15s %15s %15s %15s %8s %7s\n' python "alone" "net" "aware" "aware net" \
	"native-only" "native net" "final Hz" "held %"
col() { awk -v c="$2" '{ print $c }' "$1" | median; }
slow() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b != "") printf "%.1f%%", 100 * (1 - b / a); else print "?" }'; }
for py in $pythons; do
	: >"$TMP/alone"; : >"$TMP/aware"; : >"$TMP/native"; : >"$TMP/pyspy"
	r=0
	while [ $r -lt "$ROUNDS" ]; do
		"$py" "$TMP/loop.py" "$SECS" >>"$TMP/alone"
		"$PROWL" record --stats -o "$TMP/l.folded" -- "$py" "$TMP/loop.py" "$SECS" >>"$TMP/aware" 2>"$TMP/l.err"
		"$PROWL" record --stats --no-python --backend ptrace -o "$TMP/m.folded" -- "$py" "$TMP/loop.py" "$SECS" >>"$TMP/native" 2>/dev/null
		[ -n "$have_pyspy" ] && py-spy record -o "$TMP/s.svg" -- "$py" "$TMP/loop.py" "$SECS" 2>/dev/null | tail -n 1 >>"$TMP/pyspy"
		r=$((r + 1))
	done
	line=$(grep '^prowl: ptrace cost:' "$TMP/l.err")
	a1=$(col "$TMP/alone" 1) a2=$(col "$TMP/alone" 2)
	w1=$(col "$TMP/aware" 1) w2=$(col "$TMP/aware" 2) n1=$(col "$TMP/native" 1) n2=$(col "$TMP/native" 2)
	printf '   %-40s %9s %9s %8s %6s %8s %6s %8s %6s %8s %6s %8s %7s' "$py" "$a1" "$a2" "$w1" "$(slow "$a1" "$w1")" \
		"$w2" "$(slow "$a2" "$w2")" "$n1" "$(slow "$a1" "$n1")" "$n2" "$(slow "$a2" "$n2")" \
		"$(field "$line" final_hz)" "$(field "$line" held_pct)"
	[ -n "$have_pyspy" ] && { s2=$(col "$TMP/pyspy" 2); printf '  py-spy net %8s %6s' "$s2" "$(slow "$a2" "$s2")"; }
	echo
done
echo "   (final Hz: the rate the 5% pause budget settled on for the Python-aware run; held %: the share of"
echo "   the run the target had a thread stopped)"
[ -n "$have_pyspy" ] || echo "   py-spy is not installed (not in Debian's archive): no comparison"

echo
echo "3. thread names (threading's, read at most once a second per process): one read of the names of"
echo "   tests/data/python/threads.py's 4 threads, the first (scanning sys.modules and threading's globals)"
echo "   and a later one (from where the first found them), beside one walk of every thread's frames"
PYSTACK=${PYSTACK:-${BUILD:-$(dirname "$PROWL")}/tests/helpers/pystack}
if [ -x "$PYSTACK" ]; then
	printf '   %-40s %18s %18s %18s\n' python "first: reads us" "later: reads us" "walk: reads us"
	for py in $pythons; do
		rm -f "$TMP/th.out"
		"$py" "$ROOT/tests/data/python/threads.py" 3 "$TMP/th.truth" >"$TMP/th.out" &
		TPID=$!
		i=0
		until grep -q READY "$TMP/th.out" 2>/dev/null || [ $i -ge 200 ]; do i=$((i + 1)); sleep 0.05; done
		"$PYSTACK" "$TPID" 2>"$TMP/th.err" >/dev/null
		kill -9 "$TPID" 2>/dev/null; wait "$TPID" 2>/dev/null; TPID=""
		nl=$(grep '^names:' "$TMP/th.err") wl=$(grep '^walk:' "$TMP/th.err")
		printf '   %-40s %18s %18s %18s\n' "$py" \
			"$(echo "$nl" | sed -n 's/.*first read: \([0-9]*\) reads, \([0-9]*\) us.*/\1 \2/p')" \
			"$(echo "$nl" | sed -n 's/^names: [0-9]* threads, \([0-9]*\) reads, \([0-9]*\) us.*/\1 \2/p')" \
			"$(echo "$wl" | sed -n 's/.*frames, \([0-9]*\) reads.*, \([0-9]*\) us.*/\1 \2/p')"
	done
else
	echo "   $PYSTACK not built (make $PYSTACK): skipped"
fi
exit 0
