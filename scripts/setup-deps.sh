#!/bin/sh
# Install the Debian packages prowl needs to build, test and benchmark.
# Run as root: installs with apt-get. Otherwise: prints the one line to run.
# Usage: scripts/setup-deps.sh [build|test|all]   (default: build)
set -eu

build_pkgs="gcc g++ make pkg-config libunwind-dev libdw-dev libelf-dev libncurses-dev zlib1g-dev libiberty-dev"
test_pkgs="libcmocka-dev time elfutils binutils tmux man-db groff-base zsh bash-completion valgrind clang llvm libclang-rt-14-dev libc6-dbg golang-go debuginfod chromium python3 python3-jsonschema rustc linux-perf procps util-linux xz-utils gzip curl"

what=${1:-build}
case "$what" in
build) pkgs=$build_pkgs ;;
test|all) pkgs="$build_pkgs $test_pkgs" ;;
*) echo "usage: $0 [build|test|all]" >&2; exit 64 ;;
esac

missing=""
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

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
