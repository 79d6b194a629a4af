/* SPDX-License-Identifier: MIT */
/*
 * lo12_sum() loads one value of each access size.  On aarch64 it is written
 * in assembly, so that each of LDST8/16/32/64/128_ABS_LO12_NC appears (gcc
 * reaches small globals through section anchors and an ADD instead) and a
 * CALL26 to the image; elsewhere it is the same sum in C.
 */
#include "image_api.h"

#if defined(__aarch64__)
__asm__(
	"	.text\n"
	"	.globl lo12_sum\n"
	"	.type lo12_sum, %function\n"
	"lo12_sum:\n"
	"	stp x29, x30, [sp, #-32]!\n"
	"	mov x29, sp\n"
	"	adrp x1, lo12_b\n"
	"	ldrb w3, [x1, #:lo12:lo12_b]\n"
	"	adrp x1, lo12_h\n"
	"	ldrh w2, [x1, #:lo12:lo12_h]\n"
	"	add x3, x3, x2\n"
	"	adrp x1, lo12_w\n"
	"	ldr w2, [x1, #:lo12:lo12_w]\n"
	"	add x3, x3, x2\n"
	"	adrp x1, lo12_x\n"
	"	ldr x2, [x1, #:lo12:lo12_x]\n"
	"	add x3, x3, x2\n"
	"	adrp x1, lo12_q\n"
	"	ldr q0, [x1, #:lo12:lo12_q]\n"
	"	fmov x2, d0\n"
	"	add x3, x3, x2\n"
	"	str x3, [sp, #16]\n"
	"	mov w0, #0\n"
	"	mov w1, #0\n"
	"	bl image_add\n"
	"	ldr x3, [sp, #16]\n"
	"	add x0, x3, x0\n"
	"	ldp x29, x30, [sp], #32\n"
	"	ret\n"
	"	.size lo12_sum, .-lo12_sum\n"
	"	.data\n"
	"	.balign 16\n"
	"lo12_q: .quad 10000, 0\n"
	"lo12_x: .quad 1000\n"
	"lo12_w: .word 100\n"
	"lo12_h: .hword 20\n"
	"lo12_b: .byte 3\n"
	"	.text\n");
#else
static const unsigned char lo12_b = 3;
static const unsigned short lo12_h = 20;
static const unsigned lo12_w = 100;
static const unsigned long long lo12_x = 1000;
static const unsigned long long lo12_q[2] = { 10000, 0 };

unsigned long long lo12_sum(void)
{
	return lo12_b + lo12_h + lo12_w + lo12_x + lo12_q[0] + (unsigned long long)image_add(0, 0);
}
#endif
