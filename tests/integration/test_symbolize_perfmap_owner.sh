#!/bin/sh
# Whose perf map names a process's JIT code: only a map owned by the uid the
# process runs as, looked up in the process's root under the pid it sees
# itself as. A user's process in its own pid namespace (where it is pid 1,
# or any pid it likes) must not get names from a root-owned /tmp/perf-1.map
# (before, root-owned maps were always trusted), and its own map, written as
# itself under its namespace pid, is used.
. "$(dirname "$0")/../lib.sh"
require_perf
require_cmd cc
require_cmd setpriv
require_cmd unshare
[ "$(id -u)" = 0 ] || skip "needs root (to profile another user's process)"
setpriv --reuid=65534 --regid=65534 --clear-groups unshare -Urpf true 2>/dev/null ||
	skip "unprivileged user and pid namespaces are not allowed here"
chmod 755 "$TMP"
mkdir -m 1777 "$TMP/shared"

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
/* jit SECONDS ADDRFILE [own]: runs JIT code; writes its address to ADDRFILE,
 * and with "own" its own /tmp/perf-<its pid>.map naming it jit_own_method. */
int main(int argc, char **argv)
{
	static const unsigned char code[] = {
		0x55, 0x48, 0x89, 0xe5, 0x48, 0x89, 0xf8,
		0x48, 0x6b, 0xc0, 0x05, 0x48, 0xff, 0xc0, 0x48, 0xff, 0xce, 0x75, 0xf4,
		0x5d, 0xc3,
	};
	if (argc < 3)
		return 2;
	unsigned char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 1;
	memcpy(p, code, sizeof(code));
	if (argc > 3) {
		char path[64];
		snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)getpid());
		FILE *f = fopen(path, "w");
		if (!f)
			return 1;
		fprintf(f, "%lx %zx jit_own_method\n", (unsigned long)(uintptr_t)p, sizeof(code));
		fclose(f);
	}
	FILE *a = fopen(argv[2], "w");
	if (!a)
		return 1;
	fprintf(a, "%lx %zx\n", (unsigned long)(uintptr_t)p, sizeof(code));
	fclose(a);
	time_t end = time(NULL) + atoi(argv[1]);
	while (time(NULL) < end)
		sink = ((jit_fn)(void *)p)(sink, 1000000);
	return 0;
}
CEOF
cc -O1 -o "$TMP/shared/jit" "$TMP/jit.c" || fail "cannot build the test program"

# run_user [own]: the program as nobody in new user and pid namespaces;
# sets pid (as prowl sees it), nspid (as it sees itself), addr and size.
run_user() {
	rm -f "$TMP/shared/addr"
	bg setpriv --reuid=65534 --regid=65534 --clear-groups unshare -Urpf "$TMP/shared/jit" 5 \
		"$TMP/shared/addr" "$@"
	i=0
	until [ -s "$TMP/shared/addr" ]; do
		i=$((i + 1))
		[ $i -lt 100 ] || fail "the program did not start"
		sleep 0.05
	done
	pid=$(cat "/proc/$BG/task/$BG/children" | awk '{ print $1 }')
	[ -n "$pid" ] || fail "no pid"
	PIDS_TO_KILL="$PIDS_TO_KILL $pid"
	nspid=$(awk '/^NSpid:/ { print $NF }' "/proc/$pid/status")
	read -r addr size <"$TMP/shared/addr"
	info "pid $pid, $nspid in its namespace, JIT code at $addr"
	[ "$pid" != "$nspid" ] || fail "the program is not in its own pid namespace"
}
record() {
	"$PROWL" record -p "$pid" -d 1 -o "$TMP/out.folded" 2>"$TMP/err"
	rc=$?
	cat "$TMP/err"
	kill "$pid" 2>/dev/null
	[ "$rc" = 0 ] || fail "record failed ($rc)"
	t=$(folded_total "$TMP/out.folded")
	info "$t samples"
	[ "$t" -gt 20 ] || fail "only $t samples"
}

# 1. A root-owned map under the pid the user's process chose: ignored.
run_user
map=/tmp/perf-$nspid.map
[ ! -e "$map" ] || skip "$map exists already"
trap 'rm -f "$map"; cleanup' EXIT
printf '%s %s root_jvm_secret_method_from_pid%s\n' "$addr" "$size" "$nspid" >"$map"
record
rm -f "$map"
if grep -q root_jvm_secret_method "$TMP/out.folded"; then
	fail "a root-owned perf map named the user's code: $(head -3 "$TMP/out.folded")"
fi
# the JIT code is still there, unnamed, under main
n=$(folded_count "$TMP/out.folded" ';main;\[unknown\]_\[j\] ')
at_least "$n" "$((t / 2))" || fail "the JIT frames are not under main: $(head -3 "$TMP/out.folded")"

# 2. The process's own map (owned by its uid, named by its namespace pid):
# used, although prowl knows it by another pid.
run_user own
[ "$(stat -c %u "$map" 2>/dev/null)" = 65534 ] || fail "the user's map is not there as nobody's"
record
rm -f "$map"
n=$(folded_count "$TMP/out.folded" 'jit_own_method')
at_least "$n" "$((t / 2))" || fail "the user's own map was not used: $(head -3 "$TMP/out.folded")"
exit 0
