#!/bin/sh
# Stripped code (issue 13): a function without a symbol is named by the start
# of its .eh_frame FDE, module+0xSTART, the same name for all of its
# addresses: one row per function, not one per sampled address. The names
# are the function starts the unstripped build's symbols give (and readelf's
# FDEs agree), the 60/30/10 shares hold, and the summary says once how many
# functions are unnamed and what would name them (a debug file by build-id).
. "$(dirname "$0")/../lib.sh"
require_perf
require_cmd nm

BIN=$SAMPLES/cpu-stripped
[ -x "$BIN" ] || fail "$BIN missing (make samples)"
nm "$BIN" >/dev/null 2>&1 && [ -n "$(nm "$BIN" 2>/dev/null)" ] && fail "$BIN has symbols: not stripped"

"$PROWL" record -o "$TMP/s.folded" -- "$BIN" 2 2>"$TMP/err" || fail "record failed: $(cat "$TMP/err")"
cat "$TMP/err"
total=$(folded_total "$TMP/s.folded")
[ "$total" -ge 150 ] || fail "only $total samples in 2 s"

# The unstripped twin's function starts (the same code: strip only drops symbols).
start_of() { printf '0x%x' "0x$(nm "$SAMPLES/cpu" | awk -v f="$1" '$3 == f { print $1 }')"; }
a=$(start_of hot_a) b=$(start_of hot_b) c=$(start_of hot_c) rw=$(start_of run_workload)
info "hot_a $a hot_b $b hot_c $c run_workload $rw"
if command -v readelf >/dev/null 2>&1; then
	for s in $a $b $c $rw; do
		readelf --debug-dump=frames "$BIN" 2>/dev/null | grep -q "FDE .*pc=0*${s#0x}\.\." ||
			fail "no FDE of $BIN starts at $s"
	done
fi

# Leaves: exactly the three hot functions, each one name whatever the address.
awk '{ n = split($1, f, ";"); print f[n] }' "$TMP/s.folded" | sort -u >"$TMP/leaves"
info "leaves: $(tr '\n' ' ' <"$TMP/leaves")"
stripped_leaves=$(grep -c '^cpu-stripped+0x' "$TMP/leaves")
hot=$(grep -cx "cpu-stripped+\\($a\\|$b\\|$c\\)" "$TMP/leaves")
[ "$hot" -eq 3 ] || fail "the hot functions are not named by their starts: $(tr '\n' ' ' <"$TMP/leaves")"
[ "$stripped_leaves" -le 4 ] || fail "$stripped_leaves distinct stripped leaves: one per address, not per function"

# Every cpu-stripped frame anywhere is a function start of the unstripped build.
nm "$SAMPLES/cpu" | awk '$2 ~ /^[tT]$/ { print $1 }' | while read -r h; do printf 'cpu-stripped+0x%x\n' "0x$h"; done |
	sort -u >"$TMP/starts"
tr ';' '\n' <"$TMP/s.folded" | sed 's/ [0-9]*$//' | grep '^cpu-stripped+0x' | sort -u >"$TMP/frames"
bad=$(comm -23 "$TMP/frames" "$TMP/starts")
[ -z "$bad" ] || fail "frames not at a function start: $bad"

# 60/30/10 by function, bounded by the sample count (4 sigma + 2 points).
for pair in "$a 60" "$b 30" "$c 10"; do
	set -- $pair
	n=$(folded_count "$TMP/s.folded" ";cpu-stripped\\+$1 ")
	p=$(pct "$n" "$total")
	tol=$(awk -v p="$2" -v n="$total" 'BEGIN { printf "%.1f", 4 * 100 * sqrt(p / 100 * (1 - p / 100) / n) + 2 }')
	info "cpu-stripped+$1: $p% (expected $2 +- $tol)"
	within "$p" "$2" "$tol" || fail "cpu-stripped+$1 has $p%, expected $2 +- $tol"
done

# Said once, with the way to name them.
[ "$(grep -c 'without a symbol' "$TMP/err")" -eq 1 ] || fail "the unnamed-functions line is not there once"
bid=$(readelf -n "$BIN" 2>/dev/null | awk '/Build ID/ { print $3 }')
grep 'without a symbol' "$TMP/err" | grep -q "in cpu-stripped" || fail "the line does not name the module"
if [ -n "$bid" ]; then
	grep -q "/usr/lib/debug/.build-id/$(echo "$bid" | cut -c1-2)/$(echo "$bid" | cut -c3-).debug" "$TMP/err" ||
		fail "the line does not give the debug file's build-id path"
fi
grep -q DEBUGINFOD_URLS "$TMP/err" || fail "the line does not mention debuginfod"

# The same note in the report of a pprof file (it keeps the modules).
"$PROWL" record -q -o "$TMP/s.pb.gz" -- "$BIN" 1 || fail "record to pprof failed"
"$PROWL" report "$TMP/s.pb.gz" >"$TMP/report" || fail "report failed"
grep -q '^note: .*without a symbol.*in cpu-stripped' "$TMP/report" || fail "report lacks the note: $(head -5 "$TMP/report")"
exit 0
