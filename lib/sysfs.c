// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * sysfs.c - reading and writing below the context's sysfs root.  Every
 * write is a kernel-changing step: it goes through mvl_step() (fault
 * injection) and, in tests, through a hook that models the kernel.
 */
#include <ctype.h>
#include <stdarg.h>

#include "kernel.h"
#include "testhooks.h"

void mvl_sysfs_set_write_hook(struct mvl_ctx *ctx, mvl_sysfs_write_hook hook, void *data)
{
	struct mvl_test_seams *t = mvl_ctx_test(ctx);

	t->sysfs_write = hook;
	t->sysfs_write_data = data;
}

static int vpath(struct mvl_ctx *ctx, char *buf, size_t len, const char *fmt, va_list ap)
{
	int n = snprintf(buf, len, "%s/", mvl_ctx_get_sysfs_root(ctx));
	int m;

	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	m = vsnprintf(buf + n, len - (size_t)n, fmt, ap);
	if (m < 0 || (size_t)m >= len - (size_t)n)
		return -ENAMETOOLONG;
	return 0;
}

int mvl_sysfs_path(struct mvl_ctx *ctx, char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vpath(ctx, buf, len, fmt, ap);
	va_end(ap);
	return r;
}

static int vread(struct mvl_ctx *ctx, char *buf, size_t len, const char *fmt, va_list ap)
{
	char path[PATH_MAX];
	int r = vpath(ctx, path, sizeof(path), fmt, ap);

	return r < 0 ? r : mvl_read_file(path, buf, len);
}

int mvl_sysfs_read(struct mvl_ctx *ctx, char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vread(ctx, buf, len, fmt, ap);
	va_end(ap);
	return r;
}

int mvl_sysfs_read_ulong(struct mvl_ctx *ctx, unsigned long *ret, const char *fmt, ...)
{
	char buf[64], *end;
	unsigned long v;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vread(ctx, buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (r < 0)
		return r;
	if (!buf[0] || buf[0] == '-' || isspace((unsigned char)buf[0]))
		return -EBADMSG;
	errno = 0;
	v = strtoul(buf, &end, 0); /* decimal, or "0x..." (class, vendor) */
	if (errno || *end)
		return -EBADMSG;
	*ret = v;
	return 0;
}

int mvl_sysfs_write(struct mvl_ctx *ctx, const char *value, const char *fmt, ...)
{
	const struct mvl_test_seams *t;
	char path[PATH_MAX];
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vpath(ctx, path, sizeof(path), fmt, ap);
	va_end(ap);
	if (r < 0)
		return r;
	r = mvl_step(ctx, path);
	if (r < 0)
		return r;
	dbg(ctx, "write '%s' to %s", value, path);
	t = mvl_ctx_test(ctx);
	if (t->sysfs_write)
		return t->sysfs_write(path, value, t->sysfs_write_data);
	return mvl_write_file(path, value);
}

bool mvl_sysfs_class_absent(struct mvl_ctx *ctx, const char *cls)
{
	char path[PATH_MAX];

	/* only when sysfs says so: absent only from a sysfs that is there */
	if (mvl_sysfs_path(ctx, path, sizeof(path), "class/net") < 0 || access(path, F_OK) < 0 ||
	    mvl_sysfs_path(ctx, path, sizeof(path), "class/%s", cls) < 0)
		return false;
	return access(path, F_OK) < 0 && errno == ENOENT;
}
