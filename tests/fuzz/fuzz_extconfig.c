/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: the extconfig.conf parser (runtime/config.c).  What
 * parses is applied to a small fake catalog whose modules read the files
 * the seed names, so the drivers become [uses] lines and boot resolves
 * them; the whole context is torn down after each input.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_config_input(mf_config_parse_extconfig, "fuzz-extconfig.conf", data, size);
	return 0;
}
