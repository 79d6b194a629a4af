/* SPDX-License-Identifier: MIT */
/* What the test "image" (tests/check_elfload.c) offers the test modules
 * through its resolver, as a real image's export table would. */
#ifndef ELF_TEST_IMAGE_API_H
#define ELF_TEST_IMAGE_API_H

#include <stddef.h>

int image_add(int a, int b);
void image_log(const char *what);
extern int image_counter;
extern const char image_greeting[];
/* libc's strlen, handed out under this name from far away: calls to it
 * need a stub (x86_64) or a veneer (aarch64). */
size_t far_strlen(const char *s);

#endif
