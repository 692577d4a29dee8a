#!/bin/sh
# C++ names: with -C the sample's methods, template instance and lambda come
# out demangled; without -C the mangled linkage names are kept.
. "$(dirname "$0")/../lib.sh"
require_cmd nm
bin=$SAMPLES/cpp
[ -f "$bin" ] || fail "missing $bin (run make)"
addr_of() { # mangled-name pattern -> an address inside that function
	nm -S "$bin" | awk -v p="$1" '$4 ~ p && NF == 4 { printf "0x%s\n", $1; exit }' |
		{ read -r a && printf '0x%x\n' $((a + 4)); }
}
add=$(addr_of '^_ZN12prowl_sample6engine11AccumulatorIdE3addEj$')
tick=$(addr_of '^_ZN12prowl_sample6engine9Scheduler4tickEv$')
lambda=$(addr_of 'run_round.*UliE_clEi$')
[ -n "$add" ] && [ -n "$tick" ] && [ -n "$lambda" ] || fail "cannot find the sample's C++ symbols"

"$PROWL" addr2line -f -C -e "$bin" "$add" "$tick" "$lambda" >"$TMP/c" || fail "prowl addr2line -C failed"
cat "$TMP/c"
grep -qx 'prowl_sample::engine::Accumulator<double>::add(unsigned int)' "$TMP/c" || fail "template method not demangled"
grep -qx 'prowl_sample::engine::Scheduler::tick()' "$TMP/c" || fail "method not demangled"
grep -q '^prowl_sample::engine::run_round(.*)::{lambda(int)#1}::operator()(int) const$' "$TMP/c" ||
	fail "lambda not demangled"
grep -q 'cpp\.cpp:[0-9]' "$TMP/c" || fail "no cpp.cpp file:line"

"$PROWL" addr2line -f -e "$bin" "$add" >"$TMP/raw" || fail "prowl addr2line failed"
grep -qx '_ZN12prowl_sample6engine11AccumulatorIdE3addEj' "$TMP/raw" || fail "raw name not kept without -C: $(cat "$TMP/raw")"
