// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * fault.c - fault injection.  Every kernel-changing step calls mvl_step()
 * first.  When ctx->fault_step is k, the k-th step fails with
 * -ctx->fault_errno (or kills the process when ctx->fault_kill), so tests
 * can prove that every step is undone or recovered.  Test programs set the
 * fields directly (they link the internal library); only a build
 * configured with --enable-fault-injection reads them from the environment
 * (MVLINK_FAULT_STEP=k, MVLINK_FAULT_ERRNO=n, MVLINK_FAULT_KILL=1 and
 * MVLINK_FAULT_TRACE=1 to log every step), so a production library cannot
 * be made to fail from outside.
 */
#include <signal.h>

#include "base.h"

void mvl_fault_init(struct mvl_ctx *ctx)
{
	ctx->fault_errno = EIO;
#ifdef MVL_FAULT_INJECTION
	const char *s = getenv("MVLINK_FAULT_STEP");
	unsigned long v;

	if (s && mvl_parse_uint(s, ~0UL, &v) == 0)
		ctx->fault_step = v;
	s = getenv("MVLINK_FAULT_ERRNO");
	if (s && mvl_parse_uint(s, 4095, &v) == 0 && v > 0)
		ctx->fault_errno = (int)v;
	s = getenv("MVLINK_FAULT_KILL");
	ctx->fault_kill = s && strcmp(s, "1") == 0;
	s = getenv("MVLINK_FAULT_TRACE");
	ctx->fault_trace = s && strcmp(s, "1") == 0;
#endif
}

int mvl_step(struct mvl_ctx *ctx, const char *what)
{
	ctx->fault_count++;
	if (ctx->fault_trace)
		mvl_log(ctx, LOG_NOTICE, __FILE__, __LINE__, __func__, "step %lu: %s",
			ctx->fault_count, what);
	if (ctx->fault_step && ctx->fault_count == ctx->fault_step) {
		if (ctx->fault_kill)
			kill(getpid(), SIGKILL);
		dbg(ctx, "fault injected at step %lu (%s)", ctx->fault_count, what);
		return -ctx->fault_errno;
	}
	return 0;
}
