#!/bin/sh
# prowl addr2line in a pipe answers each address as soon as it is read (a
# caller can write one address, read its answer, then write the next), and
# numbers come from stdin one per line like eu-addr2line.
. "$(dirname "$0")/../lib.sh"
require_cmd nm
bin=$SAMPLES/cpu
a=0x$(nm "$bin" | awk '$3 == "hot_a" { print $1 }')
b=0x$(nm "$bin" | awk '$3 == "hot_b" { print $1 }')
mkfifo "$TMP/in" "$TMP/out" || fail "mkfifo failed"
"$PROWL" addr2line -f -e "$bin" <"$TMP/in" >"$TMP/out" &
server=$!
PIDS_TO_KILL="$PIDS_TO_KILL $server"
# a watchdog: if answers wait for the end of input, the reads below would
# block; killing prowl after 10 s turns that into a failed read
(sleep 10; kill "$server" 2>/dev/null) &
PIDS_TO_KILL="$PIDS_TO_KILL $!"
exec 3>"$TMP/in" 4<"$TMP/out"
echo "$a" >&3
read -r f1 <&4 && read -r l1 <&4 || fail "no answer for the first address while stdin stays open"
[ "$f1" = hot_a ] || fail "expected hot_a, got $f1"
echo "$b" >&3
read -r f2 <&4 && read -r l2 <&4 || fail "no answer for the second address"
[ "$f2" = hot_b ] || fail "expected hot_b, got $f2"
exec 3>&-
read -r rest <&4 && fail "unexpected output after the input closed: $rest"
exec 4<&-
info "$f1 $l1 / $f2 $l2"
# arguments and stdin give the same answers
printf '%s\n%s\n' "$a" "$b" | "$PROWL" addr2line -f -e "$bin" >"$TMP/stdin.out"
"$PROWL" addr2line -f -e "$bin" "$a" "$b" >"$TMP/args.out"
cmp -s "$TMP/stdin.out" "$TMP/args.out" || fail "stdin and arguments disagree"
# a bad address is reported and skipped, the others still answered
printf '%s\nnot-an-address\n%s\n' "$a" "$b" | "$PROWL" addr2line -f -e "$bin" >"$TMP/bad.out" 2>"$TMP/bad.err"
[ "$(wc -l <"$TMP/bad.out")" -eq 4 ] || fail "a bad line stopped the answers: $(cat "$TMP/bad.out")"
grep -q 'not a hex address' "$TMP/bad.err" || fail "no message for the bad line"
# a missing file is a clear error
"$PROWL" addr2line -e "$TMP/nope" 0x10 2>"$TMP/err" && fail "a missing file succeeded"
grep -q 'cannot open' "$TMP/err" || fail "unclear message: $(cat "$TMP/err")"
exit 0
