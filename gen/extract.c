/* SPDX-License-Identifier: MIT */
/*
 * manifold-gen extract: a module source's MODULEINFO and DOCUMENTATION
 * comment blocks -> the module's manifest.
 *
 * Reading the blocks is gen/moduleinfo.c's job; this file writes the
 * manifest and makes sure it is right before anyone else reads it.  The
 * build trusts a manifest it did not check no further than the next
 * loader that rejects it, so extract re-parses its own output with the
 * runtime's parser, and the text must write back byte for byte.  A
 * complaint from that parser is about manifest line N, which the module's
 * author never sees: it is mapped back to the source line of the element
 * that produced line N, so every message is "SOURCE:LINE: reason" in the
 * .c file.
 *
 * Pieces, in file order: the round-trip self-check and error re-mapping
 * (gen_extract_manifest()); the subcommand (file I/O and options).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"
#include "moduleinfo.h"
#include "xmlish.h" /* growable strings and "PATH:LINE: reason" */

/* ---- self-check: the manifest must read back as written --------------- */

/* Name the manifest goes by while it is checked (never printed). */
#define CHECK_PATH "<manifest>"

/* The source line of the [uses]/[canuse]/[provides] entry "type=name[:N]". */
static unsigned ref_line(const struct mf_ref_list *l, const char *entry)
{
	size_t i;

	for (i = 0; i < l->count; i++) {
		const struct mf_ref *r = &l->items[i];
		size_t tl = strlen(r->type), nl = strlen(r->name);

		if (strncmp(entry, r->type, tl) == 0 && entry[tl] == '=' &&
		    strncmp(entry + tl + 1, r->name, nl) == 0 &&
		    (entry[tl + 1 + nl] == '\0' || entry[tl + 1 + nl] == ':'))
			return r->line;
	}
	return 0;
}

/* Line @n (1-based) of @text: its start and length, or NULL. */
static const char *nth_line(const char *text, unsigned n, size_t *len)
{
	const char *p = text, *nl;

	for (; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl)
			nl = p + strlen(p);
		if (--n == 0) {
			*len = (size_t)(nl - p);
			return p;
		}
		if (!*nl)
			break;
	}
	return NULL;
}

/*
 * Which source line produced line @mline of the manifest @text: found by
 * content, so it does not depend on the writer's order.  0 when unknown.
 */
static unsigned source_line(const struct gen_moduleinfo *info,
			    const char *text, unsigned mline)
{
	const struct mf_manifest *m = &info->manifest;
	const struct mf_ref_list *section = NULL; /* NULL: [module] */
	char entry[MF_MANIFEST_LINE_MAX + 1];
	unsigned same = 0; /* earlier lines equal to this one */
	const char *target, *p;
	size_t len, plen, i;
	unsigned n;

	target = nth_line(text, mline, &len);
	if (!target || len > MF_MANIFEST_LINE_MAX)
		return 0;
	memcpy(entry, target, len);
	entry[len] = '\0';
	for (n = 1; n < mline; n++) {
		p = nth_line(text, n, &plen);
		if (plen == len && memcmp(p, entry, len) == 0)
			same++;
		else if (plen == 6 && memcmp(p, "[uses]", 6) == 0)
			section = &m->uses;
		else if (plen == 8 && memcmp(p, "[canuse]", 8) == 0)
			section = &m->canuse;
		else if (plen == 10 && memcmp(p, "[provides]", 10) == 0)
			section = &m->provides;
	}
	if (section)
		return ref_line(section, entry);
	if (strncmp(entry, "support_level=", 14) == 0)
		return info->lines.support_level;
	if (strncmp(entry, "load_priority=", 14) == 0)
		return info->lines.load_priority;
	if (strncmp(entry, "export_globals=", 15) == 0)
		return info->lines.export_globals;
	if (strncmp(entry, "description=", 12) == 0)
		return info->lines.description;
	/* A repeated config line is the same-numbered <config>. */
	if (strncmp(entry, "config=", 7) == 0)
		for (i = 0; i < m->n_configs; i++)
			if (strcmp(entry + 7, m->configs[i]) == 0 && same-- == 0)
				return info->lines.configs[i];
	return 0;
}

