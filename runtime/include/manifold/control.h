/* SPDX-License-Identifier: MIT */
/*
 * The control socket: a running image serves its console on a Unix socket,
 * so that a second invocation (`manifold -r`, `manifold -x CMD`) can
 * administer it, as `asterisk -r` / `asterisk -rx` do.  Commands run through
 * mf_console_exec(), so they print exactly what the console prints.
 *
 * The socket is created owner-only (0600); a peer is admitted when its uid
 * (SO_PEERCRED) is root, the image's own, or one given to the server, in
 * which case the socket is 0666 so that those can reach it at all and the
 * uid check alone decides.  The wire format is described at the top of
 * runtime/control.c.
 */
#ifndef MANIFOLD_CONTROL_H
#define MANIFOLD_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <manifold/console.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The protocol version in the greeting; bumped on incompatible changes. */
#define MF_CONTROL_VERSION 1
/* Longest command line accepted, without its newline. */
#define MF_CONTROL_LINE_MAX 4096
/* Connections served at once; more are refused with a message. */
#define MF_CONTROL_MAX_CLIENTS 16

/* ---- server (the running image) ----------------------------------------- */

struct mf_control;

/*
 * Listen on @path and serve connections on a thread of its own until
 * mf_control_stop().  @uids (n_uids of them, may be NULL) are admitted
 * besides root and the calling process's effective uid; the socket file is
 * 0600 without them, 0666 with them.  A socket file left
 * at @path by a dead image is replaced; one that someone listens on is
 * -EADDRINUSE, and a path that is not a socket is -EEXIST (never removed).
 * Reasons go to the context's log.  0 or negative errno.
 */
int mf_control_start(struct mf_context *ctx, const char *path,
		     const uid_t *uids, size_t n_uids, struct mf_control **out);
/* Close every connection, stop the thread, remove the socket file.  NULL ok. */
void mf_control_stop(struct mf_control *ctl);

/* The admission rule: root, @self, or one of @uids. */
bool mf_control_uid_allowed(uid_t self, const uid_t *uids, size_t n_uids,
			    uid_t peer);

/* ---- client (manifold -r / -x) ------------------------------------------- */

struct mf_control_client;

/*
 * Connect to the image listening on @path and wait for its greeting.
 * 0; -EACCES when the image refused this process (its reason, as it sent
 * it, in @err); -EPROTO when what answers is not a manifold control socket;
 * else the -errno of socket()/connect() (-ENOENT, -ECONNREFUSED: no image).
 * @err always says why in one line.
 */
int mf_control_connect(const char *path, struct mf_control_client **out,
		       char *err, size_t errlen);

/*
 * Run one command line in the image.  @out receives its output, whole lines,
 * as they arrive; *status the command's result (0 or the negative errno that
 * mf_console_exec() returned).  0, -EINVAL for a line with a newline or NUL
 * inside, or negative errno when the connection failed (-ECONNRESET: the
 * image went away).
 */
int mf_control_exec(struct mf_control_client *cl, const char *line,
		    mf_out_fn out, void *data, int *status);

/*
 * Tell the image that this client's output is a terminal @width columns
 * wide (0: not a terminal), so that the tables of later commands fit it
 * (struct mf_console_out's width).  0, a negative status when the image
 * does not know the request (an older image: its tables are not cut), or
 * negative errno when the connection failed.
 */
int mf_control_set_width(struct mf_control_client *cl, unsigned width);

/* mf_console_complete(), asked of the image. */
int mf_control_complete(struct mf_control_client *cl, const char *line,
			void (*fn)(void *data, const char *candidate),
			void *data);

void mf_control_close(struct mf_control_client *cl);

#ifdef __cplusplus
}
#endif
#endif
