#!/bin/sh
# .gnu_debuglink: a stripped binary finds its debug file next to it or in
# its .debug/ folder, and only when the CRC in the link matches.
. "$(dirname "$0")/../lib.sh"
require_cmd objcopy
require_cmd nm
mkdir -p "$TMP/app/.debug"
cp "$SAMPLES/inline" "$TMP/full" || fail "missing samples (run make)"
addr=0x$(nm "$TMP/full" | awk '$3 == "outer_noinline" { print $1 }')
objcopy --only-keep-debug "$TMP/full" "$TMP/app/inline.debug" || fail "objcopy failed"
# no build-id note, so the link is the only way to the debug file
objcopy --strip-debug --remove-section=.note.gnu.build-id \
	--add-gnu-debuglink="$TMP/app/inline.debug" "$TMP/full" "$TMP/app/inline" || fail "objcopy failed"

check() { # WHAT EXPECT(yes|no)
	out=$(DEBUGINFOD_URLS= "$PROWL" addr2line -f -e "$TMP/app/inline" "$addr") || fail "prowl addr2line failed"
	if echo "$out" | grep -q 'inline\.c:[0-9]'; then got=yes; else got=no; fi
	[ "$got" = "$2" ] || fail "$1: expected file:line $2, got: $out"
	info "$1: $(echo "$out" | tr '\n' ' ')"
}
check "debug file next to the binary" yes
mv "$TMP/app/inline.debug" "$TMP/app/.debug/inline.debug"
check "debug file in .debug/" yes
printf 'x' >>"$TMP/app/.debug/inline.debug"
check "debug file with a wrong CRC" no
