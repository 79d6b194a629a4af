/* SPDX-License-Identifier: MIT */
/*
 * mf_elf_load / mf_elf_symbol / mf_elf_unload: the order of a load is the
 * order of what may fail cheaply.  Validate the bytes (elf_reader.c), ask
 * the resolver for every undefined symbol, lay the module out, and only then
 * map it, copy it in, apply every relocation (refusing any that does not
 * fit), turn the code read+exec, flush the instruction cache and run its
 * constructors.  Until the constructors run nothing of the module has
 * executed, and any failure before them unmaps everything.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "util/alloc.h"
#include "elf_internal.h"

/* One .fini_array section, run backwards at unload. */
struct fini_array {
	void (**fn)(void);
	size_t n;
};

struct mf_elf_module {
	unsigned char *base;
	size_t span;
	struct elf_exports *exports;
	size_t nfini;
	struct fini_array fini[];
};

/* .init_array.NNNNN runs in priority order before plain .init_array. */
static unsigned long priority(const char *name)
{
	const char *dot = strchr(name + 1, '.');

	return dot ? strtoul(dot + 1, NULL, 10) : 65536;
}

/* The loaded sections of @type, by priority (then section order). */
static size_t arrays_by_priority(const struct elf_file *f, uint32_t type, unsigned *idx)
{
	size_t n = 0;

	for (unsigned i = 1; i < f->shnum; i++) {
		if (f->sh[i].sh_type != type || !elf_section_loaded(f, i))
			continue;
		size_t k = n++;

		while (k > 0 && priority(elf_section_name(f, idx[k - 1])) >
				priority(elf_section_name(f, i))) {
			idx[k] = idx[k - 1];
			k--;
		}
		idx[k] = i;
	}
	return n;
}

static int relocate_section(const struct elf_file *f, unsigned ri, unsigned char *base,
			    const struct elf_layout *l, const uint64_t *addr, char *err, size_t errlen)
{
	const struct elf_arch *arch = f->arch;
	const Elf64_Shdr *rs = &f->sh[ri];
	const Elf64_Rela *r = (const Elf64_Rela *)(f->img + rs->sh_offset);
	unsigned char *target = base + f->place[rs->sh_info];

	for (size_t k = 0; k < rs->sh_size / sizeof(*r); k++) {
		uint32_t type = ELF64_R_TYPE(r[k].r_info);
		uint64_t si = ELF64_R_SYM(r[k].r_info);
		const char *why = "";
		struct elf_reloc rel;
		int rc;

		if (arch->reloc_width(type) == 0)
			continue;	/* R_*_NONE, whose offset means nothing */
		rel = (struct elf_reloc){
			.type = type,
			.where = target + r[k].r_offset,
			.S = addr[si],
			.A = r[k].r_addend,
			.got = (uint64_t)(uintptr_t)base + l->got_off + 8 * (uint64_t)(l->got_slot[si] < 0 ? 0 : l->got_slot[si]),
			.stub = l->stub_slot[si] < 0 ? 0 :
				(uint64_t)(uintptr_t)base + l->stub_off + arch->stub_size * (uint64_t)l->stub_slot[si],
		};
		rc = arch->apply(&rel, &why);
		if (rc)
			return elf_err(err, errlen, rc, "relocation %s at %s+0x%llx against '%s' (0x%llx) %s",
				       arch->reloc_name(type), elf_section_name(f, rs->sh_info),
				       (unsigned long long)r[k].r_offset, elf_symbol_name(f, &f->sym[si]),
				       (unsigned long long)rel.S, why);
	}
	return 0;
}

/* The GOT, the stubs and every relocation, into the writable mapping. */
int elf_link(const struct elf_file *f, unsigned char *base, const struct elf_layout *l,
	     const uint64_t *addr, char *err, size_t errlen)
{
	const struct elf_arch *arch = f->arch;
	uint64_t *got = (uint64_t *)(base + l->got_off);

	for (size_t i = 1; i < f->nsym; i++) {
		if (l->got_slot[i] >= 0)
			got[l->got_slot[i]] = addr[i];
		if (l->stub_slot[i] >= 0)
			arch->write_stub(base + l->stub_off + arch->stub_size * (size_t)l->stub_slot[i], addr[i]);
	}
	for (unsigned i = 1; i < f->shnum; i++) {
		int rc;

		if (!elf_rela_applies(f, i))
			continue;
		rc = relocate_section(f, i, base, l, addr, err, errlen);
		if (rc)
			return rc;
	}
	return 0;
}

void elf_copy_sections(const struct elf_file *f, unsigned char *base)
{
	for (unsigned i = 1; i < f->shnum; i++)
		if (elf_section_loaded(f, i) && f->sh[i].sh_type != SHT_NOBITS)
			memcpy(base + f->place[i], f->img + f->sh[i].sh_offset, f->sh[i].sh_size);
}

