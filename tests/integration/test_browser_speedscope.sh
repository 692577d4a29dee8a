#!/bin/sh
# prowl's files in speedscope, the app as its npm package ships it, served on
# 127.0.0.1 and driven by headless Chromium. A recording of the `cpu` sample
# is loaded three ways: its speedscope JSON, its collapsed stacks, and perf
# script text; the test reads the function names and weights speedscope's
# sandwich table shows (DOM) and holds them against `prowl report` of the
# same file: the same functions, and the weights (times: samples x period;
# collapsed: the counts; perf script, which speedscope weighs by the time
# between samples: the same shares, within sampling noise). The timeline: a
# program that runs three phases in turn shows them in that order in the
# time-ordered samples of its JSON (first and last frames, and no going
# back). Screenshots of each view are kept in build/test-logs/browser.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/browser/lib.sh"
require_cmd chromium
require_cmd python3
require_speedscope

WWW=$TMP/www
mkdir -p "$WWW"
ln -s "$SPEEDSCOPE" "$WWW/speedscope"

"$PROWL" record -F 499 -o "$WWW/cpu.json" -- "$SAMPLES/cpu" 1.5 2>"$TMP/rec.err" ||
	fail "record cpu: $(cat "$TMP/rec.err")"
grep -q 'time order kept in .* bytes a sample' "$TMP/rec.err" ||
	fail "the summary does not say what the time order costs: $(cat "$TMP/rec.err")"
# The collapsed stacks of the same recording.
"$PROWL" convert "$WWW/cpu.json" -o "$WWW/cpu.folded" || fail "convert to folded"
"$PROWL" record -F 499 -o "$WWW/cpu.perf-script" -- "$SAMPLES/cpu" 1.5 2>"$TMP/rec2.err" ||
	fail "record to perf script: $(cat "$TMP/rec2.err")"

serve "$WWW"
info "speedscope at $URL/speedscope/"

# report FILE: function, self, total (samples) of prowl's own report.
report() {
	"$PROWL" report --top 100000 "$1" | awk '
		/^top functions by total/ { on = 1; getline; next }
		on && NF >= 5 { print $5 "\t" $2 "\t" $4 }'
}

# sandwich FILE: the table speedscope shows for it.
# On a loaded machine the page may be dumped before the profile is drawn:
# then again, with more time.
sandwich() {
	for BUDGET in 8000 20000 40000; do
		browse "$URL/speedscope/index.html#profileURL=/$1&view=sandwich" --dump-dom >"$TMP/$1.dom" ||
			fail "chromium failed on $1: $(tail -n 3 "$TMP/chrome.log")"
		python3 "$ROOT/tests/browser/sandwich.py" <"$TMP/$1.dom" >"$TMP/$1.rows" 2>"$TMP/$1.err" && return 0
		info "$1: no table yet after ${BUDGET} ms of page time"
	done
	fail "speedscope shows no table for $1 (it did not load it?): $(cat "$TMP/$1.err")"
}

# compare FILE SCALE: every function of the report is in the table, with
# total and self = samples x SCALE, to the digit shown; and nothing more.
# (The [kernel] leaf of time in the kernel is [kernel]_[k] in the files.)
compare() {
	report "$WWW/$1" >"$TMP/$1.report"
	[ -s "$TMP/$1.report" ] || fail "prowl report of $1 is empty"
	awk -F'\t' -v scale="$2" -v what="$1" '
		NR == FNR { total[$1] = $3; self[$1] = $2; n++; next }
		{
			# The file marks a kernel/JIT/inlined frame by a suffix, as
			# collapsed stacks do; speedscope shows it, report a column.
			sub(/_\[[kji]\]$/, "", $1)
			seen[$1] = 1
			if (!($1 in total)) { print what ": speedscope shows " $1 ", prowl does not"; bad = 1; next }
			if ((d = $2 - total[$1] * scale) < 0) d = -d
			if (d > $3 + 1e-6 * $2) { print what ": " $1 " total " $2 " in speedscope, " total[$1] " x " scale " in prowl"; bad = 1 }
			if ((d = $4 - self[$1] * scale) < 0) d = -d
			if (d > $5 + 1e-6 * $4) { print what ": " $1 " self " $4 " in speedscope, " self[$1] " x " scale " in prowl"; bad = 1 }
			rows++
		}
		END {
			for (f in total) if (!(f in seen)) { print what ": prowl has " f ", speedscope does not"; bad = 1 }
			if (rows < 3) { print what ": only " rows " rows"; bad = 1 }
			exit bad
		}' "$TMP/$1.report" "$TMP/$1.rows" || fail "speedscope and prowl disagree on $1"
	info "$1: $(wc -l <"$TMP/$1.rows") functions agree"
}

