/* SPDX-License-Identifier: MIT */
/* Hot replace: version 2 of mod_v1.c, same symbol, new behaviour. */
static int calls = 10;

int version(void)
{
	return 200 + ++calls;
}
