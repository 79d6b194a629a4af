/* SPDX-License-Identifier: MIT */
/* The loader's internals: the validated view of an object, the layout of a
 * module, the per-architecture relocation ops and the module area. */
#ifndef MANIFOLD_ELF_INTERNAL_H
#define MANIFOLD_ELF_INTERNAL_H

#include <elf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loadable/elf/elfload.h"

/* printf into err/errlen; returns @rc so callers can `return elf_err(...)`. */
int elf_err(char *err, size_t errlen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* ---- the object, as elf_reader.c validated it -------------------------- */

#define ELF_NOT_LOADED UINT64_MAX
/* Tables up to this many entries live on the stack during a load. */
#define ELF_INLINE 64
/* The most one module may map. */
#define ELF_MODULE_MAX ((size_t)64 << 20)

struct elf_file {
	const struct elf_arch *arch;	/* the machine it is read for */
	const unsigned char *img;
	size_t len;
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *sh;		/* e_shnum headers */
	unsigned shnum;
	const char *shstr;		/* section names, NUL-terminated */
	size_t shstrsz;
	const Elf64_Sym *sym;		/* the one symbol table */
	size_t nsym;
	const char *str;		/* its names, NUL-terminated */
	size_t strsz;
	/* Per section: where it lands in the module (offset from its base),
	 * or ELF_NOT_LOADED; filled by the layout.  Small objects use the
	 * inline array: a load allocates as little as it can. */
	uint64_t *place;
	uint64_t place_inline[ELF_INLINE];
};

const char *elf_section_name(const struct elf_file *f, unsigned idx);
const char *elf_symbol_name(const struct elf_file *f, const Elf64_Sym *s);
/* Whether section @idx is mapped into the module (SHF_ALLOC and kept). */
bool elf_section_loaded(const struct elf_file *f, unsigned idx);
/* Whether RELA section @idx applies to a loaded section. */
bool elf_rela_applies(const struct elf_file *f, unsigned idx);

/* Validates everything that can be judged without a resolver: 0, or a
 * negative errno and the reason in err.  f->place is allocated (free it
 * with elf_file_release). */
int elf_read(struct elf_file *f, const void *image, size_t len, char *err, size_t errlen);
/* The same for another machine's objects (the fuzzer links those too). */
int elf_read_for(struct elf_file *f, const struct elf_arch *arch, const void *image, size_t len,
		 char *err, size_t errlen);
void elf_file_release(struct elf_file *f);

/* ---- relocations, per architecture ------------------------------------- */

/* What a relocation type needs besides the symbol's address. */
enum elf_reloc_need {
	ELF_NEED_NOTHING,
	ELF_NEED_GOT,		/* a GOT slot holding the symbol's address */
	ELF_NEED_STUB,		/* a branch stub when the target is out of reach */
};

/* Where one relocation goes and what it points at. */
struct elf_reloc {
	uint32_t type;
	unsigned char *where;	/* the place, mapped writable at its final address */
	uint64_t S;		/* the symbol's address */
	int64_t A;		/* the addend */
	uint64_t got;		/* the symbol's GOT slot, when the type needs one */
	uint64_t stub;		/* the symbol's stub, 0 when it has none */
};

struct elf_arch {
	uint16_t machine;
	const char *name;
	/* Bytes the type writes at its place, or 0 when the loader does not
	 * apply it (R_*_NONE: width 0 and known, see reloc_known). */
	unsigned (*reloc_width)(uint32_t type);
	bool (*reloc_known)(uint32_t type);
	const char *(*reloc_name)(uint32_t type);
	enum elf_reloc_need (*reloc_need)(uint32_t type);
	/* Applies one relocation: 0, or -ERANGE / -ENOEXEC and *why. */
	int (*apply)(const struct elf_reloc *r, const char **why);
	/* Branch stubs: their size and how one is written. */
	size_t stub_size;
	void (*write_stub)(unsigned char *at, uint64_t target);
	/* Section types beyond the generic ones this machine's objects carry
	 * in memory (x86_64's .eh_frame is SHT_X86_64_UNWIND). */
	uint32_t unwind_type;
	/* How far from the image the module area may lie and still be
	 * reached (x86_64 rel32, aarch64 ADRP); x86_64 also wants it below
	 * 2 GiB for the absolute 32-bit forms of -fno-pie. */
	uint64_t reach;
	uint64_t below;		/* 0: no such limit */
};

extern const struct elf_arch elf_arch_x86_64;
extern const struct elf_arch elf_arch_aarch64;
/* The machine this program runs on (elf_arch.c). */
const struct elf_arch *elf_host_arch(void);

/* ---- the module area (elf_area.c) -------------------------------------- */

size_t elf_page_size(void);
/* @len bytes (a multiple of the page size) mapped read+write in the area,
 * zeroed, the first @populate of them faulted in already; NULL and errno
 * when there is no room. */
void *elf_area_map(size_t len, size_t populate);
/* Back to reserved (PROT_NONE, no memory behind it). */
void elf_area_unmap(void *at, size_t len);

#endif

/* ---- symbols (elf_symbols.c) ------------------------------------------- */

struct elf_exports;
bool elf_symbol_is_got(const struct elf_file *f, const Elf64_Sym *s);
/* addr[] (one a symbol) for undefined and absolute symbols; -ENOENT and
 * the symbol's name when the resolver does not know a strong one. */
int elf_resolve_undefined(const struct elf_file *f, const struct mf_elf_resolver *r, uint64_t *addr,
			  char *err, size_t errlen);
/* addr[] for the symbols defined in loaded sections, once placed at @base. */
void elf_resolve_defined(const struct elf_file *f, const unsigned char *base, uint64_t got, uint64_t *addr);
/* The bytes the module's export table takes, then the table written into
 * them (aligned as malloc's memory). */
size_t elf_exports_size(const struct elf_file *f);
struct elf_exports *elf_exports_fill(const struct elf_file *f, const uint64_t *addr, void *mem);
void *elf_exports_find(const struct elf_exports *x, const char *name);

/* ---- layout of one module (elf_layout.c) ------------------------------- */

/* Offsets from the module's base: text and read-only data first (mapped
 * read+exec), then the GOT and the stubs, then, from a page boundary, data
 * and bss (read+write). */
struct elf_layout {
	size_t rx_size;		/* page-rounded; 0 when there is no such data */
	size_t span;		/* the whole module, page-rounded */
	size_t filled;		/* the pages holding bytes of the file */
	uint64_t got_off, stub_off;
	size_t ngot, nstub;
	int32_t *got_slot;	/* per symbol: its GOT slot, or -1 */
	int32_t *stub_slot;	/* per symbol: its stub, or -1 */
	int32_t slot_inline[2 * ELF_INLINE];
};

/* Places the loaded sections (f->place) and counts GOT slots and stubs. */
int elf_layout(struct elf_file *f, struct elf_layout *l, char *err, size_t errlen);
void elf_layout_release(struct elf_layout *l);

/* ---- linking (elf_load.c) ---------------------------------------------- */

/* The object's sections into the module's memory at @base (span bytes,
 * zeroed), then its GOT, stubs and every relocation for the final address
 * @base; the fuzzer runs these into plain memory. */
void elf_copy_sections(const struct elf_file *f, unsigned char *base);
int elf_link(const struct elf_file *f, unsigned char *base, const struct elf_layout *l,
	     const uint64_t *addr, char *err, size_t errlen);