period=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["prowl"]["period_ns"])' "$WWW/cpu.json")
[ "$period" -gt 0 ] || fail "no period in cpu.json"
sandwich cpu.json
compare cpu.json "$period"
grep -q '^hot_a	' "$TMP/cpu.json.rows" || fail "hot_a is not in speedscope's table"
sandwich cpu.folded
compare cpu.folded 1

# perf script: speedscope weighs a sample by the time to its neighbours,
# so the shares of the three leaves (60/30/10 by construction) are compared,
# within 4 binomial sigmas of the sample count and 3 points.
sandwich cpu.perf-script
report "$WWW/cpu.perf-script" >"$TMP/ps.report"
n=$(awk -F'\t' '$1 ~ /^hot_/ { s += $2 } END { print s + 0 }' "$TMP/ps.report")
at_least "$n" 100 || fail "too few samples of the hot functions in cpu.perf-script: $n"
for f in hot_a hot_b hot_c; do
	mine=$(awk -F'\t' -v f=$f -v n="$n" '$1 == f { print $2 / n }' "$TMP/ps.report")
	theirs=$(awk -F'\t' -v f=$f '$1 ~ /^hot_/ { s += $4 } $1 == f { v = $4 } END { print v / s }' "$TMP/cpu.perf-script.rows")
	tol=$(awk -v p="$mine" -v n="$n" 'BEGIN { print 4 * sqrt(p * (1 - p) / n) + 0.03 }')
	within "$mine" "$theirs" "$tol" || fail "$f: share $theirs in speedscope, $mine in prowl (n=$n)"
done
# Every other function prowl names is there too (the process name root aside).
awk -F'\t' 'NR == FNR { s[$1] = 1; next } $1 != "cpu" && !($1 in s) { print $1; bad = 1 } END { exit bad }' \
	"$TMP/cpu.perf-script.rows" "$TMP/ps.report" >"$TMP/missing" ||
	fail "speedscope's import of the perf script lacks: $(cat "$TMP/missing")"
info "cpu.perf-script: shares agree (n=$n)"

# The timeline: three phases, in the order the program runs them.
"$PROWL" record -F 499 -o "$WWW/phases.json" -- "$BUILD/tests/helpers/phases" 0.9 2>"$TMP/rec3.err" ||
	fail "record phases: $(cat "$TMP/rec3.err")"
python3 - "$WWW/phases.json" <<'PY' || fail "the timeline of phases is out of order"
import json, sys
d = json.load(open(sys.argv[1]))
names = [f["name"] for f in d["shared"]["frames"]]
prof = max(d["profiles"], key=lambda p: len(p["samples"]))
seen = []
for stack in prof["samples"]:
    ph = [names[i] for i in stack if names[i].startswith("phase_")]
    if ph and (not seen or seen[-1] != ph[-1]):
        seen.append(ph[-1])
print("# phases in time order:", " ".join(seen))
assert seen and seen[0] == "phase_one", "first: %s" % seen[:1]
assert seen[-1] == "phase_three", "last: %s" % seen[-1:]
assert seen == ["phase_one", "phase_two", "phase_three"], seen
PY

shot "$URL/speedscope/index.html#profileURL=/phases.json&view=time-ordered" speedscope-phases-timeline
shot "$URL/speedscope/index.html#profileURL=/cpu.json&view=sandwich" speedscope-cpu-sandwich
shot "$URL/speedscope/index.html#profileURL=/cpu.perf-script&view=time-ordered" speedscope-cpu-perf-script
exit 0
