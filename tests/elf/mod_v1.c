/* SPDX-License-Identifier: MIT */
/* Hot replace: version 1 of a module; mod_v2.c is its replacement. */
static int calls;

int version(void)
{
	return 100 + ++calls;
}
