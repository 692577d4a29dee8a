#!/bin/sh
# Temporary names nobody can plant ahead: an unprivileged user (nobody) fills
# the sticky, world-writable folder root writes into with files named the way
# a writer's temporaries could be named: every name the old scheme (an
# unseeded rand() XOR the pid) gives for the pid prowl will have (it runs as
# the first process of a new pid namespace), and 3000 names in prowl's own
# pattern (".NAME.tmp" and 16 hex digits). Root's writes all
# succeed, complete, with no temporary left, and the planted files stay.
. "$(dirname "$0")/../lib.sh"
require_cmd setpriv
require_cmd python3
require_cmd unshare
[ "$(id -u)" = 0 ] || skip "needs root (root writing where another user plants names)"
chmod 755 "$TMP"
S=$ROOT/tests/data/formats/simple.folded
want=$(folded_total "$S")
mkdir "$TMP/shared"
chmod 1777 "$TMP/shared"
python3 - >"$TMP/names" <<'EOF' || fail "cannot make the list of names"
import ctypes, os
# The old scheme: try k was named (rand() ^ getpid() ^ k) & 0xffffff with
# glibc's rand() never seeded, for k < 100. prowl runs below as the first
# process of a new pid namespace: its pid is 1 (a few more allowed).
libc = ctypes.CDLL("libc.so.6")
rands = [libc.rand() for k in range(100)]
names = set()
for pid in range(1, 9):
    for k in range(100):
        for base in ("out.folded", "out.svg"):
            names.add("%s.tmp%06x" % (base, (rands[k] ^ pid ^ k) & 0xffffff))
for i in range(3000):
    for base in ("out.folded", "out.svg"):
        names.add(".%s.tmp%s" % (base, os.urandom(8).hex()))
print("\n".join(sorted(names)))
EOF
chmod 644 "$TMP/names"
(cd "$TMP/shared" && setpriv --reuid=65534 --regid=65534 --clear-groups xargs touch <"$TMP/names") ||
	fail "nobody could not plant names"
planted=$(ls -A "$TMP/shared" | wc -l)
[ "$planted" -gt 7000 ] || fail "only $planted names planted"
unshare --pid --fork true 2>"$TMP/err" || skip "cannot make a pid namespace here: $(cat "$TMP/err")"

n=0
while [ $n -lt 20 ]; do
	n=$((n + 1))
	unshare --pid --fork "$PROWL" convert "$S" -o "$TMP/shared/out.folded" 2>"$TMP/err" ||
		fail "write $n failed with names planted: $(cat "$TMP/err")"
	[ "$(folded_total "$TMP/shared/out.folded")" = "$want" ] || fail "write $n: not the whole profile"
	unshare --pid --fork "$PROWL" convert "$S" -o "$TMP/shared/out.svg" 2>"$TMP/err" ||
		fail "svg write $n failed with names planted: $(cat "$TMP/err")"
	head -c 5 "$TMP/shared/out.svg" | grep -q '<?xml' || fail "write $n: out.svg is not the profile"
done
unshare --pid --fork "$PROWL" record -q -o "$TMP/shared/out.folded" -- true 2>"$TMP/err" ||
	fail "record failed with names planted: $(cat "$TMP/err")"
[ "$(ls -A "$TMP/shared" | wc -l)" = $((planted + 2)) ] ||
	fail "files appeared or went: $planted planted, $(ls -A "$TMP/shared" | wc -l) now"
info "$planted names planted; 41 writes by root all succeeded, nothing left behind"
exit 0
