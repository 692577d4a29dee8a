#!/bin/sh
# prowl top of a command it launched, in tmux: the command writes to the same
# terminal, over the view, behind curses' back (a write to a terminal cannot
# be seen). The view is repainted whole every few refreshes while the command
# shares the terminal, and once when it exits: what it wrote does not stay on
# the screen until Ctrl-L.
. "$(dirname "$0")/../lib.sh"
require_cmd tmux

TMUX_SOCK=prowl-test-$$
tx() { tmux -L "$TMUX_SOCK" "$@"; }
top_cleanup() {
	tx kill-server 2>/dev/null
	cleanup
}
trap top_cleanup EXIT
# `prowl top ARGS` in a 160x45 pane; prowl's exit code in $TMP/rc.
top_start() {
	cat >"$TMP/run.sh" <<EOF2
"$PROWL" top $*
echo \$? >"$TMP/rc"
exec sleep 600
EOF2
	tx new-session -d -s top -x 160 -y 45 -c "$TMP" "sh $TMP/run.sh" || fail "cannot start tmux"
}
screen() { tx capture-pane -p -t top >"$TMP/screen"; }
# The view as curses drew it: header on the first line, key bar on the last,
# and nothing of the command's output.
intact() { # TEXT
	[ "$(sed -n 1p "$TMP/screen" | cut -c1-14)" = "prowl top  pid" ] &&
		sed -n 2p "$TMP/screen" | grep -q '^samples ' &&
		sed -n 45p "$TMP/screen" | grep -q '^? Help' &&
		! grep -q "$1" "$TMP/screen"
}
# Waits until the view is intact again, up to ~N/5 s.
wait_intact() { # TEXT TICKS
	i=0
	while [ $i -lt "$2" ]; do
		screen
		intact "$1" && return 0
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}
# Waits until the screen matches (or, with -v, stops matching) a regex; up to ~N/5 s.
wait_screen() { # [-v] REGEX TICKS
	neg=""
	[ "$1" = -v ] && { neg=1; shift; }
	i=0
	while [ $i -lt "$2" ]; do
		screen
		if grep -Eq -- "$1" "$TMP/screen"; then [ -z "$neg" ] && return 0; else [ -n "$neg" ] && return 0; fi
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}

# (The text is built in the command so that the header, which shows the
# command line, does not hold it; it is looked for without its first letter,
# which lands in the last column of the line above.)
# 1. While it runs: a line written 1.5 s in is gone within a few refreshes
#    (repaint every 5th at --delay 0.4: 2 s), long before the command ends.
top_start --delay 0.4 -- sh -c "'w=SCRIB; sleep 1.5; echo PROWL-\${w}BLE; : >$TMP/scribbled; exec $SAMPLES/cpu 20'"
wait_screen 'prowl top +pid' 50 || { cat "$TMP/screen"; fail "no view"; }
i=0
until [ -f "$TMP/scribbled" ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "the command never wrote its line"
	sleep 0.1
done
# Seen, unless a repaint came first (the old view never repainted it away).
if wait_screen ROWL-SCRIBBLE 3; then info "the command's line is on the screen"; else info "the command's line was repainted away before it was seen"; fi
wait_intact ROWL-SCRIBBLE 50 || { cat "$TMP/screen"; fail "the view stayed garbled by the command's output for 10 s"; }
grep -Eq 'hot_a|main|run_workload' "$TMP/screen" || { cat "$TMP/screen"; fail "the repainted view shows no rows"; }
grep -q 'target exited' "$TMP/screen" && fail "the command ended before the check (it runs 20 s)"
info "gone after a repaint, while the command runs"
tx send-keys -t top q
i=0; while [ ! -f "$TMP/rc" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -f "$TMP/rc" ] || fail "prowl top did not quit"
tx kill-server 2>/dev/null
rm -f "$TMP/rc"
TMUX_SOCK=prowl-test-$$-b

# 2. Its last words, written as it exits: gone once the view says it exited.
#    A long --delay: no periodic repaint comes first.
top_start --delay 30 -- sh -c "'w=LAST; $SAMPLES/cpu 1; echo PROWL-\${w}-WORDS'"
wait_screen 'target exited' 100 || { cat "$TMP/screen"; fail "the view never said the command exited"; }
sleep 0.5
screen
intact ROWL-LAST-WORDS || { cat "$TMP/screen"; fail "the command's last line garbles the view after it exited"; }
grep -Eq 'hot_a|main|run_workload' "$TMP/screen" || { cat "$TMP/screen"; fail "the final view shows no rows"; }
info "its last line is gone once it exited"
tx send-keys -t top q
i=0; while [ ! -f "$TMP/rc" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ "$(cat "$TMP/rc" 2>/dev/null)" = 0 ] || fail "prowl top exited $(cat "$TMP/rc" 2>/dev/null)"
echo ok
