/* SPDX-License-Identifier: MIT */
/*
 * The ELF reader: judges an untrusted relocatable object before anything of
 * it is mapped or run.  Every offset, size, index and string is checked
 * against the bytes we were given; what the loader does not understand is
 * refused rather than guessed at:
 *
 *   header    ELF64, little-endian, ET_REL, this machine, section headers
 *             inside the file, a string table for their names
 *   sections  inside the file; SHF_ALLOC ones of the kinds we place
 *             (PROGBITS, NOBITS, INIT/FINI_ARRAY, the machine's unwind
 *             tables; allocated notes are left out), none thread-local, none
 *             writable and executable at once, alignment at most a page, no
 *             legacy .ctors/.dtors/.init/.fini/.preinit_array, no SHT_REL
 *             against them; sections that are not allocated are ignored
 *   symbols   one table with its string table; names inside it; no TLS,
 *             no COMMON (build with -fno-common), no IFUNC, no extended
 *             section indices; defined values inside their section
 *   relocs    RELA against the symbol table; every entry of a table that
 *             applies to a loaded section: a symbol that exists, a type this
 *             machine's loader applies, a place inside the section, and a
 *             symbol that is mapped (not in a dropped section)
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "elf_internal.h"

int elf_err(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* Whether [off, off + size) lies inside a file of @len bytes. */
static bool inside(uint64_t off, uint64_t size, size_t len)
{
	return off <= len && size <= len - off;
}

/* A string at @off of a table of @size bytes whose last byte is NUL. */
static const char *table_string(const char *tab, size_t size, uint64_t off)
{
	return off < size ? tab + off : NULL;
}

const char *elf_section_name(const struct elf_file *f, unsigned idx)
{
	const char *n = idx < f->shnum ? table_string(f->shstr, f->shstrsz, f->sh[idx].sh_name) : NULL;

	return n && *n ? n : "(unnamed)";
}

const char *elf_symbol_name(const struct elf_file *f, const Elf64_Sym *s)
{
	const char *n = table_string(f->str, f->strsz, s->st_name);

	if (n && *n)
		return n;
	if (ELF64_ST_TYPE(s->st_info) == STT_SECTION && s->st_shndx < f->shnum)
		return elf_section_name(f, s->st_shndx);
	return "(unnamed)";
}

bool elf_section_loaded(const struct elf_file *f, unsigned idx)
{
	return idx < f->shnum && f->place[idx] != ELF_NOT_LOADED;
}

bool elf_rela_applies(const struct elf_file *f, unsigned idx)
{
	const Elf64_Shdr *s = &f->sh[idx];

	return s->sh_type == SHT_RELA && elf_section_loaded(f, s->sh_info);
}

static int check_header(struct elf_file *f, char *err, size_t errlen)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)f->img;
	const struct elf_arch *arch = f->arch;

	if (f->len < 4 || memcmp(f->img, ELFMAG, SELFMAG) != 0)
		return elf_err(err, errlen, -ENOEXEC, "not an ELF file");
	if (f->len < sizeof(*eh))
		return elf_err(err, errlen, -ENOEXEC, "truncated: %zu bytes, an ELF header needs %zu",
			       f->len, sizeof(*eh));
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_ident[EI_VERSION] != EV_CURRENT)
		return elf_err(err, errlen, -ENOEXEC, "not a 64-bit little-endian ELF file");
	if (eh->e_type != ET_REL)
		return elf_err(err, errlen, -ENOEXEC,
			       "ELF type %u is not a relocatable object (build module files with -c)",
			       eh->e_type);
	if (eh->e_machine != arch->machine)
		return elf_err(err, errlen, -ENOEXEC, "built for ELF machine %u, this image runs on %s (%u)",
			       eh->e_machine, arch->name, arch->machine);
	if (eh->e_shentsize != sizeof(Elf64_Shdr) || eh->e_shnum == 0 || eh->e_shnum >= SHN_LORESERVE)
		return elf_err(err, errlen, -ENOEXEC, "bad section header table (%u entries of %u bytes)",
			       eh->e_shnum, eh->e_shentsize);
	if (eh->e_shoff % 8 || !inside(eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr), f->len))
		return elf_err(err, errlen, -ENOEXEC,
			       "section header table at offset %llu (%u entries) is not inside the %zu-byte file",
			       (unsigned long long)eh->e_shoff, eh->e_shnum, f->len);
	f->eh = eh;
	f->sh = (const Elf64_Shdr *)(f->img + eh->e_shoff);
	f->shnum = eh->e_shnum;
	return 0;
}

