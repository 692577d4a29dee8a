#!/bin/sh
# prowl's pprof file in `go tool pprof -http` (on 127.0.0.1, -no_browser),
# its flame graph page loaded in headless Chromium: every function of prowl's
# report of the same file is a frame there, with the share of the samples
# prowl gives it (to the hundredth of a percent pprof shows). A screenshot is
# kept in build/test-logs/browser.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/browser/lib.sh"
require_cmd go
require_cmd chromium
require_cmd python3
require_cmd curl

"$PROWL" record -F 499 -o "$TMP/cpu.pb.gz" -- "$SAMPLES/cpu" 1.5 2>"$TMP/rec.err" ||
	fail "record cpu: $(cat "$TMP/rec.err")"

# The pprof tool itself, not `go tool`'s wrapper: killing the wrapper at the
# end left the server running.
PPROF=$(go tool -n pprof) || fail "go tool -n pprof: no pprof tool"
# A free port (pprof takes no port 0); taken again by the time it binds is
# possible, so a few tries.
for try in 1 2 3; do
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	bg "$PPROF" -http="127.0.0.1:$port" -no_browser "$TMP/cpu.pb.gz" >"$TMP/pprof.log" 2>&1
	i=0
	while [ $i -lt 300 ] && kill -0 "$BG" 2>/dev/null; do
		curl -sf -o /dev/null "http://127.0.0.1:$port/ui/flamegraph" && break 2
		i=$((i + 1))
		sleep 0.1
	done
	kill "$BG" 2>/dev/null
done
curl -sf -o /dev/null "http://127.0.0.1:$port/ui/flamegraph" || fail "go tool pprof -http did not serve: $(cat "$TMP/pprof.log")"
URL="http://127.0.0.1:$port/ui/flamegraph"

# The frames' titles: "name (P%, time)". On a loaded machine the page may
# be dumped before it is drawn: then again, with more time.
for BUDGET in 8000 20000 40000; do
	browse "$URL" --dump-dom >"$TMP/flame.dom" || fail "chromium failed: $(tail -n 3 "$TMP/chrome.log")"
	python3 - "$TMP/flame.dom" >"$TMP/frames" <<'PY' && break
import html, re, sys
d = open(sys.argv[1], encoding="utf-8").read()
rows = re.findall(r"<title>([^<]*) \(([0-9.]+)%, [^)<]*\)</title>", d)
if not rows:
    raise SystemExit(1)
for name, pct in rows:
    print("%s\t%s" % (html.unescape(name), pct))
PY
	info "no frames yet after $BUDGET ms of page time"
done
[ -s "$TMP/frames" ] || fail "no flame graph frames in the page"
"$PROWL" report --top 100000 "$TMP/cpu.pb.gz" | awk '
	/^top functions by total/ { on = 1; getline; next }
	on && NF >= 5 { print $5 "\t" $3 }' | tr -d '%' >"$TMP/report"
[ -s "$TMP/report" ] || fail "prowl report of the pprof file is empty"
# A function called from several places is a frame under each (the [kernel]
# leaf under hot_a and under hot_b): its total is the sum of its frames. The
# cpu sample has no recursion, so no frame of a function sits inside another.
awk -F'\t' '
	NR == FNR { pct[$1] = $2; next }
	{ shown[$1] += $2; n[$1]++ }
	END {
		for (f in pct) {
			if (!(f in shown)) { print "pprof shows no frame " f; bad = 1; continue }
			d = shown[f] - pct[f]; if (d < 0) d = -d
			# pprof rounds each frame to 0.01%: a sum of k frames is off by up to k * 0.005.
			if (d > 0.011 + 0.005 * (n[f] - 1)) { print f ": " shown[f] "% in pprof, " pct[f] "% in prowl"; bad = 1 }
		}
		exit bad
	}' "$TMP/report" "$TMP/frames" || fail "pprof's flame graph and prowl's report disagree"
for f in main run_workload hot_a hot_b hot_c; do
	grep -q "^$f	" "$TMP/frames" || fail "the flame graph does not show $f"
done
info "$(wc -l <"$TMP/report") functions agree"
shot "$URL" pprof-cpu-flamegraph
exit 0
