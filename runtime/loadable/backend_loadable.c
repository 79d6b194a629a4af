/* SPDX-License-Identifier: MIT */
/*
 * The loadable backend: a module's code is the file DIR/<name>.so, mapped
 * with dlopen() when the module first starts.
 *
 * Before mapping, the file passes the module directory's checks (modfile.c)
 * and its SHA-256 must equal the manifest's checksum: the catalog planned
 * this module from its manifest, and a file that does not belong to that
 * manifest must not run.  The descriptor, manifold_module_<name>, is then
 * looked up in the file; the lifecycle checks its ABI version, name and build
 * signature as it does for every backend.
 *
 * A mapped file stays mapped for the life of the process, and its handle is
 * kept: musl's dlclose() never unmaps anything, and glibc's would pull code
 * from under a thread the module left behind.  So unmap is nothing, an unload
 * is a stop exactly as for an embedded module, and starting the module again
 * reuses the code already mapped.  That code cannot be replaced: when the
 * file on disk changed after it was mapped, the start is refused with a
 * message saying so, instead of pretending to load the new file.
 *
 * export_globals=yes maps with RTLD_GLOBAL: the module's symbols then resolve
 * the undefined symbols of modules mapped after it.  Every other module is
 * RTLD_LOCAL, its symbols its own.  Undefined symbols are resolved at once
 * (RTLD_NOW), so a module missing one fails at its start, with the symbol
 * named, rather than crashing later.
 *
 * Between the checksum and dlopen() the path is opened twice; the module
 * directory's permission check is what keeps anyone but its owner out of
 * that window.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/internal.h"
#include "loadable/loadable.h"

/* What MF_MODDIR_NO_CHECKSUM knows a mapped file by: see same_file(). */
struct file_id {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtim, ctim;
};

/*
 * One block per module, its strings after it: a boot adds a thousand of
 * these, and three small blocks each were a tenth of what reading the
 * directory cost beside the parser.
 */
struct mf_loadable {
	const char *path;	/* DIR/<name>.so, in names[] */
	const char *symbol;	/* manifold_module_<name>, in names[] */
	/* What the file must hash to; NULL: the manifest has none.  The
	 * manifest's own text (the catalog entry keeps it as long as this),
	 * or own_checksum once a refreshed manifest changed it. */
	const char *checksum;
	char *own_checksum;
	unsigned flags;		/* MF_MODDIR_* */
	bool export_globals;
	void *handle;		/* kept for ever once mapped */
	const struct manifold_module *desc;
	/* The file mapped, as known by the mode it was mapped in. */
	union {
		char sum[MF_SHA256_TEXT_SIZE]; /* checksum of the bytes mapped */
		struct file_id id;	      /* MF_MODDIR_NO_CHECKSUM */
	} mapped;
	char names[];
};

static bool same_file(const struct stat *st, const struct file_id *id)
{
	return st->st_dev == id->dev && st->st_ino == id->ino &&
	       st->st_size == id->size &&
	       st->st_mtim.tv_sec == id->mtim.tv_sec &&
	       st->st_mtim.tv_nsec == id->mtim.tv_nsec &&
	       st->st_ctim.tv_sec == id->ctim.tv_sec &&
	       st->st_ctim.tv_nsec == id->ctim.tv_nsec;
}

