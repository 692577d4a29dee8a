#!/bin/sh
# prowl record's status line: on a terminal (tmux) one line, updated while it
# records and gone before the summary; nothing of it when stderr is a file
# or with -q.
. "$(dirname "$0")/../lib.sh"

require_cmd tmux
if ! "$BUILD/tests/helpers/probe" perf >/dev/null 2>&1; then
	require_ptrace # the auto backend falls back to ptrace
fi

TMUX_SOCK=prowl-test-$$
tx() { tmux -L "$TMUX_SOCK" "$@"; }
progress_cleanup() {
	tx kill-server 2>/dev/null
	cleanup
}
trap progress_cleanup EXIT
screen() { tx capture-pane -p -t rec >"$TMP/screen"; }

# --- on a terminal ---
cat >"$TMP/run.sh" <<SH
"$PROWL" record -d 4 -o "$TMP/t.folded" -- "$SAMPLES/cpu" 0
echo "rc=\$?" >"$TMP/rc.tmp"; mv "$TMP/rc.tmp" "$TMP/rc"
exec sleep 600
SH
tx new-session -d -s rec -x 150 -y 20 "sh $TMP/run.sh" || fail "cannot start tmux"
seen="" i=0
while [ ! -f "$TMP/rc" ] && [ $i -lt 300 ]; do
	screen
	line=$(grep 'prowl record: recording' "$TMP/screen")
	if [ -n "$line" ]; then
		[ "$(printf '%s\n' "$line" | wc -l)" = 1 ] || fail "more than one status line: $line"
		echo "$line" | grep -Eq '^prowl record: recording [0-9]+ s, [0-9]+ samples \([0-9]+/s\), [0-9]+ lost, [0-9]+ threads?, prowl [0-9.]+% CPU$' ||
			fail "the status line is not 'elapsed, samples, rate, lost, threads, CPU': $line"
		printf '%s\n' "$seen" | grep -Fxq -- "$line" || seen="$seen
$line"
	fi
	sleep 0.2
	i=$((i + 1))
done
[ -f "$TMP/rc" ] || fail "prowl record -d 4 did not end"
info "status lines seen:$seen"
n=$(printf '%s\n' "$seen" | grep -c 'prowl record: recording')
[ "$n" -ge 2 ] || fail "the status line was not updated while recording ($n distinct lines seen)"
screen
grep -q 'prowl record: recording' "$TMP/screen" && { cat "$TMP/screen"; fail "the status line was left on the screen"; }
grep -Eq '^prowl record: [0-9]+ samples, [0-9]+ lost' "$TMP/screen" || { cat "$TMP/screen"; fail "no summary line"; }
[ "$(grep -c . "$TMP/screen")" -le 2 ] || { cat "$TMP/screen"; fail "more than the summary left on the screen"; }

# -q on a terminal: nothing at all
tx kill-server
rm -f "$TMP/rc"
sed -i 's/record -d 4/record -q -d 2/' "$TMP/run.sh"
tx new-session -d -s rec -x 150 -y 20 "sh $TMP/run.sh" || fail "cannot start tmux"
i=0
while [ ! -f "$TMP/rc" ] && [ $i -lt 200 ]; do
	screen
	grep -q 'prowl' "$TMP/screen" && { cat "$TMP/screen"; fail "-q printed on the terminal"; }
	sleep 0.2
	i=$((i + 1))
done
[ -f "$TMP/rc" ] || fail "prowl record -q -d 2 did not end"

# --- stderr not a terminal: no status line, no \r ---
"$PROWL" record -d 3 -o "$TMP/f.folded" -- "$SAMPLES/cpu" 0 2>"$TMP/err" || fail "record failed: $(cat "$TMP/err")"
if grep -q "$(printf '\r')" "$TMP/err" || grep -q 'recording' "$TMP/err"; then
	od -c "$TMP/err" | head
	fail "a status line went to a stderr that is not a terminal"
fi
grep -Eq '^prowl record: [0-9]+ samples' "$TMP/err" || fail "no summary on stderr: $(cat "$TMP/err")"
echo ok
