#!/bin/sh
# JIT code: a stack through anonymous executable memory (no CFI, frame
# pointer kept, as JITs do) unwinds to main, and the JIT function is named
# from the process's /tmp/perf-PID.map.
. "$(dirname "$0")/../lib.sh"
require_perf
require_cmd cc

cat >"$TMP/jit.c" <<'CEOF'
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
typedef uint64_t (*jit_fn)(uint64_t, uint64_t);
static volatile uint64_t sink;
__attribute__((noinline)) static uint64_t jit_caller(jit_fn fn, long rounds)
{
	uint64_t acc = 1;
	for (long i = 0; i < rounds; i++) {
		acc = fn(acc, 1000000);
		sink = acc; /* work after the call keeps this frame */
	}
	return acc;
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
	FILE *f = fopen(path, "w");
	if (!f)
		return 1;
	fprintf(f, "%lx %zx jit_hot_loop\n", (unsigned long)(uintptr_t)p, sizeof(code));
	fclose(f);
	struct timespec d = { 0, 300 * 1000000L };
	nanosleep(&d, NULL); /* time to attach */
	sink = jit_caller((jit_fn)(void *)p, argc > 1 ? atol(argv[1]) : 1000);
	return 0;
}
CEOF
cc -O2 -g -fomit-frame-pointer -o "$TMP/jit" "$TMP/jit.c" || fail "cannot build the test program"
bg "$TMP/jit" 800
pid=$BG
map=/tmp/perf-$pid.map
"$PROWL" record -p "$pid" -o "$TMP/jit.folded" 2>"$TMP/err"
rc=$?
wait "$pid" 2>/dev/null
cat "$TMP/err"
[ "$rc" = 0 ] || { rm -f "$map"; fail "record failed"; }
rm -f "$map"
t=$(folded_total "$TMP/jit.folded")
n=$(folded_count "$TMP/jit.folded" ';main;jit_caller;jit_hot_loop_\[j\] ')
info "$n of $t samples in the named JIT function under main"
[ "$t" -gt 50 ] || fail "only $t samples"
at_least "$n" "$(awk -v t="$t" 'BEGIN { print t * 0.9 }')" || fail "$(cat "$TMP/jit.folded")"
exit 0
