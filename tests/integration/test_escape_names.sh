#!/bin/sh
# A target that names itself and its functions to attack the terminal (issue
# 12): its thread name holds an escape sequence and a newline followed by a
# fake "thread 1" line, its hot function's symbol an escape sequence, a newline
# with a fake dump line, a ';' and a byte that is not UTF-8. Whatever prowl
# prints or writes (dump, dump --json, record --report, report of every
# format, top --batch) holds no control byte but the format's own newlines
# and tabs, no forged line, valid UTF-8 everywhere, valid JSON and XML, and a
# folded file read back gives the same names as the recording's report.
. "$(dirname "$0")/../lib.sh"
require_ptrace
require_cmd python3
require_cmd objcopy

HELPER=$BUILD/tests/helpers/oddnames
[ -x "$HELPER" ] || fail "missing $HELPER (make it first)"
# The assembler cannot put a newline into a symbol; objcopy can.
WEIRD=$(printf 'weird\033[2Jname\nthread 1 "systemd" running;semi\377')
KEPT=$(printf 'caf\303\251_\346\227\245')
objcopy --redefine-sym "prowl_odd_placeholder_one=$WEIRD" --redefine-sym "prowl_odd_placeholder_two=$KEPT" \
	"$HELPER" "$TMP/odd" || fail "objcopy could not rename the helper's symbols"

# How each name must be shown on a terminal.
WEIRD_SHOWN='weird\x1b[2Jname\x0athread 1 "systemd" running;semi\xff'
THREAD_SHOWN='x\x1b[2J\x0athread 1'

bg "$TMP/odd" >"$TMP/odd.out"
P=$BG
i=0
until grep -q ready "$TMP/odd.out" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "the helper did not start: $(cat "$TMP/odd.out")"
	sleep 0.05
done
grep -q "$(printf '\033')" "/proc/$P/comm" || skip "the helper could not rename itself"

# Fails unless the file is UTF-8 with no control character (C0 but the
# allowed ones, DEL, C1) in it.
safe() { # FILE WHAT
	python3 - "$1" "$2" <<'PY' || fail "$2 is not safe for a terminal"
import sys
data = open(sys.argv[1], "rb").read()
try:
    text = data.decode("utf-8")
except UnicodeDecodeError as e:
    print("%s: not UTF-8: %s" % (sys.argv[2], e))
    sys.exit(1)
for i, c in enumerate(text):
    o = ord(c)
    if (o < 0x20 and c not in "\n\t") or 0x7f <= o < 0xa0:
        print("%s: control character U+%04X at %d: %r" % (sys.argv[2], o, i, text[max(0, i - 30):i + 30]))
        sys.exit(1)
PY
}

# prowl dump: one thread, its line and its frames as they are, no other line.
"$PROWL" dump -p "$P" >"$TMP/dump.txt" 2>"$TMP/dump.err" || fail "dump failed: $(cat "$TMP/dump.err")"
safe "$TMP/dump.txt" "dump"
grep -qF "thread $P \"$THREAD_SHOWN\" " "$TMP/dump.txt" || fail "dump: thread not shown escaped: $(grep '^thread' "$TMP/dump.txt")"
[ "$(grep -c '^thread ' "$TMP/dump.txt")" = 1 ] || fail "dump: a forged thread line: $(grep '^thread' "$TMP/dump.txt")"
grep -vqE '^(process [0-9]+ |thread [0-9]+ "|  #[0-9]+ +0x[0-9a-f]+ |  \(|$)' "$TMP/dump.txt" &&
	fail "dump: a line that is no dump line: $(grep -vE '^(process [0-9]+ |thread [0-9]+ "|  #[0-9]+ +0x[0-9a-f]+ |  \(|$)' "$TMP/dump.txt")"
grep -qF "$WEIRD_SHOWN (odd)" "$TMP/dump.txt" || grep -qF "caf" "$TMP/dump.txt" ||
	fail "dump: neither spinning function on the stack: $(cat "$TMP/dump.txt")"

"$PROWL" dump --json -p "$P" >"$TMP/dump.json" || fail "dump --json failed"
safe "$TMP/dump.json" "dump --json"
python3 - "$TMP/dump.json" "$P" <<'PY' || fail "dump --json: names not kept"
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
t = [t for t in d["threads"] if t["tid"] == int(sys.argv[2])]
assert len(t) == 1 and t[0]["name"] == "x\x1b[2J\nthread 1", t
names = [f["function"] for f in t[0]["frames"]]
assert 'weird\x1b[2Jname\nthread 1 "systemd" running;semi\ufffd' in names or "caf\u00e9_\u65e5" in names, names
PY

