/* SPDX-License-Identifier: MIT */
/*
 * Integration tests of loadable modules: boot the image of a board with
 * CONFIG_MODULES (MANIFOLD_IMAGE, run through MANIFOLD_RUN) on a copy of its
 * module directory (MANIFOLD_MODDIR), and drive its console.
 *
 * The console is fed one command at a time through a pipe, each followed by
 * a comment line whose echo marks the end of the command's output; between
 * two commands the test changes the module directory, as an administrator
 * installing or removing modules on a running device would.
 *
 * MANIFOLD_TEST_MODULES holds fixtures built for the board (a module built
 * for another ABI, one with another build signature).  MANIFOLD_STATIC_IMAGE,
 * when set, is an image built without CONFIG_MODULES, which must say so.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <manifold/module.h> /* the ABI version fx_badabi is built against */

#include "test_file.h"

#define TIMEOUT_MS 30000

#define ck_assert_has(haystack, needle)                                        \
	ck_assert_msg(strstr((haystack), (needle)) != NULL,                    \
		      "'%s' not found in:\n%s", (needle), (haystack))
#define ck_assert_lacks(haystack, needle)                                      \
	ck_assert_msg(strstr((haystack), (needle)) == NULL,                    \
		      "'%s' found in:\n%s", (needle), (haystack))

static const char *env(const char *name)
{
	const char *v = getenv(name);

	ck_assert_msg(v != NULL && v[0], "%s is not set (run: make BOARD=host-modules check)", name);
	return v;
}

/* ---- files -------------------------------------------------------------- */

static char *slurp(const char *path, size_t *len)
{
	return test_read_file_or_fail(path, len);
}

/* Replace @path by new content, as an installer does: write, then rename. */
static void spew(const char *path, const void *data, size_t len)
{
	char tmp[600];
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.part", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_msg(fd >= 0, "%s: %s", tmp, strerror(errno));
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	ck_assert_int_eq(fchmod(fd, 0644), 0);
	close(fd);
	ck_assert_int_eq(rename(tmp, path), 0);
}

static void copy_file(const char *from, const char *to)
{
	size_t len;
	char *buf = slurp(from, &len);

	spew(to, buf, len);
	free(buf);
}

/* Install module @name's two files from @from into @to. */
static void install(const char *from, const char *to, const char *name)
{
	static const char *const suffix[] = { ".so", ".manifest" };

	for (int i = 0; i < 2; i++) {
		char a[512], b[512];

		snprintf(a, sizeof(a), "%s/%s%s", from, name, suffix[i]);
		snprintf(b, sizeof(b), "%s/%s%s", to, name, suffix[i]);
		copy_file(a, b);
	}
}

static void remove_tree(const char *dir)
{
	DIR *dp = opendir(dir);
	struct dirent *d;

	if (!dp)
		return;
	while ((d = readdir(dp))) {
		char path[512];

		if (strcmp(d->d_name, ".") && strcmp(d->d_name, ".."))
			snprintf(path, sizeof(path), "%s/%s", dir, d->d_name), unlink(path);
	}
	closedir(dp);
	rmdir(dir);
}

/* The checksum another program computes: sha256sum, from coreutils. */
static void sha256sum(const char *path, char out[72])
{
	char cmd[600], line[256] = "";
	FILE *fp;

	snprintf(cmd, sizeof(cmd), "sha256sum '%s'", path);
	fp = popen(cmd, "r");
	ck_assert(fp != NULL);
	ck_assert(fgets(line, sizeof(line), fp) != NULL);
	pclose(fp);
	ck_assert_msg(strlen(line) > 64, "sha256sum said: %s", line);
	snprintf(out, 72, "sha256:%.64s", line);
}

static void manifest_checksum(const char *path, char out[72])
{
	char *text = slurp(path, NULL), *p = strstr(text, "\nchecksum=");

	ck_assert_msg(p != NULL, "%s has no checksum", path);
	snprintf(out, 72, "%.*s", (int)strcspn(p + 10, "\n"), p + 10);
	free(text);
}

