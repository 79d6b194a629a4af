/* SPDX-License-Identifier: MIT */
/*
 * The console's line editor on a real pseudo-terminal: a child process edits
 * lines on the pty's slave side and reports each line it returns through a
 * pipe; the test types on the master side, key by key, as a user would, and
 * reads the screen.  Keys are sent only while the editor has the terminal
 * in raw mode (the test watches the termios), so the kernel's own line
 * editing never gets them.
 */
#define _XOPEN_SOURCE 700 /* posix_openpt, grantpt, ptsname */
#define _DEFAULT_SOURCE /* strndup */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "../embedded/lineedit.h"

#define UP "\x1b[A"
#define DOWN "\x1b[B"
#define RIGHT "\x1b[C"
#define LEFT "\x1b[D"
#define HOME "\x1b[H"
#define END "\x1b[F"
#define DELETE "\x1b[3~"
#define KEY_CTRL_A "\x01"
#define KEY_CTRL_C "\x03"
#define KEY_CTRL_D "\x04"
#define KEY_CTRL_E "\x05"
#define KEY_CTRL_K "\x0b"
#define KEY_CTRL_U "\x15"
#define KEY_CTRL_W "\x17"

/* ---- the child: an editor on the slave side ------------------------------ */

static const char *const words[] = {
	"module", "show", "load", "func_cut", "func_uri", "func_uri_extra", NULL,
};

/* Candidates: the words that start like the last word of @line. */
static int complete_words(void *data, const char *line,
			  void (*add)(void *list, const char *candidate), void *list)
{
	const char *w = strrchr(line, ' ');

	(void)data;
	w = w ? w + 1 : line;
	for (size_t i = 0; words[i]; i++)
		if (strncmp(words[i], w, strlen(w)) == 0)
			add(list, words[i]);
	return 0;
}

static void child(const char *slave_name, int report)
{
	struct mf_lineedit *le;
	char *line, msg[8192];
	int fd, r, n;

	setsid();
	fd = open(slave_name, O_RDWR);
	if (fd < 0 || mf_lineedit_new(fd, fd, &le) < 0)
		_exit(3);
	mf_lineedit_set_completion(le, complete_words, NULL);
	while ((r = mf_lineedit_read(le, "le> ", &line)) == 1) {
		n = snprintf(msg, sizeof(msg), "L:%s\n", line);
		free(line);
		if (write(report, msg, (size_t)n) != n)
			_exit(4);
	}
	n = snprintf(msg, sizeof(msg), r == 0 ? "EOF\n" : "ERR %d\n", r);
	if (write(report, msg, (size_t)n) != n)
		_exit(4);
	mf_lineedit_free(le);
	_exit(r == 0 ? 0 : 1);
}

/* ---- the test side --------------------------------------------------------- */

static int master = -1, results = -1;
static pid_t pid;
static char screen[1 << 16];
static size_t screen_len;
static char lines[1 << 14];
static size_t lines_len;

static void setup(void)
{
	int fds[2];
	char *name;

	master = posix_openpt(O_RDWR | O_NOCTTY);
	ck_assert_int_ge(master, 0);
	ck_assert_int_eq(grantpt(master), 0);
	ck_assert_int_eq(unlockpt(master), 0);
	name = ptsname(master);
	ck_assert_ptr_nonnull(name);
	ck_assert_int_eq(pipe(fds), 0);
	/* No ck_ call in the child: even a passing one writes to Check's
	 * message channel, which the child shares with this process. */
	pid = fork();
	if (pid == 0) {
		close(master);
		close(fds[0]);
		child(name, fds[1]);
	}
	ck_assert_int_ge(pid, 0);
	close(fds[1]);
	results = fds[0];
	screen_len = lines_len = 0;
	screen[0] = lines[0] = '\0';
}

