/* SPDX-License-Identifier: MIT */
/*
 * The control socket (see <manifold/control.h>): the server a running image
 * starts, and the client `manifold -r` / `manifold -x` use.
 *
 * Wire format.  Text flows both ways.  The server ends each answer with a
 * record: a NUL byte, a keyword with its arguments, a newline.  Console
 * output never holds a NUL, so the stream splits without any escaping.
 *
 *   server, on connect   "\0hello manifold 1\n"          admitted
 *                        "REASON\n\0refused\n"            then it hangs up
 *   client, per request  "COMMAND LINE\n"                 as typed at a console
 *                        "\001complete PARTIAL LINE\n"    completion candidates
 *                        "\001width N\n"                  the client's terminal is N
 *                                                        columns wide (0: not one)
 *   server, per request  "OUTPUT\0status N\n"             N: 0 or negative errno
 *                        (for completion, one candidate per output line)
 *
 * A width holds for the connection's later commands, whose tables then fit
 * it as at a console on that terminal.  A server that predates it answers
 * "unknown command" with a negative status, which a client may ignore.
 *
 * One thread serves every connection with poll(); one command runs to its
 * end before the next is read, as at the console.  A command's output is
 * gathered in memory and sent when the command returns: the console prints
 * events while the context lock is held, and a client that stops reading
 * must never stall the loader.  Sends time out (SEND_TIMEOUT_S); a client
 * that cannot keep up is dropped.
 */
#define _GNU_SOURCE /* struct ucred, accept4 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <manifold/control.h>

#include "core/internal.h"
#include "util/strbuf.h"

#define SEND_TIMEOUT_S 5
#define GREETING_TIMEOUT_S 5
/* A command's output beyond this is cut (module show -j of 10,000 modules
 * is about 4 MB). */
#define OUTPUT_MAX (16u << 20)
#define COMPLETE_PREFIX "\001complete "
#define WIDTH_PREFIX "\001width "

/* ---- shared ------------------------------------------------------------- */

static int send_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int make_address(const char *path, struct sockaddr_un *sa)
{
	size_t len = strlen(path);

	if (len == 0)
		return -EINVAL;
	if (len >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, path, len + 1);
	return 0;
}

static void set_timeout(int fd, int opt, unsigned seconds)
{
	struct timeval tv = { .tv_sec = seconds };

	setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof(tv));
}

bool mf_control_uid_allowed(uid_t self, const uid_t *uids, size_t n_uids,
			    uid_t peer)
{
	if (peer == 0 || peer == self)
		return true;
	for (size_t i = 0; i < n_uids; i++)
		if (uids[i] == peer)
			return true;
	return false;
}

/* ---- server ------------------------------------------------------------- */

struct client {
	int fd;
	uid_t uid;
	unsigned width; /* its terminal's columns (WIDTH_PREFIX); 0: none */
	size_t len;
	bool discarding; /* the line is too long: skip to its end */
	char line[MF_CONTROL_LINE_MAX + 1];
};

struct mf_control {
	struct mf_context *ctx;
	char *path;
	int fd;
	int wake[2];
	pthread_t thread;
	uid_t self;
	uid_t *uids;
	size_t n_uids;
	dev_t dev; /* the socket file this server made, to remove only it */
	ino_t ino;
	struct client clients[MF_CONTROL_MAX_CLIENTS];
	size_t n_clients;
};

/* A command's answer, gathered whole before it is sent. */
struct answer {
	struct mf_strbuf text;
	bool truncated; /* past OUTPUT_MAX: the rest was dropped */
};

static void answer_add(struct answer *a, const char *text, size_t n)
{
	if (a->truncated)
		return;
	if (a->text.len + n > OUTPUT_MAX) {
		a->truncated = true;
		return;
	}
	mf_strbuf_add(&a->text, text, n);
}

static void out_text(void *data, const char *text)
{
	answer_add(data, text, strlen(text));
}

static void out_candidate(void *data, const char *candidate)
{
	answer_add(data, candidate, strlen(candidate));
	answer_add(data, "\n", 1);
}

/* "N": a terminal's width, at most 4 digits. */
static int parse_width(const char *s, unsigned *width)
{
	size_t n = strspn(s, "0123456789");

	if (n == 0 || n > 4 || s[n])
		return -EINVAL;
	*width = (unsigned)atoi(s);
	return 0;
}

