#!/bin/sh
# Every perf script input of the corpus converts to speedscope JSON that is
# valid against speedscope's published schema, with every frame index in
# range, as many weights as samples, one sampled profile per thread (as many
# as the distinct threads of the --tid conversion) and the same sample total.
# Units follow the input (issue 13): an input with cpu-clock periods
# (perf-dd-stacks-01) gives weights in nanoseconds, the samples times the
# period; the others count samples ("none").
. "$(dirname "$0")/../lib.sh"
require_cmd python3
python3 -c 'import jsonschema' 2>/dev/null || skip "python3-jsonschema is not installed (run: sh scripts/setup-deps.sh test)"
CORPUS=${PROWL_CORPUS:-$ROOT/../shared/corpus}
SCHEMA=$CORPUS/speedscope/file-format-schema.json
[ -f "$SCHEMA" ] || skip "speedscope schema not found at $SCHEMA (set PROWL_CORPUS)"

n=0
for in in "$CORPUS"/perf-script/*.txt "$ROOT/tests/data/formats/simple.folded"; do
	base=$(basename "$in")
	"$PROWL" convert --tid "$in" -o "$TMP/p.json" || fail "convert $base to speedscope"
	"$PROWL" convert --tid "$in" -o "$TMP/p.folded" || fail "convert $base to folded"
	threads=$(awk '{ split($1, a, ";"); r = a[1]; sub(/.*-/, "", r); t[r] = 1 } END { n = 0; for (k in t) n++; print n }' "$TMP/p.folded")
	case "$base" in *.folded) threads=1 ;; esac
	total=$(folded_total "$TMP/p.folded")
	unit=none
	case "$base" in perf-dd-stacks-01.txt) unit=nanoseconds ;; esac
	python3 - "$TMP/p.json" "$SCHEMA" "$threads" "$total" "$unit" <<'PY' || fail "$base: speedscope checks failed"
import json, sys, jsonschema
doc = json.load(open(sys.argv[1], encoding="utf-8"))
jsonschema.validate(doc, json.load(open(sys.argv[2])))
assert doc["$schema"] == "https://www.speedscope.app/file-format-schema.json"
frames = doc["shared"]["frames"]
profiles = doc["profiles"]
assert len(profiles) == int(sys.argv[3]), (len(profiles), sys.argv[3])
total = 0
for p in profiles:
    assert p["type"] == "sampled"
    assert len(p["samples"]) == len(p["weights"]), p["name"]
    for s in p["samples"]:
        assert s and all(isinstance(i, int) and 0 <= i < len(frames) for i in s), s
    assert p["endValue"] - p["startValue"] == sum(p["weights"])
    total += sum(p["weights"])
    assert p["unit"] == sys.argv[5], (p["unit"], sys.argv[5])
if sys.argv[5] == "nanoseconds":
    period = doc["prowl"]["period_ns"]
    assert period > 0 and total % period == 0, (total, period)
    total //= period
assert total == int(sys.argv[4]), (total, sys.argv[4])
assert 0 <= doc["activeProfileIndex"] < len(profiles)
PY
	n=$((n + 1))
done
info "$n conversions valid"
exit 0
