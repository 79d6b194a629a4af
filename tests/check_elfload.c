/* SPDX-License-Identifier: MIT */
/*
 * The ELF relocatable-object loader (runtime/loadable/elf/) against real compiler
 * output: the objects under tests/elf/ are built by the Makefile with this
 * board's compiler in every code model a module may use (elf-objs/ beside
 * this program, or $MANIFOLD_ELF_OBJS), loaded into this program, whose
 * resolver plays the image's export table, called, and unloaded.  Bad
 * objects, real (TLS, COMMON, an unknown symbol) or made from good ones
 * (truncated, bad offsets, an unknown relocation, the wrong machine), are
 * refused with their reason before anything of them runs.  The program is
 * linked -no-pie, so that it sits low like the static image.
 */
#define _GNU_SOURCE
#include <check.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/alloc.h"
#include "loadable/elf/elf_internal.h"
#include "fault_inject.h"
#include "loadable/elf/elfload.h"

/* The code models each module object is built in (Makefile: ELF_VARIANTS). */
#if defined(__x86_64__)
static const char *const variants[] = { "pie", "nopie", "pic", "picnoplt", "picgotpcrel", "cet" };
static const uint32_t required_relocs[] = {
	R_X86_64_64, R_X86_64_PC32, R_X86_64_PLT32, R_X86_64_32, R_X86_64_32S,
	R_X86_64_GOTPCREL, 41 /* GOTPCRELX */, 42 /* REX_GOTPCRELX */,
};
#define OTHER_MACHINE EM_AARCH64
#elif defined(__aarch64__)
static const char *const variants[] = { "pie", "nopie", "pic", "noplt" };
static const uint32_t required_relocs[] = {
	R_AARCH64_ABS64, R_AARCH64_PREL32, R_AARCH64_CALL26, R_AARCH64_JUMP26,
	R_AARCH64_ADR_PREL_PG_HI21, R_AARCH64_ADD_ABS_LO12_NC, R_AARCH64_LDST8_ABS_LO12_NC,
	R_AARCH64_LDST16_ABS_LO12_NC, R_AARCH64_LDST32_ABS_LO12_NC, R_AARCH64_LDST64_ABS_LO12_NC,
	R_AARCH64_LDST128_ABS_LO12_NC, R_AARCH64_ADR_GOT_PAGE, R_AARCH64_LD64_GOT_LO12_NC,
};
#define OTHER_MACHINE EM_X86_64
#endif
#define NVARIANTS ((int)(sizeof(variants) / sizeof(variants[0])))

/* ---- the "image" the modules link against ----------------------------- */

int image_counter;
const char image_greeting[] = "hello, module";
static char image_journal[256];
static int *far_counter;

int image_add(int a, int b)
{
	return a + b;
}

void image_log(const char *what)
{
	size_t l = strlen(image_journal);

	snprintf(image_journal + l, sizeof(image_journal) - l, "%s%s", l ? "," : "", what);
}

/* The image's export table, then (ctx) a module that exports globals. */
static void *image_lookup(void *ctx, const char *name)
{
	static const struct {
		const char *name;
		void *addr;
	} exports[] = {
		{ "image_add", (void *)image_add },
		{ "image_log", (void *)image_log },
		{ "image_counter", &image_counter },
		{ "image_greeting", (void *)image_greeting },
	};

	for (size_t i = 0; i < sizeof(exports) / sizeof(exports[0]); i++)
		if (strcmp(name, exports[i].name) == 0)
			return exports[i].addr;
	if (strcmp(name, "far_strlen") == 0)
		return dlsym(RTLD_DEFAULT, "strlen");
	return ctx ? mf_elf_symbol(ctx, name) : NULL;
}

/* The same, except that image_counter lives far from the module area. */
static void *far_lookup(void *ctx, const char *name)
{
	if (strcmp(name, "image_counter") == 0)
		return far_counter;
	return image_lookup(ctx, name);
}

static const struct mf_elf_resolver image = { image_lookup, NULL };

/* ---- objects ------------------------------------------------------------ */

struct object {
	unsigned char *bytes;	/* malloc'd: aligned as the loader wants */
	size_t len;
};

static const char *objdir(void)
{
	static char dir[PATH_MAX];
	const char *env = getenv("MANIFOLD_ELF_OBJS");
	ssize_t n;

	if (env)
		return env;
	if (!dir[0]) {
		n = readlink("/proc/self/exe", dir, sizeof(dir) - 16);
		ck_assert_int_gt(n, 0);
		dir[n] = '\0';
		strcpy(strrchr(dir, '/') + 1, "elf-objs");
	}
	return dir;
}

