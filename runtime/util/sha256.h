/* SPDX-License-Identifier: MIT */
/*
 * SHA-256 (FIPS 180-4), for the checksums of module files.  Private to the
 * runtime and to manifold-gen, which writes the checksums the runtime checks.
 */
#ifndef MANIFOLD_SHA256_H
#define MANIFOLD_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define MF_SHA256_SIZE 32
/* "sha256:" + 64 hex digits + NUL: the manifest's checksum= form */
#define MF_SHA256_TEXT_SIZE (7 + 2 * MF_SHA256_SIZE + 1)

struct mf_sha256 {
	uint32_t h[8];
	uint64_t bytes;	  /* message length so far */
	uint8_t block[64]; /* pending input, block_len bytes of it */
	size_t block_len;
};

void mf_sha256_init(struct mf_sha256 *s);
void mf_sha256_update(struct mf_sha256 *s, const void *data, size_t len);
/* Pads, writes the digest; @s must be initialised again before reuse. */
void mf_sha256_final(struct mf_sha256 *s, uint8_t digest[MF_SHA256_SIZE]);

/* "sha256:" followed by the digest in lower-case hex, NUL-terminated. */
void mf_sha256_text(const uint8_t digest[MF_SHA256_SIZE],
		    char text[MF_SHA256_TEXT_SIZE]);

/*
 * Digest of everything readable from @fd, from its current offset to end of
 * file, as text.  0 or the negative errno of the failed read.
 */
int mf_sha256_fd(int fd, char text[MF_SHA256_TEXT_SIZE]);

#endif
