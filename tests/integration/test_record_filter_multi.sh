#!/bin/sh
# --thread REGEX keeps only the threads whose name matches (decided while
# capturing, late threads included); several -p record several processes
# into one profile.
. "$(dirname "$0")/../lib.sh"
require_perf

"$PROWL" record --thread '^(early-a|late-.)$' --threads -o "$TMP/f.folded" -- "$SAMPLES/threads" 2.5 800 \
	2>"$TMP/err" || fail "record failed: $(cat "$TMP/err")"
cat "$TMP/err"
for name in early-a late-c late-d; do
	n=$(folded_count "$TMP/f.folded" "^$name \\(")
	info "$name: $n"
	[ "$n" -gt 0 ] || fail "thread $name missing: $(cut -d';' -f1 "$TMP/f.folded" | sort -u)"
done
n=$(folded_count "$TMP/f.folded" '^(early-b|threads) \(')
[ "$n" = 0 ] || fail "filtered-out threads were recorded: $(cut -d';' -f1 "$TMP/f.folded" | sort -u)"

bg "$SAMPLES/cpu" 4
p1=$BG
bg "$SAMPLES/busy2" 4
p2=$BG
wait_threads "$p2" 3 || fail "busy2 did not start"
"$PROWL" record -p "$p1" -p "$p2" -d 1.5 --threads -o "$TMP/m.folded" 2>"$TMP/err" || fail "record failed: $(cat "$TMP/err")"
cat "$TMP/err"
a=$(folded_count "$TMP/m.folded" "^cpu \\($p1\\);.*;hot_a ")
b=$(folded_count "$TMP/m.folded" '^busy-1 \([0-9]+\);.*;spin_left ')
c=$(folded_count "$TMP/m.folded" '^busy-2 \([0-9]+\);.*;spin_right ')
info "cpu: $a, busy-1: $b, busy-2: $c"
[ "$a" -gt 0 ] && [ "$b" -gt 0 ] && [ "$c" -gt 0 ] || fail "a process is missing: $(cut -d';' -f1 "$TMP/m.folded" | sort -u)"
# prowl ends when the last of them exits.
"$PROWL" record -p "$p1" -p "$p2" -o "$TMP/e.folded" 2>"$TMP/err" || fail "record failed: $(cat "$TMP/err")"
running() { [ -d "/proc/$1" ] && [ "$(proc_state "$1")" != Z ]; }
running "$p1" && fail "prowl returned while cpu still ran"
running "$p2" && fail "prowl returned while busy2 still ran"
exit 0