static void set_manifest_checksum(const char *path, const char *sum)
{
	char *text = slurp(path, NULL), *p = strstr(text, "\nchecksum=");
	char out[8192];
	size_t head, tail;

	ck_assert(p != NULL);
	head = (size_t)(p - text) + 1;
	tail = head + strcspn(text + head, "\n") + 1;
	snprintf(out, sizeof(out), "%.*schecksum=%s\n%s", (int)head, text, sum, text + tail);
	spew(path, out, strlen(out));
	free(text);
}

static unsigned count_of(const char *haystack, const char *needle)
{
	unsigned n = 0;

	for (const char *p = haystack; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* ---- per test: a module directory and a configuration of its own -------- */

static char work[64], moddir[128], confdir[128];

/* A copy of the board's module directory, and modules.conf autoload=no. */
static void setup(void)
{
	const char *from = env("MANIFOLD_MODDIR");
	char path[256];
	struct dirent *d;
	DIR *dp;

	strcpy(work, "/tmp/mf-image-mod-XXXXXX");
	ck_assert(mkdtemp(work) != NULL);
	snprintf(moddir, sizeof(moddir), "%s/modules", work);
	snprintf(confdir, sizeof(confdir), "%s/etc", work);
	ck_assert_int_eq(mkdir(moddir, 0755), 0);
	ck_assert_int_eq(mkdir(confdir, 0755), 0);
	dp = opendir(from);
	ck_assert_msg(dp != NULL, "%s: %s", from, strerror(errno));
	while ((d = readdir(dp))) {
		size_t len = strlen(d->d_name);
		char a[512], b[512];

		if (d->d_name[0] == '.' ||
		    !((len > 3 && strcmp(d->d_name + len - 3, ".so") == 0) ||
		      (len > 9 && strcmp(d->d_name + len - 9, ".manifest") == 0)))
			continue;
		snprintf(a, sizeof(a), "%s/%s", from, d->d_name);
		snprintf(b, sizeof(b), "%s/%s", moddir, d->d_name);
		copy_file(a, b);
	}
	closedir(dp);
	snprintf(path, sizeof(path), "%s/modules.conf", confdir);
	spew(path, "[modules]\nautoload=no\n", 22);
}

static void teardown(void)
{
	remove_tree(moddir);
	remove_tree(confdir);
	remove_tree(work); /* what is left: the image's stderr */
}

static void write_conf(const char *text)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/modules.conf", confdir);
	spew(path, text, strlen(text));
}

static void path_in(char *buf, size_t len, const char *name, const char *suffix)
{
	snprintf(buf, len, "%s/%s%s", moddir, name, suffix);
}

/* ---- a running image ---------------------------------------------------- */

struct session {
	pid_t pid;
	int in, out;
	char *buf; /* everything read from its stdout */
	size_t len, cap;
	unsigned sync;
	char err_path[160];
	char *err;
	int status;
};

static void session_start(struct session *s, const char *image, const char *args)
{
	int to[2], from[2];
	char cmd[2048];
	const char *runner = getenv("MANIFOLD_RUN");

	memset(s, 0, sizeof(*s));
	snprintf(s->err_path, sizeof(s->err_path), "%s/stderr", work);
	snprintf(cmd, sizeof(cmd), "exec %s %s %s 2>%s", runner ? runner : "", image,
		 args, s->err_path);
	ck_assert_int_eq(pipe(to), 0);
	ck_assert_int_eq(pipe(from), 0);
	s->pid = fork();
	ck_assert(s->pid >= 0);
	if (s->pid == 0) {
		dup2(to[0], STDIN_FILENO);
		dup2(from[1], STDOUT_FILENO);
		close(to[0]);
		close(to[1]);
		close(from[0]);
		close(from[1]);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(to[0]);
	close(from[1]);
	s->in = to[1];
	s->out = from[0];
	s->cap = 65536;
	s->buf = calloc(1, s->cap);
	ck_assert(s->buf != NULL);
}

/* Read until @marker shows up in the output, or end of file; false on timeout. */
static bool read_until(struct session *s, const char *marker)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!marker || !strstr(s->buf, marker)) {
		struct pollfd p = { .fd = s->out, .events = POLLIN };
		long spent;
		ssize_t n;

		clock_gettime(CLOCK_MONOTONIC, &t);
		spent = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
		if (spent >= TIMEOUT_MS || poll(&p, 1, (int)(TIMEOUT_MS - spent)) <= 0)
			return false;
		if (s->len + 4097 > s->cap) {
			s->cap *= 2;
			s->buf = realloc(s->buf, s->cap);
			ck_assert(s->buf != NULL);
		}
		n = read(s->out, s->buf + s->len, 4096);
		if (n <= 0)
			return marker == NULL;
		s->len += (size_t)n;
		s->buf[s->len] = '\0';
	}
	return true;
}

