/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/base.h - layer 1 (base): what every file of lib/ needs, declared by
 * the file that defines it (util.c, log.c, ctx.c, fault.c, parse.c, tag.c,
 * iface.c).  Each layer's header includes the one below it and each file
 * of lib/ includes the header of its own layer (lib/README.md), so that a
 * file cannot call a higher layer.  Nothing here is exported from
 * libmvlink.so; the tests link the same objects through the
 * libmvlink-internal.la convenience library.
 */
#ifndef MVLINK_BASE_H
#define MVLINK_BASE_H

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "mvlink.h"

#define MVL_EXPORT __attribute__((visibility("default")))

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline void mvl_freep(void *p)
{
	free(*(void **)p);
}
static inline void mvl_closep(int *fd)
{
	if (*fd >= 0) {
		int e = errno;
		close(*fd);
		errno = e;
	}
}
#define _cleanup_free_ _cleanup_(mvl_freep)
#define _cleanup_close_ _cleanup_(mvl_closep)

static inline void *mvl_take_ptr(void *pp)
{
	void **p = pp, *v = *p;
	*p = NULL;
	return v;
}
#define TAKE_PTR(p) mvl_take_ptr(&(p))
static inline int mvl_take_fd(int *fd)
{
	int v = *fd;
	*fd = -1;
	return v;
}
#define TAKE_FD(fd) mvl_take_fd(&(fd))

/* ---- util.c ----------------------------------------------------------- */
/* mkdir -p @path: 0755 above it, @mode for @path itself; what exists is
 * left as it is.  @before (NULL: none) is called before each directory
 * made (a missing one seen with access()), and a negative return stops it
 * (fault injection: each is a step).  0 or -errno. */
int mvl_mkdir_p(const char *path, mode_t mode, int (*before)(void *data), void *data);
/* Like strerror but thread-safe, for messages. */
const char *mvl_strerror(int err, char *buf, size_t len);
#define MVL_STRERROR(err) mvl_strerror(err, (char[128]){0}, 128)
/* Read a whole small file into a NUL-terminated buffer (trailing newline
 * stripped).  Returns length or negative errno. */
int mvl_read_file(const char *path, char *buf, size_t len);
/* Write @value to @path (open O_WRONLY|O_CLOEXEC, one write).  Returns 0 or
 * negative errno.  Does not call mvl_step(); see mvl_sysfs_write(). */
int mvl_write_file(const char *path, const char *value);
/* Parse an unsigned decimal (whole string). */
int mvl_parse_uint(const char *s, unsigned long max, unsigned long *ret);
/* Random bytes from getrandom(). */
int mvl_random_bytes(void *buf, size_t len);
/* Room for element @n of array @v of @size-byte elements and capacity
 * *@cap (@first, then doubled): the array, moved maybe, or NULL when out
 * of memory (@v is then as it was, still the caller's). */
void *mvl_grow(void *v, size_t *cap, size_t n, size_t size, size_t first);

/* ---- log.c: the default log sink and the priority names --------------- */
/* The sink of a context without a log function: stderr. */
void mvl_log_stderr(struct mvl_ctx *ctx, int priority, const char *file, int line, const char *fn,
		    const char *format, va_list args);
/* MVLINK_LOG: a number or a name ("debug", "warn"...); -EINVAL for none. */
int mvl_log_priority_from_string(const char *s);

/* ---- ctx.c: the context and the error of the current call ------------- */
/* The layout of struct mvl_ctx is ctx.c's alone.  Other files read its
 * paths with mvl_ctx_get_state_dir(), mvl_ctx_get_sysfs_root(),
 * mvl_ctx_get_dev_root(), its message with mvl_ctx_get_error() and its log
 * priority with mvl_ctx_get_log_priority() (mvlink.h), and the rest with
 * the functions below. */

/* The size of the context's message (and of any copy of it). */
#define MVL_ERRMSG_LEN 1024

/* Log through the context's function (or mvl_log_stderr()). */
void mvl_log(struct mvl_ctx *ctx, int priority, const char *file, int line, const char *fn,
	     const char *format, ...) _printf_(6, 7);

#define mvl_log_cond(ctx, prio, ...)                                                      \
	do {                                                                              \
		if (mvl_ctx_get_log_priority(ctx) >= (prio))                             \
			mvl_log(ctx, prio, __FILE__, __LINE__, __func__, __VA_ARGS__); \
	} while (0)
#define dbg(ctx, ...) mvl_log_cond(ctx, LOG_DEBUG, __VA_ARGS__)
#define info(ctx, ...) mvl_log_cond(ctx, LOG_INFO, __VA_ARGS__)
#define warn(ctx, ...) mvl_log_cond(ctx, LOG_WARNING, __VA_ARGS__)

/*
 * mvl_fail - record the message of a failure in ctx (retrievable through
 * mvl_ctx_get_error()), log it at debug level and return @err (negative).
 */
int mvl_fail(struct mvl_ctx *ctx, int err, const char *format, ...) _printf_(3, 4);
/* No failure after all: the message emptied. */
void mvl_ctx_clear_error(struct mvl_ctx *ctx);
/* Start of every public entry point that takes a context: resets the error
 * state and refuses a context inherited through fork() (-ECHILD). */
