/* SPDX-License-Identifier: MIT */
/*
 * The control socket: a server started in this process on a temporary path,
 * driven by forked client processes that report what they saw through a
 * pipe.  Output and status match the console's, the socket is owner-only,
 * stale sockets are replaced and live ones are not, peers with a uid that
 * is not allowed are refused (for real when the tests run as root: the
 * client drops to uid 65534), completion and long lines work, and stop
 * removes the socket.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <manifold/control.h>

#include "fake_backend.h"

#define NOBODY 65534

static struct mf_context *ctx;
static struct mf_control *ctl;
static char dir[64], path[96];

static void setup(void)
{
	struct mf_request req = { .name = "app", .why = "test" };

	signal(SIGPIPE, SIG_IGN);
	snprintf(dir, sizeof(dir), "/tmp/mf-control-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	/* Others may pass through, as in /run: the socket's own mode guards it. */
	chmod(dir, 0755);
	snprintf(path, sizeof(path), "%s/ctl", dir);
	ck_assert_int_eq(fake_context_new(&ctx), 0);
	ck_assert_int_eq(fake_add_all(ctx,
		"[module]\nname=app\n[uses]\nservice=timer\n[provides]\nfunction=APP\n"
		"[module]\nname=timer\n[provides]\nservice=timer:10\n"
		"[module]\nname=tool\n"), 0);
	ck_assert_int_eq(mf_load(ctx, &req, 1, 0, NULL, NULL), 0);
	ctl = NULL;
}

static void teardown(void)
{
	char cmd[128];

	mf_control_stop(ctl);
	mf_context_unref(ctx);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void start(const uid_t *uids, size_t n)
{
	ck_assert_int_eq(mf_control_start(ctx, path, uids, n, &ctl), 0);
}

/* ---- a client in another process ------------------------------------------ */

struct transcript {
	char text[1 << 16];
	size_t len;
	int exit_code;
};

static int report_fd = -1;

static void report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void report(const char *fmt, ...)
{
	char buf[8192];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0 && write(report_fd, buf, (size_t)n) != n)
		_exit(99);
}

static void report_out(void *data, const char *text)
{
	(void)data;
	report("%s", text);
}

static void report_candidate(void *data, const char *candidate)
{
	(void)data;
	report("%s ", candidate);
}

/* Run @fn in a child process; what it reports comes back in the transcript. */
static struct transcript *in_child(int (*fn)(void *arg), void *arg)
{
	struct transcript *t = calloc(1, sizeof(*t));
	int fds[2], status;
	ssize_t n;
	pid_t pid;

	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(pipe(fds), 0);
	/* No ck_ call in the child: even a passing one writes to Check's
	 * message channel, which the child shares with this process. */
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		report_fd = fds[1];
		_exit(fn(arg));
	}
	ck_assert_int_ge(pid, 0);
	close(fds[1]);
	while ((n = read(fds[0], t->text + t->len, sizeof(t->text) - 1 - t->len)) > 0)
		t->len += (size_t)n;
	close(fds[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status), "client died");
	t->exit_code = WEXITSTATUS(status);
	return t;
}

/* Connect, run each command of the NULL-terminated list, report it all. */
static int run_commands(void *arg)
{
	const char *const *lines = arg;
	struct mf_control_client *cl;
	char err[512];
	int r = mf_control_connect(path, &cl, err, sizeof(err));

	if (r < 0) {
		report("connect: %d %s\n", r, err);
		return 2;
	}
	for (; *lines; lines++) {
		int status = 12345;

		report("> %s\n", *lines);
		r = mf_control_exec(cl, *lines, report_out, NULL, &status);
		report("= %d %d\n", r, status);
	}
	mf_control_close(cl);
	return 0;
}

/* What the console itself prints for @line, and its result. */
static char local[1 << 16];

static void local_out(void *data, const char *text)
{
	(void)data;
	strcat(local, text);
}

static int run_local(const char *line)
{
	local[0] = '\0';
	return mf_console_exec(ctx, line, local_out, NULL);
}

/* ---- tests ---------------------------------------------------------------- */

