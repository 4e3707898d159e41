// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ctx.c - the library context: reference count, configuration paths, the
 * error state of the last call, and the fork() guard.
 */
#include <stdarg.h>

#include "base.h"

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
	mvl_fault_init(ctx);
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
	/* After fork() the socket belongs to the parent too: closing our copy
	 * of the fd is harmless, and the memory is ours. */
	if (ctx->nl && ctx->nl_free)
		ctx->nl_free(ctx->nl);
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
	ctx->state_dirs = 0;
	ctx->state_volatile = 0;
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
	if (ctx->undo_depth++ == 0)
		memcpy(ctx->undo_kept, ctx->errmsg, sizeof(ctx->undo_kept));
}

void mvl_undo_end(struct mvl_ctx *ctx)
{
	if (ctx->undo_depth > 0 && --ctx->undo_depth == 0)
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
