#!/bin/sh
# Cost control of the ptrace backend: stopping a running thread with a deep
# stack a thousand times a second would hold the target far more than 5% of
# the time, so prowl lowers the rate, says so in one line, and the target
# ends up held about 5% of the time or less; a cheap case (one thread at 99 Hz) is left alone, silently.
# The figures come from the "prowl record: ptrace cost: ..." line that record --stats prints after its summary.
. "$(dirname "$0")/../lib.sh"
require_ptrace
field() { sed -n "s/.* $2 \([^ ]*\).*/\1/p" "$1"; }

# Wall mode reads blocked threads without a stop (offcpu.h): only running
# ones are held. One running thread whose stack is 1000 frames deep costs an
# unwind of a millisecond or so at each stop: far over 5% at 999 Hz.
bg "$SAMPLES/deep" 30 1000
wait_exec "$BG" deep || fail "deep did not start"
sleep 0.3
"$PROWL" record --stats --backend ptrace --mode wall -F 999 -p "$BG" -d 4 -o "$TMP/a.folded" 2>"$TMP/a.err" ||
	fail "prowl failed: $(cat "$TMP/a.err")"
cat "$TMP/a.err"
n=$(grep -c 'lowering the rate' "$TMP/a.err")
at_least "$n" 1 || fail "no line saying the rate was lowered"
at_least 3 "$n" || fail "$n lines about the rate: one, or a few as it settles"
grep 'lowering the rate' "$TMP/a.err" | head -n 1 | grep -qE 'held the target [0-9.]+% of the time at 999 Hz; lowering the rate to [0-9]+ Hz' ||
	fail "the line does not say the cost and the new rate"
grep '^prowl record: ptrace cost:' "$TMP/a.err" >"$TMP/a.stats" || fail "no cost line"
final=$(field "$TMP/a.stats" final_hz); held=$(field "$TMP/a.stats" held_pct)
info "a running thread 1000 frames deep, wall mode, asked 999 Hz: settled at $final Hz, target held $held% of the run"
at_least 500 "$final" || fail "rate not lowered ($final Hz)"
# Over the whole run, including the ticks before the first lowering (a
# window ends early when the cost is far over the budget: waiting the whole
# quarter of a second at 68% held the target 4% of a 4 s run before any
# decision, and the run came to 8.4%).
at_least 8 "$held" || fail "target held $held% of the time (budget 5%)"
at_least "$(folded_total "$TMP/a.folded")" 100 || fail "too few samples"
kill "$BG"

bg "$SAMPLES/cpu" 30
sleep 0.2
"$PROWL" record --stats --backend ptrace -F 99 -p "$BG" -d 2 -o "$TMP/b.folded" 2>"$TMP/b.err" ||
	fail "prowl failed: $(cat "$TMP/b.err")"
grep '^prowl record: ptrace cost:' "$TMP/b.err" >"$TMP/b.stats" || fail "no cost line"
# Under AddressSanitizer an unwind costs tens of times more (1.5 ms a stop
# was seen), so there even one thread at 99 Hz may rightly be slowed down:
# the cheap case is only judged on a normal build.
if ldd "$PROWL" 2>/dev/null | grep -q libasan; then
	info "one thread at 99 Hz (ASan build): held $(field "$TMP/b.stats" held_pct)% of the time, final $(field "$TMP/b.stats" final_hz) Hz"
	exit 0
fi
grep -q 'lowering the rate' "$TMP/b.err" && fail "rate lowered for one thread at 99 Hz: $(cat "$TMP/b.err")"
[ "$(field "$TMP/b.stats" final_hz)" = 99 ] || fail "final rate $(field "$TMP/b.stats" final_hz) Hz"
info "one thread at 99 Hz: held $(field "$TMP/b.stats" held_pct)% of the time, rate kept"
exit 0