/*
 * The manifest parser's "<manifest>:N: reason" as "SOURCE:LINE: reason",
 * LINE being the element that gave manifest line N (or the MODULEINFO line).
 */
static int remap_error(const struct xdiag *d, const struct gen_moduleinfo *info,
		       const char *text, const char *perr)
{
	size_t plen = strlen(CHECK_PATH);
	unsigned mline = 0, line = 0;
	const char *reason = perr;
	char *end;

	if (strncmp(perr, CHECK_PATH ":", plen + 1) == 0) {
		mline = (unsigned)strtoul(perr + plen + 1, &end, 10);
		if (strncmp(end, ": ", 2) == 0)
			reason = end + 2;
	}
	if (mline)
		line = source_line(info, text, mline);
	return xdiag_fail(d, line ? line : info->lines.block, "%s", reason);
}

static int write_manifest(const struct mf_manifest *m, char **text, size_t *len)
{
	FILE *fp = open_memstream(text, len);
	int r;

	if (!fp)
		return -ENOMEM;
	r = mf_manifest_write(m, fp);
	/* glibc's fclose() reports a failed final realloc only by NULL. */
	if ((fclose(fp) != 0 || !*text) && r == 0)
		r = -ENOMEM;
	if (r < 0) {
		free(*text);
		*text = NULL;
	}
	return r;
}

int gen_extract_manifest(const char *path, const char *src, size_t len,
			 const char *name, const char *const *tree_modules,
			 size_t n_tree, char **text, size_t *text_len,
			 char *err, size_t errlen)
{
	struct xdiag d = {path, err, errlen};
	struct gen_moduleinfo *info;
	struct mf_manifest *back = NULL;
	char perr[MF_ERR_MAX];
	char *again = NULL;
	size_t again_len;
	int r;

	*text = NULL;
	info = calloc(1, sizeof(*info));
	if (!info)
		return xdiag_nomem(&d, 1);
	r = gen_moduleinfo_parse(path, src, len, tree_modules, n_tree, info);
	if (r < 0) {
		snprintf(err, errlen, "%s", info->err);
		goto out_info;
	}
	info->manifest.name = strdup(name);
	if (!info->manifest.name) {
		r = xdiag_nomem(&d, info->lines.block);
		goto out_parsed;
	}

	r = write_manifest(&info->manifest, text, text_len);
	if (r == -EINVAL) {
		/* Only a value with a line break is unwritable: none gets here. */
		r = xdiag_fail(&d, info->lines.block,
			       "manifest cannot be written");
		goto out_parsed;
	}
	if (r < 0) {
		r = xdiag_nomem(&d, info->lines.block);
		goto out_parsed;
	}
	r = mf_manifest_parse(CHECK_PATH, *text, *text_len, &back, perr,
			      sizeof(perr));
	if (r == -EINVAL)
		r = remap_error(&d, info, *text, perr);
	else if (r < 0)
		r = xdiag_nomem(&d, info->lines.block);
	if (r < 0)
		goto out_text;
	/* What the parser understood must write back to the same bytes. */
	r = write_manifest(back, &again, &again_len);
	if (r < 0) {
		r = xdiag_nomem(&d, info->lines.block);
		goto out_back;
	}
	if (again_len != *text_len || memcmp(again, *text, again_len) != 0) {
		r = xdiag_fail(&d, info->lines.block,
			       "internal error: the manifest does not read back "
			       "as written");
		goto out_again;
	}
	free(again);
	mf_manifest_free(back);
	gen_moduleinfo_free(info);
	free(info);
	return 0;

out_again:
	free(again);
out_back:
	mf_manifest_free(back);
out_text:
	free(*text);
	*text = NULL;
out_parsed:
	gen_moduleinfo_free(info);
out_info:
	free(info);
	return r;
}

