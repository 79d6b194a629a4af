/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "fake_backend.h"
#include "fuzz_common.h"

/* Names the seed corpora use, a provider election and an optional use. */
static const char catalog[] =
	"[module]\nname=chan_sip\nconfig=sip.conf\nconfig=sippeers\n"
	"[uses]\nmodule=res_timing_timerfd\n[canuse]\nmodule=cdr_custom\n"
	"[module]\nname=pbx_config\nconfig=extensions.conf\n"
	"[provides]\napplication=Dial\nfunction=GLOBAL\n"
	"[module]\nname=app_dial\n[provides]\napplication=Gosub\n"
	"[module]\nname=app_system\n[uses]\nservice=timer\n"
	"[module]\nname=func_shell\n[provides]\nfunction=SHELL\n"
	"[module]\nname=cdr_custom\n"
	"[module]\nname=res_timing_timerfd\n[provides]\nservice=timer:200\n"
	"[module]\nname=res_timing_pthread\n[provides]\nservice=timer:100\n"
	"[module]\nname=res_config_sqlite3\n[provides]\nrealtime=sqlite3\n"
	"[module]\nname=res_config_odbc\nconfig=queues.conf\n[provides]\nrealtime=odbc\n";

struct mf_context *fuzz_context(void)
{
	struct mf_context *ctx;

	fake_journal_enable(false);
	if (fake_context_new(&ctx) < 0)
		abort();
	/* Forced unloads give up at once: no fuzzed user ever cancels. */
	mf_context_set_cancel_timeout(ctx, 0);
	mf_context_set_log_priority(ctx, MF_LOG_ERR);
	if (fake_add_all(ctx, catalog) < 0)
		abort();
	return ctx;
}

void fuzz_apply_and_boot(const struct mf_config *cfg, unsigned long fail_nth)
{
	struct mf_context *ctx = fuzz_context();

	fuzz_alloc_arm(fail_nth);
	if (mf_config_apply(ctx, cfg, NULL, NULL) == 0)
		mf_boot(ctx, cfg, NULL, NULL);
	fuzz_alloc_disarm();
	mf_stop_all(ctx, NULL, NULL);
	if (mf_context_unref(ctx))
		abort();
	fake_log_clear();
}

unsigned long fuzz_alloc_prefix(const unsigned char **data, size_t *size)
{
	unsigned long n = 0;
	size_t i = 1;

	if (*size < 3 || (*data)[0] != '!')
		return 0;
	while (i < *size && i < 8 && (*data)[i] >= '0' && (*data)[i] <= '9')
		n = n * 10 + (unsigned long)((*data)[i++] - '0');
	if (i == 1 || i >= *size || (*data)[i] != '\n')
		return 0;
	*data += i + 1;
	*size -= i + 1;
	return n;
}

void fuzz_alloc_arm(unsigned long n)
{
	mf_alloc_fail_nth(n);
}

void fuzz_alloc_disarm(void)
{
	mf_alloc_fail_nth(0);
}

void fuzz_config_input(fuzz_config_parse_fn parse, const char *path,
		       const unsigned char *data, size_t size)
{
	unsigned long fail_nth = fuzz_alloc_prefix(&data, &size);
	struct mf_config *cfg;
	char err[MF_ERR_MAX];

	if (mf_config_new(&cfg) < 0)
		abort();
	err[0] = '\0';
	if (parse(cfg, path, (const char *)data, size, err, sizeof(err)) < 0) {
		if (strncmp(err, path, strlen(path)) != 0)
			abort();
	} else {
		fuzz_apply_and_boot(cfg, fail_nth);
	}
	mf_config_free(cfg);
}
