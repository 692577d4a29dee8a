#!/bin/sh
# A short run of every libFuzzer harness (tests/fuzz/): each replays the seed
# corpus (regressions included) and what earlier runs found, then mutates for
# FUZZ_CI_SECONDS (default 10; 5 when the suite runs under ASan, since the
# harnesses are the same build and this pass mostly replays). Fails on any
# crash, sanitizer report, leak, hang or out-of-memory. Prints each
# harness's run count. Long runs: make fuzz FUZZ_SECONDS=3600.
. "$(dirname "$0")/../lib.sh"
require_cmd clang
require_perf # fuzz_perf_record drives the perf backend's own open
case "$BUILD" in
*asan*) secs=${FUZZ_CI_SECONDS:-5} ;;
*) secs=${FUZZ_CI_SECONDS:-10} ;;
esac
# The fuzzing runtime comes with libclang-rt (Debian: libclang-rt-14-dev).
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' >"$TMP/probe.c"
clang -fsanitize=fuzzer -o "$TMP/probe" "$TMP/probe.c" 2>"$TMP/probe.err" ||
	skip "clang cannot link libFuzzer (install libclang-rt-14-dev): $(head -n 1 "$TMP/probe.err")"
cd "$ROOT" || fail "no $ROOT"
sh tests/fuzz/run.sh "$secs" >"$TMP/fuzz.out" 2>&1
rc=$?
cat "$TMP/fuzz.out"
[ $rc = 0 ] || fail "a fuzz harness found something (inputs in build-fuzz/findings/; logs in build-fuzz/logs/)"
n=$(grep -c '^fuzz_.* runs in ' "$TMP/fuzz.out")
want=$(ls "$ROOT"/tests/fuzz/fuzz_*.c | wc -l)
[ "$n" = "$want" ] || fail "only $n of $want harnesses ran"
exit 0
