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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <manifold/config.h>
#include <manifold/console.h>
#include <manifold/control.h>
#include <manifold/moddir.h>

#include "lineedit.h"

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
#ifndef MF_MODULE_DIR
#define MF_MODULE_DIR "/usr/lib/manifold/modules"
#endif
#ifndef MF_VERIFY_CHECKSUMS
#define MF_VERIFY_CHECKSUMS 1
#endif
#ifndef MF_CONTROL_SOCKET
#define MF_CONTROL_SOCKET "/run/manifold.ctl"
#endif
/* -u UID, repeatable */
#define MAX_ALLOWED_UIDS 16

static void usage(FILE *fp, const char *argv0)
{
	fprintf(fp,
		"usage: %s [-h] [-q] [-N] [-C DIR] [-M DIR] [-P] [-K] [-S PATH]\n"
		"          [-u UID]...\n"
		"       %s [-S PATH] -r | -x COMMAND\n"
		"  Boot the modules of this image as modules.conf says, then read\n"
		"  console commands from standard input ('help' lists them), and\n"
		"  from the control socket.\n"
		"  -C DIR  read DIR/modules.conf and, if present, DIR/extconfig.conf\n"
		"          (default " MF_CONFIG_DIR ", else the board's built-in one)\n"
		"  -M DIR  loadable modules: DIR/<name>.so and DIR/<name>.manifest\n"
		"          (default " MF_MODULE_DIR "; needs CONFIG_MODULES)\n"
		"  -P      accept module files, manifests and a module directory that\n"
		"          group or others may write or another user owns (refused\n"
		"          by default)\n"
		"  -K      map module files without verifying their SHA-256 (for a\n"
		"          module directory on a verified file system)%s\n"
		"  -S PATH the control socket (default " MF_CONTROL_SOCKET "; '' for none)\n"
		"  -u UID  let UID use the control socket too (root and the image's\n"
		"          own uid always may); repeatable\n"
		"  -N      no console: serve the control socket until SIGTERM or SIGINT\n"
		"  -r      attach to the running image's console through its socket\n"
		"  -x CMD  run CMD in the running image and exit: 0 done, 1 the command\n"
		"          failed, 2 no image to talk to\n"
		"  -q      do not print the boot lines\n"
		"  -h      this help\n",
		argv0, argv0,
		MF_VERIFY_CHECKSUMS ? "" : "; always so in this image");
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

/*
 * Console output to standard output: event lines with a name column that
 * fits every module of @ctx, and tables that fit the terminal when standard
 * output is one (its width asked at each command: it may have been resized).
 */
static struct mf_console_out stdout_out(struct mf_context *ctx)
{
	struct mf_console_out o = { .out = out_stdout };
	struct winsize ws;

	if (ctx)
		o.name_width = mf_console_name_width(ctx);
	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)
		o.width = ws.ws_col;
	return o;
}

static void discard_event(void *data, const struct mf_event *ev)
{
	(void)data;
	if (ev->kind == MF_EVENT_FAIL)
		fprintf(stderr, "manifold: %s: %s\n", ev->module, ev->detail);
}