/*
 * Run one console command; returns what it printed (the caller frees it).
 * The image echoes every line it reads, so the echo of the comment after the
 * command shows that the command's output is complete.
 */
static char *cmd(struct session *s, const char *line)
{
	char sync[64], echo[1100], input[1200];
	size_t start;
	char *begin, *end;

	s->sync++;
	snprintf(sync, sizeof(sync), "manifold> # sync %u\n", s->sync);
	snprintf(echo, sizeof(echo), "manifold> %s\n", line);
	snprintf(input, sizeof(input), "%s\n# sync %u\n", line, s->sync);
	start = s->len;
	ck_assert_int_eq(write(s->in, input, strlen(input)), (ssize_t)strlen(input));
	ck_assert_msg(read_until(s, sync), "no answer to '%s'; output so far:\n%s",
		      line, s->buf);
	begin = strstr(s->buf + start, echo);
	ck_assert_msg(begin != NULL, "'%s' not echoed:\n%s", line, s->buf + start);
	begin += strlen(echo);
	end = strstr(begin, sync);
	return strndup(begin, (size_t)(end - begin));
}

/* End of input: the image stops its modules and exits. */
static void session_end(struct session *s)
{
	int status;

	close(s->in);
	ck_assert_msg(read_until(s, NULL), "the image did not exit:\n%s", s->buf);
	close(s->out);
	ck_assert_int_eq(waitpid(s->pid, &status, 0), s->pid);
	s->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	s->err = slurp(s->err_path, NULL);
}

static void session_free(struct session *s)
{
	free(s->buf);
	free(s->err);
}

/* The image of the board under test, on this test's directories. */
static void boot(struct session *s, const char *extra)
{
	char args[512];

	snprintf(args, sizeof(args), "-q -C %s -M %s %s", confdir, moddir, extra ? extra : "");
	session_start(s, env("MANIFOLD_IMAGE"), args);
}

/* Run @line, check that its output holds @want, free it. */
static void expect(struct session *s, const char *line, const char *want)
{
	char *out = cmd(s, line);

	ck_assert_msg(strstr(out, want) != NULL, "'%s' said:\n%s\nwanted:\n%s", line, out, want);
	free(out);
}

/* ---- tests -------------------------------------------------------------- */

START_TEST(image_is_dynamic)
{
	char command[512], buf[1024] = "";
	FILE *fp;

	snprintf(command, sizeof(command), "file -L %s", env("MANIFOLD_IMAGE"));
	fp = popen(command, "r");
	ck_assert(fp != NULL);
	ck_assert(fgets(buf, sizeof(buf), fp) != NULL);
	pclose(fp);
	/* A static musl program cannot dlopen. */
	ck_assert_has(buf, "dynamically linked");
}
END_TEST

START_TEST(autoload_starts_loadable_and_embedded_modules)
{
	struct session s;
	char *out;

	write_conf("[modules]\nautoload=yes\n");
	boot(&s, NULL);
	out = cmd(&s, "module show");
	ck_assert_has(out, "8 modules, 8 running\n");
	ck_assert_uint_eq(count_of(out, " loadable\n"), 4);
	ck_assert_uint_eq(count_of(out, " embedded\n"), 4);
	ck_assert_has(out, "func_uri           URIENCODE and URIDECODE: RFC 3986 percent-encoding         running");
	free(out);
	/* The embedded app_wait on the loadable timer, the better one. */
	expect(&s, "module deps app_wait", "service=timer                    -> res_timing_timerfd (priority 200)");
	expect(&s, "call Wait(1)", "via timerfd");
	session_end(&s);
	ck_assert_int_eq(s.status, 0);
	ck_assert_str_eq(s.err, "");
	session_free(&s);
}
END_TEST

