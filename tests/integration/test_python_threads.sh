#!/bin/sh
# Thread names from threading (tests/data/python/threads.py, attached with -p
# to an interpreter started with no flag): CPython before 3.14 leaves every
# thread's OS name the process's, so `record --threads` roots each thread at
# its threading name: "MainThread (PID)", "alpha (TID)", "beta (TID)", each
# holding its own spinning function, all of that function's samples under
# it; a thread that named itself with prctl keeps its OS name ("osname");
# `dump` calls each thread the same; --no-python keeps the OS names;
# --thread '^alpha$' records alpha alone. The truth (each thread's tid, name and
# function) is what the script itself wrote. Every pyenv CPython 3.6-3.13
# and Debian's python3.11; one skip line names what is missing
# (PROWL_NO_SKIP=1 makes that a failure).
. "$(dirname "$0")/../lib.sh"
require_ptrace

SCRIPT=$ROOT/tests/data/python/threads.py
PYENV=${PYENV_ROOT:-$HOME/.pyenv}/versions
SECS=2
MIN=20 # samples a spinning thread must have for its root to be judged

interps="" missing=""
for m in 6 7 8 9 10 11 12 13; do
	found=$(ls -d "$PYENV"/3.$m.*/bin/python3.$m 2>/dev/null | head -n 1)
	if [ -n "$found" ]; then interps="$interps $found"; else missing="$missing 3.$m(pyenv)"; fi
done
if [ -x /usr/bin/python3.11 ]; then interps="$interps /usr/bin/python3.11"; else missing="$missing /usr/bin/python3.11"; fi
if [ -n "$missing" ] && [ "${PROWL_NO_SKIP:-0}" = 1 ]; then fail "missing interpreters:$missing"; fi

# Samples whose root is exactly ROOT and whose stack holds FUNC.
under() { # FOLDED ROOT FUNC
	awk -v r="$2" -v f="$3" '{ n = $NF; s = substr($0, 1, length($0) - length(n) - 1)
	     k = split(s, fr, ";"); if (fr[1] != r) next
	     for (i = 2; i <= k; i++) if (fr[i] == f) { c += n; next } }
	     END { print c + 0 }' "$1"
}
# Samples anywhere whose stack holds FUNC.
anywhere() { # FOLDED FUNC
	awk -v f="$2" '{ n = $NF; s = substr($0, 1, length($0) - length(n) - 1)
	     k = split(s, fr, ";"); for (i = 2; i <= k; i++) if (fr[i] == f) { c += n; next } }
	     END { print c + 0 }' "$1"
}

run() { # PY OUT [prowl options...]
	py=$1 out=$2
	shift 2
	rm -f "$TMP/truth"
	# Long enough to outlast attaching on a loaded machine (the dump, then
	# record's attach, took over a second there and the script ended inside
	# the recording); ended once the recording is over.
	start_python "$py" "$SCRIPT" $((SECS + 60)) "$TMP/truth"
	# shellcheck disable=SC2086
	"$PROWL" dump -p "$pid" ${DUMPOPT:-} >"$TMP/dump.txt" 2>"$TMP/dump.err" || { cat "$TMP/dump.err"; fail "$py: dump failed"; }
	"$PROWL" record --threads -d "${D:-$SECS}" -o "$out" -p "$pid" "$@" >/dev/null 2>"$TMP/rec.err" ||
		{ cat "$TMP/rec.err"; fail "$py: record $* failed"; }
	kill "$pid"
	wait "$pid"
}

checked=0
for py in $interps; do
	info "== $py"
	run "$py" "$TMP/t.folded"
	[ "$(wc -l <"$TMP/truth")" -eq 4 ] || { cat "$TMP/truth"; fail "$py: the script wrote no truth"; }
	comm=$(basename "$py" | cut -c1-15)
	while read -r tid name func; do
		all=$(anywhere "$TMP/t.folded" "$func")
		mine=$(under "$TMP/t.folded" "$name ($tid)" "$func")
		info "$py: $func: $mine of $all samples under '$name ($tid)'"
		[ "$all" -ge "$MIN" ] || { head -n 20 "$TMP/t.folded"; fail "$py: too few samples of $func ($all)"; }
		[ "$mine" -eq "$all" ] ||
			{ cut -d';' -f1 "$TMP/t.folded" | sort | uniq -c; fail "$py: $func has $mine of its $all samples under '$name ($tid)'"; }
	done <"$TMP/truth"
	# dump names every thread the same way.
	while read -r tid name func; do
		grep -q "^thread $tid \"$name\" " "$TMP/dump.txt" ||
			{ grep '^thread' "$TMP/dump.txt"; fail "$py: dump does not call thread $tid '$name'"; }
	done <"$TMP/truth"
	# The OS-named thread's name is not a threading one.
	grep -q '^Thread-[0-9]' "$TMP/t.folded" && fail "$py: the thread named by prctl got its threading name"
	# --no-python: the OS names, the process's for the threads CPython started.
	DUMPOPT=--no-python run "$py" "$TMP/n.folded" --no-python
	while read -r tid name func; do
		[ "$name" = osname ] || name=$comm
		mine=$(grep -c "^$name ($tid);" "$TMP/n.folded")
		[ "$mine" -ge 1 ] || { cut -d';' -f1 "$TMP/n.folded" | sort | uniq -c; fail "$py --no-python: no root '$name ($tid)'"; }
		grep -q "^thread $tid \"$name\" " "$TMP/dump.txt" ||
			{ grep '^thread' "$TMP/dump.txt"; fail "$py: dump --no-python does not call thread $tid '$name'"; }
	done <"$TMP/truth"
	grep -Eq '^(alpha|beta|MainThread) ' "$TMP/n.folded" && fail "$py --no-python: a root has a threading name"
	# --thread picks a thread by its Python name (its OS name, the
	# process's, would let it never be sampled, so never named).
	D=1 run "$py" "$TMP/f.folded" --thread '^alpha$'
	ta=$(sed -n 's/^\([0-9]*\) alpha .*/\1/p' "$TMP/truth")
	fa=$(under "$TMP/f.folded" "alpha ($ta)" spin_alpha)
	[ "$fa" -ge "$MIN" ] && [ "$(cut -d';' -f1 "$TMP/f.folded" | sort -u)" = "alpha ($ta)" ] ||
		{ cut -d';' -f1 "$TMP/f.folded" | sort | uniq -c; fail "$py --thread '^alpha$': not alpha's samples alone ($fa)"; }
	checked=$((checked + 1))
done
[ "$checked" -gt 0 ] || skip "no CPython found (pyenv 3.6-3.13, /usr/bin/python3.11)"
[ -z "$missing" ] || skip "checked $checked interpreters; missing:$missing"
echo "ok: thread names on $checked interpreters"
