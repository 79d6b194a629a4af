/* SPDX-License-Identifier: MIT */
/*
 * x86_64 relocations, as gcc emits them for module objects (measured, see
 * docs/loadable.md): -fPIE (the Debian default) gives PC32 and PLT32;
 * -fno-pie adds 32, 32S and 64 (jump tables, data pointers); -fPIC gives
 * REX_GOTPCRELX (GOTPCREL with -Wa,-mrelax-relocations=no) and -fno-plt
 * GOTPCRELX for calls.  GOT forms are not relaxed: the loader keeps a small
 * GOT in the module's read-only region and points them at it.  A PLT32 call
 * whose target is beyond rel32 goes through a stub (jmp *0(%rip); .quad);
 * every other result that does not fit is refused, never truncated.
 */
#include <errno.h>
#include <string.h>

#include "elf_internal.h"

#ifndef SHT_X86_64_UNWIND
#define SHT_X86_64_UNWIND 0x70000001
#endif
#ifndef R_X86_64_GOTPCRELX
#define R_X86_64_GOTPCRELX 41
#define R_X86_64_REX_GOTPCRELX 42
#endif

static unsigned x86_64_width(uint32_t type)
{
	switch (type) {
	case R_X86_64_64:
		return 8;
	case R_X86_64_PC32:
	case R_X86_64_PLT32:
	case R_X86_64_32:
	case R_X86_64_32S:
	case R_X86_64_GOTPCREL:
	case R_X86_64_GOTPCRELX:
	case R_X86_64_REX_GOTPCRELX:
		return 4;
	default:
		return 0;
	}
}

static bool x86_64_known(uint32_t type)
{
	return type == R_X86_64_NONE || x86_64_width(type) != 0;
}

static const char *x86_64_name(uint32_t type)
{
	switch (type) {
	case R_X86_64_NONE: return "R_X86_64_NONE";
	case R_X86_64_64: return "R_X86_64_64";
	case R_X86_64_PC32: return "R_X86_64_PC32";
	case R_X86_64_PLT32: return "R_X86_64_PLT32";
	case R_X86_64_32: return "R_X86_64_32";
	case R_X86_64_32S: return "R_X86_64_32S";
	case R_X86_64_GOTPCREL: return "R_X86_64_GOTPCREL";
	case R_X86_64_GOTPCRELX: return "R_X86_64_GOTPCRELX";
	case R_X86_64_REX_GOTPCRELX: return "R_X86_64_REX_GOTPCRELX";
	case R_X86_64_GOT32: return "R_X86_64_GOT32";
	case R_X86_64_COPY: return "R_X86_64_COPY";
	case R_X86_64_PC64: return "R_X86_64_PC64";
	case R_X86_64_GOTOFF64: return "R_X86_64_GOTOFF64";
	case R_X86_64_GOTPC32: return "R_X86_64_GOTPC32";
	case R_X86_64_TPOFF32: return "R_X86_64_TPOFF32";
	case R_X86_64_GOTTPOFF: return "R_X86_64_GOTTPOFF";
	case R_X86_64_TLSGD: return "R_X86_64_TLSGD";
	case R_X86_64_TLSLD: return "R_X86_64_TLSLD";
	case R_X86_64_DTPOFF32: return "R_X86_64_DTPOFF32";
	case R_X86_64_16: return "R_X86_64_16";
	case R_X86_64_8: return "R_X86_64_8";
	default: return "unknown";
	}
}

static enum elf_reloc_need x86_64_need(uint32_t type)
{
	switch (type) {
	case R_X86_64_GOTPCREL:
	case R_X86_64_GOTPCRELX:
	case R_X86_64_REX_GOTPCRELX:
		return ELF_NEED_GOT;
	case R_X86_64_PLT32:
		return ELF_NEED_STUB;
	default:
		return ELF_NEED_NOTHING;
	}
}

static bool fits_s32(int64_t v)
{
	return v >= INT32_MIN && v <= INT32_MAX;
}

static void put32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static int x86_64_apply(const struct elf_reloc *r, const char **why)
{
	uint64_t P = (uint64_t)(uintptr_t)r->where;
	uint64_t v = r->S + (uint64_t)r->A;
	int64_t rel;

	switch (r->type) {
	case R_X86_64_64:
		memcpy(r->where, &v, 8);
		return 0;
	case R_X86_64_32:
		if (v > UINT32_MAX)
			goto range;
		put32(r->where, (uint32_t)v);
		return 0;
	case R_X86_64_32S:
		if (!fits_s32((int64_t)v))
			goto range;
		put32(r->where, (uint32_t)v);
		return 0;
	case R_X86_64_PLT32:
		rel = (int64_t)(v - P);
		if (!fits_s32(rel) && r->stub)
			rel = (int64_t)(r->stub + (uint64_t)r->A - P);
		if (!fits_s32(rel))
			goto range;
		put32(r->where, (uint32_t)rel);
		return 0;
	case R_X86_64_PC32:
		rel = (int64_t)(v - P);
		if (!fits_s32(rel))
			goto range;
		put32(r->where, (uint32_t)rel);
		return 0;
	case R_X86_64_GOTPCREL:
	case R_X86_64_GOTPCRELX:
	case R_X86_64_REX_GOTPCRELX:
		rel = (int64_t)(r->got + (uint64_t)r->A - P);
		if (!fits_s32(rel))
			goto range;
		put32(r->where, (uint32_t)rel);
		return 0;
	default:
		*why = "is a type the loader does not apply";
		return -ENOTSUP;
	}
range:
	*why = "does not reach its target (the result does not fit in 32 bits)";
	return -ERANGE;
}

/* jmp *0(%rip); .quad target */
static void x86_64_stub(unsigned char *at, uint64_t target)
{
	static const unsigned char jmp[8] = { 0xff, 0x25, 0, 0, 0, 0, 0xcc, 0xcc };

	memcpy(at, jmp, 6);
	memcpy(at + 6, &target, 8);
	at[14] = at[15] = 0xcc;
}

const struct elf_arch elf_arch_x86_64 = {
	.machine = EM_X86_64,
	.name = "x86_64",
	.reloc_width = x86_64_width,
	.reloc_known = x86_64_known,
	.reloc_name = x86_64_name,
	.reloc_need = x86_64_need,
	.apply = x86_64_apply,
	.stub_size = 16,
	.write_stub = x86_64_stub,
	.unwind_type = SHT_X86_64_UNWIND,
	.reach = 1ull << 31,
	.below = 1ull << 31,
};
