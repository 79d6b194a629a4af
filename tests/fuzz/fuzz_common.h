/* SPDX-License-Identifier: MIT */
/*
 * What the harnesses that drive the runtime share: one small fake catalog
 * (tests/fake_backend.c) shaped like the seed's example, with providers,
 * optional uses and config= files, so parsed input has something to act on.
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <manifold/config.h>
#include <manifold/manifold.h>

/* A fresh context holding the fake catalog; aborts when it cannot be made. */
struct mf_context *fuzz_context(void);

/*
 * mf_config_apply() and mf_boot() on a fresh fake catalog (the @fail_nth-th
 * allocation failing, 0: none), then tear down.
 */
void fuzz_apply_and_boot(const struct mf_config *cfg, unsigned long fail_nth);

/*
 * One input of a configuration harness: parsed as the file @path by @parse
 * (mf_config_parse_modules or mf_config_parse_extconfig); a refusal must
 * name the file, what parses is applied and booted (fuzz_apply_and_boot()).
 * Aborts on anything else.
 */
typedef int (*fuzz_config_parse_fn)(struct mf_config *cfg, const char *path,
				    const char *buf, size_t len, char *err,
				    size_t errlen);
void fuzz_config_input(fuzz_config_parse_fn parse, const char *path,
		       const unsigned char *data, size_t size);

/*
 * An input may start with "!N\n": then the Nth allocation of the runtime
 * made while it is processed fails (runtime/alloc.h), so the fuzzer walks
 * failure paths the fault tests do not script.  Returns N (0: none) and
 * skips the prefix; fuzz_alloc_disarm() turns the hook off again.
 */
unsigned long fuzz_alloc_prefix(const unsigned char **data, size_t *size);
void fuzz_alloc_arm(unsigned long n);
void fuzz_alloc_disarm(void);

#endif
