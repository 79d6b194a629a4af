/* SPDX-License-Identifier: MIT */
/*
 * What the module directory (moddir.c) and the catalog's side of it
 * (modentry.c) share: the directory's state, one entry per manifest file,
 * and how a pass reports.  Private to those two files.
 */
#ifndef MANIFOLD_MODENTRY_H
#define MANIFOLD_MODENTRY_H

#include <stdbool.h>
#include <sys/stat.h>

#include "core/internal.h"
#include "loadable/loadable.h"

struct entry {
	struct mf_module *mod;	/* its catalog entry, once added */
	struct mf_loadable *ld; /* mod's backend data */
	char *said;		/* the last refusal reported for this file */
	char *unavailable;	/* why mod cannot start (mod->unavailable) */
	unsigned seen;		/* pass that last found the file */
};

/* What stat() said of a file, as far as telling it changed needs. */
struct file_id {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtim, ctim;
	bool valid;
};

struct mf_moddir {
	char *dir;
	char *index; /* DIR/modules.index */
	/* "DIR/", with room after it for any file name of the directory: the
	 * path of the manifest being read, in messages and its manifest. */
	char *path;
	size_t dirlen;
	unsigned flags;
	unsigned pass;	 /* passes made so far (scans and index reads) */
	char *no_such;	 /* mf_moddir_no_such_module() */
	struct mf_hash entries; /* base name -> struct entry */
	/* The directory and its index (invalid: none) as the catalog last
	 * took them in, from the index or by a scan: while both are as they
	 * were, there is nothing to do. */
	struct file_id dir_seen, index_seen;
	bool missing_said;   /* "directory does not exist" reported */
	bool unsafe_said;    /* "directory refused" reported */
	char *index_said;    /* the last note about reading the index */
	char *write_said;    /* the last note about writing it */
	unsigned listings;   /* scans (readdir) made: tests */
	unsigned index_reads; /* index files read: tests */
};

struct report {
	struct mf_context *ctx;
	mf_event_fn ev;
	void *data;
	int changes;
};


void say(struct report *r, enum mf_event_kind kind, const char *module,
	 const char *detail);
/* Say @why about @module unless it was the last thing said (*@said). */
void say_once(struct report *r, char **said, enum mf_event_kind kind,
	      const char *module, const char *why);

/* The entry of @base, made when new (one block with its hash entry). */
struct entry *entry_get(struct mf_moddir *md, const char *base);
/* What an entry holds; the entry itself goes with its hash entry. */
void entry_fini(void *value);
/* md->path becomes DIR/@base.manifest; the file name part is returned. */
const char *manifest_path(struct mf_moddir *md, const char *base);

/* @m, the manifest of @e's file, into the catalog (takes @m): 0 or 1
 * change, or -ENOMEM.  @e is marked seen by this pass. */
int apply(struct report *r, struct mf_moddir *md, struct entry *e,
	  struct mf_manifest *m);
/* @e's file refused for @why: said once, its module (if any) unavailable. */
int refused(struct report *r, struct entry *e, const char *name, const char *why);
/*
 * The modules this pass did not find.  @all: a scan, which saw every
 * file, refused ones too; an index holds only accepted manifests, so after
 * it the refused files the last scan saw are still remembered.
 */
int forget_gone(struct report *r, struct mf_moddir *md, bool all);

#endif
