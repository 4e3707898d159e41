// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * log.c - the default log sink and the priority names.  The library logs
 * only through the context's callback (mvl_log(), ctx.c); the default sink
 * is stderr, used only when the caller did not install a function, at the
 * priority the caller chose (or MVLINK_LOG, read here).
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

void mvl_log_stderr(struct mvl_ctx *ctx, int priority, const char *file, int line, const char *fn,
		    const char *format, va_list args)
{
	fprintf(stderr, "libmvlink: %s: ", fn);
	vfprintf(stderr, format, args);
	fputc('\n', stderr);
}
