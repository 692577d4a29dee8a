#!/bin/sh
# A process with 1500 shared libraries records and writes its profile under
# `ulimit -n 1024`: prowl raises its soft limit to the hard one, and its
# symbolizer holds no descriptor per module (libelf maps or reads the file,
# then the descriptor is closed), so even with the hard limit at 1024 every
# sampled library is named. Before, each module and debug file kept an fd:
# "cannot write ...: too many open files" and the whole recording was lost.
. "$(dirname "$0")/../lib.sh"
require_perf
require_cmd cc
N=1500
mkdir "$TMP/libs"
cat >"$TMP/tiny.c" <<'CEOF'
static volatile unsigned long sink;
typedef void (*work_fn)(void *tab, int n, int i, int depth);
/* Spins, then calls the next library's copy: every sample's stack holds
 * several libraries, so most of them get symbolized. */
void tiny_work(void *tab, int n, int i, int depth)
{
	for (unsigned long k = 0; k < 20000; k++)
		sink += k;
	if (depth > 0)
		((work_fn *)tab)[(i + 1) % n](tab, n, i + 1, depth - 1);
	sink++;
}
CEOF
# no build-id: 1500 copies of one file are then 1500 distinct modules to the
# symbolizer as well (it caches by build-id when there is one)
cc -shared -fPIC -O1 -Wl,--build-id=none -o "$TMP/tiny.so" "$TMP/tiny.c" || fail "cannot build the library"
i=0
while [ $i -lt $N ]; do
	names=""
	j=$i
	while [ $j -lt $((i + 300)) ] && [ $j -lt $N ]; do
		names="$names $TMP/libs/lib$j.so"
		j=$((j + 1))
	done
	# shellcheck disable=SC2086
	tee $names <"$TMP/tiny.so" >/dev/null || fail "cannot copy the library"
	i=$j
done
cat >"$TMP/many.c" <<'CEOF'
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
/* many DIR N SECONDS READYFILE: dlopens DIR/lib0.so .. lib<N-1>.so, then
 * calls each one's tiny_work in turn. */
int main(int argc, char **argv)
{
	if (argc < 5)
		return 2;
	int n = atoi(argv[2]);
	typedef void (*work_fn)(void *tab, int n, int i, int depth);
	work_fn *fn = calloc((size_t)n, sizeof(*fn));
	for (int i = 0; i < n; i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/lib%d.so", argv[1], i);
		void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
		if (!h || !(fn[i] = (work_fn)dlsym(h, "tiny_work"))) {
			fprintf(stderr, "%s\n", dlerror());
			return 1;
		}
	}
	FILE *f = fopen(argv[4], "w");
	if (!f)
		return 1;
	fclose(f);
	time_t end = time(NULL) + atoi(argv[3]);
	while (time(NULL) < end)
		for (int i = 0; i < n; i++)
			fn[i](fn, n, i, 7);
	return 0;
}
CEOF
cc -O1 -o "$TMP/many" "$TMP/many.c" -ldl || fail "cannot build the test program"

# run HARD: records the process for 3 s under a soft limit of 1024 and the
# given hard limit.
run() {
	rm -f "$TMP/ready" "$TMP/out.folded"
	bg "$TMP/many" "$TMP/libs" $N 30 "$TMP/ready"
	pid=$BG
	i=0
	until [ -e "$TMP/ready" ]; do
		i=$((i + 1))
		kill -0 "$pid" 2>/dev/null && [ $i -lt 600 ] || fail "the program did not load its libraries"
		sleep 0.05
	done
	libs=$(grep -c '/libs/lib[0-9]*\.so' "/proc/$pid/maps")
	info "hard limit $1: $libs mappings of the libraries"
	(ulimit -Sn 1024 && ulimit -Hn "$1" && exec "$PROWL" record -p "$pid" -d 3 -o "$TMP/out.folded") 2>"$TMP/err"
	rc=$?
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	cat "$TMP/err"
	[ "$rc" = 0 ] || fail "hard limit $1: record failed ($rc)"
	[ -s "$TMP/out.folded" ] || fail "hard limit $1: no profile written"
	t=$(folded_total "$TMP/out.folded")
	named=$(folded_count "$TMP/out.folded" ';main(;tiny_work)+ [0-9]+$')
	unnamed=$(folded_count "$TMP/out.folded" 'lib[0-9]+\.so\+0x')
	info "hard limit $1: $t samples, $named in tiny_work, $unnamed in an unnamed library"
	[ "$t" -gt 100 ] || fail "hard limit $1: only $t samples"
	[ "$unnamed" = 0 ] || fail "hard limit $1: libraries left unnamed: $(grep -E 'lib[0-9]+\.so\+0x' "$TMP/out.folded" | head -3)"
	at_least "$named" "$(awk -v t="$t" 'BEGIN { print t * 0.8 }')" ||
		fail "hard limit $1: $named of $t samples in tiny_work"
}
hard=$(ulimit -Hn)
[ "$hard" = unlimited ] || [ "$hard" -ge 4096 ] || skip "the hard open-file limit is $hard here"
run "$hard"
run 1024
exit 0
