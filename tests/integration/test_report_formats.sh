#!/bin/sh
# prowl report reads every format prowl writes and gives the same tables;
# go tool pprof -top on prowl's pprof agrees with prowl report; -o - and -f
# work; usage errors exit 64 and unreadable input fails, each with one line
# on stderr and nothing on stdout.
. "$(dirname "$0")/../lib.sh"
CORPUS=${PROWL_CORPUS:-$ROOT/../shared/corpus}/perf-script
IN=$CORPUS/perf-numa-stacks-01.txt
[ -f "$IN" ] || skip "perf script corpus not found at $CORPUS (set PROWL_CORPUS)"

for f in folded json pb.gz; do
	"$PROWL" convert --all "$IN" -o "$TMP/p.$f" || fail "convert to $f"
done
"$PROWL" report "$IN" --top 8 >"$TMP/r.perf" || fail "report of perf script text"
grep -q '^prowl report: .* 199 samples' "$TMP/r.perf" || fail "report header: $(head -n 1 "$TMP/r.perf")"
# Columns up to the function name (the where column differs: folded text
# has no modules).
for f in folded json pb.gz; do
	"$PROWL" report "$TMP/p.$f" --top 8 >"$TMP/r.$f" || fail "report of $f"
	cut -c1-78 "$TMP/r.$f" | tail -n +2 | sed 's/ *$//' >"$TMP/c.$f"
done
cmp -s "$TMP/c.folded" "$TMP/c.json" || { diff "$TMP/c.folded" "$TMP/c.json"; fail "report differs: folded vs speedscope"; }
cmp -s "$TMP/c.folded" "$TMP/c.pb.gz" || { diff "$TMP/c.folded" "$TMP/c.pb.gz"; fail "report differs: folded vs pprof"; }
grep -q '^ 45.23%        90  45.23%        90  xen_hypercall_event_channel_op \[kernel\]' "$TMP/r.pb.gz" ||
	fail "top self row wrong: $(sed -n 4p "$TMP/r.pb.gz")"

# go tool pprof -top: every function's flat and cum equal prowl's self and total.
if command -v go >/dev/null 2>&1; then
	mkdir -p "$TMP/go"
	GOPATH=$TMP/go GOCACHE=$TMP/go/cache HOME=$TMP GOFLAGS= GOTOOLCHAIN=local PPROF_TMPDIR=$TMP \
		go tool pprof -symbolize=none -top -nodecount=1000 -sample_index=samples "$TMP/p.pb.gz" \
		>"$TMP/top" 2>"$TMP/top.err" || fail "go tool pprof -top: $(cat "$TMP/top.err")"
	"$PROWL" report "$TMP/p.pb.gz" --top 1000 >"$TMP/r.all" || fail "report --top 1000"
	rows=$(awk '/^ *flat/ { on = 1; next } on && NF >= 6 { print }' "$TMP/top" | wc -l)
	[ "$rows" -ge 20 ] || fail "go tool pprof -top listed only $rows functions: $(cat "$TMP/top")"
	awk -v rep="$TMP/r.all" '
		BEGIN {
			while ((getline l < rep) > 0) {
				if (l !~ /^ *[0-9.]+%/) continue
				name = substr(l, 38, 40); sub(/ +$/, "", name)
				sub(/ \[(kernel|jit|inlined)\]$/, "", name)
				split(l, f, " ")
				self[name] = f[2]; total[name] = f[4]
			}
		}
		/^ *flat/ { on = 1; next }
		on && NF >= 6 {
			name = $6; for (i = 7; i <= NF; i++) name = name " " $i
			sub(/ \(inline\)$/, "", name)
			if (!(name in self)) { print "pprof has " name ", report does not"; bad = 1; next }
			if (self[name] != $1 || total[name] != $4) {
				print name ": pprof flat " $1 " cum " $4 ", report self " self[name] " total " total[name]; bad = 1
			}
			n++
		}
		END { exit bad || n == 0 }' "$TMP/top" || fail "go tool pprof -top disagrees with prowl report"
	info "go tool pprof -top agrees with prowl report on $rows functions"
fi

