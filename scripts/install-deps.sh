#!/bin/sh
# Install the Debian 12 packages manifold needs, on a machine that has only
# what a fresh Debian 12 image has.  Safe to run again: it calls apt-get only
# when something is missing.
#
#   sh scripts/install-deps.sh run     build and boot the default board's image
#   sh scripts/install-deps.sh check   everything `make check` builds and runs
#   sh scripts/install-deps.sh --list run|check   print the package list only
#   sh scripts/install-deps.sh run PACKAGE...      the set and a board's packages
#
# `make check-deps` proves these lists: it builds every board under strace
# and names any package a build opened a file of that is neither listed here
# nor in the base image (scripts/check-deps.sh).
set -eu

# Building the generator (host gcc against glibc) and the host board's static
# musl image, and configuring it with kconfig-frontends.
RUN_PACKAGES="make gcc libc6-dev musl-tools kconfig-frontends-nox"

# What the tests add:
#   Check and the image suites:      check pkg-config file binutils
#   board qemu-aarch64 (image):      gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu musl-dev:arm64
#                                    qemu-user-static
#   its unit suites (glibc, arm64):  libc6-dev:arm64 check:arm64 libsubunit-dev:arm64
#                                    (the cross gcc finds arm64 headers only there:
#                                    --no-install-recommends leaves out libc6-dev-arm64-cross)
#   sanitizers and fuzzing:          clang libclang-rt-14-dev valgrind
#   the dependency check:            strace
CHECK_PACKAGES="$RUN_PACKAGES check pkg-config file binutils
gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu musl-dev:arm64 qemu-user-static
libc6-dev:arm64 check:arm64 libsubunit-dev:arm64
clang libclang-rt-14-dev valgrind strace"

list=no
if [ "${1:-}" = "--list" ]; then
	list=yes
	shift
fi
case "${1:-check}" in
run) packages=$RUN_PACKAGES ;;
check) packages=$CHECK_PACKAGES ;;
*)
	echo "install-deps: usage: install-deps.sh [--list] run|check [PACKAGE...]" >&2
	exit 2
	;;
esac
[ $# -eq 0 ] || shift
# A board's own packages (BOARD_PACKAGES of its board.mk) come after the set.
packages="$packages $*"
if [ "$list" = yes ]; then
	# shellcheck disable=SC2086
	printf '%s\n' $packages
	exit 0
fi

missing=""
for p in $packages; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing packages:$missing (run as root, or install them)" >&2
	exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
case "$missing" in
*:arm64*)
	dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
	;;
esac
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
