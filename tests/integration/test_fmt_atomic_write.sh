#!/bin/sh
# An interrupted write never leaves a half profile: prowl writes to an
# unnamed file in the destination folder and renames it into place only when
# complete (and writes straight into FIFOs and devices, which it must not
# replace). (1) SIGKILL while the output is being written (we wait until the
# process holds its unnamed output file open, then kill it): the old file is
# intact and nothing else appears. (2) A full disk (a 64 KiB tmpfs): the
# command fails with one line, the old file is intact, no temporary is left.
# Also: FIFOs (a reader that comes late is waited for), devices and symlinks
# are written through, never replaced; modes follow the umask.
. "$(dirname "$0")/../lib.sh"

# 200,000 distinct stacks: tens of MB of speedscope JSON to write.
awk 'BEGIN { srand(7); for (i = 0; i < 200000; i++) { s = "main"; d = 4 + i % 12
	for (k = 0; k < d; k++) s = s ";fn_" int(rand() * 500); print s ";leaf_" i, 1 + int(rand() * 9) } }' \
	>"$TMP/big.folded"

mkdir "$TMP/out"
printf 'OLD PROFILE\n' >"$TMP/out/profile.json"

caught=0
for attempt in 1 2 3 4 5; do
	"$PROWL" convert "$TMP/big.folded" -o "$TMP/out/profile.json" 2>"$TMP/err" &
	pid=$!
	PIDS_TO_KILL="$PIDS_TO_KILL $pid"
	# Wait for the output file to be written: a descriptor into out/ (shown
	# as "out/#NNN (deleted)" for an unnamed file; opened before the input
	# is read) that holds some bytes already.
	i=0
	while [ $i -lt 3000 ] && kill -0 $pid 2>/dev/null; do
		fd=$(ls -l /proc/$pid/fd 2>/dev/null | awk -v d="$TMP/out/" 'index($0, d) { print $9; exit }')
		if [ -n "$fd" ] && [ "$(stat -L -c %s /proc/$pid/fd/$fd 2>/dev/null || echo 0)" -gt 0 ]; then
			kill -9 $pid
			caught=1
			break
		fi
		i=$((i + 1))
	done
	wait $pid 2>/dev/null
	[ "$(cat "$TMP/out/profile.json")" = "OLD PROFILE" ] || fail "old file changed by an interrupted write"
	n=$(ls -A "$TMP/out" | wc -l)
	[ "$n" = 1 ] || fail "files left behind after SIGKILL: $(ls -A "$TMP/out")"
	[ $caught = 1 ] && break
done
[ $caught = 1 ] || fail "never caught the writer mid-write in 5 attempts"
info "killed mid-write: old file intact, nothing left behind"

# A complete write does replace it.
"$PROWL" convert "$ROOT/tests/data/formats/simple.folded" -o "$TMP/out/profile.json" ||
	fail "a normal write failed"
grep -q '"\$schema"' "$TMP/out/profile.json" || fail "a complete write did not replace the old file"

# What is not a regular file is written into, never replaced: a FIFO stays a
# FIFO, a character device (a private copy of /dev/null) stays a device, and a
# symbolic link keeps pointing at its target, which gets the new profile.
S=$ROOT/tests/data/formats/simple.folded
mkfifo "$TMP/fifo" || fail "mkfifo"
cat "$TMP/fifo" >"$TMP/from-fifo" &
reader=$!
"$PROWL" convert "$S" -f folded -o "$TMP/fifo" || fail "writing into a FIFO"
wait $reader
[ -p "$TMP/fifo" ] || fail "the FIFO was replaced"
cmp -s "$TMP/from-fifo" "$S" 2>/dev/null || [ "$(folded_total "$TMP/from-fifo")" = 130 ] ||
	fail "the FIFO reader got: $(cat "$TMP/from-fifo")"
# A reader that comes later is waited for (the open does not block: it
# retries), and gets the whole profile.
"$PROWL" convert "$S" -f folded -o "$TMP/fifo" 2>"$TMP/err" &
writer=$!
sleep 0.5
kill -0 $writer 2>/dev/null || fail "convert into a FIFO without a reader did not wait: $(cat "$TMP/err")"
cat "$TMP/fifo" >"$TMP/from-fifo2"
wait $writer || fail "convert into a FIFO whose reader came late failed: $(cat "$TMP/err")"
[ "$(folded_total "$TMP/from-fifo2")" = "$(folded_total "$S")" ] || fail "the late FIFO reader got: $(cat "$TMP/from-fifo2")"
if mknod "$TMP/null" c 1 3 2>/dev/null; then
	"$PROWL" convert "$S" -o "$TMP/null" -f svg || fail "writing into a character device"
	[ -c "$TMP/null" ] || fail "the character device was replaced by a file"
fi
printf 'OLD PROFILE\n' >"$TMP/target.svg"
ln -s target.svg "$TMP/link.svg"
"$PROWL" convert "$S" -o "$TMP/link.svg" || fail "writing through a symbolic link"
[ -L "$TMP/link.svg" ] || fail "the symbolic link was replaced"
head -c 5 "$TMP/target.svg" | grep -q '<?xml' || fail "the link's target did not get the profile"

# Modes are 0666 less the umask, for a new file and a replaced one.
(umask 027; "$PROWL" convert "$S" -o "$TMP/mode.folded") || fail "write with umask 027"
[ "$(stat -c %a "$TMP/mode.folded")" = 640 ] || fail "umask 027 gave mode $(stat -c %a "$TMP/mode.folded")"
(umask 002; "$PROWL" convert "$S" -o "$TMP/mode.folded") || fail "write with umask 002"
[ "$(stat -c %a "$TMP/mode.folded")" = 664 ] || fail "umask 002 gave mode $(stat -c %a "$TMP/mode.folded")"

# Full disk: 8,000 stacks make any format larger than 64 KiB.
head -n 8000 "$TMP/big.folded" >"$TMP/mid.folded"
mkdir "$TMP/small"
mount -t tmpfs -o size=64k prowltest "$TMP/small" 2>"$TMP/mount.err" ||
	skip "cannot mount a small tmpfs here: $(cat "$TMP/mount.err")"
trap 'umount "$TMP/small" 2>/dev/null; cleanup' EXIT
printf 'OLD PROFILE\n' >"$TMP/small/profile.svg"
for fmt in svg json pb.gz folded; do
	out="$TMP/small/profile.$fmt"
	[ -e "$out" ] || printf 'OLD PROFILE\n' >"$out"
	if "$PROWL" convert "$TMP/mid.folded" -o "$out" 2>"$TMP/err"; then
		# The svg merges narrow frames and may fit: that is a success, not a half file.
		[ "$fmt" = svg ] && { python3 -c "import xml.etree.ElementTree as E; E.parse('$out')" ||
			fail "svg written to the small disk is not whole"; continue; }
		fail "writing $fmt to a full disk succeeded?"
	fi
	[ "$(wc -l <"$TMP/err")" = 1 ] || fail "expected one line of error, got: $(cat "$TMP/err")"
	grep -q "no space left" "$TMP/err" || fail "error does not say the disk is full: $(cat "$TMP/err")"
	[ "$(cat "$out")" = "OLD PROFILE" ] || fail "old $fmt file damaged by a failed write"
done
left=$(ls -A "$TMP/small" | grep -v '^profile\.' || true)
[ -z "$left" ] || fail "temporary files left on the full disk: $left"
used=$(df -k "$TMP/small" | awk 'NR == 2 { print $3 }')
[ "$used" -le 40 ] || fail "space not given back after failed writes: ${used}k used"
umount "$TMP/small"
exit 0