static void run_init(const struct elf_file *f, unsigned char *base, const unsigned *idx, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		void (**fn)(void) = (void (**)(void))(base + f->place[idx[k]]);

		for (size_t j = 0; j < f->sh[idx[k]].sh_size / sizeof(*fn); j++)
			if (fn[j] && fn[j] != (void (*)(void))-1)
				fn[j]();
	}
}

/* @n elements of @size from @small when they fit, else from the heap. */
static void *scratch(void *small, size_t small_bytes, size_t n, size_t size)
{
	return n * size <= small_bytes ? small : mf_calloc(n, size);
}

static void scratch_release(void *p, const void *small)
{
	if (p != small)
		mf_free(p);
}

int mf_elf_load(const void *image, size_t len, const struct mf_elf_resolver *r,
		struct mf_elf_module **out, char *err, size_t errlen)
{
	uint64_t addr_inline[ELF_INLINE];
	unsigned idx_inline[2 * ELF_INLINE];
	struct mf_elf_module *m = NULL;
	struct elf_layout l;
	struct elf_file f;
	uint64_t *addr;
	unsigned char *base = NULL;
	unsigned *init, *fini;
	size_t ninit, nfini, head;
	int rc;

	*out = NULL;
	rc = elf_read(&f, image, len, err, errlen);
	if (rc)
		return rc;
	addr = scratch(addr_inline, sizeof(addr_inline), f.nsym, sizeof(*addr));
	init = scratch(idx_inline, sizeof(idx_inline), 2 * (size_t)f.shnum, sizeof(*init));
	if (!addr || !init) {
		rc = elf_err(err, errlen, -ENOMEM, "out of memory");
		goto err_file;
	}
	memset(addr, 0, f.nsym * sizeof(*addr));
	rc = elf_resolve_undefined(&f, r, addr, err, errlen);
	if (rc)
		goto err_file;
	rc = elf_layout(&f, &l, err, errlen);
	if (rc)
		goto err_file;
	fini = init + f.shnum;
	ninit = arrays_by_priority(&f, SHT_INIT_ARRAY, init);
	nfini = arrays_by_priority(&f, SHT_FINI_ARRAY, fini);
	/* The handle, its destructor list and its export table: one block. */
	head = (sizeof(*m) + nfini * sizeof(m->fini[0]) + 15) & ~(size_t)15;
	m = mf_malloc(head + elf_exports_size(&f));
	if (!m) {
		rc = elf_err(err, errlen, -ENOMEM, "out of memory");
		goto err_layout;
	}
	base = elf_area_map(l.span, l.filled);
	if (!base) {
		rc = elf_err(err, errlen, -ENOMEM, "no room for %zu bytes in the module area", l.span);
		goto err_module;
	}
	elf_copy_sections(&f, base);
	elf_resolve_defined(&f, base, (uint64_t)(uintptr_t)base + l.got_off, addr);
	rc = elf_link(&f, base, &l, addr, err, errlen);
	if (rc)
		goto err_map;
	if (l.rx_size && mprotect(base, l.rx_size, PROT_READ | PROT_EXEC) != 0) {
		rc = elf_err(err, errlen, -errno, "cannot make the module's code executable");
		goto err_map;
	}
	__builtin___clear_cache((char *)base, (char *)base + l.rx_size);

	m->exports = elf_exports_fill(&f, addr, (char *)m + head);
	m->base = base;
	m->span = l.span;
	m->nfini = nfini;
	for (size_t k = 0; k < nfini; k++) {
		m->fini[k].fn = (void (**)(void))(base + f.place[fini[k]]);
		m->fini[k].n = f.sh[fini[k]].sh_size / sizeof(void (*)(void));
	}
	run_init(&f, base, init, ninit);
	elf_layout_release(&l);
	scratch_release(init, idx_inline);
	scratch_release(addr, addr_inline);
	elf_file_release(&f);
	*out = m;
	return 0;

err_map:
	elf_area_unmap(base, l.span);
err_module:
	mf_free(m);
err_layout:
	elf_layout_release(&l);
err_file:
	if (init)
		scratch_release(init, idx_inline);
	if (addr)
		scratch_release(addr, addr_inline);
	elf_file_release(&f);
	return rc;
}

void *mf_elf_symbol(const struct mf_elf_module *m, const char *name)
{
	return m ? elf_exports_find(m->exports, name) : NULL;
}

void mf_elf_unload(struct mf_elf_module *m)
{
	if (!m)
		return;
	for (size_t k = m->nfini; k-- > 0;)
		for (size_t j = m->fini[k].n; j-- > 0;)
			if (m->fini[k].fn[j] && m->fini[k].fn[j] != (void (*)(void))-1)
				m->fini[k].fn[j]();
	elf_area_unmap(m->base, m->span);
	mf_free(m);
}