/* A string table: inside the file, not empty, NUL-terminated. */
static int string_table(const struct elf_file *f, unsigned idx, const char **tab, size_t *size,
			char *err, size_t errlen)
{
	const Elf64_Shdr *s = &f->sh[idx];

	if (s->sh_type != SHT_STRTAB || s->sh_size == 0 ||
	    f->img[s->sh_offset + s->sh_size - 1] != '\0')
		return elf_err(err, errlen, -ENOEXEC, "section %u is not a string table", idx);
	*tab = (const char *)f->img + s->sh_offset;
	*size = s->sh_size;
	return 0;
}

static bool legacy_name(const char *n)
{
	static const char *const names[] = { ".ctors", ".dtors", ".init", ".fini", ".preinit_array" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t l = strlen(names[i]);

		if (strncmp(n, names[i], l) == 0 && (n[l] == '\0' || n[l] == '.'))
			return true;
	}
	return false;
}

/* One allocated section: whether and how it can be placed. */
static int check_alloc_section(const struct elf_file *f, unsigned i, bool *keep, char *err, size_t errlen)
{
	const Elf64_Shdr *s = &f->sh[i];
	const char *name = elf_section_name(f, i);
	uint32_t t = s->sh_type;

	*keep = true;
	if (s->sh_flags & SHF_TLS)
		return elf_err(err, errlen, -ENOTSUP,
			       "section '%s' is thread-local storage, which module files may not use", name);
	if (t == SHT_NOTE) {
		*keep = false;	/* .note.gnu.property and the like: nothing reads them */
		return 0;
	}
	if (t != SHT_PROGBITS && t != SHT_NOBITS && t != SHT_INIT_ARRAY && t != SHT_FINI_ARRAY &&
	    !(t == f->arch->unwind_type && t != 0))
		return elf_err(err, errlen, -ENOTSUP,
			       "section '%s' has type 0x%x, which the loader does not understand", name, t);
	if (legacy_name(name))
		return elf_err(err, errlen, -ENOTSUP,
			       "section '%s' is a legacy constructor section the loader does not run "
			       "(use .init_array)", name);
	if (s->sh_size > ELF_MODULE_MAX)
		return elf_err(err, errlen, -ENOEXEC, "section '%s' has %llu bytes, more than a module may have",
			       name, (unsigned long long)s->sh_size);
	if ((s->sh_flags & SHF_WRITE) && (s->sh_flags & SHF_EXECINSTR))
		return elf_err(err, errlen, -ENOTSUP, "section '%s' is writable and executable", name);
	if (s->sh_addralign > elf_page_size() || (s->sh_addralign & (s->sh_addralign - 1)))
		return elf_err(err, errlen, -ENOEXEC, "section '%s' has alignment %llu", name,
			       (unsigned long long)s->sh_addralign);
	if ((t == SHT_INIT_ARRAY || t == SHT_FINI_ARRAY) && s->sh_size % 8)
		return elf_err(err, errlen, -ENOEXEC, "section '%s' is not an array of pointers", name);
	return 0;
}

