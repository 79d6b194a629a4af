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

#include <manifold/console.h>

extern const struct mf_table manifold_registry;

static void usage(FILE *fp, const char *argv0)
{
	fprintf(fp,
		"usage: %s [-h] [-q]\n"
		"  Boot the modules built into this image, then read console\n"
		"  commands from standard input ('help' lists them).\n"
		"  -q  do not print the boot lines\n"
		"  -h  this help\n",
		argv0);
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

struct collect {
	struct mf_request *reqs;
	size_t n;
};

static int collect_module(struct mf_module *mod, void *data)
{
	struct collect *c = data;

	c->reqs[c->n].name = mf_module_name(mod);
	c->reqs[c->n].why = "autoload";
	c->n++;
	return 0;
}

static int count_module(struct mf_module *mod, void *data)
{
	(void)mod;
	(*(size_t *)data)++;
	return 0;
}

static int boot(struct mf_context *ctx, bool quiet)
{
	struct mf_console_out o = { out_stdout, NULL };
	struct collect c = { 0 };
	size_t n = 0;
	int err;

	mf_module_foreach(ctx, count_module, &n);
	c.reqs = calloc(n ? n : 1, sizeof(*c.reqs));
	if (!c.reqs)
		return -ENOMEM;
	mf_module_foreach(ctx, collect_module, &c);
	if (!quiet)
		printf("manifold: booting %zu modules\n", c.n);
	err = mf_load(ctx, c.reqs, c.n, 0,
		      quiet ? discard_event : mf_console_print_event,
		      quiet ? NULL : &o);
	free(c.reqs);
	return err;
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
	struct mf_context *ctx;
	bool quiet = false;
	int opt, err;

	while ((opt = getopt(argc, argv, "hq")) != -1) {
		switch (opt) {
		case 'h':
			usage(stdout, argv[0]);
			return 0;
		case 'q':
			quiet = true;
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

	err = mf_context_new(&ctx);
	if (err < 0) {
		fprintf(stderr, "manifold: cannot create the loader: %s\n", strerror(-err));
		return 1;
	}
	err = mf_catalog_add_table(ctx, &manifold_registry);
	if (err == 0)
		err = boot(ctx, quiet);
	if (err < 0)
		fprintf(stderr, "manifold: boot incomplete: %s\n", strerror(-err));
	console(ctx);
	mf_stop_all(ctx, quiet ? discard_event : mf_console_print_event,
		    quiet ? NULL : &o);
	mf_context_unref(ctx);
	return err < 0 ? 1 : 0;
}
