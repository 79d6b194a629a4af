/* SPDX-License-Identifier: MIT */
/*
 * aarch64 relocations, as gcc emits them for module objects (measured, see
 * docs/loadable.md): the default build gives CALL26, ADR_PREL_PG_HI21,
 * ADD_ABS_LO12_NC, LDST*_ABS_LO12_NC and the GOT pair ADR_GOT_PAGE +
 * LD64_GOT_LO12_NC; -fno-pie drops the GOT forms; data pointers are ABS64,
 * unwind tables PREL32, tail calls JUMP26.  A CALL26/JUMP26 beyond +-128 MiB
 * goes through a veneer (ldr x16, 8; br x16; .quad); ADRP reaches +-4 GiB
 * and the module area is placed within that of the image.  Results that do
 * not fit, or low-12 offsets that do not suit the access size, are refused.
 */
#include <errno.h>
#include <string.h>

#include "elf_internal.h"

static unsigned aarch64_width(uint32_t type)
{
	switch (type) {
	case R_AARCH64_ABS64:
		return 8;
	case R_AARCH64_PREL32:
	case R_AARCH64_CALL26:
	case R_AARCH64_JUMP26:
	case R_AARCH64_ADR_PREL_PG_HI21:
	case R_AARCH64_ADD_ABS_LO12_NC:
	case R_AARCH64_LDST8_ABS_LO12_NC:
	case R_AARCH64_LDST16_ABS_LO12_NC:
	case R_AARCH64_LDST32_ABS_LO12_NC:
	case R_AARCH64_LDST64_ABS_LO12_NC:
	case R_AARCH64_LDST128_ABS_LO12_NC:
	case R_AARCH64_ADR_GOT_PAGE:
	case R_AARCH64_LD64_GOT_LO12_NC:
		return 4;
	default:
		return 0;
	}
}

static bool aarch64_known(uint32_t type)
{
	return type == R_AARCH64_NONE || type == 256 || aarch64_width(type) != 0;
}

static const char *aarch64_name(uint32_t type)
{
	switch (type) {
	case R_AARCH64_NONE: case 256: return "R_AARCH64_NONE";
	case R_AARCH64_ABS64: return "R_AARCH64_ABS64";
	case R_AARCH64_ABS32: return "R_AARCH64_ABS32";
	case R_AARCH64_PREL64: return "R_AARCH64_PREL64";
	case R_AARCH64_PREL32: return "R_AARCH64_PREL32";
	case R_AARCH64_CALL26: return "R_AARCH64_CALL26";
	case R_AARCH64_JUMP26: return "R_AARCH64_JUMP26";
	case R_AARCH64_ADR_PREL_LO21: return "R_AARCH64_ADR_PREL_LO21";
	case R_AARCH64_ADR_PREL_PG_HI21: return "R_AARCH64_ADR_PREL_PG_HI21";
	case R_AARCH64_ADD_ABS_LO12_NC: return "R_AARCH64_ADD_ABS_LO12_NC";
	case R_AARCH64_LDST8_ABS_LO12_NC: return "R_AARCH64_LDST8_ABS_LO12_NC";
	case R_AARCH64_LDST16_ABS_LO12_NC: return "R_AARCH64_LDST16_ABS_LO12_NC";
	case R_AARCH64_LDST32_ABS_LO12_NC: return "R_AARCH64_LDST32_ABS_LO12_NC";
	case R_AARCH64_LDST64_ABS_LO12_NC: return "R_AARCH64_LDST64_ABS_LO12_NC";
	case R_AARCH64_LDST128_ABS_LO12_NC: return "R_AARCH64_LDST128_ABS_LO12_NC";
	case R_AARCH64_ADR_GOT_PAGE: return "R_AARCH64_ADR_GOT_PAGE";
	case R_AARCH64_LD64_GOT_LO12_NC: return "R_AARCH64_LD64_GOT_LO12_NC";
	case R_AARCH64_MOVW_UABS_G0_NC: return "R_AARCH64_MOVW_UABS_G0_NC";
	case R_AARCH64_TLSLE_ADD_TPREL_HI12: return "R_AARCH64_TLSLE_ADD_TPREL_HI12";
	case R_AARCH64_TLSDESC_ADR_PAGE21: return "R_AARCH64_TLSDESC_ADR_PAGE21";
	case R_AARCH64_TLSIE_ADR_GOTTPREL_PAGE21: return "R_AARCH64_TLSIE_ADR_GOTTPREL_PAGE21";
	default: return "unknown";
	}
}

static enum elf_reloc_need aarch64_need(uint32_t type)
{
	switch (type) {
	case R_AARCH64_ADR_GOT_PAGE:
	case R_AARCH64_LD64_GOT_LO12_NC:
		return ELF_NEED_GOT;
	case R_AARCH64_CALL26:
	case R_AARCH64_JUMP26:
		return ELF_NEED_STUB;
	default:
		return ELF_NEED_NOTHING;
	}
}

