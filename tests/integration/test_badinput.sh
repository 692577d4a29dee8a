#!/bin/sh
# Bad input for every subcommand and option (tests/badinput.tsv): each case
# gets its exact exit status (64 for usage errors), a message on stderr of the
# expected number of lines matching the expected pattern, nothing on stdout,
# and never a crash: no death by signal, no sanitizer report.
. "$(dirname "$0")/../lib.sh"

D=$TMP/fx
mkdir -p "$D/dir"
: >"$D/empty"
# One 4 MiB line (no newline inside), and a 100 KB argument (under the kernel's 128 KiB per argument).
head -c 4194304 /dev/zero | tr '\0' 'a' >"$D/huge"
head -c 100000 /dev/zero | tr '\0' '7' >"$D/long"
printf 'main;f 1\000\000\000junk 2\n' >"$D/nul"
cp "$SAMPLES/cpu" "$D/elf"
head -c 65536 /dev/urandom >"$D/rand"
printf 'main;work;leaf 7\nmain;other 3\n' >"$D/good.folded"
# A pprof cut in the middle, and a JSON document that is not a speedscope file.
"$PROWL" convert "$D/good.folded" -o "$D/full.pb.gz" || fail "cannot make a pprof fixture"
head -c 40 "$D/full.pb.gz" >"$D/trunc.pb.gz"
printf '{"$schema": "https://www.speedscope.app/file-format-schema.json", "profiles": [{"type": "sampled", "samples": [[99]], "weights": [1]}], "shared": {"frames": []}}' >"$D/bad.json"
export PROWL D SAMPLES

n=0 bad=0
table=$ROOT/tests/badinput.tsv
[ -f "$table" ] || fail "no table $table"
while IFS='	' read -r want lines pattern cmd; do
	case "$want" in ''|'#'*) continue ;; esac
	n=$((n + 1))
	judge_case "$want" "$lines" "$pattern" "" "$cmd" || bad=$((bad + 1))
done <"$table"
[ $n -ge 50 ] || fail "only $n cases read from $table"
echo "$n cases, $bad failed"
[ $bad = 0 ] || fail "$bad of $n bad-input cases"