/* Run one request and send its answer.  0, or -errno: drop the client. */
static int serve_line(struct mf_control *ctl, struct client *cl, const char *line)
{
	struct answer a = { .text = MF_STRBUF_INIT };
	int status, err;

	struct mf_console_out o = { .out = out_text, .data = &a, .width = cl->width };

	if (strncmp(line, COMPLETE_PREFIX, strlen(COMPLETE_PREFIX)) == 0)
		status = mf_console_complete(ctl->ctx, line + strlen(COMPLETE_PREFIX),
					     out_candidate, &a);
	else if (strncmp(line, WIDTH_PREFIX, strlen(WIDTH_PREFIX)) == 0)
		status = parse_width(line + strlen(WIDTH_PREFIX), &cl->width);
	else
		status = mf_console_run(ctl->ctx, line, &o);
	/* Past OUTPUT_MAX only the closing note and the record. */
	if (a.truncated)
		mf_strbuf_printf(&a.text, "\n... output cut at %u bytes\n", OUTPUT_MAX);
	mf_strbuf_addch(&a.text, '\0'); /* the record's NUL */
	mf_strbuf_printf(&a.text, "status %d\n", status);
	err = a.text.oom ? -ENOMEM : send_all(cl->fd, a.text.p, a.text.len);
	mf_strbuf_release(&a.text);
	return err;
}

/* Read what a client sent and serve each whole line.  -errno: drop it. */
static int serve_client(struct mf_control *ctl, struct client *cl)
{
	char buf[4096];
	ssize_t n = read(cl->fd, buf, sizeof(buf));
	int err = 0;

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n <= 0)
		return n == 0 ? -ECONNRESET : -errno;
	for (ssize_t i = 0; i < n && err == 0; i++) {
		if (buf[i] != '\n') {
			if (cl->len < MF_CONTROL_LINE_MAX)
				cl->line[cl->len++] = buf[i];
			else
				cl->discarding = true;
			continue;
		}
		if (cl->discarding) {
			char msg[128];
			int len = snprintf(msg, sizeof(msg),
					   "command too long (max %d bytes)\n%cstatus %d\n",
					   MF_CONTROL_LINE_MAX, '\0', -E2BIG);

			err = send_all(cl->fd, msg, (size_t)len);
		} else {
			if (cl->len && cl->line[cl->len - 1] == '\r')
				cl->len--;
			cl->line[cl->len] = '\0';
			err = serve_line(ctl, cl, cl->line);
		}
		cl->len = 0;
		cl->discarding = false;
	}
	return err;
}

static void refuse(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void refuse(int fd, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg) - 16, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n > sizeof(msg) - 16)
		n = (int)(sizeof(msg) - 16);
	memcpy(msg + n, "\n\0refused\n", 10);
	send_all(fd, msg, (size_t)n + 10);
	close(fd);
}

static void accept_one(struct mf_control *ctl)
{
	static const char hello[] = "\0hello manifold " MF_STRINGIFY(MF_CONTROL_VERSION) "\n";
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct client *cl;
	int fd = accept4(ctl->fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	set_timeout(fd, SO_SNDTIMEO, SEND_TIMEOUT_S);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		MF_WARN(ctl->ctx, "%s: cannot tell who connected: %s", ctl->path,
			strerror(errno));
		refuse(fd, "cannot tell who you are");
		return;
	}
	if (!mf_control_uid_allowed(ctl->self, ctl->uids, ctl->n_uids, cred.uid)) {
		MF_LOG(ctl->ctx, MF_LOG_NOTICE, "%s: refused uid %u (pid %d)",
		       ctl->path, (unsigned)cred.uid, (int)cred.pid);
		refuse(fd, "uid %u may not use this control socket "
			   "(allowed: root, uid %u and the uids it was told to admit)",
		       (unsigned)cred.uid, (unsigned)ctl->self);
		return;
	}
	if (ctl->n_clients == MF_CONTROL_MAX_CLIENTS) {
		refuse(fd, "too many connections (max %d)",
		       MF_CONTROL_MAX_CLIENTS);
		return;
	}
	if (send_all(fd, hello, sizeof(hello) - 1) < 0) {
		close(fd);
		return;
	}
	cl = &ctl->clients[ctl->n_clients++];
	cl->fd = fd;
	cl->uid = cred.uid;
	cl->width = 0;
	cl->len = 0;
	cl->discarding = false;
}

