/* SPDX-License-Identifier: MIT */
/*
 * The board's default modules.conf, built into the image so that a device
 * with no configuration of its own boots the board's defaults: a single
 * binary needs no file beside it.  The Makefile passes the file's path.
 */
#define MF_STR_(x) #x
#define MF_STR(x) MF_STR_(x)

__asm__(".section .rodata\n"
	".global mf_board_modules_conf\n"
	"mf_board_modules_conf:\n"
	".incbin \"" MF_STR(MF_BOARD_MODULES_CONF) "\"\n"
	".byte 0\n"
	".previous\n");
