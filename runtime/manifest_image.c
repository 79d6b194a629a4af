/* SPDX-License-Identifier: MIT */
/*
 * The image of a parsed manifest: its block (manifest_block.h) as bytes,
 * each pointer replaced by its offset from the block's start (0 for NULL:
 * nothing points at the manifest's own fields), without the path.  The
 * module cache keeps one beside each manifest's text, so that a boot of a
 * module directory whose files did not change copies and relocates a
 * manifest (a few hundred instructions) instead of parsing it (5,000,
 * docs/performance.md).
 *
 * An image is read only from a cache file trusted as a module file is
 * (modcache.c), and only after mf_manifest_image_check() held for it: a
 * damaged or foreign image is refused there, whatever its bytes, and never
 * reaches the catalog.  That check is about memory and ranges; that the
 * bytes are the parser's result is the cache's sum of them.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "manifest_block.h"
#include "manifest_image.h"

/*
 * Bump when what an image means changes with no change of the sizes below
 * (an enum renumbered, a field reused): caches of the old meaning are then
 * read from the manifests' texts once and written again.
 */
#define IMAGE_VERSION 1
#define LOAD_PRIORITY_MAX 255

uint64_t mf_manifest_image_layout(void)
{
	static const union {
		uint16_t u;
		unsigned char b[2];
	} order = { .u = 1 };
	/* Everything an image's bytes are laid out by. */
	const size_t facts[] = {
		IMAGE_VERSION, order.b[0], sizeof(void *), sizeof(size_t),
		sizeof(struct mf_manifest), offsetof(struct mf_manifest, name),
		offsetof(struct mf_manifest, checksum),
		offsetof(struct mf_manifest, description),
		offsetof(struct mf_manifest, support_level),
		offsetof(struct mf_manifest, load_priority),
		offsetof(struct mf_manifest, export_globals),
		offsetof(struct mf_manifest, configs),
		offsetof(struct mf_manifest, n_configs),
		offsetof(struct mf_manifest, uses),
		offsetof(struct mf_manifest, canuse),
		offsetof(struct mf_manifest, provides),
		offsetof(struct mf_manifest, requires),
		offsetof(struct mf_manifest, menu),
		offsetof(struct mf_manifest, parser_flags),
		sizeof(struct mf_ref), offsetof(struct mf_ref, type),
		offsetof(struct mf_ref, name), offsetof(struct mf_ref, priority),
		offsetof(struct mf_ref, line), offsetof(struct block, refs),
	};
	/* FNV-1a over them: a number that differs when any of them does. */
	uint64_t h = 0xcbf29ce484222325u;

	for (size_t i = 0; i < sizeof(facts) / sizeof(facts[0]); i++) {
		h ^= facts[i];
		h *= 0x100000001b3u;
	}
	return h;
}

/* The image's layout, from the counts in its manifest. */
struct shape {
	size_t n_refs, refs, configs, text, len;
};

static size_t n_refs_of(const struct mf_manifest *m)
{
	return m->uses.count + m->canuse.count + m->provides.count +
	       m->requires.count + m->menu.count;
}

/* An offset of the image, as the pointer field holding it. */
static void *offset_of(const struct block *b, const void *p)
{
	return p ? (void *)(uintptr_t)((const char *)p - (const char *)b) : NULL;
}

