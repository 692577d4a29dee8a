#!/bin/sh
# Errors: one line on stderr saying what to do, a non-zero exit status, and
# no output file.
. "$(dirname "$0")/../lib.sh"

expect_error() { # WHAT WORDS EXPECTED_RC(- for any non-zero) PROWL-ARGS...
	what=$1 words=$2 want=$3
	shift 3
	rm -f "$TMP/out.folded"
	"$PROWL" "$@" >"$TMP/stdout" 2>"$TMP/stderr"
	rc=$?
	[ "$rc" != 0 ] || fail "$what: exit status 0"
	[ "$want" = - ] || [ "$rc" = "$want" ] || fail "$what: exit status $rc, expected $want"
	n=$(wc -l <"$TMP/stderr")
	[ "$n" = 1 ] || fail "$what: $n lines on stderr: $(cat "$TMP/stderr")"
	grep -q "$words" "$TMP/stderr" || fail "$what: message lacks '$words': $(cat "$TMP/stderr")"
	[ -s "$TMP/stdout" ] && fail "$what: wrote to stdout: $(cat "$TMP/stdout")"
	[ -e "$TMP/out.folded" ] && fail "$what: an output file was written"
	info "$what ($rc): $(cat "$TMP/stderr")"
}

expect_error "no such command" "command not found" - record -o "$TMP/out.folded" -- /nonexistent/prowl-test-cmd
expect_error "no such command in PATH" "command not found" - record -o "$TMP/out.folded" -- prowl-no-such-command-xyz
printf 'not a program\n' >"$TMP/data.txt"
chmod 644 "$TMP/data.txt"
expect_error "not executable" "permission denied" - record -o "$TMP/out.folded" -- "$TMP/data.txt"
expect_error "a folder" "cannot execute" - record -o "$TMP/out.folded" -- "$TMP"
expect_error "no such pid" "no such process" - record -o "$TMP/out.folded" -p 2147483
expect_error "unknown option" "unknown option" 64 record --no-such-option -o "$TMP/out.folded" -- true
expect_error "bad frequency" "frequency" 64 record -F abc -o "$TMP/out.folded" -- true
expect_error "nothing to profile" "nothing to profile" 64 record -o "$TMP/out.folded"
expect_error "pid and command" "not both" 64 record -p 1 -o "$TMP/out.folded" -- true
expect_error "unknown format" "unknown format" 64 record -f nope -o "$TMP/out.folded" -- true
expect_error "folder missing" "cannot write" - record -o "$TMP/no/such/dir/out.folded" -- true

# A process the user may not profile: an unprivileged user against ours.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1; then
	bg sleep 30
	chmod 777 "$TMP"
	rm -f "$TMP/out.folded"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$PROWL" record -o "$TMP/out.folded" -p "$BG" \
		>"$TMP/stdout" 2>"$TMP/stderr"
	rc=$?
	[ "$rc" != 0 ] || fail "not permitted: exit status 0"
	[ "$(wc -l <"$TMP/stderr")" = 1 ] || fail "not permitted: $(cat "$TMP/stderr")"
	grep -q "permission denied" "$TMP/stderr" || fail "not permitted: $(cat "$TMP/stderr")"
	[ -e "$TMP/out.folded" ] && fail "not permitted: an output file was written"
	info "not permitted ($rc): $(cat "$TMP/stderr")"
fi
exit 0
