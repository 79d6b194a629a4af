/* SPDX-License-Identifier: MIT */
/*
 * manifold-gen extract --tree DIR...: every module of one or more source
 * trees in one process.
 *
 * 1. Walk the trees (sorted, so every run reads them in one order) and
 *    take each `.c` file as a candidate; every other file is counted.
 * 2. The naming rule: a candidate is a module when its file name matches
 *    a --pattern (none given: any) and it holds a MODULEINFO block.  Every
 *    candidate that is not is listed with the reason it was skipped.
 * 3. The module names of the set are the modules' file names: no list to
 *    keep by hand, so a <depend> on a module is never mistaken for a
 *    library (and a slip for one is an error, gen/names.c).
 * 4. One manifest per module into OUT/NAME.manifest, its first line a
 *    comment naming its source (check uses it to point at the source).
 *    A manifest whose bytes did not change is not rewritten, so make's
 *    timestamps still say which modules changed.
 *
 * Every error is printed and the run goes on, so one run reports them
 * all; a run with an error exits 1.
 */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/alloc.h"
#include "format/ini.h" /* mf_ini_name_is_module() */
#include "gen.h"
#include "moduleinfo.h"
#include "srcref.h"

struct source {
	char *path;
	char *name; /* the file name without ".c"; NULL: not a module */
	char *text;
	size_t len;
};

struct walk {
	struct source *v;
	size_t n, cap;
	size_t others; /* files that are not .c */
	int nomem;
};

static int walk_add(struct walk *w, char *path)
{
	if (w->n == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 256;
		struct source *v = mf_realloc(w->v, cap * sizeof(*v));

		if (!v) {
			mf_free(path);
			return -ENOMEM;
		}
		w->v = v;
		w->cap = cap;
	}
	w->v[w->n++] = (struct source){.path = path};
	return 0;
}

static int by_entry_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool ends_with_c(const char *name)
{
	size_t n = strlen(name);

	return n > 2 && strcmp(name + n - 2, ".c") == 0;
}

/* Depth first, entries sorted by name; hidden entries skipped. */
static int walk_dir(struct walk *w, const char *dir)
{
	char **names = NULL, **grown;
	size_t n = 0, cap = 0, i;
	struct dirent *de;
	DIR *d = opendir(dir);
	int r = 0;

	if (!d) {
		fprintf(stderr, "%s: %s\n", dir, strerror(errno));
		return -errno;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			grown = mf_realloc(names, cap * sizeof(*names));
			if (!grown) {
				r = -ENOMEM;
				goto out;
			}
			names = grown;
		}
		names[n] = mf_strdup_printf("%s/%s", dir, de->d_name);
		if (!names[n]) {
			r = -ENOMEM;
			goto out;
		}
		n++;
	}
	if (n)
		qsort(names, n, sizeof(*names), by_entry_name);
	for (i = 0; i < n && r != -ENOMEM; i++) {
		struct stat st;

		if (stat(names[i], &st) != 0) {
			fprintf(stderr, "%s: %s\n", names[i], strerror(errno));
			r = -errno;
		} else if (S_ISDIR(st.st_mode)) {
			int rr = walk_dir(w, names[i]);

			if (rr < 0)
				r = rr;
		} else if (S_ISREG(st.st_mode) && ends_with_c(names[i])) {
			if (walk_add(w, names[i]) < 0)
				r = -ENOMEM;
			names[i] = NULL; /* the walk's now */
		} else {
			w->others++;
		}
	}
out:
	for (i = 0; i < n; i++)
		mf_free(names[i]);
	mf_free(names);
	closedir(d);
	return r;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static bool matches_naming(const struct gen_tree_args *a, const char *file)
{
	size_t i;

	if (a->n_patterns == 0)
		return true;
	for (i = 0; i < a->n_patterns; i++)
		if (fnmatch(a->patterns[i], file, 0) == 0)
			return true;
	return false;
}

/*
 * Which candidates are modules: reads each, prints its skip reason or its
 * error.  Returns the number of errors, or -ENOMEM.
 */