void *mf_manifest_image_new(const struct mf_manifest *m, size_t *len)
{
	const struct block *b = (const struct block *)m;
	size_t n_refs = n_refs_of(m), i;
	char *const *configs = (char *const *)(b->refs + n_refs);
	const char *text = (const char *)(configs + m->n_configs);
	size_t text_size, size;
	struct mf_manifest im;
	char *img;

	if (m->parser_flags != PARSED_BLOCK || m->path < text)
		return NULL;
	/* finish(): the path follows the text and its NUL. */
	text_size = (size_t)(m->path - text);
	size = (size_t)(text - (const char *)b) + text_size;
	img = mf_calloc(1, size);
	if (!img)
		return NULL;
	/* Field by field onto zeros: no padding byte of the heap's. */
	memset(&im, 0, sizeof(im));
	im.name = offset_of(b, m->name);
	im.checksum = offset_of(b, m->checksum);
	im.description = offset_of(b, m->description);
	im.support_level = m->support_level;
	im.load_priority = m->load_priority;
	im.export_globals = m->export_globals;
	im.configs = offset_of(b, m->configs);
	im.n_configs = m->n_configs;
	im.uses = (struct mf_ref_list){ offset_of(b, m->uses.items), m->uses.count };
	im.canuse = (struct mf_ref_list){ offset_of(b, m->canuse.items),
					  m->canuse.count };
	im.provides = (struct mf_ref_list){ offset_of(b, m->provides.items),
					    m->provides.count };
	im.requires = (struct mf_ref_list){ offset_of(b, m->requires.items),
					    m->requires.count };
	im.menu = (struct mf_ref_list){ offset_of(b, m->menu.items), m->menu.count };
	im.parser_flags = PARSED_BLOCK;
	memcpy(img, &im, sizeof(im));
	for (i = 0; i < n_refs; i++) {
		struct mf_ref r = {
			.type = offset_of(b, b->refs[i].type),
			.name = offset_of(b, b->refs[i].name),
			.priority = b->refs[i].priority,
			.line = b->refs[i].line,
		};

		memcpy(img + offsetof(struct block, refs) + i * sizeof(r), &r,
		       sizeof(r));
	}
	for (i = 0; i < m->n_configs; i++) {
		void *off = offset_of(b, configs[i]);

		memcpy(img + ((const char *)&configs[i] - (const char *)b), &off,
		       sizeof(off));
	}
	memcpy(img + (text - (const char *)b), text, text_size);
	*len = size;
	return img;
}

/*
 * A word at a time: each step is a bijection of the sum so far for a given
 * word, so a change to any one word always changes the result, and the
 * multiply-and-shift spreads it through all 64 bits.  Not a defence
 * against someone writing the cache: that file is trusted as a module file
 * is (modcache.c).
 */
uint64_t mf_manifest_image_sum(const void *img, size_t len)
{
	const unsigned char *p = img;
	uint64_t h = 0x9e3779b97f4a7c15u ^ len, w;

	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdu;
		h ^= h >> 32;
	}
	w = 0;
	memcpy(&w, p, len);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53u;
	return h ^ h >> 29;
}

/* ---- checking ----------------------------------------------------------- */

struct checker {
	const unsigned char *img;
	struct shape s;
	char *why;
	size_t whylen;
};

static int bad(struct checker *c, const char *what)
{
	snprintf(c->why, c->whylen, "a manifest image %s", what);
	return -EINVAL;
}

/* A string: an offset into the text, which ends with a NUL (checked). */
static bool string_ok(const struct checker *c, const void *p, bool may_be_null)
{
	uintptr_t off = (uintptr_t)p;

	if (!p)
		return may_be_null;
	return off >= c->s.text && off < c->s.len - 1;
}

/* A list: @count refs from ref @start, and no other list's. */
static bool list_ok(const struct checker *c, const struct mf_ref_list *l,
		    size_t *start)
{
	uintptr_t off = (uintptr_t)l->items;

	if (l->count == 0)
		return !l->items;
	if (off < c->s.refs || (off - c->s.refs) % sizeof(struct mf_ref))
		return false;
	*start = (off - c->s.refs) / sizeof(struct mf_ref);
	return *start <= c->s.n_refs && l->count <= c->s.n_refs - *start;
}

static bool overlap(size_t a, size_t na, size_t b, size_t nb)
{
	return na && nb && a < b + nb && b < a + na;
}

static int check_lists(struct checker *c, const struct mf_manifest *m)
{
	const struct mf_ref_list *lists[] = { &m->uses, &m->canuse, &m->provides,
					      &m->requires, &m->menu };
	size_t start[5] = { 0 };

	for (size_t i = 0; i < 5; i++)
		if (!list_ok(c, lists[i], &start[i]))
			return bad(c, "has a list outside its refs");
	for (size_t i = 0; i < 5; i++)
		for (size_t j = i + 1; j < 5; j++)
			if (overlap(start[i], lists[i]->count, start[j], lists[j]->count))
				return bad(c, "has two lists sharing refs");
	for (size_t i = 0; i < c->s.n_refs; i++) {
		struct mf_ref r;
		bool provided = m->provides.count && i >= start[2] &&
				i < start[2] + m->provides.count;

		memcpy(&r, c->img + c->s.refs + i * sizeof(r), sizeof(r));
		if (!string_ok(c, r.type, false) || !string_ok(c, r.name, false) ||
		    !c->img[(uintptr_t)r.type] || !c->img[(uintptr_t)r.name])
			return bad(c, "has a ref whose type or name is not in its text");
		if (r.priority > (provided ? MF_PRIORITY_MAX : 0))
			return bad(c, "has a ref with a priority out of range");
	}
	return 0;
}

