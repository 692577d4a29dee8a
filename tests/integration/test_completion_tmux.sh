#!/bin/sh
# Completion as a user meets it: an interactive bash (and zsh, where
# installed) in tmux with the generated scripts loaded, keys in, screen out.
. "$(dirname "$0")/../lib.sh"

require_cmd tmux
require_cmd bash
BASH_COMP=$BUILD/completion/prowl.bash
ZSH_COMP=$BUILD/completion/_prowl
[ -f "$BASH_COMP" ] && [ -f "$ZSH_COMP" ] || fail "no completion scripts in $BUILD/completion: 'make all' writes them"
bash -n "$BASH_COMP" || fail "prowl.bash is not valid bash"

TMUX_SOCK=prowl-test-$$
tx() { tmux -L "$TMUX_SOCK" "$@"; }
comp_cleanup() {
	tx kill-server 2>/dev/null
	cleanup
}
trap comp_cleanup EXIT
screen() { tx capture-pane -p -t sh >"$TMP/screen"; }
keys() { tx send-keys -t sh "$@"; }
# The last non-empty line of the screen (the prompt line being edited).
prompt_line() { screen; grep . "$TMP/screen" | tail -n 1; }
# tmux drops trailing spaces: type a mark after a completion to see its space.
# Waits until the screen matches an extended regex (up to ~10 s).
wait_for() {
	i=0
	while [ $i -lt 50 ]; do
		screen
		grep -Eq -- "$1" "$TMP/screen" && return 0
		sleep 0.2
		i=$((i + 1))
	done
	echo "--- screen while waiting for /$1/:"
	cat "$TMP/screen"
	return 1
}
# Clears the screen and the line being edited.
reset_line() {
	keys C-u C-l
	sleep 0.3
}

# A process for -p to offer, with a name of its own.
cp "$(command -v sleep)" "$TMP/prowlsnooze"
bg "$TMP/prowlsnooze" 600
SPID=$BG
wait_exec "$SPID" prowlsnooze || fail "the sleeper did not start"

PATHDIR=$(dirname "$PROWL")
cat >"$TMP/bashrc" <<SH
PS1='bash> '
PATH="$PATHDIR:\$PATH"
bind 'set bell-style none'
bind 'set completion-query-items 10000'
bind 'set page-completions off'
. "$BASH_COMP"
SH
tx new-session -d -s sh -x 200 -y 40 "bash --noprofile --rcfile $TMP/bashrc -i" || fail "cannot start tmux"
wait_for '^bash>' || fail "no bash prompt"

# a command from its prefix
keys 'prowl rec' Tab
sleep 0.3
keys X
wait_for '^bash> prowl record X$' || fail "'prowl rec<TAB>' did not complete to 'prowl record '"
reset_line

# the formats of -f (two tabs: the list)
keys 'prowl record -f ' Tab Tab
wait_for 'speedscope' || fail "'prowl record -f <TAB><TAB>' lists no formats"
for f in svg folded speedscope pprof perf-script; do
	grep -Eq "(^| )$f( |\$)" "$TMP/screen" || fail "-f does not offer $f: $(cat "$TMP/screen")"
done
grep -q 'README' "$TMP/screen" && fail "-f offers file names"
reset_line

# a unique format from its prefix, in the --format= spelling
keys 'prowl convert x.folded --format=spe' Tab
sleep 0.3
keys X
wait_for 'format=speedscope X$' || fail "'--format=spe<TAB>' did not complete"
reset_line

# options from a prefix
keys 'prowl record --chi' Tab
sleep 0.3
keys X
wait_for 'prowl record --children X$' || fail "'--chi<TAB>' did not complete to --children"
reset_line

# -p: PIDs with the process's name; a unique one completes to the bare pid
prefix=${SPID%??}
keys "prowl record -p $prefix" Tab Tab
sleep 0.5
if ! wait_for "(^| )$SPID prowlsnooze( |\$)|^bash> prowl record -p $SPID\$"; then
	fail "-p $prefix<TAB><TAB> offers neither '$SPID prowlsnooze' nor completes to $SPID"
fi
info "-p offered: $(grep -E "$SPID" "$TMP/screen" | head -n 2 | tr '\n' '|')"
reset_line
keys "prowl record -p $SPID" Tab
sleep 0.5
keys ' -d 1'
wait_for "prowl record -p $SPID( [0-9]+ prowlsnooze)? -d 1|prowl record -p $SPID +-d 1" ||
	fail "completing a whole pid changed it"
reset_line

# -o offers folders and files named as a format, not others
mkdir "$TMP/out" && : >"$TMP/out/a.svg" && : >"$TMP/out/b.pb.gz" && : >"$TMP/out/c.c"
keys "prowl record -o $TMP/out/" Tab Tab
wait_for 'a\.svg' || fail "-o does not offer a.svg"
grep -q 'b\.pb\.gz' "$TMP/screen" || fail "-o does not offer b.pb.gz"
grep -q 'c\.c' "$TMP/screen" && fail "-o offers c.c, which names no format"
reset_line

# after the command to launch, its own words: -f is no longer prowl's
keys 'prowl record -- ls -f ' Tab Tab
sleep 1
screen
grep -q 'speedscope' "$TMP/screen" && fail "the launched command's -f was completed as prowl's"
reset_line
tx kill-server

# --- zsh ---
if ! command -v zsh >/dev/null 2>&1; then
	echo "zsh is not installed: bash checked, zsh skipped (sh scripts/setup-deps.sh test installs it)"
	exit 0
fi
zsh -n "$ZSH_COMP" || fail "_prowl is not valid zsh"
mkdir -p "$TMP/zfunc" "$TMP/zdot"
cp "$ZSH_COMP" "$TMP/zfunc/_prowl"
cat >"$TMP/zdot/.zshrc" <<SH
PS1='zsh> '
PATH="$PATHDIR:\$PATH"
fpath=("$TMP/zfunc" \$fpath)
autoload -Uz compinit && compinit -u -d "$TMP/zcompdump"
unsetopt beep
SH
tx new-session -d -s sh -x 200 -y 40 "env ZDOTDIR=$TMP/zdot zsh -i" || fail "cannot start tmux"
wait_for '^zsh>' || fail "no zsh prompt"
keys 'prowl rec' Tab
sleep 0.3
keys X
wait_for '^zsh> prowl record X$' || fail "zsh: 'prowl rec<TAB>' did not complete to 'prowl record '"
reset_line
keys 'prowl record -f ' Tab
wait_for 'speedscope' || fail "zsh: 'prowl record -f <TAB>' lists no formats"
for f in svg folded pprof perf-script; do
	grep -Eq "(^| )$f( |\$)" "$TMP/screen" || fail "zsh: -f does not offer $f"
done
reset_line
# Other pids may share the prefix: the first Tab then inserts only what they
# have in common (2047 for 20470..20479), the second lists them.
keys "prowl record -p $prefix" Tab
sleep 0.3
keys Tab
wait_for "$SPID.*prowlsnooze|prowl record -p $SPID( |\$)" || fail "zsh: -p $prefix<TAB><TAB> does not offer $SPID (prowlsnooze)"
echo ok
