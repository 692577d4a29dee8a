#!/bin/sh
# With several processes (children followed, several -p) every stack starts
# at its process's command name, so a build's flame graph shows which
# program took the time (issue 13); --threads puts "name (tid)" there
# instead; one process alone keeps its stacks as they were; a report does
# not list a process as a function.
. "$(dirname "$0")/../lib.sh"
require_perf

roots() { cut -d';' -f1 "$1" | sed 's/ [0-9]*$//' | sort -u | tr '\n' ' '; }

# A launched shell that runs the cpu sample twice: roots sh and cpu only,
# and cpu has (nearly) all of it.
"$PROWL" record -o "$TMP/l.folded" -- sh -c '"$0" 1; "$0" 0.5' "$SAMPLES/cpu" 2>"$TMP/err" ||
	fail "record failed: $(cat "$TMP/err")"
r=$(roots "$TMP/l.folded")
[ -n "$r" ] || fail "empty profile"
for x in $r; do
	case $x in cpu | sh) ;; *) fail "a stack rooted at '$x', not at a process name (roots: $r)" ;; esac
done
t=$(folded_total "$TMP/l.folded")
c=$(folded_count "$TMP/l.folded" '^cpu;.*;main;run_workload;hot_[abc] ')
at_least "$c" "$(awk -v t="$t" 'BEGIN { print t * 0.9 }')" || fail "cpu root has $c of $t samples"
info "launched: roots $r; cpu $c of $t"

# --threads: the thread's root replaces the process's.
"$PROWL" record --threads -o "$TMP/t.folded" -- sh -c '"$0" 1' "$SAMPLES/cpu" 2>/dev/null || fail "record --threads failed"
n=$(folded_count "$TMP/t.folded" '^cpu \([0-9]+\);.*;hot_a ')
[ "$n" -gt 50 ] || fail "--threads: no 'cpu (TID)' roots ($n)"
[ "$(folded_count "$TMP/t.folded" '^(cpu|sh);')" = 0 ] || fail "--threads: process roots left under thread roots"

# Several -p: each process by its name.
bg "$SAMPLES/cpu" 30
p1=$BG
bg "$SAMPLES/busy2" 30
p2=$BG
wait_exec "$p1" cpu && wait_exec "$p2" busy2 || fail "samples did not start"
"$PROWL" record -d 1.5 -o "$TMP/m.folded" -p "$p1" -p "$p2" 2>/dev/null || fail "record -p -p failed"
a=$(folded_count "$TMP/m.folded" '^cpu;.*;hot_a ')
b=$(folded_count "$TMP/m.folded" '^busy2;.*;spin_(left|right) ')
[ "$a" -gt 50 ] && [ "$b" -gt 50 ] || fail "-p -p: cpu root $a, busy2 root $b: roots $(roots "$TMP/m.folded")"
info "-p -p: cpu $a, busy2 $b"
# ...and the report ranks functions, not processes (a folded file read back
# cannot tell a root from a function: this is the capture's own report).
"$PROWL" record -q -d 1 --report -o "$TMP/m2.folded" -p "$p1" -p "$p2" >"$TMP/rep" 2>&1 || fail "record --report failed"
[ -n "$(awk '$1 ~ /%$/ && ($5 == "cpu" || $5 == "busy2")' "$TMP/rep")" ] && fail "the report lists a process as a function: $(cat "$TMP/rep")"
grep -q 'hot_a' "$TMP/rep" || fail "the report lost the functions: $(cat "$TMP/rep")"
# Several -p name every process in headers, not only the first.
head -1 "$TMP/rep" | grep -q "(pid $p1).*(pid $p2)" || fail "the report's header does not name both: $(head -1 "$TMP/rep")"
"$PROWL" top --batch -n 1 --top 5 -p "$p1" -p "$p2" >"$TMP/top" 2>&1 || fail "top -p -p failed: $(cat "$TMP/top")"
head -1 "$TMP/top" | grep -q "(pid $p1).*(pid $p2)" || fail "top's header does not name both: $(head -1 "$TMP/top")"
# ...and top's table says which process each function is in, its header the top processes.
grep -Eq "hot_a +cpu \($p1\)" "$TMP/top" || fail "top: no process column for hot_a: $(cat "$TMP/top")"
grep -Eq "spin_(left|right) +busy2 \($p2\)" "$TMP/top" || fail "top: no process column for busy2: $(cat "$TMP/top")"
sed -n 2p "$TMP/top" | grep -Eq "top: .*busy2 \($p2\)" || fail "top's header lacks the top processes: $(sed -n 2p "$TMP/top")"

# One process: no extra root.
"$PROWL" record -d 1 -o "$TMP/one.folded" -p "$p1" 2>/dev/null || fail "record -p failed"
[ "$(folded_count "$TMP/one.folded" '^cpu;')" = 0 ] || fail "one process got a process root"
exit 0
