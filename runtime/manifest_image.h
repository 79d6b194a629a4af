/* SPDX-License-Identifier: MIT */
/*
 * A parsed manifest as the module cache keeps it (manifest_image.c), so
 * that a boot copies it instead of parsing its text again.  Linked into
 * every runtime, as the parser is; only the loadable side's cache uses it.
 */
#ifndef MANIFOLD_MANIFEST_IMAGE_H
#define MANIFOLD_MANIFEST_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include <manifold/manifest.h>

struct mf_slab;

/*
 * A number for how this build lays images out: the format's version, the
 * byte order, the sizes and offsets of the structures an image copies.
 * The cache says which layout its images have; another build's are not
 * read.
 */
uint64_t mf_manifest_image_layout(void);

/*
 * The image of @m, fresh from the parser (mf_manifest_parse()): a new
 * allocation of *@len bytes, or NULL: out of memory, or @m is not one
 * block (built by hand, or its checksum replaced since).
 */
void *mf_manifest_image_new(const struct mf_manifest *m, size_t *len);

/*
 * Whether @len bytes at @img (any alignment) are an image that
 * mf_manifest_from_image() may copy: every count, offset and string within
 * the image, the lists where the parser puts them, each value in its
 * range.  0, or -EINVAL and the first fault in @why.  Not checked: that
 * the strings would pass the parser (the cache's sum of the image says the
 * bytes are the ones the parser's result was copied into).
 */
int mf_manifest_image_check(const void *img, size_t len, char *why,
			    size_t whylen);

/*
 * The sum the module cache keeps of an image's bytes: it finds bytes
 * damaged on the disk, not a hand that wrote them.
 */
uint64_t mf_manifest_image_sum(const void *img, size_t len);

/*
 * A manifest from an image that passed mf_manifest_image_check(), in one
 * block from @slab (NULL: the heap) as mf_manifest_parse() makes it, named
 * @path in messages.  0, or -ENOMEM.
 */
int mf_manifest_from_image(struct mf_slab *slab, const char *path,
			   const void *img, size_t len, struct mf_manifest **out);

#endif