static void teardown(void)
{
	int status;

	close(master);
	close(results);
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Read what is there from the screen and the report pipe, waiting up to @ms. */
static void pump(int ms)
{
	struct pollfd p[2] = {
		{ .fd = master, .events = POLLIN },
		{ .fd = results, .events = POLLIN },
	};
	ssize_t n;

	if (poll(p, 2, ms) <= 0)
		return;
	if (p[0].revents & POLLIN) {
		n = read(master, screen + screen_len, sizeof(screen) - 1 - screen_len);
		if (n > 0)
			screen_len += (size_t)n;
		screen[screen_len] = '\0';
	}
	if (p[1].revents & POLLIN) {
		n = read(results, lines + lines_len, sizeof(lines) - 1 - lines_len);
		if (n > 0)
			lines_len += (size_t)n;
		lines[lines_len] = '\0';
	}
}

/* Read the screen until it stays quiet for a while. */
static const char *drained_screen(void)
{
	size_t before;

	do {
		before = screen_len;
		pump(200);
	} while (screen_len != before);
	return screen;
}

/* Wait until the editor holds the terminal raw, keeping the screen drained. */
static void wait_raw(void)
{
	long deadline = now_ms() + 5000;
	struct termios t;

	for (;;) {
		ck_assert_int_eq(tcgetattr(master, &t), 0);
		if (!(t.c_lflag & ICANON) && !(t.c_lflag & ECHO))
			return;
		ck_assert_msg(now_ms() < deadline, "the editor never went raw");
		pump(5);
	}
}

static void type(const char *keys)
{
	size_t n = strlen(keys);

	wait_raw();
	ck_assert_int_eq(write(master, keys, n), (ssize_t)n);
}

/* The next report of the child ("L:text" or "EOF"), without its newline. */
static char *next_report(void)
{
	static size_t taken;
	long deadline = now_ms() + 5000;
	char *nl, *r;

	if (lines_len == 0)
		taken = 0;
	while (!(nl = strchr(lines + taken, '\n'))) {
		ck_assert_msg(now_ms() < deadline, "no line came back; screen: %s", screen);
		pump(20);
	}
	r = strndup(lines + taken, (size_t)(nl - (lines + taken)));
	taken = (size_t)(nl - lines) + 1;
	return r;
}

static void expect(const char *want)
{
	char *got = next_report();

	ck_assert_str_eq(got, want);
	free(got);
}

/* ---- tests ----------------------------------------------------------------- */

START_TEST(plain_line)
{
	type("module show\r");
	expect("L:module show");
	/* Echoed after the prompt. */
	ck_assert_ptr_nonnull(strstr(drained_screen(), "le> module show"));
	type("\n");
	expect("L:");
}
END_TEST

START_TEST(cursor_movement)
{
	type("wrld" KEY_CTRL_A "hello " KEY_CTRL_E "!" LEFT LEFT LEFT LEFT "o\r");
	expect("L:hello world!");
	type("abc" HOME "<" END ">" LEFT "=" "\x02" "\x02" "_" "\x06" "+\r");
	expect("L:<ab_c+=>");
}
END_TEST

START_TEST(erasing)
{
	type("abcd\x7f\x7f" "x\r");
	expect("L:abx");
	type("abcd\x08\r");
	expect("L:abc");
	type("junk" KEY_CTRL_U "good\r");
	expect("L:good");
	type("abc" LEFT LEFT KEY_CTRL_U "\r");
	expect("L:bc");
	type("abcdef" KEY_CTRL_A RIGHT RIGHT KEY_CTRL_K "\r");
	expect("L:ab");
	type("module show  like" KEY_CTRL_W "\r");
	expect("L:module show  ");
	type("module show like" KEY_CTRL_W KEY_CTRL_W "load\r");
	expect("L:module load");
	type("abc" HOME DELETE "\r");
	expect("L:bc");
	type("abc" HOME KEY_CTRL_D "\r");
	expect("L:bc");
}
END_TEST

START_TEST(ctrl_c_drops_the_line)
{
	type("module unload -f everything" KEY_CTRL_C);
	type("help\r");
	expect("L:help");
	ck_assert_ptr_nonnull(strstr(drained_screen(), "^C\r\n"));
}
END_TEST

START_TEST(ctrl_d_on_an_empty_line_ends_input)
{
	int status;

	type("last\r");
	expect("L:last");
	type(KEY_CTRL_D);
	expect("EOF");
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	pid = 0; /* reaped */
}
END_TEST

START_TEST(history)
{
	type("one\r");
	expect("L:one");
	type("two\r");
	expect("L:two");
	type(UP UP "\r");
	expect("L:one");
	/* The line recalled last is the newest entry now. */
	type(UP "\r");
	expect("L:one");
	type(UP UP "\r");
	expect("L:two");
	/* Down below the newest comes back to what was being typed. */
	type("typed" UP UP DOWN DOWN "\r");
	expect("L:typed");
	/* An edited recall is a new line; the history entry stays. */
	type(UP "s\r");
	expect("L:typeds");
	type(UP UP "\r");
	expect("L:typed");
	/* Nothing above the oldest: the bell, and the line stays. */
	type(UP UP UP UP UP UP UP UP UP "\r");
	expect("L:one");
	ck_assert_ptr_nonnull(strchr(drained_screen(), '\a'));
}
END_TEST

START_TEST(tab_completes)
{
	/* One candidate: the word and a space. */
	type("mo\t");
	type("sh\t\r");
	expect("L:module show ");
	/* Several: what they share, then the list when they share no more. */
	type("module load fu\t");
	type("\t");
	type("c\t\r");
	expect("L:module load func_cut ");
	ck_assert_ptr_nonnull(strstr(drained_screen(), "\r\nfunc_cut  func_uri  func_uri_extra\r\n"));
	/* Completion works on the text before the cursor. */
	type("load  x" LEFT LEFT "func_c\t\r");
	expect("L:load func_cut  x");
	/* Nothing to complete: the bell, no change. */
	type("zzz\t\r");
	expect("L:zzz");
}
END_TEST

START_TEST(not_a_terminal)
{
	struct mf_lineedit *le;
	int fds[2];

	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(mf_lineedit_new(fds[0], fds[1], &le), -ENOTTY);
	close(fds[0]);
	close(fds[1]);
	/* The child is still waiting for keys: end it. */
	type(KEY_CTRL_D);
	expect("EOF");
}
END_TEST

Suite *make_lineedit_suite(void)
{
	Suite *s = suite_create("lineedit");
	TCase *tc = tcase_create("pty");

	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, plain_line);
	tcase_add_test(tc, cursor_movement);
	tcase_add_test(tc, erasing);
	tcase_add_test(tc, ctrl_c_drops_the_line);
	tcase_add_test(tc, ctrl_d_on_an_empty_line_ends_input);
	tcase_add_test(tc, history);
	tcase_add_test(tc, tab_completes);
	tcase_add_test(tc, not_a_terminal);
	suite_add_tcase(s, tc);
	return s;
}

#ifndef MF_CHECK_NO_MAIN
int main(void)
{
	SRunner *sr = srunner_create(make_lineedit_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
#endif
