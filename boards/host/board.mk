# Board host: x86_64 (the build machine's architecture), one fully static
# musl image with every default module embedded.  The default board.
TARGET_CC := musl-gcc
TARGET_AR := ar
BOARD_CFLAGS :=
BOARD_LDFLAGS := -static
# How to run a program built for this board on the build machine.
BOARD_RUN :=
# Image suites run against this board's image by `make check`.
BOARD_IMAGE_TESTS := check_image check_image_control