START_TEST(uid_rule)
{
	const uid_t extra[] = { 42, 1001 };

	ck_assert(mf_control_uid_allowed(1000, NULL, 0, 0));
	ck_assert(mf_control_uid_allowed(1000, NULL, 0, 1000));
	ck_assert(!mf_control_uid_allowed(1000, NULL, 0, 1001));
	ck_assert(mf_control_uid_allowed(1000, extra, 2, 1001));
	ck_assert(mf_control_uid_allowed(1000, extra, 2, 42));
	ck_assert(!mf_control_uid_allowed(1000, extra, 2, 43));
	ck_assert(!mf_control_uid_allowed(1000, extra, 1, 1001));
}
END_TEST

START_TEST(commands_print_what_the_console_prints)
{
	static const char *const lines[] = {
		"module show", "module why timer", "module frobnicate",
		"module load tool", "module show like tool", NULL,
	};
	struct transcript *t;
	char want[1 << 15];
	int st;

	/* Byte for byte what mf_console_exec gives here, then the status. */
	st = run_local("module show");
	snprintf(want, sizeof(want), "> module show\n%s= 0 %d\n", local, st);
	start(NULL, 0);
	t = in_child(run_commands, (void *)lines);
	ck_assert_int_eq(t->exit_code, 0);
	ck_assert_msg(strncmp(t->text, want, strlen(want)) == 0, "got:\n%s\nwant:\n%s",
		      t->text, want);
	ck_assert_ptr_nonnull(strstr(t->text,
		"> module why timer\n"
		"timer is running (started: used by app (service=timer)):\n"
		"  used by app (service=timer)\n"
		"    app: held by the administrator (test)\n"
		"= 0 0\n"));
	snprintf(want, sizeof(want), "> module frobnicate\nunknown command "
		 "'module frobnicate'; 'help' lists the commands\n");
	ck_assert_ptr_nonnull(strstr(t->text, want));
	snprintf(want, sizeof(want), "= 0 %d\n> module load tool\n", -ENOSYS);
	ck_assert_ptr_nonnull(strstr(t->text, want));
	ck_assert_ptr_nonnull(strstr(t->text, "Loaded tool\n= 0 0\n"));
	/* The load happened in this process's context. */
	ck_assert_int_eq(fake_state(ctx, "tool"), MF_STATE_RUNNING);
	ck_assert_ptr_nonnull(strstr(t->text, "1 modules, 1 running\n= 0 0\n"));
	free(t);
}
END_TEST

#define WIDE_DESC "A description far longer than any terminal this test pretends to have"

/* Connect, tell a width of 40 columns, run "module show like wide". */
static int run_at_width(void *arg)
{
	struct mf_control_client *cl;
	char err[512];
	int status = 12345, r = mf_control_connect(path, &cl, err, sizeof(err));

	(void)arg;
	if (r < 0)
		return 2;
	report("width %d\n", mf_control_set_width(cl, 40));
	r = mf_control_exec(cl, "module show like wide", report_out, NULL, &status);
	report("= %d %d\n", r, status);
	report("width %d\n", mf_control_set_width(cl, 0));
	r = mf_control_exec(cl, "module show like wide", report_out, NULL, &status);
	report("= %d %d\n", r, status);
	mf_control_close(cl);
	return 0;
}

/* A client on a terminal gets tables that fit it, as the console would
 * print them there; told 0, it gets them whole again. */
START_TEST(tables_fit_the_client_terminal)
{
	struct mf_console_out o = { .out = local_out, .width = 40 };
	struct transcript *t;
	char want[1 << 12];

	ck_assert_int_eq(fake_add_all(ctx, "[module]\nname=wide\ndescription=" WIDE_DESC "\n"), 0);
	local[0] = '\0';
	ck_assert_int_eq(mf_console_run(ctx, "module show like wide", &o), 0);
	ck_assert_ptr_nonnull(strstr(local, "..."));
	snprintf(want, sizeof(want), "width 0\n%s= 0 0\nwidth 0\n", local);
	ck_assert_int_eq(run_local("module show like wide"), 0);
	ck_assert_ptr_nonnull(strstr(local, WIDE_DESC));
	strcat(want, local);
	strcat(want, "= 0 0\n");
	start(NULL, 0);
	t = in_child(run_at_width, NULL);
	ck_assert_int_eq(t->exit_code, 0);
	ck_assert_str_eq(t->text, want);
	free(t);
}
END_TEST

