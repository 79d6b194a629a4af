/* SPDX-License-Identifier: MIT */
/*
 * What a module writes: log lines under its own name, and the result text of
 * a call.  Every module needed both and each carried its own copy; these
 * are the one copy (<manifold/module.h>).
 */
#include <stdarg.h>
#include <stdio.h>

#include "core/internal.h"

void mf_module_log_at(const struct mf_module *mod, int priority,
		      const char *file, int line, const char *fn,
		      const char *format, ...)
{
	struct mf_context *ctx = mod->ctx;
	char text[1024];
	va_list args;

	/* Filtered before formatting: a debug line costs nothing when off. */
	if (!ctx->log_fn || priority > ctx->log_priority)
		return;
	va_start(args, format);
	vsnprintf(text, sizeof(text), format, args);
	va_end(args);
	mf_log(ctx, priority, file, line, fn, "%s: %s", mod->name, text);
}

int mf_call_result(char *out, size_t outlen, int rc, const char *format, ...)
{
	va_list args;

	if (outlen == 0)
		return rc;
	va_start(args, format);
	vsnprintf(out, outlen, format, args);
	va_end(args);
	return rc;
}