static int boot(struct mf_context *ctx, const struct mf_config *cfg, bool quiet)
{
	struct mf_console_out o = stdout_out(ctx);
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

/*
 * The module directory (-M, else the configured one), read before boot so
 * that modules.conf and autoload see its modules.  An image without
 * CONFIG_MODULES has none, and says so when asked for one.
 */
/*
 * The boot's report of the module directory, with this image's hint where
 * the library refused a file or the directory for its owner or mode: the
 * library knows the check, only the image knows its flag.
 */
static void print_moddir_event(void *out_pair, const struct mf_event *ev)
{
	struct mf_event hinted = *ev;
	char detail[2048];

	if (ev->kind == MF_EVENT_FAIL &&
	    (strstr(ev->detail, "writable by group or others") ||
	     strstr(ev->detail, "neither root nor this image's user"))) {
		snprintf(detail, sizeof(detail), "%s (-P turns this check off)",
			 ev->detail);
		hinted.detail = detail;
	}
	mf_console_print_event(out_pair, &hinted);
}

static void setup_moddir(struct mf_context *ctx, const char *dir,
			 unsigned flags, bool quiet)
{
	struct mf_console_out o = stdout_out(ctx);
	int err = mf_moddir_set(ctx, dir ? dir : MF_MODULE_DIR, flags);

	if (err == -EOPNOTSUPP) {
		if (dir || flags)
			fprintf(stderr, "manifold: %s: %s\n",
				dir ? "-M" : flags & MF_MODDIR_NO_CHECKSUM ?
				"-K" : "-P", MF_MODDIR_UNSUPPORTED);
		return;
	}
	if (err == 0)
		err = mf_moddir_refresh(ctx, quiet ? discard_event : print_moddir_event,
					quiet ? NULL : &o);
	/* The embedded modules boot anyway: a broken directory costs only
	 * its own modules. */
	if (err < 0)
		fprintf(stderr, "manifold: module directory %s: %s\n",
			dir ? dir : MF_MODULE_DIR, strerror(-err));
}

/* ---- the console: this image's, or a running one's (-r) ---------------- */

/* Run one line; a negative return ends the session (the image went away). */
typedef int (*exec_fn)(void *data, const char *line);

static int exec_local(void *data, const char *line)
{
	struct mf_console_out o = stdout_out(NULL);

	mf_console_run(data, line, &o);
	return 0;
}

static int complete_local(void *data, const char *line,
			  void (*add)(void *list, const char *candidate), void *list)
{
	return mf_console_complete(data, line, add, list);
}

static bool is_quit(const char *line)
{
	return strncmp(line, "quit", 4) == 0 || strncmp(line, "exit", 4) == 0;
}

/*
 * Read commands until end of input or quit.  On a terminal: the line editor,
 * with history and tab completion.  Otherwise plain lines, each echoed after
 * the prompt so that a transcript reads like a session.
 */
static int console(exec_fn exec, mf_lineedit_complete_fn complete, void *data)
{
	bool tty = isatty(STDIN_FILENO);
	struct mf_lineedit *le = NULL;
	char line[4096], *edited;
	int err = 0, r;

	/* The editor redraws with escape sequences: only for a terminal. */
	if (tty && isatty(STDOUT_FILENO) &&
	    mf_lineedit_new(STDIN_FILENO, STDOUT_FILENO, &le) == 0)
		mf_lineedit_set_completion(le, complete, data);
	while (err >= 0) {
		if (le) {
			fflush(stdout);
			r = mf_lineedit_read(le, "manifold> ", &edited);
			if (r <= 0)
				break;
			if (is_quit(edited)) {
				free(edited);
				break;
			}
			err = exec(data, edited);
			free(edited);
			fflush(stdout);
			continue;
		}
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
		if (is_quit(line))
			break;
		err = exec(data, line);
		fflush(stdout);
	}
	mf_lineedit_free(le);
	return err;
}

/* Tables through the socket fit this terminal too; told again when it
 * was resized.  An older image that does not know the request cuts nothing. */
static void tell_width(struct mf_control_client *cl)
{
	static unsigned told;
	unsigned width = stdout_out(NULL).width;

	if (width != told)
		mf_control_set_width(cl, width);
	told = width;
}

static int exec_remote(void *data, const char *line)
{
	int status, r;

	tell_width(data);
	r = mf_control_exec(data, line, out_stdout, NULL, &status);

	if (r == -EINVAL) {
		printf("command too long (max %d bytes)\n", MF_CONTROL_LINE_MAX);
		return 0;
	}
	if (r < 0)
		fprintf(stderr, "manifold: lost the image: %s\n", strerror(-r));
	return r;
}

static int complete_remote(void *data, const char *line,
			   void (*add)(void *list, const char *candidate), void *list)
{
	return mf_control_complete(data, line, add, list);
}

/* -r and -x: 0 done, 1 the command failed, 2 no image to talk to. */
static int remote(const char *path, const char *command)
{
	struct mf_control_client *cl;
	char err[MF_ERR_MAX];
	int r, status = 0;

	if (!path[0]) {
		fprintf(stderr, "manifold: no control socket (-S '')\n");
		return 2;
	}
	r = mf_control_connect(path, &cl, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "manifold: %s\n", err);
		if (r == -EACCES)
			fprintf(stderr, "manifold: an image started with -u UID admits that uid too\n");
		return 2;
	}
	if (command) {
		tell_width(cl);
		r = mf_control_exec(cl, command, out_stdout, NULL, &status);
		if (r == -EINVAL)
			fprintf(stderr, "manifold: -x: a command is one line of at most "
				"%d bytes\n", MF_CONTROL_LINE_MAX);
		else if (r < 0)
			fprintf(stderr, "manifold: %s: %s\n", path, strerror(-r));
	} else {
		r = console(exec_remote, complete_remote, cl);
	}
	fflush(stdout);
	mf_control_close(cl);
	if (r == -EINVAL)
		return 1;
	if (r < 0)
		return 2;
	return status == 0 ? 0 : 1;
}

