/* SPDX-License-Identifier: MIT */
/*
 * The ELF loader in the setting it is for: a fully static musl program at
 * the image's address, which Check cannot be linked into (it is packaged
 * for glibc only).  Loads the objects of tests/elf/ that check_elfload
 * loads (elf-objs/ beside this program, or the directory given), calls
 * them, refuses an unknown symbol, and cycles loads to see the mapping
 * count come back.  `make elf-static-smoke` (BOARD=host or qemu-aarch64).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loadable/elf/elfload.h"

int image_counter;
const char image_greeting[] = "hello, module";
static char journal[256];
static int failures;

int image_add(int a, int b)
{
	return a + b;
}

void image_log(const char *what)
{
	size_t l = strlen(journal);

	snprintf(journal + l, sizeof(journal) - l, "%s%s", l ? "," : "", what);
}

static void *lookup(void *ctx, const char *name)
{
	(void)ctx;
	if (!strcmp(name, "image_add"))
		return (void *)image_add;
	if (!strcmp(name, "image_log"))
		return (void *)image_log;
	if (!strcmp(name, "image_counter"))
		return &image_counter;
	if (!strcmp(name, "image_greeting"))
		return (void *)image_greeting;
	if (!strcmp(name, "far_strlen"))
		return (void *)strlen;
	return NULL;
}

static const struct mf_elf_resolver image = { lookup, NULL };

#define EXPECT(cond, ...) do { if (!(cond)) { failures++; fprintf(stderr, __VA_ARGS__); \
	fputc('\n', stderr); } } while (0)

static int load(const char *dir, const char *name, struct mf_elf_module **m, char *err, size_t errlen)
{
	char path[4096];
	void *buf = NULL;
	long len;
	int rc = -EIO;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s.o", dir, name);
	fp = fopen(path, "rb");
	if (fp && fseek(fp, 0, SEEK_END) == 0 && (len = ftell(fp)) > 0 && (buf = malloc((size_t)len))) {
		rewind(fp);
		if (fread(buf, 1, (size_t)len, fp) == (size_t)len)
			rc = mf_elf_load(buf, (size_t)len, &image, m, err, errlen);
	}
	if (fp)
		fclose(fp);
	free(buf);
	if (rc == -EIO)
		snprintf(err, errlen, "cannot read %.400s", path);
	return rc;
}

/* The extent and permissions of the mapping holding @addr. */
static size_t mapping_of(const void *addr, char perms[5])
{
	FILE *fp = fopen("/proc/self/maps", "r");
	unsigned long lo, hi;
	char line[512], p[5];
	size_t len = 0;

	while (fp && fgets(line, sizeof(line), fp))
		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, p) == 3 && (uintptr_t)addr >= lo && (uintptr_t)addr < hi) {
			len = hi - lo;
			memcpy(perms, p, 5);
		}
	if (fp)
		fclose(fp);
	return len;
}

static void basic(const char *dir, const char *variant)
{
	char name[64], err[512];
	struct mf_elf_module *m;

	snprintf(name, sizeof(name), "mod_basic.%s", variant);
	journal[0] = '\0';
	if (load(dir, name, &m, err, sizeof(err)) != 0) {
		EXPECT(0, "%s: %s", name, err);
		return;
	}
	EXPECT(!strcmp(journal, "ctor101,ctor"), "%s: constructors: %s", name, journal);
	EXPECT(((int (*)(int))mf_elf_symbol(m, "basic_switch"))(2) == 25, "%s: basic_switch", name);
	EXPECT(((int (*)(int))mf_elf_symbol(m, "basic_switch"))(1) == 14, "%s: call into the image", name);
	EXPECT(!strcmp(((const char *(*)(unsigned))mf_elf_symbol(m, "basic_colour"))(3), "violet"),
	       "%s: pointer table", name);
	image_counter = 1;
	EXPECT(((int (*)(void))mf_elf_symbol(m, "basic_visit"))() == 6 && image_counter == 2,
	       "%s: data", name);
	EXPECT(((long (*)(int, long))mf_elf_symbol(m, "basic_scratch"))(3, 9) == 0, "%s: bss", name);
	EXPECT(((size_t (*)(void))mf_elf_symbol(m, "basic_far"))() == strlen(image_greeting), "%s: libc", name);
	mf_elf_unload(m);
	EXPECT(!strcmp(journal, "ctor101,ctor,dtor"), "%s: destructor: %s", name, journal);
}

int main(int argc, char **argv)
{
	static const char *const variants[] = { "pie", "nopie", "pic", "picnoplt", "picgotpcrel", "cet", "noplt" };
	char dir[4096], err[512];
	struct mf_elf_module *m;
	void *code = NULL;
	char perms[5] = "";
	int tried = 0;

	if (argc > 1) {
		snprintf(dir, sizeof(dir), "%s", argv[1]);
	} else {
		ssize_t n = readlink("/proc/self/exe", dir, sizeof(dir) - 16);

		if (n <= 0)
			return 2;
		dir[n] = '\0';
		strcpy(strrchr(dir, '/') + 1, "elf-objs");
	}
	for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
		char path[4200];

		snprintf(path, sizeof(path), "%s/mod_basic.%s.o", dir, variants[i]);
		if (access(path, R_OK) == 0) {
			basic(dir, variants[i]);
			tried++;
		}
	}
	EXPECT(tried >= 4, "only %d code models found in %s", tried, dir);
	EXPECT(load(dir, "mod_undef", &m, err, sizeof(err)) == -ENOENT &&
	       !strcmp(err, "needs symbol 'sqlite3_open', which the image does not export"), "undef: %s", err);
	for (int cycle = 0; cycle < 100; cycle++) {
		if (load(dir, "mod_v1", &m, err, sizeof(err)) != 0) {
			EXPECT(0, "mod_v1: %s", err);
			break;
		}
		EXPECT(((int (*)(void))mf_elf_symbol(m, "version"))() == 101, "mod_v1: fresh data");
		code = mf_elf_symbol(m, "version");
		mf_elf_unload(m);
	}
	/* Back to one reserved mapping: the whole area, nothing split off. */
	EXPECT(mapping_of(code, perms) == (size_t)256 << 20 && !strcmp(perms, "---p"),
	       "the area is not whole again: %zu bytes %s", mapping_of(code, perms), perms);
	EXPECT(mf_elf_area_used() == 0, "area still in use");
	printf("elf_static_smoke: %d code models, %s\n", tried, failures ? "FAILED" : "ok");
	return failures ? 1 : 0;
}
