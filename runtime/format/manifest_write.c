/* SPDX-License-Identifier: MIT */
/*
 * Canonical text form of a manifest: what `manifold-gen extract` emits and
 * what docs/manifest.md shows.  One spelling per manifest, so that generated
 * manifests diff cleanly and parse(write(m)) gives m back:
 *
 *   [module]            name, description, checksum, support_level,
 *                       load_priority (by name when it has one),
 *                       export_globals=yes only when set, config lines
 *   [uses] [canuse]     in stored order, omitted when empty
 *   [provides]          "type=name", or "type=name:N" when N != 0
 *   [requires] [menu]   in stored order, omitted when empty
 *
 * Sections are separated by one blank line; the file ends with '\n'.
 */
#include <errno.h>
#include <string.h>

#include <manifold/manifest.h>

/*
 * A string that would break the line structure (or a missing one) cannot be
 * written back; the parser never produces such a manifest, a hand-built one
 * might.
 */
static bool writable(const char *s)
{
	return s && *s && !strpbrk(s, "\r\n");
}

static bool refs_writable(const struct mf_ref_list *list)
{
	size_t i;

	for (i = 0; i < list->count; i++)
		if (!writable(list->items[i].type) ||
		    !writable(list->items[i].name) ||
		    list->items[i].priority > MF_PRIORITY_MAX)
			return false;
	return true;
}

static bool manifest_writable(const struct mf_manifest *m)
{
	size_t i;

	if (!writable(m->name) || !mf_support_level_name(m->support_level) ||
	    m->load_priority > 255)
		return false;
	if (m->description && !writable(m->description))
		return false;
	if (m->checksum && !writable(m->checksum))
		return false;
	for (i = 0; i < m->n_configs; i++)
		if (!writable(m->configs[i]))
			return false;
	return refs_writable(&m->uses) && refs_writable(&m->canuse) &&
	       refs_writable(&m->provides) && refs_writable(&m->requires) &&
	       refs_writable(&m->menu);
}

static void write_refs(FILE *fp, const char *section,
		       const struct mf_ref_list *list)
{
	size_t i;

	if (list->count == 0)
		return;
	fprintf(fp, "\n[%s]\n", section);
	for (i = 0; i < list->count; i++) {
		const struct mf_ref *r = &list->items[i];

		if (r->priority)
			fprintf(fp, "%s=%s:%u\n", r->type, r->name,
				r->priority);
		else
			fprintf(fp, "%s=%s\n", r->type, r->name);
	}
}

int mf_manifest_write(const struct mf_manifest *m, FILE *fp)
{
	const char *prio_name;
	size_t i;

	if (!manifest_writable(m))
		return -EINVAL;

	fprintf(fp, "[module]\nname=%s\n", m->name);
	if (m->description)
		fprintf(fp, "description=%s\n", m->description);
	if (m->checksum)
		fprintf(fp, "checksum=%s\n", m->checksum);
	fprintf(fp, "support_level=%s\n",
		mf_support_level_name(m->support_level));
	prio_name = mf_load_priority_name(m->load_priority);
	if (prio_name)
		fprintf(fp, "load_priority=%s\n", prio_name);
	else
		fprintf(fp, "load_priority=%u\n", m->load_priority);
	if (m->export_globals)
		fputs("export_globals=yes\n", fp);
	for (i = 0; i < m->n_configs; i++)
		fprintf(fp, "config=%s\n", m->configs[i]);

	write_refs(fp, "uses", &m->uses);
	write_refs(fp, "canuse", &m->canuse);
	write_refs(fp, "provides", &m->provides);
	write_refs(fp, "requires", &m->requires);
	write_refs(fp, "menu", &m->menu);

	/* Errors stick to the stream: one check after the last write. */
	if (fflush(fp) != 0 || ferror(fp))
		return -EIO;
	return 0;
}
