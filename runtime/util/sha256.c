/* SPDX-License-Identifier: MIT */
/*
 * SHA-256 as FIPS 180-4 specifies it (sections 4.1.2, 4.2.2, 5.1.1, 5.3.3,
 * 6.2), written here rather than taken from a crypto library: the image is
 * one static musl binary for small devices, and a dependency on libcrypto
 * for a single hash would bring in more code than the whole loader, plus a
 * second library to build for every board.  manifold-gen links this same
 * file, so the checksum the build writes and the one the image computes
 * cannot disagree.
 *
 * What the checksum is for: a manifest and its module file must belong to
 * each other (the loader plans from the manifest before it maps any code),
 * and a file damaged or swapped after the build must not be mapped.  It is
 * an integrity check, not a signature: whoever can write the module
 * directory can write both files, which is why the loader also refuses
 * files that group or others may write.
 *
 * Tested against the FIPS 180-2 / NIST example vectors in
 * tests/check_sha256.c.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "util/sha256.h"

static const uint32_t k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t ror(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32 - n));
}

/* One 64-byte block into the state (FIPS 180-4, 6.2.2). */
static void compress(uint32_t h[8], const uint8_t *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, hh;

	/* The message is big-endian whatever the host's byte order. */
	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);

		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = h[0], b = h[1], c = h[2], d = h[3];
	e = h[4], f = h[5], g = h[6], hh = h[7];
	for (int i = 0; i < 64; i++) {
		uint32_t t1 = hh + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) +
			      ((e & f) ^ (~e & g)) + k[i] + w[i];
		uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) +
			      ((a & b) ^ (a & c) ^ (b & c));

		hh = g, g = f, f = e, e = d + t1;
		d = c, c = b, b = a, a = t1 + t2;
	}
	h[0] += a, h[1] += b, h[2] += c, h[3] += d;
	h[4] += e, h[5] += f, h[6] += g, h[7] += hh;
}

void mf_sha256_init(struct mf_sha256 *s)
{
	/* FIPS 180-4, 5.3.3 */
	static const uint32_t h0[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};

	memcpy(s->h, h0, sizeof(h0));
	s->bytes = 0;
	s->block_len = 0;
}

void mf_sha256_update(struct mf_sha256 *s, const void *data, size_t len)
{
	const uint8_t *p = data;

	s->bytes += len;
	if (s->block_len) {
		size_t n = 64 - s->block_len < len ? 64 - s->block_len : len;

		memcpy(s->block + s->block_len, p, n);
		s->block_len += n;
		p += n;
		len -= n;
		if (s->block_len < 64)
			return;
		compress(s->h, s->block);
		s->block_len = 0;
	}
	for (; len >= 64; p += 64, len -= 64)
		compress(s->h, p);
	memcpy(s->block, p, len);
	s->block_len = len;
}

void mf_sha256_final(struct mf_sha256 *s, uint8_t digest[MF_SHA256_SIZE])
{
	uint64_t bits = s->bytes * 8;

	/* 5.1.1: a 1 bit, zeros up to 56 mod 64 bytes, the length in bits. */
	s->block[s->block_len++] = 0x80;
	if (s->block_len > 56) {
		memset(s->block + s->block_len, 0, 64 - s->block_len);
		compress(s->h, s->block);
		s->block_len = 0;
	}
	memset(s->block + s->block_len, 0, 56 - s->block_len);
	for (int i = 0; i < 8; i++)
		s->block[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
	compress(s->h, s->block);
	for (int i = 0; i < 8; i++) {
		digest[4 * i] = (uint8_t)(s->h[i] >> 24);
		digest[4 * i + 1] = (uint8_t)(s->h[i] >> 16);
		digest[4 * i + 2] = (uint8_t)(s->h[i] >> 8);
		digest[4 * i + 3] = (uint8_t)s->h[i];
	}
}

void mf_sha256_text(const uint8_t digest[MF_SHA256_SIZE],
		    char text[MF_SHA256_TEXT_SIZE])
{
	static const char hex[] = "0123456789abcdef";

	memcpy(text, "sha256:", 7);
	for (int i = 0; i < MF_SHA256_SIZE; i++) {
		text[7 + 2 * i] = hex[digest[i] >> 4];
		text[7 + 2 * i + 1] = hex[digest[i] & 15];
	}
	text[MF_SHA256_TEXT_SIZE - 1] = '\0';
}

int mf_sha256_fd(int fd, char text[MF_SHA256_TEXT_SIZE])
{
	uint8_t buf[16384], digest[MF_SHA256_SIZE];
	struct mf_sha256 s;
	ssize_t n;

	mf_sha256_init(&s);
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		mf_sha256_update(&s, buf, (size_t)n);
	}
	mf_sha256_final(&s, digest);
	mf_sha256_text(digest, text);
	return 0;
}