START_TEST(loadable_module_uses_embedded_ones)
{
	struct session s;
	char *out;

	boot(&s, NULL);
	/* Not loaded: what its manifest says. */
	out = cmd(&s, "module show like func_uri");
	ck_assert_has(out, "func_uri URIENCODE and URIDECODE: RFC 3986 percent-encoding stopped   0 core    loadable\n");
	free(out);
	out = cmd(&s, "module load func_periodic_hook");
	ck_assert_has(out,
		"  started   app_chanspy              core       used by func_periodic_hook (module=app_chanspy)\n"
		"  started   func_cut                 core       used by func_periodic_hook (module=func_cut)\n"
		"  started   func_groupcount          core       used by func_periodic_hook (module=func_groupcount)\n"
		"  started   func_uri                 core       used by func_periodic_hook (module=func_uri)\n"
		"  started   func_periodic_hook       core       console: module load\n"
		"Loaded func_periodic_hook\n");
	free(out);
	expect(&s, "call PERIODIC_HOOK(2,URIENCODE,a b)", "a%20b,a%20b\n");
	/* The embedded func_cut cannot go while the loadable module uses it. */
	expect(&s, "module unload func_cut", "in use by module func_periodic_hook");
	out = cmd(&s, "module unload func_periodic_hook");
	ck_assert_has(out,
		"  stopped   func_periodic_hook       core       unloaded\n"
		"  stopped   func_uri                 core       no users left\n"
		"  stopped   func_groupcount          core       no users left\n"
		"  stopped   func_cut                 core       no users left\n"
		"  stopped   app_chanspy              core       no users left\n"
		"Unloaded func_periodic_hook\n");
	free(out);
	/* An unload is a stop: the code stays mapped and starts again. */
	expect(&s, "module load func_periodic_hook", "Loaded func_periodic_hook\n");
	expect(&s, "call PERIODIC_HOOK(1,URIDECODE,a%20b)", "a b\n");
	session_end(&s);
	ck_assert_int_eq(s.status, 0);
	session_free(&s);
}
END_TEST

START_TEST(embedded_module_uses_a_loadable_one)
{
	struct session s;
	char *out;

	boot(&s, NULL);
	out = cmd(&s, "module load app_wait");
	ck_assert_has(out,
		"  started   res_timing_timerfd       core       used by app_wait (service=timer)\n"
		"  started   app_wait                 core       console: module load\n");
	free(out);
	expect(&s, "call Wait(1)", "via timerfd");
	expect(&s, "module unload res_timing_timerfd", "in use by module app_wait");
	out = cmd(&s, "module unload -f res_timing_timerfd");
	ck_assert_has(out,
		"  stopped   app_wait                 core       forced unload\n"
		"  stopped   res_timing_timerfd       core       forced unload\n");
	free(out);
	session_end(&s);
	ck_assert_int_eq(s.status, 0);
	session_free(&s);
}
END_TEST

START_TEST(checksum_mismatch_is_refused)
{
	char so[256], manifest[256], want[72], have[72], line[1024];
	struct session s;
	size_t len;
	char *bytes;

	path_in(so, sizeof(so), "func_uri", ".so");
	path_in(manifest, sizeof(manifest), "func_uri", ".manifest");
	bytes = slurp(so, &len);
	bytes[len / 3] ^= 0x20;
	spew(so, bytes, len);
	free(bytes);
	manifest_checksum(manifest, want);
	sha256sum(so, have);
	ck_assert_str_ne(want, have);

	boot(&s, NULL);
	snprintf(line, sizeof(line),
		 "  FAILED    func_uri: checksum mismatch: its manifest says %s, %s has %s\n",
		 want, so, have);
	expect(&s, "module load func_uri", line);
	expect(&s, "module show like func_uri", "stopped");
	session_end(&s);
	session_free(&s);
}
END_TEST

