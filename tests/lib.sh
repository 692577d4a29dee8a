# Shared helpers for integration tests (sourced by tests/integration/test_*.sh).
# A test exits 0 to pass, 77 to skip (reason on the last line), else it fails.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PROWL=${PROWL:-$ROOT/prowl}
BUILD=${BUILD:-$ROOT/build}
SAMPLES=$ROOT/samples/bin
TMP=$(mktemp -d "${TMPDIR:-/tmp}/prowl-test.XXXXXX")
PIDS_TO_KILL=""

cleanup() {
	for p in $PIDS_TO_KILL; do kill -9 "$p" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT

skip() { echo "$*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
info() { echo "# $*"; }

# Runs in the background and remembers the pid for cleanup: bg CMD...; pid in $BG
bg() { "$@" & BG=$!; PIDS_TO_KILL="$PIDS_TO_KILL $BG"; }

require_perf() {
	"$BUILD/tests/helpers/probe" perf >/dev/null 2>"$TMP/probe.err" ||
		skip "perf_event_open denied here: $(cat "$TMP/probe.err")"
}
require_ptrace() {
	"$BUILD/tests/helpers/probe" ptrace >/dev/null 2>"$TMP/probe.err" ||
		skip "ptrace denied here: $(cat "$TMP/probe.err")"
}
require_cmd() {
	command -v "$1" >/dev/null 2>&1 || skip "$1 is not installed (run: sh scripts/setup-deps.sh test)"
}

# Sum of the counts of folded lines whose stack matches an extended regex.
folded_count() { # FILE REGEX
	grep -E "$2" "$1" | awk '{ s += $NF } END { print s + 0 }'
}
folded_total() { awk '{ s += $NF } END { print s + 0 }' "$1"; }

# Percentage a/b with one decimal.
pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print 0; else printf "%.1f\n", 100 * a / b }'; }
# Succeeds when |a - b| <= tol (numbers with decimals).
within() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t) }'; }
# Succeeds when a >= b.
at_least() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }

# Runs CMD... every 50 ms until it succeeds (0) or 5 s pass (1): the one
# wait loop of the helpers below.
wait_until() { # CMD...
	_w=0
	while [ $_w -lt 100 ]; do
		"$@" && return 0
		sleep 0.05; _w=$((_w + 1))
	done
	return 1
}

