#!/bin/sh
# Run the README's two commands on a fresh Debian 12, as a new user would:
# a minimal Debian 12 (debootstrap --variant=minbase: no make, no compiler)
# in a folder, a clean clone of this repository in it, then
#   sh scripts/make.sh run     (with the console's input closed: boot and exit)
#   sh scripts/make.sh check
# inside a chroot, as root.  Not part of `make check` (it downloads a base
# system and takes a while); the proof that scripts/install-deps.sh is whole
# on a machine that never saw this project.
#
#   sh scripts/fresh-machine.sh [ROOT]     ROOT defaults to build/fresh-root
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
root=${1:-$top/build/fresh-root}

[ "$(id -u)" = 0 ] || { echo "fresh-machine: run as root (debootstrap, chroot)" >&2; exit 1; }
command -v debootstrap >/dev/null || apt-get install -y -q --no-install-recommends debootstrap
if [ ! -x "$root/bin/sh" ]; then
	debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian
	# The same suites a Debian 12 machine has: updates and security.
	rm -f "$root/etc/apt/sources.list"
	cat >"$root/etc/apt/sources.list.d/debian.sources" <<'EOF'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
fi
rm -rf "$root/root/manifold"
git clone -q "$top" "$root/root/manifold"
cp /etc/resolv.conf "$root/etc/resolv.conf"
for d in proc sys dev dev/pts; do
	mountpoint -q "$root/$d" || mount --bind "/$d" "$root/$d"
done
trap 'for d in dev/pts dev sys proc; do umount "$root/$d" 2>/dev/null || true; done' EXIT

in_root() {
	chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		/bin/sh -c "cd /root/manifold && $1"
}
echo "fresh-machine: sh scripts/make.sh run"
in_root 'sh scripts/make.sh run </dev/null'
echo "fresh-machine: sh scripts/make.sh check"
in_root 'sh scripts/make.sh check'
echo "fresh-machine: both README commands passed on a fresh Debian 12 ($root)"
