/* SPDX-License-Identifier: MIT */
/*
 * Integration tests of the built image (MANIFOLD_IMAGE): one image runs in
 * the background without a console (-N) on a control socket in a temporary
 * directory, and other processes of the same image talk to it with -x and
 * -r, as an administrator would.  Then the interactive console on a real
 * pseudo-terminal: tab completion and the line editor, locally and through
 * the socket.
 */
#define _XOPEN_SOURCE 700 /* posix_openpt, grantpt, ptsname */
#define _DEFAULT_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "test_file.h"

#define NOBODY 65534
#define MAX_ARGS 16

static char dir[64], sock[96];
static pid_t image = -1;
static char image_out[128], image_err[128];

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static char *slurp(const char *path)
{
	return test_read_file_or_fail(path, NULL);
}

/*
 * argv for the image: MANIFOLD_RUN (an emulator, if any), MANIFOLD_IMAGE,
 * then @args (NULL-terminated).  The strings are static or the caller's.
 */
static void image_argv(const char **argv, const char *const *args)
{
	const char *runner = getenv("MANIFOLD_RUN");
	const char *path = getenv("MANIFOLD_IMAGE");
	size_t n = 0;

	ck_assert_msg(path != NULL, "MANIFOLD_IMAGE is not set");
	if (runner && runner[0])
		argv[n++] = runner;
	argv[n++] = path;
	for (; *args; args++) {
		ck_assert(n + 1 < MAX_ARGS);
		argv[n++] = *args;
	}
	argv[n] = NULL;
}

/*
 * An image this test started must not outlive it: a failed assertion ends
 * the test process before its teardown could stop the image.
 */
static void die_with_the_test(void)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

/*
 * In a child (so no ck_ call: it would write to Check's channel, which the
 * child shares): stdin, stdout and stderr from these paths, then, as @uid
 * unless it is -1, exec @argv.
 */
static void exec_image(const char **argv, const char *in, const char *out,
		       const char *err, uid_t uid)
{
	int fd;

	die_with_the_test();
	fd = open(in, O_RDONLY);
	if (fd < 0 || dup2(fd, 0) < 0)
		_exit(120);
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || dup2(fd, 1) < 0)
		_exit(121);
	fd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || dup2(fd, 2) < 0)
		_exit(122);
	if (uid != (uid_t)-1 && (setgid(NOBODY) < 0 || setuid(uid) < 0))
		_exit(126);
	execvp(argv[0], (char *const *)argv);
	_exit(127);
}

