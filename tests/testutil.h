/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * testutil.h - helpers shared by mvlink's Check test programs.
 *
 * Kernel tests run every test case (Check forks one child per test) in
 * fresh network and mount namespaces with /sys remounted, so each test has
 * a clean network stack and nothing to clean up.  Results are checked with
 * an independent oracle, `ip -j -d link`, parsed with json-c.
 */
#ifndef MVLINK_TESTUTIL_H
#define MVLINK_TESTUTIL_H

#include <stdbool.h>
#include <check.h>
#include <json-c/json.h>

#include "mvlink.h"

/* Whether this process may create network namespaces (root, unshare ok). */
bool mvt_can_netns(void);
/* Enter fresh net + mount namespaces and remount /sys (a checked fixture:
 * call it at the start of each kernel test).  Aborts the test on failure. */
void mvt_enter_netns(void);
/* Run a shell command (printf-style); returns its exit status. Its output
 * goes to the test log. */
int mvt_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Run a shell command and return its stdout (malloc'd, never NULL). */
char *mvt_sh_out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* `ip -j -d link show dev NAME` as a json object (caller puts it), or NULL
 * when the link does not exist. */
struct json_object *mvt_ip_link(const char *name);
/* Field by dotted path ("linkinfo.info_kind"); NULL / -1 when absent. */
const char *mvt_jstr(struct json_object *o, const char *path);
long long mvt_jint(struct json_object *o, const char *path);
/* One field of `ip -j -d link show dev NAME`: the string is a copy kept
 * in a small ring of static buffers (valid for the next 15 calls); NULL /
 * -1 when the link or the field is absent. */
const char *mvt_link_str(const char *name, const char *path);
long long mvt_link_int(const char *name, const char *path);
/* Whether the link exists (by the oracle). */
bool mvt_link_exists(const char *name);
/* A fresh context whose log goes to stderr at debug level when
 * MVLINK_TEST_DEBUG is set.  ck_assert()s success. */
struct mvl_ctx *mvt_ctx(void);
/* The namespace's links and addresses as one JSON text, without what the
 * kernel changes on its own (operstate, qdisc, timers): equal snapshots
 * before and after a failed operation prove it changed nothing. */
char *mvt_snapshot(void);
/* Remove from one link (or address) of `ip -j -d` what the kernel changes
 * on its own, as mvt_snapshot() does. */
void mvt_link_strip(struct json_object *link);
/* Write two snapshots to /tmp/mvlink-test-{before,after}.json and print
 * their diff, for a failing comparison. */
void mvt_save_diff(const char *before, const char *after);
/* Print the differences of two texts (lines holding JSON unfolded) to
 * stderr, for a failing comparison of snapshots with more than JSON. */
void mvt_show_diff(const char *before, const char *after);
/* End a forked child with @status by exec'ing a shell that exits with it:
 * under valgrind (which does not follow the exec) the child then gets no
 * leak check, which would count the parent's memory as lost and, with
 * --error-exitcode, change the status the parent checks. */
void mvt_child_exit(int status) __attribute__((noreturn));
/* Build a veth pair @a <-> @b, both up. */
void mvt_veth(const char *a, const char *b);
/*
 * Run @s and return the exit status for automake: 0 pass, 1 fail.  When
 * @needs_kernel and kernel tests cannot run here: 77 (skip), or 99 (hard
 * error) when MVLINK_REQUIRE_KERNEL_TESTS=1, as .ci/run sets.
 */
int mvt_run(Suite *s, bool needs_kernel);

#endif