static uint32_t get32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static void put32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static uint64_t page(uint64_t a)
{
	return a & ~(uint64_t)0xfff;
}

/* ADRP: a page delta into immlo (bits 30:29) and immhi (bits 23:5). */
static int put_adrp(unsigned char *where, uint64_t target, const char **why)
{
	int64_t pages = (int64_t)(page(target) - page((uint64_t)(uintptr_t)where)) >> 12;
	uint32_t insn = get32(where);

	if (pages < -(1 << 20) || pages >= (1 << 20)) {
		*why = "does not reach its target (more than 4 GiB away)";
		return -ERANGE;
	}
	insn &= ~((3u << 29) | (0x7ffffu << 5));
	insn |= ((uint32_t)pages & 3) << 29 | (((uint32_t)pages >> 2) & 0x7ffff) << 5;
	put32(where, insn);
	return 0;
}

/* The low 12 bits of @v, scaled by the access size 1 << @shift, into the
 * imm12 field (bits 21:10) of an ADD or a load/store. */
static int put_lo12(unsigned char *where, uint64_t v, unsigned shift, const char **why)
{
	uint32_t lo = (uint32_t)(v & 0xfff);
	uint32_t insn = get32(where);

	if (lo & ((1u << shift) - 1)) {
		*why = "has a target not aligned for its access size";
		return -ERANGE;
	}
	insn &= ~(0xfffu << 10);
	insn |= (lo >> shift) << 10;
	put32(where, insn);
	return 0;
}

static bool branch_reaches(int64_t off)
{
	return off % 4 == 0 && off >= -(1ll << 27) && off < (1ll << 27);
}

static int aarch64_apply(const struct elf_reloc *r, const char **why)
{
	uint64_t P = (uint64_t)(uintptr_t)r->where;
	uint64_t v = r->S + (uint64_t)r->A;
	int64_t rel;
	uint32_t insn;

	switch (r->type) {
	case R_AARCH64_ABS64:
		memcpy(r->where, &v, 8);
		return 0;
	case R_AARCH64_PREL32:
		rel = (int64_t)(v - P);
		if (rel < INT32_MIN || rel > INT32_MAX)
			goto range;
		put32(r->where, (uint32_t)rel);
		return 0;
	case R_AARCH64_CALL26:
	case R_AARCH64_JUMP26:
		rel = (int64_t)(v - P);
		if (!branch_reaches(rel) && r->stub && r->A == 0)
			rel = (int64_t)(r->stub - P);
		if (!branch_reaches(rel))
			goto range;
		insn = get32(r->where) & ~0x03ffffffu;
		put32(r->where, insn | (((uint32_t)(rel >> 2)) & 0x03ffffffu));
		return 0;
	case R_AARCH64_ADR_PREL_PG_HI21:
		return put_adrp(r->where, v, why);
	case R_AARCH64_ADR_GOT_PAGE:
		return put_adrp(r->where, r->got, why);
	case R_AARCH64_ADD_ABS_LO12_NC:
	case R_AARCH64_LDST8_ABS_LO12_NC:
		return put_lo12(r->where, v, 0, why);
	case R_AARCH64_LDST16_ABS_LO12_NC:
		return put_lo12(r->where, v, 1, why);
	case R_AARCH64_LDST32_ABS_LO12_NC:
		return put_lo12(r->where, v, 2, why);
	case R_AARCH64_LDST64_ABS_LO12_NC:
		return put_lo12(r->where, v, 3, why);
	case R_AARCH64_LDST128_ABS_LO12_NC:
		return put_lo12(r->where, v, 4, why);
	case R_AARCH64_LD64_GOT_LO12_NC:
		return put_lo12(r->where, r->got, 3, why);
	default:
		*why = "is a type the loader does not apply";
		return -ENOTSUP;
	}
range:
	*why = "does not reach its target (the result does not fit)";
	return -ERANGE;
}

/* ldr x16, .+8; br x16; .quad target */
static void aarch64_veneer(unsigned char *at, uint64_t target)
{
	put32(at, 0x58000050u);
	put32(at + 4, 0xd61f0200u);
	memcpy(at + 8, &target, 8);
}

const struct elf_arch elf_arch_aarch64 = {
	.machine = EM_AARCH64,
	.name = "aarch64",
	.reloc_width = aarch64_width,
	.reloc_known = aarch64_known,
	.reloc_name = aarch64_name,
	.reloc_need = aarch64_need,
	.apply = aarch64_apply,
	.stub_size = 16,
	.write_stub = aarch64_veneer,
	.unwind_type = 0,
	.reach = 1ull << 32,
	.below = 0,
};