START_TEST(socket_is_owner_only)
{
	/* The most permissive umask: the socket must be 0600 all the same. */
	mode_t old = umask(0), after;
	struct stat st;

	start(NULL, 0);
	after = umask(old);
	/* The process's umask is as it was. */
	ck_assert_uint_eq(after, 0);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert_uint_eq(st.st_uid, geteuid());
}
END_TEST

START_TEST(stale_socket_is_replaced)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	static const char *const lines[] = { "help", NULL };
	struct transcript *t;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	/* A socket file nobody listens on, as a crashed image leaves. */
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	start(NULL, 0);
	t = in_child(run_commands, (void *)lines);
	ck_assert_ptr_nonnull(strstr(t->text, "module show [-j]"));
	free(t);
}
END_TEST

START_TEST(live_socket_and_other_files_are_kept)
{
	static const char *const lines[] = { "help", NULL };
	struct mf_control *second = NULL;
	struct transcript *t;
	char other[160];
	FILE *fp;

	start(NULL, 0);
	ck_assert_int_eq(mf_control_start(ctx, path, NULL, 0, &second), -EADDRINUSE);
	ck_assert_ptr_null(second);
	ck_assert_ptr_nonnull(strstr(fake_log(), "another process is listening there"));
	/* The first server still serves. */
	t = in_child(run_commands, (void *)lines);
	ck_assert_ptr_nonnull(strstr(t->text, "= 0 0\n"));
	free(t);

	snprintf(other, sizeof(other), "%s/file", dir);
	fp = fopen(other, "w");
	ck_assert_ptr_nonnull(fp);
	fputs("precious\n", fp);
	fclose(fp);
	ck_assert_int_eq(mf_control_start(ctx, other, NULL, 0, &second), -EEXIST);
	ck_assert_int_eq(access(other, F_OK), 0);
}
END_TEST

static int connect_as_nobody(void *arg)
{
	static const char *const lines[] = { "module show like tool", NULL };

	(void)arg;
	if (setgid(NOBODY) < 0 || setuid(NOBODY) < 0) {
		report("setuid: %s\n", strerror(errno));
		return 3;
	}
	return run_commands((void *)lines);
}

START_TEST(disallowed_uid_is_refused)
{
	const uid_t other = 4242;
	struct transcript *t;
	char want[160];

	if (geteuid() != 0) {
		/* Without root no other uid can be had; the rule is tested above. */
		fprintf(stderr, "check_control: not root, real refusal not tested\n");
		return;
	}
	/* Owner-only: the file itself keeps nobody out. */
	start(NULL, 0);
	t = in_child(connect_as_nobody, NULL);
	ck_assert_int_eq(t->exit_code, 2);
	snprintf(want, sizeof(want), "connect: %d cannot connect to %s: Permission "
		 "denied\n", -EACCES, path);
	ck_assert_str_eq(t->text, want);
	free(t);
	snprintf(want, sizeof(want), "connect: %d uid %d may not use this "
		 "control socket (allowed: root, uid 0 and the uids it was told to admit)\n",
		 -EACCES, NOBODY);

	/* A server that admits another uid: the file lets nobody reach it,
	 * and the peer check turns it away. */
	mf_control_stop(ctl);
	ctl = NULL;
	start(&other, 1);
	t = in_child(connect_as_nobody, NULL);
	ck_assert_int_eq(t->exit_code, 2);
	ck_assert_str_eq(t->text, want);
	ck_assert_ptr_nonnull(strstr(fake_log(), "refused uid 65534"));
	free(t);
}
END_TEST

START_TEST(allowed_uid_is_admitted)
{
	const uid_t uids[] = { NOBODY };
	struct transcript *t;
	struct stat st;

	if (geteuid() != 0) {
		fprintf(stderr, "check_control: not root, -u not tested for real\n");
		return;
	}

	start(uids, 1);
	/* Reachable by everyone now; the uid check alone lets nobody in. */
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0666);
	t = in_child(connect_as_nobody, NULL);
	ck_assert_msg(t->exit_code == 0, "got: %s", t->text);
	ck_assert_ptr_nonnull(strstr(t->text, "1 modules, 0 running\n= 0 0\n"));
	free(t);
}
END_TEST

