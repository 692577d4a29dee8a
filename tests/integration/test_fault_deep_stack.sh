#!/bin/sh
# Stacks deeper than what prowl copies or keeps: the deep sample (200 frames
# of 1 KiB each) with the smallest stack copy (--stack-size 512: not even one
# caller fits), the default copy, frame-pointer unwinding, and a max depth of
# 8 frames with each backend; the recursion sample (500 frames) likewise.
# Each: exit 0, samples whose leaf is the spinning function, counted as
# truncated in the summary (but for frame pointers the binary does not
# have), never more frames than asked. --max-depth counts the frames walked,
# as perf's --max-stack does: the calls inlined into them are shown on top
# ("_[i]"), not counted, and not cut (the inline sample, both backends).
. "$(dirname "$0")/../lib.sh"
require_perf
require_ptrace
run() { # NAME LEAF MAXFRAMES TRUNCATED(yes|no) PROWL-ARGS... -- COMMAND
	name=$1 leaf=$2 maxf=$3 want_trunc=$4
	shift 4
	"$PROWL" record -d 1 -o "$TMP/$name.folded" "$@" 2>"$TMP/$name.err"
	rc=$?
	[ $rc = 0 ] || fail "$name: prowl exited $rc: $(cat "$TMP/$name.err")"
	total=$(folded_total "$TMP/$name.folded")
	leafn=$(folded_count "$TMP/$name.folded" ";$leaf [0-9]+\$|^$leaf [0-9]+\$")
	trunc=$(sed -n 's/.*; [0-9]* partial, \([0-9]*\) truncated.*/\1/p' "$TMP/$name.err")
	# A [kernel] leaf is where the time went (in a system call or a fault
	# under the last user frame), as a state is: not a frame of the stack.
	# Inlined calls ("_[i]") are shown with the frame they are in, not walked.
	depth=$(sed 's/;\[kernel\]_\[k\] / /' "$TMP/$name.folded" | awk '{ n = split($1, a, ";"); w = 0; for (i = 1; i <= n; i++) if (a[i] !~ /_\[i\]$/) w++; if (w > m) m = w; if (n > s) s = n } END { print m + 0, s + 0 }')
	shown=${depth#* } depth=${depth% *}
	info "$name: $total samples, $leafn ending in $leaf, ${trunc:-?} truncated, deepest $depth frames walked, $shown shown"
	[ "$total" -ge 20 ] || fail "$name: only $total samples"
	[ "$leafn" -ge $((total * 9 / 10)) ] || fail "$name: $leafn of $total samples end in $leaf: $(head -n 3 "$TMP/$name.folded")"
	[ $want_trunc = no ] || [ "${trunc:-0}" -ge $((total * 9 / 10)) ] || fail "$name: ${trunc:-0} of $total counted as truncated"
	[ "$maxf" = - ] || [ "$depth" -le "$maxf" ] || fail "$name: $depth frames walked, more than $maxf"
}
run deep-copy512 deep_bottom - yes --stack-size 512 -- "$SAMPLES/deep" 3 200
run deep-default deep_bottom - yes -- "$SAMPLES/deep" 3 200
# deep has no frame pointers: the kernel's walk stops early (not truncated).
run deep-fp deep_bottom 127 no --unwind fp -- "$SAMPLES/deep" 3 200
run deep-perf-max8 deep_bottom 8 yes --max-depth 8 --stack-size 64k -- "$SAMPLES/deep" 3 200
run deep-ptrace-max8 deep_bottom 8 yes --backend ptrace --max-depth 8 -- "$SAMPLES/deep" 3 200
# main and outer_noinline walked, inlined_mid and inlined_leaf shown in the
# second: nine in ten samples are those four frames (the others: startup).
for backend in perf ptrace; do
	name=inline-$backend-max2
	run $name 'inlined_leaf_\[i\]' 2 yes --backend $backend --max-depth 2 -- "$SAMPLES/inline" 3
	four=$(folded_count "$TMP/$name.folded" '^main;outer_noinline;inlined_mid_\[i\];inlined_leaf_\[i\](;\[kernel\]_\[k\])? [0-9]+$')
	[ "$four" -ge $((total * 9 / 10)) ] || fail "$name: $four of $total samples show main, outer_noinline and its two inlined calls: $(head -n 3 "$TMP/$name.folded")"
done
run rec-perf-max16 bottom 16 yes --max-depth 16 -- "$SAMPLES/recursion" 3 500
run rec-ptrace bottom - yes --backend ptrace -- "$SAMPLES/recursion" 3 2000
echo "deep stacks: kept what fits, counted as truncated, no failure"
