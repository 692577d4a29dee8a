#!/bin/sh
# Where the profile cannot (or must not) go, with prowl attached to a running
# target, each backend:
# - a full disk (a 64 KiB tmpfs, nearly full): one line saying so, exit 73,
#   no file and no temporary left, an older profile there kept intact;
# - a folder without write permission (prowl and target run as nobody): one
#   line, exit 73, before any profiling;
# - a path that is a symlink planted by another user (nobody, in a sticky
#   world-writable folder) to a file of ours, or dangling: refused before
#   profiling with one line, exit 73; the file it points to is not touched
#   nor created, the symlink stays and nothing else appears;
# - the profile root makes of another user's process is 0600; of its own,
#   0666 less the umask.
# Always: the target unharmed (not stopped, not traced) and finishing with 0.
. "$(dirname "$0")/../lib.sh"
require_perf
require_ptrace
require_cmd setpriv
[ "$(id -u)" = 0 ] || skip "needs root (tmpfs mount, another user)"
chmod 755 "$TMP"
unharmed() { # WHAT PID
	status=$(cat "/proc/$2/status" 2>/dev/null)
	if [ -n "$status" ]; then
		st=$(echo "$status" | awk '/^State:/ { print $2 }')
		tr=$(echo "$status" | awk '/^TracerPid:/ { print $2 }')
		case "$st" in t|T) fail "$1: target left in state $st" ;; esac
		[ "$tr" = 0 ] || fail "$1: target still traced by $tr"
	fi
	wait "$2"
	trc=$?
	[ $trc = 0 ] || fail "$1: the target exited $trc"
}
# One line of error. The notes ptrace prints while it records when a loaded
# machine slows it down (the rate it fell to, the rate it lowered to) are not
# part of the failure and are left out of the count.
one_line() { # WHAT ERRFILE REGEX
	n=$(grep -cvE '^prowl [a-z]+: ptrace (sampling fell to|stops held the target) ' "$2")
	[ "$n" = 1 ] || fail "$1: $n lines on stderr: $(cat "$2")"
	grep -qE "$3" "$2" || fail "$1: message does not say /$3/: $(cat "$2")"
}

full=$TMP/full
mkdir -p "$full"
mount -t tmpfs -o size=64k,mode=755 prowl-test-full "$full" || skip "cannot mount a tmpfs here"
trap 'umount "$full" 2>/dev/null; cleanup' EXIT
printf 'old profile\n' >"$full/old.svg"
dd if=/dev/zero of="$full/filler" bs=1k count=58 2>/dev/null
for be in perf ptrace; do
	# Full disk: a new file, then over an older profile.
	for name in new.svg old.svg; do
		bg "$SAMPLES/cpu" 1.5
		t=$BG
		wait_exec $t cpu
		"$PROWL" record --backend $be -p $t -d 0.5 -q -o "$full/$name" 2>"$TMP/err"
		rc=$?
		[ $rc = 73 ] || fail "$be full disk ($name): exit $rc, want 73: $(cat "$TMP/err")"
		one_line "$be full disk ($name)" "$TMP/err" 'no space left'
		unharmed "$be full disk ($name)" $t
	done
	[ ! -e "$full/new.svg" ] || fail "$be full disk: a partial new.svg was left"
	[ "$(cat "$full/old.svg")" = "old profile" ] || fail "$be full disk: the older profile was changed"
	[ "$(ls -A "$full" | sort | tr '\n' ' ')" = "filler old.svg " ] || fail "$be full disk: files left: $(ls -A "$full")"

	# A folder nobody may write to, as nobody.
	mkdir -p "$TMP/ro"
	chmod 755 "$TMP/ro"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$SAMPLES/cpu" 1.5 &
	t=$!
	PIDS_TO_KILL="$PIDS_TO_KILL $t"
	wait_exec $t cpu
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$PROWL" record --backend $be -p $t -d 0.5 -o "$TMP/ro/out.svg" 2>"$TMP/err"
	rc=$?
	[ $rc = 73 ] || fail "$be read-only folder: exit $rc, want 73: $(cat "$TMP/err")"
	one_line "$be read-only folder" "$TMP/err" 'cannot write .*permission denied'
	[ -z "$(ls -A "$TMP/ro")" ] || fail "$be read-only folder: files appeared: $(ls -A "$TMP/ro")"
	unharmed "$be read-only folder" $t

	# Symlinks planted by nobody in a sticky, world-writable folder.
	shared=$TMP/shared-$be
	mkdir -p "$shared"
	chmod 1777 "$shared"
	printf 'precious\n' >"$TMP/victim"
	chmod 644 "$TMP/victim"
	before=$(stat -c '%i %s %Y' "$TMP/victim")
	setpriv --reuid=65534 --regid=65534 --clear-groups ln -s "$TMP/victim" "$shared/out.folded" ||
		fail "nobody cannot plant a symlink"
	setpriv --reuid=65534 --regid=65534 --clear-groups ln -s "$TMP/created-by-prowl" "$shared/dangling.folded"
	for name in out dangling; do
		bg "$SAMPLES/cpu" 1.5
		t=$BG
		wait_exec $t cpu
		"$PROWL" record --backend $be -p $t -d 0.5 -q -o "$shared/$name.folded" 2>"$TMP/err"
		rc=$?
		unharmed "$be symlink $name" $t
		[ $rc = 73 ] || fail "$be symlink $name: exit $rc, want 73: $(cat "$TMP/err"; ls -la "$shared")"
		one_line "$be symlink $name" "$TMP/err" 'cannot write .*symbolic link another user put'
		[ -L "$shared/$name.folded" ] || fail "$be symlink $name: refused, but the symlink is gone"
	done
	[ "$(cat "$TMP/victim")" = precious ] || fail "$be symlink: the file it pointed to was written"
	[ "$(stat -c '%i %s %Y' "$TMP/victim")" = "$before" ] || fail "$be symlink: the file it pointed to changed"
	[ ! -e "$TMP/created-by-prowl" ] || fail "$be symlink: the dangling symlink's target was created"
	[ "$(ls -A "$shared" | sort | tr '\n' ' ')" = "dangling.folded out.folded " ] ||
		fail "$be symlink: files left: $(ls -A "$shared")"
	# Modes: nobody's process gives a private profile, root's own the usual.
	setpriv --reuid=65534 --regid=65534 --clear-groups "$SAMPLES/cpu" 1.5 &
	t=$!
	PIDS_TO_KILL="$PIDS_TO_KILL $t"
	wait_exec $t cpu
	(umask 022; "$PROWL" record --backend $be -p $t -d 0.5 -q -o "$TMP/$be-nobody.folded") ||
		fail "$be: recording nobody's process failed"
	unharmed "$be private mode" $t
	[ "$(stat -c %a "$TMP/$be-nobody.folded")" = 600 ] ||
		fail "$be: root's profile of nobody's process is $(stat -c %a "$TMP/$be-nobody.folded"), want 600"
	bg "$SAMPLES/cpu" 1.5
	t=$BG
	wait_exec $t cpu
	(umask 022; "$PROWL" record --backend $be -p $t -d 0.5 -q -o "$TMP/$be-root.folded") ||
		fail "$be: recording root's own process failed"
	unharmed "$be own mode" $t
	[ "$(stat -c %a "$TMP/$be-root.folded")" = 644 ] ||
		fail "$be: root's profile of its own process is $(stat -c %a "$TMP/$be-root.folded"), want 644 (umask 022)"
	info "$be: full disk, read-only folder, planted symlinks, modes: safe"
done
echo "output faults: clear errors, nothing half-written, nothing outside the asked path touched, targets unharmed"