# record --report: the report on stdout, and the folded file.
"$PROWL" record -p "$P" -d 1 --threads --report -o "$TMP/r.folded" >"$TMP/rec.txt" 2>"$TMP/rec.err" ||
	fail "record failed: $(cat "$TMP/rec.err")"
safe "$TMP/rec.txt" "record --report"
safe "$TMP/rec.err" "record's messages"
report_lines='^(prowl report: |top functions by (self|total)$|  self%  |note: | *[0-9]+\.[0-9]+% +[0-9]+ +[0-9]+\.[0-9]+% +[0-9]+  |$)'
check_report() { # FILE WHAT
	safe "$1" "$2"
	grep -vqE "$report_lines" "$1" && fail "$2: a line that is no report line: $(grep -vE "$report_lines" "$1")"
	grep -qF "  $WEIRD_SHOWN " "$1" || fail "$2: the weird function is not shown escaped: $(cat "$1")"
	grep -qF "  $KEPT " "$1" || fail "$2: the UTF-8 name was not kept as it is: $(cat "$1")"
}
check_report "$TMP/rec.txt" "record --report"
# Its self count, to compare with what each file says.
self_of() { grep -F "  $WEIRD_SHOWN " "$1" | head -1 | awk '{ print $2 }'; }
SELF=$(self_of "$TMP/rec.txt")
[ "${SELF:-0}" -gt 0 ] || fail "record --report: no samples in the weird function"

safe "$TMP/r.folded" "folded"
grep -vqE '^[^ ].* [0-9]+$' "$TMP/r.folded" && fail "folded: a line without a count: $(grep -vE '^[^ ].* [0-9]+$' "$TMP/r.folded")"
grep -qF "$THREAD_SHOWN ($P);" "$TMP/r.folded" || fail "folded: thread root not escaped: $(head -3 "$TMP/r.folded")"
grep -qF ';weird\x1b[2Jname\x0athread 1 "systemd" running\x3bsemi\xff ' "$TMP/r.folded" ||
	fail "folded: the weird frame is not one escaped frame: $(cat "$TMP/r.folded")"
"$PROWL" report "$TMP/r.folded" >"$TMP/rep.folded.txt" || fail "report of the folded file failed"
check_report "$TMP/rep.folded.txt" "report of folded"
[ "$(self_of "$TMP/rep.folded.txt")" = "$SELF" ] ||
	fail "folded read back: weird self $(self_of "$TMP/rep.folded.txt"), the recording said $SELF"
# The reader takes what the writer wrote: written again, the same bytes.
"$PROWL" convert "$TMP/r.folded" -o - >"$TMP/again.folded" || fail "convert of the folded file failed"
cmp -s "$TMP/r.folded" "$TMP/again.folded" || fail "folded read and written again differs: $(diff "$TMP/r.folded" "$TMP/again.folded")"

# SVG: valid XML, the names in the titles as text shows them.
"$PROWL" record -p "$P" -d 1 --threads -o "$TMP/r.svg" 2>"$TMP/svg.err" || fail "record -o svg failed: $(cat "$TMP/svg.err")"
safe "$TMP/r.svg" "svg"
python3 - "$TMP/r.svg" "$WEIRD_SHOWN" "$THREAD_SHOWN" <<'PY' || fail "svg: not valid XML or names missing"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
titles = [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}title")]
first = [t.split("\n")[0] for t in titles]
assert sys.argv[2] in first, first
assert any(f.startswith(sys.argv[3] + " (") for f in first), first
assert "caf\u00e9_\u65e5" in first, first
PY

# speedscope: valid JSON whose strings decode to the names (invalid bytes as U+FFFD).
"$PROWL" record -p "$P" -d 1 -o "$TMP/r.json" 2>"$TMP/json.err" || fail "record -o json failed: $(cat "$TMP/json.err")"
safe "$TMP/r.json" "speedscope"
python3 -m json.tool "$TMP/r.json" >/dev/null || fail "speedscope: not valid JSON"
python3 - "$TMP/r.json" <<'PY' || fail "speedscope: names not kept"
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
names = [f["name"] for f in d["shared"]["frames"]]
assert 'weird\x1b[2Jname\nthread 1 "systemd" running;semi\ufffd' in names, names
assert "caf\u00e9_\u65e5" in names, names
assert any(p["name"].startswith("x\x1b[2J\nthread 1 (") for p in d["profiles"]), [p["name"] for p in d["profiles"]]
PY
"$PROWL" report "$TMP/r.json" >"$TMP/rep.json.txt" || fail "report of the speedscope file failed"
safe "$TMP/rep.json.txt" "report of speedscope"
grep -vqE "$report_lines" "$TMP/rep.json.txt" && fail "report of speedscope: a forged line: $(grep -vE "$report_lines" "$TMP/rep.json.txt")"
grep -qF "  $(printf 'weird\\x1b[2Jname\\x0athread 1 "systemd" running;semi\357\277\275') " "$TMP/rep.json.txt" ||
	fail "report of speedscope: weird function not shown: $(cat "$TMP/rep.json.txt")"

