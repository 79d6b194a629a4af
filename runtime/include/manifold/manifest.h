/* SPDX-License-Identifier: MIT */
/*
 * manifold manifest format v1: the parsed form of one module's manifest.
 *
 * One parser serves the host generator (gen/) and the image (runtime/), so a
 * manifest means the same thing at build time and at boot.  The format is
 * described in docs/manifest.md.
 */
#ifndef MANIFOLD_MANIFEST_H
#define MANIFOLD_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Longest accepted manifest line, excluding the line terminator. */
#define MF_MANIFEST_LINE_MAX 1024
/* Highest provider priority accepted in [provides] (service=timer:200). */
#define MF_PRIORITY_MAX 65535
/* Room for one diagnostic: "FILE:LINE: reason". */
#define MF_ERR_MAX 512

enum mf_support_level {
	MF_SUPPORT_CORE = 0,
	MF_SUPPORT_EXTENDED,
	MF_SUPPORT_DEPRECATED,
	MF_SUPPORT_EXTERNAL,
};

/*
 * Start-order levels, after Asterisk's AST_MODPRI_* (lower starts first
 * among modules that do not depend on each other).  A manifest may name a
 * level ("channel_driver") or give a number from 0 to 255.
 */
enum mf_load_priority {
	MF_PRIO_REALTIME_DEPEND = 10,
	MF_PRIO_REALTIME_DEPEND2 = 20,
	MF_PRIO_REALTIME_DRIVER = 30,
	MF_PRIO_TIMING = 40,
	MF_PRIO_CHANNEL_DEPEND = 50,
	MF_PRIO_CHANNEL_DRIVER = 60,
	MF_PRIO_APP_DEPEND = 70,
	MF_PRIO_DEVSTATE_PROVIDER = 80,
	MF_PRIO_DEVSTATE_PLUGIN = 90,
	MF_PRIO_CDR_DRIVER = 100,
	MF_PRIO_DEFAULT = 128,
	MF_PRIO_DEVSTATE_CONSUMER = 150,
};

/*
 * One "type=name" line of [uses], [canuse], [provides], [requires] or
 * [menu] (where type is the key: default, conflict, replacement, ...).
 */
struct mf_ref {
	char *type;	   /* lower-case: module, service, function, ... */
	char *name;	   /* what is used or provided */
	unsigned priority; /* [provides] only; 0 when not given */
	unsigned line;	   /* line in the manifest, for messages */
};

struct mf_ref_list {
	struct mf_ref *items;
	size_t count;
};

struct mf_manifest {
	char *path; /* the name used in messages */
	char *name;
	char *checksum;	   /* NULL when absent */
	char *description; /* NULL when absent */
	enum mf_support_level support_level;
	unsigned load_priority; /* MF_PRIO_DEFAULT when absent */
	bool export_globals;
	char **configs; /* config=, repeatable */
	size_t n_configs;
	struct mf_ref_list uses;
	struct mf_ref_list canuse;
	struct mf_ref_list provides; /* without the implied module=<name> */
	/*
	 * What the build must offer besides modules ("library=sqlite3"), and
	 * what the build's menu shows ("default=yes", "conflict=chan_x",
	 * "replacement=chan_y", "deprecated_in=21", "removed_in=23").  The
	 * loader does not act on either; the generator does.
	 */
	struct mf_ref_list requires;
	struct mf_ref_list menu;
};

/*
 * Parse a manifest held in memory.  @path only names the input in messages.
 * Returns 0 and sets *out, or a negative errno and writes "PATH:LINE: reason"
 * into err (err may be NULL).  -EINVAL for malformed input, -ENOMEM.
 */
int mf_manifest_parse(const char *path, const char *buf, size_t len,
		      struct mf_manifest **out, char *err, size_t errlen);

/* Read and parse a file; errors as for mf_manifest_parse (plus -errno of I/O). */
int mf_manifest_load(const char *path, struct mf_manifest **out, char *err,
		     size_t errlen);

/*
 * Write the canonical text form (the one extract emits).  Returns 0, -EIO,
 * or -EINVAL (nothing written) for a manifest that has no valid text form.
 */
int mf_manifest_write(const struct mf_manifest *m, FILE *fp);

/*
 * Replace the checksum with a copy of @checksum (NULL: none).  0, or
 * -ENOMEM with the manifest as it was.  Not checked: the caller computed it.
 */
int mf_manifest_set_checksum(struct mf_manifest *m, const char *checksum);

/*
 * Free a manifest and every string and array it holds: each is its own
 * allocation of the runtime's (mf_malloc()), whether the manifest was
 * parsed or built by hand.
 */
void mf_manifest_free(struct mf_manifest *m);

/* "core" ... "external"; NULL for an unknown value. */
const char *mf_support_level_name(enum mf_support_level level);
/* 0 and *out on success, -EINVAL for an unknown word. */
int mf_support_level_parse(const char *word, enum mf_support_level *out);
/* Accepts a level name ("timing", "default") or 0..255.  0 or -EINVAL. */
int mf_load_priority_parse(const char *word, unsigned *out);
/* The level's name when @prio is one of the named levels, else NULL. */
const char *mf_load_priority_name(unsigned prio);

#ifdef __cplusplus
}
#endif
#endif
