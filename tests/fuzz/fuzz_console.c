/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: the console's command interpreter (runtime/console.c),
 * which the image's console and its control socket share.  Each input is a
 * few command lines run in order on a fresh fake catalog (loads, unloads,
 * forced unloads, calls, introspection), each line also completed, then the
 * context is released: a command that leaves a reference or a user behind
 * shows up as a leak or an abort in mf_context_unref().  An input starting
 * "!N\n" runs with the runtime's Nth allocation failing (fuzz_common.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <manifold/console.h>

#include "fake_backend.h"
#include "fuzz_common.h"

#define MAX_LINES 16

static void sink(void *data, const char *text)
{
	size_t *total = data;

	*total += strlen(text);
}

static void candidate(void *data, const char *text)
{
	sink(data, text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned long fail_nth = fuzz_alloc_prefix(&data, &size);
	struct mf_context *ctx = fuzz_context();
	char *copy = malloc(size + 1), *line, *next;
	size_t total = 0;
	int n = 0;

	if (!copy)
		abort();
	memcpy(copy, data, size);
	copy[size] = '\0';
	/* An embedded NUL ends the input, as it ends a C string the console
	 * would be handed. */
	fuzz_alloc_arm(fail_nth);
	for (line = copy; line && n < MAX_LINES; line = next, n++) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		mf_console_exec(ctx, line, sink, &total);
		mf_console_complete(ctx, line, candidate, &total);
	}
	fuzz_alloc_disarm();
	free(copy);
	mf_stop_all(ctx, NULL, NULL);
	if (mf_context_unref(ctx))
		abort();
	fake_log_clear();
	return 0;
}
