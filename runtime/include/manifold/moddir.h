/* SPDX-License-Identifier: MIT */
/*
 * The module directory: loadable modules (built as m) next to the image.
 *
 * Each module is two files, <name>.so and <name>.manifest.  The catalog is
 * filled from the manifests alone, so dependencies, providers and
 * descriptions are known before any code is mapped; a module file is mapped
 * only when its module first starts, after its checksum matched the
 * manifest's.  See docs/loadable.md.
 *
 * The directory is known through its index, DIR/modules.index, written by
 * `manifold-gen index DIR` and by the image itself.  mf_moddir_refresh(),
 * a boot and every mf_load() check it with one stat() of the directory and
 * one of the index: when the directory changed since the index was written
 * (a module installed or removed while the image runs), it is read again
 * and its index rewritten, so a new module can be loaded without a restart
 * and one whose manifest was removed cannot be started again once it
 * stopped.  Unchanged, nothing is read.
 *
 * An image built without CONFIG_MODULES has no loadable backend: every
 * function here then returns -EOPNOTSUPP and MF_MODDIR_UNSUPPORTED says why.
 */
#ifndef MANIFOLD_MODDIR_H
#define MANIFOLD_MODDIR_H

#include <manifold/manifold.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MF_MODDIR_UNSUPPORTED                                                  \
	"this image was built without CONFIG_MODULES: it cannot load module files"

enum mf_moddir_flags {
	/*
	 * Accept manifests, module files, an index and a directory that group
	 * or others may write or another user owns.  Without it they are refused: whoever can write
	 * such a file can make the image run their code.
	 */
	MF_MODDIR_NO_PERM_CHECK = 1 << 0,
	/*
	 * Map module files without computing their SHA-256: for boards whose module directory
	 * lies on a file system that is verified already (dm-verity, a
	 * signed read-only image), where hashing every module at boot buys
	 * nothing.  The other checks stay, and a file that changed after its
	 * code was mapped is still refused, known by its identity (device,
	 * inode, size, times) instead of its checksum.
	 */
	MF_MODDIR_NO_CHECKSUM = 1 << 1,
};

/*
 * Use @dir as the context's module directory.  Nothing is read yet (see
 * mf_moddir_refresh()).  0, -EBUSY (a directory is set already), -EINVAL
 * (empty path), -ENOMEM, -EOPNOTSUPP (image without CONFIG_MODULES).
 */
int mf_moddir_set(struct mf_context *ctx, const char *dir, unsigned flags);

/* The directory, or NULL when none is set. */
const char *mf_moddir_path(struct mf_context *ctx);

/*
 * What to tell whoever asked for a module the catalog does not have:
 * "no such module (neither in the image nor in DIR)", or in an image without
 * CONFIG_MODULES "no such module (" MF_MODDIR_UNSUPPORTED ")"; NULL when no
 * directory is set.  Valid as long as the context.
 */
const char *mf_moddir_no_such_module(struct mf_context *ctx);

/*
 * Bring the catalog up to date with the directory: nothing when the index
 * is current and read already; else the index is read, or (the directory
 * changed since it was written, or it is missing or refused) the directory
 * is read and the index written again.  New manifests enter the catalog, a
 * removed one makes its module impossible to start again, a changed checksum
 * is the one the next mapping is checked against.  Each change and each refused file is
 * reported once through @ev (MF_EVENT_NOTE for changes, MF_EVENT_FAIL for
 * refusals; @ev may be NULL: the context's log then gets them).  Returns the
 * number of catalog changes, or -ENOENT (no directory set), -EOPNOTSUPP,
 * or the negative errno of reading the directory.
 */
int mf_moddir_refresh(struct mf_context *ctx, mf_event_fn ev, void *data);

#ifdef __cplusplus
}
#endif
#endif