/* -u UID: a number, as SO_PEERCRED reports it. */
static int parse_uid(const char *s, uid_t *uid)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *end || errno || s[0] == '-' || v != (unsigned long)(uid_t)v)
		return -EINVAL;
	*uid = (uid_t)v;
	return 0;
}

/*
 * The control socket: where the console can be reached while the image
 * runs.  A failure is fatal only when it was asked for by name (-S) or is
 * the only way in (-N).
 */
static int start_control(struct mf_context *ctx, const char *path, bool fatal,
			 const uid_t *uids, size_t n_uids, struct mf_control **ctl)
{
	int err;

	if (!path[0])
		return 0;
	err = mf_control_start(ctx, path, uids, n_uids, ctl);
	if (err < 0)
		fprintf(stderr, "manifold: control socket %s: %s%s\n", path,
			strerror(-err), fatal ? "" : " (the console works without it)");
	return fatal ? err : 0;
}

int main(int argc, char **argv)
{
	struct mf_console_out o;
	const char *config_dir = NULL, *module_dir = NULL;
	const char *socket_path = MF_CONTROL_SOCKET, *command = NULL;
	unsigned moddir_flags = MF_VERIFY_CHECKSUMS ? 0 : MF_MODDIR_NO_CHECKSUM;
	struct mf_config *cfg = NULL;
	struct mf_control *ctl = NULL;
	struct mf_context *ctx;
	bool quiet = false, attach = false, no_console = false, socket_named = false;
	uid_t uids[MAX_ALLOWED_UIDS];
	size_t n_uids = 0;
	sigset_t stop_signals;
	int opt, err;

	while ((opt = getopt(argc, argv, "hqNC:M:PKS:u:rx:")) != -1) {
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
		case 'M':
			module_dir = optarg;
			break;
		case 'P':
			moddir_flags |= MF_MODDIR_NO_PERM_CHECK;
			break;
		case 'K':
			moddir_flags |= MF_MODDIR_NO_CHECKSUM;
			break;
		case 'S':
			socket_path = optarg;
			socket_named = true;
			break;
		case 'u':
			if (n_uids == MAX_ALLOWED_UIDS || parse_uid(optarg, &uids[n_uids]) < 0) {
				fprintf(stderr, "%s: -u %s: %s\n", argv[0], optarg,
					n_uids == MAX_ALLOWED_UIDS ? "too many -u" :
					"not a numeric uid");
				usage(stderr, argv[0]);
				return 2;
			}
			n_uids++;
			break;
		case 'N':
			no_console = true;
			break;
		case 'r':
			attach = true;
			break;
		case 'x':
			command = optarg;
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
	if (attach && command) {
		fprintf(stderr, "%s: -r and -x exclude each other\n", argv[0]);
		usage(stderr, argv[0]);
		return 2;
	}
	/* Console output and boot lines interleave with error lines. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (attach || command)
		return remote(socket_path, command);
	/* -N: the signals that stop the image are waited for, by this thread
	 * only; blocked before any other thread exists, so none takes them. */
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGINT);
	sigaddset(&stop_signals, SIGTERM);
	if (no_console)
		pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);

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
		setup_moddir(ctx, module_dir, moddir_flags, quiet);
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
	if (start_control(ctx, socket_path, socket_named || no_console, uids, n_uids,
			  &ctl) < 0) {
		err = -EIO;
	} else if (no_console) {
		int sig;

		sigwait(&stop_signals, &sig);
	} else {
		console(exec_local, complete_local, ctx);
	}
	mf_control_stop(ctl);
	o = stdout_out(ctx);
	mf_stop_all(ctx, quiet ? discard_event : mf_console_print_event,
		    quiet ? NULL : &o);
	mf_context_unref(ctx);
	return err < 0 ? 1 : 0;
}
