/* SPDX-License-Identifier: MIT */
/*
 * A test module that makes the compiler emit every relocation the loader
 * applies for its flags: calls into the image and between its own
 * functions, image data read and written, rodata strings and a table of
 * pointers to them, a jump table, static data and bss, an indexed global
 * array, constructors with and without priority, and a destructor.
 */
#include "image_api.h"

static const char *const colours[] = { "red", "green", "blue", "violet" };
static int visits = 5;			/* .data */
static long scratch[64];		/* .bss */
int basic_table[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
int basic_ctor_ran;
unsigned char basic_bytes[16] = { 7 };
unsigned short basic_shorts[8] = { 9 };
unsigned long long basic_quads[4] = { 11 };
__int128 basic_wide = 13;

__attribute__((constructor(101))) static void first(void)
{
	image_log("ctor101");
}

__attribute__((constructor)) static void setup(void)
{
	basic_ctor_ran = 1;
	image_log("ctor");
}

__attribute__((destructor)) static void teardown(void)
{
	image_log("dtor");
}

__attribute__((noinline)) static int twice(int x)
{
	return image_add(x, x);
}

__attribute__((noinline)) int basic_square(int x)
{
	return x * x;
}

/* A switch dense enough for a jump table. */
__attribute__((noinline)) int basic_switch(int x)
{
	switch (x) {
	case 0: return 10;
	case 1: return twice(7);
	case 2: return basic_square(5);
	case 3: return 47;
	case 4: return 53;
	case 5: return 61;
	case 6: return 67;
	case 7: return 71;
	default: return -1;
	}
}

const char *basic_colour(unsigned i)
{
	return colours[i % 4];
}

int basic_index(int i)
{
	return basic_table[i & 7];
}

int basic_visit(void)
{
	image_counter += 1;
	return ++visits;
}

long basic_scratch(int i, long v)
{
	long old = scratch[i & 63];

	scratch[i & 63] = v;
	return old;
}

size_t basic_far(void)
{
	return far_strlen(image_greeting);
}

/* Each access size, for the aarch64 LDSTn_ABS_LO12_NC forms. */
unsigned long long basic_sizes(void)
{
	return basic_bytes[0] + basic_shorts[0] + basic_quads[0] + (unsigned long long)basic_wide +
	       (unsigned long long)basic_table[1];
}

/* A tail call (JUMP26 on aarch64). */
int basic_tail(int x)
{
	return basic_square(x + 1);
}

/* A call that is not a tail call (CALL26 on aarch64). */
int basic_callmix(int x)
{
	return basic_square(x) + image_add(x, 1) + 1;
}

int (*basic_fnptr(void))(int)
{
	return basic_square;
}