static struct object load_object(const char *name)
{
	char path[PATH_MAX + 64];
	struct object o = { 0 };
	FILE *fp;
	long len;

	snprintf(path, sizeof(path), "%s/%s.o", objdir(), name);
	fp = fopen(path, "rb");
	ck_assert_msg(fp != NULL, "%s: %s (build it with make)", path, strerror(errno));
	ck_assert_int_eq(fseek(fp, 0, SEEK_END), 0);
	len = ftell(fp);
	rewind(fp);
	o.bytes = malloc((size_t)len + 1);
	ck_assert_ptr_nonnull(o.bytes);
	ck_assert_uint_eq(fread(o.bytes, 1, (size_t)len, fp), (size_t)len);
	fclose(fp);
	o.len = (size_t)len;
	return o;
}

static Elf64_Ehdr *ehdr(struct object *o)
{
	return (Elf64_Ehdr *)o->bytes;
}

static Elf64_Shdr *shdr(struct object *o, unsigned i)
{
	return (Elf64_Shdr *)(o->bytes + ehdr(o)->e_shoff) + i;
}

static const char *secname(struct object *o, unsigned i)
{
	return (const char *)o->bytes + shdr(o, ehdr(o)->e_shstrndx)->sh_offset + shdr(o, i)->sh_name;
}

static unsigned find_section(struct object *o, const char *name)
{
	for (unsigned i = 1; i < ehdr(o)->e_shnum; i++)
		if (strcmp(secname(o, i), name) == 0)
			return i;
	ck_abort_msg("no section %s", name);
	return 0;
}

/* Loads @o expecting failure @rc; returns the message. */
static const char *refused(struct object *o, const struct mf_elf_resolver *r, int rc)
{
	static char err[512];
	struct mf_elf_module *m = (void *)1;

	err[0] = '\0';
	ck_assert_int_eq(mf_elf_load(o->bytes, o->len, r, &m, err, sizeof(err)), rc);
	ck_assert_ptr_null(m);
	ck_assert_uint_eq(mf_elf_area_used(), 0);
	ck_assert_str_eq(image_journal, "");	/* nothing of it ran */
	return err;
}

static struct mf_elf_module *loaded(const char *name, const struct mf_elf_resolver *r)
{
	struct object o = load_object(name);
	struct mf_elf_module *m = NULL;
	char err[512] = "";
	int rc = mf_elf_load(o.bytes, o.len, r, &m, err, sizeof(err));

	ck_assert_msg(rc == 0, "%s: %s (%d)", name, err, rc);
	memset(o.bytes, 0xee, o.len);	/* the module keeps nothing of the bytes */
	free(o.bytes);
	return m;
}

#define SYM(m, type, name) ((type)mf_elf_symbol(m, name))

/* /proc/self/maps: lines, and the permissions of the line holding @addr. */
static int maps_count(const void *addr, char perms[5])
{
	FILE *fp = fopen("/proc/self/maps", "r");
	char line[512];
	int n = 0;

	ck_assert_ptr_nonnull(fp);
	while (fgets(line, sizeof(line), fp)) {
		unsigned long lo, hi;
		char p[5];

		n++;
		if (addr && sscanf(line, "%lx-%lx %4s", &lo, &hi, p) == 3 && (uintptr_t)addr >= lo &&
		    (uintptr_t)addr < hi)
			memcpy(perms, p, 5);
	}
	fclose(fp);
	return n;
}

static long rss_pages(void)
{
	FILE *fp = fopen("/proc/self/statm", "r");
	long size, rss;

	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(fscanf(fp, "%ld %ld", &size, &rss), 2);
	fclose(fp);
	return rss;
}

/* Under qemu-user /proc/self/statm is qemu's own, whose translated code
 * grows with every module mapped anew, and mincore() fails on PROT_NONE. */
static bool under_qemu(void)
{
	FILE *fp = fopen("/proc/self/comm", "r");
	char comm[32] = "";

	if (fp) {
		if (!fgets(comm, sizeof(comm), fp))
			comm[0] = '\0';
		fclose(fp);
	}
	return strncmp(comm, "qemu-", 5) == 0;
}

