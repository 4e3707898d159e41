/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/testhooks.h - the test seams: what tests change in a context to
 * drive the library (a model of sysfs writes and of VF requests, lock
 * timeouts, the ifindex and link group chosen, fault injection).  Included
 * by the tests and by the files that read a seam, never by the rest;
 * nothing here is exported from libmvlink.so (tests/symbols.sh).  It needs
 * only lib/base.h, so that a file of any layer may include it.
 */
#ifndef MVLINK_TESTHOOKS_H
#define MVLINK_TESTHOOKS_H

#include "base.h"

struct mvl_vf_state;
struct mvl_nl_test_ops;

/* ---- ctx.c: where the seams live -------------------------------------- */
/*
 * Test seams.  The library has no global mutable state (tests/symbols.sh
 * checks that libmvlink.so defines no writable data of its own): what the
 * tests change lives in the context, all zero ("off") in a new one
 * (mvl_ctx_new() callocs it), and the library reads it only from the
 * context it is given, through mvl_ctx_test().  Tests set the fields
 * through it, mvl_fault(), mvl_sysfs_set_write_hook() and
 * mvl_nl_set_test_ops().  Only the files that read a seam, and the tests,
 * include this header.
 */
/* Fault injection (fault.c): see mvl_step(). */
struct mvl_fault {
	bool env_read;         /* MVLINK_FAULT_* read (mvl_fault()) */
	unsigned long step;    /* the step that fails (0 = none) */
	unsigned long count;   /* steps taken so far */
	int err;               /* its errno (EIO unless MVLINK_FAULT_ERRNO) */
	bool kill;             /* SIGKILL at the step instead */
	bool trace;            /* log every step */
};
struct mvl_test_seams {
	/* sysfs writes go to this model of the kernel instead (sysfs.c) */
	int (*sysfs_write)(const char *path, const char *value, void *data);
	void *sysfs_write_data;
	/* VF requests and the default-route check go to these (netlink.c) */
	const struct mvl_nl_test_ops *nl_ops;
	void *nl_ops_data;
	/* how long locks are waited for before -EBUSY (lock.c);
	 * 0: MVL_LOCK_TIMEOUT_MS */
	unsigned lock_timeout_ms;
	/* the link group a bulk deletion moves links into (delete.c);
	 * 0: a fresh random one each time */
	uint32_t delete_group;
	/* the ifindex mvl_link_pick_ifindex() returns next, then one more
	 * each time (ifindex.c); 0: random */
	int next_ifindex;
	/* fault injection: only through mvl_fault() (fault.c) */
	struct mvl_fault fault;
};
struct mvl_test_seams *mvl_ctx_test(struct mvl_ctx *ctx);

/* ---- fault.c ---------------------------------------------------------- */
/* The fault injection knobs of @ctx; the first call reads the environment
 * (MVLINK_FAULT_*, only in builds with --enable-fault-injection), so that
 * what a test sets afterwards wins. */
struct mvl_fault *mvl_fault(struct mvl_ctx *ctx);

/* ---- netlink.c -------------------------------------------------------- */
/* Tests replace the VF requests and the route check of @ctx by a model of
 * a PF (NULL: real requests again). */
struct mvl_nl_test_ops {
	int (*vf_get_all)(void *data, int pf_ifindex, struct mvl_vf_state **ret, size_t *ret_n);
	int (*vf_set)(void *data, int pf_ifindex, unsigned attr, const struct mvl_vf_state *val);
	int (*has_default_route)(void *data, int ifindex);
};
void mvl_nl_set_test_ops(struct mvl_ctx *ctx, const struct mvl_nl_test_ops *ops, void *data);

/* ---- sysfs.c ---------------------------------------------------------- */
/* Tests replace the sysfs writes of @ctx by a model of the kernel's
 * reaction (NULL: real writes again). */
typedef int (*mvl_sysfs_write_hook)(const char *path, const char *value, void *data);
void mvl_sysfs_set_write_hook(struct mvl_ctx *ctx, mvl_sysfs_write_hook hook, void *data);

#endif
