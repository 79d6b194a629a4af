/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: the MODULEINFO/DOCUMENTATION extractor of
 * `manifold-gen extract` (gen/extract.c), from C source to manifest text.
 * gen_extract_manifest() re-parses its own output with the manifest parser,
 * so a source it accepts must give a manifest the runtime accepts; the
 * harness checks that once more, independently.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <manifold/manifest.h>

#include "moduleinfo.h"

static const char *const tree[] = {
	"app_chanspy", "func_cut", "res_timing_pthread", "res_timing_timerfd",
	"fuzzmod", "chan_sip",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gen_moduleinfo info;
	struct mf_manifest *m;
	char err[MF_ERR_MAX], *text = NULL;
	size_t len = 0;

	memset(&info, 0, sizeof(info));
	if (gen_moduleinfo_parse("fuzz.c", (const char *)data, size, tree,
				 sizeof(tree) / sizeof(tree[0]), &info) == 0)
		gen_moduleinfo_free(&info);

	err[0] = '\0';
	if (gen_extract_manifest("fuzz.c", (const char *)data, size, "fuzzmod", tree,
				 sizeof(tree) / sizeof(tree[0]), &text, &len, err,
				 sizeof(err)) < 0) {
		if (strncmp(err, "fuzz.c", 6) != 0) {
			fprintf(stderr, "refusal without a location: %s\n", err);
			abort();
		}
		return 0;
	}
	if (mf_manifest_parse("extracted", text, len, &m, err, sizeof(err)) < 0) {
		fprintf(stderr, "extracted manifest does not parse: %s\n%.*s", err,
			(int)len, text);
		abort();
	}
	mf_manifest_free(m);
	free(text);
	return 0;
}
