# Board qemu-aarch64: arm64, cross-compiled against musl, one fully static
# image, run on the build machine under qemu-user.
TARGET_CC := aarch64-linux-musl-gcc
TARGET_AR := aarch64-linux-gnu-ar
BOARD_CFLAGS :=
BOARD_LDFLAGS := -static
BOARD_RUN := qemu-aarch64-static
# The unit tests run on the target too: Check exists for arm64 only against
# glibc, so they are built with the glibc cross compiler (dynamically: some suites replace malloc).
BOARD_TEST_CC := aarch64-linux-gnu-gcc
BOARD_TEST_LDFLAGS :=
BOARD_TEST_LIBS := -lcheck -lsubunit -lm -lrt -pthread
TARGET_SIZE := aarch64-linux-gnu-size
# What building and running this board's image needs beyond the host's
# (scripts/make.sh and `make run` install them).
BOARD_PACKAGES := gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu musl-dev:arm64 qemu-user-static
