# Board host-modules: x86_64 (the build machine's architecture) with
# loadable modules.  The image is linked dynamically against musl, since a
# static musl program cannot dlopen, and exports its symbols, so the module
# files resolve the runtime's API (mf_*) from the image.  Modules set to m
# are built as $(O)/modules/<name>.so + <name>.manifest.
TARGET_CC := musl-gcc
TARGET_AR := ar
BOARD_CFLAGS :=
BOARD_LDFLAGS := -Wl,--export-dynamic
# How to run a program built for this board on the build machine.
BOARD_RUN :=
# What `make run` adds: the module directory the build fills.
BOARD_RUN_ARGS = -M $(O)/modules
# Image suites run against this board's image by `make check`.
BOARD_IMAGE_TESTS := check_image_modules check_image_build
# The unit tests are the host board's: `make check` runs them once.
BOARD_UNIT_TESTS := no
