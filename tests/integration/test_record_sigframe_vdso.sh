#!/bin/sh
# Stacks through a signal handler (the sigreturn trampoline is named and the
# interrupted function is under it) and through the vDSO.
. "$(dirname "$0")/../lib.sh"
require_perf
require_cmd cc

cat >"$TMP/sv.c" <<'CEOF'
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
static volatile uint64_t sink;
__attribute__((noinline)) static void in_handler_work(void)
{
	for (long i = 0; i < 100000000L; i++)
		sink = sink * 3 + 1;
}
__attribute__((noinline)) static void handler(int sig)
{
	(void)sig;
	in_handler_work();
	sink++;
}
__attribute__((noinline)) static void vdso_loop(void)
{
	struct timespec ts;
	for (long i = 0; i < 2000000; i++) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		sink += (uint64_t)ts.tv_nsec;
	}
}
__attribute__((noinline)) static void interrupted_work(void)
{
	for (long i = 0; i < 300000000L; i++)
		sink = sink * 5 + 1;
}
int main(void)
{
	vdso_loop();
	signal(SIGALRM, handler);
	struct itimerval it;
	memset(&it, 0, sizeof(it));
	it.it_value.tv_usec = 1000;
	setitimer(ITIMER_REAL, &it, NULL);
	interrupted_work();
	return 0;
}
CEOF
cc -O2 -g -fomit-frame-pointer -fno-optimize-sibling-calls -o "$TMP/sv" "$TMP/sv.c" || fail "cannot build the test program"
"$PROWL" record -o "$TMP/sv.folded" -- "$TMP/sv" 2>"$TMP/err" || fail "record failed: $(cat "$TMP/err")"
cat "$TMP/err"
h=$(folded_count "$TMP/sv.folded" ';main;interrupted_work;__restore_rt;handler;in_handler_work ')
v=$(folded_count "$TMP/sv.folded" ';main;vdso_loop;(__GI___)?clock_gettime;__vdso_clock_gettime ')
t=$(folded_total "$TMP/sv.folded")
info "through the signal frame: $h, through the vDSO: $v, of $t"
[ "$h" -gt 10 ] || fail "no complete stack through the signal handler: $(sort -t' ' -k2 -rn "$TMP/sv.folded" | head -n 5)"
[ "$v" -gt 5 ] || fail "no complete stack through the vDSO: $(sort -t' ' -k2 -rn "$TMP/sv.folded" | head -n 5)"
m=$(folded_count "$TMP/sv.folded" '^_start;')
at_least "$m" "$(awk -v t="$t" 'BEGIN { print t * 0.99 }')" || fail "only $m of $t stacks reach _start"
exit 0
