#!/bin/sh
# The SVG flame graph works in a real browser: headless Chromium loads it
# inside a page whose script clicks a frame (zoom), searches by regular
# expression, resets the zoom and hovers a frame, then writes what it saw
# into the page; we read that back from the dumped DOM. Also: valid XML,
# self-contained (no external references), --icicle, and a screenshot
# (kept in $PROWL_SHOT_DIR if set, to look at).
. "$(dirname "$0")/../lib.sh"
require_cmd chromium
require_cmd python3

DATA=$ROOT/tests/data/formats
"$PROWL" convert "$DATA/simple.folded" -o "$TMP/flame.svg" --title "test graph" || fail "convert to svg"
"$PROWL" convert "$DATA/simple.folded" -o "$TMP/icicle.svg" --icicle || fail "convert to icicle svg"

for f in flame icicle; do
	python3 - "$TMP/$f.svg" <<'PY' || fail "$f.svg is not valid, self-contained XML"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "{http://www.w3.org/2000/svg}svg", root.tag
text = open(sys.argv[1], encoding="utf-8").read()
for bad in ("http://", "https://", "xlink:href", "<image", "@import"):
    if bad in text.replace("http://www.w3.org/2000/svg", ""):
        raise SystemExit("external reference: " + bad)
PY
done
grep -q '>test graph<' "$TMP/flame.svg" || fail "--title not used"
grep -q '130 samples' "$TMP/flame.svg" || fail "subtitle lacks the sample count"

# A page that embeds the SVG inline and drives it like a user would.
page() { # SVG OUT
	{
		echo '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>'
		sed '1{/^<?xml/d}' "$1"
		cat <<'JS'
<script>
window.addEventListener("load", function () {
  var out = {};
  function ev(el, type) { el.dispatchEvent(new MouseEvent(type, { bubbles: true })); }
  try {
    var F = window.prowlFlame;
    out.total = F.total();
    var b = F.find("func_b"), other = F.find("other"), leaf = F.find("leaf_y");
    out.before = +b.r.getAttribute("width");
    ev(b.r, "click");
    out.zoomed = F.zoomed() && F.zoomed().name;
    out.b_width = +b.r.getAttribute("width");
    out.leaf_width = +leaf.r.getAttribute("width");
    out.other_hidden = other.g.classList.contains("hide");
    out.reset_shown = !document.getElementById("prowl-reset").classList.contains("hide");
    out.share = F.search("^func_a$");
    out.matched = document.getElementById("prowl-matched").textContent;
    out.magenta = F.frames.filter(function (f) { return f.r.getAttribute("fill") === "rgb(230,0,230)"; }).length;
    ev(document.getElementById("prowl-reset"), "click");
    out.after_reset = +b.r.getAttribute("width");
    out.other_back = !other.g.classList.contains("hide");
    ev(leaf.r, "mouseover");
    out.details = document.getElementById("prowl-details").textContent;
    F.search("func_[ab]");
  } catch (e) { out.error = String(e); }
  var pre = document.createElement("pre");
  pre.id = "result";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script></body></html>
JS
	} >"$2"
}

browse() { # HTML [extra args...]
	html=$1; shift
	timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$TMP/chrome" --virtual-time-budget=3000 "$@" "file://$html" 2>>"$TMP/chrome.log"
}

for f in flame icicle; do
	page "$TMP/$f.svg" "$TMP/$f.html"
	browse "$TMP/$f.html" --dump-dom >"$TMP/$f.dom" || fail "chromium failed: $(tail -n 3 "$TMP/chrome.log")"
	python3 - "$TMP/$f.dom" "$f" <<'PY' || fail "$f: browser checks failed"
import json, re, sys, html
dom = open(sys.argv[1], encoding="utf-8").read()
m = re.search(r'<pre id="result">(.*?)</pre>', dom, re.S)
assert m, "the page script did not report"
r = json.loads(html.unescape(m.group(1)))
print(sys.argv[2], r)
assert "error" not in r, r.get("error")
assert r["total"] == 130, r["total"]
# func_b holds 60 of 130 samples, so before zooming it is 60/130 of 1180 px.
assert abs(r["before"] - 1180 * 60 / 130) < 0.5, r["before"]
assert r["zoomed"] == "func_b"
assert abs(r["b_width"] - 1180) < 0.5, r["b_width"]           # zoomed frame fills the width
assert abs(r["leaf_width"] - 1180 * 50 / 60) < 0.5, r["leaf_width"]
assert r["other_hidden"] and r["reset_shown"]
# func_a: 40 samples under main plus 10 under func_b = 50 of 130.
assert abs(r["share"] - 100 * 50 / 130) < 0.05, r["share"]
assert "38.5%" in r["matched"], r["matched"]
assert r["magenta"] == 2, r["magenta"]
assert abs(r["after_reset"] - r["before"]) < 0.01 and r["other_back"]
assert "leaf_y" in r["details"] and "50 samples" in r["details"], r["details"]
PY
done

# A screenshot of the searched graph, to look at.
browse "$TMP/flame.html" --screenshot="$TMP/flame.png" --window-size=1200,500 >/dev/null ||
	fail "chromium screenshot failed"
[ -s "$TMP/flame.png" ] || fail "no screenshot"
if [ -n "${PROWL_SHOT_DIR:-}" ]; then cp "$TMP/flame.png" "$TMP/flame.svg" "$PROWL_SHOT_DIR/"; fi
exit 0
