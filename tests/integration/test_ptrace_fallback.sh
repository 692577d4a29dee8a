#!/bin/sh
# With perf_event_open denied (a seccomp filter, as in a container), the
# default --backend auto says so in one line and records through ptrace a
# correct profile: the cpu sample's 60/30/10 within 5 points, launched and
# attached.
. "$(dirname "$0")/../lib.sh"
require_ptrace
NOPERF=$BUILD/tests/helpers/noperf
[ -x "$NOPERF" ] || fail "$NOPERF is missing (make test builds tests/helpers)"
"$NOPERF" "$BUILD/tests/helpers/probe" perf 2>/dev/null && fail "noperf did not deny perf_event_open"

check_shares() { # FILE WHAT
	total=$(folded_total "$1")
	a=$(folded_count "$1" ';hot_a [0-9]+$'); b=$(folded_count "$1" ';hot_b [0-9]+$'); c=$(folded_count "$1" ';hot_c [0-9]+$')
	pa=$(pct "$a" "$total"); pb=$(pct "$b" "$total"); pc=$(pct "$c" "$total")
	info "$2: $total samples: hot_a $pa% hot_b $pb% hot_c $pc%"
	at_least "$total" 300 || fail "$2: only $total samples"
	within "$pa" 60 5 || fail "$2: hot_a $pa% (want 60 +- 5)"
	within "$pb" 30 5 || fail "$2: hot_b $pb% (want 30 +- 5)"
	within "$pc" 10 5 || fail "$2: hot_c $pc% (want 10 +- 5)"
	main=$(folded_count "$1" ';main;run_workload;hot_')
	at_least "$main" "$((total * 99 / 100))" || fail "$2: only $main of $total stacks reach main"
}

# Launched.
"$NOPERF" "$PROWL" record -o "$TMP/launch.folded" -- "$SAMPLES/cpu" 3 2>"$TMP/launch.err" ||
	fail "prowl record under noperf failed: $(cat "$TMP/launch.err")"
cat "$TMP/launch.err"
n=$(grep -c 'ptrace backend' "$TMP/launch.err")
[ "$n" = 1 ] || fail "expected one line saying ptrace is used, got $n"
grep 'ptrace backend' "$TMP/launch.err" | grep -q 'perf_event_open' || fail "the line does not say perf_event_open was denied"
check_shares "$TMP/launch.folded" launched

# Attached.
bg "$SAMPLES/cpu" 10
sleep 0.2
"$NOPERF" "$PROWL" record -p "$BG" -d 3 -o "$TMP/attach.folded" 2>"$TMP/attach.err" ||
	fail "prowl record -p under noperf failed: $(cat "$TMP/attach.err")"
grep -q 'ptrace backend' "$TMP/attach.err" || fail "no line saying ptrace is used"
check_shares "$TMP/attach.folded" attached
[ "$(proc_tracer "$BG")" = 0 ] || fail "target still traced after prowl ended"
exit 0
