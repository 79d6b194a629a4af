/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: the modules.conf parser (runtime/config.c).  A file
 * that parses is applied to a small fake catalog and booted (neverload,
 * admin [uses], require/load/autoload), then everything is stopped and
 * released, so a configuration reaches every part of admin.c that reads it.
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
	if (mf_config_parse_modules(cfg, "fuzz-modules.conf", (const char *)data,
				    size, err, sizeof(err)) < 0) {
		if (strncmp(err, "fuzz-modules.conf", 17) != 0)
			abort();
	} else {
		fuzz_apply_and_boot(cfg, fail_nth);
	}
	mf_config_free(cfg);
	return 0;
}