static int check_sections(struct elf_file *f, char *err, size_t errlen)
{
	unsigned symtab = 0;
	int rc;

	for (unsigned i = 0; i < f->shnum; i++) {
		const Elf64_Shdr *s = &f->sh[i];

		if (s->sh_type != SHT_NOBITS && s->sh_type != SHT_NULL && !inside(s->sh_offset, s->sh_size, f->len))
			return elf_err(err, errlen, -ENOEXEC,
				       "section %u: offset %llu and size %llu are not inside the %zu-byte file",
				       i, (unsigned long long)s->sh_offset, (unsigned long long)s->sh_size, f->len);
	}
	if (f->eh->e_shstrndx == SHN_UNDEF || f->eh->e_shstrndx >= f->shnum)
		return elf_err(err, errlen, -ENOEXEC, "no section name table");
	rc = string_table(f, f->eh->e_shstrndx, &f->shstr, &f->shstrsz, err, errlen);
	if (rc)
		return rc;

	for (unsigned i = 1; i < f->shnum; i++) {
		const Elf64_Shdr *s = &f->sh[i];
		bool keep = false;

		f->place[i] = ELF_NOT_LOADED;
		if (s->sh_type == SHT_SYMTAB) {
			if (symtab)
				return elf_err(err, errlen, -ENOEXEC, "more than one symbol table");
			symtab = i;
		}
		if (!(s->sh_flags & SHF_ALLOC))
			continue;
		rc = check_alloc_section(f, i, &keep, err, errlen);
		if (rc)
			return rc;
		if (keep)
			f->place[i] = 0;	/* loaded; the layout sets the offset */
	}
	if (!symtab)
		return elf_err(err, errlen, -ENOEXEC, "no symbol table");

	const Elf64_Shdr *st = &f->sh[symtab];

	if (st->sh_entsize != sizeof(Elf64_Sym) || st->sh_size % sizeof(Elf64_Sym) ||
	    st->sh_offset % 8 || st->sh_size == 0)
		return elf_err(err, errlen, -ENOEXEC, "bad symbol table '%s'", elf_section_name(f, symtab));
	if (st->sh_link == 0 || st->sh_link >= f->shnum)
		return elf_err(err, errlen, -ENOEXEC, "symbol table without a string table");
	rc = string_table(f, st->sh_link, &f->str, &f->strsz, err, errlen);
	if (rc)
		return rc;
	f->sym = (const Elf64_Sym *)(f->img + st->sh_offset);
	f->nsym = st->sh_size / sizeof(Elf64_Sym);
	return 0;
}

static int check_symbols(const struct elf_file *f, char *err, size_t errlen)
{
	for (size_t i = 1; i < f->nsym; i++) {
		const Elf64_Sym *s = &f->sym[i];
		unsigned type = ELF64_ST_TYPE(s->st_info), bind = ELF64_ST_BIND(s->st_info);
		const char *name;

		if (s->st_name >= f->strsz)
			return elf_err(err, errlen, -ENOEXEC, "symbol %zu: name outside the string table", i);
		name = elf_symbol_name(f, s);
		if (type == STT_TLS)
			return elf_err(err, errlen, -ENOTSUP,
				       "symbol '%s' is thread-local (TLS), which module files may not use", name);
		if (type == STT_GNU_IFUNC)
			return elf_err(err, errlen, -ENOTSUP, "symbol '%s' is an indirect function (IFUNC)", name);
		if (s->st_shndx == SHN_COMMON)
			return elf_err(err, errlen, -ENOTSUP,
				       "symbol '%s' is COMMON (build module files with -fno-common)", name);
		if (s->st_shndx == SHN_UNDEF) {
			if (bind != STB_GLOBAL && bind != STB_WEAK)
				return elf_err(err, errlen, -ENOEXEC, "symbol '%s' is local and undefined", name);
			if (s->st_name == 0)
				return elf_err(err, errlen, -ENOEXEC, "symbol %zu is undefined and unnamed", i);
			continue;
		}
		if (s->st_shndx == SHN_ABS)
			continue;
		if (s->st_shndx >= SHN_LORESERVE || s->st_shndx >= f->shnum)
			return elf_err(err, errlen, -ENOEXEC, "symbol '%s' has section index %u", name,
				       s->st_shndx);
		if (s->st_value > f->sh[s->st_shndx].sh_size)
			return elf_err(err, errlen, -ENOEXEC, "symbol '%s' lies outside its section '%s'",
				       name, elf_section_name(f, s->st_shndx));
	}
	return 0;
}

