/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: the ELF loader's reader and validator
 * (runtime/elf/elf_reader.c), over untrusted bytes, and what follows it for
 * an object it accepts: symbol resolution (every undefined symbol answered
 * with a near address), the layout, and the whole link (sections copied,
 * GOT and stubs written, every relocation applied) into plain heap memory
 * of the module's size, where ASan sees any write outside it.  Nothing is
 * mapped executable and nothing of the input runs.
 *
 * Objects of both machines are linked, whatever the fuzzer runs on.
 * Seeds: the .elf files of tests/fuzz/corpus/elf/, objects of tests/elf/ as gcc built
 * them for x86_64 and aarch64.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "loadable/elf/elf_internal.h"

static char near_target[64];

static void *answer_everything(void *ctx, const char *name)
{
	(void)ctx;
	return name[0] == 'z' ? NULL : near_target;	/* and some unknown */
}

static void link_in_heap(struct elf_file *f)
{
	struct mf_elf_resolver r = { answer_everything, NULL };
	struct elf_layout l;
	uint64_t *addr = calloc(f->nsym, sizeof(*addr));
	unsigned char *base;
	char err[256];

	if (!addr)
		return;
	if (elf_resolve_undefined(f, &r, addr, err, sizeof(err)) == 0 &&
	    elf_layout(f, &l, err, sizeof(err)) == 0) {
		base = aligned_alloc(elf_page_size(), l.span);
		if (base) {
			memset(base, 0, l.span);
			elf_copy_sections(f, base);
			elf_resolve_defined(f, base, (uint64_t)(uintptr_t)base + l.got_off, addr);
			(void)elf_link(f, base, &l, addr, err, sizeof(err));
			free(base);
		}
		elf_layout_release(&l);
	}
	free(addr);
}

/* Objects of either machine are read and linked (into memory, never run):
 * both relocation files see untrusted input whatever the fuzzer runs on. */
static const struct elf_arch *machine_of(const unsigned char *p, size_t size)
{
	uint16_t machine = 0;

	if (size >= sizeof(Elf64_Ehdr))
		memcpy(&machine, p + offsetof(Elf64_Ehdr, e_machine), sizeof(machine));
	return machine == EM_AARCH64 ? &elf_arch_aarch64 : &elf_arch_x86_64;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The loader wants the object 8-byte aligned, as malloc gives it. */
	unsigned char *copy = malloc(size ? size : 1);
	struct elf_file f;
	char err[256];

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (elf_read_for(&f, machine_of(copy, size), copy, size, err, sizeof(err)) == 0) {
		link_in_heap(&f);
		elf_file_release(&f);
	} else if (!memchr(err, '\0', sizeof(err)) || err[0] == '\0') {
		abort();	/* every refusal says why */
	}
	free(copy);
	return 0;
}