# pprof: strings are valid UTF-8 with no control byte (as text shows them).
"$PROWL" record -p "$P" -d 1 -o "$TMP/r.pb.gz" 2>"$TMP/pb.err" || fail "record -o pprof failed: $(cat "$TMP/pb.err")"
python3 - "$TMP/r.pb.gz" <<'PY' || fail "pprof: a string is not valid UTF-8 or holds a control byte"
import gzip, sys
b = gzip.open(sys.argv[1]).read()
def varint(b, i):
    v = s = 0
    while True:
        c = b[i]; i += 1; v |= (c & 0x7f) << s; s += 7
        if c < 0x80: return v, i
i, strings = 0, []
while i < len(b):
    key, i = varint(b, i)
    f, w = key >> 3, key & 7
    if w == 0: _, i = varint(b, i)
    elif w == 1: i += 8
    elif w == 5: i += 4
    elif w == 2:
        n, i = varint(b, i)
        if f == 6: strings.append(b[i:i + n])
        i += n
    else: sys.exit("bad wire type %d" % w)
for s in strings:
    t = s.decode("utf-8")
    assert not any(ord(c) < 0x20 or 0x7f <= ord(c) < 0xa0 for c in t), t
assert b'weird\\x1b[2Jname\\x0athread 1 "systemd" running;semi\\xff' in strings, strings
PY
"$PROWL" report "$TMP/r.pb.gz" >"$TMP/rep.pb.txt" || fail "report of the pprof file failed"
check_report "$TMP/rep.pb.txt" "report of pprof"
if command -v go >/dev/null 2>&1; then
	(cd "$TMP" && HOME=$TMP GOPATH=$TMP/go GOCACHE=$TMP/go/cache GOFLAGS= GOTOOLCHAIN=local PPROF_TMPDIR=$TMP \
		go tool pprof -symbolize=none -top "$TMP/r.pb.gz") >"$TMP/gotop.txt" 2>&1 ||
		fail "go tool pprof cannot read it: $(cat "$TMP/gotop.txt")"
	safe "$TMP/gotop.txt" "go tool pprof -top"
	grep -qF "$WEIRD_SHOWN" "$TMP/gotop.txt" || fail "go tool pprof -top: no weird function: $(cat "$TMP/gotop.txt")"
fi

# top --batch: the live view's text.
"$PROWL" top -p "$P" --batch -n 1 --delay 1 >"$TMP/top.txt" 2>"$TMP/top.err" || fail "top --batch failed: $(cat "$TMP/top.err")"
safe "$TMP/top.txt" "top --batch"
grep -qF 'weird\x1b[2Jname\x0athread 1 "systemd" running;semi\xff' "$TMP/top.txt" ||
	fail "top --batch: the weird function is not shown escaped: $(cat "$TMP/top.txt")"
grep -qE '^thread 1' "$TMP/top.txt" && fail "top --batch: a forged line"

# addr2line: names come from the file it is given, as untrusted as a target's.
addr=$(nm "$TMP/odd" | awk '/ weird/ { print $1; exit }')
[ -n "$addr" ] || fail "nm does not list the weird symbol of $TMP/odd"
"$PROWL" addr2line -f -e "$TMP/odd" "0x$addr" >"$TMP/a2l.txt" 2>"$TMP/a2l.err" || fail "addr2line failed: $(cat "$TMP/a2l.err")"
safe "$TMP/a2l.txt" "addr2line"
grep -qF "$WEIRD_SHOWN" "$TMP/a2l.txt" || fail "addr2line: the weird function is not shown escaped: $(cat "$TMP/a2l.txt")"
[ "$(wc -l <"$TMP/a2l.txt")" = 2 ] || fail "addr2line: a forged line: $(cat "$TMP/a2l.txt")"
exit 0
