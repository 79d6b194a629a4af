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
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
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
unsigned gen_extract_source_line(const struct gen_moduleinfo *info,
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
		else if (plen == 10 && memcmp(p, "[requires]", 10) == 0)
			section = &m->requires;
		else if (plen == 6 && memcmp(p, "[menu]", 6) == 0)
			section = &m->menu;
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
		line = gen_extract_source_line(info, text, mline);
	return xdiag_fail(d, line ? line : info->lines.block, "%s", reason);
}

/* The canonical text of @m into *text (the generator's, mf_free() it). */
static int write_manifest(const struct mf_manifest *m, char **text, size_t *len)
{
	char *stream = NULL;
	FILE *fp = open_memstream(&stream, len);
	int r;

	*text = NULL;
	if (!fp)
		return -ENOMEM;
	r = mf_manifest_write(m, fp);
	/* glibc's fclose() reports a failed final realloc only by NULL. */
	if ((fclose(fp) != 0 || !stream) && r == 0)
		r = -ENOMEM;
	/* The stream's buffer is the C library's: one allocator for all. */
	if (r == 0) {
		*text = mf_malloc(*len + 1);
		if (*text)
			memcpy(*text, stream, *len + 1);
		else
			r = -ENOMEM;
	}
	free(stream);
	return r;
}

int gen_extract_manifest(const char *path, const char *src, size_t len,
			 const char *name, const char *const *tree_modules,
			 size_t n_tree, char **text, size_t *text_len,
			 char *err, size_t errlen)
{
	struct gen_extract_opts opts = {
		.modules = {tree_modules, n_tree, false},
		.dialect = GEN_DIALECT_SEED,
	};

	return gen_extract_manifest_opts(path, src, len, name, &opts, text,
					 text_len, err, errlen);
}

int gen_extract_manifest_opts(const char *path, const char *src, size_t len,
			      const char *name,
			      const struct gen_extract_opts *opts, char **text,
			      size_t *text_len, char *err, size_t errlen)
{
	struct xdiag d = {path, err, errlen};
	struct gen_moduleinfo *info;
	struct mf_manifest *back = NULL;
	char perr[MF_ERR_MAX];
	char *again = NULL;
	size_t again_len;
	int r;

	*text = NULL;
	info = mf_calloc(1, sizeof(*info));
	if (!info)
		return xdiag_nomem(&d, 1);
	r = gen_moduleinfo_parse_opts(path, src, len, opts, info);
	if (r < 0) {
		snprintf(err, errlen, "%s", info->err);
		goto out_info;
	}
	info->manifest.name = mf_strdup(name);
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
	mf_free(again);
	mf_manifest_free(back);
	gen_moduleinfo_free(info);
	mf_free(info);
	return 0;

out_again:
	mf_free(again);
out_back:
	mf_manifest_free(back);
out_text:
	mf_free(*text);
	*text = NULL;
out_parsed:
	gen_moduleinfo_free(info);
out_info:
	mf_free(info);
	return r;
}

/* ---- the subcommand ---------------------------------------------------- */

static void extract_usage(FILE *fp)
{
	fputs("usage: manifold-gen extract [--dialect=D] --name NAME "
	      "[--modules A,B,...] [-o OUT] SOURCE.c\n"
	      "       manifold-gen extract [--dialect=D] [--pattern GLOB]... "
	      "-o OUTDIR --tree DIR...\n"
	      "\n"
	      "Write module manifests from the MODULEINFO and DOCUMENTATION\n"
	      "blocks of module sources.\n"
	      "\n"
	      "One source:\n"
	      "  -n, --name NAME     the module's name\n"
	      "  -m, --modules LIST  every module name of the set, comma-separated:\n"
	      "                      a <depend> on one of them is a [uses] line,\n"
	      "                      any other a [requires] library= line\n"
	      "  -o, --output OUT    the manifest (default: stdout)\n"
	      "\n"
	      "Whole trees (docs/manifest.md, \"Importing a tree\"):\n"
	      "  -t, --tree          the arguments are directories, walked\n"
	      "                      recursively; the modules are the .c files\n"
	      "                      with a MODULEINFO block, named by their\n"
	      "                      file; every other .c file is listed as\n"
	      "                      skipped, with the reason\n"
	      "  -p, --pattern GLOB  only files whose name matches GLOB (e.g.\n"
	      "                      'app_*.c') are modules; repeatable\n"
	      "  -o, --output OUTDIR one OUTDIR/NAME.manifest per module, only\n"
	      "                      rewritten when its content changes\n"
	      "\n"
	      "  -d, --dialect D     seed (default): <use> is a hard use and\n"
	      "                      needs a type; asterisk: <use> is optional\n"
	      "                      ([canuse]), support levels in any case,\n"
	      "                      deprecated modules stay in by default, and\n"
	      "                      AST_MODULE_INFO supplies a missing\n"
	      "                      description, load priority, export-globals\n"
	      "  -h, --help          this text\n",
	      fp);
}