static void drop_client(struct mf_control *ctl, size_t i)
{
	close(ctl->clients[i].fd);
	ctl->clients[i] = ctl->clients[--ctl->n_clients];
}

static void *serve(void *arg)
{
	struct mf_control *ctl = arg;
	struct pollfd pfd[2 + MF_CONTROL_MAX_CLIENTS];

	for (;;) {
		size_t n = ctl->n_clients;

		pfd[0] = (struct pollfd){ .fd = ctl->wake[0], .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = ctl->fd, .events = POLLIN };
		for (size_t i = 0; i < n; i++)
			pfd[2 + i] = (struct pollfd){ .fd = ctl->clients[i].fd,
						      .events = POLLIN };
		if (poll(pfd, 2 + n, -1) < 0) {
			if (errno == EINTR)
				continue;
			MF_ERR(ctl->ctx, "%s: poll: %s", ctl->path, strerror(errno));
			break;
		}
		if (pfd[0].revents)
			break;
		/* Last first: dropping one moves the last into its place, and
		 * that one has had its turn already. */
		for (size_t i = n; i-- > 0;)
			if (pfd[2 + i].revents && serve_client(ctl, &ctl->clients[i]) < 0)
				drop_client(ctl, i);
		if (pfd[1].revents & POLLIN)
			accept_one(ctl);
	}
	return NULL;
}

/*
 * Make room at @path: nothing there, or a socket nobody listens on (left by
 * an image that died), which is removed.  Anything else stays.
 */
