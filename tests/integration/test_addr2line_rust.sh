#!/bin/sh
# Rust names, both manglings: a small program built with rustc's legacy
# (_ZN...17h<hash>E) and v0 (_R...) symbol mangling; with -C prowl prints
# the Rust paths (hash dropped), without -C the linkage names.
. "$(dirname "$0")/../lib.sh"
require_cmd rustc
require_cmd nm
src=$ROOT/tests/data/symbolize/rusty.rs
rustc -g -C opt-level=1 -o "$TMP/legacy" "$src" 2>"$TMP/rustc.err" ||
	{ cat "$TMP/rustc.err"; fail "rustc failed"; }
rustc -g -C opt-level=1 -C symbol-mangling-version=v0 -o "$TMP/v0" "$src" 2>"$TMP/rustc.err" ||
	{ cat "$TMP/rustc.err"; fail "rustc failed (v0 mangling)"; }
addr() { # BIN PATTERN -> an address one byte into that function
	a=$(nm "$1" | awk -v p="$2" '$2 ~ /^[tT]$/ && $3 ~ p { print $1; exit }')
	[ -n "$a" ] || fail "no symbol matching $2 in $(basename "$1")"
	printf '0x%x\n' $((0x$a + 1))
}
check() { # BIN MANGLED-PREFIX WANT-bump WANT-spin WANT-total
	b=$TMP/$1
	set -- "$b" "$2" "$3" "$4" "$5" "$(addr "$b" 'Counter.*bump_by')" "$(addr "$b" 'Spin.*spin')" "$(addr "$b" '5total')"
	"$PROWL" addr2line -f -C -e "$1" "$6" "$7" "$8" >"$TMP/out" || fail "prowl addr2line failed"
	cat "$TMP/out"
	sed -n 1p "$TMP/out" | grep -qxF "$3" || fail "expected '$3', got '$(sed -n 1p "$TMP/out")'"
	sed -n 3p "$TMP/out" | grep -qxF "$4" || fail "expected '$4', got '$(sed -n 3p "$TMP/out")'"
	sed -n 5p "$TMP/out" | grep -qxF "$5" || fail "expected '$5', got '$(sed -n 5p "$TMP/out")'"
	sed -n 2p "$TMP/out" | grep -q 'rusty\.rs:[0-9]' || fail "no rusty.rs file:line"
	raw=$("$PROWL" addr2line -f -e "$1" "$6" | head -n 1)
	case $raw in "$2"*) ;; *) fail "without -C expected a $2 name, got $raw" ;; esac
}
check legacy _ZN 'rusty::Counter::bump_by' '<rusty::Counter as rusty::Spin>::spin' 'rusty::total'
check v0 _R '<rusty::Counter>::bump_by' '<rusty::Counter as rusty::Spin>::spin' 'rusty::total::<u32>'
