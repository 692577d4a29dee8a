#!/bin/sh
# bench_machine: the whole machine (issue 17). While a build runs (`make -j2`
# of the samples, over and over), each tool samples every CPU for
# BENCH_SECONDS (default 30) at 999 Hz with DWARF stacks:
#   prowl record -a            vs  perf record -a -g --call-graph dwarf
#   prowl top --batch (no -p)  vs  perf top -g --call-graph dwarf (in tmux)
# Both tops refresh every second (prowl's default; perf top's is 2 s, so it
# gets -d 1: 1.62 s of CPU against 1.55 s at -d 2, one run each, Dec 2026).
# and the table gives each one's CPU (user + system, seconds and share of
# one core) and peak RSS, with prowl's as a ratio of perf's. Goal (issue
# 17): prowl's CPU at most half of perf's, its peak memory at most a quarter.
# perf record's figure is perf's alone, not `perf report`'s later work;
# prowl record's includes symbolizing and writing its profile. perf top
# drops the samples it reads later than its refresh delay (its title's
# "drop:"); prowl top drops none, so the table also gives each top's count
# of samples kept and its CPU per thousand of them. The tops run again at
# BENCH_LOW_HZ (default 99), where perf top drops much less and both keep
# about the same samples: those totals compare the same work.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PROWL=${PROWL:-$ROOT/prowl}
SECS=${BENCH_SECONDS:-30}
LOW_HZ=${BENCH_LOW_HZ:-99}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/prowl-bench-machine.XXXXXX")
SOCK=prowl-bench-m-$$
LOAD=""
cleanup() {
	tmux -L "$SOCK" kill-server 2>/dev/null
	[ -n "$LOAD" ] && kill "$LOAD" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
[ "$(id -u)" = 0 ] || { echo "needs root (the whole machine needs root or CAP_PERFMON)"; exit 1; }
command -v /usr/bin/time >/dev/null || { echo "GNU time is not installed (apt-get install time)"; exit 1; }

# The load: a build of the samples, again and again.
mkdir -p "$TMP/src"
cp -r "$ROOT/samples" "$TMP/src/"
(
	cd "$TMP/src" || exit 1
	while :; do
		rm -rf samples/bin
		make -s -j2 -f samples/samples.mk samples Q=@ CC=cc >/dev/null 2>&1
	done
) &
LOAD=$!
sleep 2

# A GNU time file ('%U %S %M') as "user+sys_seconds peak_rss_kb".
cpu_rss() {
	tail -n 1 "$1" | awk '{ printf "%.2f %d\n", $1 + $2, $3 }'
}
# Runs a command under GNU time: "user+sys_seconds peak_rss_kb".
timed() {
	/usr/bin/time -f '%U %S %M' -o "$TMP/time" "$@" >/dev/null 2>"$TMP/err"
	cpu_rss "$TMP/time"
}
row() { # NAME CPU_S RSS_KB
	printf "%-44s %8.2f s %6.1f%% %9.1f MB\n" "$1" "$2" "$(awk -v c="$2" -v s="$SECS" 'BEGIN { print 100 * c / s }')" \
		"$(awk -v k="$3" 'BEGIN { print k / 1024 }')"
}

echo "load: make -j2 of the samples in a loop; $SECS s each, 999 Hz, DWARF stacks"
printf "%-44s %10s %7s %12s\n" "tool" "CPU" "of core" "peak RSS"
set -- $(timed "$PROWL" record -a -q -d "$SECS" -o "$TMP/prowl.folded")
pr_cpu=$1 pr_rss=$2
[ -s "$TMP/prowl.folded" ] || { echo "prowl record -a wrote nothing: $(cat "$TMP/err")"; exit 1; }
row "prowl record -a" "$pr_cpu" "$pr_rss"

pf_cpu="" pt_cpu="" pr2_cpu=0
if command -v perf >/dev/null 2>&1; then
	set -- $(timed perf record -a -g --call-graph dwarf -F 999 -o "$TMP/perf.data" -- sleep "$SECS")
	pf_cpu=$1 pf_rss=$2
	row "perf record -a -g --call-graph dwarf" "$pf_cpu" "$pf_rss"
	echo "  (perf.data: $(du -m "$TMP/perf.data" | cut -f1) MB; prowl's profile: $(du -k "$TMP/prowl.folded" | cut -f1) KB)"
	# perf's unwinding and symbolizing happen here, prowl's during the record.
	set -- $(timed timeout 600 perf report -i "$TMP/perf.data" --stdio --no-children)
	pr2_cpu=$1 pr2_rss=$2
	row "  then perf report (unwinds, names)" "$pr2_cpu" "$pr2_rss"
	row "  perf record + perf report" "$(awk -v a="$pf_cpu" -v b="$pr2_cpu" 'BEGIN { print a + b }')" \
		"$(awk -v a="$pf_rss" -v b="$pr2_rss" 'BEGIN { print (a > b ? a : b) }')"
	rm -f "$TMP/perf.data"
fi

if [ -n "$pf_cpu" ]; then
	echo "prowl record -a / (perf record + report): CPU $(awk -v a="$pr_cpu" -v b="$pf_cpu" -v c="$pr2_cpu" 'BEGIN { printf "%.2f", b + c ? a / (b + c) : 0 }')x"
	echo "prowl record -a / perf record: CPU $(awk -v a="$pr_cpu" -v b="$pf_cpu" 'BEGIN { printf "%.2f", b ? a / b : 0 }')x," \
		"peak RSS $(awk -v a="$pr_rss" -v b="$pf_rss" 'BEGIN { printf "%.2f", b ? a / b : 0 }')x (goal <= 0.5 and <= 0.25)"
fi

# Both tops at HZ: rows, samples kept, and (when perf top ran) the ratios.
tops() { # HZ
	hz=$1 pt_cpu="" pt_kept=""
	/usr/bin/time -f '%U %S %M' -o "$TMP/time" timeout -s INT "$SECS" "$PROWL" top --batch --delay 1 --top 20 -F "$hz" \
		>"$TMP/top.out" 2>"$TMP/err"
	set -- $(cpu_rss "$TMP/time")
	pt2_cpu=$1 pt2_rss=$2
	row "prowl top --batch (no target) -F $hz" "$pt2_cpu" "$pt2_rss"
	# Its last header: "samples N (R/s)  lost P%": every sample it was sent, less the lost.
	pt2_kept=$(sed -n 's/^samples \([0-9]*\) .*/\1/p' "$TMP/top.out" | tail -n 1)
	pt2_lost=$(sed -n 's/^samples [0-9]* ([0-9]*\/s)  lost \([0-9.]*%\).*/\1/p' "$TMP/top.out" | tail -n 1)
	echo "  (kept ${pt2_kept:-?} samples, lost ${pt2_lost:-?})"
	command -v perf >/dev/null 2>&1 && command -v tmux >/dev/null 2>&1 || return 0
	# perf top wants a terminal: a tmux pane, timed inside it.
	rm -f "$TMP/ptime" "$TMP/pdone"
	tmux -L "$SOCK" new-session -d -s perf -x 160 -y 45 \
		"/usr/bin/time -f '%U %S %M' -o $TMP/ptime timeout -k 5 -s INT $SECS perf top -g --call-graph dwarf -F $hz -d 1; touch $TMP/pdone"
	# Its title line, read just before it ends: "Samples: 8K of event ...
	# lost: 0/0 drop: 1756/42842". The second drop figure is the run's
	# total: samples perf top threw away unread because they were older
	# than its refresh delay when it got to them. Samples is what it kept.
	sleep $((SECS > 2 ? SECS - 2 : 1))
	tmux -L "$SOCK" capture-pane -p -t perf >"$TMP/ppane" 2>/dev/null
	i=0
	while [ ! -e "$TMP/pdone" ] && [ $i -lt $((SECS * 10 + 300)) ]; do sleep 0.1; i=$((i + 1)); done
	tmux -L "$SOCK" kill-server 2>/dev/null
	[ -s "$TMP/ptime" ] || return 0
	set -- $(cpu_rss "$TMP/ptime")
	pt_cpu=$1 pt_rss=$2
	row "perf top -g --call-graph dwarf -d 1 -F $hz" "$pt_cpu" "$pt_rss"
	pt_kept=$(sed -n 's/.*Samples: \([0-9.]*K*\) of event.*/\1/p' "$TMP/ppane" | head -n 1)
	pt_drop=$(sed -n 's/.*drop: [0-9]*\/\([0-9]*\).*/\1/p' "$TMP/ppane" | head -n 1)
	echo "  (kept ${pt_kept:-?} samples, dropped ${pt_drop:-?} unread: its title line)"
	echo "prowl top / perf top at $hz Hz: CPU $(awk -v a="$pt2_cpu" -v b="$pt_cpu" 'BEGIN { printf "%.2f", b ? a / b : 0 }')x," \
		"peak RSS $(awk -v a="$pt2_rss" -v b="$pt_rss" 'BEGIN { printf "%.2f", b ? a / b : 0 }')x (goal <= 0.5 and <= 0.25)"
	# perf top keeps only what it reads within its delay; prowl top keeps
	# every sample. CPU per thousand samples kept compares the same work.
	k=$(echo "${pt_kept:-}" | awk '/K$/ { sub(/K$/, ""); print $0 * 1000; next } /^[0-9.]+$/ { print $0 + 0 }')
	if [ -n "$k" ] && [ -n "${pt2_kept:-}" ] && [ "$pt2_kept" -gt 0 ]; then
		echo "  CPU per 1000 samples kept: prowl top $(awk -v c="$pt2_cpu" -v n="$pt2_kept" 'BEGIN { printf "%.3f", 1000 * c / n }') s," \
			"perf top $(awk -v c="$pt_cpu" -v n="$k" 'BEGIN { printf "%.3f", n ? 1000 * c / n : 0 }') s" \
			"($(awk -v a="$pt2_cpu" -v n="$pt2_kept" -v b="$pt_cpu" -v m="$k" 'BEGIN { printf "%.2f", (b && m) ? (a / n) / (b / m) : 0 }')x;" \
			"perf top's count is its title's, rounded to the thousand)"
	fi
}
tops 999
# perf top drops a sixth or more even at 99 Hz; at that rate both tops
# keep about the same samples, so the totals compare the same work.
tops "$LOW_HZ"
exit 0
