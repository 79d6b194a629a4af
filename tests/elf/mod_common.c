/* SPDX-License-Identifier: MIT */
/* Built with -fcommon: a tentative definition becomes a COMMON symbol. */
int common_counter;

int common_bump(void)
{
	return ++common_counter;
}
