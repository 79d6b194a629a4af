/* SPDX-License-Identifier: MIT */
/* Uses another module's export (basic_square from mod_basic), as a module
 * with export_globals=yes would be used, and a weak symbol nobody offers,
 * which stays NULL. */
int basic_square(int x);
extern int basic_table[8];
extern int image_optional __attribute__((weak));

int user_call(int x)
{
	return basic_square(x) + basic_table[0] + (&image_optional ? 1000 : 0);
}
