# Shared by the browser tests (tests/integration/test_browser_*.sh), sourced
# after tests/lib.sh: the viewers they need, a local web server, headless
# Chromium, and where the screenshots are kept.

# The speedscope app as its npm package ships it (scripts/setup-deps.sh
# installs it under PROWL_NODE_DIR); installs it when missing and the
# set-up script can (root, registry reachable), else skips saying why.
NODE_DIR=${PROWL_NODE_DIR:-/usr/local/lib/prowl-test}
SPEEDSCOPE=$NODE_DIR/node_modules/speedscope/dist/release
require_speedscope() {
	[ -f "$SPEEDSCOPE/index.html" ] && return 0
	sh "$ROOT/scripts/setup-deps.sh" npm >"$TMP/npm.log" 2>&1
	[ -f "$SPEEDSCOPE/index.html" ] ||
		skip "speedscope is not installed and could not be ($(tail -n 1 "$TMP/npm.log")): run sh scripts/setup-deps.sh test"
}

# Screenshots stay after the test, to look at.
SHOTS=${PROWL_SHOT_DIR:-$BUILD/test-logs/browser}
mkdir -p "$SHOTS"

# serve DIR: a web server on 127.0.0.1 (a free port), in the background;
# its URL in $URL.
serve() {
	: >"$TMP/http.log"
	(cd "$1" && exec python3 -u -m http.server --bind 127.0.0.1 0) >"$TMP/http.log" 2>&1 &
	PIDS_TO_KILL="$PIDS_TO_KILL $!"
	i=0
	while ! grep -q 'port [0-9]' "$TMP/http.log"; do
		i=$((i + 1))
		[ $i -gt 100 ] && fail "the web server did not start: $(cat "$TMP/http.log")"
		sleep 0.1
	done
	URL="http://127.0.0.1:$(grep -o 'port [0-9]*' "$TMP/http.log" | head -n 1 | cut -d' ' -f2)"
}

# browse URL ARGS...: headless Chromium on URL (--dump-dom, --screenshot=...).
# Virtual time runs the page's scripts to the end of its loading; BUDGET
# (ms of it, default 8000) is how long the page gets.
browse() {
	u=$1
	shift
	timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$TMP/chrome" --window-size=1400,900 --virtual-time-budget="${BUDGET:-8000}" "$@" "$u" \
		2>>"$TMP/chrome.log"
}

# shot URL NAME: a screenshot into $SHOTS/NAME.png.
shot() {
	(cd "$TMP" && browse "$1" --screenshot="$SHOTS/$2.png" >/dev/null) ||
		fail "chromium could not take $2.png: $(tail -n 3 "$TMP/chrome.log")"
	[ -s "$SHOTS/$2.png" ] || fail "no screenshot $2.png"
	info "screenshot: $SHOTS/$2.png"
}
