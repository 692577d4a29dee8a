#!/bin/sh
# The exit-status table (tests/exitcodes.tsv): every failure gives the same
# status in every command. Each row must exit with exactly its status, print
# one line on stderr matching its pattern and nothing on stdout. The table
# itself must keep the rule: one status per failure name, and rows for every
# command.
. "$(dirname "$0")/../lib.sh"

table=$ROOT/tests/exitcodes.tsv
[ -f "$table" ] || fail "no table $table"

D=$TMP/fx
mkdir -p "$D/dir"
printf 'main;work;leaf 7\nmain;other 3\n' >"$D/good.folded"
printf 'this is not a profile\n' >"$D/junk"
printf 'not a program\n' >"$D/notexec"
chmod 644 "$D/notexec"
printf '\177ELF\002\001\001\000garbage, not a program' >"$D/badelf"
chmod 755 "$D/badelf"
chmod 755 "$D" "$TMP"
bg sleep 60
SLEEPER=$BG
wait_exec $SLEEPER sleep || fail "the sleeping process never started"
NOBODY=""
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1; then
	NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"
fi
# A kernel thread (rows using $KTHREAD are skipped when none is visible).
KTHREAD=""
for s in /proc/[0-9]*/status; do
	grep -q '^Kthread:[[:space:]]*1' "$s" 2>/dev/null && { KTHREAD=${s#/proc/}; KTHREAD=${KTHREAD%/status}; break; }
done
[ -n "$KTHREAD" ] || { [ "$(cat /proc/2/comm 2>/dev/null)" = kthreadd ] && KTHREAD=2; }
export PROWL SAMPLES D SLEEPER NOBODY KTHREAD

# The table's own rule: a failure name has one status.
awk -F'\t' '!/^#/ && NF >= 5 {
	if (($2 in code) && code[$2] != $1) { print "failure " $2 ": status " code[$2] " and " $1; bad = 1 }
	code[$2] = $1
} END { exit bad }' "$table" || fail "the table gives one failure two statuses"
for c in record top dump report convert diff addr2line; do
	awk -F'\t' -v c=$c '!/^#/ && $3 == c { n++ } END { exit !(n >= 3) }' "$table" ||
		fail "fewer than 3 rows for $c"
done

n=0 bad=0 skipped=0
while IFS='	' read -r want failure cmd pattern line; do
	case "$want" in ''|'#'*) continue ;; esac
	case "$line" in *'$NOBODY'*) [ -n "$NOBODY" ] || { skipped=$((skipped + 1)); continue; } ;; esac
	case "$line" in *'$KTHREAD'*) [ -n "$KTHREAD" ] || { skipped=$((skipped + 1)); continue; } ;; esac
	n=$((n + 1))
	judge_case "$want" 1 "$pattern" "$cmd/$failure: " "$line" || bad=$((bad + 1))
done <"$table"
[ $n -ge 50 ] || fail "only $n rows run from $table"
echo "$n rows, $bad failed, $skipped skipped (not root or no setpriv; no kernel thread visible)"
[ $bad = 0 ] || fail "$bad of $n exit-status rows"
