#!/bin/sh
# The layers point one way (DESIGN.md): a file may include headers of its own
# folder and of lower layers only.
#   0 profiler/base   1 profiler/model symbolize   2 profiler/capture formats ui
#   3 profiler/cli
# Includes are root-relative ("profiler/base/util.h"); a relative "../" include
# is refused too, since it hides where it points.
cd "${ROOT:-$(dirname "$0")/..}" || exit 1
rank() {
	case $1 in
	profiler/base/*) echo 0 ;;
	profiler/model/* | symbolize/*) echo 1 ;;
	profiler/capture/* | formats/* | ui/*) echo 2 ;;
	profiler/cli/*) echo 3 ;;
	*) echo 9 ;;
	esac
}
bad=0
for f in profiler/*/*.[ch] symbolize/*.[ch] formats/*.[ch] ui/*.[ch]; do
	dir=${f%/*}
	r=$(rank "$f")
	for inc in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f"); do
		case $inc in
		../* | */../*) echo "$f: relative include \"$inc\""; bad=1; continue ;;
		esac
		[ -e "$inc" ] || { [ -e "$dir/$inc" ] && continue; echo "$f: include \"$inc\" not found from the root"; bad=1; continue; }
		[ "${inc%/*}" = "$dir" ] && continue
		ri=$(rank "$inc")
		if [ "$ri" -ge "$r" ]; then
			echo "$f: includes $inc, which is not in a lower layer"
			bad=1
		fi
	done
done
[ $bad = 0 ] && echo "layers: every include points down"
exit $bad
