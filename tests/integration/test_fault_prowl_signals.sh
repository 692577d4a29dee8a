#!/bin/sh
# prowl attached (-p) to a running target gets SIGINT, SIGTERM, SIGHUP or
# SIGKILL, with each backend. INT, TERM and HUP: prowl exits 0 with a complete
# profile (every sample under main). KILL: no profile and no temporary file
# is left. Always: the target is unharmed (state not t/T, TracerPid 0), keeps
# running, and finishes its work by itself with status 0.
. "$(dirname "$0")/../lib.sh"
require_perf
require_ptrace
run=6 # seconds each target runs; prowl is signalled about a second in
checked=0
for backend in perf ptrace; do
	for sig in INT TERM HUP KILL; do
		mkdir -p "$TMP/$backend-$sig"
		bg "$SAMPLES/cpu" $run
		eval "T_$sig=$BG"
		wait_exec "$BG" cpu
		"$PROWL" record --backend $backend -p "$BG" -o "$TMP/$backend-$sig/out.folded" \
			2>"$TMP/$backend-$sig/err" &
		eval "P_$sig=$!"
	done
	# Until each prowl has its events open or its threads seized (or 3 s).
	i=0
	while [ $i -lt 30 ]; do
		ready=1
		for sig in INT TERM HUP KILL; do
			eval "t=\$T_$sig"
			if [ $backend = ptrace ]; then
				[ "$(proc_tracer "$t")" != 0 ] || ready=0
			fi
		done
		[ $ready = 1 ] && break
		sleep 0.1; i=$((i + 1))
	done
	sleep 0.8
	for sig in INT TERM HUP KILL; do
		eval "kill -$sig \$P_$sig"
	done
	for sig in INT TERM HUP KILL; do
		eval "p=\$P_$sig t=\$T_$sig"
		d=$TMP/$backend-$sig
		wait "$p"
		rc=$?
		# The target right after prowl is gone: running, untraced.
		# (A target that already finished is checked by its exit status below.)
		status=$(cat "/proc/$t/status" 2>/dev/null)
		if [ -n "$status" ]; then
			st=$(echo "$status" | awk '/^State:/ { print $2 }')
			tr=$(echo "$status" | awk '/^TracerPid:/ { print $2 }')
			case "$st" in t|T) fail "$backend SIG$sig: target state '$st' after prowl ended" ;; esac
			[ "$tr" = 0 ] || fail "$backend SIG$sig: target still traced by $tr"
			checked=$((checked + 1))
		fi
		if [ $sig = KILL ]; then
			[ $rc = 137 ] || fail "$backend SIGKILL: prowl exited $rc, not 137"
			[ ! -e "$d/out.folded" ] || fail "$backend SIGKILL: a profile was left: $(wc -c <"$d/out.folded") bytes"
			left=$(ls -A "$d" | grep -v '^err$' || true)
			[ -z "$left" ] || fail "$backend SIGKILL: files left behind: $left"
		else
			[ $rc = 0 ] || fail "$backend SIG$sig: prowl exited $rc: $(cat "$d/err")"
			total=$(folded_total "$d/out.folded")
			main=$(folded_count "$d/out.folded" '(^|;)main;')
			[ "$total" -ge 20 ] || fail "$backend SIG$sig: only $total samples"
			[ "$main" -ge $((total * 95 / 100)) ] || fail "$backend SIG$sig: $main of $total samples under main: $(head -n 5 "$d/out.folded")"
			ls -A "$d" | grep -q tmp && fail "$backend SIG$sig: a temporary file was left"
			info "$backend SIG$sig: exit 0, $total samples, $main under main"
		fi
	done
	# Only now wait for the targets: waiting for one inside the loop above let
	# the others finish before their state was checked.
	for sig in INT TERM HUP KILL; do
		eval "t=\$T_$sig"
		wait "$t"
		trc=$?
		[ $trc = 0 ] || fail "$backend SIG$sig: the target exited $trc, not 0"
	done
done
[ $checked -ge 4 ] || fail "only $checked of 8 targets were still running when prowl ended (machine too slow?)"
echo "INT, TERM, HUP, KILL x perf, ptrace: profiles complete (or none after KILL), targets unharmed ($checked checked while running)"