/* Whether the page holding @addr has memory behind it: 1, 0, or -1 where
 * the answer is not to be had (qemu-user). */
static int residency(const void *addr)
{
	uintptr_t page = (uintptr_t)addr & ~((uintptr_t)getpagesize() - 1);
	unsigned char vec = 0;

	if (mincore((void *)page, 1, &vec) != 0) {
		ck_assert_msg(under_qemu(), "mincore: %s", strerror(errno));
		return -1;
	}
	return vec & 1;
}

/* ---- loading and running ------------------------------------------------ */

static void check_basic(struct mf_elf_module *m, const char *variant)
{
	char perms[5] = "";
	void *text = mf_elf_symbol(m, "basic_square");
	void *data = mf_elf_symbol(m, "basic_table");

	ck_assert_msg(text && data, "%s: exports", variant);
	ck_assert_str_eq(image_journal, "ctor101,ctor");
	ck_assert_int_eq(*SYM(m, int *, "basic_ctor_ran"), 1);
	for (int i = 0; i < 9; i++) {
		static const int want[] = { 10, 14, 25, 47, 53, 61, 67, 71, -1 };

		ck_assert_int_eq(SYM(m, int (*)(int), "basic_switch")(i), want[i]);
	}
	ck_assert_str_eq(SYM(m, const char *(*)(unsigned), "basic_colour")(2), "blue");
	ck_assert_str_eq(SYM(m, const char *(*)(unsigned), "basic_colour")(7), "violet");
	ck_assert_int_eq(SYM(m, int (*)(int), "basic_index")(5), 6);
	image_counter = 40;
	ck_assert_int_eq(SYM(m, int (*)(void), "basic_visit")(), 6);
	ck_assert_int_eq(image_counter, 41);
	ck_assert_int_eq(SYM(m, long (*)(int, long), "basic_scratch")(9, 77), 0);	/* bss zeroed */
	ck_assert_int_eq(SYM(m, long (*)(int, long), "basic_scratch")(9, 78), 77);
	ck_assert_uint_eq(SYM(m, size_t (*)(void), "basic_far")(), strlen(image_greeting));
	ck_assert_uint_eq(SYM(m, unsigned long long (*)(void), "basic_sizes")(), 7 + 9 + 11 + 13 + 2);
	ck_assert_int_eq(SYM(m, int (*)(int), "basic_tail")(3), 16);
	ck_assert_int_eq(SYM(m, int (*)(int), "basic_callmix")(3), 9 + 4 + 1);
	ck_assert_int_eq(SYM(m, int (*(*)(void))(int), "basic_fnptr")()(4), 16);
	ck_assert_ptr_null(mf_elf_symbol(m, "twice"));	/* static: not exported */
	ck_assert_ptr_null(mf_elf_symbol(m, "image_add"));	/* undefined: not its own */

	/* W^X: code read+exec, data read+write, neither both. */
	maps_count(text, perms);
	ck_assert_msg(strncmp(perms, "r-x", 3) == 0, "%s: text is %s", variant, perms);
	maps_count(data, perms);
	ck_assert_msg(strncmp(perms, "rw-", 3) == 0, "%s: data is %s", variant, perms);
}

START_TEST(test_basic_every_code_model)
{
	char name[64];
	struct mf_elf_module *m;

	snprintf(name, sizeof(name), "mod_basic.%s", variants[_i]);
	image_journal[0] = '\0';
	m = loaded(name, &image);
	check_basic(m, variants[_i]);
	ck_assert_uint_gt(mf_elf_area_used(), 0);
	mf_elf_unload(m);
	ck_assert_str_eq(image_journal, "ctor101,ctor,dtor");
	ck_assert_uint_eq(mf_elf_area_used(), 0);
}
END_TEST

/* Calls to libc's strlen, far from the module area, go through a stub or
 * veneer: the test above is only a test of them when it is far. */
START_TEST(test_far_call_is_far)
{
	struct mf_elf_module *m = loaded("mod_basic.pie", &image);
	uintptr_t near = (uintptr_t)mf_elf_symbol(m, "basic_far");
	uintptr_t far = (uintptr_t)dlsym(RTLD_DEFAULT, "strlen");

	ck_assert_uint_gt(far > near ? far - near : near - far, (uintptr_t)128 << 20);
	mf_elf_unload(m);
}
END_TEST

