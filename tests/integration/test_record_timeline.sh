#!/bin/sh
# record to speedscope keeps each thread's samples in time order, across
# processes: `forker` runs the `cpu` sample as a child, so each thread's
# timeline is rooted at its own process's name (forker, cpu), holds as many
# samples as the summary says, and reads back to the same stacks as the
# counts (convert to folded).
. "$(dirname "$0")/../lib.sh"

"$PROWL" record -F 499 -o "$TMP/fk.json" -- "$SAMPLES/forker" 1 2>"$TMP/rec.err" || fail "record: $(cat "$TMP/rec.err")"
n=$(sed -n 's/^prowl record: \([0-9]*\) samples.*/\1/p' "$TMP/rec.err")
grep -q '^prowl record: time order kept in' "$TMP/rec.err" || fail "no time order in the summary: $(cat "$TMP/rec.err")"
python3 - "$TMP/fk.json" "$n" <<'PY' || fail "the timeline of forker is wrong"
import json, sys
d = json.load(open(sys.argv[1]))
names = [f["name"] for f in d["shared"]["frames"]]
period = d["prowl"]["period_ns"]
total = 0
roots = {}
for p in d["profiles"]:
    comm = p["name"].rsplit(" (", 1)[0]
    for s, w in zip(p["samples"], p["weights"]):
        if not s:
            continue  # time off the CPU
        roots.setdefault(comm, set()).add(names[s[0]])
        total += w // period
print("# roots per thread:", roots)
assert roots.get("cpu") == {"cpu"}, roots
assert roots.get("forker") == {"forker"}, roots
assert total == int(sys.argv[2]), (total, sys.argv[2])
PY
"$PROWL" convert "$TMP/fk.json" -o "$TMP/fk.folded" || fail "convert"
[ "$(folded_total "$TMP/fk.folded")" = "$n" ] || fail "folded holds $(folded_total "$TMP/fk.folded") samples, the summary $n"
grep -q '^cpu;.*run_workload;hot_' "$TMP/fk.folded" || fail "the child's work is not under cpu: $(cat "$TMP/fk.folded")"
grep -q '^forker;.*run_workload' "$TMP/fk.folded" && fail "the child's work is under forker: $(cat "$TMP/fk.folded")"
exit 0