static int complete_child(void *arg)
{
	struct mf_control_client *cl;
	char err[512];
	int r;

	(void)arg;
	if (mf_control_connect(path, &cl, err, sizeof(err)) < 0)
		return 2;
	r = mf_control_complete(cl, "module why t", report_candidate, NULL);
	report("|%d\n", r);
	r = mf_control_complete(cl, "mod", report_candidate, NULL);
	report("|%d\n", r);
	mf_control_close(cl);
	return 0;
}

START_TEST(completion_over_the_socket)
{
	struct transcript *t;

	start(NULL, 0);
	t = in_child(complete_child, NULL);
	ck_assert_str_eq(t->text, "timer tool |0\nmodule |0\n");
	free(t);
}
END_TEST

/* Raw protocol: a line too long is refused, and the connection goes on. */
static int long_line_child(void *arg)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char *line = malloc(MF_CONTROL_LINE_MAX + 100), buf[4096];
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	size_t total = 0;
	ssize_t n;

	(void)arg;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (!line || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return 2;
	memset(line, 'x', MF_CONTROL_LINE_MAX + 98);
	line[MF_CONTROL_LINE_MAX + 98] = '\n';
	line[MF_CONTROL_LINE_MAX + 99] = '\0';
	if (write(fd, line, strlen(line)) < 0 || write(fd, "help\n", 5) != 5)
		return 3;
	shutdown(fd, SHUT_WR);
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		/* NULs shown as '@' so that the transcript is text. */
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] == '\0')
				buf[i] = '@';
		report("%.*s", (int)n, buf);
		total += (size_t)n;
	}
	free(line);
	close(fd);
	return total ? 0 : 4;
}

START_TEST(long_lines_are_refused_and_the_session_goes_on)
{
	struct transcript *t;
	char want[160];

	start(NULL, 0);
	t = in_child(long_line_child, NULL);
	ck_assert_int_eq(t->exit_code, 0);
	snprintf(want, sizeof(want), "@hello manifold 1\ncommand too long (max %d "
		 "bytes)\n@status %d\n", MF_CONTROL_LINE_MAX, -E2BIG);
	ck_assert_msg(strncmp(t->text, want, strlen(want)) == 0, "got: %s", t->text);
	ck_assert_ptr_nonnull(strstr(t->text + strlen(want), "  help "));
	ck_assert_ptr_nonnull(strstr(t->text, "this list\n@status 0\n"));
	free(t);
}
END_TEST

/* Two clients: one that connects and says nothing must not block another. */
static int idle_then_work(void *arg)
{
	static const char *const lines[] = { "module users app", NULL };
	struct mf_control_client *idle;
	char err[512];

	(void)arg;
	if (mf_control_connect(path, &idle, err, sizeof(err)) < 0)
		return 2;
	run_commands((void *)lines);
	mf_control_close(idle);
	return 0;
}

START_TEST(an_idle_client_blocks_no_one)
{
	struct transcript *t;

	start(NULL, 0);
	t = in_child(idle_then_work, NULL);
	ck_assert_int_eq(t->exit_code, 0);
	ck_assert_ptr_nonnull(strstr(t->text, "app (running): 1 user\n"
					      "  admin    administrator            test\n= 0 0\n"));
	free(t);
}
END_TEST

/* Every slot taken: the next one is told so, and the others still work. */
static int too_many(void *arg)
{
	static const char *const lines[] = { "help", NULL };
	struct mf_control_client *cl[MF_CONTROL_MAX_CLIENTS + 1];
	char err[512];
	int r = 0;

	(void)arg;
	for (int i = 0; i < MF_CONTROL_MAX_CLIENTS && r == 0; i++)
		r = mf_control_connect(path, &cl[i], err, sizeof(err));
	if (r < 0)
		return 2;
	r = mf_control_connect(path, &cl[MF_CONTROL_MAX_CLIENTS], err, sizeof(err));
	report("%d %s\n", r, r < 0 ? err : "");
	mf_control_close(cl[0]);
	/* The server sees the hang-up before the next connection. */
	usleep(100000);
	run_commands((void *)lines);
	for (int i = 1; i < MF_CONTROL_MAX_CLIENTS; i++)
		mf_control_close(cl[i]);
	return 0;
}

