#!/bin/sh
# prowl under valgrind memcheck: a short recording of the cpu sample with each
# backend (perf_event: valgrind knows perf_event_open and the ring mmap; ptrace:
# PTRACE_SEIZE/INTERRUPT/GETREGSET and process_vm_readv), then reading the
# profile back (report, convert to every format), with no memcheck error and
# no definite leak. Low -F: valgrind runs prowl some 20-50 times slower.
# Under `make asan` the binary under test is an ASan build, which valgrind
# cannot run: then the normal build next to it is checked (build/prowl).
. "$(dirname "$0")/../lib.sh"
require_cmd valgrind
require_perf
require_ptrace
bin=$PROWL
if nm -D "$bin" 2>/dev/null | grep -q __asan_init || nm "$bin" 2>/dev/null | grep -q __asan_init; then
	bin=$ROOT/build/prowl
	[ -x "$bin" ] || fail "the binary under test is an ASan build and $bin does not exist (run make first)"
	info "ASan build under test: running valgrind on $bin"
fi
# valgrind 3.19 does not know openat2 (syscall 437): it warns and returns
# ENOSYS, and prowl opens a target's files by hand instead (symbolize/tfile.c).
# That warning is about valgrind, not about prowl's memory: it is dropped;
# anything else in the log fails the test.
quiet_log() { # LOG: the log without valgrind's one unknown-syscall warning
	grep -v -E -e '^--[0-9]+-- (WARNING: unhandled amd64-linux syscall: 437$|You may be able to write your own handler\.$|Read the file README_MISSING_SYSCALL_OR_IOCTL\.$|Nevertheless we consider this a bug\.  Please report$|it at http://valgrind\.org/support/bug_reports\.html\.$)' "$1"
}
vg() { # LOG ARGS...
	log=$1
	shift
	valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
		--show-leak-kinds=definite --track-fds=no --log-file="$log" "$bin" "$@"
}
for backend in perf ptrace; do
	out=$TMP/$backend.folded
	vg "$TMP/vg-$backend.log" record --backend "$backend" -F 49 -d 2 -o "$out" -- "$SAMPLES/cpu" 4 2>"$TMP/err-$backend"
	rc=$?
	cat "$TMP/err-$backend"
	[ $rc = 99 ] && { cat "$TMP/vg-$backend.log"; fail "$backend: memcheck found errors"; }
	[ $rc = 0 ] || { cat "$TMP/vg-$backend.log"; fail "$backend: prowl exited $rc under valgrind"; }
	[ -n "$(quiet_log "$TMP/vg-$backend.log")" ] && { cat "$TMP/vg-$backend.log"; fail "$backend: memcheck said something"; }
	n=$(folded_total "$out")
	hot=$(folded_count "$out" 'hot_a ')
	info "$backend: $n samples, $hot in hot_a"
	[ "$n" -ge 10 ] || fail "$backend: only $n samples under valgrind"
	[ "$hot" -ge 1 ] || fail "$backend: no sample named hot_a"
done
# Reading back: every reader and writer on the recorded profile.
vg "$TMP/vg-report.log" report "$TMP/perf.folded" >"$TMP/report.txt" || { cat "$TMP/vg-report.log"; fail "report under valgrind"; }
for ext in svg json pb.gz folded; do
	vg "$TMP/vg-$ext.log" convert "$TMP/perf.folded" -o "$TMP/out.$ext" || { cat "$TMP/vg-$ext.log"; fail "convert to $ext under valgrind"; }
done
vg "$TMP/vg-rt.log" report "$TMP/out.pb.gz" >/dev/null || { cat "$TMP/vg-rt.log"; fail "reading pprof under valgrind"; }
vg "$TMP/vg-rt2.log" report "$TMP/out.json" >/dev/null || { cat "$TMP/vg-rt2.log"; fail "reading speedscope under valgrind"; }
grep -q hot_a "$TMP/report.txt" || fail "report lacks hot_a"
echo "memcheck: no error, no definite leak (record with perf and ptrace, report, convert x4, read back pprof and speedscope)"
