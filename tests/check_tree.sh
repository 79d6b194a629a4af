#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The repository explains itself: no tracked file names a path outside it
# (a sibling checkout such as ../shared, a home or work directory of the
# machine it was written on, the design note it grew from), since in a
# user's clone such a path leads nowhere.  docs/design.md is the place that
# explains the design.  Run by `make check` from the top of the tree.
set -u

# Extended regular expressions.  This file names such paths on purpose (the
# probes below), so it is the one file not searched.
PATTERNS='\.\./shared
(^|[^[:alnum:]_./-])/(work|home|Users)/
seed/module[-]loader'

probe=$(mktemp) && patterns=$(mktemp) || exit 1
trap 'rm -f "$probe" "$patterns"' EXIT
printf '%s\n' "$PATTERNS" >"$patterns"

# First prove that the patterns catch what they are for.
for bad in 'see ../shared/notes.md' 'at /work/main/README.md' \
	'(/home/me/src)' 'seed/module-loader-ideas.md'; do
	printf '%s\n' "$bad" >"$probe"
	if ! grep -Eqf "$patterns" "$probe"; then
		echo "check_tree: the patterns miss '$bad'"
		exit 1
	fi
done
printf 'build/fuzz/work/corpus and ../../etc/passwd\n' >"$probe"
if grep -Eqf "$patterns" "$probe"; then
	echo "check_tree: the patterns catch paths inside the tree"
	exit 1
fi

if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	files=$(git ls-files | grep -vx 'tests/check_tree.sh')
else
	files=$(find . -path ./build -prune -o -path ./.git -prune -o -type f \
		! -path ./tests/check_tree.sh -print)
fi
found=$(printf '%s\n' "$files" | tr '\n' '\0' | xargs -0 grep -EnI -f "$patterns" --)
if [ -n "$found" ]; then
	echo "check_tree: files name paths outside the repository:"
	printf '%s\n' "$found"
	exit 1
fi
echo "check_tree: no file names a path outside the repository"
