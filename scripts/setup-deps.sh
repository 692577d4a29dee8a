#!/bin/sh
# Install the Debian packages prowl needs to build, test and benchmark, and
# (test, all, npm) the npm packages of the browser tests under PROWL_NODE_DIR
# (default /usr/local/lib/prowl-test): the speedscope app; and FlameGraph's
# stackcollapse-perf.pl (neither Debian nor npm packages it), taken unchanged,
# with its licence, from a clone of github.com/brendangregg/FlameGraph at
# PROWL_FLAMEGRAPH_GIT (default: this machine's mirror of it).
# Run as root: installs with apt-get and npm. Otherwise: prints the line to run.
# Usage: scripts/setup-deps.sh [build|test|all|npm]   (default: build)
set -eu

build_pkgs="gcc g++ make pkg-config libunwind-dev libdw-dev libelf-dev libncurses-dev zlib1g-dev libiberty-dev"
test_pkgs="libcmocka-dev time elfutils binutils tmux man-db groff-base zsh bash-completion valgrind clang llvm libclang-rt-14-dev libc6-dbg golang-go debuginfod chromium python3 python3-jsonschema nodejs rustc linux-perf procps util-linux xz-utils gzip curl"

# Pinned: the browser tests read speedscope's page as this version draws it.
npm_pkgs="speedscope@1.25.0"
node_dir=${PROWL_NODE_DIR:-/usr/local/lib/prowl-test}

what=${1:-build}
case "$what" in
build) pkgs=$build_pkgs ;;
test|all) pkgs="$build_pkgs $test_pkgs" ;;
npm) pkgs="nodejs" ;;
*) echo "usage: $0 [build|test|all|npm]" >&2; exit 64 ;;
esac

# The npm packages, once the Debian ones are in. A registry that cannot be
# reached is said, not fatal: the browser tests then skip with the reason
# (and fail under PROWL_NO_SKIP=1).
npm_install() {
	case "$what" in test|all|npm) ;; *) return 0 ;; esac
	missing_npm=""
	for p in $npm_pkgs; do
		name=${p%@*}
		want=${p##*@}
		have=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$node_dir/node_modules/$name/package.json" 2>/dev/null || true)
		[ "$have" = "$want" ] || missing_npm="$missing_npm $p"
	done
	[ -z "$missing_npm" ] && return 0
	if [ "$(id -u)" != 0 ]; then
		echo "prowl: missing npm packages; run as root:" >&2
		echo "  npm install --prefix $node_dir$missing_npm" >&2
		return 0
	fi
	echo "prowl: installing (npm)$missing_npm" >&2
	mkdir -p "$node_dir"
	if ! npm install --prefix "$node_dir" --no-audit --no-fund --no-save --loglevel=error $missing_npm >&2; then
		echo "prowl: npm install$missing_npm failed (is the npm registry reachable?)" >&2
	fi
}

# FlameGraph's reader of perf script text, for the perf-script output's test.
# It is used as it is, never changed: the test checks prowl against it.
flamegraph_install() {
	case "$what" in test|all) ;; *) return 0 ;; esac
	dest="$node_dir/flamegraph"
	[ -s "$dest/stackcollapse-perf.pl" ] && return 0
	git_dir=${PROWL_FLAMEGRAPH_GIT:-/work/.mirror/brendangregg+FlameGraph/repo}
	if [ ! -d "$git_dir" ] || [ "$(id -u)" != 0 ]; then
		echo "prowl: FlameGraph's stackcollapse-perf.pl is not installed; as root, with a clone of" >&2
		echo "  github.com/brendangregg/FlameGraph: PROWL_FLAMEGRAPH_GIT=/path/to/its/.git $0 test" >&2
		return 0
	fi
	mkdir -p "$dest"
	git --git-dir="$git_dir" show HEAD:stackcollapse-perf.pl >"$dest/stackcollapse-perf.pl.tmp" &&
		git --git-dir="$git_dir" show HEAD:docs/cddl1.txt >"$dest/LICENSE-CDDL" &&
		mv "$dest/stackcollapse-perf.pl.tmp" "$dest/stackcollapse-perf.pl" ||
		echo "prowl: could not take stackcollapse-perf.pl from $git_dir" >&2
}

missing=""
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
# npm: some nodejs builds carry their own (and conflict with Debian's npm).
case "$what" in test|all|npm) command -v npm >/dev/null 2>&1 || missing="$missing npm" ;; esac
if [ -z "$missing" ]; then
	npm_install
	flamegraph_install
	exit 0
fi

if [ "$(id -u)" != 0 ]; then
	echo "prowl: missing packages; run as root:" >&2
	echo "  apt-get install -y$missing" >&2
	exit 1
fi

echo "prowl: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists once if they are missing or older than a day.
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -n 1)" ]; then
	apt-get update -qq >&2
fi
apt-get install -y -qq --no-install-recommends $missing >&2
npm_install
flamegraph_install