START_TEST(test_each_access_size)
{
	struct mf_elf_module *m = loaded("mod_lo12", &image);

	ck_assert_uint_eq(SYM(m, unsigned long long (*)(void), "lo12_sum")(), 11123);
	mf_elf_unload(m);
}
END_TEST

/* Every relocation type the loader claims appears in the objects above. */
START_TEST(test_every_relocation_type_exercised)
{
	size_t seen[sizeof(required_relocs) / sizeof(required_relocs[0])] = { 0 };

	for (int v = 0; v <= NVARIANTS; v++) {
		char name[64];
		struct object o;
		struct elf_file f;
		char err[256];

		snprintf(name, sizeof(name), v < NVARIANTS ? "mod_basic.%s" : "mod_lo12", variants[v % NVARIANTS]);
		o = load_object(name);
		ck_assert_int_eq(elf_read(&f, o.bytes, o.len, err, sizeof(err)), 0);
		for (unsigned i = 1; i < f.shnum; i++) {
			const Elf64_Rela *r;

			if (!elf_rela_applies(&f, i))
				continue;
			r = (const Elf64_Rela *)(f.img + f.sh[i].sh_offset);
			for (size_t k = 0; k < f.sh[i].sh_size / sizeof(*r); k++)
				for (size_t t = 0; t < sizeof(seen) / sizeof(seen[0]); t++)
					seen[t] += ELF64_R_TYPE(r[k].r_info) == required_relocs[t];
		}
		elf_file_release(&f);
		free(o.bytes);
	}
	for (size_t t = 0; t < sizeof(seen) / sizeof(seen[0]); t++)
		ck_assert_msg(seen[t] > 0, "%s is never exercised",
			      elf_host_arch()->reloc_name(required_relocs[t]));
}
END_TEST

/* A module that uses another's exports, through the caller's resolver. */
START_TEST(test_module_uses_module)
{
	struct mf_elf_module *basic = loaded("mod_basic.pie", &image);
	struct mf_elf_resolver chained = { image_lookup, basic };
	struct mf_elf_module *user = loaded("mod_user", &chained);

	ck_assert_int_eq(SYM(user, int (*)(int), "user_call")(3), 10);
	mf_elf_unload(user);
	mf_elf_unload(basic);
	ck_assert_uint_eq(mf_elf_area_used(), 0);
}
END_TEST

/* True unload: a reload starts from the file's data, and a new file
 * replaces the code, in one process. */
START_TEST(test_reload_and_replace)
{
	struct mf_elf_module *m = loaded("mod_v1", &image);
	int (*version)(void) = SYM(m, int (*)(void), "version");

	ck_assert_int_eq(version(), 101);
	ck_assert_int_eq(version(), 102);
	mf_elf_unload(m);
	m = loaded("mod_v1", &image);
	ck_assert_int_eq(SYM(m, int (*)(void), "version")(), 101);
	mf_elf_unload(m);
	m = loaded("mod_v2", &image);
	ck_assert_int_eq(SYM(m, int (*)(void), "version")(), 211);
	mf_elf_unload(m);
}
END_TEST

/* After the first cycle, load/unload cycles leave the mappings and the
 * resident memory where they were. */
START_TEST(test_unload_returns_everything)
{
	int maps_before = 0;
	long rss_before = 0;
	char perms[5];
	void *text = NULL, *data = NULL;

	for (int cycle = 0; cycle < 201; cycle++) {
		struct mf_elf_module *m[3];

		if (cycle == 1) {
			maps_before = maps_count(NULL, perms);
			rss_before = rss_pages();
		}
		image_journal[0] = '\0';
		m[0] = loaded("mod_basic.nopie", &image);
		m[1] = loaded("mod_v1", &image);
		m[2] = loaded("mod_basic.pic", &image);
		text = mf_elf_symbol(m[0], "basic_square");
		data = mf_elf_symbol(m[2], "basic_table");
		ck_assert(residency(text) != 0 && residency(data) != 0);
		for (int i = 2; i >= 0; i--)
			mf_elf_unload(m[i]);
	}
	ck_assert_int_eq(maps_count(NULL, perms), maps_before);
	if (!under_qemu())
		ck_assert_int_le((rss_pages() - rss_before) * getpagesize(), 64 * 1024);
	maps_count(text, perms);
	ck_assert_str_eq(perms, "---p");	/* back to reserved */
	ck_assert(residency(text) != 1);	/* the memory is returned */
	ck_assert(residency(data) != 1);
}
END_TEST

