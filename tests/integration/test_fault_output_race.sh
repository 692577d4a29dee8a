#!/bin/sh
# Root writes a profile into a sticky, world-writable folder it shares with
# an unprivileged user (nobody), who keeps swapping the output's name between
# a regular file and a symlink to a root-owned file (tests/helpers/swap_race,
# renameat2 RENAME_EXCHANGE). Whatever each run sees, the root-owned file
# never changes and nothing appears beside it: prowl decides on one look at
# the name and then only renames over the name, relative to the folder it
# opened. Each run either writes (the name then holds root's complete
# profile) or refuses the planted link with one line. `prowl convert` 300
# times, `prowl record` 100 times. (A writer that checked the name and then
# used it by path lost this race within a few hundred runs.)
. "$(dirname "$0")/../lib.sh"
require_cmd setpriv
[ "$(id -u)" = 0 ] || skip "needs root (the race is root against another user)"
RACE=$BUILD/tests/helpers/swap_race
[ -x "$RACE" ] || fail "missing $RACE (make $RACE)"
chmod 755 "$TMP"
S=$ROOT/tests/data/formats/simple.folded

mkdir "$TMP/victim"
printf 'precious root file\n' >"$TMP/victim/secret"
chmod 644 "$TMP/victim/secret"
before=$(stat -c '%i %s %Y %a' "$TMP/victim/secret")
mkdir "$TMP/shared"
chmod 1777 "$TMP/shared"
setpriv --reuid=65534 --regid=65534 --clear-groups "$RACE" "$TMP/shared" out.folded "$TMP/victim/secret" 600 \
	>"$TMP/race.out" 2>&1 &
racer=$!
PIDS_TO_KILL="$PIDS_TO_KILL $racer"
# Ready when both of its names exist (one at a time is a symlink: which one
# changes all the time).
i=0
while [ "$(ls -A "$TMP/shared" | wc -l)" != 2 ] && [ $i -lt 100 ]; do
	sleep 0.05; i=$((i + 1))
done
[ "$(ls -A "$TMP/shared" | wc -l)" = 2 ] || fail "the racer did not start: $(ls -la "$TMP/shared"; cat "$TMP/race.out")"

intact() { # WHAT
	[ "$(cat "$TMP/victim/secret")" = "precious root file" ] &&
		[ "$(stat -c '%i %s %Y %a' "$TMP/victim/secret")" = "$before" ] ||
		fail "$1: the root-owned file was replaced: $(ls -li "$TMP/victim"; head -c 100 "$TMP/victim/secret")"
	[ "$(ls -A "$TMP/victim")" = secret ] || fail "$1: files appeared beside the root-owned one: $(ls -A "$TMP/victim")"
}

race() { # WHAT ROUNDS TOTAL CMD...: runs CMD ROUNDS times against the racer;
	# what root wrote holds TOTAL samples ("-": not checked)
	what=$1 rounds=$2 want=$3
	shift 3
	wrote=0 refused=0 n=0
	while [ $n -lt "$rounds" ]; do
		n=$((n + 1))
		if "$@" 2>"$TMP/err"; then
			wrote=$((wrote + 1))
		else
			rc=$?
			[ $rc = 73 ] || fail "$what round $n: exit $rc: $(cat "$TMP/err")"
			[ "$(wc -l <"$TMP/err")" = 1 ] || fail "$what round $n: $(wc -l <"$TMP/err") lines: $(cat "$TMP/err")"
			grep -q 'cannot write .*symbolic link another user put' "$TMP/err" ||
				fail "$what round $n: refused for another reason: $(cat "$TMP/err")"
			refused=$((refused + 1))
		fi
		intact "$what round $n"
		# Root's own profile, when the name still holds it (the racer may
		# have swapped it aside since, which is the racer's business).
		if [ "$want" != - ] && [ -f "$TMP/shared/out.folded" ] && [ ! -L "$TMP/shared/out.folded" ] &&
			[ "$(stat -c %u "$TMP/shared/out.folded")" = 0 ]; then
			[ "$(folded_total "$TMP/shared/out.folded")" = "$want" ] ||
				fail "$what round $n: root's file is not a whole profile: $(head -c 200 "$TMP/shared/out.folded")"
		fi
		# Give the name back to the racer for the next round.
		rm -f "$TMP/shared/out.folded"
		leftover=$(ls -A "$TMP/shared" | grep -v '^\(out\.folded\|\.out\.folded\.swap\)$' || true)
		[ -z "$leftover" ] || fail "$what round $n: temporary files left: $leftover"
	done
	kill -0 $racer 2>/dev/null || fail "$what: the racer stopped: $(cat "$TMP/race.out")"
	info "$what: $rounds rounds, $wrote written, $refused refused the planted link; the root-owned file intact"
	# Both outcomes seen: the name really changed under prowl.
	[ $wrote -gt 0 ] && [ $refused -gt 0 ] || fail "$what: the race never hit both states ($wrote written, $refused refused)"
}

race convert 300 "$(folded_total "$S")" "$PROWL" convert "$S" -o "$TMP/shared/out.folded"
# (A command that exits at once leaves an empty profile: what matters here is where it goes.)
race record 100 - "$PROWL" record -q -o "$TMP/shared/out.folded" -- true
kill $racer 2>/dev/null
wait $racer 2>/dev/null
intact "at the end"
exit 0
