#!/bin/sh
# The man pages the build writes (build/man): one per command that has an
# option table plus prowl.1; each renders without a warning from man or
# groff; each lists every option its command's --help lists, with ASCII
# hyphens a user can copy; prowl.1 has every exit status prowl returns.
. "$(dirname "$0")/../lib.sh"

require_cmd man
require_cmd groff
MAN=$BUILD/man
[ -f "$MAN/prowl.1" ] || fail "no $MAN/prowl.1: 'make all' writes the pages"

# The pages are exactly prowl.1 and one per command the binary names.
cmds=$("$PROWL" --man-commands) || fail "prowl --man-commands failed"
[ -n "$cmds" ] || fail "prowl --man-commands names no command"
want=$( (echo prowl.1; for c in $cmds; do echo "prowl-$c.1"; done) | sort)
have=$(cd "$MAN" && ls | sort)
[ "$want" = "$have" ] || fail "pages in $MAN: $(echo $have), expected: $(echo $want)"
for c in record top dump report convert diff addr2line; do
	echo "$cmds" | grep -qx "$c" || fail "$c has no man page"
done

# The pages are up to date with the binary.
for c in $cmds; do
	"$PROWL" --man "$c" | cmp -s - "$MAN/prowl-$c.1" || fail "prowl-$c.1 differs from 'prowl --man $c'"
done

for page in "$MAN"/*.1; do
	name=$(basename "$page")
	err=$(MANWIDTH=80 man -l "$page" 2>&1 >/dev/null)
	[ -z "$err" ] || fail "man -l $name warns: $err"
	err=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
	[ -z "$err" ] || fail "man --warnings -l $name warns: $err"
	err=$(groff -man -ww -z "$page" 2>&1)
	[ -z "$err" ] || fail "groff -ww $name warns: $err"
	# No text line starts with a control character by accident, and no
	# hyphen is left for groff to turn into a typographic one.
	grep -n "^[.']" "$page" | grep -Ev "^[0-9]+:\.(TH|SH|SS|TP|PP|nf|fi|nh|ad|B|BR|I)( |\$)" >"$TMP/bad" &&
		fail "$name: unknown requests: $(head -3 "$TMP/bad")"
	grep -v '^\.' "$page" | grep -n '[^\\]-' | grep -v '^[0-9]*:\\-' >"$TMP/bad" &&
		fail "$name: a hyphen not written \\-: $(head -3 "$TMP/bad")"
	awk 'f { print; exit } /^\.SH "NAME"/ { f = 1 }' "$page" | grep -q ' \\- ' || fail "$name: NAME has no 'name \\- summary'"
done

# Every option --help lists is in its page, spelled as typed (ASCII '-').
for c in $cmds; do
	MANWIDTH=200 LANG=C.UTF-8 man -l "$MAN/prowl-$c.1" 2>/dev/null >"$TMP/$c.txt"
	for s in NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" "SEE ALSO"; do
		grep -q "^$s" "$TMP/$c.txt" || fail "prowl-$c.1 has no $s section"
	done
	grep -q "^EXAMPLES" "$TMP/$c.txt" || fail "prowl-$c.1 has no EXAMPLES"
	"$PROWL" "$c" --help >"$TMP/$c.help" || fail "prowl $c --help failed"
	grep -Eo '^ +(-[A-Za-z0-9](, )?)?(--[a-z0-9-]+)?' "$TMP/$c.help" | tr -d ' ,' | grep . >"$TMP/$c.opts" || true
	n=$(grep -c . "$TMP/$c.opts")
	[ "$n" -ge 2 ] || fail "found only $n options in 'prowl $c --help'"
	while read -r o; do
		short=$(echo "$o" | grep -Eo '^-[A-Za-z0-9]' | head -1)
		long=$(echo "$o" | grep -Eo -- '--[a-z0-9-]+' | head -1)
		for spelling in $short $long; do
			grep -Eq -- "(^|[ ,\[])$spelling([ ,=\[]|\$)" "$TMP/$c.txt" ||
				fail "prowl-$c.1 does not list $spelling (from 'prowl $c --help')"
		done
	done <"$TMP/$c.opts"
	info "prowl-$c.1: $n options"
	# The examples of --help, as typed.
	grep '^  prowl ' "$TMP/$c.help" | sed 's/^  //' | while read -r ex; do
		grep -Fq -- "$ex" "$TMP/$c.txt" || fail "prowl-$c.1 lacks the example '$ex'"
	done || exit 1
done

# prowl.1: the commands, and every exit status the tests expect.
MANWIDTH=200 man -l "$MAN/prowl.1" 2>/dev/null >"$TMP/prowl.txt"
for s in NAME SYNOPSIS COMMANDS "EXIT STATUS" ENVIRONMENT FILES EXAMPLES "SEE ALSO"; do
	grep -q "^$s" "$TMP/prowl.txt" || fail "prowl.1 has no $s section"
done
for c in $cmds dump; do
	grep -Eq "^ +$c +" "$TMP/prowl.txt" || fail "prowl.1 does not list the command $c"
done
for c in $cmds; do
	grep -q "prowl-$c(1)" "$TMP/prowl.txt" || fail "prowl.1 does not point at prowl-$c(1)"
done
codes=$(grep -v '^#' "$ROOT/tests/exitcodes.tsv" | awk -F'\t' 'NF > 2 { print $1 }' | grep -E '^[0-9]+$' | sort -un)
[ -n "$codes" ] || fail "no exit codes read from tests/exitcodes.tsv"
sed -n '/^EXIT STATUS/,/^ENVIRONMENT/p' "$TMP/prowl.txt" >"$TMP/exit.txt"
for code in 0 $codes; do
	grep -Eq "^ +$code +[a-zA-Z]" "$TMP/exit.txt" || fail "prowl.1's EXIT STATUS lacks $code"
done
# README's table and prowl.1's (from exit.c) name the same statuses.
page_codes=$(grep -Eo '^ {7}[0-9]+ ' "$TMP/exit.txt" | tr -d ' ' | sort -n | tr '\n' ' ')
readme_codes=$(sed -n '/^### Exit status/,/^## /p' "$ROOT/README.md" | grep -Eo '^\| [0-9]+ \|' | tr -d '| ' |
	sort -n | tr '\n' ' ')
[ -n "$readme_codes" ] || fail "no exit status table in README.md"
[ "$page_codes" = "$readme_codes" ] || fail "prowl.1 lists statuses $page_codes, README $readme_codes"
info "prowl.1 lists exit statuses: $page_codes"
echo ok