static long classify(const struct gen_tree_args *a, struct walk *w,
		     size_t *skipped)
{
	char err[MF_ERR_MAX];
	long errors = 0;
	size_t i;
	int r;

	for (i = 0; i < w->n; i++) {
		struct source *s = &w->v[i];
		const char *file = base_name(s->path);

		if (!matches_naming(a, file)) {
			fprintf(stderr, "%s: skipped: name outside the module "
					"naming (--pattern)\n",
				s->path);
			(*skipped)++;
			continue;
		}
		r = gen_read_file(s->path, &s->text, &s->len);
		if (r == -ENOMEM)
			return r;
		if (r < 0) {
			fprintf(stderr, "%s: %s\n", s->path, strerror(-r));
			errors++;
			continue;
		}
		r = gen_moduleinfo_find(s->path, s->text, s->len, err,
					sizeof(err));
		if (r == 0) {
			fprintf(stderr, "%s: skipped: no MODULEINFO block "
					"(a helper, not a module)\n",
				s->path);
			(*skipped)++;
		} else if (r < 0) {
			fprintf(stderr, "%s\n", err);
			errors++;
		} else {
			s->name = mf_strndup(file, strlen(file) - 2);
			if (!s->name)
				return -ENOMEM;
			if (!mf_ini_name_is_module(s->name)) {
				fprintf(stderr,
					"%s: bad module name '%s' (want "
					"[a-z0-9_], starting with a letter or "
					"'_', at most 63 characters)\n",
					s->path, s->name);
				errors++;
				mf_free(s->name);
				s->name = NULL;
			}
		}
		if (!s->name) {
			mf_free(s->text);
			s->text = NULL;
		}
	}
	return errors;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

struct manifest_out {
	char *head; /* the comment lines (gen/srcref.h) */
	const char *text;
	size_t len;
};

static int write_manifest(FILE *fp, void *data)
{
	const struct manifest_out *o = data;

	fputs(o->head, fp);
	return fwrite(o->text, 1, o->len, fp) == o->len ? 0 : -EIO;
}

/* 1 when @path already holds exactly what write_manifest() would write. */
static int unchanged(const char *path, const struct manifest_out *o)
{
	size_t hl = strlen(o->head), len;
	char *old;
	int same;

	if (gen_read_file(path, &old, &len) < 0)
		return 0;
	same = len == hl + o->len && memcmp(old, o->head, hl) == 0 &&
	       memcmp(old + hl, o->text, o->len) == 0;
	mf_free(old);
	return same;
}

static void walk_free(struct walk *w)
{
	size_t i;

	for (i = 0; i < w->n; i++) {
		mf_free(w->v[i].path);
		mf_free(w->v[i].name);
		mf_free(w->v[i].text);
	}
	mf_free(w->v);
}

int gen_extract_tree(const struct gen_tree_args *a)
{
	struct gen_extract_opts opts = {.dialect = a->dialect};
	size_t skipped = 0, n_mod = 0, written = 0, i;
	struct walk w = {0};
	const char **names = NULL;
	char err[MF_ERR_MAX];
	long errors = 0, r;
	int k;

	for (k = 0; k < a->n_dirs; k++) {
		r = walk_dir(&w, a->dirs[k]);
		if (r == -ENOMEM)
			goto nomem;
		if (r < 0)
			errors++;
	}
	r = classify(a, &w, &skipped);
	if (r < 0)
		goto nomem;
	errors += r;

	names = mf_calloc(w.n ? w.n : 1, sizeof(*names));
	if (!names)
		goto nomem;
	for (i = 0; i < w.n; i++)
		if (w.v[i].name)
			names[n_mod++] = w.v[i].name;
	qsort(names, n_mod, sizeof(*names), by_name);
	for (i = 1; i < n_mod; i++)
		if (strcmp(names[i - 1], names[i]) == 0) {
			fprintf(stderr, "module %s: two sources in the trees "
					"(one module, one file)\n",
				names[i]);
			errors++;
		}
	opts.modules = (struct gen_names){names, n_mod, true};

	for (i = 0; i < w.n; i++) {
		const struct source *s = &w.v[i];
		struct manifest_out o = {0};
		char *text, *out;
		size_t len;

		if (!s->name)
			continue;
		r = gen_extract_manifest_opts(s->path, s->text, s->len, s->name,
					      &opts, &text, &len, err,
					      sizeof(err));
		if (r == -ENOMEM)
			goto nomem;
		if (r < 0) {
			fprintf(stderr, "%s\n", err);
			errors++;
			continue;
		}
		o.text = text;
		o.len = len;
		o.head = gen_srcref_head(s->path, a->dialect);
		out = mf_strdup_printf("%s/%s.manifest", a->out_dir, s->name);
		if (!out || !o.head) {
			mf_free(out);
			mf_free(o.head);
			mf_free(text);
			goto nomem;
		}
		if (!unchanged(out, &o)) {
			r = gen_write_file_nosync(out, write_manifest, &o);
			if (r < 0) {
				fprintf(stderr, "%s: %s\n", out, strerror((int)-r));
				errors++;
			} else {
				written++;
			}
		}
		mf_free(out);
		mf_free(o.head);
		mf_free(text);
	}
	fprintf(stderr,
		"extract: %zu module%s, %zu manifest%s rewritten; %zu .c "
		"file%s skipped; %zu other file%s; %ld error%s\n",
		n_mod, n_mod == 1 ? "" : "s", written, written == 1 ? "" : "s",
		skipped, skipped == 1 ? "" : "s", w.others,
		w.others == 1 ? "" : "s", errors, errors == 1 ? "" : "s");
	mf_free(names);
	walk_free(&w);
	return errors ? 1 : 0;

nomem:
	fprintf(stderr, "manifold-gen extract: out of memory\n");
	mf_free(names);
	walk_free(&w);
	return 1;
}
