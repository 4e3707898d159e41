// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ctx.c - the library context: reference count, configuration paths,
 * logging through its callback, the error state of the last call, the
 * fork() guard, and the parts other files keep in it.  Its layout is this
 * file's alone.
 */
#include <stdarg.h>

#include "base.h"
#include "testhooks.h"

/* The layout is this file's alone: other files go through the functions
 * of base.h (and mvlink.h's getters). */
struct mvl_ctx {
	int refcount;
	pid_t pid;
	mvl_log_fn log_fn;
	void *log_data;
	int log_priority;
	char *state_dir;
	char *sysfs_root;
	char *dev_root;
	char errmsg[MVL_ERRMSG_LEN];
	bool undo_failed;
	/* inside mvl_undo_begin()/end(): the message kept meanwhile */
	unsigned undo_depth;
	char undo_kept[MVL_ERRMSG_LEN];
	/* what files above keep in the context (enum mvl_ctx_part) */
	struct {
		void *data;
		void (*free_fn)(void *data);
	} part[MVL_CTX_PARTS];
	struct mvl_test_seams test; /* see base.h */
};

static int set_path(char **field, const char *path)
{
	char *copy;

	if (!path || path[0] != '/')
		return -EINVAL;
	copy = strdup(path);
	if (!copy)
		return -ENOMEM;
	/* strip trailing slashes but keep "/" */
	for (size_t n = strlen(copy); n > 1 && copy[n - 1] == '/'; n--)
		copy[n - 1] = '\0';
	free(*field);
	*field = copy;
	return 0;
}

MVL_EXPORT int mvl_ctx_new(struct mvl_ctx **ret_ctx)
{
	struct mvl_ctx *ctx;
	const char *env;

	if (!ret_ctx)
		return -EINVAL;
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	ctx->refcount = 1;
	ctx->pid = getpid();
	ctx->log_priority = LOG_ERR;
	env = secure_getenv("MVLINK_LOG");
	if (env) {
		int p = mvl_log_priority_from_string(env);
		if (p >= 0)
			ctx->log_priority = p;
	}
	env = secure_getenv("MVLINK_STATE_DIR");
	if (set_path(&ctx->state_dir, env && env[0] ? env : "/run/mvlink") < 0 ||
	    set_path(&ctx->sysfs_root, "/sys") < 0 || set_path(&ctx->dev_root, "/dev") < 0) {
		mvl_ctx_unref(ctx);
		return -ENOMEM;
	}
	*ret_ctx = ctx;
	return 0;
}

MVL_EXPORT struct mvl_ctx *mvl_ctx_ref(struct mvl_ctx *ctx)
{
	if (ctx)
		ctx->refcount++;
	return ctx;
}

MVL_EXPORT struct mvl_ctx *mvl_ctx_unref(struct mvl_ctx *ctx)
{
	if (!ctx || --ctx->refcount > 0)
		return NULL;
	/* After fork() the rtnetlink socket belongs to the parent too: closing
	 * our copy of the fd is harmless, and the memory is ours. */
	for (size_t i = 0; i < ARRAY_SIZE(ctx->part); i++)
		mvl_ctx_set_part(ctx, i, NULL, NULL);
	free(ctx->state_dir);
	free(ctx->sysfs_root);
	free(ctx->dev_root);
	free(ctx);
	return NULL;
}

MVL_EXPORT void mvl_ctx_set_log_fn(struct mvl_ctx *ctx, mvl_log_fn log_fn, void *data)
{
	if (!ctx)
		return;
	ctx->log_fn = log_fn;
	ctx->log_data = data;
}

MVL_EXPORT void *mvl_ctx_get_log_data(struct mvl_ctx *ctx)
{
	return ctx ? ctx->log_data : NULL;
}

MVL_EXPORT int mvl_ctx_get_log_priority(struct mvl_ctx *ctx)
{
	return ctx ? ctx->log_priority : -EINVAL;
}

MVL_EXPORT void mvl_ctx_set_log_priority(struct mvl_ctx *ctx, int priority)
{
	if (ctx)
		ctx->log_priority = priority;
}

MVL_EXPORT const char *mvl_ctx_get_error(struct mvl_ctx *ctx)
{
	return ctx ? ctx->errmsg : "";
}

MVL_EXPORT bool mvl_ctx_get_undo_failed(struct mvl_ctx *ctx)
{
	return ctx && ctx->undo_failed;
}

MVL_EXPORT int mvl_ctx_set_state_dir(struct mvl_ctx *ctx, const char *path)
{
	if (!ctx)
		return -EINVAL;
	/* what the store knows of the old directory says nothing of this one */
	mvl_ctx_set_part(ctx, MVL_CTX_STATEDIR, NULL, NULL);
	return set_path(&ctx->state_dir, path);
}

MVL_EXPORT const char *mvl_ctx_get_state_dir(struct mvl_ctx *ctx)
{
	return ctx ? ctx->state_dir : NULL;
}

MVL_EXPORT int mvl_ctx_set_sysfs_root(struct mvl_ctx *ctx, const char *path)
{
	return ctx ? set_path(&ctx->sysfs_root, path) : -EINVAL;
}

