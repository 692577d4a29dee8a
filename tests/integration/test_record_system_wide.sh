#!/bin/sh
# The whole machine (issue 17): `prowl record -a -d 3` while two programs of
# known shares run (cpu 60/30/10, cpp 40/30/20/10) and a burst of
# short-lived processes starts and ends: every stack is rooted at
# "name (pid)"; each program's split matches its construction within a
# tolerance from its sample count; both are named; the short-lived ones are
# present by name though they exited before the profile was written; the idle
# share is reported. `prowl top --batch -n 2` with no target then lists the
# busiest program's hottest function first, with its process. As nobody,
# -a is refused in one line, exit 77, nothing written.
. "$(dirname "$0")/../lib.sh"
require_perf
[ "$(id -u)" = 0 ] || skip "needs root (the whole machine needs root or CAP_PERFMON)"

bg "$SAMPLES/cpu" 30
p1=$BG
bg "$SAMPLES/cpp" 30
p2=$BG
wait_exec "$p1" cpu && wait_exec "$p2" cpp || fail "samples did not start"
# Short-lived processes: a copy of cpu under its own name, 0.15 s each.
cp "$SAMPLES/cpu" "$TMP/shorty"
(
	i=0
	while [ $i -lt 12 ]; do "$TMP/shorty" 0.15; i=$((i + 1)); done
) &
burst=$!
PIDS_TO_KILL="$PIDS_TO_KILL $burst"

"$PROWL" record -a -d 3 -o "$TMP/m.folded" 2>"$TMP/err" || fail "record -a failed: $(cat "$TMP/err")"
wait $burst
cat "$TMP/err"
[ -s "$TMP/m.folded" ] || fail "empty profile"
# A task sampled past its exit has no pid any more (the kernel gives -1):
# its time goes under the one "[exiting tasks]" root.
rooted='^([^;]+ \([0-9]+\)|\[exiting tasks\]);'
bad=$(grep -cvE "$rooted" "$TMP/m.folded")
[ "$bad" = 0 ] || fail "$bad stacks not rooted at 'name (pid)': $(grep -vE "$rooted" "$TMP/m.folded" | head -3)"

# The share of leaf $2 among the leaves $3 of process root $1, and whether it
# is within 3.5 binomial sigmas + 1 point of the expected share $4.
check_share() { # ROOT LEAF ALL_LEAVES EXPECTED_PCT
	n=$(folded_count "$TMP/m.folded" "^$1;.*;($3) [0-9]+$")
	k=$(folded_count "$TMP/m.folded" "^$1;.*;($2) [0-9]+$")
	[ "$n" -ge 100 ] || fail "$1: only $n samples of its work"
	got=$(pct "$k" "$n")
	tol=$(awk -v p="$4" -v n="$n" 'BEGIN { q = p / 100; printf "%.1f\n", 350 * sqrt(q * (1 - q) / n) + 1 }')
	info "$1 $2: $got% of $n (expected $4 +- $tol)"
	within "$got" "$4" "$tol" || fail "$1: $2 at $got% of $n samples, expected $4% +- $tol"
}
check_share "cpu \\($p1\\)" hot_a 'hot_a|hot_b|hot_c' 60
check_share "cpu \\($p1\\)" hot_b 'hot_a|hot_b|hot_c' 30
leaves='[^;]*Accumulator<double>::add[^;]*|[^;]*lambda[^;]*|[^;]*risky_step[^;]*|[^;]*Scheduler::tick[^;]*'
check_share "cpp \\($p2\\)" '[^;]*Accumulator<double>::add[^;]*' "$leaves" 40
check_share "cpp \\($p2\\)" '[^;]*Scheduler::tick[^;]*' "$leaves" 10
# The short-lived ones: several processes named shorty, each gone by now.
ns=$(cut -d';' -f1 "$TMP/m.folded" | grep -E '^shorty \([0-9]+\)$' | sort -u | wc -l)
[ "$ns" -ge 3 ] || fail "only $ns short-lived shorty processes in the profile: $(cut -d';' -f1 "$TMP/m.folded" | sort -u | tr '\n' ' ')"
ss=$(folded_count "$TMP/m.folded" '^shorty \([0-9]+\);.*;hot_[abc] ')
[ "$ss" -gt 50 ] || fail "the short-lived processes' stacks are not symbolized ($ss samples in hot_*)"
info "short-lived: $ns processes named shorty, $ss samples in hot_*"
# report --by-command: rows are commands, each the sum of its processes' roots.
"$PROWL" report --by-command --top 100000 "$TMP/m.folded" >"$TMP/bycmd" || fail "report --by-command failed"
for c in cpu cpp shorty; do
	want=$(folded_count "$TMP/m.folded" "^$c \\([0-9]+\\);")
	got=$(awk -v c="$c" '/by self/ { on = 1 } /by total/ { on = 0 } on && $5 == c && NF == 5 { print $2 }' "$TMP/bycmd")
	[ "$got" = "$want" ] || fail "report --by-command: $c has '$got' samples, its roots $want: $(head -12 "$TMP/bycmd")"
