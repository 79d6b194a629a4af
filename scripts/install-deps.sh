#!/bin/sh
# Install the Debian 12 packages manifold's build and tests need.  Safe to run
# again: it only calls apt-get when something is missing.
#
#   host tools and the host board:  make gcc musl-tools check kconfig-frontends-nox
#   board qemu-aarch64:             gcc-aarch64-linux-gnu musl-dev:arm64 qemu-user-static
#                                   check:arm64 (the unit tests run under qemu too)
#   sanitizers and fuzzing:         clang libclang-rt-14-dev valgrind
set -eu

packages="make gcc libc6-dev musl-tools check pkg-config kconfig-frontends-nox file
binutils gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu musl-dev:arm64 check:arm64
libsubunit-dev:arm64 qemu-user-static clang libclang-rt-14-dev valgrind"

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
# The cross board needs arm64 packages (musl and Check for aarch64).
dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