/* The area fills up and frees again; bss is zeroed and costs memory only
 * where it is touched. */
START_TEST(test_area_full_and_reused)
{
	struct object o = load_object("mod_big");
	struct mf_elf_module *m[6];
	char err[256];
	char *(*at)(unsigned long);

	for (int i = 0; i < 5; i++) {
		ck_assert_int_eq(mf_elf_load(o.bytes, o.len, &image, &m[i], err, sizeof(err)), 0);
		at = SYM(m[i], char *(*)(unsigned long), "big_at");
		ck_assert_int_ne(residency(at(24 << 20)), 1);
		ck_assert_int_eq(*at(24 << 20), 0);
		*at(24 << 20) = 1;
	}
	ck_assert_int_eq(mf_elf_load(o.bytes, o.len, &image, &m[5], err, sizeof(err)), -ENOMEM);
	ck_assert_ptr_nonnull(strstr(err, "in the module area"));
	mf_elf_unload(m[2]);
	ck_assert_int_eq(mf_elf_load(o.bytes, o.len, &image, &m[2], err, sizeof(err)), 0);
	at = SYM(m[2], char *(*)(unsigned long), "big_at");
	ck_assert_int_eq(*at(24 << 20), 0);	/* a fresh bss where the old one was */
	for (int i = 0; i < 5; i++)
		mf_elf_unload(m[i]);
	ck_assert_uint_eq(mf_elf_area_used(), 0);
	free(o.bytes);
}
END_TEST

static void collect(void *ctx, const char *name, int weak)
{
	char *list = ctx;

	snprintf(list + strlen(list), 256 - strlen(list), "%s%s%s", *list ? " " : "", name, weak ? "?" : "");
}

/* What the build asks of an object: the symbols the image must export. */
START_TEST(test_lists_undefined_symbols)
{
	struct object o = load_object("mod_user");
	char list[256] = "", err[256];

	ck_assert_int_eq(mf_elf_undefined(o.bytes, o.len, collect, list, err, sizeof(err)), 0);
	/* In symbol table order, which is the compiler's. */
	ck_assert_uint_eq(strlen(list), strlen("basic_square basic_table image_optional?"));
	ck_assert_ptr_nonnull(strstr(list, "basic_square"));
	ck_assert_ptr_nonnull(strstr(list, "basic_table"));
	ck_assert_ptr_nonnull(strstr(list, "image_optional?"));
	free(o.bytes);
	o = load_object("mod_basic.pic");
	list[0] = '\0';
	ck_assert_int_eq(mf_elf_undefined(o.bytes, o.len, collect, list, err, sizeof(err)), 0);
	ck_assert_ptr_null(strstr(list, "_GLOBAL_OFFSET_TABLE_"));
	ck_assert_ptr_nonnull(strstr(list, "image_add"));
	ck_assert_ptr_nonnull(strstr(list, "far_strlen"));
	ehdr(&o)->e_type = ET_EXEC;
	ck_assert_int_eq(mf_elf_undefined(o.bytes, o.len, collect, list, err, sizeof(err)), -ENOEXEC);
	free(o.bytes);
}
END_TEST

/* Allocation @n of a load fails, for every @n until the load succeeds:
 * each failure gives back every byte, maps nothing and runs nothing. */
START_TEST(test_allocation_failures)
{
	struct object o = load_object("mod_many");
	struct mf_elf_module *m;
	char err[256];
	int n;

	m = loaded("mod_v1", &image);	/* the area's own bitmap, once */
	mf_elf_unload(m);
	for (n = 0;; n++) {
		int rc;

		fi_arm(n);
		rc = mf_elf_load(o.bytes, o.len, &image, &m, err, sizeof(err));
		fi_disarm();
		if (rc == 0)
			break;
		ck_assert_int_eq(rc, -ENOMEM);
		ck_assert_str_eq(err, "out of memory");
		ck_assert_int_eq(fi_live(), 0);
		ck_assert_uint_eq(mf_elf_area_used(), 0);
	}
	ck_assert_int_ge(n, 4);	/* places, symbols, init order, slots, the handle */
	ck_assert_int_eq(SYM(m, int (*)(int), "many_sum")(1), 11 + 90);
	mf_elf_unload(m);
	ck_assert_int_eq(fi_live(), 0);
	free(o.bytes);
}
END_TEST

