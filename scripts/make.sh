#!/bin/sh
# The README's entry point: install what the goals need (make itself
# included, which a fresh Debian may not have), then run make with them.
#   sh scripts/make.sh run     what building and booting the image needs
#   sh scripts/make.sh check   and what every test adds
# A board's own packages (its cross compiler, qemu) are BOARD_PACKAGES in its
# board.mk, read here because make may not be installed yet.
set -eu
cd "$(dirname "$0")/.."
set_=run
board=host
for arg in "$@"; do
	case "$arg" in
	BOARD=*) board=${arg#BOARD=} ;;
	run | all | menuconfig | olddefconfig | savedefconfig | *_defconfig | size | clean | V=*) ;;
	*) set_=check ;;
	esac
done
extra=""
[ "$set_" = check ] || [ ! -f "boards/$board/board.mk" ] ||
	extra=$(sed -n 's/^BOARD_PACKAGES *:= *//p' "boards/$board/board.mk")
# shellcheck disable=SC2086
sh scripts/install-deps.sh "$set_" $extra
exec make "$@"
