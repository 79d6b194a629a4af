/* SPDX-License-Identifier: MIT */
/* Needs a symbol the test image does not export. */
int sqlite3_open(const char *path, void **db);

int undef_open(void)
{
	void *db;

	return sqlite3_open("x", &db);
}
