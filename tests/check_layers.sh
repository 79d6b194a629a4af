#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The runtime's layers point down only (docs/architecture.md): a file in
# runtime/<layer>/ includes private headers of its own layer and of the
# layers below it, never above.  Public headers (<manifold/...>) are for
# everyone.  Run by `make check` from the top of the tree.
set -u

# may_include LAYER: the layers whose private headers LAYER's files include.
may_include() {
	case "$1" in
	util) echo "util" ;;
	format) echo "format util" ;;
	core) echo "core format util" ;;
	policy) echo "policy core format util" ;;
	loadable) echo "loadable core format util" ;;
	frontend) echo "frontend core format util" ;;
	*) echo "" ;;
	esac
}

# check FILE LAYER: print each include of FILE that LAYER may not make.
check() {
	allowed=$(may_include "$2")
	sed -n 's/^#include "\([a-z]*\)\/.*".*/\1/p' "$1" | sort -u | while read -r to; do
		case " $allowed " in
		*" $to "*) ;;
		*) echo "$1: includes a header of '$to', a layer above or beside '$2'" ;;
		esac
	done
}

# First prove the check sees a wrong arrow: a core file including policy.
probe=$(mktemp) || exit 1
trap 'rm -f "$probe"' EXIT
printf '#include "policy/admin.h"\n' >"$probe"
if [ -z "$(check "$probe" core)" ]; then
	echo "check_layers: the check misses core -> policy"
	exit 1
fi

bad=$(for f in runtime/*/*.[ch] runtime/*/*/*.[ch]; do
	[ -f "$f" ] || continue
	layer=${f#runtime/}
	layer=${layer%%/*}
	[ "$layer" = include ] && continue
	if [ -z "$(may_include "$layer")" ]; then
		echo "$f: in runtime/$layer/, a folder that is no layer (docs/architecture.md)"
		continue
	fi
	check "$f" "$layer"
done)
if [ -n "$bad" ]; then
	echo "check_layers: arrows that point up or sideways:"
	printf '%s\n' "$bad"
	exit 1
fi
echo "check_layers: every include of runtime/ points down"
