#!/bin/sh
# Every compiled-in CPython offset table (profiler/capture/pyoffsets.c, one
# per minor version 3.6-3.13) agrees field by field with the DWARF of the
# pyenv libpython of that version (build/tests/helpers/pyoffsets_check, libdw).
# Every installed patch release of a minor version is checked; one skip line
# names the minor versions with no pyenv build (or no DWARF) here.
. "$(dirname "$0")/../lib.sh"
CHECK=$BUILD/tests/helpers/pyoffsets_check
[ -x "$CHECK" ] || fail "missing $CHECK (make $CHECK)"
PYENV=${PYENV_ROOT:-$HOME/.pyenv}/versions

checked=0
missing=""
for m in 6 7 8 9 10 11 12 13; do
	libs=$(ls "$PYENV"/3.$m.*/lib/libpython3.$m.so.1.0 "$PYENV"/3.$m.*/lib/libpython3.${m}m.so.1.0 2>/dev/null)
	if [ -z "$libs" ]; then
		missing="$missing 3.$m"
		info "3.$m: no pyenv libpython under $PYENV"
		continue
	fi
	for lib in $libs; do
		"$CHECK" "$lib" "3.$m" >"$TMP/check.out" 2>"$TMP/check.err"
		rc=$?
		cat "$TMP/check.out" "$TMP/check.err"
		if [ $rc = 2 ]; then
			missing="$missing 3.$m(no DWARF in $lib)"
			continue
		fi
		[ $rc = 0 ] || fail "the 3.$m offset table disagrees with the DWARF of $lib"
		n=$(sed -n 's/^\([0-9]*\) fields checked.*/\1/p' "$TMP/check.out")
		[ "${n:-0}" -ge 19 ] || fail "only ${n:-0} fields of 3.$m were checked"
		info "3.$m: $lib agrees ($n fields)"
		checked=$((checked + 1))
	done
done
[ $checked -gt 0 ] || skip "no pyenv libpython with DWARF found under $PYENV"
[ -z "$missing" ] || skip "checked $checked libraries; missing:$missing"
exit 0
