#!/bin/sh
# Wall mode shows every thread at every tick, whatever its state: a vfork
# parent waits in uninterruptible sleep (D) for as long as its child runs, and
# never stops for ptrace meanwhile. It must appear under __vfork with
# [child wait] in every tick's sample (the recording's seconds x rate, by the
# counts), and `-d 2` must end the recording then, not when the child lets the
# parent go (prowl waited 2 s more for it to stop before detaching).
. "$(dirname "$0")/../lib.sh"
require_ptrace
VF=$BUILD/tests/helpers/vforkwait
[ -x "$VF" ] || fail "$VF is missing: make $VF"
"$PROWL" record --no-children --backend ptrace --mode wall -F 99 -d 2 -o "$TMP/v.folded" -- "$VF" 6 2>"$TMP/err"
rc=$?
cat "$TMP/err"
cat "$TMP/v.folded"
[ "$rc" = 0 ] || fail "prowl exited $rc"
total=$(folded_total "$TMP/v.folded")
blocked=$(folded_count "$TMP/v.folded" '(^|;)run_vfork;(__)?vfork;\[child wait\] [0-9]+$')
# --no-children: the parent alone (the vfork child, followed by default, has
# samples of its own). Each sample weighs the periods since the thread's previous one, so the
# total is the recorded time x 99 Hz whatever ticks were late: 2 s is 198;
# a thread missing from ticks, or one recorded 2 s too long, is far off.
info "$blocked of $total samples in vfork, waiting; 2 s at 99 Hz is 198"
at_least "$blocked" "$((total * 95 / 100))" || fail "the vfork parent is missing from wall samples ($blocked of $total)"
at_least "$total" 170 || fail "only $total samples in 2 s at 99 Hz: the blocked thread is missing from ticks"
# Elapsed as prowl reports it (sampling start to stop, detach included):
# -d 2 plus at most one tick (10 ms) and 0.5 s for a loaded machine; the
# wait being fixed was 2 s.
secs=$(sed -n 's/^prowl record: [0-9]* samples, .*, \([0-9.]*\) s; .*/\1/p' "$TMP/err")
info "recording took $secs s for -d 2"
at_least 2.5 "$secs" || fail "-d 2 recorded for $secs s"
at_least 2.6 "$(awk -v t="$total" 'BEGIN { print t / 99 }')" || fail "$total samples: more than -d 2 at 99 Hz"
exit 0
