#!/bin/sh
# Java 17: JIT code is anonymous, named by `jcmd PID Compiler.perfmap`
# (/tmp/perf-PID.map). With -XX:+PreserveFramePointer the compiled methods
# keep rbp frames: the default --unwind dwarf steps them by frame pointer
# and the stack reaches JavaMain (the launcher's main thread) in >= 90% of
# samples. Without it rbp is any register in JIT code: the JIT leaf ends
# the stack, and such a sample is counted partial, never given a made-up
# caller (issue 15).
. "$(dirname "$0")/../lib.sh"
require_perf
command -v java >/dev/null 2>&1 || skip "java is not installed"
command -v javac >/dev/null 2>&1 || skip "javac is not installed (a JDK, not only a JRE)"
command -v jcmd >/dev/null 2>&1 || skip "jcmd is not installed"

cat >"$TMP/Nest.java" <<'JEOF'
import java.nio.file.*;
public class Nest {
    static long leaf(int n) { long s = 0; for (int i = 0; i < n; i++) s += (i * (long)i) % 7; return s; }
    static long middle(int n) { return leaf(n) + 1; }
    static long outer(double t) {
        long end = System.nanoTime() + (long)(t * 1e9), x = 0;
        while (System.nanoTime() < end) for (int k = 0; k < 64; k++) x += middle(3000);
        return x;
    }
    public static void main(String[] a) throws Exception {
        outer(1.0);
        Files.writeString(Path.of(a[1]), Long.toString(ProcessHandle.current().pid()));
        System.out.println(outer(Double.parseDouble(a[0])));
    }
}
JEOF
javac -d "$TMP" "$TMP/Nest.java" || fail "javac failed"

# One run: java FLAGS (prowl's --unwind in $UNWIND), attached once warm for 3 s after the perf map is
# written. Leaves the folded stacks in $TMP/$1.folded, stderr in $TMP/$1.err.
run() { # NAME JAVA_FLAGS...
	name=$1
	shift
	rm -f "$TMP/pid"
	bg java "$@" -cp "$TMP" Nest 60 "$TMP/pid"
	i=0
	while [ ! -s "$TMP/pid" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	[ -s "$TMP/pid" ] || fail "java did not start the loop"
	pid=$(cat "$TMP/pid")
	jcmd "$pid" Compiler.perfmap >/dev/null || fail "jcmd $pid Compiler.perfmap failed"
	"$PROWL" record $UNWIND --stats -d 3 -p "$pid" -o "$TMP/$name.folded" 2>"$TMP/$name.err" &
	rec=$!
	# The map is read when the recording ends: written again meanwhile, it
	# names code compiled since the first one (the loop's, on a slow machine).
	sleep 1.5
	jcmd "$pid" Compiler.perfmap >/dev/null
	wait "$rec"
	rc=$?
	kill "$pid" 2>/dev/null
	wait 2>/dev/null
	rm -f "/tmp/perf-$pid.map"
	cat "$TMP/$name.err"
	[ "$rc" = 0 ] || fail "record failed ($name)"
}

UNWIND=
run fp -XX:+PreserveFramePointer
t=$(folded_total "$TMP/fp.folded")
[ "$t" -gt 200 ] || fail "only $t samples"
main=$(folded_count "$TMP/fp.folded" "(^|;)JavaMain;.*_\[j\] [0-9]+$")
rooted=$(folded_count "$TMP/fp.folded" "^__clone3;start_thread;ThreadJavaMain;JavaMain;")
named=$(folded_count "$TMP/fp.folded" "Nest\.(outer|middle|leaf)")
info "PreserveFramePointer: of $t samples, from JavaMain $rooted ($(pct "$rooted" "$t")%), with a JIT leaf under JavaMain $main ($(pct "$main" "$t")%), a Nest method named in $named ($(pct "$named" "$t")%)"
set -- $(unwind_stats "$TMP/fp.err")
[ $# = 5 ] || fail "no unwinding line in --stats"
info "refused $1, stepped by fp $2, trampoline $3, jitdump $4; frames outside code $5"
share_at_least "$rooted" "$t" 0.9 || fail "only $rooted of $t samples reach JavaMain: $(sort -k2 -nr "$TMP/fp.folded" | head -3)"
share_at_least "$main" "$t" 0.9 || fail "only $main of $t samples have a JIT leaf under JavaMain"
share_at_least "$named" "$t" 0.9 || fail "only $named of $t samples name a Nest method"
[ "$5" = 0 ] || fail "$5 frames outside executable memory"

# Without frame pointers, in both unwind modes (fp: the kernel's callchain,
# which used to stop at the JIT leaf without saying so).
for UNWIND in "--unwind dwarf" "--unwind fp"; do
	name=nofp-${UNWIND#--unwind }
	run "$name"
	t=$(folded_total "$TMP/$name.folded")
	[ "$t" -gt 200 ] || fail "only $t samples ($name)"
	rooted=$(folded_count "$TMP/$name.folded" "^(_start|__clone3);")
	partial=$(sed -n 's/.* \([0-9]*\) partial,.*/\1/p' "$TMP/$name.err" | tail -n 1)
	info "no frame pointers, $UNWIND: of $t samples, $rooted whole, $partial partial"
	[ -n "$partial" ] || fail "no summary line"
	share_at_least "$partial" "$((t - rooted))" 0.95 ||
		fail "$UNWIND: $((t - rooted)) samples end in JIT code, only $partial counted partial"
	set -- $(unwind_stats "$TMP/$name.err")
	[ "$5" = 0 ] || fail "$5 frames outside executable memory"
done
exit 0
