#!/bin/sh
# Tests of scripts/check-deps.sh's judgement on recorded facts (this folder):
# a build that opened files of gcc-12, libc6-dev for both architectures,
# musl-dev, zlib1g and dash, against install lists with one package left out.
# The facts are fixtures, so the verdicts do not depend on this machine.
set -u
here=$(cd "$(dirname "$0")" && pwd)
checker="$here/../../scripts/check-deps.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

# expect NAME STATUS PATTERN LISTED [OPENED]: the judge exits STATUS and, if
# PATTERN is not empty, says it.
expect() {
	name=$1 status=$2 pattern=$3 listed=$4 opened=${5:-$here/opened}
	CHECK_DEPS_ARCH=amd64 sh "$checker" --judge "$opened" "$here/owners" "$here/db" "$listed" \
		>"$tmp/out" 2>&1
	rc=$?
	if [ "$rc" -eq "$status" ] && { [ -z "$pattern" ] || grep -q -- "$pattern" "$tmp/out"; }; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL: $name: exit $rc (wanted $status), output:"
		sed 's/^/  /' "$tmp/out"
	fi
}

expect "the full list passes" 0 "" "$here/listed"

grep -vx musl-tools "$here/listed" >"$tmp/no-musl"
expect "musl-tools left out" 1 "^musl-dev:amd64: the build opened /usr/lib/musl/lib/libc.a" "$tmp/no-musl"

# The bug this checker was written for: the arm64 C headers.
grep -vx 'libc6-dev:arm64' "$here/listed" >"$tmp/no-arm64"
expect "libc6-dev:arm64 left out" 1 "^libc6-dev:arm64: the build opened /usr/include/aarch64-linux-gnu/bits/wordsize.h" "$tmp/no-arm64"

# gcc-12 comes in as a dependency of gcc; without gcc nothing brings it.
grep -vx gcc "$here/listed" >"$tmp/no-gcc"
expect "gcc left out" 1 "^gcc-12:amd64: the build opened /usr/bin/gcc-12" "$tmp/no-gcc"

# A file under /usr/local came from no package.
{ cat "$here/opened"; echo /usr/local/bin/handmade; } >"$tmp/opened-local"
expect "a hand-installed file" 1 "^/usr/local/bin/handmade: opened by the build, from no Debian package" \
	"$here/listed" "$tmp/opened-local"

# What a tool only probes (clang looks for a CUDA installation) is no use.
{ cat "$here/opened"; echo /usr/local/cuda-13.0/include/cuda.h; } >"$tmp/opened-probe"
expect "a probed CUDA installation" 0 "" "$here/listed" "$tmp/opened-probe"

# A listed package that is not installed is named.
{ cat "$here/listed"; echo not-a-package; } >"$tmp/listed-extra"
expect "a listed package not installed" 0 "lists not-a-package:amd64, which is not installed" "$tmp/listed-extra"

echo "check-deps judge: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
