/* SPDX-License-Identifier: MIT */
/*
 * SHA-256 against the published examples: the FIPS 180-2 appendix B / NIST
 * CSRC example messages ("abc", the 448-bit two-block message, one million
 * 'a') and the empty message, whose digest is the one every implementation
 * agrees on.  Then the same digests fed in pieces of every size, across the
 * 55/56/64-byte padding edges, and through a file descriptor.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/sha256.h"

static void digest_text(const void *data, size_t len, char text[MF_SHA256_TEXT_SIZE])
{
	uint8_t d[MF_SHA256_SIZE];
	struct mf_sha256 s;

	mf_sha256_init(&s);
	mf_sha256_update(&s, data, len);
	mf_sha256_final(&s, d);
	mf_sha256_text(d, text);
}

/* The same message in pieces of @step bytes. */
static void digest_steps(const void *data, size_t len, size_t step,
			 char text[MF_SHA256_TEXT_SIZE])
{
	const uint8_t *p = data;
	uint8_t d[MF_SHA256_SIZE];
	struct mf_sha256 s;

	mf_sha256_init(&s);
	for (size_t off = 0; off < len; off += step)
		mf_sha256_update(&s, p + off, len - off < step ? len - off : step);
	mf_sha256_final(&s, d);
	mf_sha256_text(d, text);
}

static char *million_buf;

static const char *million_a(void)
{
	char *buf = million_buf;

	if (!buf) {
		buf = malloc(1000000);
		ck_assert(buf != NULL);
		memset(buf, 'a', 1000000);
		million_buf = buf;
	}
	return buf;
}

static const struct {
	const char *what;
	const char *msg; /* NULL: one million 'a' */
	const char *digest;
} vectors[] = {
	{ "FIPS 180-2 B.1: abc", "abc",
	  "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
	{ "FIPS 180-2 B.2: 448-bit message",
	  "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	  "sha256:248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
	{ "FIPS 180-2 B.3: one million 'a'", NULL,
	  "sha256:cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0" },
	{ "empty message", "",
	  "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
};

#define N_VECTORS (sizeof(vectors) / sizeof(vectors[0]))

START_TEST(published_vectors)
{
	const char *msg = vectors[_i].msg ? vectors[_i].msg : million_a();
	size_t len = vectors[_i].msg ? strlen(msg) : 1000000;
	char text[MF_SHA256_TEXT_SIZE];

	digest_text(msg, len, text);
	ck_assert_msg(strcmp(text, vectors[_i].digest) == 0, "%s: got %s",
		      vectors[_i].what, text);
}
END_TEST

START_TEST(pieces_of_every_size)
{
	const char *msg = vectors[_i].msg ? vectors[_i].msg : million_a();
	size_t len = vectors[_i].msg ? strlen(msg) : 1000000;
	static const size_t steps[] = { 1, 3, 55, 56, 63, 64, 65, 127, 4096, 999999 };

	for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
		char text[MF_SHA256_TEXT_SIZE];

		/* One-byte steps over a million bytes is slow under valgrind
		 * and proves nothing the 3-byte steps do not. */
		if (len > 100000 && steps[k] < 55)
			continue;
		digest_steps(msg, len, steps[k], text);
		ck_assert_msg(strcmp(text, vectors[_i].digest) == 0,
			      "%s in steps of %zu: got %s", vectors[_i].what,
			      steps[k], text);
	}
}
END_TEST

/*
 * Messages of 0..200 bytes cross every padding case (the length fits in the
 * last block or needs one more); whole and byte by byte must agree.
 */
START_TEST(padding_edges_agree)
{
	char msg[201];

	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (char)('A' + i % 26);
	for (size_t len = 0; len <= 200; len++) {
		char whole[MF_SHA256_TEXT_SIZE], bytes[MF_SHA256_TEXT_SIZE];

		digest_text(msg, len, whole);
		digest_steps(msg, len, 1, bytes);
		ck_assert_msg(strcmp(whole, bytes) == 0, "length %zu", len);
	}
}
END_TEST

/* A different message gives a different digest (the quick brown fox). */
START_TEST(another_known_message)
{
	char text[MF_SHA256_TEXT_SIZE];
	const char *fox = "The quick brown fox jumps over the lazy dog";

	digest_text(fox, strlen(fox), text);
	ck_assert_str_eq(text, "sha256:d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592");
}
END_TEST

START_TEST(file_descriptor)
{
	char path[] = "/tmp/mf-sha256-XXXXXX", text[MF_SHA256_TEXT_SIZE];
	int fd = mkstemp(path);

	ck_assert(fd >= 0);
	unlink(path);
	ck_assert_int_eq(write(fd, million_a(), 1000000), 1000000);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	ck_assert_int_eq(mf_sha256_fd(fd, text), 0);
	ck_assert_str_eq(text, vectors[2].digest);
	close(fd);
	/* A closed descriptor is an error, not a digest. */
	ck_assert_int_eq(mf_sha256_fd(fd, text), -EBADF);
}
END_TEST

Suite *make_sha256_suite(void)
{
	Suite *s = suite_create("sha256");
	TCase *tc = tcase_create("fips180");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, published_vectors, 0, N_VECTORS);
	tcase_add_loop_test(tc, pieces_of_every_size, 0, N_VECTORS);
	tcase_add_test(tc, padding_edges_agree);
	tcase_add_test(tc, another_known_message);
	tcase_add_test(tc, file_descriptor);
	suite_add_tcase(s, tc);
	return s;
}

#ifndef MF_CHECK_NO_MAIN
int main(void)
{
	SRunner *sr = srunner_create(make_sha256_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	free(million_buf);
	return failed == 0 ? 0 : 1;
}
#endif
