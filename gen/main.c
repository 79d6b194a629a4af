/* SPDX-License-Identifier: MIT */
/*
 * manifold-gen: one host program, one subcommand per file (see gen.h).  This
 * file only dispatches; each subcommand parses its own options.
 */
#include <stdio.h>
#include <string.h>

#include "gen.h"

static const struct {
	const char *name;
	int (*main)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{"extract", gen_extract_main,
	 "module sources (MODULEINFO, DOCUMENTATION) -> manifests (--tree)"},
	{"registry", gen_registry_main, "manifests -> registry tables in C"},
	{"kconfig", gen_kconfig_main, "manifests -> Kconfig menu"},
	{"check", gen_check_main, "check a set of manifests"},
	{"checksum", gen_checksum_main,
	 "manifest + linked module file -> manifest with its checksum"},
	{"index", gen_index_main, "module directory -> its index (modules.index)"},
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *fp)
{
	size_t i;

	fputs("usage: manifold-gen COMMAND [ARGS...]\n"
	      "       manifold-gen COMMAND --help\n\ncommands:\n",
	      fp);
	for (i = 0; i < N_COMMANDS; i++)
		fprintf(fp, "  %-9s %s\n", commands[i].name,
			commands[i].summary);
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return 0;
	}
	for (i = 0; i < N_COMMANDS; i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].main(argc - 1, argv + 1);
	fprintf(stderr, "manifold-gen: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