static int check_rela(const struct elf_file *f, unsigned idx, char *err, size_t errlen)
{
	const struct elf_arch *arch = f->arch;
	const Elf64_Shdr *rs = &f->sh[idx];
	const Elf64_Shdr *target = &f->sh[rs->sh_info];
	const char *rname = elf_section_name(f, idx);
	const Elf64_Rela *r;
	size_t n;

	if (rs->sh_entsize != sizeof(Elf64_Rela) || rs->sh_size % sizeof(Elf64_Rela) || rs->sh_offset % 8)
		return elf_err(err, errlen, -ENOEXEC, "bad relocation table '%s'", rname);
	if (rs->sh_link >= f->shnum || f->sh[rs->sh_link].sh_type != SHT_SYMTAB)
		return elf_err(err, errlen, -ENOEXEC, "relocation table '%s' does not use the symbol table",
			       rname);
	r = (const Elf64_Rela *)(f->img + rs->sh_offset);
	n = rs->sh_size / sizeof(*r);
	for (size_t i = 0; i < n; i++) {
		uint32_t type = ELF64_R_TYPE(r[i].r_info);
		uint64_t si = ELF64_R_SYM(r[i].r_info);
		const Elf64_Sym *s;
		unsigned width;

		if (!arch->reloc_known(type))
			return elf_err(err, errlen, -ENOTSUP,
				       "'%s' entry %zu: relocation type %u (%s) is one the loader does not apply",
				       rname, i, type, arch->reloc_name(type));
		if (si >= f->nsym)
			return elf_err(err, errlen, -ENOEXEC, "'%s' entry %zu: symbol %llu does not exist",
				       rname, i, (unsigned long long)si);
		width = arch->reloc_width(type);
		if (width == 0)
			continue;	/* R_*_NONE */
		if (!inside(r[i].r_offset, width, target->sh_type == SHT_NOBITS ? 0 : target->sh_size))
			return elf_err(err, errlen, -ENOEXEC, "'%s' entry %zu: %s at offset 0x%llx is outside '%s'",
				       rname, i, arch->reloc_name(type), (unsigned long long)r[i].r_offset,
				       elf_section_name(f, rs->sh_info));
		s = &f->sym[si];
		if (s->st_shndx != SHN_UNDEF && s->st_shndx != SHN_ABS && !elf_section_loaded(f, s->st_shndx))
			return elf_err(err, errlen, -ENOEXEC,
				       "'%s' entry %zu: %s refers to '%s' in section '%s', which is not loaded",
				       rname, i, arch->reloc_name(type), elf_symbol_name(f, s),
				       elf_section_name(f, s->st_shndx));
	}
	return 0;
}

static int check_relocations(const struct elf_file *f, char *err, size_t errlen)
{
	for (unsigned i = 1; i < f->shnum; i++) {
		const Elf64_Shdr *s = &f->sh[i];
		int rc;

		if (s->sh_type != SHT_RELA && s->sh_type != SHT_REL)
			continue;
		if (s->sh_info == 0 || s->sh_info >= f->shnum)
			return elf_err(err, errlen, -ENOEXEC, "relocation table '%s' applies to section %u",
				       elf_section_name(f, i), s->sh_info);
		if (!elf_section_loaded(f, s->sh_info))
			continue;	/* debug info and the like */
		if (s->sh_type == SHT_REL)
			return elf_err(err, errlen, -ENOTSUP, "'%s': REL relocations (without addends) are not "
				       "used on this machine", elf_section_name(f, i));
		rc = check_rela(f, i, err, errlen);
		if (rc)
			return rc;
	}
	return 0;
}

int elf_read(struct elf_file *f, const void *image, size_t len, char *err, size_t errlen)
{
	return elf_read_for(f, elf_host_arch(), image, len, err, errlen);
}

int elf_read_for(struct elf_file *f, const struct elf_arch *arch, const void *image, size_t len,
		 char *err, size_t errlen)
{
	int rc;

	memset(f, 0, sizeof(*f));
	f->arch = arch;
	f->img = image;
	f->len = len;
	if ((uintptr_t)image % 8)
		return elf_err(err, errlen, -EINVAL, "the object's bytes are not 8-byte aligned in memory");
	rc = check_header(f, err, errlen);
	if (rc)
		return rc;
	f->place = f->shnum <= ELF_INLINE ? f->place_inline : mf_calloc(f->shnum, sizeof(*f->place));
	if (!f->place)
		return elf_err(err, errlen, -ENOMEM, "out of memory");
	f->place[0] = ELF_NOT_LOADED;
	rc = check_sections(f, err, errlen);
	if (!rc)
		rc = check_symbols(f, err, errlen);
	if (!rc)
		rc = check_relocations(f, err, errlen);
	if (rc)
		elf_file_release(f);
	return rc;
}

void elf_file_release(struct elf_file *f)
{
	if (f->place != f->place_inline)
		mf_free(f->place);
	f->place = NULL;
}

int mf_elf_check(const void *image, size_t len, char *err, size_t errlen)
{
	struct elf_file f;
	int rc = elf_read(&f, image, len, err, errlen);

	if (!rc)
		elf_file_release(&f);
	return rc;
}