static void *load_unload_loop(void *arg)
{
	struct object *o = arg;

	for (int i = 0; i < 100; i++) {
		struct mf_elf_module *m;
		char err[256];

		if (mf_elf_load(o->bytes, o->len, &image, &m, err, sizeof(err)) != 0)
			return (void *)1;
		if (SYM(m, int (*)(void), "version")() != 101)
			return (void *)2;
		mf_elf_unload(m);
	}
	return NULL;
}

/* Loads and unloads from several threads share the area. */
START_TEST(test_threads)
{
	struct object o = load_object("mod_v1");
	pthread_t t[4];
	void *rc;

	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, load_unload_loop, &o), 0);
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(pthread_join(t[i], &rc), 0);
		ck_assert_ptr_null(rc);
	}
	ck_assert_uint_eq(mf_elf_area_used(), 0);
	free(o.bytes);
}
END_TEST

/* ---- refusals ----------------------------------------------------------- */

START_TEST(test_refuses_tls)
{
	struct object o = load_object("mod_tls");

	ck_assert_ptr_nonnull(strstr(refused(&o, &image, -ENOTSUP), "thread-local"));
	free(o.bytes);
}
END_TEST

START_TEST(test_refuses_common)
{
	struct object o = load_object("mod_common");

	ck_assert_str_eq(refused(&o, &image, -ENOTSUP),
			 "symbol 'common_counter' is COMMON (build module files with -fno-common)");
	free(o.bytes);
}
END_TEST

START_TEST(test_refuses_unknown_symbol)
{
	struct object o = load_object("mod_undef");

	ck_assert_str_eq(refused(&o, &image, -ENOENT),
			 "needs symbol 'sqlite3_open', which the image does not export");
	free(o.bytes);
}
END_TEST

START_TEST(test_refuses_unknown_relocation)
{
	struct object o = load_object("mod_basic.pie");
	Elf64_Rela *r = (Elf64_Rela *)(o.bytes + shdr(&o, find_section(&o, ".rela.text"))->sh_offset);

	r[0].r_info = ELF64_R_INFO(ELF64_R_SYM(r[0].r_info), 127);
	ck_assert_str_eq(refused(&o, &image, -ENOTSUP),
			 "'.rela.text' entry 0: relocation type 127 (unknown) is one the loader does not apply");
	free(o.bytes);
}
END_TEST

START_TEST(test_refuses_wrong_machine_and_type)
{
	struct object o = load_object("mod_v1");

	ehdr(&o)->e_machine = OTHER_MACHINE;
	ck_assert_ptr_nonnull(strstr(refused(&o, &image, -ENOEXEC), "built for ELF machine"));
	ehdr(&o)->e_machine = elf_host_arch()->machine;
	ehdr(&o)->e_type = ET_DYN;
	ck_assert_str_eq(refused(&o, &image, -ENOEXEC),
			 "ELF type 3 is not a relocatable object (build module files with -c)");
	free(o.bytes);
}
END_TEST

/* Every prefix of a good object is refused, none read past its end. */
START_TEST(test_refuses_truncated)
{
	struct object o = load_object("mod_basic.nopie");
	char err[256];

	ck_assert_int_eq(mf_elf_check(o.bytes, o.len, err, sizeof(err)), 0);
	for (size_t len = 0; len < o.len; len++) {
		unsigned char *copy = malloc(len + 1);

		memcpy(copy, o.bytes, len);
		ck_assert_msg(mf_elf_check(copy, len, err, sizeof(err)) == -ENOEXEC, "prefix of %zu bytes", len);
		free(copy);
	}
	ck_assert_int_eq(mf_elf_check(o.bytes, 40, err, sizeof(err)), -ENOEXEC);
	ck_assert_str_eq(err, "truncated: 40 bytes, an ELF header needs 64");
	ck_assert_int_eq(mf_elf_check(o.bytes, 3, err, sizeof(err)), -ENOEXEC);
	ck_assert_str_eq(err, "not an ELF file");
	free(o.bytes);
}
END_TEST

