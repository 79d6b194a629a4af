/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: the modules.conf parser (runtime/config.c).  A file
 * that parses is applied to a small fake catalog and booted (neverload,
 * admin [uses], require/load/autoload), then everything is stopped and
 * released, so a configuration reaches every part of admin.c that reads it.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_config_input(mf_config_parse_modules, "fuzz-modules.conf", data, size);
	return 0;
}
