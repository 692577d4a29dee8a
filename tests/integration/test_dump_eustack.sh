#!/bin/sh
# prowl dump shows the same frames as eu-stack -i -s on a process whose
# threads wait in known functions (samples/bin/sleepy: main in do_sleep or
# do_compute, reader in do_read, locker in do_lock), leaves it running and
# untraced; --json is valid JSON with the same threads (a line number only
# beside a file); a stopped process is dumped, labelled stopped (not traced)
# and stays stopped.
. "$(dirname "$0")/../lib.sh"
require_ptrace
require_cmd eu-stack
require_cmd python3

bg "$SAMPLES/sleepy" 60
T=$BG
wait_threads "$T" 3 || fail "sleepy did not start its threads"
wait_thread_names "$T" reader locker || fail "sleepy's threads did not name themselves"

# Function names per thread, one "TID fn fn fn..." line each, from both tools.
prowl_funcs() {
	awk '/^thread / { if (t) print t, f; t = $2; f = ""; next }
	     /^  #/ { f = f " " $3 }
	     END { if (t) print t, f }' "$1"
}
eustack_funcs() {
	awk '/^TID / { if (t) print t, f; t = $2; sub(":", "", t); f = ""; next }
	     /^#[0-9]/ { f = f " " ($3 == "" ? "?" : $3) }
	     END { if (t) print t, f }' "$1"
}

same=0
for attempt in 1 2 3; do
	# main alternates between do_compute and do_sleep: compare when both saw the same.
	"$PROWL" dump -p "$T" >"$TMP/dump.txt" 2>"$TMP/dump.err" || fail "prowl dump failed: $(cat "$TMP/dump.err")"
	eu-stack -p "$T" -i -s >"$TMP/eu.txt" 2>"$TMP/eu.err" || fail "eu-stack failed: $(cat "$TMP/eu.err")"
	prowl_funcs "$TMP/dump.txt" | sed 's/  */ /g' | sort >"$TMP/p.funcs"
	eustack_funcs "$TMP/eu.txt" | sed 's/  */ /g' | sort >"$TMP/e.funcs"
	if cmp -s "$TMP/p.funcs" "$TMP/e.funcs"; then same=1; break; fi
	# The waiting threads never move: those must agree every time.
	for name in reader locker; do
		tid=$(grep -l "^$name\$" /proc/$T/task/*/comm | head -n 1 | awk -F/ '{ print $5 }')
		grep "^$tid " "$TMP/p.funcs" >"$TMP/p1"
		grep "^$tid " "$TMP/e.funcs" >"$TMP/e1"
		cmp -s "$TMP/p1" "$TMP/e1" || { diff "$TMP/p1" "$TMP/e1"; fail "$name: prowl dump and eu-stack disagree"; }
	done
done
[ $same = 1 ] || { diff "$TMP/p.funcs" "$TMP/e.funcs"; fail "prowl dump and eu-stack never agreed on main in 3 tries"; }
info "same frames as eu-stack:"
sed 's/^/#   /' "$TMP/p.funcs"
grep -q ' do_read ' "$TMP/p.funcs" || fail "no do_read frame"
grep -q ' do_lock ' "$TMP/p.funcs" || fail "no do_lock frame"
grep -qE '^thread [0-9]+ "reader" sleeping in read \(I/O wait\)$' "$TMP/dump.txt" || fail "reader's name, state or call missing: $(grep '^thread' "$TMP/dump.txt")"
grep -qE '^thread [0-9]+ "locker" sleeping in futex \(lock wait\)$' "$TMP/dump.txt" || fail "locker's name, state or call missing: $(grep '^thread' "$TMP/dump.txt")"
grep -qE ' do_read at .*sleepy\.c:[0-9]+ \(sleepy\)$' "$TMP/dump.txt" || fail "do_read without file:line and module"
grep -q '\[inlined\]' "$TMP/dump.txt" || fail "no inlined frame marked (libc's inlined futex_wait)"
st=$(proc_state "$T")
[ "$st" != T ] && [ "$st" != t ] || fail "target left in state $st"
[ "$(proc_tracer "$T")" = 0 ] || fail "target still traced"

# JSON.
"$PROWL" dump --json -p "$T" >"$TMP/dump.json" || fail "prowl dump --json failed"
python3 - "$TMP/dump.json" "$T" <<'PY' || fail "bad JSON dump"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["pid"] == int(sys.argv[2]), d["pid"]
names = {t["name"]: t for t in d["threads"]}
assert set(names) == {"sleepy", "reader", "locker"}, names.keys()
for name, fn in (("reader", "do_read"), ("locker", "do_lock")):
    t = names[name]
    assert t["state"] == "S" and t["state_label"] == "sleeping", t["state"]
    want = {"reader": ("read", "I/O wait"), "locker": ("futex", "lock wait")}[name]
    assert (t["syscall"], t["wait"]) == want, (name, t["syscall"], t["wait"])
    fns = [f["function"] for f in t["frames"]]
    assert fn in fns, fns
    f = t["frames"][fns.index(fn)]
    assert f["file"].endswith("sleepy.c") and f["line"] > 0 and f["module"].endswith("/sleepy"), f
    assert t["complete"], t
assert any(f["inlined"] for t in d["threads"] for f in t["frames"])
# A line only beside a file, never 0: unknown is null (issue 13).
for t in d["threads"]:
    for f in t["frames"]:
        assert f["line"] is None or f["line"] > 0, f
        assert f["file"] is not None or f["line"] is None, f
PY

# A stopped process: dumped, and still stopped afterwards.
kill -STOP "$T"
sleep 0.2
"$PROWL" dump -p "$T" >"$TMP/stopped.txt" || fail "prowl dump of a stopped process failed"
grep -q ' do_read ' "$TMP/stopped.txt" || fail "no stacks from the stopped process"
# Stopped by SIGSTOP, not traced (prowl's own seize must not show as the state).
n=$(grep -cE '^thread [0-9]+ "[^"]*" stopped$' "$TMP/stopped.txt")
[ "$n" = 3 ] || { grep '^thread' "$TMP/stopped.txt"; fail "$n of 3 threads of the stopped process labelled stopped"; }
"$PROWL" dump --json -p "$T" >"$TMP/stopped.json" || fail "prowl dump --json of a stopped process failed"
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); s = {(t["state"], t["state_label"]) for t in d["threads"]}; assert s == {("T", "stopped")}, s' "$TMP/stopped.json" ||
	fail "stopped threads not T/stopped in JSON"
sleep 0.1
[ "$(proc_state "$T")" = T ] || fail "stopped process not stopped after dump: $(proc_state "$T")"
[ "$(proc_tracer "$T")" = 0 ] || fail "stopped process still traced"
kill -CONT "$T"

# Errors: no such process; not a number.
"$PROWL" dump -p 999999999 2>"$TMP/e1" && fail "dump of a missing pid succeeded"
"$PROWL" dump -p 4194304 2>"$TMP/e1"; rc=$?
[ $rc = 66 ] || fail "missing pid: exit $rc (want 66)"
grep -q 'no such process' "$TMP/e1" || fail "missing pid: $(cat "$TMP/e1")"
"$PROWL" dump -p abc 2>/dev/null; [ $? = 64 ] || fail "bad pid is not a usage error"
exit 0
