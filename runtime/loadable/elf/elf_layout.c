/* SPDX-License-Identifier: MIT */
/*
 * The layout of one module: two regions, as measured cheapest (one mapping
 * and one mprotect a module).  Read-only sections (text, rodata, unwind
 * tables) and the loader's GOT and branch stubs come first and end up
 * read+exec; writable ones (data, bss, init/fini arrays) follow from the
 * next page and stay read+write.  Nothing is ever writable and executable
 * once relocated.  A GOT slot is kept per symbol that a GOT-form relocation
 * names, a stub per undefined symbol that a call names (used only when the
 * call cannot reach the target directly).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "elf_internal.h"

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return a > 1 ? (v + a - 1) & ~(a - 1) : v;
}

static void place_sections(struct elf_file *f, bool writable, uint64_t *cursor)
{
	for (unsigned i = 1; i < f->shnum; i++) {
		const Elf64_Shdr *s = &f->sh[i];

		if (f->place[i] == ELF_NOT_LOADED || !!(s->sh_flags & SHF_WRITE) != writable)
			continue;
		*cursor = align_up(*cursor, s->sh_addralign);
		f->place[i] = *cursor;
		*cursor += s->sh_size;
	}
}

static int count_slots(const struct elf_file *f, struct elf_layout *l)
{
	const struct elf_arch *arch = f->arch;

	l->got_slot = f->nsym <= ELF_INLINE ? l->slot_inline : mf_malloc(2 * f->nsym * sizeof(*l->got_slot));
	if (!l->got_slot)
		return -ENOMEM;
	l->stub_slot = l->got_slot + f->nsym;
	memset(l->got_slot, 0xff, 2 * f->nsym * sizeof(*l->got_slot));
	for (unsigned i = 1; i < f->shnum; i++) {
		const Elf64_Rela *r;

		if (!elf_rela_applies(f, i))
			continue;
		r = (const Elf64_Rela *)(f->img + f->sh[i].sh_offset);
		for (size_t k = 0; k < f->sh[i].sh_size / sizeof(*r); k++) {
			uint64_t si = ELF64_R_SYM(r[k].r_info);
			enum elf_reloc_need need = arch->reloc_need(ELF64_R_TYPE(r[k].r_info));
			const Elf64_Sym *s = &f->sym[si];

			if (need == ELF_NEED_GOT && l->got_slot[si] < 0)
				l->got_slot[si] = (int32_t)l->ngot++;
			if (need == ELF_NEED_STUB && l->stub_slot[si] < 0 &&
			    (s->st_shndx == SHN_UNDEF || s->st_shndx == SHN_ABS))
				l->stub_slot[si] = (int32_t)l->nstub++;
		}
	}
	return 0;
}

int elf_layout(struct elf_file *f, struct elf_layout *l, char *err, size_t errlen)
{
	const struct elf_arch *arch = f->arch;
	size_t page = elf_page_size();
	uint64_t rx = 0, rw = 0;

	memset(l, 0, sizeof(*l));
	if (count_slots(f, l)) {
		elf_layout_release(l);
		return elf_err(err, errlen, -ENOMEM, "out of memory");
	}
	place_sections(f, false, &rx);
	rx = align_up(rx, 8);
	l->got_off = rx;
	rx += l->ngot * 8;
	rx = align_up(rx, 16);
	l->stub_off = rx;
	rx += l->nstub * arch->stub_size;
	l->rx_size = align_up(rx, page);
	place_sections(f, true, &rw);
	for (unsigned i = 1; i < f->shnum; i++)
		if (f->place[i] != ELF_NOT_LOADED && (f->sh[i].sh_flags & SHF_WRITE))
			f->place[i] += l->rx_size;
	l->span = l->rx_size + align_up(rw, page);
	l->filled = l->rx_size;
	for (unsigned i = 1; i < f->shnum; i++)
		if (f->place[i] != ELF_NOT_LOADED && f->sh[i].sh_type != SHT_NOBITS &&
		    align_up(f->place[i] + f->sh[i].sh_size, page) > l->filled)
			l->filled = align_up(f->place[i] + f->sh[i].sh_size, page);
	if (l->span == 0 || l->span > ELF_MODULE_MAX) {
		elf_layout_release(l);
		return elf_err(err, errlen, l->span ? -ENOMEM : -ENOEXEC,
			       l->span ? "the module needs %zu bytes, more than a module may have"
				       : "nothing to load (%zu bytes)", l->span);
	}
	return 0;
}

void elf_layout_release(struct elf_layout *l)
{
	if (l->got_slot != l->slot_inline)
		mf_free(l->got_slot);
	l->got_slot = l->stub_slot = NULL;
}
