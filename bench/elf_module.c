/* SPDX-License-Identifier: MIT */
/* The module bench_elf loads N copies of: a small module of about thirty
 * relocations (calls into the image and libc, strings, a jump table, a
 * table of pointers, data and bss), built as an object and as a .so. */
#include <string.h>

int bench_image_add(int a, int b);

static const char *const words[] = { "alpha", "beta", "gamma", "delta", "epsilon", "zeta" };
static int calls = 1;
static char buffer[256];

static int pick(int i)
{
	switch (i & 7) {
	case 0: return 3;
	case 1: return 5;
	case 2: return 7;
	case 3: return 11;
	case 4: return 13;
	case 5: return 17;
	case 6: return 19;
	default: return 23;
	}
}

__attribute__((constructor)) static void setup(void)
{
	calls = bench_image_add(calls, 1);
}

int bm_entry(int i)
{
	const char *w = words[i % 6];
	size_t l = strlen(w);

	memcpy(buffer, w, l + 1);
	memset(buffer + l, 'x', 4);
	return bench_image_add(pick(i), (int)l) + calls + buffer[0];
}
