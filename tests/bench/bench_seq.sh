#!/bin/sh
# What keeping the samples' time order costs (speedscope and perf script
# outputs): bytes a sample in the store for an hour of 4 threads at 999 Hz
# (synthetic: tests/helpers/seq_hour), and as measured by `prowl record`'s
# summary on a real recording of the threads sample. Collapsed, SVG and
# pprof outputs keep none of it.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PROWL=${PROWL:-$ROOT/prowl}
BUILD=${BUILD:-$ROOT/build}
"$BUILD/tests/helpers/seq_hour" 3600 4 999 5000 || exit 1
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
"$PROWL" record -F 999 -o "$TMP/t.json" -- "$ROOT/samples/bin/threads" 10 2>"$TMP/err" || { cat "$TMP/err"; exit 1; }
printf '%-28s %s\n' "measured (threads, 10 s)" "$(sed -n 's/^prowl: time order kept in //p' "$TMP/err")"
"$PROWL" record -F 999 -o "$TMP/t.folded" -- "$ROOT/samples/bin/threads" 2 2>"$TMP/err2" || exit 1
grep -q 'time order kept' "$TMP/err2" && { echo "collapsed output kept the time order"; exit 1; }
echo "collapsed output: no time order kept"
exit 0
