#!/bin/sh
# prowl's memory grows with the number of distinct stacks, not with the
# number of samples. prowl records the cpu sample (a fixed set of stacks) at
# 50 kHz, time sped up, until it holds an hour's worth of samples at 99 Hz
# (356,400); at 0.5 s, then every 2 s, a SIGUSR1 makes it write the profile so far and say
# how many samples it has, and its VmRSS and VmHWM are read from /proc right
# after. Memory after the hour's worth must be within 10% of memory after
# the first write past a minute's worth (5,940 samples), both resident and
# peak: the first write has already paid for the symbol tables, every later
# one reuses them, so only growth with samples shows.
. "$(dirname "$0")/../lib.sh"
require_perf
HOUR=356400
MINUTE=5940
CAP=150 # seconds: a machine slower than ~2,400 samples/s fails here
# An ASan build keeps freed memory in quarantine: turn that off, so resident
# memory means live memory there too.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0:thread_local_quarantine_size_kb=0"
"$PROWL" record -F 50000 --stack-size 4096 -o "$TMP/long.folded" -- "$SAMPLES/cpu" 0 2>"$TMP/err" &
p=$!
PIDS_TO_KILL="$PIDS_TO_KILL $p"
mem() { awk '/^VmRSS:/ { r = $2 } /^VmHWM:/ { h = $2 } END { print r, h }' "/proc/$p/status" 2>/dev/null; }
writes=0 samples=0 base="" start=$(date +%s)
nap=0.5 # the first write comes early, near a minute's worth
while [ "$samples" -lt $HOUR ]; do
	sleep $nap
	nap=2
	[ $(( $(date +%s) - start )) -lt $CAP ] || fail "only $samples samples after ${CAP}s: this machine is too slow for an hour's worth"
	kill -0 $p 2>/dev/null || fail "prowl ended early: $(cat "$TMP/err")"
	kill -USR1 $p
	writes=$((writes + 1))
	# Until prowl says it wrote this one.
	i=0
	while [ "$(grep -c 'samples so far' "$TMP/err")" -lt $writes ] && [ $i -lt 300 ]; do
		sleep 0.05; i=$((i + 1))
	done
	samples=$(sed -n 's/.*(\([0-9]*\) samples so far).*/\1/p' "$TMP/err" | tail -n 1)
	samples=${samples:-0}
	m=$(mem)
	echo "$samples $m" >>"$TMP/mem"
	if [ -z "$base" ] && [ "$samples" -ge $MINUTE ]; then
		base=$m base_n=$samples
	fi
done
# SIGINT to prowl alone is passed on to the command, which dies of it: prowl
# writes the profile and exits as the command did (130), as a shell would.
kill -INT $p
wait $p
rc=$?
[ $rc = 130 ] || fail "prowl exited $rc (want 130, the command's death by SIGINT): $(tail -n 3 "$TMP/err")"
tail -n 1 "$TMP/err"
awk '{ printf "#   %8d samples: VmRSS %s kB, VmHWM %s kB\n", $1, $2, $3 }' "$TMP/mem"
last=$(tail -n 1 "$TMP/mem")
end_n=${last%% *} end=${last#* }
b_rss=${base% *} b_hwm=${base#* } e_rss=${end% *} e_hwm=${end#* }
info "after $base_n samples: VmRSS $b_rss kB, VmHWM $b_hwm kB; after $end_n: VmRSS $e_rss kB, VmHWM $e_hwm kB"
info "$(wc -l <"$TMP/long.folded") distinct stacks in the profile"
ok=$(awk -v b="$b_rss" -v e="$e_rss" -v bh="$b_hwm" -v eh="$e_hwm" 'BEGIN { print (e <= b * 1.1 && eh <= bh * 1.1) ? 1 : 0 }')
[ "$ok" = 1 ] || fail "memory grew with samples: VmRSS $b_rss -> $e_rss kB, VmHWM $b_hwm -> $e_hwm kB"
echo "an hour's worth at 99 Hz ($end_n samples): VmRSS $e_rss kB, VmHWM $e_hwm kB; a minute's worth ($base_n): $b_rss kB, $b_hwm kB"