static int check_configs(struct checker *c, const struct mf_manifest *m)
{
	if ((uintptr_t)m->configs != (m->n_configs ? c->s.configs : 0))
		return bad(c, "has its configs elsewhere");
	for (size_t i = 0; i < m->n_configs; i++) {
		void *p;

		memcpy(&p, c->img + c->s.configs + i * sizeof(p), sizeof(p));
		if (!string_ok(c, p, false))
			return bad(c, "has a config outside its text");
	}
	return 0;
}

int mf_manifest_image_check(const void *img, size_t len, char *why,
			    size_t whylen)
{
	struct checker c = { .img = img, .why = why, .whylen = whylen };
	const size_t refs = offsetof(struct block, refs);
	struct mf_manifest m;
	int err;

	if (len <= refs)
		return bad(&c, "is shorter than a manifest");
	/* A bool of another value is not one: look before copying it. */
	if (c.img[offsetof(struct mf_manifest, export_globals)] > 1)
		return bad(&c, "has a bad export_globals");
	memcpy(&m, img, sizeof(m));
	if (m.parser_flags != PARSED_BLOCK || m.path)
		return bad(&c, "is not a parsed manifest's");
	/* Each count below the bytes it needs: no sum below can overflow. */
	if (m.uses.count > len / sizeof(struct mf_ref) ||
	    m.canuse.count > len / sizeof(struct mf_ref) ||
	    m.provides.count > len / sizeof(struct mf_ref) ||
	    m.requires.count > len / sizeof(struct mf_ref) ||
	    m.menu.count > len / sizeof(struct mf_ref) ||
	    m.n_configs > len / sizeof(char *))
		return bad(&c, "counts more than it holds");
	c.s.n_refs = n_refs_of(&m);
	c.s.refs = refs;
	c.s.configs = refs + c.s.n_refs * sizeof(struct mf_ref);
	c.s.text = c.s.configs + m.n_configs * sizeof(char *);
	c.s.len = len;
	if (c.s.text >= len || c.img[len - 1] != '\0')
		return bad(&c, "has no text, or no NUL after it");
	if (!string_ok(&c, m.name, false) || !c.img[(uintptr_t)m.name] ||
	    !string_ok(&c, m.checksum, true) || !string_ok(&c, m.description, true))
		return bad(&c, "has a string outside its text");
	if ((unsigned)m.support_level > MF_SUPPORT_EXTERNAL ||
	    m.load_priority > LOAD_PRIORITY_MAX)
		return bad(&c, "has a support level or load priority out of range");
	err = check_configs(&c, &m);
	if (err == 0)
		err = check_lists(&c, &m);
	return err;
}

/* ---- loading ------------------------------------------------------------ */

/* The pointer an offset field of the block at @base stands for. */
static char *at(char *base, const void *off)
{
	return off ? base + (uintptr_t)off : NULL;
}

static void relocate_list(char *base, struct mf_ref_list *l)
{
	l->items = (struct mf_ref *)(void *)at(base, l->items);
}

int mf_manifest_from_image(struct mf_slab *slab, const char *path,
			   const void *img, size_t len, struct mf_manifest **out)
{
	size_t path_size = strlen(path) + 1, n_refs, i;
	struct block *b;
	char *base;

	*out = NULL;
	if (len > SIZE_MAX - path_size)
		return -ENOMEM;
	b = slab ? mf_slab_alloc(slab, len + path_size) : mf_malloc(len + path_size);
	if (!b)
		return -ENOMEM;
	base = (char *)b;
	memcpy(base, img, len);
	b->m.path = memcpy(base + len, path, path_size);
	b->m.name = at(base, b->m.name);
	b->m.checksum = at(base, b->m.checksum);
	b->m.description = at(base, b->m.description);
	b->m.configs = (char **)(void *)at(base, b->m.configs);
	for (i = 0; i < b->m.n_configs; i++)
		b->m.configs[i] = at(base, b->m.configs[i]);
	relocate_list(base, &b->m.uses);
	relocate_list(base, &b->m.canuse);
	relocate_list(base, &b->m.provides);
	relocate_list(base, &b->m.requires);
	relocate_list(base, &b->m.menu);
	n_refs = n_refs_of(&b->m);
	for (i = 0; i < n_refs; i++) {
		b->refs[i].type = at(base, b->refs[i].type);
		b->refs[i].name = at(base, b->refs[i].name);
	}
	*out = &b->m;
	return 0;
}
