#!/bin/sh
# A launched command's children are followed by default (as perf does;
# issue 13: `record -- g++ ...` gave 1 sample), --children says so for -p;
# with --no-children only the command's own process is sampled, and the
# summary says how much CPU its children used unrecorded. An exec in the same
# process renames it and its new code is named.
. "$(dirname "$0")/../lib.sh"
require_perf

"$PROWL" record --children -o "$TMP/c.folded" -- sh -c '"$0" 1.5; exit 5' "$SAMPLES/cpu" 2>"$TMP/err"
rc=$?
cat "$TMP/err"
[ "$rc" = 5 ] || fail "prowl exited $rc, the command 5"
n=$(folded_count "$TMP/c.folded" ';main;run_workload;hot_a ')
[ "$n" -gt 50 ] || fail "--children: the forked cpu sample is missing ($n samples)"

# By default: the child is there.
"$PROWL" record -o "$TMP/d.folded" -- sh -c '"$0" 1.5; exit 0' "$SAMPLES/cpu" 2>"$TMP/err" ||
	fail "record (children by default) failed: $(cat "$TMP/err")"
n=$(folded_count "$TMP/d.folded" ';main;run_workload;hot_a ')
[ "$n" -gt 50 ] || fail "by default the forked cpu sample is missing ($n samples): $(cat "$TMP/err")"
grep -q 'not recorded' "$TMP/err" && fail "children followed, yet the summary says CPU went unrecorded"

for be in perf ptrace; do
	# The shell's own `times` says what its children used (user and system):
	# the figure prowl reports must be that one, however loaded the machine.
	"$PROWL" record --no-children --backend $be -o "$TMP/nc.folded" -- \
		sh -c '"$0" 1.5; times >"$1"; exit 0' "$SAMPLES/cpu" "$TMP/times" 2>"$TMP/err" ||
		fail "record --no-children ($be) failed"
	n=$(folded_count "$TMP/nc.folded" 'hot_a')
	[ "$n" = 0 ] || fail "with --no-children ($be) a child process was sampled ($n samples)"
	secs=$(sed -n 's/^prowl record: the command.s child processes used \([0-9.]*\) s of CPU, not recorded (--no-children)$/\1/p' "$TMP/err")
	truth=$(awk 'NR == 2 { gsub(/[ms]/, " "); print $1 * 60 + $2 + $3 * 60 + $4 }' "$TMP/times")
	[ -n "$truth" ] || fail "--no-children ($be): the shell's times gave nothing"
	if ! at_least "$truth" 0.01; then
		info "--no-children ($be): the children got no CPU time at all here (loaded machine): nothing to compare"
		continue
	fi
	[ -n "$secs" ] || fail "--no-children ($be): no line saying what the children used ($truth s by the shell's count): $(cat "$TMP/err")"
	# perf: read from the command's /proc stat while it is a zombie, exact;
	# ptrace: read at each poll, so the last poll interval (up to 1 s of
	# wall time, hence of the children's CPU) may be missing.
	slack=0.02
	[ $be = ptrace ] && slack=1.0
	awk -v a="$secs" -v t="$truth" -v s=$slack 'BEGIN { exit !(a <= t + 0.02 && a >= t - s) }' ||
		fail "--no-children ($be): prowl says the children used $secs s, the shell counted $truth s"
	info "--no-children ($be): children's CPU $secs s reported, $truth s by the shell's count"
done

# exec in place: before_exec in execer, then the cpu sample's code (one
# thread: it carries its last name).
"$PROWL" record --threads -o "$TMP/e.folded" -- "$SAMPLES/execer" 2.5 1000 2>"$TMP/err" ||
	fail "record execer failed: $(cat "$TMP/err")"
b=$(folded_count "$TMP/e.folded" '^cpu \([0-9]+\);.*main;before_exec ')
a=$(folded_count "$TMP/e.folded" '^cpu \([0-9]+\);.*main;run_workload;hot_a ')
info "before exec: $b samples, after: $a"
[ "$b" -gt 20 ] || fail "no samples named before the exec: $(head -n 5 "$TMP/e.folded")"
[ "$a" -gt 20 ] || fail "no samples named after the exec: $(head -n 5 "$TMP/e.folded")"
exit 0
