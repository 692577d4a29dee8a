#!/bin/sh
# Wall-mode shares are shares of wall time: the split sample's "splitter"
# thread sleeps 50% of each 400 ms cycle, spins 30% (by the clock: time it
# waits for a CPU on a loaded machine is still its spin) and is blocked in a
# read 20%. Each part must come out within 5 points, attached and launched,
# with each backend. The 5 points are the issue's bound; the test also
# checks that the sample count makes it meaningful (4 binomial sigmas of
# the largest part under 3 points).
. "$(dirname "$0")/../lib.sh"
require_perf
require_ptrace
[ -x "$SAMPLES/split" ] || fail "$SAMPLES/split is missing: make samples"

check() { # LABEL FOLDED
	f=$2
	all=$(folded_count "$f" '^splitter \(')
	sd=$(awk -v n="$all" 'BEGIN { if (n == 0) print 100; else printf "%.2f", 400 * sqrt(0.25 / n) }')
	info "$1: splitter has $all samples (4 sigma = $sd points)"
	at_least 3 "$sd" || fail "$1: only $all samples of splitter"
	for spec in "do_sleep_part 50 sleeping" "do_spin_part 30 running|runnable" "do_read_part 20 I/O wait"; do
		set -- $spec
		fn=$1 want=$2
		shift 2
		leaf="$*"
		in=$(folded_count "$f" "^splitter \\(.*;$fn(;|\$| )")
		inleaf=$(folded_count "$f" "^splitter \\(.*;$fn;.*\\[($leaf)\\] [0-9]+\$")
		p=$(pct "$in" "$all")
		pl=$(pct "$inleaf" "$in")
		info "$label: $fn $p% (want $want +- 5), $pl% of it in [$leaf]"
		within "$p" "$want" 5 || fail "$label: $fn has $p% of splitter's wall time, want $want +- 5"
		# The rest of a wait's time is its wake-up: ready, waiting for a
		# CPU once the wait ended ([runnable]; the ptrace backend, which
		# cannot tell ready from running, shows [running]): a few % on a
		# loaded machine.
		at_least "$pl" 90 || fail "$label: only $pl% of $fn in [$leaf]"
	done
	# On a CPU the spin is [running] (the README's promise; the ptrace
	# backend gives nothing else): perf's cpu-clock samples carry it. Two
	# busy loops on two cores leave the spin about half its time on a CPU.
	spin=$(folded_count "$f" '^splitter \(.*;do_spin_part(;|$| )')
	run=$(folded_count "$f" '^splitter \(.*;do_spin_part;.*\[running\] [0-9]+$')
	at_least "$(pct "$run" "$spin")" 20 || fail "$label: only $run of $spin spin samples in [running]"
}

for be in perf ptrace; do
	label="$be attached"
	bg "$SAMPLES/split" 12
	wait_exec "$BG" split || fail "$label: split did not start"
	wait_threads "$BG" 2 || fail "$label: no splitter thread"
	"$PROWL" record --backend "$be" --mode wall --threads -p "$BG" -d 8 -o "$TMP/a-$be.folded" 2>"$TMP/err" ||
		fail "$label: prowl failed: $(cat "$TMP/err")"
	kill "$BG"
	check "$label" "$TMP/a-$be.folded"

	label="$be launched"
	"$PROWL" record --backend "$be" --mode wall --threads -o "$TMP/l-$be.folded" -- "$SAMPLES/split" 8 2>"$TMP/err" ||
		fail "$label: prowl failed: $(cat "$TMP/err")"
	check "$label" "$TMP/l-$be.folded"
done
exit 0