START_TEST(too_many_connections)
{
	struct transcript *t;
	char want[128];

	start(NULL, 0);
	t = in_child(too_many, NULL);
	ck_assert_int_eq(t->exit_code, 0);
	snprintf(want, sizeof(want), "%d too many connections (max %d)\n> help\n",
		 -EACCES, MF_CONTROL_MAX_CLIENTS);
	ck_assert_msg(strncmp(t->text, want, strlen(want)) == 0, "got: %s", t->text);
	ck_assert_ptr_nonnull(strstr(t->text, "this list\n= 0 0\n"));
	free(t);
}
END_TEST

static int connect_only(void *arg)
{
	struct mf_control_client *cl;
	char err[512];
	int r = mf_control_connect(path, &cl, err, sizeof(err));

	(void)arg;
	report("%d %s\n", r, r < 0 ? err : "");
	if (r == 0)
		mf_control_close(cl);
	return 0;
}

START_TEST(stop_removes_the_socket)
{
	struct transcript *t;
	char want[256];

	start(NULL, 0);
	mf_control_stop(ctl);
	ctl = NULL;
	ck_assert_int_eq(access(path, F_OK), -1);
	t = in_child(connect_only, NULL);
	snprintf(want, sizeof(want), "%d cannot connect to %s: No such file or "
		 "directory (is the image running?)\n", -ENOENT, path);
	ck_assert_str_eq(t->text, want);
	free(t);
}
END_TEST

/* Something else answering on the path is not taken for an image. */
static int not_manifold_server(void *arg)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0), c;

	(void)arg;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0)
		return 2;
	report("ready\n");
	close(report_fd);
	c = accept(fd, NULL, NULL);
	if (c >= 0 && write(c, "SSH-2.0\r\n\0bogus\n", 17) != 17)
		return 3;
	close(c);
	close(fd);
	return 0;
}

START_TEST(a_stranger_is_not_an_image)
{
	struct mf_control_client *cl = NULL;
	char err[512];
	int fds[2], status;
	char buf[16];
	pid_t pid;

	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		report_fd = fds[1];
		_exit(not_manifold_server(NULL));
	}
	close(fds[1]);
	ck_assert_int_gt(read(fds[0], buf, sizeof(buf)), 0);
	close(fds[0]);
	ck_assert_int_eq(mf_control_connect(path, &cl, err, sizeof(err)), -EPROTO);
	ck_assert_ptr_nonnull(strstr(err, "not a manifold control socket"));
	waitpid(pid, &status, 0);
}
END_TEST

START_TEST(bad_paths)
{
	char err[512], longpath[200];
	struct mf_control_client *cl;

	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	ck_assert_int_eq(mf_control_start(ctx, longpath, NULL, 0, &ctl), -ENAMETOOLONG);
	ck_assert_int_eq(mf_control_start(ctx, "", NULL, 0, &ctl), -EINVAL);
	ck_assert_ptr_null(ctl);
	ck_assert_int_eq(mf_control_connect(longpath, &cl, err, sizeof(err)), -ENAMETOOLONG);
	ck_assert_ptr_nonnull(strstr(err, "socket path too long"));
}
END_TEST

Suite *make_control_suite(void)
{
	Suite *s = suite_create("control");
	TCase *tc = tcase_create("socket");

	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, uid_rule);
	tcase_add_test(tc, commands_print_what_the_console_prints);
	tcase_add_test(tc, tables_fit_the_client_terminal);
	tcase_add_test(tc, socket_is_owner_only);
	tcase_add_test(tc, stale_socket_is_replaced);
	tcase_add_test(tc, live_socket_and_other_files_are_kept);
	tcase_add_test(tc, disallowed_uid_is_refused);
	tcase_add_test(tc, allowed_uid_is_admitted);
	tcase_add_test(tc, completion_over_the_socket);
	tcase_add_test(tc, long_lines_are_refused_and_the_session_goes_on);
	tcase_add_test(tc, an_idle_client_blocks_no_one);
	tcase_add_test(tc, too_many_connections);
	tcase_add_test(tc, stop_removes_the_socket);
	tcase_add_test(tc, a_stranger_is_not_an_image);
	tcase_add_test(tc, bad_paths);
	suite_add_tcase(s, tc);
	return s;
}

#ifndef MF_CHECK_NO_MAIN
int main(void)
{
	SRunner *sr = srunner_create(make_control_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
#endif
