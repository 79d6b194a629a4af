/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: the extconfig.conf parser (runtime/config.c).  What
 * parses is applied to a small fake catalog whose modules read the files
 * the seed names, so the drivers become [uses] lines and boot resolves
 * them; the whole context is torn down after each input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <manifold/config.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned long fail_nth = fuzz_alloc_prefix(&data, &size);
	struct mf_config *cfg;
	char err[MF_ERR_MAX];

	if (mf_config_new(&cfg) < 0)
		abort();
	err[0] = '\0';
	if (mf_config_parse_extconfig(cfg, "fuzz-extconfig.conf", (const char *)data,
				      size, err, sizeof(err)) < 0) {
		if (strncmp(err, "fuzz-extconfig.conf", 19) != 0)
			abort();
	} else {
		fuzz_apply_and_boot(cfg, fail_nth);
	}
	mf_config_free(cfg);
	return 0;
}
