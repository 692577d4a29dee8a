#!/bin/sh
# Root profiles a user's process whose files the user chooses. The user (in
# its own user and mount namespace, as any user may) mounts a tmpfs on
# /usr/lib/debug and plants the build-id link of its stripped program as an
# absolute symlink to the debug file of a root-only program (another
# build-id); its program lives in a tmpfs of its own namespace, so prowl
# reads it (and looks for its debug file) through /proc/PID/root. Root's profile must not contain that program's function names:
# the link resolves inside the target's root, and a debug file counts only
# when its build-id is the module's.
. "$(dirname "$0")/../lib.sh"
require_perf
require_cmd cc
require_cmd setpriv
require_cmd unshare
require_cmd objcopy
require_cmd readelf
require_cmd strip
[ "$(id -u)" = 0 ] || skip "needs root (to profile another user's process)"
[ -d /usr/lib/debug ] || skip "/usr/lib/debug does not exist here"
setpriv --reuid=65534 --regid=65534 --clear-groups unshare -Urm true 2>/dev/null ||
	skip "unprivileged user and mount namespaces are not allowed here"
chmod 755 "$TMP"
cat >"$TMP/prog.c" <<'CEOF'
#include <stdlib.h>
#include <time.h>
static volatile unsigned long sink;
__attribute__((noinline)) void NAME(void)
{
	for (unsigned long i = 0; i < 100000; i++)
		sink += i * i;
}
int main(int argc, char **argv)
{
	time_t end = time(NULL) + (argc > 1 ? atoi(argv[1]) : 3);
	while (time(NULL) < end)
		NAME();
	return 0;
}
CEOF
mkdir -m 700 "$TMP/secret"
cc -g -O1 -DNAME=root_only_secret_function -o "$TMP/secret/prog" "$TMP/prog.c" || fail "cannot build"
objcopy --only-keep-debug "$TMP/secret/prog" "$TMP/secret/prog.debug" || fail "objcopy"
chmod 600 "$TMP/secret/prog.debug"
mkdir -p "$TMP/user/mnt"
cc -g -O1 -DNAME=user_function -o "$TMP/user/prog" "$TMP/prog.c" || fail "cannot build"
objcopy --only-keep-debug "$TMP/user/prog" "$TMP/user/own.debug" || fail "objcopy"
strip --strip-all "$TMP/user/prog"
chmod -R a+rX "$TMP/user"
bid=$(readelf -n "$TMP/user/prog" 2>/dev/null | awk '/Build ID/ { print $3 }')
sbid=$(readelf -n "$TMP/secret/prog.debug" 2>/dev/null | awk '/Build ID/ { print $3 }')
[ -n "$bid" ] && [ "$bid" != "$sbid" ] || fail "build-ids: user '$bid', secret '$sbid'"
dir=$(echo "$bid" | cut -c1-2)
rest=$(echo "$bid" | cut -c3-)

# run_user LINK_TARGET: the user's program, with its build-id link in its own
# /usr/lib/debug pointing (absolutely) at LINK_TARGET; root records it.
run_user() {
	cat >"$TMP/user/run.sh" <<EOF2
mount -t tmpfs none /usr/lib/debug || exit 1
mkdir -p /usr/lib/debug/.build-id/$dir || exit 1
cp $TMP/user/own.debug /usr/lib/debug/own.debug || exit 1
ln -s $1 /usr/lib/debug/.build-id/$dir/$rest.debug || exit 1
mount -t tmpfs none $TMP/user/mnt || exit 1
cp $TMP/user/prog $TMP/user/mnt/prog || exit 1
exec $TMP/user/mnt/prog 4
EOF2
	bg setpriv --reuid=65534 --regid=65534 --clear-groups unshare -Urm sh "$TMP/user/run.sh"
	pid=$BG
	i=0
	until [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = prog ]; do
		i=$((i + 1))
		[ $i -lt 100 ] || fail "the user's program did not start"
		sleep 0.05
	done
	# the planted link is what the target sees (and what root would follow)
	[ -L "/proc/$pid/root/usr/lib/debug/.build-id/$dir/$rest.debug" ] ||
		fail "the link is not in the target's root"
	"$PROWL" record -p "$pid" -d 1 -o "$TMP/out.folded" 2>"$TMP/err"
	rc=$?
	cat "$TMP/err"
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	[ "$rc" = 0 ] || fail "record failed ($rc)"
	t=$(folded_total "$TMP/out.folded")
	info "$t samples"
	[ "$t" -gt 20 ] || fail "only $t samples"
}

# The user's own debug file, reached by an absolute link that exists only
# in its namespace: found (the lookup happens in the target's root).
run_user /usr/lib/debug/own.debug
n=$(folded_count "$TMP/out.folded" ';main;user_function ')
at_least "$n" "$((t / 2))" || fail "the user's own debug file was not used: $(head -3 "$TMP/out.folded")"

# A root-only program's debug file (another build-id): refused.
run_user "$TMP/secret/prog.debug"
if grep -q root_only_secret_function "$TMP/out.folded"; then
	fail "root's profile holds the root-only program's names: $(head -3 "$TMP/out.folded")"
fi
# the user's program is still shown, by module and offset
n=$(folded_count "$TMP/out.folded" 'prog\+0x')
at_least "$n" "$((t / 2))" || fail "the user's program is not in the profile: $(head -3 "$TMP/out.folded")"
exit 0
