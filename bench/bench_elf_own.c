/* SPDX-License-Identifier: MIT */
/* bench_elf with manifold's ELF loader: read the .o, load it, resolve
 * against a small export table as the image's would be. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench_elf.h"
#include "loadable/elf/elfload.h"

static void *exports(void *ctx, const char *name)
{
	static const struct {
		const char *name;
		void *addr;
	} table[] = {
		{ "bench_image_add", (void *)bench_image_add },
		{ "memcpy", (void *)memcpy },
		{ "memset", (void *)memset },
		{ "strlen", (void *)strlen },
	};

	(void)ctx;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(table[i].name, name) == 0)
			return table[i].addr;
	return NULL;
}

static void *own_load(const char *path)
{
	static const struct mf_elf_resolver r = { exports, NULL };
	struct mf_elf_module *m = NULL;
	char err[256];
	/* One buffer for every file, as a backend that reads the file once
	 * to check its checksum would keep it. */
	static void *buf;
	static size_t bufsize;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) == 0 && (size_t)st.st_size > bufsize) {
		free(buf);
		bufsize = (size_t)st.st_size;
		buf = malloc(bufsize);
	}
	if (buf && read(fd, buf, (size_t)st.st_size) == st.st_size &&
	    mf_elf_load(buf, (size_t)st.st_size, &r, &m, err, sizeof(err)) != 0)
		write(2, err, strlen(err));
	close(fd);
	return m;
}

static void *own_symbol(void *h, const char *name)
{
	return mf_elf_symbol(h, name);
}

static void own_unload(void *h)
{
	mf_elf_unload(h);
}

const struct bench_loader bench_loader = { "elf", ".o", own_load, own_symbol, own_unload };
