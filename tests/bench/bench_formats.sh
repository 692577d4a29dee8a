#!/bin/sh
# bench_formats: how long prowl takes to write a profile of 100,000 distinct
# stacks (a million samples, depth 6-20) in each format, as measured inside
# `prowl convert -v` (write phase only, the read is reported apart), median
# of BENCH_RUNS (default 5). Next to it, the nearest peer we have offline:
#   folded      LC_ALL=C sort of the same lines (what any sorted writer pays)
#   speedscope  python3 json.load + json.dump of prowl's file
#   pprof       go tool pprof -proto: Go's reader and writer re-encoding prowl's file
#   svg         (flamegraph.pl is not installed here: none)
# Goal: every write well under a second.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PROWL=${PROWL:-$ROOT/prowl}
RUNS=${BENCH_RUNS:-5}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/prowl-bench-formats.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

awk 'BEGIN { srand(11); for (i = 0; i < 100000; i++) { s = "main"; d = 5 + i % 15
	for (k = 0; k < d; k++) s = s ";fn_" int(rand() * 400); print s ";leaf_" i, 1 + int(rand() * 19) } }' \
	>"$TMP/in.folded"

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
now_ms() { date +%s%N | awk '{ printf "%.1f\n", $1 / 1e6 }'; }
elapsed() { # CMD... -> wall ms
	t0=$(now_ms); "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; echo -1; return; }; t1=$(now_ms)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f\n", b - a }'
}

printf '%-11s %12s %12s %12s %10s  %-34s %12s %8s\n' format "write ms" "write cpu" "read ms" size peer "peer ms" ratio
for fmt in folded svg json pb.gz; do
	: >"$TMP/w"; : >"$TMP/c"; : >"$TMP/r"
	i=0
	while [ $i -lt "$RUNS" ]; do
		"$PROWL" convert -v "$TMP/in.folded" -o "$TMP/out.$fmt" 2>"$TMP/v" || { echo "prowl convert to $fmt failed"; exit 1; }
		sed -n 's/.* in \([0-9.]*\) ms (cpu [0-9.]* ms); wrote.*/\1/p' "$TMP/v" >>"$TMP/r"
		sed -n 's/.*wrote .* in \([0-9.]*\) ms (cpu \([0-9.]*\) ms)$/\1/p' "$TMP/v" >>"$TMP/w"
		sed -n 's/.*wrote .* in [0-9.]* ms (cpu \([0-9.]*\) ms)$/\1/p' "$TMP/v" >>"$TMP/c"
		i=$((i + 1))
	done
	w=$(median <"$TMP/w"); c=$(median <"$TMP/c"); r=$(median <"$TMP/r")
	size=$(wc -c <"$TMP/out.$fmt")
	peer=none; pms=-
	case $fmt in
	folded) peer="LC_ALL=C sort"; pms=$(elapsed env LC_ALL=C sort -o "$TMP/sorted" "$TMP/in.folded") ;;
	json) command -v python3 >/dev/null && { peer="python3 json load+dump"
		pms=$(elapsed python3 -c "import json,sys; json.dump(json.load(open(sys.argv[1])), open(sys.argv[2], 'w'))" "$TMP/out.json" "$TMP/peer.json"); } ;;
	pb.gz) command -v go >/dev/null && { peer="go tool pprof -proto (read+write)"
		mkdir -p "$TMP/go"
		pms=$(elapsed env GOPATH="$TMP/go" GOCACHE="$TMP/go/cache" HOME="$TMP" GOFLAGS= GOTOOLCHAIN=local \
			go tool pprof -symbolize=none -proto -output "$TMP/peer.pb.gz" "$TMP/out.pb.gz"); } ;;
	esac
	ratio=$(awk -v a="$w" -v b="$pms" 'BEGIN { if (b == "-" || b <= 0) print "-"; else printf "%.2fx\n", a / b }')
	printf '%-11s %12s %12s %12s %10s  %-34s %12s %8s\n' "$fmt" "$w" "$c" "$r" "$size" "$peer" "$pms" "$ratio"
done
echo "(ms: median of $RUNS runs on this machine, load $(cut -d' ' -f1 /proc/loadavg); ratio = prowl write / peer)"
