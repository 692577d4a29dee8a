#!/bin/sh
# prowl record -p attached before the target dlopen()s a library: the
# library's functions are named (its mapping arrives as a PERF_RECORD_MMAP2).
. "$(dirname "$0")/../lib.sh"
require_perf

bg "$SAMPLES/dlopen" 4 1200
pid=$BG
sleep 0.3
grep -q libplugin "/proc/$pid/maps" && fail "the library was loaded before the attach"
"$PROWL" record -p "$pid" -d 2.5 -o "$TMP/d.folded" 2>"$TMP/err" || fail "record failed: $(cat "$TMP/err")"
cat "$TMP/err"
grep -q libplugin "/proc/$pid/maps" || fail "the library was not loaded during the recording"
plug=$(folded_count "$TMP/d.folded" ';main;run_plugin;plugin_work ')
spin=$(folded_count "$TMP/d.folded" ';main;main_spin ')
info "plugin_work: $plug samples, main_spin (before dlopen): $spin"
[ "$plug" -gt 0 ] || fail "plugin_work not named: $(sort -t' ' -k2 -rn "$TMP/d.folded" | head -n 5)"
[ "$spin" -gt 0 ] || fail "no samples before the dlopen"
unknown=$(folded_count "$TMP/d.folded" 'libplugin\.so\+0x')
[ "$unknown" -eq 0 ] || fail "$unknown samples left as libplugin.so+0x..."
exit 0
