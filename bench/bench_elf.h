/* SPDX-License-Identifier: MIT */
/* bench_elf: the loader a build of bench/bench_elf.c measures. */
#ifndef BENCH_ELF_H
#define BENCH_ELF_H

struct bench_loader {
	const char *name;
	const char *suffix;		/* of the module files: ".o" or ".so" */
	void *(*load)(const char *path);
	void *(*symbol)(void *handle, const char *name);
	void (*unload)(void *handle);
};

extern const struct bench_loader bench_loader;
int bench_image_add(int a, int b);

#endif
