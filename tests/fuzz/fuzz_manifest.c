/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: the manifest parser (runtime/manifest.c, the one parser
 * of the generator and the image).
 *
 * Besides "no crash, no leak, no undefined behaviour", it checks the
 * property the build relies on: a manifest that parses and has a canonical
 * text form writes a text that parses again and writes the same text, so
 * extract's output, the module directory's manifests and `manifold-gen
 * checksum` agree on what a manifest says.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <manifold/manifest.h>


/* The canonical text of @m, or NULL when it has none. */
static char *canonical(const struct mf_manifest *m, size_t *len)
{
	char *text = NULL;
	FILE *fp = open_memstream(&text, len);
	int err;

	if (!fp)
		abort();
	err = mf_manifest_write(m, fp);
	if (fclose(fp) != 0)
		abort();
	if (err < 0) {
		free(text);
		return NULL;
	}
	return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mf_manifest *m = NULL, *again = NULL;
	char err[MF_ERR_MAX], *text, *text2;
	size_t len = 0, len2;

	err[0] = '\0';
	if (mf_manifest_parse("fuzz.manifest", (const char *)data, size, &m, err,
			      sizeof(err)) < 0) {
		/* Every refusal says where and why. */
		if (strncmp(err, "fuzz.manifest", 13) != 0)
			abort();
		return 0;
	}
	text = canonical(m, &len);
	if (text) {
		if (mf_manifest_parse("canonical", text, len, &again, err,
				      sizeof(err)) < 0) {
			fprintf(stderr, "canonical text does not parse: %s\n%.*s", err,
				(int)len, text);
			abort();
		}
		text2 = canonical(again, &len2);
		if (!text2 || len2 != len || memcmp(text, text2, len) != 0) {
			fprintf(stderr, "canonical text is not stable:\n%.*s---\n%.*s",
				(int)len, text, text2 ? (int)len2 : 0, text2 ? text2 : "");
			abort();
		}
		free(text2);
		mf_manifest_free(again);
		free(text);
	}
	mf_manifest_free(m);
	return 0;
}
