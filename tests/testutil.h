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
#include <stdlib.h>
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
/* mvt_snapshot() and the files and symlinks (index entries) of the state
 * directory @state, one a line: a file with the MD5 of its content, a
 * symlink with its target (the lock files and the index's ".complete"
 * marks, which stay by design, left out). */
char *mvt_snapshot_state(const char *state);
/* Whether two snapshots are the same; when not, their differences are
 * printed (mvt_show_diff()) for the failing assertion that follows. */
bool mvt_same(const char *before, const char *now);
/* ck_assert that snapshot @now is @before, printing the diff when not; the
 * rest is the failure message (printf-style). */
#define mvt_assert_same(before, now, ...) ck_assert_msg(mvt_same(before, now), __VA_ARGS__)
/* mvt_assert_same() the new snapshot @snapshot (an expression, freed
 * after) to @before. */
#define mvt_assert_unchanged(snapshot, before, ...)         \
	do {                                                \
		char *now_ = (snapshot);                    \
		mvt_assert_same(before, now_, __VA_ARGS__); \
		free(now_);                                 \
	} while (0)
/* Print the diff of two snapshots that are JSON documents, for a failing
 * comparison. */
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
/* mvl_tap_create() / mvl_macvtap_create() that must succeed: the new
 * interface. */
struct mvl_iface *mvt_tap_create_ok(struct mvl_ctx *ctx, const struct mvl_tap_opts *o);
struct mvl_iface *mvt_macvtap_create_ok(struct mvl_ctx *ctx, const struct mvl_macvtap_opts *o);
/* ... that must fail: its -errno, once no interface came back and the
 * context holds a message. */
int mvt_tap_create_err(struct mvl_ctx *ctx, const struct mvl_tap_opts *o);
int mvt_macvtap_create_err(struct mvl_ctx *ctx, const struct mvl_macvtap_opts *o);
/* Delete the link @name of mvlink's: 1, the link is gone (by the oracle),
 * and a second delete is a no-op (0). */
void mvt_delete_twice(struct mvl_ctx *ctx, const char *name);
/* Fault injection: the @k-th kernel-changing step of @ctx's next call
 * fails (0: none). */
void mvt_fail_at(struct mvl_ctx *ctx, unsigned long k);
/* @r is what a call with step @k failing returned: false when the call went
 * through (it has fewer steps); else true, once the failure is -EIO and its
 * undo did not fail. */
bool mvt_failed_at(struct mvl_ctx *ctx, unsigned long k, int r);
/* A new context on the state directory @state (its log as mvt_ctx()'s), or
 * NULL: for children, which must not ck_assert. */
struct mvl_ctx *mvt_ctx_at(const char *state);
/*
 * Run @run(ctx, @arg) in a child, on mvt_ctx_at(@state) armed to SIGKILL
 * the child at step @k: true when it was killed; false when the run ended
 * before, which it must do with 0.  @what names the run in messages.
 */
bool mvt_run_killed(const char *state, unsigned long k, const char *what,
		    int (*run)(struct mvl_ctx *ctx, const void *arg), const void *arg);
/* mvl_bridge_ensure(@o) killed as soon as its bridge exists: a dead journal
 * in @state and a bridge not yet tagged. */
void mvt_crashed_bridge(const char *state, const struct mvl_bridge_opts *o);
/* mvt_tcase(s, NAME, TIMEOUT, TEST...): the test case NAME of the TESTs,
 * with a timeout of TIMEOUT seconds (0: Check's default), added to suite
 * @s; returned, for loop tests. */
#define mvt_tcase(s, name, timeout, ...) \
	mvt_tcase_list(s, name, timeout, (const TTest *const[]){ __VA_ARGS__, NULL })
/* mvt_suite(NAME, TCASE, TIMEOUT, TEST...): a suite NAME of that one test
 * case TCASE. */
#define mvt_suite(name, tcase, timeout, ...) \
	mvt_suite_list(name, tcase, timeout, (const TTest *const[]){ __VA_ARGS__, NULL })
/* The same with a NULL-terminated list of tests. */
TCase *mvt_tcase_list(Suite *s, const char *name, int timeout, const TTest *const *tests);
Suite *mvt_suite_list(const char *name, const char *tcase, int timeout, const TTest *const *tests);
/*
 * Run @s and return the exit status for automake: 0 pass, 1 fail.  When
 * @needs_kernel and kernel tests cannot run here: 77 (skip), or 99 (hard
 * error) when MVLINK_REQUIRE_KERNEL_TESTS=1, as .ci/run sets.
 */
int mvt_run(Suite *s, bool needs_kernel);

/*
 * This process's open fds, one line each: "<fd> -> <what it is>", read
 * in-process from /proc/self/fd (the directory's own fd left out), so that
 * no helper process or pipe of the count's own is in it.  Compare two with
 * mvt_assert_same(), which prints the fds that differ.
 */
char *mvt_fds(void);

/*
 * A wait of @ms that must never expire on a working system (a lock held by
 * another test process), stretched 20 times under valgrind, which runs
 * every process of a test, forked children included, that much slower.
 */
unsigned mvt_wait_ms(unsigned ms);

/*
 * First call of every forked child of a test.  Under valgrind (run with
 * --child-silent-after-fork=no by tests/run-all.sh) the child is still
 * checked for memory errors, but not for leaks: its heap is the parent's
 * copy, and children SIGKILLed on purpose die in the middle of an
 * operation.
 */
void mvt_child_init(void);

/* The state directory of @ctx, made when missing, so that a snapshot of it
 * (mvt_snapshot_state()) is never of a directory that is not there. */
const char *mvt_state_dir(struct mvl_ctx *ctx);
/* ck_assert that @snapshot of @state holds an index entry (lib/index.c):
 * the snapshots look at the directory the context writes to. */
void mvt_assert_indexed(const char *snapshot, const char *state);
/* Remove the index entries of @state, for links deleted by hand. */
void mvt_drop_index(const char *state);
/* Undo by hand a create that went through (a fault loop's clean run):
 * ck_assert that @state holds its index entry, run the shell command
 * @undo, drop the index entries, and ck_assert that the host and @state
 * (mvt_snapshot_state()) are @before again. */
void mvt_undo_by_hand(const char *state, const char *before, const char *undo);

#endif