done
grep -Eq "^prowl record: the whole machine: [0-9.]+ of [0-9]+ CPUs busy, idle [0-9.]+%$" "$TMP/err" ||
	fail "no idle share in the summary: $(cat "$TMP/err")"

# --threads adds the thread level below the process.
"$PROWL" record -a -d 1 --threads --comm '^cpu$' -o "$TMP/t.folded" 2>"$TMP/err2" || fail "record -a --threads failed: $(cat "$TMP/err2")"
n=$(folded_count "$TMP/t.folded" "^cpu \\($p1\\);cpu \\($p1\\);.*;hot_a ")
[ "$n" -gt 50 ] || fail "--threads: no 'cpu (pid);cpu (tid)' stacks ($n): $(head -3 "$TMP/t.folded")"
# --comm kept only cpu.
other=$(grep -cvE "^cpu \\([0-9]+\\);" "$TMP/t.folded")
[ "$other" = 0 ] || fail "--comm '^cpu\$': $other stacks of other processes: $(grep -vE '^cpu ' "$TMP/t.folded" | head -3)"

# --uid: only the processes of that user (a cpu run as nobody, not root's).
if command -v setpriv >/dev/null 2>&1; then
	bg setpriv --reuid=65534 --regid=65534 --clear-groups "$SAMPLES/cpu" 10
	pn=$BG
	wait_exec "$pn" cpu || fail "cpu as nobody did not start"
	"$PROWL" record -a -d 1 --uid nobody -o "$TMP/u.folded" 2>"$TMP/uerr" || fail "record --uid failed: $(cat "$TMP/uerr")"
	n=$(folded_count "$TMP/u.folded" "^cpu \\($pn\\);.*;hot_a ")
	[ "$n" -gt 20 ] || fail "--uid nobody: nobody's cpu ($pn) has $n samples: $(cut -d';' -f1 "$TMP/u.folded" | sort -u | tr '\n' ' ')"
	other=$(grep -cvE "^cpu \\($pn\\);" "$TMP/u.folded")
	[ "$other" = 0 ] || fail "--uid nobody: $other stacks of other users' processes: $(grep -vE "^cpu \\($pn\\)" "$TMP/u.folded" | cut -d';' -f1 | sort -u | tr '\n' ' ')"
	kill "$pn"
	info "--uid nobody: $n samples of hot_a, nothing else"
fi

# --cgroup: the kernel counts that cgroup's tasks alone (where a cgroup v2
# hierarchy lets us make one).
cgroot=""
for r in /sys/fs/cgroup /sys/fs/cgroup/unified; do
	[ -f "$r/cgroup.controllers" ] && { cgroot=$r; break; }
