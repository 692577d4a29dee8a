#!/bin/sh
# `prowl top -p` of a CPython running tests/data/python/split.py: the rows
# are Python functions with their file:line (leaf_a, leaf_b, middle at
# split.py), and the tree runs through them: middle's %Total covers nearly
# every sample of the script's loop (it calls both leaves), as the script's
# callers do in record. top attaches once the script printed READY, in its
# loop: the view of a launched one would also hold the interpreter's
# start-up, a fixed cost in CPU (20-35 ms for 3.12 here, 60-90 ms for a 3.11
# whose site-packages import certifi) whose share grows as the machine's
# load shrinks the script's CPU in the 3 s viewed (3.11's pymain_init in 15%
# of 536 samples, middle under the bound), and which says nothing of reading
# Python frames. A launched CPython is test_python_record.sh's. Every pyenv
# CPython 3.6-3.13 and Debian's python3.11; one skip line names what is
# missing.
. "$(dirname "$0")/../lib.sh"
require_ptrace

SCRIPT=$ROOT/tests/data/python/split.py
PYENV=${PYENV_ROOT:-$HOME/.pyenv}/versions

interps="" missing=""
for m in 6 7 8 9 10 11 12 13; do
	found=$(ls -d "$PYENV"/3.$m.*/bin/python3.$m 2>/dev/null | head -n 1)
	if [ -n "$found" ]; then interps="$interps $found"; else missing="$missing 3.$m(pyenv)"; fi
done
if [ -x /usr/bin/python3.11 ]; then interps="$interps /usr/bin/python3.11"; else missing="$missing /usr/bin/python3.11"; fi
if [ -n "$missing" ] && [ "${PROWL_NO_SKIP:-0}" = 1 ]; then fail "missing interpreters:$missing"; fi

checked=0
for py in $interps; do
	# Runs well past the 3 s of the view (killed after it).
	start_python "$py" "$SCRIPT" 60 "$TMP/truth"
	"$PROWL" top --batch -n 3 --top 1000 -p "$pid" >"$TMP/top.txt" 2>"$TMP/top.err" ||
		[ -s "$TMP/top.txt" ] || { cat "$TMP/top.err"; fail "$py: prowl top failed"; }
	kill -0 "$pid" 2>/dev/null || { cat "$TMP/top.err"; fail "$py: the script ended before top did"; }
	kill "$pid"
	wait "$pid" 2>/dev/null
	# The last refresh.
	awk '/^prowl top / { n++ } { f[n] = f[n] $0 "\n" } END { printf "%s", f[n] }' "$TMP/top.txt" >"$TMP/last.txt"
	samples=$(sed -n 's/^samples \([0-9]*\) .*/\1/p' "$TMP/last.txt")
	for fn in leaf_a leaf_b middle; do
		grep -Eq "^ +[0-9.]+ +[0-9.]+ +[^ ]+ +[^ ]+ +$fn +split\.py:[0-9]+ *\$" "$TMP/last.txt" ||
			{ cat "$TMP/last.txt"; fail "$py: no row for $fn at split.py:LINE"; }
	done
	mid=$(awk '$5 == "middle" { print $2; exit }' "$TMP/last.txt")
	info "$py: middle in ${mid}% of $samples samples"
	[ "${samples:-0}" -ge 100 ] || { cat "$TMP/last.txt"; fail "$py: only ${samples:-0} samples"; }
	# 90%, less 3.5 standard deviations of a 90% share.
	lim=$(awk -v n="$samples" 'BEGIN { printf "%.1f\n", 90 - 350 * sqrt(0.9 * 0.1 / n) }')
	at_least "$mid" "$lim" || fail "$py: middle's %Total is ${mid}%, under $lim%"
	checked=$((checked + 1))
done
[ $checked -gt 0 ] || skip "no CPython found"
[ -z "$missing" ] || skip "checked $checked interpreters; missing:$missing"
exit 0