# -o - and -f.
"$PROWL" convert "$TMP/p.folded" -o - >"$TMP/stdout.folded" || fail "convert -o -"
cmp -s "$TMP/stdout.folded" "$TMP/p.folded" || fail "-o - did not write the folded stacks"
"$PROWL" convert "$TMP/p.folded" -f svg -o "$TMP/forced.txt" || fail "convert -f svg"
head -c 5 "$TMP/forced.txt" | grep -q '<?xml' || fail "-f svg did not override the .txt extension"
"$PROWL" report "$TMP/p.folded" -o "$TMP/top.report" || fail "report -o FILE"
grep -q '^top functions by self' "$TMP/top.report" || fail "report -o FILE.report: not a report"
# A name that says no format is refused, as in every command (issue 13).
"$PROWL" report "$TMP/p.folded" -o "$TMP/report.out" 2>"$TMP/err" && fail "report -o report.out was accepted"
[ ! -e "$TMP/report.out" ] || fail "report -o report.out wrote a file"
grep -q "^prowl report: cannot tell the format of '.*report.out' from its name" "$TMP/err" || fail "report -o report.out: $(cat "$TMP/err")"

# Errors: the exit code, one line on stderr, nothing on stdout.
check() { # WANT_RC DESCRIPTION CMD...
	want=$1 what=$2; shift 2
	"$@" >"$TMP/o" 2>"$TMP/e"
	rc=$?
	[ $rc = "$want" ] || fail "$what: exit $rc, expected $want ($(cat "$TMP/e"))"
	[ "$(wc -l <"$TMP/e")" = 1 ] || fail "$what: expected one line on stderr, got: $(cat "$TMP/e")"
	[ ! -s "$TMP/o" ] || fail "$what: wrote to stdout"
	grep -q '^prowl [a-z]*: [a-z0-9/.-]' "$TMP/e" || fail "$what: message style: $(cat "$TMP/e")"
}
check 64 "report without a file" "$PROWL" report
check 64 "report with a bad option" "$PROWL" report --bogus "$TMP/p.folded"
check 64 "report --top 0" "$PROWL" report --top 0 "$TMP/p.folded"
check 66 "report of a missing file" "$PROWL" report "$TMP/missing.folded"
printf 'this is not\na profile at all\n' >"$TMP/junk.txt"
check 66 "report of a file that is not a profile" "$PROWL" report "$TMP/junk.txt"
check 64 "convert without -o" "$PROWL" convert "$TMP/p.folded"
check 64 "convert to an unknown extension" "$PROWL" convert "$TMP/p.folded" -o "$TMP/x.png"
check 64 "convert with an unknown -f" "$PROWL" convert "$TMP/p.folded" -f gif -o "$TMP/x.svg"
check 66 "convert of a missing file" "$PROWL" convert "$TMP/none" -o "$TMP/x.svg"
check 73 "convert into a missing folder" "$PROWL" convert "$TMP/p.folded" -o "$TMP/no/such/dir/x.svg"
[ ! -e "$TMP/x.svg" ] || fail "a failed convert left $TMP/x.svg"
check 64 "diff with one profile" "$PROWL" diff "$TMP/p.folded"
check 64 "diff to a pprof" "$PROWL" diff "$TMP/p.folded" "$TMP/p.folded" -o "$TMP/d.pb.gz"
check 66 "diff with a missing profile" "$PROWL" diff "$TMP/p.folded" "$TMP/none" -o "$TMP/d.svg"

# record --report --top N prints N rows in each table (issue 13), the same
# tables as report --top N of the file it wrote.
rows() { awk -v t="$2" '$0 ~ "^top functions by " t { on = 1; getline; next } on && NF == 0 { on = 0 } on { n++ } END { print n + 0 }' "$1"; }
"$PROWL" record -q --report --top 2 -o "$TMP/r2.folded" -- "$SAMPLES/cpu" 0.5 >"$TMP/r2.txt" || fail "record --report --top 2"
[ "$(rows "$TMP/r2.txt" self)" = 2 ] && [ "$(rows "$TMP/r2.txt" total)" = 2 ] ||
	fail "record --report --top 2 did not print 2 rows a table: $(cat "$TMP/r2.txt")"
"$PROWL" report --top 2 "$TMP/r2.folded" >"$TMP/r2b.txt" || fail "report --top 2"
[ "$(rows "$TMP/r2b.txt" self)" = 2 ] || fail "report --top 2 did not print 2 rows: $(cat "$TMP/r2b.txt")"
exit 0