int mvl_ctx_enter(struct mvl_ctx *ctx);
/* The process that made the context (mvl_ctx_enter() refuses any other). */
pid_t mvl_ctx_pid(struct mvl_ctx *ctx);
/* Record that an undo step failed (logged as a warning). */
void mvl_undo_failed(struct mvl_ctx *ctx, const char *format, ...) _printf_(2, 3);
/*
 * An undo path: the first failure of a call is its error, and undoing it
 * must not replace it.  Between mvl_undo_begin() and the matching
 * mvl_undo_end() (they nest) failures set the message as usual, for the
 * undo's own warning; mvl_undo_end() of the outermost puts back the
 * message of the failure being undone.
 */
void mvl_undo_begin(struct mvl_ctx *ctx);
void mvl_undo_end(struct mvl_ctx *ctx);

/* The first failure of a run that carries on past failures: its errno and
 * the context's message at the time. */
struct mvl_first_err {
	int err;
	char msg[MVL_ERRMSG_LEN];
};
/* Keep @r and the context's message when @r < 0 and none is kept yet. */
void mvl_first_err_note(struct mvl_ctx *ctx, struct mvl_first_err *fe, int r);
/* The kept failure with its message back in the context; 0 when none. */
int mvl_first_err_get(struct mvl_ctx *ctx, const struct mvl_first_err *fe);

/*
 * What files above ctx.c keep in a context, each in a struct of its own
 * whose layout is that file's: NULL until the file sets it (on first use),
 * freed by mvl_ctx_unref() with the function set with it (or by the next
 * mvl_ctx_set_part() of the same part).
 */
enum mvl_ctx_part {
	MVL_CTX_NL,       /* netlink.c: the rtnetlink socket */
	MVL_CTX_STATEDIR, /* statedir.c: what it knows of the state directory,
			   * dropped when the directory changes */
	MVL_CTX_OWNER,    /* owner.c: this process's stamp for journals */
	MVL_CTX_PARTS
};
void *mvl_ctx_part(struct mvl_ctx *ctx, enum mvl_ctx_part part);
void mvl_ctx_set_part(struct mvl_ctx *ctx, enum mvl_ctx_part part, void *data,
		      void (*free_fn)(void *data));

/* opendir() @dir into *@ret: 1, or 0 when it does not exist (*@ret NULL),
 * or -errno with a message. */
int mvl_opendir(struct mvl_ctx *ctx, const char *dir, DIR **ret);
/* Human wording for cryptic kernel errnos (EXFULL from a bridge...), or NULL. */
const char *mvl_link_errno_hint(int err);
/* libbpf-style option struct check: @sz at least up to @min_end and every
 * byte past what this library knows (@known) zero. */
bool mvl_opts_valid(const void *opts, size_t sz, size_t min_end, size_t known);
#define MVL_OPTS_VALID(opts, type, first_field)                                      \
	((opts) && mvl_opts_valid(opts, (opts)->sz,                                   \
				  offsetof(type, first_field) + sizeof((opts)->first_field), \
				  sizeof(type)))

/* ---- fault.c: fault injection for tests ------------------------------ */
/*
 * mvl_step - called before every kernel-changing step (netlink request,
 * ioctl, sysfs write, open, journal write).  Normally returns 0.  With
 * fault injection armed (mvl_fault(ctx)->step = k, testhooks.h, set by
 * tests or, in builds with --enable-fault-injection, MVLINK_FAULT_STEP=k),
 * the k-th step returns -mvl_fault(ctx)->err (default EIO) or, with
 * ->kill, kills the process with SIGKILL.  @what names the step for the
 * log.
 */
int mvl_step(struct mvl_ctx *ctx, const char *what);

/* ---- parse.c: what users type (the public checks are in mvlink.h) ---- */
/* -EINVAL with the one message for a VM id that mvl_vm_id_check() refuses,
 * @where (e.g. " in the keep list", or NULL) after the id. */
int mvl_fail_vm_id(struct mvl_ctx *ctx, const char *vm_id, const char *where);

/* ---- tag.c ------------------------------------------------------------ */
/* The tag mvlink writes into IFLA_IFALIAS of every object it creates. */
#define MVL_TAG_PREFIX "mvlink:"
/* "mvlink:vm=<id>;mode=<mode>" into buf. */
int mvl_tag_format(char *buf, size_t len, const char *vm_id, enum mvl_mode mode);
/* Parse an alias; returns 1 when it is an mvlink tag (vm id copied, mode
 * set), 0 when it is not. */
int mvl_tag_parse(const char *alias, char *vm_id, size_t len, enum mvl_mode *mode);
/* An extra field ";@key=value" of an mvlink tag: returns 1 and the value in
 * @buf, 0 when absent, -ENAMETOOLONG when it does not fit. */
int mvl_tag_get_field(const char *alias, const char *key, char *buf, size_t len);

/* ---- iface.c ---------------------------------------------------------- */
struct mvl_iface {
	int refcount;
	enum mvl_mode mode;
	char *name;
	char *vm_id;
	char *link;
	char *devnode;
	int ifindex;
	uint8_t mac[6];
	unsigned mtu;
	bool adopted;
	int iommu_group;
	unsigned n_fds;
	int *fds;
};
struct mvl_iface *mvl_iface_new(enum mvl_mode mode, const char *name, const char *vm_id);
int mvl_iface_set_str(char **field, const char *value);
/* A growing list of interfaces (the listings' result). */
struct mvl_iface_list {
	size_t n, cap;
	struct mvl_iface **items;
};
int mvl_iface_list_add(struct mvl_iface_list *list, struct mvl_iface *iface);

#endif
