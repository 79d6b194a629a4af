/* SPDX-License-Identifier: MIT */
/*
 * The manifold image: boot the modules of the generated registry, then serve
 * the administrator's console until end of input.
 *
 * Boot prints one line per module in start order (name, support level, why).
 * The exit status is 0 when every module asked for at boot started.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <manifold/config.h>
#include <manifold/console.h>

extern const struct mf_table manifold_registry;
/* boards/<board>/modules.conf, built in (embedded/board_config.c) */
extern const char mf_board_modules_conf[];

#ifndef MF_CONFIG_DIR
#define MF_CONFIG_DIR "/etc/manifold"
#endif
#ifndef MF_CANCEL_TIMEOUT_MS
#define MF_CANCEL_TIMEOUT_MS 2000
#endif
#ifndef MF_BOARD
#define MF_BOARD "unknown"
#endif

static void usage(FILE *fp, const char *argv0)
{
	fprintf(fp,
		"usage: %s [-h] [-q] [-C DIR]\n"
		"  Boot the modules of this image as modules.conf says, then read\n"
		"  console commands from standard input ('help' lists them).\n"
		"  -C DIR  read DIR/modules.conf and, if present, DIR/extconfig.conf\n"
		"          (default " MF_CONFIG_DIR ", else the board's built-in one)\n"
		"  -q      do not print the boot lines\n"
		"  -h      this help\n",
		argv0);
}

static bool file_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/*
 * -C DIR: DIR/modules.conf must exist.  Without -C: the default directory's
 * files when it has a modules.conf, else the board's built-in modules.conf.
 */
static int load_config(const char *dir, struct mf_config **cfg)
{
	char mpath[4096], epath[4096], err[MF_ERR_MAX];
	bool explicit = dir != NULL;
	int r;

	if (!dir)
		dir = MF_CONFIG_DIR;
	snprintf(mpath, sizeof(mpath), "%s/modules.conf", dir);
	snprintf(epath, sizeof(epath), "%s/extconfig.conf", dir);
	if (explicit || file_exists(mpath)) {
		r = mf_config_load(cfg, mpath, file_exists(epath) ? epath : NULL,
				   err, sizeof(err));
	} else {
		r = mf_config_new(cfg);
		if (r == 0)
			r = mf_config_parse_modules(*cfg, "boards/" MF_BOARD "/modules.conf",
						    mf_board_modules_conf,
						    strlen(mf_board_modules_conf),
						    err, sizeof(err));
		if (r < 0) {
			mf_config_free(*cfg);
			*cfg = NULL;
		}
	}
	if (r < 0)
		fprintf(stderr, "manifold: %s\n", r == -ENOMEM ? strerror(ENOMEM) : err);
	return r;
}

static void out_stdout(void *data, const char *text)
{
	(void)data;
	fputs(text, stdout);
}

static void discard_event(void *data, const struct mf_event *ev)
{
	(void)data;
	if (ev->kind == MF_EVENT_FAIL)
		fprintf(stderr, "manifold: %s: %s\n", ev->module, ev->detail);
}

static int boot(struct mf_context *ctx, const struct mf_config *cfg, bool quiet)
{
	struct mf_console_out o = { out_stdout, NULL };
	mf_event_fn ev = quiet ? discard_event : mf_console_print_event;
	void *data = quiet ? NULL : &o;
	int err;

	err = mf_config_apply(ctx, cfg, ev, data);
	if (err < 0)
		return err;
	if (!quiet)
		printf("manifold: booting (%s)\n", cfg->path ? cfg->path : "built-in modules.conf");
	return mf_boot(ctx, cfg, ev, data);
}

static void console(struct mf_context *ctx)
{
	bool tty = isatty(STDIN_FILENO);
	char line[4096];

	for (;;) {
		if (tty) {
			fputs("manifold> ", stdout);
			fflush(stdout);
		}
		if (!fgets(line, sizeof(line), stdin))
			break;
		if (!strchr(line, '\n') && !feof(stdin)) {
			int ch;

			while ((ch = getchar()) != EOF && ch != '\n')
				;
			printf("command too long (max %zu bytes)\n", sizeof(line) - 2);
			continue;
		}
		if (!tty && line[0] != '\n')
			printf("manifold> %s", line);
		if (strncmp(line, "quit", 4) == 0 || strncmp(line, "exit", 4) == 0)
			break;
		mf_console_exec(ctx, line, out_stdout, NULL);
		fflush(stdout);
	}
}

int main(int argc, char **argv)
{
	struct mf_console_out o = { out_stdout, NULL };
	const char *config_dir = NULL;
	struct mf_config *cfg = NULL;
	struct mf_context *ctx;
	bool quiet = false;
	int opt, err;

	while ((opt = getopt(argc, argv, "hqC:")) != -1) {
		switch (opt) {
		case 'h':
			usage(stdout, argv[0]);
			return 0;
		case 'q':
			quiet = true;
			break;
		case 'C':
			config_dir = optarg;
			break;
		default:
			usage(stderr, argv[0]);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", argv[0], argv[optind]);
		usage(stderr, argv[0]);
		return 2;
	}
	/* Console output and boot lines interleave with error lines. */
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (load_config(config_dir, &cfg) < 0)
		return 1;
	err = mf_context_new(&ctx);
	if (err < 0) {
		fprintf(stderr, "manifold: cannot create the loader: %s\n", strerror(-err));
		mf_config_free(cfg);
		return 1;
	}
	mf_context_set_cancel_timeout(ctx, MF_CANCEL_TIMEOUT_MS);
	err = mf_catalog_add_table(ctx, &manifold_registry);
	if (err == 0)
		err = boot(ctx, cfg, quiet);
	mf_config_free(cfg);
	if (err == -ENOTRECOVERABLE) {
		fprintf(stderr, "manifold: cannot start: a required module did not start\n");
		mf_context_unref(ctx);
		return 1;
	}
	if (err < 0)
		fprintf(stderr, "manifold: boot incomplete: %s\n",
			err == -EIO ? "some modules did not start" : strerror(-err));
	console(ctx);
	mf_stop_all(ctx, quiet ? discard_event : mf_console_print_event,
		    quiet ? NULL : &o);
	mf_context_unref(ctx);
	return err < 0 ? 1 : 0;
}
