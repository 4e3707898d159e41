// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * log.c - logging through the context's callback.  The library never
 * writes anywhere else; the default sink is stderr, used only when the
 * caller did not install a function, at the priority the caller chose.
 */
#include <stdarg.h>
#include <ctype.h>

#include "base.h"

int mvl_log_priority_from_string(const char *s)
{
	static const char *const names[] = { "emerg", "alert", "crit", "err",
					     "warning", "notice", "info", "debug" };
	unsigned long n;

	if (mvl_parse_uint(s, LOG_DEBUG, &n) == 0)
		return (int)n;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (strcasecmp(s, names[i]) == 0)
			return (int)i;
	if (strcasecmp(s, "error") == 0)
		return LOG_ERR;
	if (strcasecmp(s, "warn") == 0)
		return LOG_WARNING;
	return -EINVAL;
}

static void log_stderr(struct mvl_ctx *ctx, int priority, const char *file, int line,
		       const char *fn, const char *format, va_list args)
{
	fprintf(stderr, "libmvlink: %s: ", fn);
	vfprintf(stderr, format, args);
	fputc('\n', stderr);
}

void mvl_log(struct mvl_ctx *ctx, int priority, const char *file, int line, const char *fn,
	     const char *format, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, format);
	(ctx->log_fn ? ctx->log_fn : log_stderr)(ctx, priority, file, line, fn, format, ap);
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
