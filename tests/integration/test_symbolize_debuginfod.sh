#!/bin/sh
# A debug file fetched from debuginfod: a real server on 127.0.0.1 serves a
# folder holding the sample's debug file (split off with objcopy); the binary
# is stripped, so file:line can only come from the server.
. "$(dirname "$0")/../lib.sh"
require_cmd debuginfod
require_cmd objcopy
require_cmd curl
require_cmd nm
mkdir -p "$TMP/srv" "$TMP/cache"
cp "$SAMPLES/inline" "$TMP/inline" || fail "missing samples (run make)"
addr=0x$(nm "$TMP/inline" | awk '$3 == "outer_noinline" { print $1 }')
[ "$addr" != 0x ] || fail "no outer_noinline in the sample"
objcopy --only-keep-debug "$TMP/inline" "$TMP/srv/inline.debug" || fail "objcopy failed"
strip --strip-debug -o "$TMP/stripped" "$TMP/inline" || fail "strip failed"
rm -f "$TMP/inline"
bid=$(readelf -n "$TMP/stripped" | awk '/Build ID:/ { print $3 }')
[ -n "$bid" ] || fail "the sample has no build-id"

# Without debuginfod the stripped binary has a name but no line.
out=$(DEBUGINFOD_URLS= "$PROWL" addr2line -f -e "$TMP/stripped" "$addr")
echo "$out" | grep -q 'inline\.c' && fail "file:line found without the server: $out"

port=""
for p in $(awk 'BEGIN { srand(); for (i = 0; i < 20; i++) print 20000 + int(rand() * 40000) }'); do
	ss -Hltn "sport = :$p" 2>/dev/null | grep -q . && continue
	port=$p; break
done
[ -n "$port" ] || fail "no free port found"
bg debuginfod -p "$port" -d "$TMP/db.sqlite" -F "$TMP/srv" -t 0 -g 0 -c 1 >"$TMP/server.log" 2>&1
server=$BG
url=http://127.0.0.1:$port
i=0
until curl -sf -o /dev/null "$url/buildid/$bid/debuginfo"; do
	kill -0 "$server" 2>/dev/null || { cat "$TMP/server.log"; fail "debuginfod exited"; }
	i=$((i + 1)); [ $i -lt 200 ] || { tail "$TMP/server.log"; fail "debuginfod did not serve $bid within 20 s"; }
	sleep 0.1
done
info "debuginfod on port $port serves $bid"

out=$(DEBUGINFOD_URLS=$url DEBUGINFOD_CACHE_PATH=$TMP/cache "$PROWL" addr2line -f -i -e "$TMP/stripped" "$addr") ||
	fail "prowl addr2line failed"
echo "$out"
echo "$out" | head -n 1 | grep -qx outer_noinline || fail "function not named: $out"
echo "$out" | grep -q 'inline\.c:[0-9]' || fail "no file:line from the debuginfod debug file: $out"
ls -R "$TMP/cache" | grep -q debuginfo || fail "nothing in the private debuginfod cache"
# --no-debuginfod keeps it local.
out=$(DEBUGINFOD_URLS=$url DEBUGINFOD_CACHE_PATH=$TMP/cache2 "$PROWL" addr2line --no-debuginfod -f -e "$TMP/stripped" "$addr")
echo "$out" | grep -q 'inline\.c' && fail "--no-debuginfod still used the server"
kill "$server" 2>/dev/null
wait "$server" 2>/dev/null
exit 0
