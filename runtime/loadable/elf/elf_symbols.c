/* SPDX-License-Identifier: MIT */
/*
 * Symbols: the object's undefined symbols answered by the caller's resolver
 * before anything is mapped (so an unknown one costs nothing), the defined
 * ones given their address once the module is placed, and the module's own
 * exports (global and weak symbols of default or protected visibility)
 * copied into a table that outlives the object's bytes, for mf_elf_symbol.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "elf_internal.h"

/* What -fPIC code names when it wants the GOT's address: the loader's GOT. */
static const char got_symbol[] = "_GLOBAL_OFFSET_TABLE_";

struct elf_export {
	const char *name;
	void *addr;
};

struct elf_exports {
	size_t n;
	struct elf_export e[];
	/* then the names */
};

bool elf_symbol_is_got(const struct elf_file *f, const Elf64_Sym *s)
{
	return s->st_shndx == SHN_UNDEF && strcmp(elf_symbol_name(f, s), got_symbol) == 0;
}

int elf_resolve_undefined(const struct elf_file *f, const struct mf_elf_resolver *r, uint64_t *addr,
			  char *err, size_t errlen)
{
	for (size_t i = 1; i < f->nsym; i++) {
		const Elf64_Sym *s = &f->sym[i];
		const char *name;
		void *p;

		if (s->st_shndx == SHN_ABS)
			addr[i] = s->st_value;
		if (s->st_shndx != SHN_UNDEF || elf_symbol_is_got(f, s))
			continue;
		name = elf_symbol_name(f, s);
		p = r && r->lookup ? r->lookup(r->ctx, name) : NULL;
		if (!p && ELF64_ST_BIND(s->st_info) != STB_WEAK)
			return elf_err(err, errlen, -ENOENT, "needs symbol '%s', which the image does not export",
				       name);
		addr[i] = (uint64_t)(uintptr_t)p;	/* a weak one nobody offers is 0 */
	}
	return 0;
}

void elf_resolve_defined(const struct elf_file *f, const unsigned char *base, uint64_t got, uint64_t *addr)
{
	for (size_t i = 1; i < f->nsym; i++) {
		const Elf64_Sym *s = &f->sym[i];

		if (s->st_shndx == SHN_UNDEF) {
			if (elf_symbol_is_got(f, s))
				addr[i] = got;
		} else if (s->st_shndx != SHN_ABS && elf_section_loaded(f, s->st_shndx)) {
			addr[i] = (uint64_t)(uintptr_t)base + f->place[s->st_shndx] + s->st_value;
		}
	}
}

static bool exported(const struct elf_file *f, const Elf64_Sym *s)
{
	unsigned bind = ELF64_ST_BIND(s->st_info), type = ELF64_ST_TYPE(s->st_info);
	unsigned vis = ELF64_ST_VISIBILITY(s->st_other);

	return (bind == STB_GLOBAL || bind == STB_WEAK) && s->st_shndx != SHN_UNDEF &&
	       (s->st_shndx == SHN_ABS || elf_section_loaded(f, s->st_shndx)) &&
	       (type == STT_FUNC || type == STT_OBJECT || type == STT_NOTYPE) &&
	       (vis == STV_DEFAULT || vis == STV_PROTECTED) && s->st_name != 0;
}

static size_t exports_count(const struct elf_file *f, size_t *name_bytes)
{
	size_t n = 0;

	*name_bytes = 0;
	for (size_t i = 1; i < f->nsym; i++)
		if (exported(f, &f->sym[i])) {
			n++;
			*name_bytes += strlen(elf_symbol_name(f, &f->sym[i])) + 1;
		}
	return n;
}

size_t elf_exports_size(const struct elf_file *f)
{
	size_t bytes, n = exports_count(f, &bytes);

	return sizeof(struct elf_exports) + n * sizeof(struct elf_export) + bytes;
}

struct elf_exports *elf_exports_fill(const struct elf_file *f, const uint64_t *addr, void *mem)
{
	struct elf_exports *x = mem;
	size_t bytes, n = exports_count(f, &bytes);
	char *names = (char *)&x->e[n];

	x->n = 0;
	for (size_t i = 1; i < f->nsym; i++) {
		const char *name = elf_symbol_name(f, &f->sym[i]);
		size_t l;

		if (!exported(f, &f->sym[i]))
			continue;
		l = strlen(name) + 1;
		memcpy(names, name, l);
		x->e[x->n].name = names;
		x->e[x->n].addr = (void *)(uintptr_t)addr[i];
		x->n++;
		names += l;
	}
	return x;
}

void *elf_exports_find(const struct elf_exports *x, const char *name)
{
	for (size_t i = 0; x && i < x->n; i++)
		if (strcmp(x->e[i].name, name) == 0)
			return x->e[i].addr;
	return NULL;
}

int mf_elf_undefined(const void *image, size_t len,
		     void (*each)(void *ctx, const char *name, int weak), void *ctx,
		     char *err, size_t errlen)
{
	struct elf_file f;
	int rc = elf_read(&f, image, len, err, errlen);

	if (rc)
		return rc;
	for (size_t i = 1; i < f.nsym; i++) {
		const Elf64_Sym *s = &f.sym[i];

		if (s->st_shndx == SHN_UNDEF && !elf_symbol_is_got(&f, s))
			each(ctx, elf_symbol_name(&f, s), ELF64_ST_BIND(s->st_info) == STB_WEAK);
	}
	elf_file_release(&f);
	return 0;
}