/* ---- the subcommand ---------------------------------------------------- */

static void extract_usage(FILE *fp)
{
	fputs("usage: manifold-gen extract --name NAME [--modules A,B,...] "
	      "[-o OUT] SOURCE.c\n"
	      "  Write the manifest of module NAME from the MODULEINFO and\n"
	      "  DOCUMENTATION blocks of SOURCE.c (to stdout without -o).\n"
	      "  --modules  every module name in the tree: a <depend> on one\n"
	      "             of them is a runtime dependency\n",
	      fp);
}

static int read_file(const char *path, char **buf, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	struct xbuf b = {0};
	char chunk[8192];
	size_t n;
	int r = 0;

	if (!fp)
		return -errno;
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		if (xbuf_add(&b, chunk, n) < 0) {
			r = -ENOMEM;
			break;
		}
	}
	if (r == 0 && ferror(fp))
		r = -EIO;
	fclose(fp);
	if (r == 0 && !b.s && xbuf_add(&b, "", 0) < 0)
		r = -ENOMEM;
	if (r < 0) {
		xbuf_free(&b);
		return r;
	}
	*len = b.len;
	*buf = xbuf_steal(&b);
	return 0;
}

/* Split "a,b,,c" into its non-empty items (pointing into @list). */
static int split_list(char *list, char ***items, size_t *n)
{
	char *save = NULL, *tok;
	char **v;

	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		v = realloc(*items, (*n + 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		*items = v;
		v[(*n)++] = tok;
	}
	return 0;
}

struct text_out {
	const char *text;
	size_t len;
};

static int write_text(FILE *fp, void *data)
{
	const struct text_out *t = data;

	return fwrite(t->text, 1, t->len, fp) == t->len ? 0 : -EIO;
}

int gen_extract_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"name", required_argument, NULL, 'n'},
		{"modules", required_argument, NULL, 'm'},
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *name = NULL, *output = NULL, *source;
	char *modules = NULL, **tree = NULL, *src = NULL, *text = NULL;
	char err[MF_ERR_MAX];
	size_t n_tree = 0, len, text_len;
	struct text_out t;
	int c, r, status = 2;

	optind = 0; /* a fresh scan for every call (tests call us repeatedly) */
	while ((c = getopt_long(argc, argv, "n:m:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			name = optarg;
			break;
		case 'm':
			modules = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 'h':
			extract_usage(stdout);
			return 0;
		default:
			extract_usage(stderr);
			return 2;
		}
	}
	if (!name || optind != argc - 1) {
		fprintf(stderr, "manifold-gen extract: %s\n",
			!name ? "--name is required" :
				"exactly one SOURCE.c is required");
		extract_usage(stderr);
		return 2;
	}
	source = argv[optind];
	status = 1;
	if (modules) {
		modules = strdup(modules);
		if (!modules || split_list(modules, &tree, &n_tree) < 0) {
			fprintf(stderr, "manifold-gen extract: out of memory\n");
			goto out;
		}
	}
	r = read_file(source, &src, &len);
	if (r < 0) {
		fprintf(stderr, "%s: %s\n", source, strerror(-r));
		goto out;
	}
	r = gen_extract_manifest(source, src, len, name,
				 (const char *const *)tree, n_tree, &text,
				 &text_len, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "%s\n", err);
		goto out;
	}
	t.text = text;
	t.len = text_len;
	if (output) {
		r = gen_write_file(output, write_text, &t);
		if (r < 0) {
			fprintf(stderr, "%s: %s\n", output, strerror(-r));
			goto out;
		}
	} else if (write_text(stdout, &t) < 0 || fflush(stdout) != 0) {
		fprintf(stderr, "manifold-gen extract: writing stdout: %s\n",
			strerror(errno));
		goto out;
	}
	status = 0;
out:
	free(text);
	free(src);
	free(tree);
	free(modules);
	return status;
}

