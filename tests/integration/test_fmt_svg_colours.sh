#!/bin/sh
# SVG colours say program or library by module, the same in every process
# (issue 13): a recording of two programs side by side, samples/bin/cpu and
# a C compile (gcc's cc1 lives under /usr/lib/gcc, a program all the same).
# Parsed from the SVG: every frame of a program's own executable (cpu, cc1,
# as) is of one hue family, every frame of the C library of another, in
# every process's subtree; one function has one colour wherever it appears;
# the tooltip names the module and its kind; the legend has both keys.
. "$(dirname "$0")/../lib.sh"
require_perf
require_cmd python3
require_cmd gcc

python3 - "$TMP/big.c" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(150):
        f.write("int f%d(int *a, int n) { int s = 0; for (int i = 0; i < n; i++) { s += a[i] * %d; "
                "if (s > %d) s ^= a[(i * 7) %% n]; } return s; }\n" % (i, i, i * 13))
PY
"$PROWL" record -o "$TMP/g.svg" -- sh -c "'$SAMPLES/cpu' 2 & gcc -O2 -c '$TMP/big.c' -o '$TMP/big.o'; wait" \
	2>"$TMP/err" || fail "record failed: $(cat "$TMP/err")"
cat "$TMP/err"

python3 - "$TMP/g.svg" <<'PY' || fail "colours do not follow the module"
import colorsys, re, sys, xml.etree.ElementTree as ET
NS = "{http://www.w3.org/2000/svg}"
root = ET.parse(sys.argv[1]).getroot()
base, fh = float(root.get("data-base")), float(root.get("data-fh"))
frames = []
for g in root.iter(NS + "g"):
    if g.get("class") != "f":
        continue
    title = g.find(NS + "title").text.split("\n")
    rect = g.find(NS + "rect")
    m = re.match(r"rgb\((\d+),(\d+),(\d+)\)", rect.get("fill"))
    r, gg, b = (int(v) / 255 for v in m.groups())
    h, s, v = colorsys.rgb_to_hsv(r, gg, b)
    mod = kind = inl = None
    for line in title[1:]:
        mm = re.match(r"in (.*) \((program|library|kernel)(, inlined)?\)$", line)
        if mm:
            mod, kind, inl = mm.groups()
    x, w = float(rect.get("x")), float(rect.get("width"))
    depth = round((base - float(rect.get("y"))) / fh)
    frames.append(dict(name=title[0], fill=rect.get("fill"), hue=h * 360, sat=s, mod=mod, kind=kind, x=x, w=w,
                       depth=depth, inlined=bool(inl)))
roots = [f for f in frames if f["depth"] == 1]
def process_of(f):
    for r in roots:
        if r["x"] - 0.01 <= f["x"] and f["x"] + f["w"] <= r["x"] + r["w"] + 0.01:
            return r["name"]
    return "?"
for f in frames:
    f["proc"] = process_of(f)
print("processes:", sorted({r["name"] for r in roots}))
exe = [f for f in frames if f["mod"] in ("cpu", "cc1") or (f["mod"] or "").endswith("-as")]
libc = [f for f in frames if (f["mod"] or "").startswith("libc.so")]
by_mod = {}
for f in exe + libc:
    by_mod.setdefault((f["mod"], f["proc"]), []).append(f["hue"])
for k, v in sorted(by_mod.items()):
    print("%-40s %4d frames, hue %.0f-%.0f" % ("%s in %s" % k, len(v), min(v), max(v)))
procs_exe = {f["proc"] for f in exe}
mods_exe = {f["mod"] for f in exe}
assert "cpu" in mods_exe and "cc1" in mods_exe, "no frames of both executables: %s" % mods_exe
assert len({f["proc"] for f in libc}) >= 2, "libc frames in fewer than two processes"
# The tooltip's kind: executables are programs, libc a library.
bad = [f for f in exe if f["kind"] != "program"] + [f for f in libc if f["kind"] != "library"]
assert not bad, "wrong kind in tooltips: %s" % [(f["name"], f["mod"], f["kind"]) for f in bad[:5]]
# One hue family each (a band of 36 degrees on the colour circle: the palette
# varies a shade by about 30), and the
# two apart. Inlined frames are lighter shades of the same hue.
def band(fs):
    ref = fs[0]["hue"]
    d = [((f["hue"] - ref + 180) % 360) - 180 for f in fs]
    return (ref + min(d)) % 360, max(d) - min(d), ref + (min(d) + max(d)) / 2
pe, pl = band(exe), band(libc)
print("program hues from %.0f over %.0f degrees, library hues from %.0f over %.0f degrees" % (pe[0], pe[1], pl[0], pl[1]))
assert pe[1] <= 36, "executable frames span %.0f degrees of hue" % pe[1]
assert pl[1] <= 36, "libc frames span %.0f degrees of hue" % pl[1]
gap = abs(((pe[2] - pl[2] + 180) % 360) - 180)
assert gap - (pe[1] + pl[1]) / 2 >= 20, "program and library hues are too close: %.0f degrees apart" % gap
# One function, one colour (its inlined copies one lighter colour), whichever
# process it ran in; an inlined copy is of the same hue, lighter.
fills = {}
for f in exe + libc:
    fills.setdefault((f["mod"], f["name"], f["inlined"]), set()).add(f["fill"])
for f in exe + libc:
    if f["inlined"]:
        real = [g for g in exe + libc if g["name"] == f["name"] and g["mod"] == f["mod"] and not g["inlined"]]
        for g in real[:1]:
            assert g["sat"] > f["sat"], "inlined %s is not lighter than its real frame" % f["name"]
mixed = {k: v for k, v in fills.items() if len(v) > 1}
assert not mixed, "a function with several colours: %s" % list(mixed.items())[:3]
shared = [k for k in fills if k[0].startswith("libc.so") and not k[2] and
          len({f["proc"] for f in libc if f["name"] == k[1]}) > 1]
assert shared, "no libc function seen in two processes"
print("libc functions in two or more processes, one colour each:", len(shared))
text = open(sys.argv[1], encoding="utf-8").read()
assert ">program</text>" in text and ">libraries</text>" in text, "legend lacks program/libraries"
PY
exit 0
