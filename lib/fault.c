// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * fault.c - fault injection.  Every kernel-changing step calls mvl_step()
 * first.  When mvl_fault(ctx)->step is k, the k-th step fails with
 * -mvl_fault(ctx)->err (or kills the process when ->kill), so tests can
 * prove that every step is undone or recovered.  Test programs set the
 * fields through mvl_fault() (they link the internal library); only a build
 * configured with --enable-fault-injection reads them from the environment
 * (MVLINK_FAULT_STEP=k, MVLINK_FAULT_ERRNO=n, MVLINK_FAULT_KILL=1 and
 * MVLINK_FAULT_TRACE=1 to log every step), so a production library cannot
 * be made to fail from outside.
 */
#include <signal.h>

#include "base.h"
#include "testhooks.h"

struct mvl_fault *mvl_fault(struct mvl_ctx *ctx)
{
	struct mvl_fault *f = &mvl_ctx_test(ctx)->fault;

	if (f->env_read)
		return f;
	f->env_read = true;
	f->err = EIO;
#ifdef MVL_FAULT_INJECTION
	const char *s = getenv("MVLINK_FAULT_STEP");
	unsigned long v;

	if (s && mvl_parse_uint(s, ~0UL, &v) == 0)
		f->step = v;
	s = getenv("MVLINK_FAULT_ERRNO");
	if (s && mvl_parse_uint(s, 4095, &v) == 0 && v > 0)
		f->err = (int)v;
	s = getenv("MVLINK_FAULT_KILL");
	f->kill = s && strcmp(s, "1") == 0;
	s = getenv("MVLINK_FAULT_TRACE");
	f->trace = s && strcmp(s, "1") == 0;
#endif
	return f;
}

int mvl_step(struct mvl_ctx *ctx, const char *what)
{
	struct mvl_fault *f = mvl_fault(ctx);

	f->count++;
	if (f->trace)
		mvl_log(ctx, LOG_NOTICE, __FILE__, __LINE__, __func__, "step %lu: %s", f->count,
			what);
	if (f->step && f->count == f->step) {
		if (f->kill)
			kill(getpid(), SIGKILL);
		dbg(ctx, "fault injected at step %lu (%s)", f->count, what);
		return -f->err;
	}
	return 0;
}
