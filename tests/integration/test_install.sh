#!/bin/sh
# make install puts exactly the binary, its man pages and its completion
# under DESTDIR/PREFIX, without building the samples or running apt-get;
# make uninstall removes exactly those.
. "$(dirname "$0")/../lib.sh"

require_cmd make
D=$TMP/dest
P=/opt/prowl-test
mk() { make -C "$ROOT" --no-print-directory BUILD="$BUILD" DESTDIR="$D" PREFIX="$P" "$@"; }

# What install would run, with everything out of date (-B): no sample, no apt-get.
mk -n -B install >"$TMP/plan" 2>&1 || fail "make -n install failed: $(tail -3 "$TMP/plan")"
grep -E 'samples/|apt-get|setup-deps' "$TMP/plan" >"$TMP/bad" &&
	fail "make install would build samples or install packages: $(head -3 "$TMP/bad")"

mk install >"$TMP/install.log" 2>&1 || fail "make install failed: $(tail -5 "$TMP/install.log")"
cmds=$("$PROWL" --man-commands) || fail "prowl --man-commands failed"
{
	echo "$P/bin/prowl"
	echo "$P/share/man/man1/prowl.1"
	for c in $cmds; do echo "$P/share/man/man1/prowl-$c.1"; done
	echo "$P/share/bash-completion/completions/prowl"
	echo "$P/share/zsh/site-functions/_prowl"
} | sort >"$TMP/want"
(cd "$D" && find . ! -type d | sed 's|^\.||' | sort) >"$TMP/have"
diff "$TMP/want" "$TMP/have" >"$TMP/diff" || fail "installed files differ from the expected list: $(cat "$TMP/diff")"
[ -x "$D$P/bin/prowl" ] || fail "the installed prowl is not executable"
"$D$P/bin/prowl" --version | grep -q '^prowl ' || fail "the installed prowl does not run"
for f in "$D$P"/share/man/man1/* "$D$P"/share/bash-completion/completions/prowl "$D$P"/share/zsh/site-functions/_prowl; do
	[ "$(stat -c %a "$f")" = 644 ] || fail "$f is mode $(stat -c %a "$f"), not 644"
done
if command -v man >/dev/null 2>&1; then
	MANWIDTH=80 man -M "$D$P/share/man" prowl-record 2>/dev/null | grep -q -- '--pid' ||
		fail "man -M DESTDIR/PREFIX/share/man prowl-record does not show the page"
fi
info "installed: $(wc -l <"$TMP/have") files"

mk uninstall >"$TMP/uninstall.log" 2>&1 || fail "make uninstall failed: $(tail -5 "$TMP/uninstall.log")"
left=$(cd "$D" && find . ! -type d)
[ -z "$left" ] || fail "make uninstall left: $left"
echo ok
