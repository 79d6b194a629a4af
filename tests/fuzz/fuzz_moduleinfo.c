/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: the MODULEINFO/DOCUMENTATION extractor of
 * `manifold-gen extract` (gen/extract.c), from C source to manifest text.
 * gen_extract_manifest() re-parses its own output with the manifest parser,
 * so a source it accepts must give a manifest the runtime accepts; the
 * harness checks that once more, independently, in both dialects (the
 * asterisk one also reads the registration macro, gen/regmacro.c).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <manifold/manifest.h>

#include "util/alloc.h"
#include "moduleinfo.h"

static const char *const tree[] = {
	"app_chanspy", "func_cut", "res_timing_pthread", "res_timing_timerfd",
	"fuzzmod", "chan_sip",
};

static void extract_one(const uint8_t *data, size_t size,
			const struct gen_extract_opts *opts)
{
	struct mf_manifest *m;
	char err[MF_ERR_MAX], *text = NULL;
	size_t len = 0;

	err[0] = '\0';
	if (gen_extract_manifest_opts("fuzz.c", (const char *)data, size,
				      "fuzzmod", opts, &text, &len, err,
				      sizeof(err)) < 0) {
		if (strncmp(err, "fuzz.c", 6) != 0) {
			fprintf(stderr, "refusal without a location: %s\n", err);
			abort();
		}
		return;
	}
	if (mf_manifest_parse("extracted", text, len, &m, err, sizeof(err)) < 0) {
		fprintf(stderr, "extracted manifest does not parse: %s\n%.*s", err,
			(int)len, text);
		abort();
	}
	mf_manifest_free(m);
	mf_free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The same names, sorted, as extract --tree hands them over. */
	static const char *const sorted[] = {
		"app_chanspy", "chan_sip", "func_cut", "fuzzmod",
		"res_timing_pthread", "res_timing_timerfd",
	};
	const struct gen_extract_opts seed = {
		{tree, sizeof(tree) / sizeof(tree[0]), false}, GEN_DIALECT_SEED};
	const struct gen_extract_opts asterisk = {
		{sorted, sizeof(sorted) / sizeof(sorted[0]), true},
		GEN_DIALECT_ASTERISK};
	struct gen_moduleinfo info;

	memset(&info, 0, sizeof(info));
	if (gen_moduleinfo_parse("fuzz.c", (const char *)data, size, tree,
				 sizeof(tree) / sizeof(tree[0]), &info) == 0)
		gen_moduleinfo_free(&info);
	extract_one(data, size, &seed);
	extract_one(data, size, &asterisk);
	return 0;
}