static int clear_stale(struct mf_context *ctx, const char *path,
		       const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, err;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		err = -errno;
		MF_ERR(ctx, "%s: %s", path, strerror(-err));
		return err;
	}
	if (!S_ISSOCK(st.st_mode)) {
		MF_ERR(ctx, "%s: exists and is not a socket; not replacing it", path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	err = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0 ? 0 : -errno;
	close(fd);
	if (err == 0 || err == -EAGAIN) {
		MF_ERR(ctx, "%s: another process is listening there", path);
		return -EADDRINUSE;
	}
	if (err != -ECONNREFUSED) {
		MF_ERR(ctx, "%s: cannot tell whether it is in use: %s", path,
		       strerror(-err));
		return err;
	}
	if (unlink(path) < 0 && errno != ENOENT) {
		err = -errno;
		MF_ERR(ctx, "%s: cannot remove the stale socket: %s", path,
		       strerror(-err));
		return err;
	}
	MF_INFO(ctx, "%s: replaced a stale control socket", path);
	return 0;
}

int mf_control_start(struct mf_context *ctx, const char *path,
		     const uid_t *uids, size_t n_uids, struct mf_control **out)
{
	struct mf_control *ctl;
	struct sockaddr_un sa;
	struct stat st;
	mode_t old_mask;
	int err;

	err = make_address(path, &sa);
	if (err < 0) {
		MF_ERR(ctx, "%s: %s", path[0] ? path : "(empty path)",
		       err == -ENAMETOOLONG ? "socket path too long" : "no socket path");
		return err;
	}
	ctl = mf_calloc(1, sizeof(*ctl));
	if (!ctl)
		return -ENOMEM;
	ctl->fd = ctl->wake[0] = ctl->wake[1] = -1;
	ctl->self = geteuid();
	ctl->path = mf_strdup(path);
	ctl->uids = mf_calloc(n_uids ? n_uids : 1, sizeof(*uids));
	if (!ctl->path || !ctl->uids) {
		err = -ENOMEM;
		goto err_free;
	}
	if (n_uids)
		memcpy(ctl->uids, uids, n_uids * sizeof(*uids));
	ctl->n_uids = n_uids;

	err = clear_stale(ctx, path, &sa);
	if (err < 0)
		goto err_free;
	ctl->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (ctl->fd < 0) {
		err = -errno;
		MF_ERR(ctx, "%s: socket: %s", path, strerror(-err));
		goto err_free;
	}
	/* Owner-only from the first moment: the mode comes from the umask at
	 * bind(); the chmod makes sure whatever the umask was.  Admitting
	 * other uids means letting them reach the socket: then anyone may
	 * connect, and the peer check alone decides. */
	old_mask = umask(0177);
	err = bind(ctl->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
	umask(old_mask);
	if (err < 0) {
		MF_ERR(ctx, "%s: bind: %s", path, strerror(-err));
		goto err_close;
	}
	if (chmod(path, n_uids ? 0666 : 0600) < 0 || lstat(path, &st) < 0) {
		err = -errno;
		MF_ERR(ctx, "%s: %s", path, strerror(-err));
		goto err_unlink;
	}
	ctl->dev = st.st_dev;
	ctl->ino = st.st_ino;
	if (listen(ctl->fd, 8) < 0 || pipe2(ctl->wake, O_CLOEXEC) < 0) {
		err = -errno;
		MF_ERR(ctx, "%s: %s", path, strerror(-err));
		goto err_unlink;
	}
	ctl->ctx = mf_context_ref(ctx);
	err = -pthread_create(&ctl->thread, NULL, serve, ctl);
	if (err < 0) {
		MF_ERR(ctx, "%s: cannot start its thread: %s", path, strerror(-err));
		goto err_unref;
	}
	*out = ctl;
	return 0;

err_unref:
	mf_context_unref(ctl->ctx);
	close(ctl->wake[0]);
	close(ctl->wake[1]);
err_unlink:
	unlink(path);
err_close:
	close(ctl->fd);
err_free:
	mf_free(ctl->uids);
	mf_free(ctl->path);
	mf_free(ctl);
	return err;
}

void mf_control_stop(struct mf_control *ctl)
{
	struct stat st;

	if (!ctl)
		return;
	while (write(ctl->wake[1], "x", 1) < 0 && errno == EINTR)
		;
	pthread_join(ctl->thread, NULL);
	while (ctl->n_clients)
		drop_client(ctl, ctl->n_clients - 1);
	close(ctl->fd);
	close(ctl->wake[0]);
	close(ctl->wake[1]);
	/* Only our own socket: a newer image may have taken the path since. */
	if (lstat(ctl->path, &st) == 0 && st.st_dev == ctl->dev && st.st_ino == ctl->ino)
		unlink(ctl->path);
	mf_context_unref(ctl->ctx);
	mf_free(ctl->uids);
	mf_free(ctl->path);
	mf_free(ctl);
}

/* ---- client ------------------------------------------------------------- */

struct mf_control_client {
	int fd;
	size_t start, end; /* unread bytes in buf */
	char buf[4096];
};

static int client_fill(struct mf_control_client *cl)
{
	ssize_t n;

	do
		n = read(cl->fd, cl->buf, sizeof(cl->buf));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN ? -ETIMEDOUT : -errno;
	if (n == 0)
		return -ECONNRESET;
	cl->start = 0;
	cl->end = (size_t)n;
	return 0;
}

/*
 * Read one answer: text up to the NUL (to @out, line by line; a last line
 * without newline is passed as it is), then the record up to its newline.
 */
static int read_answer(struct mf_control_client *cl, mf_out_fn out, void *data,
		       char *rec, size_t reclen)
{
	/* Whole lines of the answer's text go to @out as they complete. */
	struct mf_strbuf lb = MF_STRBUF_INIT;
	size_t rlen = 0;
	bool in_record = false;
	int err = 0;

	for (;;) {
		char c;

		if (cl->start == cl->end) {
			err = client_fill(cl);
			if (err < 0)
				break;
		}
		c = cl->buf[cl->start++];
		if (in_record) {
			if (c == '\n')
				break;
			if (rlen + 1 < reclen)
				rec[rlen++] = c;
			continue;
		}
		if (c == '\0') {
			if (lb.len && out)
				out(data, lb.p);
			in_record = true;
			continue;
		}
		mf_strbuf_addch(&lb, c);
		if (lb.oom) {
			err = -ENOMEM;
			break;
		}
		if (c == '\n') {
			if (out)
				out(data, lb.p);
			mf_strbuf_reset(&lb);
		}
	}
	rec[rlen] = '\0';
	mf_strbuf_release(&lb);
	return err;
}

struct reason {
	char *buf;
	size_t len;
};

static void keep_reason(void *data, const char *text)
{
	struct reason *r = data;

	/* The first line says it. */
	if (r->buf[0] == '\0')
		snprintf(r->buf, r->len, "%.*s", (int)strcspn(text, "\n"), text);
}

int mf_control_connect(const char *path, struct mf_control_client **out,
		       char *err, size_t errlen)
{
	struct mf_control_client *cl;
	struct sockaddr_un sa;
	char rec[64], why[512] = "";
	struct reason reason = { why, sizeof(why) };
	unsigned version;
	int r;

	r = make_address(path, &sa);
	if (r < 0) {
		snprintf(err, errlen, "%s: %s", path, r == -EINVAL ? "no socket path" :
			 "socket path too long");
		return r;
	}
	cl = mf_calloc(1, sizeof(*cl));
	if (!cl) {
		snprintf(err, errlen, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	cl->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (cl->fd < 0 || connect(cl->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot connect to %s: %s%s", path, strerror(-r),
			 r == -ENOENT || r == -ECONNREFUSED ? " (is the image running?)" : "");
		goto err_free;
	}
	/* Something that is not an image could keep quiet forever. */
	set_timeout(cl->fd, SO_RCVTIMEO, GREETING_TIMEOUT_S);
	r = read_answer(cl, keep_reason, &reason, rec, sizeof(rec));
	if (r < 0) {
		snprintf(err, errlen, "%s: %s", path, why[0] ? why :
			 r == -ECONNRESET ? "closed without a greeting" : strerror(-r));
		r = why[0] ? -EACCES : -EPROTO;
		goto err_free;
	}
	if (strcmp(rec, "refused") == 0) {
		snprintf(err, errlen, "%s", why[0] ? why : "refused");
		r = -EACCES;
		goto err_free;
	}
	if (sscanf(rec, "hello manifold %u", &version) != 1 ||
	    version != MF_CONTROL_VERSION) {
		snprintf(err, errlen, "%s: not a manifold control socket (version %d) "
			 "answers there", path, MF_CONTROL_VERSION);
		r = -EPROTO;
		goto err_free;
	}
	set_timeout(cl->fd, SO_RCVTIMEO, 0);
	*out = cl;
	return 0;

err_free:
	if (cl->fd >= 0)
		close(cl->fd);
	mf_free(cl);
	return r;
}

static int request(struct mf_control_client *cl, const char *prefix,
		   const char *line, mf_out_fn out, void *data, int *status)
{
	size_t len = strlen(line), plen = strlen(prefix);
	char rec[64], *msg;
	int err;

	if (len && line[len - 1] == '\n')
		len--;
	if (memchr(line, '\n', len) || len + plen > MF_CONTROL_LINE_MAX)
		return -EINVAL;
	msg = mf_malloc(plen + len + 1);
	if (!msg)
		return -ENOMEM;
	memcpy(msg, prefix, plen);
	memcpy(msg + plen, line, len);
	msg[plen + len] = '\n';
	err = send_all(cl->fd, msg, plen + len + 1);
	mf_free(msg);
	if (err == -EPIPE)
		err = -ECONNRESET;
	if (err == 0)
		err = read_answer(cl, out, data, rec, sizeof(rec));
	if (err == 0 && sscanf(rec, "status %d", status) != 1)
		err = -EPROTO;
	return err;
}

int mf_control_exec(struct mf_control_client *cl, const char *line,
		    mf_out_fn out, void *data, int *status)
{
	return request(cl, "", line, out, data, status);
}

struct candidates {
	void (*fn)(void *data, const char *candidate);
	void *data;
};

static void one_candidate(void *data, const char *text)
{
	struct candidates *c = data;
	char word[MF_CONTROL_LINE_MAX + 1];

	snprintf(word, sizeof(word), "%.*s", (int)strcspn(text, "\n"), text);
	if (word[0])
		c->fn(c->data, word);
}

int mf_control_complete(struct mf_control_client *cl, const char *line,
			void (*fn)(void *data, const char *candidate),
			void *data)
{
	struct candidates c = { fn, data };
	int status = 0, err;

	err = request(cl, COMPLETE_PREFIX, line, one_candidate, &c, &status);
	return err < 0 ? err : status;
}

int mf_control_set_width(struct mf_control_client *cl, unsigned width)
{
	char line[32];
	int status = 0, err;

	snprintf(line, sizeof(line), "%u", width > 9999 ? 9999 : width);
	err = request(cl, WIDTH_PREFIX, line, NULL, NULL, &status);
	return err < 0 ? err : status;
}

void mf_control_close(struct mf_control_client *cl)
{
	if (!cl)
		return;
	close(cl->fd);
	mf_free(cl);
}