START_TEST(other_abi_and_signature_are_refused)
{
	const char *fixtures = env("MANIFOLD_TEST_MODULES");
	struct session s;
	char line[512];

	boot(&s, NULL);
	/* Installed while the image runs. */
	install(fixtures, moddir, "fx_badabi");
	install(fixtures, moddir, "fx_badsig");
	snprintf(line, sizeof(line),
		 "  FAILED    fx_badabi: not binary compatible: built for manifold ABI %u, "
		 "this image is ABI %u\n", MANIFOLD_ABI_VERSION + 1, MANIFOLD_ABI_VERSION);
	expect(&s, "module load fx_badabi", line);
	expect(&s, "module load fx_badsig",
	       "  FAILED    fx_badsig: not binary compatible: build signature "
	       "'abi1;ptr8;bo1234;cc some other compiler' differs from the image's");
	expect(&s, "module show like fx_", "2 modules, 0 running");
	session_end(&s);
	session_free(&s);
}
END_TEST

START_TEST(module_installed_while_running_is_loadable)
{
	char stash[128], line[512];
	struct session s;

	/* func_uri is not there when the image boots. */
	snprintf(stash, sizeof(stash), "%s/stash", work);
	ck_assert_int_eq(mkdir(stash, 0755), 0);
	install(moddir, stash, "func_uri");
	path_in(line, sizeof(line), "func_uri", ".so");
	unlink(line);
	path_in(line, sizeof(line), "func_uri", ".manifest");
	unlink(line);

	boot(&s, NULL);
	snprintf(line, sizeof(line), "func_uri: no such module (neither in the image nor in %s)", moddir);
	expect(&s, "module load func_uri", line);
	expect(&s, "call URIENCODE(a b)", "no such function");

	install(stash, moddir, "func_uri");
	expect(&s, "module load func_uri",
	       "  note      func_uri: new in the module directory\n"
	       "  started   func_uri                 core       console: module load\n"
	       "Loaded func_uri\n");
	expect(&s, "call URIENCODE(a b)", "a%20b\n");
	session_end(&s);
	ck_assert_int_eq(s.status, 0);
	session_free(&s);
	remove_tree(stash);
}
END_TEST

START_TEST(removed_module_is_not_loadable)
{
	char path[256];
	struct session s;

	boot(&s, NULL);
	expect(&s, "module load func_uri", "Loaded func_uri\n");
	path_in(path, sizeof(path), "func_uri", ".manifest");
	ck_assert_int_eq(unlink(path), 0);
	expect(&s, "module refresh",
	       "  note      func_uri: its manifest was removed from the module directory: "
	       "it keeps running, but cannot be started again once stopped\n");
	expect(&s, "call URIENCODE(a b)", "a%20b\n");
	expect(&s, "module unload func_uri", "Unloaded func_uri\n");
	expect(&s, "module load func_uri",
	       "  FAILED    func_uri: func_uri cannot start: its manifest was removed "
	       "from the module directory\nUnable to load func_uri\n");
	expect(&s, "call URIENCODE(a b)", "no such function");
	session_end(&s);
	session_free(&s);
}
END_TEST

START_TEST(names_are_never_paths)
{
	char path[256], *text;
	struct session s;

	/* A manifest whose file name is no module name. */
	path_in(path, sizeof(path), "func_uri", ".manifest");
	text = slurp(path, NULL);
	path_in(path, sizeof(path), "../func_uri", ".manifest");
	spew(path, text, strlen(text));
	path_in(path, sizeof(path), "Func-URI", ".manifest");
	spew(path, text, strlen(text));
	free(text);

	boot(&s, NULL);
	expect(&s, "module load ../func_uri", "invalid module name (names are not paths)");
	expect(&s, "module load modules/func_uri", "invalid module name (names are not paths)");
	expect(&s, "module load /usr/lib/func_uri.so", "invalid module name (names are not paths)");
	expect(&s, "module show like func_uri", "stopped");
	/* The file name of a module is accepted, and means its name. */
	expect(&s, "module load func_uri.so", "Loaded func_uri.so\n");
	session_end(&s);
	ck_assert_has(s.err, "'Func-URI' is not a module name");
	/* The manifest one directory up was never read. */
	ck_assert_lacks(s.err, "../func_uri");
	ck_assert_lacks(s.buf, "Func-URI");
	session_free(&s);
	snprintf(path, sizeof(path), "%s/func_uri.manifest", work);
	unlink(path);
}
END_TEST