static int refuse(struct mf_module *mod, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The reason becomes the module's last_error, which the start failure shows. */
static int refuse(struct mf_module *mod, int err, const char *fmt, ...)
{
	char buf[2 * MF_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	mf_set_str(&mod->last_error, mf_strdup(buf));
	MF_DBG(mod->ctx, "%s: %s", mod->name, buf);
	return err;
}

/*
 * MF_MODDIR_NO_CHECKSUM: the file's checks are made on what fstatat() says
 * (one system call, where opening and hashing it took five and a read of
 * the whole file), and the file is known by its identity.  dlopen() opens
 * the path again, as after a checksum: the directory's own check keeps
 * others out of that window.
 */
static int check_unsummed(struct mf_module *mod, struct mf_loadable *ld,
			  struct stat *st)
{
	char why[MF_ERR_MAX];
	int err = mf_modfile_statat(AT_FDCWD, ld->path, ld->path, ld->flags, st,
				    why, sizeof(why));

	if (err < 0)
		return refuse(mod, err, "%s", why);
	if (ld->handle && !same_file(st, &ld->mapped.id))
		return refuse(mod, -ETXTBSY,
			      "%s changed on disk after its code was mapped; musl "
			      "cannot replace code that is mapped, so the new file "
			      "is not used: restart the image to load it", ld->path);
	return 0;
}

static int map_file(struct mf_module *mod, struct mf_loadable *ld)
{
	const char *e;

	ld->handle = dlopen(ld->path, RTLD_NOW | (ld->export_globals ?
						RTLD_GLOBAL : RTLD_LOCAL));
	if (!ld->handle) {
		e = dlerror();
		return refuse(mod, -ENOEXEC, "cannot map %s: %s", ld->path,
			      e ? e : "dlopen failed");
	}
	ld->desc = dlsym(ld->handle, ld->symbol);
	return 0;
}

static int loadable_map(struct mf_context *ctx, struct mf_module *mod,
			void *data, const struct manifold_module **desc)
{
	struct mf_loadable *ld = data;
	char sum[MF_SHA256_TEXT_SIZE], why[MF_ERR_MAX];
	struct stat st;
	int err;

	(void)ctx;
	if (ld->flags & MF_MODDIR_NO_CHECKSUM) {
		err = check_unsummed(mod, ld, &st);
		if (err == 0 && !ld->handle) {
			err = map_file(mod, ld);
			if (err == 0)
				ld->mapped.id = (struct file_id){
					.dev = st.st_dev, .ino = st.st_ino,
					.size = st.st_size, .mtim = st.st_mtim,
					.ctim = st.st_ctim,
				};
		}
		if (err < 0)
			return err;
		goto found;
	}
	err = mf_modfile_checksum(ld->path, ld->flags, sum, why, sizeof(why));
	if (err < 0)
		return refuse(mod, err, "%s", why);
	if (ld->handle && strcmp(sum, ld->mapped.sum) != 0)
		return refuse(mod, -ETXTBSY,
			      "%s changed on disk after its code was mapped (%s, "
			      "now %s); musl cannot replace code that is mapped, "
			      "so the new file is not used: restart the image to "
			      "load it", ld->path, ld->mapped.sum, sum);
	if (!ld->checksum)
		return refuse(mod, -EBADMSG,
			      "its manifest has no checksum; a module file is "
			      "only mapped once it matched its manifest's");
	if (strncmp(ld->checksum, "sha256:", 7) != 0)
		return refuse(mod, -EBADMSG,
			      "its manifest's checksum %s is not sha256, the "
			      "only kind the loader verifies", ld->checksum);
	if (strcmp(sum, ld->checksum) != 0)
		return refuse(mod, -EBADMSG,
			      "checksum mismatch: its manifest says %s, %s has %s",
			      ld->checksum, ld->path, sum);
	if (!ld->handle) {
		err = map_file(mod, ld);
		if (err < 0)
			return err;
		memcpy(ld->mapped.sum, sum, sizeof(sum));
	}
found:
	if (!ld->desc)
		return refuse(mod, -ENOEXEC,
			      "%s has no symbol %s: not a manifold module, or "
			      "one built under another name", ld->path, ld->symbol);
	*desc = ld->desc;
	return 0;
}

static void loadable_release(void *data)
{
	struct mf_loadable *ld = data;

	if (!ld)
		return;
	/* No dlclose(): the code stays mapped for the life of the process
	 * (see the top of this file). */
	mf_free(ld->own_checksum);
	mf_free(ld);
}

const struct mf_backend_ops mf_loadable_backend = {
	.name = "loadable",
	.map = loadable_map,
	/* .unmap: nothing to do, the code stays mapped */
	.release = loadable_release,
};

int mf_loadable_new(struct mf_slab *slab, const char *dir,
		    const struct mf_manifest *m, unsigned flags,
		    struct mf_loadable **out)
{
	static const char prefix[] = MF_MODULE_SYMBOL_PREFIX;
	size_t dlen = strlen(dir), nlen = strlen(m->name);
	size_t plen = dlen + 1 + nlen + sizeof(".so"); /* with its NUL */
	struct mf_loadable *ld;
	char *w;

	ld = mf_slab_alloc(slab, sizeof(*ld) + plen + sizeof(prefix) + nlen);
	if (!ld)
		return -ENOMEM;
	*ld = (struct mf_loadable){
		.checksum = m->checksum,
		.flags = flags,
		.export_globals = m->export_globals,
	};
	w = ld->names;
	ld->path = w;
	memcpy(w, dir, dlen);
	w[dlen] = '/';
	memcpy(w + dlen + 1, m->name, nlen);
	memcpy(w + dlen + 1 + nlen, ".so", sizeof(".so"));
	w += plen;
	ld->symbol = w;
	memcpy(w, prefix, sizeof(prefix) - 1);
	memcpy(w + sizeof(prefix) - 1, m->name, nlen + 1);
	*out = ld;
	return 0;
}

int mf_loadable_set_checksum(struct mf_loadable *ld, const char *checksum)
{
	char *copy = NULL;

	/* The new manifest goes when its refresh ends: this one is a copy. */
	if (checksum && !(copy = mf_strdup(checksum)))
		return -ENOMEM;
	mf_free(ld->own_checksum);
	ld->own_checksum = copy;
	ld->checksum = copy;
	return 0;
}

const char *mf_loadable_checksum(const struct mf_loadable *ld)
{
	return ld->checksum;
}
