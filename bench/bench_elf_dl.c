/* SPDX-License-Identifier: MIT */
/* bench_elf with musl's dynamic linker: dlopen + dlsym of the .so. */
#include <dlfcn.h>

#include "bench_elf.h"

static void *dl_load(const char *path)
{
	return dlopen(path, RTLD_NOW | RTLD_LOCAL);
}

static void dl_unload(void *h)
{
	dlclose(h);
}

const struct bench_loader bench_loader = { "dlopen", ".so", dl_load, dlsym, dl_unload };