/* Can something be reached at @path? */
static bool listening(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	bool ok;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

/* Boot the image in the background: -q -N -S <sock> and @extra (may be NULL). */
static void start_image(const char *extra1, const char *extra2)
{
	const char *args[] = { "-q", "-N", "-S", sock, extra1, extra2, NULL };
	long deadline = now_ms() + 10000;
	const char *argv[MAX_ARGS];

	image_argv(argv, args);
	snprintf(image_out, sizeof(image_out), "%s/image.out", dir);
	snprintf(image_err, sizeof(image_err), "%s/image.err", dir);
	image = fork();
	if (image == 0)
		exec_image(argv, "/dev/null", image_out, image_err, (uid_t)-1);
	ck_assert_int_gt(image, 0);
	while (!listening(sock)) {
		int status;

		ck_assert_msg(waitpid(image, &status, WNOHANG) == 0,
			      "the image exited before it listened");
		ck_assert_msg(now_ms() < deadline, "the image never listened on %s", sock);
		usleep(20000);
	}
}

/* SIGTERM, as init would send; returns its exit status. */
static int stop_image(void)
{
	int status;

	ck_assert_int_eq(kill(image, SIGTERM), 0);
	ck_assert_int_eq(waitpid(image, &status, 0), image);
	image = -1;
	ck_assert_msg(WIFEXITED(status), "the image died of a signal");
	return WEXITSTATUS(status);
}

static void setup(void)
{
	signal(SIGPIPE, SIG_IGN);
	snprintf(dir, sizeof(dir), "/tmp/mf-imgctl-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	chmod(dir, 0755); /* as /run: the socket's own mode guards it */
	snprintf(sock, sizeof(sock), "%s/ctl", dir);
	image = -1;
}

static void teardown(void)
{
	char cmd[128];
	int status;

	if (image > 0) {
		kill(image, SIGKILL);
		waitpid(image, &status, 0);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

struct run {
	char *out, *err;
	int status;
};

/* Run the image as a client with @args and @input on stdin, as @uid (or -1). */
static struct run run_as(uid_t uid, const char *const *args, const char *input)
{
	char in[128], out[128], err[128];
	const char *argv[MAX_ARGS];
	struct run r;
	FILE *fp;
	pid_t pid;

	image_argv(argv, args);
	snprintf(in, sizeof(in), "%s/client.in", dir);
	snprintf(out, sizeof(out), "%s/client.out", dir);
	snprintf(err, sizeof(err), "%s/client.err", dir);
	fp = fopen(in, "w");
	ck_assert_ptr_nonnull(fp);
	fputs(input, fp);
	fclose(fp);
	pid = fork();
	if (pid == 0)
		exec_image(argv, in, out, err, uid);
	ck_assert_int_gt(pid, 0);
	ck_assert_int_eq(waitpid(pid, &r.status, 0), pid);
	ck_assert(WIFEXITED(r.status));
	r.status = WEXITSTATUS(r.status);
	r.out = slurp(out);
	r.err = slurp(err);
	return r;
}

static struct run run_x(const char *command)
{
	const char *args[] = { "-S", sock, "-x", command, NULL };

	return run_as((uid_t)-1, args, "");
}

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

/* ---- -x and -r ------------------------------------------------------------ */

START_TEST(x_runs_one_command)
{
	struct run r;
	struct stat st;

	start_image(NULL, NULL);
	/* Owner-only by default. */
	ck_assert_int_eq(lstat(sock, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	r = run_x("module show");
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	ck_assert_ptr_nonnull(strstr(r.out, "Module             Description"));
	ck_assert_ptr_nonnull(strstr(r.out, "func_cut           CUT: pick fields"));
	ck_assert_ptr_nonnull(strstr(r.out, "8 modules, 8 running\n"));
	ck_assert_str_eq(r.err, "");
	run_free(&r);
	ck_assert_int_eq(stop_image(), 0);
	/* The image removed its socket on the way out. */
	ck_assert_int_eq(access(sock, F_OK), -1);
}
END_TEST

START_TEST(x_changes_the_running_image)
{
	struct run r;

	start_image(NULL, NULL);
	r = run_x("module unload -f func_cut");
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	ck_assert_str_eq(r.out,
		"  stopped   func_periodic_hook       core       forced unload\n"
		"  stopped   func_cut                 core       forced unload\n"
		"Unloaded func_cut\n");
	run_free(&r);

	/* The next client sees it. */
	r = run_x("module show like func_");
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "func_cut           CUT: pick fields out of a "
					    "delimited string                 stopped   0 core"));
	ck_assert_ptr_nonnull(strstr(r.out, "4 modules, 2 running\n"));
	run_free(&r);

	r = run_x("module why func_cut");
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.out, "func_cut is not running:\n"
		"  not requested by anyone: no require=, load= or autoload line, "
		"console load or running module asks for it\n"
		"  it could start now: module load func_cut\n");
	run_free(&r);

	r = run_x("module load func_periodic_hook");
	ck_assert_int_eq(r.status, 0);
	run_free(&r);
	r = run_x("module why func_cut");
	ck_assert_str_eq(r.out,
		"func_cut is running (started: used by func_periodic_hook (module=func_cut)):\n"
		"  used by func_periodic_hook (module=func_cut)\n"
		"    func_periodic_hook: held by the administrator (console: module load)\n");
	run_free(&r);
	ck_assert_int_eq(stop_image(), 0);
}
END_TEST

START_TEST(x_exit_status)
{
	const char *nowhere[] = { "-S", "/tmp/mf-no-such-dir/ctl", "-x", "module show", NULL };
	const char *both[] = { "-S", sock, "-r", "-x", "module show", NULL };
	const char *noarg[] = { "-S", sock, "-x", NULL };
	struct run r;

	start_image(NULL, NULL);
	/* 1: the command ran and failed; its message is the console's. */
	r = run_x("module frobnicate");
	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr(r.out, "unknown command 'module frobnicate'"));
	run_free(&r);
	r = run_x("module unload -f no_such_module");
	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr(r.out, "module unload: no_such_module: no such module"));
	ck_assert_ptr_nonnull(strstr(r.out, "\nusage: module unload [-n] [-f] NAME\n"));
	run_free(&r);
	/* 2: no image to talk to. */
	r = run_as((uid_t)-1, nowhere, "");
	ck_assert_int_eq(r.status, 2);
	ck_assert_str_eq(r.err, "manifold: cannot connect to /tmp/mf-no-such-dir/ctl: "
				"No such file or directory (is the image running?)\n");
	ck_assert_str_eq(r.out, "");
	run_free(&r);
	/* Usage errors. */
	r = run_as((uid_t)-1, both, "");
	ck_assert_int_eq(r.status, 2);
	ck_assert_ptr_nonnull(strstr(r.err, "-r and -x exclude each other\n"));
	ck_assert_ptr_nonnull(strstr(r.err, "usage:"));
	run_free(&r);
	r = run_as((uid_t)-1, noarg, "");
	ck_assert_int_eq(r.status, 2);
	ck_assert_ptr_nonnull(strstr(r.err, "usage:"));
	run_free(&r);
	ck_assert_int_eq(stop_image(), 0);
}
END_TEST

START_TEST(r_attaches)
{
	const char *args[] = { "-S", sock, "-r", NULL };
	const char *transcript =
		"manifold> module users func_uri\n"
		"func_uri (running): 2 users\n"
		"  admin    administrator            boards/host/modules.conf:5 autoload\n"
		"  module   func_periodic_hook       module=func_uri\n"
		"manifold> module load -n nosuch\n"
		"module load: nosuch: no such module";
	struct run r;

	start_image(NULL, NULL);
	r = run_as((uid_t)-1, args, "module users func_uri\n"
				    "module load -n nosuch\n"
				    "quit\n"
				    "module show\n");
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	/* A transcript, as the image's own console prints one. */
	ck_assert_msg(strncmp(r.out, transcript, strlen(transcript)) == 0, "got: %s", r.out);
	/* It stops at quit: nothing after it runs. */
	ck_assert_ptr_nonnull(strstr(r.out, "\nusage: module load [-n] NAME...\n"
					    "manifold> quit\n"));
	ck_assert_ptr_null(strstr(r.out, "module show"));
	run_free(&r);
	ck_assert_int_eq(stop_image(), 0);
}
END_TEST

START_TEST(a_second_image_does_not_take_the_socket)
{
	const char *args[] = { "-q", "-S", sock, NULL };
	struct run r;

	start_image(NULL, NULL);
	/* An explicit -S that cannot be had is an error, and the first image
	 * keeps serving. */
	r = run_as((uid_t)-1, args, "");
	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr(r.err, "another process is listening there"));
	run_free(&r);
	r = run_x("module show like res_");
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "2 modules, 2 running\n"));
	run_free(&r);
	ck_assert_int_eq(stop_image(), 0);
}
END_TEST

