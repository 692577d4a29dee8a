#!/bin/sh
# Kernel time by default (issue 13): a program that spends a known part of
# its time in read(2) of /dev/zero. As root without --kernel, the samples
# taken in the kernel end in one [kernel] leaf under the user code that made
# the call (sys_work;...read;[kernel]), with the kernel share perf sees in the
# same program. As a user the kernel hides itself from (perf_event_paranoid
# 2), nothing of that time is sampled: the summary says so, once, with the
# system time that went unsampled (its share again consistent with perf's),
# for a launched command and for an attached process.
. "$(dirname "$0")/../lib.sh"
require_perf
require_cmd perf
HELPER=$BUILD/tests/helpers/syscaller
[ -x "$HELPER" ] || fail "$HELPER missing (build the test helpers)"

# perf's kernel share of the same program (cpu-clock, kernel included as root).
perf record -q -e cpu-clock -F 999 -o "$TMP/perf.data" -- "$HELPER" 3 >/dev/null 2>"$TMP/perf.err" ||
	skip "perf record failed: $(tail -n 1 "$TMP/perf.err")"
set -- $(perf script -i "$TMP/perf.data" -F ip,dso 2>/dev/null |
	awk '{ n++; if ($0 ~ /\[kernel\.kallsyms\]/) k++ } END { print k + 0, n + 0 }')
pk=$1 pn=$2
[ "$pn" -ge 300 ] || fail "perf recorded only $pn samples"
pshare=$(pct "$pk" "$pn")
info "perf: $pk of $pn samples in the kernel ($pshare%)"
# Two runs of a loaded machine: 4 sigma of both sample counts, plus 5 points.
tolerance() { # SHARE N1 N2
	awk -v p="$1" -v a="$2" -v b="$3" 'BEGIN { q = p / 100; s = sqrt(q * (1 - q) / a + q * (1 - q) / b);
		printf "%.1f", 400 * s + 5 }'
}

if [ "$(id -u)" = 0 ]; then
	"$PROWL" record -o "$TMP/root.folded" -- "$HELPER" 3 2>"$TMP/root.err" ||
		fail "record failed: $(cat "$TMP/root.err")"
	cat "$TMP/root.err"
	total=$(folded_total "$TMP/root.folded")
	[ "$total" -ge 300 ] || fail "only $total samples"
	kern=$(folded_count "$TMP/root.folded" ';\[kernel\](_\[k\])? [0-9]+$')
	under=$(folded_count "$TMP/root.folded" ';main;sys_work;[^;]*;\[kernel\](_\[k\])? [0-9]+$')
	share=$(pct "$kern" "$total")
	tol=$(tolerance "$pshare" "$total" "$pn")
	info "prowl as root: [kernel] $kern of $total ($share%), $under of them under sys_work's read; perf $pshare% +- $tol"
	[ "$kern" -gt 0 ] || fail "no [kernel] leaf: kernel time is charged to the user code"
	at_least "$(pct "$under" "$kern")" 90 || fail "only $under of $kern [kernel] samples under sys_work;read"
	within "$share" "$pshare" "$tol" || fail "[kernel] has $share%, perf sees $pshare% in the kernel (+- $tol)"
	grep -q 'invisible' "$TMP/root.err" && fail "root was told kernel time is invisible"
	# --kernel still gives the kernel's own frames, no [kernel] pseudo leaf.
	"$PROWL" record -q --kernel -o "$TMP/k.folded" -- "$HELPER" 1 || fail "record --kernel failed"
	grep -q ';\[kernel\]' "$TMP/k.folded" && fail "--kernel profile has a [kernel] pseudo frame"
	grep -q '_\[k\]' "$TMP/k.folded" || info "--kernel gave no kernel frames (kallsyms hidden?)"
	# The report names it once, without a second kernel mark.
	"$PROWL" report "$TMP/root.folded" >"$TMP/report" || fail "report failed"
	grep -q '\[kernel\] \[kernel\]' "$TMP/report" && fail "report marks [kernel] twice"
	grep -q '\[kernel\]' "$TMP/report" || fail "report lacks [kernel]"
else
	info "not root: the [kernel] half is not checked here"
fi

# As nobody: the kernel hides itself (paranoid 2), and the summary says so.
command -v setpriv >/dev/null 2>&1 && [ "$(id -u)" = 0 ] || skip "needs root and setpriv to run as another user"
paranoid=$(cat /proc/sys/kernel/perf_event_paranoid)
[ "$paranoid" -ge 2 ] || skip "perf_event_paranoid is $paranoid: the kernel does not hide itself from users here"
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$@"; }
chmod 755 "$TMP"
mkdir -p "$TMP/nb"
cp "$PROWL" "$HELPER" "$TMP/nb/"
chmod 1777 "$TMP/nb"
as_nobody "$TMP/nb/prowl" record -o "$TMP/nb/u.folded" -- "$TMP/nb/syscaller" 3 2>"$TMP/user.err" </dev/null ||
	fail "record as nobody failed: $(cat "$TMP/user.err")"
cat "$TMP/user.err"
[ "$(grep -c 'kernel time is invisible' "$TMP/user.err")" -eq 1 ] || fail "the summary does not say once that kernel time is invisible"
grep -q ';\[kernel\]' "$TMP/nb/u.folded" && fail "a [kernel] leaf where the kernel was hidden"
check_unseen() { # ERRFILE WHAT
	set -- "$1" "$2" $(sed -n 's/.*invisible.*: \([0-9.]*\) s of the target.s \([0-9.]*\) s of CPU.*/\1 \2/p' "$1")
	[ $# -eq 4 ] || fail "$2: no figure of the unsampled kernel time: $(cat "$1")"
	ushare=$(awk -v a="$3" -v b="$4" 'BEGIN { printf "%.1f", (b > 0 ? 100 * a / b : 0) }')
	# System time is counted in clock ticks: a few more points of slack.
	utol=$(awk -v t="$(tolerance "$pshare" "$pn" "$pn")" 'BEGIN { printf "%.1f", t + 6 }')
	info "$2: $3 s of $4 s CPU in the kernel, unsampled ($ushare%); perf $pshare% +- $utol"
	within "$ushare" "$pshare" "$utol" || fail "$2: $ushare% unsampled, perf sees $pshare% in the kernel"
}
check_unseen "$TMP/user.err" "launched"

# Attached to a process of its own.
# (setpriv itself, not the shell function: $! must be the program's pid)
setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$TMP/nb/syscaller" 6 &
BG=$!
PIDS_TO_KILL="$PIDS_TO_KILL $BG"
wait_exec "$BG" syscaller || fail "the attached program did not start"
as_nobody "$TMP/nb/prowl" record -d 3 -p "$BG" -o "$TMP/nb/a.folded" 2>"$TMP/attach.err" </dev/null ||
	fail "record -p as nobody failed: $(cat "$TMP/attach.err")"
cat "$TMP/attach.err"
check_unseen "$TMP/attach.err" "attached"
exit 0
