#!/bin/sh
# prowl diff puts a known regression in red: AFTER spends 90 samples in
# compute;inner where BEFORE spent 30 (of 160 and 100 in all), the rest is
# unchanged in samples, so its share shrank. The differential flame graph
# takes widths from AFTER, colours inner red and the shrunk frames blue; the
# text form lists inner first with +26.25 points; difffolded has both counts.
. "$(dirname "$0")/../lib.sh"
require_cmd python3
D=$ROOT/tests/data/formats

"$PROWL" diff "$D/before.folded" "$D/after.folded" -o "$TMP/diff.svg" || fail "diff to svg"
python3 - "$TMP/diff.svg" <<'PY' || fail "differential flame graph checks failed"
import sys, re, xml.etree.ElementTree as ET
NS = "{http://www.w3.org/2000/svg}"
root = ET.parse(sys.argv[1]).getroot()
frames = {}
for g in root.iter(NS + "g"):
    if g.get("class") != "f":
        continue
    title = g.find(NS + "title").text
    rect = g.find(NS + "rect")
    r, gr, b = map(int, re.match(r"rgb\((\d+),(\d+),(\d+)\)", rect.get("fill")).groups())
    frames[title.split("\n")[0]] = (float(rect.get("width")), (r, gr, b), title)
w, (r, g, b), title = frames["inner"]
assert r == 255 and g < 100 and b < 100, ("inner is not red", r, g, b)
assert abs(w - 1180 * 90 / 160) < 0.5, ("widths are not from AFTER", w)
assert "before 30.00%, after 56.25% (+26.25)" in title, title
for name in ("parse", "write"):
    w, (r, g, b), title = frames[name]
    assert b == 255 and r < 255 and g < 255, (name, "is not blue", r, g, b)
# compute's own samples: 10 of 100 -> 10 of 160, a smaller drop: paler blue.
w, (r, g, b), title = frames["compute"]
assert b == 255 and r > 200, ("compute should be pale blue", r, g, b)
w, (r, g, b), title = frames["all"]
assert abs(w - 1180) < 0.5
print("ok")
PY

"$PROWL" diff "$D/before.folded" "$D/after.folded" -o "$TMP/diff.txt" || fail "diff to text"
row=$(grep -A2 'self share changed most' "$TMP/diff.txt" | sed -n 3p)
echo "$row" | grep -q '30.00%   56.25%   +26.25         30         90  inner' || fail "first row of the text diff: $row"
"$PROWL" diff "$D/before.folded" "$D/after.folded" >"$TMP/stdout.txt" || fail "diff to stdout"
cmp -s "$TMP/stdout.txt" "$TMP/diff.txt" || fail "diff to stdout differs from -o diff.txt"
"$PROWL" diff "$D/before.folded" "$D/after.folded" -f folded -o "$TMP/diff.folded" || fail "difffolded"
grep -qx 'app;main;compute;inner 30 90' "$TMP/diff.folded" || fail "difffolded: $(cat "$TMP/diff.folded")"

# The same diff from a pprof BEFORE and a speedscope AFTER.
"$PROWL" convert "$D/before.folded" -o "$TMP/before.pb.gz" || fail "convert before"
"$PROWL" convert "$D/after.folded" -o "$TMP/after.json" || fail "convert after"
"$PROWL" diff "$TMP/before.pb.gz" "$TMP/after.json" -o "$TMP/diff2.txt" || fail "diff across formats"
cmp -s "$TMP/diff2.txt" "$TMP/diff.txt" || { diff "$TMP/diff.txt" "$TMP/diff2.txt"; fail "diff across formats differs"; }
exit 0
