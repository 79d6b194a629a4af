/* SPDX-License-Identifier: MIT */
/*
 * Tab completion: the words of the command table (console.c), as far as the
 * line has matched them, then module names for commands that take one.
 * The same table as `help`, so the two always offer the same commands.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "frontend/console_cmd.h"

struct complete {
	const char *prefix;
	void (*fn)(void *data, const char *candidate);
	void *data;
};

static int complete_module(struct mf_module *mod, void *data)
{
	struct complete *cp = data;
	const char *name = mf_module_name(mod);

	if (strncmp(name, cp->prefix, strlen(cp->prefix)) == 0)
		cp->fn(cp->data, name);
	return 0;
}

int mf_console_complete(struct mf_context *ctx, const char *line,
			void (*fn)(void *data, const char *candidate), void *data)
{
	char buf[CONSOLE_LINE_MAX + 1], *words[CONSOLE_MAX_WORDS], *save = NULL;
	size_t len = strlen(line), nw = 0;
	bool fresh = len == 0 || line[len - 1] == ' ' || line[len - 1] == '\t';
	const char *prefix;

	if (len > CONSOLE_LINE_MAX)
		return -E2BIG;
	memcpy(buf, line, len + 1);
	for (char *w = strtok_r(buf, " \t", &save); w && nw < CONSOLE_MAX_WORDS;
	     w = strtok_r(NULL, " \t", &save))
		words[nw++] = w;
	/* The word being completed is the last one, or a new empty one. */
	prefix = fresh || nw == 0 ? "" : words[--nw];
	for (size_t i = 0; i < console_n_commands; i++) {
		const struct command *cmd = &console_commands[i];
		size_t k = console_cmd_words(cmd), j;

		for (j = 0; j < nw && j < k && strcmp(cmd->words[j], words[j]) == 0; j++)
			;
		if (j != nw && !(j == k && (cmd->flags & CMD_MODULE_ARG)))
			continue;
		if (nw < k) {
			bool dup = false;

			if (strncmp(cmd->words[nw], prefix, strlen(prefix)) != 0)
				continue;
			for (size_t p = 0; p < i && !dup; p++)
				dup = nw < console_cmd_words(&console_commands[p]) &&
				      strcmp(console_commands[p].words[nw], cmd->words[nw]) == 0 &&
				      (nw == 0 || strcmp(console_commands[p].words[0], words[0]) == 0);
			if (!dup)
				fn(data, cmd->words[nw]);
		} else if ((cmd->flags & CMD_MODULE_ARG) && j == k) {
			struct complete cp = { prefix, fn, data };

			if (prefix[0] != '-')
				mf_module_foreach(ctx, complete_module, &cp);
			break;
		}
	}
	return 0;
}