MVL_EXPORT const char *mvl_ctx_get_sysfs_root(struct mvl_ctx *ctx)
{
	return ctx ? ctx->sysfs_root : NULL;
}

MVL_EXPORT int mvl_ctx_set_dev_root(struct mvl_ctx *ctx, const char *path)
{
	return ctx ? set_path(&ctx->dev_root, path) : -EINVAL;
}

MVL_EXPORT const char *mvl_ctx_get_dev_root(struct mvl_ctx *ctx)
{
	return ctx ? ctx->dev_root : NULL;
}

pid_t mvl_ctx_pid(struct mvl_ctx *ctx)
{
	return ctx->pid;
}

void mvl_ctx_clear_error(struct mvl_ctx *ctx)
{
	ctx->errmsg[0] = '\0';
}

void *mvl_ctx_part(struct mvl_ctx *ctx, enum mvl_ctx_part part)
{
	return ctx->part[part].data;
}

void mvl_ctx_set_part(struct mvl_ctx *ctx, enum mvl_ctx_part part, void *data,
		      void (*free_fn)(void *data))
{
	if (ctx->part[part].data && ctx->part[part].free_fn)
		ctx->part[part].free_fn(ctx->part[part].data);
	ctx->part[part].data = data;
	ctx->part[part].free_fn = free_fn;
}

struct mvl_test_seams *mvl_ctx_test(struct mvl_ctx *ctx)
{
	return &ctx->test;
}

int mvl_ctx_enter(struct mvl_ctx *ctx)
{
	if (!ctx)
		return -EINVAL;
	ctx->errmsg[0] = '\0';
	ctx->undo_failed = false;
	ctx->undo_depth = 0;
	if (ctx->pid != getpid())
		return mvl_fail(ctx, -ECHILD,
				"this mvlink context was created by process %d and cannot be used "
				"after fork(); create a new context in the child",
				(int)ctx->pid);
	return 0;
}

int mvl_fail(struct mvl_ctx *ctx, int err, const char *format, ...)
{
	char msg[sizeof(ctx->errmsg)];
	va_list ap;

	/* through a copy: the arguments may quote the message it replaces */
	va_start(ap, format);
	vsnprintf(msg, sizeof(msg), format, ap);
	va_end(ap);
	memcpy(ctx->errmsg, msg, sizeof(msg));
	dbg(ctx, "failed: %s (%s)", ctx->errmsg, MVL_STRERROR(err));
	return err;
}

void mvl_undo_failed(struct mvl_ctx *ctx, const char *format, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, format);
	vsnprintf(msg, sizeof(msg), format, ap);
	va_end(ap);
	ctx->undo_failed = true;
	mvl_log_cond(ctx, LOG_WARNING, "could not undo: %s", msg);
}

void mvl_undo_begin(struct mvl_ctx *ctx)
{
	if (ctx && ctx->undo_depth++ == 0)
		memcpy(ctx->undo_kept, ctx->errmsg, sizeof(ctx->undo_kept));
}

void mvl_undo_end(struct mvl_ctx *ctx)
{
	if (ctx && ctx->undo_depth > 0 && --ctx->undo_depth == 0)
		memcpy(ctx->errmsg, ctx->undo_kept, sizeof(ctx->errmsg));
}

const char *mvl_link_errno_hint(int err)
{
	switch (-err) {
	case EXFULL:
		return "the bridge already has the maximum of 1023 ports (the kernel's 1024 port numbers, "
		       "number 0 reserved)";
	case EPERM:
		return "permission denied: this needs CAP_NET_ADMIN (run as root)";
	case EOPNOTSUPP:
		return "the kernel or driver does not support this";
	}
	return NULL;
}

bool mvl_opts_valid(const void *opts, size_t sz, size_t min_end, size_t known)
{
	if (sz < min_end)
		return false;
	for (size_t i = known; i < sz; i++)
		if (((const unsigned char *)opts)[i])
			return false;
	return true;
}

int mvl_opendir(struct mvl_ctx *ctx, const char *dir, DIR **ret)
{
	*ret = opendir(dir);
	if (*ret)
		return 1;
	if (errno == ENOENT)
		return 0;
	return mvl_fail(ctx, -errno, "cannot read %s: %s", dir, MVL_STRERROR(errno));
}

void mvl_log(struct mvl_ctx *ctx, int priority, const char *file, int line, const char *fn,
	     const char *format, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, format);
	(ctx->log_fn ? ctx->log_fn : mvl_log_stderr)(ctx, priority, file, line, fn, format, ap);
	va_end(ap);
	errno = saved;
}

void mvl_first_err_note(struct mvl_ctx *ctx, struct mvl_first_err *fe, int r)
{
	if (r < 0 && !fe->err) {
		fe->err = r;
		snprintf(fe->msg, sizeof(fe->msg), "%s", ctx->errmsg);
	}
}

int mvl_first_err_get(struct mvl_ctx *ctx, const struct mvl_first_err *fe)
{
	if (fe->err)
		snprintf(ctx->errmsg, sizeof(ctx->errmsg), "%s", fe->msg);
	return fe->err;
}
