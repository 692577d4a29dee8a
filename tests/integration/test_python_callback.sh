#!/bin/sh
# `prowl record` of CPython threads that spend their time in Python called
# back from C (tests/data/python/callback.py: sorted() with a key function,
# sum() over a generator), where the evaluator is entered and left from C
# all the time: fewer than 1% of samples have Python and native halves that
# do not match (a sample caught while a call from C is entered or left is not
# one: python_edge), and the stacks read Python, then the C builtin, then
# Python (sorter -> builtin_sorted/list_sort -> key_of; summer -> sum -> gen)
# in nearly every sample of those functions. Every pyenv CPython 3.6-3.13 and
# Debian's python3.11; one skip line names what is missing.
. "$(dirname "$0")/../lib.sh"
require_ptrace

SCRIPT=$ROOT/tests/data/python/callback.py
PYENV=${PYENV_ROOT:-$HOME/.pyenv}/versions
SECS=3

interps="" missing=""
for m in 6 7 8 9 10 11 12 13; do
	found=$(ls -d "$PYENV"/3.$m.*/bin/python3.$m 2>/dev/null | head -n 1)
	if [ -n "$found" ]; then interps="$interps $found"; else missing="$missing 3.$m(pyenv)"; fi
done
if [ -x /usr/bin/python3.11 ]; then interps="$interps /usr/bin/python3.11"; else missing="$missing /usr/bin/python3.11"; fi
if [ -n "$missing" ] && [ "${PROWL_NO_SKIP:-0}" = 1 ]; then fail "missing interpreters:$missing"; fi

checked=0
for py in $interps; do
	info "== $py"
	"$PROWL" record --stats -o "$TMP/c.folded" -- "$py" "$SCRIPT" "$SECS" >/dev/null 2>"$TMP/c.err" ||
		{ cat "$TMP/c.err"; fail "$py: record failed"; }
	merged=$(sed -n 's/.* python_merged \([0-9]*\).*/\1/p' "$TMP/c.err")
	mism=$(sed -n 's/.* python_mismatched \([0-9]*\).*/\1/p' "$TMP/c.err")
	edge=$(sed -n 's/.* python_edge \([0-9]*\).*/\1/p' "$TMP/c.err")
	[ -n "$merged" ] && [ -n "$mism" ] || { cat "$TMP/c.err"; fail "$py: no python figures in the cost line"; }
	[ "$merged" -ge 200 ] || { cat "$TMP/c.err"; fail "$py: only $merged merged samples"; }
	info "$py: $mism of $merged samples mismatched ($(pct "$mism" "$merged")%), $edge at a call's edge"
	# Under 1%, and not by chance: 3 standard deviations of a 1% rate.
	lim=$(awk -v n="$merged" 'BEGIN { printf "%d\n", n * 0.01 + 3 * sqrt(n * 0.01 * 0.99) }')
	[ "$mism" -le "$lim" ] || fail "$py: $mism of $merged samples had mismatched halves (limit $lim)"
	# Python, then C, then Python. A stripped interpreter (Debian's) names
	# no static builtin: there, at least one native frame in between.
	sorted_c='(builtin_sorted|list_sort)[^;]*' sum_c='builtin_sum[^;]*'
	if ! readelf -S "$py" 2>/dev/null | grep -q '\.symtab'; then
		sorted_c='[^;]+' sum_c='[^;]+'
	fi
	k=$(folded_count "$TMP/c.folded" ';key_of(;| )')
	kk=$(folded_count "$TMP/c.folded" ";sorter;([^;]*;)*$sorted_c;([^;]*;)*key_of(;| )")
	g=$(folded_count "$TMP/c.folded" ';gen(;| )')
	gg=$(folded_count "$TMP/c.folded" ";summer;([^;]*;)*$sum_c;([^;]*;)*gen(;| )")
	info "$py: key_of under sorter and sorted()'s C code in $kk of $k; gen under summer and sum() in $gg of $g"
	[ "$k" -ge 50 ] && [ "$g" -ge 20 ] || fail "$py: too few samples in key_of ($k) or gen ($g)"
	at_least "$(pct "$kk" "$k")" 95 || fail "$py: key_of is under sorter -> sorted() in only $kk of $k samples"
	at_least "$(pct "$gg" "$g")" 95 || fail "$py: gen is under summer -> sum() in only $gg of $g samples"
	checked=$((checked + 1))
done
[ $checked -gt 0 ] || skip "no CPython found"
[ -z "$missing" ] || skip "checked $checked interpreters; missing:$missing"
exit 0
