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
 *
 * And the module cache's copy of a manifest (runtime/manifest_image.c): the
 * image of every manifest that parses passes its check and copies back
 * into the same manifest (the same canonical text, or none either way);
 * the input itself, taken as an image, is refused or copies into a
 * manifest that can be written and freed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <manifold/manifest.h>

#include "alloc.h"
#include "manifest_image.h"

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

/* The input as an image: refused, or a manifest that can be used. */
static void as_image(const uint8_t *data, size_t size)
{
	struct mf_manifest *m;
	char why[MF_ERR_MAX];
	size_t len;

	if (mf_manifest_image_check(data, size, why, sizeof(why)) < 0) {
		if (strncmp(why, "a manifest image ", 17) != 0)
			abort();
		return;
	}
	if (mf_manifest_from_image(NULL, "image", data, size, &m) < 0)
		abort();
	free(canonical(m, &len));
	mf_manifest_free(m);
}

/* @m's image copies back into @m, as far as its text tells. */
static void image_round_trip(const struct mf_manifest *m, const char *text, size_t len)
{
	struct mf_manifest *copy;
	char why[MF_ERR_MAX], *text2;
	size_t ilen, len2;
	void *img = mf_manifest_image_new(m, &ilen);

	if (!img || mf_manifest_image_check(img, ilen, why, sizeof(why)) < 0 ||
	    mf_manifest_from_image(NULL, "copy", img, ilen, &copy) < 0) {
		fprintf(stderr, "no image, or a refused one: %s\n", img ? why : "");
		abort();
	}
	text2 = canonical(copy, &len2);
	if (!text != !text2 || (text && (len2 != len || memcmp(text, text2, len) != 0))) {
		fprintf(stderr, "the image is another manifest:\n%.*s---\n%.*s",
			text ? (int)len : 0, text ? text : "", text2 ? (int)len2 : 0,
			text2 ? text2 : "");
		abort();
	}
	free(text2);
	mf_manifest_free(copy);
	mf_free(img);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mf_manifest *m = NULL, *again = NULL;
	char err[MF_ERR_MAX], *text, *text2;
	size_t len = 0, len2;

	as_image(data, size);
	err[0] = '\0';
	if (mf_manifest_parse("fuzz.manifest", (const char *)data, size, &m, err,
			      sizeof(err)) < 0) {
		/* Every refusal says where and why. */
		if (strncmp(err, "fuzz.manifest", 13) != 0)
			abort();
		return 0;
	}
	text = canonical(m, &len);
	image_round_trip(m, text, len);
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
