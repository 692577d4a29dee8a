#!/bin/sh
# Builds the libFuzzer harnesses (tests/fuzz/fuzz.mk -> build-fuzz/) and runs
# each for SECONDS (default 300: `make fuzz`, or `make fuzz FUZZ_SECONDS=3600`).
# Usage: sh tests/fuzz/run.sh [SECONDS [HARNESS...]]   (HARNESS: fuzz_maps ...)
# Seeds come from tests/fuzz/corpus/<harness>/ (read only); what a run finds
# new goes to build-fuzz/corpus/<harness>/ (kept between runs), crashes to
# build-fuzz/findings/. Prints one line per harness with its run count, and
# exits 1 when any harness crashed, leaked, hung or hit a sanitizer report.
# To keep a new input as a seed: copy it from build-fuzz/corpus/ (small ones).
set -u
cd "$(dirname "$0")/../.."
secs=${1:-}
[ -n "$secs" ] || secs=300
[ $# -gt 0 ] && shift
FUZZ_BUILD=${FUZZ_BUILD:-build-fuzz}
export FUZZ_BUILD

command -v clang >/dev/null 2>&1 || { echo "fuzz: clang is not installed (run: sh scripts/setup-deps.sh test)" >&2; exit 2; }
mkdir -p "$FUZZ_BUILD"
if ! make --no-print-directory -s -j2 -f tests/fuzz/fuzz.mk FUZZ_BUILD="$FUZZ_BUILD" >"$FUZZ_BUILD/build.log" 2>&1; then
	tail -n 30 "$FUZZ_BUILD/build.log" >&2
	echo "fuzz: building the harnesses failed (see $FUZZ_BUILD/build.log)" >&2
	exit 2
fi

if [ $# -gt 0 ]; then
	harnesses=$*
else
	harnesses=$(ls tests/fuzz/fuzz_*.c | sed 's|.*/||; s|\.c$||')
fi

# Extra seeds outside the repository, when present (the lead's shared corpus).
extra_seeds() {
	case "$1" in
	fuzz_perfscript|fuzz_read) [ -d ../shared/corpus/perf-script ] && echo ../shared/corpus/perf-script ;;
	fuzz_elf|fuzz_unwind) [ -d samples/bin ] && echo samples/bin ;;
	esac
	return 0
}

bad=0 total=0
mkdir -p "$FUZZ_BUILD/findings" "$FUZZ_BUILD/logs"
for h in $harnesses; do
	bin=$FUZZ_BUILD/$h
	[ -x "$bin" ] || { echo "$h: not built"; bad=$((bad + 1)); continue; }
	work=$FUZZ_BUILD/corpus/$h
	mkdir -p "$work"
	seeds=tests/fuzz/corpus/$h
	[ -d "$seeds" ] || seeds=
	log=$FUZZ_BUILD/logs/$h.log
	before=$(ls "$FUZZ_BUILD/findings" | grep -c "^$h-" || true)
	# ELF files and perf rings up to 64 KiB (samples' binaries are ~30);
	# text up to 16 KiB: longer inputs only slow the search down.
	case "$h" in
	fuzz_elf|fuzz_perf_record|fuzz_unwind) maxlen=65536 ;;
	*) maxlen=16384 ;;
	esac
	"$bin" -max_total_time="$secs" -timeout=20 -rss_limit_mb=2560 -max_len=$maxlen \
		-print_final_stats=1 -artifact_prefix="$FUZZ_BUILD/findings/$h-" \
		"$work" $seeds $(extra_seeds "$h") </dev/null >"$log" 2>&1
	rc=$?
	after=$(ls "$FUZZ_BUILD/findings" | grep -c "^$h-" || true)
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	cov=$(grep -E '^#[0-9]+' "$log" | tail -n 1 | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	corp=$(ls "$work" | wc -l)
	runs=${runs:-0}
	total=$((total + runs))
	if [ $rc != 0 ] || [ "$after" != "$before" ]; then
		bad=$((bad + 1))
		echo "$h: FAILED after $runs runs (exit $rc); last lines of $log:"
		grep -E 'ERROR|SUMMARY|runtime error|Test unit written|deadly|leak' "$log" | head -n 12 | sed 's/^/    /'
	else
		echo "$h: $runs runs in ${secs}s, coverage ${cov:-?}, corpus $corp, no finding"
	fi
done
echo "fuzz: $total runs in all, $bad harness(es) with findings"
[ $bad = 0 ]
