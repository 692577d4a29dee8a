#!/bin/sh
# Malformed input never crashes the symbolizer: truncated copies of the
# samples, headers pointing outside the file, and random bytes, oversized
# headers and zeroes over every section symbolization reads. prowl addr2line
# must answer every address (unknown frames are fine) and exit normally, or,
# for a copy too short to hold its headers, refuse it in one line as not ELF
# (exit 66), as eu-addr2line refuses it.
# Under `make asan` this runs the AddressSanitizer build.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/data/symbolize/lib_symbolize.sh"
require_cmd python3
require_cmd nm
mkdir -p "$TMP/bad"
n=0 refused=0
for s in inline cpp libplugin.so; do
	f=$SAMPLES/$s
	[ -f "$f" ] || fail "missing $f (run make)"
	draw_addresses "$f" 150 3 >"$TMP/$s.addrs" || fail "no symbols in $f"
	# a few addresses outside every function too
	printf '0x0\n0x1\n0xffffffffffffffff\n0x7fffffff0000\n' >>"$TMP/$s.addrs"
	python3 "$ROOT/tests/data/symbolize/corrupt.py" "$f" "$TMP/bad" 11 || fail "cannot write damaged copies of $f"
done
for b in "$TMP"/bad/*; do
	s=$(basename "$b"); s=${s%.*}
	want=$(wc -l <"$TMP/$s.addrs")
	"$PROWL" addr2line -a -f -i -C -e "$b" <"$TMP/$s.addrs" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	[ $rc -lt 128 ] || { cat "$TMP/err"; fail "prowl addr2line died with signal $((rc - 128)) on $(basename "$b")"; }
	grep -q 'AddressSanitizer\|runtime error' "$TMP/err" && { cat "$TMP/err"; fail "sanitizer report on $(basename "$b")"; }
	if [ $rc -eq 66 ] && [ "$(wc -l <"$TMP/err")" -eq 1 ] && grep -q 'is not an ELF file' "$TMP/err"; then
		[ -s "$TMP/out" ] && fail "$(basename "$b"): refused but wrote on stdout"
		if command -v eu-addr2line >/dev/null 2>&1 && eu-addr2line -e "$b" 0x10 >/dev/null 2>&1; then
			fail "$(basename "$b"): refused as not ELF, but eu-addr2line reads it"
		fi
		refused=$((refused + 1))
		continue
	fi
	got=$(grep -c '^0x' "$TMP/out")
	[ "$got" -eq "$want" ] || fail "$(basename "$b"): answered $got of $want addresses (exit $rc)"
	n=$((n + 1))
done
info "$n damaged files, every address answered, no crash; $refused too short to be ELF, refused"
[ $n -ge 30 ] || fail "only $n damaged files were written"
[ $refused -le 10 ] || fail "$refused damaged files refused as not ELF: only the truncated ones should be"
