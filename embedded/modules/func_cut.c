/* SPDX-License-Identifier: MIT */
/*** MODULEINFO
	<description>CUT: pick fields out of a delimited string</description>
	<support_level>core</support_level>
	<defaultenabled>yes</defaultenabled>
 ***/
/*** DOCUMENTATION
	<function name="CUT" language="en_US">
		<synopsis>CUT(string,delimiter,fieldspec): fields of string, 1-based.</synopsis>
	</function>
 ***/
/*
 * CUT(string,delimiter,fieldspec), after Asterisk's CUT.
 *
 * The arguments are split at the last two commas, so the string itself may
 * hold commas (a comma cannot be the delimiter).  The delimiter is one
 * character; empty means '-', as in Asterisk.  The field spec is a list of
 * items joined by '&', each "N", "N-M", "N-" or "-M" (fields count from 1);
 * the selected fields are printed in spec order, joined by the delimiter.
 * Fields past the end of the string are skipped, not an error.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include <manifold/module.h>

/* One spec item as an inclusive range; to == ULONG_MAX means "to the end". */
struct cut_range {
	unsigned long from, to;
};

/* Digits at *p into *n; -EINVAL when there are none, -ERANGE on overflow. */
static int cut_number(const char **p, const char *end, unsigned long *n)
{
	const char *s = *p;

	*n = 0;
	if (s == end || *s < '0' || *s > '9')
		return -EINVAL;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		if (*n > (INT_MAX - 9) / 10)
			return -ERANGE;
		*n = *n * 10 + (unsigned long)(*s - '0');
	}
	*p = s;
	return 0;
}

/* Parse one item [s, end) of the field spec. */
static int cut_parse_item(const char *s, const char *end, struct cut_range *r,
			  char *out, size_t outlen)
{
	const char *p = s;
	int len = (int)(end - s);
	int rc = 0;

	r->from = 1;
	r->to = ULONG_MAX;
	if (p == end)
		rc = -EINVAL;
	else if (*p != '-')
		rc = cut_number(&p, end, &r->from);
	if (rc == 0 && p < end && *p == '-') {
		p++;
		if (p < end)
			rc = cut_number(&p, end, &r->to);
		else if (p - 1 == s) /* a lone "-" names nothing */
			rc = -EINVAL;
	} else if (rc == 0) {
		r->to = r->from;
	}
	if (rc == 0 && p != end)
		rc = -EINVAL;
	if (rc == -ERANGE)
		return mf_call_result(out, outlen, -ERANGE,
				      "CUT: field number in '%.*s' is too large",
				      len, s);
	if (rc < 0)
		return mf_call_result(out, outlen, -EINVAL,
				      "CUT: field spec '%.*s' is not a number", len, s);
	if (r->from == 0 || r->to == 0)
		return mf_call_result(out, outlen, -EINVAL,
				      "CUT: field spec '%.*s' names field 0 (fields count from 1)",
				      len, s);
	if (r->to < r->from)
		return mf_call_result(out, outlen, -EINVAL,
				      "CUT: field range '%.*s' is backwards", len, s);
	return 0;
}

/* Append fields r->from..r->to of [str, str_end) to out at *pos. */
static int cut_emit(const char *str, const char *str_end, char delim,
		    const struct cut_range *r, char *out, size_t outlen,
		    size_t *pos, int *emitted)
{
	unsigned long field = 1;
	const char *start = str;

	for (const char *p = str;; p++) {
		if (p < str_end && *p != delim)
			continue;
		if (field >= r->from && field <= r->to) {
			size_t n = (size_t)(p - start) + (*emitted ? 1 : 0);

			if (*pos + n + 1 > outlen)
				return -ENOSPC;
			if (*emitted)
				out[(*pos)++] = delim;
			memcpy(out + *pos, start, (size_t)(p - start));
			*pos += (size_t)(p - start);
			out[*pos] = '\0';
			*emitted = 1;
		}
		if (p == str_end || field >= r->to)
			return 0;
		field++;
		start = p + 1;
	}
}

static int cut_call(struct mf_module *self, const char *args, char *out,
		    size_t outlen)
{
	const char *spec_comma, *delim_comma, *spec, *spec_end, *item;
	size_t pos = 0;
	int emitted = 0;
	char delim;

	(void)self;
	spec_comma = strrchr(args, ',');
	for (delim_comma = spec_comma; delim_comma && delim_comma > args;)
		if (*--delim_comma == ',')
			break;
	if (!spec_comma || delim_comma == spec_comma || *delim_comma != ',')
		return mf_call_result(out, outlen, -EINVAL,
				      "CUT: expected string,delimiter,fieldspec");
	if (spec_comma - delim_comma > 2)
		return mf_call_result(out, outlen, -EINVAL,
				      "CUT: delimiter '%.*s' is not one character",
				      (int)(spec_comma - delim_comma - 1),
				      delim_comma + 1);
	delim = spec_comma - delim_comma == 2 ? delim_comma[1] : '-';

	spec = spec_comma + 1;
	spec_end = spec + strlen(spec);
	while (spec < spec_end && (*spec == ' ' || *spec == '\t'))
		spec++;
	while (spec_end > spec && (spec_end[-1] == ' ' || spec_end[-1] == '\t'))
		spec_end--;

	if (outlen == 0)
		return -ENOSPC;
	out[0] = '\0';
	/* Parse every item before printing, so a bad spec prints no fields. */
	for (int pass = 0; pass < 2; pass++) {
		for (item = spec; item <= spec_end;) {
			const char *amp = memchr(item, '&', (size_t)(spec_end - item));
			const char *item_end = amp ? amp : spec_end;
			struct cut_range r;
			int rc = cut_parse_item(item, item_end, &r, out, outlen);

			if (rc < 0)
				return rc;
			if (pass == 1 && cut_emit(args, delim_comma, delim, &r,
						  out, outlen, &pos, &emitted) < 0)
				return mf_call_result(out, outlen, -ENOSPC,
						      "CUT: result does not fit in %zu bytes",
						      outlen);
			item = item_end + 1;
		}
	}
	return 0;
}

static const struct mf_callable cut_function = {
	.call = cut_call,
	.synopsis = "CUT(string,delimiter,fieldspec): fields of string, 1-based",
};

static int cut_load(struct mf_module *self)
{
	return mf_api_register(self, "function", "CUT", &cut_function);
}

MANIFOLD_MODULE(.load = cut_load);