done
cg=prowl-test-$$
if [ -n "$cgroot" ] && mkdir "$cgroot/$cg" 2>/dev/null; then
	bg "$SAMPLES/cpu" 10
	pc=$BG
	wait_exec "$pc" cpu || fail "cpu for the cgroup did not start"
	if echo "$pc" >"$cgroot/$cg/cgroup.procs" 2>/dev/null; then
		"$PROWL" record -a -d 1 --cgroup "$cg" -o "$TMP/c.folded" 2>"$TMP/cerr" || fail "record --cgroup failed: $(cat "$TMP/cerr")"
		n=$(folded_count "$TMP/c.folded" "^cpu \\($pc\\);.*;hot_a ")
		other=$(grep -cvE "^cpu \\($pc\\);" "$TMP/c.folded")
		kill "$pc"
		wait "$pc" 2>/dev/null
		rmdir "$cgroot/$cg" 2>/dev/null
		[ "$n" -gt 20 ] || fail "--cgroup: its cpu ($pc) has $n samples"
		[ "$other" = 0 ] || fail "--cgroup: $other stacks from outside the cgroup"
		grep -q 'the cgroup kept' "$TMP/cerr" || fail "--cgroup: no busy figure: $(cat "$TMP/cerr")"
		info "--cgroup: $n samples of hot_a, nothing else"
	else
		kill "$pc"
		wait "$pc" 2>/dev/null
		rmdir "$cgroot/$cg" 2>/dev/null
		info "--cgroup not checked: cannot move a process into $cgroot/$cg"
	fi
else
	info "--cgroup not checked: no cgroup v2 hierarchy to make a cgroup in"
fi
"$PROWL" record -a -d 1 --cgroup "no-such-cgroup-$$" -o "$TMP/n.folded" 2>"$TMP/nerr"
rc=$?
[ $rc = 66 ] || fail "--cgroup of a missing cgroup: exit $rc: $(cat "$TMP/nerr")"

# top with no target: the busiest program's hottest function first, with its process.
"$PROWL" top --batch -n 2 --top 5 --comm '^(cpu|cpp)$' >"$TMP/top" 2>"$TMP/toperr" || fail "top failed: $(cat "$TMP/toperr")"
grep -q 'all processes' "$TMP/top" || fail "top's header does not say all processes: $(head -2 "$TMP/top")"
grep -Eq 'idle [0-9.]+%' "$TMP/top" || fail "top's header has no idle share: $(head -2 "$TMP/top")"
first=$(awk '/%Own +%Total/ { getline; print }' "$TMP/top" | tail -1)
echo "$first" | grep -Eq "hot_a +cpu \\($p1\\)" || {
	cat "$TMP/top"
	fail "the first row of top is not hot_a of cpu ($p1): $first"
}

# As nobody: one line, exit 77, nothing written.
if command -v setpriv >/dev/null 2>&1; then
	chmod 755 "$TMP"
	mkdir -p "$TMP/bin" "$TMP/out"
	cp "$PROWL" "$TMP/bin/prowl"
	chmod 755 "$TMP/bin" "$TMP/bin/prowl"
	chmod 1777 "$TMP/out"
	for cmd in "record -a -d 1 -o $TMP/out/x.folded" "top --batch -n 1"; do
		# shellcheck disable=SC2086
		setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$TMP/bin/prowl" $cmd \
			>"$TMP/out.txt" 2>"$TMP/nerr" </dev/null
		rc=$?
		[ $rc = 77 ] || fail "$cmd as nobody: exit $rc, want 77: $(cat "$TMP/nerr")"
		[ "$(wc -l <"$TMP/nerr")" = 1 ] || fail "$cmd as nobody: $(wc -l <"$TMP/nerr") lines: $(cat "$TMP/nerr")"
		grep -q 'needs root or CAP_PERFMON' "$TMP/nerr" || fail "$cmd as nobody: $(cat "$TMP/nerr")"
	done
	[ ! -e "$TMP/out/x.folded" ] || fail "record -a as nobody wrote a profile"
	info "as nobody: $(cat "$TMP/nerr")"
fi
# The ptrace backend says it does not do -a.
"$PROWL" record -a --backend ptrace -d 1 -o "$TMP/p.folded" 2>"$TMP/perr"
rc=$?
[ $rc = 64 ] || fail "-a --backend ptrace: exit $rc: $(cat "$TMP/perr")"
grep -q 'ptrace' "$TMP/perr" || fail "-a --backend ptrace: $(cat "$TMP/perr")"
exit 0
