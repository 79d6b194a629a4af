/* SPDX-License-Identifier: MIT */
/*
 * The administrator's configuration: modules.conf and extconfig.conf, as in
 * the seed's "Configuration" section.  Parsing only; applying it to a
 * context (neverload, admin [uses], extconfig drivers, what to load at boot)
 * is mf_config_apply() in <manifold/manifold.h>.
 */
#ifndef MANIFOLD_CONFIG_H
#define MANIFOLD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One require=, load= or neverload= line ([modules]); name without ".so". */
struct mf_config_item {
	char *name;
	unsigned line;
};

/* One line of [uses]: module @user uses @type=@name, per the admin. */
struct mf_config_use {
	char *user; /* module name, without ".so" */
	char *type; /* "module" unless a type= line switched it */
	char *name; /* without ".so" when type is module */
	unsigned line;
};

/* One [settings] line of extconfig.conf: FILE => DRIVER,DATABASE[,TABLE]. */
struct mf_extconfig {
	char *file;
	char *driver;
	char *database; /* NULL when absent */
	char *table;	/* NULL when absent */
	unsigned line;
};

struct mf_config {
	char *path;	/* modules.conf as named in messages; NULL when none */
	char *ext_path; /* extconfig.conf as named in messages; NULL when none */
	bool autoload;	/* default: yes, as without a modules.conf */
	unsigned autoload_line; /* 0 when not set in the file */
	struct mf_config_item *require, *load, *neverload;
	size_t n_require, n_load, n_neverload;
	struct mf_config_use *uses;
	size_t n_uses;
	struct mf_extconfig *ext;
	size_t n_ext;
};

/* An empty configuration: autoload=yes and nothing else.  0 or -ENOMEM. */
int mf_config_new(struct mf_config **out);
void mf_config_free(struct mf_config *cfg);

/*
 * Parse modules.conf / extconfig.conf text into @cfg (which keeps what it
 * had on failure).  0, or -EINVAL with "PATH:LINE: reason" in err, -ENOMEM.
 */
int mf_config_parse_modules(struct mf_config *cfg, const char *path,
			    const char *buf, size_t len, char *err, size_t errlen);
int mf_config_parse_extconfig(struct mf_config *cfg, const char *path,
			      const char *buf, size_t len, char *err,
			      size_t errlen);

/*
 * Read both files (either path may be NULL: not read).  A file that does not
 * exist is an error ("PATH: No such file or directory").  0 or negative errno.
 */
int mf_config_load(struct mf_config **out, const char *modules_conf,
		   const char *extconfig_conf, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
