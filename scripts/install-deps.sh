#!/bin/sh
# Install the Debian 12 packages manifold's build and tests need.  Safe to run
# again: it only calls apt-get when something is missing.
set -eu

packages="make gcc libc6-dev musl-tools check pkg-config kconfig-frontends-nox file binutils"

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
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