# Waits until a process has at least N threads (or 5 s pass).
has_threads() { [ "$(ls "/proc/$1/task" 2>/dev/null | wc -l)" -ge "$2" ]; }
wait_threads() { wait_until has_threads "$@"; } # PID N
# Waits (up to 5 s) until the process has a thread named each NAME: a thread
# exists (wait_threads) before it runs pthread_setname_np, and on a loaded
# machine that gap is long enough for a test to meet the old name.
has_thread_names() { # PID NAME...
	_names=$(cat /proc/"$1"/task/*/comm 2>/dev/null)
	shift
	for _n in "$@"; do
		printf '%s\n' "$_names" | grep -qx -- "$_n" || return 1
	done
}
wait_thread_names() { wait_until has_thread_names "$@"; } # PID NAME...
# Runs one command line of a table (sh -c, in $TMP, stdin closed) and judges
# it as a user would: exit status WANT; LINES lines on stderr ("any": any
# number), matching the ERE PATTERN unless none are wanted; nothing on stdout
# after a failure; no death by signal, no sanitizer report. Prints one
# "ok"/"FAIL" line headed by LABEL and returns 1 on a failure; the tables'
# tests count the failures.
judge_case() { # WANT LINES PATTERN LABEL CMD
	(cd "$TMP" && sh -c "$5" >"$TMP/out" 2>"$TMP/err" </dev/null)
	rc=$?
	why=""
	got_lines=$(wc -l <"$TMP/err")
	if [ "$rc" -ge 128 ]; then
		why="died by signal $((rc - 128))"
	elif grep -qE 'Sanitizer|runtime error:|LeakSanitizer' "$TMP/err"; then
		why="sanitizer report"
	elif [ "$rc" != "$1" ]; then
		why="exit $rc, want $1"
	elif [ "$2" != any ] && [ "$got_lines" != "$2" ]; then
		why="$got_lines lines on stderr, want $2"
	elif [ "$2" != 0 ] && ! grep -qE -- "$3" "$TMP/err"; then
		why="message does not match /$3/"
	elif [ "$rc" != 0 ] && [ -s "$TMP/out" ]; then
		why="wrote $(wc -c <"$TMP/out") bytes on stdout on error"
	fi
	short=$(printf '%s' "$5" | cut -c1-90)
	if [ -n "$why" ]; then
		echo "FAIL  $4$short: $why"
		head -c 400 "$TMP/err" | sed 's/^/      stderr: /'
		return 1
	fi
	echo "ok    $4$short -> $rc: $(head -n 1 "$TMP/err" | cut -c1-110)"
	return 0
}
# Prints the pid of a child of PID (whose comm is COMM, when given: a
# launched command is prowl's fork until it execs), waiting up to 5 s.
print_child() { # PID [COMM]
	for _c in $(pgrep -P "$1"); do
		[ -z "${2-}" ] || [ "$(cat "/proc/$_c/comm" 2>/dev/null)" = "${2-}" ] && { echo "$_c"; return 0; }
	done
	return 1
}
child_of() { wait_until print_child "$@"; } # PID [COMM]
# The state letter and tracer of a process, for "the target is unharmed" checks.
proc_state() { awk '/^State:/ { print $2 }' "/proc/$1/status"; }
proc_tracer() { awk '/^TracerPid:/ { print $2 }' "/proc/$1/status"; }
# Waits (up to 5 s) until a process started in the background has exec'd the
# program whose comm is COMM and mapped the C library: attaching earlier would
# profile the shell's fork. Returns 1 if that never happened.
has_exec() { [ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ] && grep -q libc "/proc/$1/maps" 2>/dev/null; }
wait_exec() { wait_until has_exec "$@"; } # PID COMM

# Waits until thread TID of PID is parked in futex (a lock or condition wait:
# the point a script pauses at after it printed READY), or about 15 s pass.
# Without it a look taken right after READY can catch the thread still
# returning from the print. In futex is not enough: a Python thread waiting
# for the GIL inside the print is in futex too (one frame deeper), and gets
# the GIL within the 5 ms switch interval; parked is the same call, not woken
# once, for 100 ms. x86_64: futex is system call 202.
in_futex() { # PID TID
	_s1=$(cat "/proc/$1/task/$2/syscall" 2>/dev/null)
	_c1=$(grep '^voluntary_ctxt_switches' "/proc/$1/task/$2/status" 2>/dev/null)
	[ "${_s1%% *}" = 202 ] || return 1
	sleep 0.1
	[ "$(cat "/proc/$1/task/$2/syscall" 2>/dev/null)" = "$_s1" ] &&
		[ "$(grep '^voluntary_ctxt_switches' "/proc/$1/task/$2/status" 2>/dev/null)" = "$_c1" ]
}
wait_in_futex() { wait_until in_futex "$@"; } # PID TID

# Succeeds when COUNT of TOTAL samples is consistent with a share of at
# least P (0..1): COUNT >= P*TOTAL - 4 sigma (binomial) - 3. A claim "in
# >= 90% of samples" is checked with P = 0.9, on a loaded machine too.
share_at_least() { # COUNT TOTAL P
	awk -v c="$1" -v t="$2" -v p="$3" 'BEGIN { exit !(t > 0 && c >= p * t - 4 * sqrt(p * (1 - p) * t) - 3) }'
}
# The numbers of prowl record --stats' "unwinding:" line, as
# "refused fp trampoline jitdump nonexec".
unwind_stats() { # STDERR_FILE
	sed -n 's/.*unwinding: \([0-9]*\) refused.*fp \([0-9]*\) trampoline \([0-9]*\) jitdump \([0-9]*\); \([0-9]*\) frames.*/\1 \2 \3 \4 \5/p' "$1" | tail -n 1
}

# start_python PY ARGS...: starts a Python script in the background, its
# stdout in $TMP/py.out and stderr in $TMP/py.err, and waits (15 s at most)
# until it printed READY; its pid in $pid. Fails saying why when it exits or
# never gets there.
start_python() {
	rm -f "$TMP/py.out" "$TMP/py.err"
	bg "$@" >"$TMP/py.out" 2>"$TMP/py.err"
	pid=$BG
	_w=0
	until grep -q READY "$TMP/py.out" 2>/dev/null; do
		kill -0 "$pid" 2>/dev/null || { cat "$TMP/py.err"; fail "$1 exited before READY"; }
		_w=$((_w + 1))
		[ $_w -lt 300 ] || fail "$1 never printed READY"
		sleep 0.05
	done
}

# require_python MINOR: the CPython 3.MINOR to test with (pyenv's, else
# Debian's) in $py; skips saying where it looked when there is none.
require_python() {
	py=
	for p in "$HOME"/.pyenv/versions/3."$1".*/bin/python3 /usr/bin/python3."$1"; do
		[ -x "$p" ] && { py=$p; break; }
	done
	[ -n "$py" ] || skip "python 3.$1 is not installed (looked in ~/.pyenv/versions/3.$1.*/bin and /usr/bin)"
}
