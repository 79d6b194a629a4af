/* SPDX-License-Identifier: MIT */
/*
 * manifold's loader of ELF relocatable objects (ET_REL, `cc -c` output) into
 * the running process: module files for a fully static image.
 *
 * Why a loader of our own: in a static musl program dlopen() is a stub, and
 * musl's dlclose() never unmaps, so a module file can neither be loaded into
 * the static image nor truly unloaded or replaced.  No user-space library
 * loads relocatable objects into a static process (the Linux kernel and
 * Zephyr's LLEXT do it for themselves), so this one is written here, small,
 * and tested against what gcc really emits (tests/check_elfload.c).
 *
 * What it does: validates the object before anything runs (docs in
 * elf_reader.c), asks the caller's resolver for every undefined symbol, maps
 * the object into a module area near the image (elf_area.c) as two regions,
 * text+rodata read+exec and data+bss read+write, applies the relocations of
 * this machine (elf_reloc_<arch>.c), runs .init_array, and on unload runs
 * .fini_array and returns the pages: nothing of the module stays mapped.
 *
 * Module objects: x86_64 `-c -fno-pie -fno-common` (also accepted: the
 * default -fPIE, -fPIC, -fno-plt); aarch64 `-c -fno-pie -fno-common` (also:
 * the default build with its GOT forms, -fno-plt).  See docs/loadable.md.
 *
 * Thread safety: loads and unloads may run from any thread; a module's
 * handle must not be used after mf_elf_unload().
 */
#ifndef MANIFOLD_ELFLOAD_H
#define MANIFOLD_ELFLOAD_H

#include <stddef.h>

/*
 * Answers an undefined symbol of the object with its address, or NULL when
 * nothing offers it (the image's export table and other modules' exports
 * are the caller's business).  Called before anything is mapped.
 */
struct mf_elf_resolver {
	void *(*lookup)(void *ctx, const char *name);
	void *ctx;
};

struct mf_elf_module;

/*
 * Loads the object @image of @len bytes (8-byte aligned; the caller keeps
 * it, the module does not refer to it after the call).  0 and *@out, or a
 * negative errno and a message in @err that names the section, symbol or
 * relocation and the reason, for the caller to prefix with the module name:
 *   -ENOEXEC  not a valid relocatable object for this machine
 *   -ENOTSUP  something the loader refuses (TLS, COMMON, a relocation type
 *             or section it does not understand)
 *   -ENOENT   an undefined symbol the resolver does not know
 *   -ERANGE   a relocation whose result does not fit where it goes
 *   -ENOMEM   no memory, or no room in the module area
 * On failure nothing of the object ran and nothing stays mapped.
 */
int mf_elf_load(const void *image, size_t len, const struct mf_elf_resolver *r,
		struct mf_elf_module **out, char *err, size_t errlen);

/* The address of a global symbol the module defines, or NULL. */
void *mf_elf_symbol(const struct mf_elf_module *m, const char *name);

/* Runs the module's destructors and unmaps it.  NULL is accepted. */
void mf_elf_unload(struct mf_elf_module *m);

/*
 * Validation only (no resolver, nothing mapped): what mf_elf_load() would
 * refuse before asking for symbols.  Build tools and the fuzzer use it.
 */
int mf_elf_check(const void *image, size_t len, char *err, size_t errlen);

/*
 * Calls @each for every undefined symbol of a valid object (@weak when the
 * object can do without it), in symbol table order, for the build to
 * collect what the image must export; 0, or what mf_elf_check() returns.
 * The resolver's "_GLOBAL_OFFSET_TABLE_" is the loader's and not listed.
 */
int mf_elf_undefined(const void *image, size_t len,
		     void (*each)(void *ctx, const char *name, int weak), void *ctx,
		     char *err, size_t errlen);

/* The bytes of the module area in use, and the modules loaded (tests). */
size_t mf_elf_area_used(void);

#endif
