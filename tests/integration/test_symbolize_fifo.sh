#!/bin/sh
# A target cannot hang prowl with a FIFO where a file should be: its perf map
# (/tmp/perf-PID.map) and the file its .gnu_debuglink names are FIFOs with no
# writer. prowl must finish the recording by itself; at worst it must end
# within 2 s of SIGTERM. Before, open() blocked for good with the signals
# held for the signalfd: only SIGKILL ended it and nothing was written.
. "$(dirname "$0")/../lib.sh"
require_perf
require_cmd cc
require_cmd objcopy
require_cmd mkfifo

cat >"$TMP/jit.c" <<'CEOF'
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
typedef uint64_t (*jit_fn)(uint64_t, uint64_t);
static volatile uint64_t sink;
__attribute__((noinline)) void linked_function(void)
{
	for (unsigned long i = 0; i < 100000; i++)
		sink += i * i;
}
int main(int argc, char **argv)
{
	/* push rbp; mov rbp,rsp; mov rax,rdi; 1: imul rax,rax,5; inc rax;
	 * dec rsi; jnz 1b; pop rbp; ret */
	static const unsigned char code[] = {
		0x55, 0x48, 0x89, 0xe5, 0x48, 0x89, 0xf8,
		0x48, 0x6b, 0xc0, 0x05, 0x48, 0xff, 0xc0, 0x48, 0xff, 0xce, 0x75, 0xf4,
		0x5d, 0xc3,
	};
	unsigned char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 1;
	memcpy(p, code, sizeof(code));
	char path[64];
	snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)getpid());
	if (argc > 2 && mkfifo(path, 0644))
		return 1;
	time_t end = time(NULL) + (argc > 1 ? atoi(argv[1]) : 3);
	while (time(NULL) < end) {
		sink = ((jit_fn)(void *)p)(sink, 1000000);
		linked_function();
	}
	unlink(path);
	return 0;
}
CEOF
cc -O1 -g -o "$TMP/plain" "$TMP/jit.c" || fail "cannot build the test program"
# its debug info goes to a file its .gnu_debuglink names, then that file
# becomes a FIFO (no build-id, so the debuglink is what is looked for)
objcopy --only-keep-debug "$TMP/plain" "$TMP/linked.dbg" || fail "objcopy"
objcopy --strip-debug --remove-section=.note.gnu.build-id --add-gnu-debuglink="$TMP/linked.dbg" \
	"$TMP/plain" "$TMP/linked" || fail "objcopy"
rm -f "$TMP/linked.dbg"
mkfifo "$TMP/linked.dbg"

# record_case WHAT PROGRAM [fifo]: the program runs (with a FIFO perf map
# when asked); prowl records it for 1 s.
record_case() {
	what=$1
	shift
	bg "$TMP/$1" 5 ${2:-}
	pid=$BG
	wait_exec "$pid" "$1" || fail "$what: the program did not start"
	i=0
	until [ -z "${2:-}" ] || [ -p "/tmp/perf-$pid.map" ]; do
		i=$((i + 1))
		[ $i -lt 100 ] || fail "$what: no FIFO perf map"
		sleep 0.05
	done
	"$PROWL" record -p "$pid" -d 1 -o "$TMP/out.folded" 2>"$TMP/err" &
	prowl=$!
	# -d 1: prowl has no reason to live past a few seconds; give it ten (a
	# loaded machine), then SIGTERM, which must end it within 2 s.
	i=0
	while kill -0 "$prowl" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	hung=0
	if kill -0 "$prowl" 2>/dev/null; then
		hung=1
		kill -TERM "$prowl"
		i=0
		while kill -0 "$prowl" 2>/dev/null && [ $i -lt 20 ]; do sleep 0.1; i=$((i + 1)); done
		if kill -0 "$prowl" 2>/dev/null; then
			kill -9 "$prowl"
			wait "$prowl" 2>/dev/null
			kill "$pid" 2>/dev/null
			rm -f "/tmp/perf-$pid.map"
			fail "$what: prowl still runs 2 s after SIGTERM (blocked on a FIFO)"
		fi
	fi
	wait "$prowl"
	rc=$?
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rm -f "/tmp/perf-$pid.map"
	cat "$TMP/err"
	[ "$hung" = 0 ] || fail "$what: prowl needed SIGTERM to end"
	[ "$rc" = 0 ] || fail "$what: record failed ($rc)"
	t=$(folded_total "$TMP/out.folded")
	info "$what: $t samples"
	[ "$t" -gt 20 ] || fail "$what: only $t samples"
	# the program itself is still named from its .symtab
	n=$(folded_count "$TMP/out.folded" ';main;linked_function ')
	at_least "$n" 1 || fail "$what: no sample in linked_function: $(head -5 "$TMP/out.folded")"
}

record_case "FIFO perf map" plain fifo
record_case "FIFO debuglink" linked
exit 0
