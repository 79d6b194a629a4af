/* SPDX-License-Identifier: MIT */
/*** MODULEINFO
	<description>URIENCODE and URIDECODE: RFC 3986 percent-encoding</description>
	<support_level>core</support_level>
	<defaultenabled>yes</defaultenabled>
 ***/
/*** DOCUMENTATION
	<function name="URIENCODE" language="en_US">
		<synopsis>URIENCODE(string): percent-encode all but unreserved characters.</synopsis>
	</function>
	<function name="URIDECODE" language="en_US">
		<synopsis>URIDECODE(string): decode %XX escapes.</synopsis>
	</function>
 ***/
/*
 * The whole argument string is the one argument: commas and spaces are data.
 * Encoding keeps only RFC 3986 "unreserved" characters (ALPHA DIGIT - . _ ~)
 * and writes upper-case hex, the form the RFC recommends.  Decoding is the
 * exact inverse: '+' stays '+' (that rule belongs to HTML forms, not URIs),
 * and a '%' not followed by two hex digits is an error rather than being
 * passed through, so garbage never decodes to something plausible.  %00 is
 * refused too: the result is a C string and would be silently cut short.
 */
#include <errno.h>
#include <string.h>

#include <manifold/module.h>

static int uri_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	       c == '~';
}

/* Value of one hex digit, or -1. */
static int uri_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int uri_encode(struct mf_module *self, const char *args, char *out,
		      size_t outlen)
{
	static const char digits[] = "0123456789ABCDEF";
	size_t pos = 0;

	(void)self;
	for (const unsigned char *p = (const unsigned char *)args; *p; p++) {
		size_t need = uri_unreserved(*p) ? 1 : 3;

		if (pos + need + 1 > outlen)
			return mf_call_result(out, outlen, -ENOSPC,
					      "URIENCODE: result does not fit in %zu bytes",
					      outlen);
		if (need == 1) {
			out[pos++] = (char)*p;
		} else {
			out[pos++] = '%';
			out[pos++] = digits[*p >> 4];
			out[pos++] = digits[*p & 0xf];
		}
	}
	if (outlen == 0)
		return -ENOSPC;
	out[pos] = '\0';
	return 0;
}

static int uri_decode(struct mf_module *self, const char *args, char *out,
		      size_t outlen)
{
	size_t pos = 0;

	(void)self;
	for (const char *p = args; *p; p++) {
		char c = *p;

		if (c == '%') {
			int hi = uri_hex(p[1]);
			int lo = hi < 0 ? -1 : uri_hex(p[2]);

			if (lo < 0)
				return mf_call_result(out, outlen, -EINVAL,
						      "URIDECODE: malformed escape at offset %zu",
						      (size_t)(p - args));
			if (hi == 0 && lo == 0)
				return mf_call_result(out, outlen, -EINVAL,
						      "URIDECODE: %%00 at offset %zu cannot be decoded",
						      (size_t)(p - args));
			c = (char)(hi << 4 | lo);
			p += 2;
		}
		if (pos + 2 > outlen)
			return mf_call_result(out, outlen, -ENOSPC,
					      "URIDECODE: result does not fit in %zu bytes",
					      outlen);
		out[pos++] = c;
	}
	if (outlen == 0)
		return -ENOSPC;
	out[pos] = '\0';
	return 0;
}

static const struct mf_callable uri_encode_function = {
	.call = uri_encode,
	.synopsis = "URIENCODE(string): percent-encode all but unreserved characters",
};

static const struct mf_callable uri_decode_function = {
	.call = uri_decode,
	.synopsis = "URIDECODE(string): decode %XX escapes",
};

static int uri_load(struct mf_module *self)
{
	int rc = mf_api_register(self, "function", "URIENCODE",
				 &uri_encode_function);

	/* A failed load is rolled back whole, URIENCODE included. */
	if (rc == 0)
		rc = mf_api_register(self, "function", "URIDECODE",
				     &uri_decode_function);
	return rc;
}

MANIFOLD_MODULE(.load = uri_load);