START_TEST(group_writable_file_needs_p)
{
	char so[256];
	struct session s;

	path_in(so, sizeof(so), "func_uri", ".so");
	ck_assert_int_eq(chmod(so, 0664), 0);
	boot(&s, NULL);
	expect(&s, "module load func_uri",
	       "func_uri.so: writable by group or others (mode 0664); refused");
	session_end(&s);
	session_free(&s);

	boot(&s, "-P");
	expect(&s, "module load func_uri", "Loaded func_uri\n");
	session_end(&s);
	session_free(&s);

	/* The library says what is wrong; the image's boot report adds how
	 * its flag turns the check off. */
	{
		char manifest[256], args[600];

		path_in(manifest, sizeof(manifest), "func_uri", ".manifest");
		ck_assert_int_eq(chmod(manifest, 0664), 0);
		snprintf(args, sizeof(args), "-C %s -M %s", confdir, moddir);
		session_start(&s, env("MANIFOLD_IMAGE"), args);
		expect(&s, "module refresh", "");
		ck_assert_msg(strstr(s.buf, "func_uri.manifest: writable by group or others "
				     "(mode 0664); refused (-P turns this check off)\n"),
			      "boot said:\n%s", s.buf);
		session_end(&s);
		session_free(&s);
	}
}
END_TEST

/*
 * -K maps a file whose manifest's checksum is wrong (a verified file system
 * vouches for it); the image writes the directory's index, which the next
 * boot reads (docs/loadable.md), and -c is no flag any more.
 */
START_TEST(k_skips_checksums_and_the_index_is_written)
{
	char manifest[256], index[256];
	struct session s;
	char *text;

	path_in(manifest, sizeof(manifest), "func_uri", ".manifest");
	set_manifest_checksum(manifest, "sha256:0000000000000000000000000000000000000000000000000000000000000000");
	path_in(index, sizeof(index), "modules", ".index");

	boot(&s, NULL);
	expect(&s, "module load func_uri", "checksum mismatch");
	session_end(&s);
	session_free(&s);
	text = slurp(index, NULL);
	ck_assert_msg(strncmp(text, "manifold-index 1\n", 17) == 0, "index: %.60s", text);
	ck_assert_msg(strstr(text, "\nname=func_uri\n") != NULL, "func_uri not indexed");
	free(text);

	/* From the index, the same checksum, the same refusal; -K maps it. */
	boot(&s, NULL);
	expect(&s, "module load func_uri", "checksum mismatch");
	session_end(&s);
	session_free(&s);
	boot(&s, "-K");
	expect(&s, "module load func_uri", "Loaded func_uri\n");
	session_end(&s);
	session_free(&s);
	boot(&s, "-c x");
	session_end(&s);
	ck_assert_int_eq(s.status, 2);
	session_free(&s);
}
END_TEST

START_TEST(changed_file_needs_a_restart)
{
	char so[256], manifest[256], sum[72];
	struct session s;
	size_t len;
	char *bytes;

	boot(&s, NULL);
	expect(&s, "module load func_uri", "Loaded func_uri\n");
	expect(&s, "module unload func_uri", "Unloaded func_uri\n");
	/* An upgrade lands: a new file and its manifest. */
	path_in(so, sizeof(so), "func_uri", ".so");
	path_in(manifest, sizeof(manifest), "func_uri", ".manifest");
	bytes = slurp(so, &len);
	bytes = realloc(bytes, len + 8);
	ck_assert(bytes != NULL);
	memcpy(bytes + len, "upgrade!", 8);
	spew(so, bytes, len + 8);
	free(bytes);
	sha256sum(so, sum);
	set_manifest_checksum(manifest, sum);
	expect(&s, "module load func_uri",
	       "musl cannot replace code that is mapped, so the new file is not used: "
	       "restart the image to load it");
	session_end(&s);
	session_free(&s);

	/* After a restart, the new file is the one mapped. */
	boot(&s, NULL);
	expect(&s, "module load func_uri", "Loaded func_uri\n");
	session_end(&s);
	session_free(&s);
}
END_TEST

