/* SPDX-License-Identifier: MIT */
/* The machine this program runs on: both relocation files build everywhere
 * (their tests and the fuzzer need no cross compiler to compile them); this
 * file alone knows which one applies. */
#include "elf_internal.h"

#if defined(__x86_64__)
#define HOST_ARCH elf_arch_x86_64
#elif defined(__aarch64__)
#define HOST_ARCH elf_arch_aarch64
#else
#error "the ELF module loader supports x86_64 and aarch64"
#endif

const struct elf_arch *elf_host_arch(void)
{
	return &HOST_ARCH;
}