START_TEST(test_refuses_bad_offsets)
{
	struct object o = load_object("mod_v1");
	unsigned text = find_section(&o, ".text");
	unsigned rela = find_section(&o, ".rela.text");
	Elf64_Rela *r = (Elf64_Rela *)(o.bytes + shdr(&o, rela)->sh_offset);
	Elf64_Shdr saved = *shdr(&o, text);
	char want[128];

	shdr(&o, text)->sh_offset = o.len - 2;
	snprintf(want, sizeof(want), "section %u: offset %zu and size %llu are not inside the %zu-byte file",
		 text, o.len - 2, (unsigned long long)saved.sh_size, o.len);
	ck_assert_str_eq(refused(&o, &image, -ENOEXEC), want);
	*shdr(&o, text) = saved;

	ehdr(&o)->e_shoff = o.len;
	ck_assert_ptr_nonnull(strstr(refused(&o, &image, -ENOEXEC), "section header table"));
	free(o.bytes);

	o = load_object("mod_v1");
	r = (Elf64_Rela *)(o.bytes + shdr(&o, rela)->sh_offset);
	r[0].r_offset = shdr(&o, text)->sh_size;
	ck_assert_ptr_nonnull(strstr(refused(&o, &image, -ENOEXEC), "is outside '.text'"));
	free(o.bytes);

	o = load_object("mod_v1");
	r = (Elf64_Rela *)(o.bytes + shdr(&o, rela)->sh_offset);
	r[0].r_info = ELF64_R_INFO(100000, ELF64_R_TYPE(r[0].r_info));
	ck_assert_str_eq(refused(&o, &image, -ENOEXEC), "'.rela.text' entry 0: symbol 100000 does not exist");
	free(o.bytes);
}
END_TEST

START_TEST(test_refuses_unknown_section)
{
	struct object o = load_object("mod_v1");
	unsigned text = find_section(&o, ".text");

	shdr(&o, text)->sh_type = 0x60000123;
	ck_assert_str_eq(refused(&o, &image, -ENOTSUP),
			 "section '.text' has type 0x60000123, which the loader does not understand");
	free(o.bytes);
}
END_TEST

/* A relocation that cannot reach is refused, not truncated, and the
 * module's constructors never ran. */
START_TEST(test_refuses_out_of_range)
{
	struct object o = load_object("mod_basic.nopie");
	struct mf_elf_resolver far = { far_lookup, NULL };
	const char *err;

	far_counter = mmap((void *)((uintptr_t)1 << 36), 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(far_counter, MAP_FAILED);
	ck_assert_uint_gt((uintptr_t)far_counter, (uintptr_t)8 << 30);
	image_journal[0] = '\0';
	err = refused(&o, &far, -ERANGE);
	ck_assert_msg(strstr(err, "against 'image_counter'") && strstr(err, "does not reach"), "%s", err);
	free(o.bytes);
}
END_TEST

/* Each test starts with an empty journal (also when Check does not fork). */
static void clear_journal(void)
{
	image_journal[0] = '\0';
}

Suite *make_elfload_suite(void)
{
	Suite *s = suite_create("elfload");
	TCase *load = tcase_create("load");
	TCase *refuse = tcase_create("refuse");

	tcase_set_timeout(load, 120);
	tcase_add_checked_fixture(load, clear_journal, NULL);
	tcase_add_checked_fixture(refuse, clear_journal, NULL);
	tcase_add_loop_test(load, test_basic_every_code_model, 0, NVARIANTS);
	tcase_add_test(load, test_far_call_is_far);
	tcase_add_test(load, test_each_access_size);
	tcase_add_test(load, test_every_relocation_type_exercised);
	tcase_add_test(load, test_module_uses_module);
	tcase_add_test(load, test_reload_and_replace);
	tcase_add_test(load, test_unload_returns_everything);
	tcase_add_test(load, test_area_full_and_reused);
	tcase_add_test(load, test_lists_undefined_symbols);
	tcase_add_test(load, test_allocation_failures);
	tcase_add_test(load, test_threads);
	suite_add_tcase(s, load);

	tcase_add_test(refuse, test_refuses_tls);
	tcase_add_test(refuse, test_refuses_common);
	tcase_add_test(refuse, test_refuses_unknown_symbol);
	tcase_add_test(refuse, test_refuses_unknown_relocation);
	tcase_add_test(refuse, test_refuses_wrong_machine_and_type);
	tcase_add_test(refuse, test_refuses_truncated);
	tcase_add_test(refuse, test_refuses_bad_offsets);
	tcase_add_test(refuse, test_refuses_unknown_section);
	tcase_add_test(refuse, test_refuses_out_of_range);
	suite_add_tcase(s, refuse);
	return s;
}

#ifndef MF_CHECK_NO_MAIN
int main(void)
{
	SRunner *sr = srunner_create(make_elfload_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
#endif
