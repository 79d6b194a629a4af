#!/bin/sh
# The README's entry point: install what the build needs (make itself
# included, which a fresh Debian may not have), then run make with the
# given goals.   sh scripts/make.sh run   |   sh scripts/make.sh check
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh
exec make "$@"
