#!/bin/sh
# prowl dump takes the capture options that make sense for one look (-p,
# --thread, --max-depth) and refuses the others as usage errors; a thread
# whose name holds control bytes and bytes that are not UTF-8 is shown
# escaped in text and as valid JSON.
. "$(dirname "$0")/../lib.sh"
require_ptrace
require_cmd python3

bg "$SAMPLES/sleepy" 60
T=$BG
wait_threads "$T" 3 || fail "sleepy did not start its threads"
wait_thread_names "$T" reader locker || fail "sleepy's threads did not name themselves"

# --thread: only the threads whose name matches (the same option as record's).
"$PROWL" dump -p "$T" --thread '^read' >"$TMP/r.txt" 2>"$TMP/r.err" || fail "dump --thread failed: $(cat "$TMP/r.err")"
[ "$(grep -c '^thread ' "$TMP/r.txt")" = 1 ] || fail "--thread ^read kept $(grep -c '^thread ' "$TMP/r.txt") threads"
grep -qE '^thread [0-9]+ "reader" ' "$TMP/r.txt" || fail "--thread ^read did not keep the reader"
grep -q ' do_read ' "$TMP/r.txt" || fail "the reader's stack is missing"
"$PROWL" dump -p "$T" --thread 'nothing-matches' >"$TMP/n.txt" || fail "dump with no thread matching failed"
grep -q '^thread ' "$TMP/n.txt" && fail "a thread was shown though none matches"

# --max-depth: stacks cut and said so.
"$PROWL" dump -p "$T" --thread '^read' --max-depth 2 >"$TMP/d.txt" || fail "dump --max-depth failed"
[ "$(grep -c '^  #' "$TMP/d.txt")" -le 4 ] || fail "--max-depth 2 kept $(grep -c '^  #' "$TMP/d.txt") frame lines"
grep -q 'stack incomplete: too deep' "$TMP/d.txt" || fail "--max-depth 2 did not say the stack was cut"

# Options that do not apply to a single look, and a second pid: usage errors, named.
for opt in "-F 99" "-d 1" "--kernel" "--children" "--mode wall" "--backend perf" "--unwind fp" "--stack-size 8k"; do
	# shellcheck disable=SC2086
	"$PROWL" dump -p "$T" $opt >/dev/null 2>"$TMP/o.err"; rc=$?
	[ $rc = 64 ] || fail "dump $opt: exit $rc (want 64)"
	grep -q 'does not apply to a dump' "$TMP/o.err" || fail "dump $opt: $(cat "$TMP/o.err")"
done
"$PROWL" dump -p "$T" -p "$T" 2>"$TMP/o.err"; [ $? = 64 ] || fail "two pids: not a usage error"
"$PROWL" dump -p "$T" -- true 2>"$TMP/o.err"; [ $? = 64 ] || fail "a command: not a usage error"

# A thread name with a control byte and an invalid byte: only a process can
# rename itself, so a python3 that does (prctl PR_SET_NAME) and sleeps.
bg python3 -c 'import ctypes, time
ctypes.CDLL(None).prctl(15, b"x\x01y\xffz", 0, 0, 0)
time.sleep(60)'
O=$BG
renamed() { python3 -c 'import sys; sys.exit(b"\x01" not in open(sys.argv[1], "rb").read())' "/proc/$O/comm" 2>/dev/null; }
i=0
while [ $i -lt 100 ] && ! renamed; do sleep 0.05; i=$((i + 1)); done
renamed || fail "python3 could not rename itself"
"$PROWL" dump -p "$O" >"$TMP/u.txt" || fail "dump failed on the odd name"
grep -qF 'thread '"$O"' "x\x01y\xffz" ' "$TMP/u.txt" || fail "name not escaped: $(grep "^thread $O" "$TMP/u.txt")"
python3 -c 'import sys; open(sys.argv[1], "rb").read().decode("utf-8")' "$TMP/u.txt" || fail "text is not UTF-8"
"$PROWL" dump --json -p "$O" >"$TMP/u.json" || fail "dump --json failed on the odd name"
python3 - "$TMP/u.json" "$O" <<'PY' || fail "bad JSON for the odd name"
import json, sys
d = json.loads(open(sys.argv[1], "rb").read().decode("utf-8"))
names = {t["tid"]: t["name"] for t in d["threads"]}
assert names[int(sys.argv[2])] == "x\x01y\ufffdz", names
PY
exit 0
