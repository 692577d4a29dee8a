#!/bin/sh
# The perf backend needs one descriptor per thread and CPU: attaching to 600
# threads on 2+ CPUs passes 1024. Under a soft limit of 1024 prowl raises
# it to the hard limit and records with perf; with the hard limit at 1024
# too, --backend perf fails in one line that names the limit to raise, and
# the default backend (auto) falls back to ptrace, saying so in one line.
. "$(dirname "$0")/../lib.sh"
require_perf
require_ptrace
require_cmd cc
ncpu=$(getconf _NPROCESSORS_CONF)
T=600
[ $((T * ncpu)) -gt 1100 ] || skip "$ncpu CPU: $T threads need only $((T * ncpu)) descriptors"
hard=$(ulimit -Hn)
[ "$hard" = unlimited ] || [ "$hard" -ge $((T * ncpu + 200)) ] || skip "the hard open-file limit is $hard here"
cat >"$TMP/idle.c" <<'CEOF'
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>
static volatile unsigned long sink;
static void *idle(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}
/* idle N: N threads that sleep, and a main thread that spins */
int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1;
	for (int i = 0; i < n; i++) {
		pthread_t t;
		pthread_attr_t a;
		pthread_attr_init(&a);
		pthread_attr_setstacksize(&a, 65536);
		if (pthread_create(&t, &a, idle, NULL))
			return 1;
	}
	for (;;)
		sink++;
}
CEOF
cc -O1 -pthread -o "$TMP/idle" "$TMP/idle.c" || fail "cannot build the test program"
bg "$TMP/idle" $T
pid=$BG
i=0
until [ "$(ls "/proc/$pid/task" 2>/dev/null | wc -l)" -gt $T ]; do
	i=$((i + 1))
	kill -0 "$pid" 2>/dev/null && [ $i -lt 400 ] || fail "idle did not start its $T threads"
	sleep 0.05
done

# rec HARD ARGS...: prowl under soft limit 1024 and the given hard limit
rec() {
	h=$1
	shift
	(ulimit -Sn 1024 && ulimit -Hn "$h" && exec "$PROWL" record -p "$pid" -d 1 "$@") >"$TMP/out" 2>"$TMP/err"
	rc=$?
	info "hard $h, $*: exit $rc: $(cat "$TMP/err")"
	kill -0 "$pid" 2>/dev/null || fail "idle is gone"
}

rec "$hard" --backend perf -o "$TMP/a.folded"
[ "$rc" = 0 ] || fail "perf backend under soft limit 1024: exit $rc"
at_least "$(folded_total "$TMP/a.folded")" 1 || fail "no samples"

rec 1024 --backend perf -o "$TMP/b.folded"
[ "$rc" != 0 ] || fail "perf backend with $T threads x $ncpu CPUs under hard limit 1024 succeeded"
[ ! -e "$TMP/b.folded" ] || fail "a profile was written after the failure"
[ "$(wc -l <"$TMP/err")" = 1 ] || fail "$(wc -l <"$TMP/err") lines on stderr"
grep -q 'RLIMIT_NOFILE' "$TMP/err" && grep -q 'ulimit -Hn' "$TMP/err" ||
	fail "the message does not name the limit to raise"

rec 1024 -o "$TMP/c.folded"
[ "$rc" = 0 ] || fail "auto backend under hard limit 1024: exit $rc"
# One line says why ptrace is used. ptrace's own note that a look at 600
# threads takes longer than a period (the rate it fell to) is another matter.
[ "$(grep -c 'using the ptrace backend' "$TMP/err")" = 1 ] || fail "the fallback to ptrace is not said in one line"
[ "$(grep -v '^prowl record: ptrace sampling fell to ' "$TMP/err" | grep -c ptrace)" = 1 ] ||
	fail "the fallback to ptrace is said on more than one line"
grep -q 'using the ptrace backend' "$TMP/err" || fail "no fallback line"
at_least "$(folded_total "$TMP/c.folded")" 1 || fail "no samples after the fallback"
exit 0