START_TEST(uids_are_checked)
{
	const char *args[] = { "-S", sock, "-x", "module show like func_uri", NULL };
	struct run r;
	struct stat st;

	if (geteuid() != 0) {
		fprintf(stderr, "check_image_control: not root, uid checks not run\n");
		return;
	}
	/* Admitting uid 4242 opens the file to all; uid 65534 is still refused. */
	start_image("-u", "4242");
	ck_assert_int_eq(lstat(sock, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0666);
	r = run_as(NOBODY, args, "");
	ck_assert_int_eq(r.status, 2);
	ck_assert_str_eq(r.err, "manifold: uid 65534 may not use this control "
				"socket (allowed: root, uid 0 and the uids it was told to admit)\n"
				"manifold: an image started with -u UID admits that uid too\n");
	run_free(&r);
	r = run_as(4242, args, "");
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	ck_assert_ptr_nonnull(strstr(r.out, "1 modules, 1 running\n"));
	run_free(&r);
	ck_assert_int_eq(stop_image(), 0);
}
END_TEST

/* ---- the interactive console on a pseudo-terminal -------------------------- */

static int master = -1;
static pid_t tty_pid = -1;
static char screen[1 << 17];
static size_t screen_len;

/* The terminal's columns for start_on_tty(); 0 leaves them unset. */
static unsigned short tty_cols;

/* Run the image with @args on a new pseudo-terminal, as a user at a console. */
static void start_on_tty(const char *const *args)
{
	const char *argv[MAX_ARGS];
	char *name;

	image_argv(argv, args);
	master = posix_openpt(O_RDWR | O_NOCTTY);
	ck_assert_int_ge(master, 0);
	ck_assert_int_eq(grantpt(master), 0);
	ck_assert_int_eq(unlockpt(master), 0);
	if (tty_cols) {
		struct winsize ws = { .ws_row = 24, .ws_col = tty_cols };

		ck_assert_int_eq(ioctl(master, TIOCSWINSZ, &ws), 0);
	}
	name = ptsname(master);
	ck_assert_ptr_nonnull(name);
	screen_len = 0;
	screen[0] = '\0';
	tty_pid = fork();
	if (tty_pid == 0) {
		int fd;

		die_with_the_test();
		setsid();
		fd = open(name, O_RDWR);
		if (fd < 0)
			_exit(120);
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	ck_assert_int_gt(tty_pid, 0);
}

static void pump(int ms)
{
	struct pollfd p = { .fd = master, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, ms) <= 0 || !(p.revents & POLLIN))
		return;
	n = read(master, screen + screen_len, sizeof(screen) - 1 - screen_len);
	if (n > 0)
		screen_len += (size_t)n;
	screen[screen_len] = '\0';
}

/* Wait until the screen, from @from on, holds @text; returns where it ends. */
static size_t wait_for(size_t from, const char *text)
{
	long deadline = now_ms() + 10000;
	char *at;

	while (!(at = strstr(screen + from, text))) {
		ck_assert_msg(now_ms() < deadline, "waited for '%s'; screen:\n%s", text,
			      screen + from);
		pump(20);
	}
	return (size_t)(at - screen) + strlen(text);
}

/* Type only while the editor holds the terminal raw, as a person would. */
static void type(const char *keys)
{
	long deadline = now_ms() + 10000;
	struct termios t;

	for (;;) {
		ck_assert_int_eq(tcgetattr(master, &t), 0);
		if (!(t.c_lflag & (ICANON | ECHO)))
			break;
		ck_assert_msg(now_ms() < deadline, "the console never went raw");
		pump(5);
	}
	ck_assert_int_eq(write(master, keys, strlen(keys)), (ssize_t)strlen(keys));
}

static int end_tty(void)
{
	long deadline = now_ms() + 10000;
	int status;

	/* Drain the screen until it exits, or the pty would fill. */
	while (waitpid(tty_pid, &status, WNOHANG) == 0) {
		ck_assert_msg(now_ms() < deadline, "the image did not exit");
		pump(20);
	}
	tty_pid = -1;
	close(master);
	master = -1;
	ck_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

START_TEST(tab_completion_on_the_console)
{
	const char *args[] = { "-q", "-S", "", NULL };
	size_t at;

	start_on_tty(args);
	at = wait_for(0, "manifold> ");
	/* A command word, completed and run. */
	type("mod\t");
	at = wait_for(at, "module ");
	type("sh\t");
	at = wait_for(at, "module show ");
	type("\r");
	at = wait_for(at, "8 modules, 8 running\r\n");
	/* A module name. */
	type("module users func_u\t");
	at = wait_for(at, "module users func_uri ");
	type("\r");
	at = wait_for(at, "func_uri (running): 2 users\r\n");
	/* Several candidates: listed. */
	type("module why func_\t\t");
	at = wait_for(at, "func_cut  func_groupcount  func_periodic_hook  func_uri\r\n");
	type("c\t\r");
	at = wait_for(at, "func_cut is running");
	/* The history brings the last line back; ctrl-u clears; ctrl-d ends. */
	type("\x1b[A\r");
	at = wait_for(at, "func_cut is running");
	type("junk\x15" "\x04");
	ck_assert_int_eq(end_tty(), 0);
}
END_TEST

/*
 * On a 60-column terminal `module show` cuts descriptions, with a mark,
 * to fit; names stay whole, and -j cuts nothing.
 */
START_TEST(tables_fit_the_terminal)
{
	const char *args[] = { "-q", "-S", "", NULL };
	size_t at, start;

	tty_cols = 60;
	start_on_tty(args);
	tty_cols = 0;
	at = wait_for(0, "manifold> ");
	type("module show\r");
	start = wait_for(at, "\r\nModule ") - strlen("Module ");
	at = wait_for(start, "8 modules, 8 running\r\n");
	ck_assert_ptr_nonnull(strstr(screen + start,
		"func_cut           CUT: pick... running   2 core    embedded\r\n"));
	ck_assert_ptr_nonnull(strstr(screen + start,
		"func_periodic_hook PERIODIC_... running   1 core    embedded\r\n"));
	for (const char *line = screen + start; line < screen + at;) {
		const char *eol = strstr(line, "\r\n");

		ck_assert_msg(eol - line <= 60, "wider than the terminal: %.*s",
			      (int)(eol - line), line);
		line = eol + 2;
	}
	type("module show -j like func_cut\r");
	at = wait_for(at, "\"description\": \"CUT: pick fields out of a delimited string\"");
	type("\x04");
	ck_assert_int_eq(end_tty(), 0);
}
END_TEST

/* Through the socket (-r on a 60-column terminal): the same table. */
START_TEST(tables_fit_the_terminal_through_the_socket)
{
	const char *args[] = { "-S", sock, "-r", NULL };
	size_t at;

	start_image(NULL, NULL);
	tty_cols = 60;
	start_on_tty(args);
	tty_cols = 0;
	at = wait_for(0, "manifold> ");
	type("module show like func_\r");
	at = wait_for(at, "func_cut           CUT: pick... running   2 core    embedded\r\n");
	type("quit\r");
	ck_assert_int_eq(end_tty(), 0);
	ck_assert_int_eq(stop_image(), 0);
}
END_TEST

START_TEST(tab_completion_through_the_socket)
{
	const char *args[] = { "-S", sock, "-r", NULL };
	size_t at;

	start_image(NULL, NULL);
	start_on_tty(args);
	at = wait_for(0, "manifold> ");
	type("module unload -f res_timing_t\t");
	at = wait_for(at, "res_timing_timerfd ");
	type("\r");
	at = wait_for(at, "Unloaded res_timing_timerfd\r\n");
	/* app_wait went with it; back, it takes the other timer. */
	type("module load app_w\t\r");
	at = wait_for(at, "Loaded app_wait\r\n");
	type("module deps app_\t\t");
	at = wait_for(at, "app_chanspy  app_wait\r\n");
	type("w\t\r");
	at = wait_for(at, "-> res_timing_pthread (priority 100)");
	type("quit\r");
	ck_assert_int_eq(end_tty(), 0);
	ck_assert_int_eq(stop_image(), 0);
}
END_TEST

static void tty_teardown(void)
{
	int status;

	if (tty_pid > 0) {
		kill(tty_pid, SIGKILL);
		waitpid(tty_pid, &status, 0);
	}
	if (master >= 0)
		close(master);
	teardown();
}

Suite *make_image_control_suite(void)
{
	Suite *s = suite_create("image_control");
	TCase *tc = tcase_create("socket");
	TCase *tty = tcase_create("tty");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, x_runs_one_command);
	tcase_add_test(tc, x_changes_the_running_image);
	tcase_add_test(tc, x_exit_status);
	tcase_add_test(tc, r_attaches);
	tcase_add_test(tc, a_second_image_does_not_take_the_socket);
	tcase_add_test(tc, uids_are_checked);
	suite_add_tcase(s, tc);

	tcase_set_timeout(tty, 60);
	tcase_add_checked_fixture(tty, setup, tty_teardown);
	tcase_add_test(tty, tab_completion_on_the_console);
	tcase_add_test(tty, tables_fit_the_terminal);
	tcase_add_test(tty, tables_fit_the_terminal_through_the_socket);
	tcase_add_test(tty, tab_completion_through_the_socket);
	suite_add_tcase(s, tty);
	return s;
}

#ifndef MF_CHECK_NO_MAIN
int main(void)
{
	SRunner *sr = srunner_create(make_image_control_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
#endif