START_TEST(embedded_name_in_the_directory_is_reported_once)
{
	char path[256];
	struct session s;
	static const char manifest[] =
		"[module]\nname=func_cut\nchecksum=sha256:"
		"0000000000000000000000000000000000000000000000000000000000000000\n";

	path_in(path, sizeof(path), "func_cut", ".manifest");
	spew(path, manifest, strlen(manifest));
	boot(&s, NULL);
	expect(&s, "module refresh", "0 changes");
	expect(&s, "module load func_cut", "Loaded func_cut\n");
	expect(&s, "module show like func_cut", " embedded\n");
	session_end(&s);
	ck_assert_uint_eq(count_of(s.err, "func_cut.manifest: module func_cut is built into "
				   "the image already (embedded); keeping that one"), 1);
	ck_assert_lacks(s.buf, "keeping that one");
	session_free(&s);
}
END_TEST

START_TEST(static_image_says_it_cannot_load_module_files)
{
	const char *image = getenv("MANIFOLD_STATIC_IMAGE");
	struct session s;
	char args[512];

	if (!image || !image[0]) {
		fprintf(stderr, "check_image_modules: MANIFOLD_STATIC_IMAGE not set, "
				"static image not checked\n");
		return;
	}
	/* A module file is right there; the image cannot use it. */
	install(env("MANIFOLD_TEST_MODULES"), moddir, "fx_badabi");
	snprintf(args, sizeof(args), "-q -C %s -M %s", confdir, moddir);
	session_start(&s, image, args);
	expect(&s, "module load fx_badabi",
	       "fx_badabi: no such module (this image was built without CONFIG_MODULES: "
	       "it cannot load module files)");
	expect(&s, "module refresh",
	       "module refresh: this image was built without CONFIG_MODULES: it cannot "
	       "load module files");
	session_end(&s);
	ck_assert_has(s.err, "manifold: -M: this image was built without CONFIG_MODULES: "
			     "it cannot load module files\n");
	ck_assert_int_eq(s.status, 0);
	session_free(&s);
}
END_TEST

Suite *make_image_modules_suite(void)
{
	Suite *s = suite_create("image_modules");
	TCase *tc = tcase_create("loadable modules");

	/* The image is killed with the test's process group on a timeout. */
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, image_is_dynamic);
	tcase_add_test(tc, autoload_starts_loadable_and_embedded_modules);
	tcase_add_test(tc, loadable_module_uses_embedded_ones);
	tcase_add_test(tc, embedded_module_uses_a_loadable_one);
	tcase_add_test(tc, checksum_mismatch_is_refused);
	tcase_add_test(tc, other_abi_and_signature_are_refused);
	tcase_add_test(tc, module_installed_while_running_is_loadable);
	tcase_add_test(tc, removed_module_is_not_loadable);
	tcase_add_test(tc, names_are_never_paths);
	tcase_add_test(tc, group_writable_file_needs_p);
	tcase_add_test(tc, changed_file_needs_a_restart);
	tcase_add_test(tc, k_skips_checksums_and_the_index_is_written);
	tcase_add_test(tc, embedded_name_in_the_directory_is_reported_once);
	tcase_add_test(tc, static_image_says_it_cannot_load_module_files);
	suite_add_tcase(s, tc);
	return s;
}

#ifndef MF_CHECK_NO_MAIN
int main(void)
{
	SRunner *sr = srunner_create(make_image_modules_suite());
	int failed;

	signal(SIGPIPE, SIG_IGN);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
#endif