int gen_read_file(const char *path, char **buf, size_t *len)
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
		v = mf_realloc(*items, (*n + 1) * sizeof(*v));
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

static int parse_dialect(const char *word, int *out)
{
	if (strcmp(word, "seed") == 0)
		*out = GEN_DIALECT_SEED;
	else if (strcmp(word, "asterisk") == 0)
		*out = GEN_DIALECT_ASTERISK;
	else
		return -EINVAL;
	return 0;
}

int gen_extract_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"name", required_argument, NULL, 'n'},
		{"modules", required_argument, NULL, 'm'},
		{"output", required_argument, NULL, 'o'},
		{"tree", no_argument, NULL, 't'},
		{"pattern", required_argument, NULL, 'p'},
		{"dialect", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct gen_extract_opts xo = {.dialect = GEN_DIALECT_SEED};
	struct gen_tree_args ta = {0};
	const char *name = NULL, *output = NULL, *source;
	const char *modules = NULL;
	char *modules_copy = NULL, **tree = NULL, *src = NULL, *text = NULL;
	char err[MF_ERR_MAX];
	size_t n_tree = 0, len, text_len;
	struct text_out t;
	bool tree_mode = false;
	int c, r, status = 2, dialect = GEN_DIALECT_SEED;

	optind = 0; /* a fresh scan for every call (tests call us repeatedly) */
	while ((c = getopt_long(argc, argv, "n:m:o:tp:d:h", opts, NULL)) != -1) {
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
		case 't':
			tree_mode = true;
			break;
		case 'p': {
			char **v = mf_realloc(ta.patterns, (ta.n_patterns + 1) *
								   sizeof(*v));

			if (!v) {
				fprintf(stderr, "manifold-gen extract: out of "
						"memory\n");
				goto out;
			}
			ta.patterns = v;
			v[ta.n_patterns++] = optarg;
			break;
		}
		case 'd':
			if (parse_dialect(optarg, &dialect) < 0) {
				fprintf(stderr, "manifold-gen extract: unknown "
						"dialect '%s' (want seed or "
						"asterisk)\n",
					optarg);
				goto out;
			}
			break;
		case 'h':
			extract_usage(stdout);
			status = 0;
			goto out;
		default:
			extract_usage(stderr);
			goto out;
		}
	}
	if (tree_mode) {
		if (!output || optind >= argc || name || modules) {
			fprintf(stderr, "manifold-gen extract: --tree needs -o "
					"OUTDIR and at least one DIR, and takes "
					"no --name or --modules\n");
			extract_usage(stderr);
			goto out;
		}
		ta.dirs = argv + optind;
		ta.n_dirs = argc - optind;
		ta.out_dir = output;
		ta.dialect = dialect;
		status = gen_extract_tree(&ta);
		goto out;
	}
	if (ta.n_patterns) {
		fprintf(stderr, "manifold-gen extract: --pattern goes with "
				"--tree\n");
		extract_usage(stderr);
		goto out;
	}
	if (!name || optind != argc - 1) {
		fprintf(stderr, "manifold-gen extract: %s\n",
			!name ? "--name is required" :
				"exactly one SOURCE.c is required");
		extract_usage(stderr);
		goto out;
	}
	source = argv[optind];
	status = 1;
	if (modules) {
		modules_copy = mf_strdup(modules);
		if (!modules_copy ||
		    split_list(modules_copy, &tree, &n_tree) < 0) {
			fprintf(stderr, "manifold-gen extract: out of memory\n");
			goto out;
		}
	}
	r = gen_read_file(source, &src, &len);
	if (r < 0) {
		fprintf(stderr, "%s: %s\n", source, strerror(-r));
		goto out;
	}
	xo.modules = (struct gen_names){(const char *const *)tree, n_tree, false};
	xo.dialect = dialect;
	r = gen_extract_manifest_opts(source, src, len, name, &xo, &text,
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
	mf_free(ta.patterns);
	mf_free(text);
	mf_free(src);
	mf_free(tree);
	mf_free(modules_copy);
	return status;
}
