#!/bin/sh
# SIGTERM and SIGINT end prowl promptly whatever it is doing with its output
# (within 2 s, the bound issue 12 sets; prowl looks every 100 ms):
# - `prowl record -o FIFO` with nobody reading the FIFO: the recording ends,
#   prowl waits for a reader; a signal ends the wait with one line, exit
#   128+signal, and the FIFO is still a FIFO;
# - `prowl record -o FIFO` whose reader opened it and stopped reading (a
#   4 KiB pipe, a 9 KB SVG): the write waits for room; a signal ends it with
#   one line, exit 128+signal;
# - `prowl convert` of a big input, signalled while reading and while
#   writing: it ends, the old output is intact and nothing else appears
#   (signals keep their default action there: the kernel ends it at once
#   and the unnamed output vanishes with it).
# Each prowl first really is in that phase (alive, and for the writes
# holding the FIFO or the folder open) before it is signalled.
. "$(dirname "$0")/../lib.sh"
require_perf
require_cmd python3

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# Signals PID and waits for it (at most 2 s); sets $rc and $took (ms).
stop_within_2s() { # SIG PID WHAT
	t0=$(now_ms)
	kill -"$1" "$2"
	while kill -0 "$2" 2>/dev/null; do
		[ $(( $(now_ms) - t0 )) -le 2000 ] || { kill -9 "$2"; fail "$3: still running 2 s after SIG$1"; }
		sleep 0.02
	done
	took=$(( $(now_ms) - t0 ))
	wait "$2"
	rc=$?
}
one_line() { # WHAT ERRFILE REGEX
	[ "$(wc -l <"$2")" = 1 ] || fail "$1: $(wc -l <"$2") lines on stderr: $(cat "$2")"
	grep -qE "$3" "$2" || fail "$1: the message does not say /$3/: $(cat "$2")"
}
# Waits (up to 10 s) until PID holds a descriptor to a path matching REGEX.
wait_fd() { # PID REGEX
	i=0
	until ls -l "/proc/$1/fd" 2>/dev/null | grep -qE "$2"; do
		kill -0 "$1" 2>/dev/null || return 1
		i=$((i + 1))
		[ $i -lt 500 ] || return 1
		sleep 0.02
	done
}

# 1. No reader: the command exits at once, so prowl soon waits for one.
mkfifo "$TMP/fifo" || fail "mkfifo"
for sig in TERM INT; do
	"$PROWL" record -q -f folded -o "$TMP/fifo" -- true 2>"$TMP/err" &
	p=$!
	PIDS_TO_KILL="$PIDS_TO_KILL $p"
	sleep 1
	kill -0 $p 2>/dev/null || fail "no reader ($sig): prowl did not wait for one: $(cat "$TMP/err")"
	stop_within_2s $sig $p "no reader"
	case $sig in TERM) want=143 ;; INT) want=130 ;; esac
	[ $rc = $want ] || fail "no reader: SIG$sig gave exit $rc, want $want: $(cat "$TMP/err")"
	one_line "no reader (SIG$sig)" "$TMP/err" 'fifo not written: nobody opened the FIFO for reading'
	[ -p "$TMP/fifo" ] || fail "no reader: the FIFO was replaced"
	info "record -o FIFO, no reader: SIG$sig ended it in $took ms, exit $rc"
done

# 2. A reader that stops reading, with a 4 KiB pipe.
stuck_reader() { # FIFO: opens it for reading, shrinks the pipe, never reads
	python3 -c '
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY)
fcntl.fcntl(fd, 1031, 4096)  # F_SETPIPE_SZ
time.sleep(60)' "$1" &
	READER=$!
	PIDS_TO_KILL="$PIDS_TO_KILL $READER"
}
for sig in TERM INT; do
	stuck_reader "$TMP/fifo"
	"$PROWL" record -q -f svg -o "$TMP/fifo" -- "$SAMPLES/cpu" 0.5 2>"$TMP/err" &
	p=$!
	PIDS_TO_KILL="$PIDS_TO_KILL $p"
	wait_fd $p "$TMP/fifo" || fail "stuck reader: prowl never opened the FIFO: $(cat "$TMP/err")"
	sleep 0.5
	kill -0 $p 2>/dev/null || fail "stuck reader: prowl finished writing into a full pipe? $(cat "$TMP/err")"
	stop_within_2s $sig $p "stuck reader"
	case $sig in TERM) want=143 ;; INT) want=130 ;; esac
	[ $rc = $want ] || fail "stuck reader: SIG$sig gave exit $rc, want $want: $(cat "$TMP/err")"
	one_line "stuck reader (SIG$sig)" "$TMP/err" 'fifo not written: interrupted while writing'
	kill $READER 2>/dev/null
	wait $READER 2>/dev/null
	info "record -o FIFO, reader not reading: SIG$sig ended the write in $took ms, exit $rc"
done

# 3. convert: 200,000 distinct stacks, tens of MB of speedscope JSON.
awk 'BEGIN { srand(7); for (i = 0; i < 200000; i++) { s = "main"; d = 4 + i % 12
	for (k = 0; k < d; k++) s = s ";fn_" int(rand() * 500); print s ";leaf_" i, 1 + int(rand() * 9) } }' \
	>"$TMP/big.folded"
mkdir "$TMP/out"
printf 'OLD PROFILE\n' >"$TMP/out/p.json"
for phase in reading writing; do
	"$PROWL" convert "$TMP/big.folded" -o "$TMP/out/p.json" 2>"$TMP/err" &
	p=$!
	PIDS_TO_KILL="$PIDS_TO_KILL $p"
	# The output is opened first (unnamed, in out/), then the input is
	# read and parsed (about 2 s here), then the output grows.
	wait_fd $p "$TMP/out/#" || fail "convert: never saw it open its output: $(cat "$TMP/err")"
	if [ $phase = writing ]; then
		fd=$(ls -l /proc/$p/fd 2>/dev/null | awk -v d="$TMP/out/#" 'index($0, d) { print $9; exit }')
		i=0
		while [ "$(stat -L -c %s /proc/$p/fd/$fd 2>/dev/null || echo gone)" = 0 ]; do
			i=$((i + 1)); [ $i -lt 1500 ] || fail "convert: wrote nothing in 30 s"; sleep 0.02
		done
	fi
	kill -0 $p 2>/dev/null || { info "convert finished before the $phase signal (machine fast): not counted"; continue; }
	stop_within_2s TERM $p "convert $phase"
	[ $rc != 0 ] || { info "convert completed before the signal landed: not counted"; continue; }
	[ "$(cat "$TMP/out/p.json")" = "OLD PROFILE" ] || fail "convert $phase: the old file changed"
	[ "$(ls -A "$TMP/out")" = p.json ] || fail "convert $phase: files left: $(ls -A "$TMP/out")"
	info "convert, SIGTERM while $phase: ended in $took ms (exit $rc), old file intact"
done
exit 0
