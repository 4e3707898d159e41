// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-crash.c - every create and release of taps, bridges and macvtaps
 * against the real kernel, in private namespaces, failed and killed at each
 * of its steps.
 *
 * Fault injection: the operation fails at step k = 1, 2, ... until it
 * succeeds; each time the error reaches the caller and the host (links and
 * addresses by `ip -j -d`, the files of the state directory, a device
 * node's owner) is exactly as before.  The number of steps is counted on a
 * run that fails nowhere, and the loop must have failed each of them: a
 * step added to an operation is covered, or this fails.  What deletes (a
 * VM delete, gc) or undoes (recover) cannot be undone half way: there the
 * error reaches the caller and the same call again must finish the job
 * exactly (finish_loop()).
 *
 * Crashes: a child runs the operation and is SIGKILLed at step k; the
 * parent (another process, knowing nothing) runs mvl_recover() or
 * mvl_vm_delete() and the host must be exactly as before.  A killed release
 * is finished by deleting again.
 *
 * Journals: a truncated or garbage intent journal is a clear error and
 * nothing is done; a live process's journal, or another namespace's, is
 * left alone; a create undoes a dead journal on its locks first.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

#include "testutil.h"
#include "operations.h"
#include "testhooks.h"

#define VM "vm1"

static const uint8_t guest_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };

struct env {
	struct mvl_ctx *ctx;
	char state[64]; /* the state directory */
	char node[PATH_MAX]; /* a device node whose owner an operation changes */
	struct stat node_st;
};

struct op {
	const char *name;
	bool release;
	/* the host the operation finds (a release: without its object) */
	const char *base;
	/* the host before holds the VM's own links (a VM delete removes them) */
	bool vm_before;
	/* a release: create what it removes */
	void (*setup)(struct env *e);
	/* the operation: 0 or -errno */
	int (*run)(struct mvl_ctx *ctx, struct env *e);
	/* a create that succeeded: back to the host before, by hand */
	const char *undo;
};

/* ------------------------------------------------------------ the host */

static void env_init(struct env *e)
{
	memset(e, 0, sizeof(*e));
	mvt_enter_netns();
	snprintf(e->state, sizeof(e->state), "/tmp/mvlink-crash.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(e->state));
	e->ctx = mvt_ctx_at(e->state);
	ck_assert_ptr_nonnull(e->ctx);
	mvl_ctx_test(e->ctx)->lock_timeout_ms = mvt_wait_ms(2000);
}

static void env_free(struct env *e)
{
	mvl_ctx_unref(e->ctx);
	mvt_sh("rm -rf '%s'", e->state);
}

/* Links and addresses, the files of the state directory (lock files stay
 * by design), the owner and mode of env's device node. */
static char *snap(struct env *e)
{
	char *k = mvt_snapshot_state(e->state), *s = NULL;
	char node[PATH_MAX + 64] = "";
	struct stat st;

	if (e->node[0] && stat(e->node, &st) == 0)
		snprintf(node, sizeof(node), "%s %u:%u %o", e->node, (unsigned)st.st_uid,
			 (unsigned)st.st_gid, (unsigned)(st.st_mode & 07777));
	ck_assert_int_ge(asprintf(&s, "%s--- node %s\n", k, node), 0);
	free(k);
	return s;
}

static void assert_same(const char *before, const char *now, const char *what, unsigned long k)
{
	mvt_assert_same(before, now, "%s at step %lu: the host changed (diff above)", what, k);
}

/* ------------------------------------------------------- the operations */

static int tap_create(struct mvl_ctx *ctx, const struct mvl_tap_opts *o)
{
	struct mvl_iface *iface = NULL;
	int r = mvl_tap_create(ctx, o, &iface);

	mvl_iface_unref(iface); /* a tap that is not persistent goes with it */
	return r;
}

static int macvtap_create(struct mvl_ctx *ctx, const struct mvl_macvtap_opts *o)
{
	struct mvl_iface *iface = NULL;
	int r = mvl_macvtap_create(ctx, o, &iface);

	mvl_iface_unref(iface);
	return r;
}

/* A persistent tap from a template on a new bridge with a down uplink. */
static int run_tap_persist(struct mvl_ctx *ctx, struct env *e)
{
	struct mvl_tap_opts o = { .sz = sizeof(o),
				  .vm_id = VM,
				  .name = "vm-%d",
				  .bridge = "br0",
				  .uplink = "eno1",
				  .guest_mac = guest_mac,
				  .queues = 2,
				  .owner = 4242,
				  .group = 4343,
				  .flags = MVL_TAP_PERSIST | MVL_TAP_OWNER | MVL_TAP_GROUP };

	(void)e;
	return tap_create(ctx, &o);
}

/* A tap with queue fds on an existing bridge that is down. */
static int run_tap_fds(struct mvl_ctx *ctx, struct env *e)
{
	struct mvl_tap_opts o = { .sz = sizeof(o),
				  .vm_id = VM,
				  .name = "vm1",
				  .bridge = "br0",
				  .uplink = "eno1",
				  .queues = 2 };

	(void)e;
	return tap_create(ctx, &o);
}

/* A persistent tap on a bridge that needs no change: no journal at all,
 * the tap lives with its queue until it is complete (TUNSETPERSIST). */
static int run_tap_persist_bridge(struct mvl_ctx *ctx, struct env *e)
{
	struct mvl_tap_opts o = { .sz = sizeof(o),
				  .vm_id = VM,
				  .name = "vm1",
				  .bridge = "br0",
				  .guest_mac = guest_mac,
				  .owner = 4242,
				  .flags = MVL_TAP_PERSIST | MVL_TAP_OWNER };

	(void)e;
	return tap_create(ctx, &o);
}

static const struct mvl_bridge_opts bridge_opts = { .sz = sizeof(bridge_opts),
						    .name = "br0",
						    .vm_id = VM,
						    .uplink = "eno1",
						    .mtu = 1400 };

static int run_bridge(struct mvl_ctx *ctx, struct env *e)
{
	int r = mvl_bridge_ensure(ctx, &bridge_opts);

	(void)e;
	return r < 0 ? r : 0;
}

static struct mvl_macvtap_opts mvt_opts(const char *name)
{
	struct mvl_macvtap_opts o = { .sz = sizeof(o), .vm_id = VM, .name = name, .link = "u0" };

	return o;
}

static int run_macvtap(struct mvl_ctx *ctx, struct env *e)
{
	struct mvl_macvtap_opts o = mvt_opts("mvt0");

	(void)e;
	o.queues = 2;
	o.flags = MVL_MACVTAP_LINK_UP;
	return macvtap_create(ctx, &o);
}

static int run_passthru(struct mvl_ctx *ctx, struct env *e)
{
	struct mvl_macvtap_opts o = mvt_opts("mvt-%d");

	(void)e;
	o.mode = MVL_MACVTAP_PASSTHRU;
	o.mac = guest_mac;
	o.flags = MVL_MACVTAP_LINK_UP;
	return macvtap_create(ctx, &o);
}

static void setup_adopt(struct env *e)
{
	struct mvl_macvtap_opts o = mvt_opts("mvt0");
	int ifindex;

	o.flags = MVL_MACVTAP_NO_FDS;
	ck_assert_int_eq(macvtap_create(e->ctx, &o), 0);
	ifindex = (int)if_nametoindex("mvt0");
	snprintf(e->node, sizeof(e->node), "/dev/tap%d", ifindex);
	ck_assert_msg(stat(e->node, &e->node_st) == 0, "%s: %s", e->node, strerror(errno));
}

/* Adopting an existing macvtap and handing its node to a user. */
static int run_adopt_owner(struct mvl_ctx *ctx, struct env *e)
{
	struct mvl_macvtap_opts o = mvt_opts("mvt0");

	(void)e;
	o.owner = 4242;
	o.group = 4343;
	o.flags = MVL_MACVTAP_NO_FDS | MVL_MACVTAP_OWNER | MVL_MACVTAP_GROUP;
	return macvtap_create(ctx, &o);
}

static void undo_adopt(struct env *e)
{
	ck_assert_int_eq(chown(e->node, e->node_st.st_uid, e->node_st.st_gid), 0);
	ck_assert_int_eq(chmod(e->node, e->node_st.st_mode & 07777), 0);
}

static void setup_tap(struct env *e)
{
	struct mvl_tap_opts o = { .sz = sizeof(o),
				  .vm_id = VM,
				  .name = "vm1",
				  .owner = 4242,
				  .flags = MVL_TAP_PERSIST | MVL_TAP_OWNER };

	ck_assert_int_eq(tap_create(e->ctx, &o), 0);
}

static void setup_passthru(struct env *e)
{
	struct mvl_macvtap_opts o = mvt_opts("mvt0");

	o.mode = MVL_MACVTAP_PASSTHRU;
	o.mac = guest_mac;
	o.flags = MVL_MACVTAP_LINK_UP | MVL_MACVTAP_NO_FDS;
	ck_assert_int_eq(macvtap_create(e->ctx, &o), 0);
}

static void setup_vm(struct env *e)
{
	static const char *const names[] = { "vm1-a", "vm1-b", "other" };

	for (size_t i = 0; i < 3; i++) {
		struct mvl_tap_opts o = { .sz = sizeof(o),
					  .vm_id = i < 2 ? VM : "vm2",
					  .name = names[i],
					  .flags = MVL_TAP_PERSIST };

		ck_assert_int_eq(tap_create(e->ctx, &o), 0);
	}
	setup_passthru(e);
}

static int one(int r)
{
	return r == 1 ? 0 : r < 0 ? r : -ENOENT;
}

static int run_tap_delete(struct mvl_ctx *ctx, struct env *e)
{
	(void)e;
	return one(mvl_iface_delete(ctx, "vm1"));
}

static int run_passthru_delete(struct mvl_ctx *ctx, struct env *e)
{
	(void)e;
	return one(mvl_iface_delete(ctx, "mvt0"));
}

static int run_vm_delete(struct mvl_ctx *ctx, struct env *e)
{
	int r = mvl_vm_delete(ctx, VM);

	(void)e;
	return r == 3 ? 0 : r < 0 ? r : -ENOENT;
}

#define UPLINK_DOWN "ip link add eno1 type veth peer name peer0 && ip link set peer0 up"
#define LOWER_DOWN "ip link add u0 type veth peer name p0 && ip link set p0 up"
#define LOWER_UP LOWER_DOWN " && ip link set u0 up"

static const struct op op_tap_persist = {
	.name = "tap persistent, template, new bridge, uplink",
	.base = UPLINK_DOWN,
	.run = run_tap_persist,
	.undo = "ip link del vm-0 && ip link del br0 && ip link set eno1 down",
};
static const struct op op_tap_fds = {
	.name = "tap with queues, existing bridge down, uplink",
	/* a bridge that had a port once: its MAC and limits, which the
	 * kernel derives from its ports, are what they will be after */
	.base = UPLINK_DOWN
	" && ip link add br0 type bridge && ip link add d0 type veth peer name d1 && "
	"ip link set d0 master br0 && ip link del d0",
	.run = run_tap_fds,
	.undo = "ip link set eno1 nomaster && ip link set eno1 down && ip link set br0 down",
};
static const struct op op_tap_persist_bridge = {
	.name = "tap persistent, existing bridge up (no journal)",
	/* a bridge that had a port once, as above */
	.base = "ip link add br0 type bridge && ip link add d0 type veth peer name d1 && "
		"ip link set d0 master br0 && ip link del d0 && ip link set br0 up",
	.run = run_tap_persist_bridge,
	.undo = "ip link del vm1",
};
static const struct op op_bridge = {
	.name = "bridge ensure with uplink",
	.base = UPLINK_DOWN,
	.run = run_bridge,
	.undo = "ip link del br0 && ip link set eno1 down",
};
static const struct op op_macvtap = {
	.name = "macvtap bridge mode, lower brought up",
	.base = LOWER_DOWN,
	.run = run_macvtap,
	.undo = "ip link del mvt0 && ip link set u0 down",
};
static const struct op op_passthru = {
	.name = "macvtap passthru, template, MAC, lower brought up",
	.base = LOWER_DOWN,
	.run = run_passthru,
	.undo = "ip link del mvt-0 && ip link set u0 down",
};
static const struct op op_adopt_owner = {
	.name = "macvtap adopted, node handed over",
	.base = LOWER_UP,
	.vm_before = true,
	.setup = setup_adopt,
	.run = run_adopt_owner,
};
static const struct op op_tap_delete = {
	.name = "tap delete",
	.release = true,
	.base = "true",
	.setup = setup_tap,
	.run = run_tap_delete,
};
static const struct op op_passthru_delete = {
	.name = "passthru macvtap delete",
	.release = true,
	.base = LOWER_DOWN,
	.setup = setup_passthru,
	.run = run_passthru_delete,
};
static const struct op op_vm_delete = {
	.name = "vm delete",
	.release = true,
	.base = LOWER_DOWN,
	.setup = setup_vm,
	.run = run_vm_delete,
};

static void undo_by_hand(struct env *e, const struct op *op)
{
	if (op->undo) {
		ck_assert_int_eq(mvt_sh("%s", op->undo), 0);
		mvt_drop_index(e->state);
	} else if (op == &op_adopt_owner)
		undo_adopt(e); /* the macvtap stays, and its entry */
}

/* The host before the operation. */
static void prepare(struct env *e, const struct op *op)
{
	env_init(e);
	ck_assert_int_eq(mvt_sh("%s", op->base), 0);
	if (op->setup && !op->release)
		op->setup(e);
}

/* ------------------------------------------------------ fault injection */

/* The steps of a run that fails nowhere; the host is put back after. */
static unsigned long count_steps(struct env *e, const struct op *op)
{
	unsigned long n;
	int r;

	mvl_fault(e->ctx)->count = 0;
	mvl_fault(e->ctx)->step = ULONG_MAX;
	r = op->run(e->ctx, e);
	mvl_fault(e->ctx)->step = 0;
	ck_assert_msg(r == 0, "%s: %d %s", op->name, r, mvl_ctx_get_error(e->ctx));
	n = mvl_fault(e->ctx)->count;
	ck_assert_uint_gt(n, 0);
	if (op->release)
		op->setup(e);
	else
		undo_by_hand(e, op);
	return n;
}

static void fault_loop(const struct op *op)
{
	struct env e;
	char *before, *now, *fds;
	unsigned long k, n;
	int r;

	prepare(&e, op);
	if (op->release)
		op->setup(&e);
	before = snap(&e);
	n = count_steps(&e, op);
	now = snap(&e);
	if (!op->release) /* the undo by hand is exact */
		assert_same(before, now, "undo by hand", 0);
	free(before);
	before = now;
	fds = mvt_fds();
	for (k = 1;; k++) {
		ck_assert_uint_le(k, n + 1);
		mvl_fault(e.ctx)->count = 0;
		mvl_fault(e.ctx)->step = k;
		r = op->run(e.ctx, &e);
		mvl_fault(e.ctx)->step = 0;
		if (r == 0)
			break;
		ck_assert_msg(r == -EIO, "%s, step %lu: %d %s", op->name, k, r,
			      mvl_ctx_get_error(e.ctx));
		ck_assert_msg(mvl_ctx_get_error(e.ctx)[0], "%s, step %lu: no message", op->name, k);
		ck_assert_msg(!mvl_ctx_get_undo_failed(e.ctx), "%s, step %lu: undo failed: %s",
			      op->name, k, mvl_ctx_get_error(e.ctx));
		now = snap(&e);
		assert_same(before, now, op->name, k);
		free(now);
		/* no fd left open (locks, journals, queues) */
		mvt_assert_unchanged(mvt_fds(), fds, "%s, step %lu: fds leaked or closed (diff above)",
				     op->name, k);
	}
	printf("%s: %lu steps, each failed once\n", op->name, n);
	/* every step failed once, and then it went through */
	ck_assert_msg(k - 1 == n, "%s: the loop failed %lu steps, a run has %lu", op->name, k - 1,
		      n);
	ck_assert_uint_eq(mvl_fault(e.ctx)->count, n);
	free(fds);
	free(before);
	env_free(&e);
}

START_TEST(fault_tap_persist)
{
	fault_loop(&op_tap_persist);
}
END_TEST

START_TEST(fault_tap_fds)
{
	fault_loop(&op_tap_fds);
}
END_TEST

START_TEST(fault_tap_persist_bridge)
{
	fault_loop(&op_tap_persist_bridge);
}
END_TEST

START_TEST(fault_bridge)
{
	fault_loop(&op_bridge);
}
END_TEST

START_TEST(fault_macvtap)
{
	fault_loop(&op_macvtap);
}
END_TEST

START_TEST(fault_passthru)
{
	fault_loop(&op_passthru);
}
END_TEST

START_TEST(fault_adopt_owner)
{
	fault_loop(&op_adopt_owner);
}
END_TEST

START_TEST(fault_tap_delete)
{
	fault_loop(&op_tap_delete);
}
END_TEST

START_TEST(fault_passthru_delete)
{
	fault_loop(&op_passthru_delete);
}
END_TEST

/* ip -j -d link show as {ifname: link}. */
static struct json_object *links_by_name(void)
{
	char *out = mvt_sh_out("ip -j -d link show");
	struct json_object *arr = json_tokener_parse(out), *map = json_object_new_object();

	free(out);
	for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
		struct json_object *l = json_object_array_get_idx(arr, i);

		mvt_link_strip(l);
		json_object_object_add(map, mvt_jstr(l, "ifname"), json_object_get(l));
	}
	json_object_put(arr);
	return map;
}

/*
 * A VM delete carries on past a failure (each link on its own; a link
 * group only when safe, else one by one), so a failure at step k may leave
 * some links deleted: each link must then be either exactly as before the
 * delete or exactly as before the VM existed (a passthru lower restored
 * with its macvtap gone), and a second delete finishes.
 */
/*
 * An operation that deletes, which cannot be undone half way: failed at
 * each step k of a clean run's n in turn, the call reports it (-EIO and a
 * message), and the same call again finishes the job: the host is exactly
 * as after the clean run.  With @whole, no link is half changed either
 * (each is as before the call or as after a clean run: links deleted
 * whole; an undo of several steps on one link, as recover's, passes
 * through states of its own).  @setup makes what @run removes; @run
 * returns what the library call returned, @clean_result on a clean run;
 * a clean run leaves the host as before @setup, but for what @kept (or
 * NULL) removes by hand.
 */
static void finish_loop(const struct op *op, void (*setup)(struct env *e),
			int (*run)(struct env *e), int clean_result, bool whole,
			void (*kept)(struct env *e))
{
	struct json_object *after, *before, *now;
	struct env e;
	char *base_snap, *after_snap, *s, *fds;
	unsigned long n, k;
	int r;

	prepare(&e, op);
	base_snap = snap(&e);
	setup(&e);
	mvl_fault(e.ctx)->count = 0;
	mvl_fault(e.ctx)->step = ULONG_MAX;
	r = run(&e);
	mvl_fault(e.ctx)->step = 0;
	ck_assert_msg(r == clean_result, "%s: %d, expected %d: %s", op->name, r, clean_result,
		      mvl_ctx_get_error(e.ctx));
	n = mvl_fault(e.ctx)->count;
	ck_assert_uint_gt(n, 0);
	after = links_by_name();
	after_snap = snap(&e);
	fds = mvt_fds();
	for (k = 1;; k++) {
		ck_assert_msg(k <= n + 1, "%s: step %lu failed, but a run has %lu", op->name, k - 1,
			      n);
		setup(&e);
		before = links_by_name();
		mvl_fault(e.ctx)->count = 0;
		mvl_fault(e.ctx)->step = k;
		r = run(&e);
		mvl_fault(e.ctx)->step = 0;
		if (r == clean_result && mvl_fault(e.ctx)->count < k) {
			json_object_put(before);
			break; /* went through: every step failed once */
		}
		ck_assert_msg(r == -EIO, "%s, step %lu: %d, not the step's -EIO: %s", op->name, k,
			      r, mvl_ctx_get_error(e.ctx));
		ck_assert_msg(mvl_ctx_get_error(e.ctx)[0], "%s, step %lu: no message", op->name, k);
		now = links_by_name();
		json_object_object_foreach(now, name, l)
		{
			struct json_object *b = NULL, *a = NULL;

			json_object_object_get_ex(before, name, &b);
			json_object_object_get_ex(after, name, &a);
			ck_assert_msg(!whole || (b && json_object_equal(l, b)) ||
					      (a && json_object_equal(l, a)),
				      "%s, step %lu: %s is half changed: %s", op->name, k, name,
				      json_object_to_json_string(l));
		}
		json_object_put(now);
		json_object_put(before);
		r = run(&e);
		ck_assert_msg(r >= 0, "%s, step %lu: run again: %s", op->name, k,
			      mvl_ctx_get_error(e.ctx));
		s = snap(&e);
		assert_same(after_snap, s, op->name, k);
		free(s);
		mvt_assert_unchanged(mvt_fds(), fds, "%s, step %lu: fds leaked or closed (diff above)",
				     op->name, k);
	}
	printf("%s: %lu steps, each failed once, then finished by running it again\n", op->name,
	       n);
	ck_assert_msg(k - 1 == n, "%s: the loop failed %lu steps, a run has %lu", op->name, k - 1,
		      n);
	/* and a clean run removed exactly what it should (the last run of
	 * the loop was clean) */
	s = snap(&e);
	assert_same(after_snap, s, op->name, k);
	free(s);
	if (kept)
		kept(&e);
	s = snap(&e);
	assert_same(base_snap, s, "what a clean run leaves", 0);
	free(s);
	free(base_snap);
	json_object_put(after);
	free(after_snap);
	free(fds);
	env_free(&e);
}

/* vm1's links (vm2's removed first: after a clean delete, the base). */
static void setup_vm1(struct env *e)
{
	setup_vm(e);
	ck_assert_int_eq(mvl_vm_delete(e->ctx, "vm2"), 1);
}

static int vm_delete_vm1(struct env *e)
{
	return mvl_vm_delete(e->ctx, VM);
}

START_TEST(fault_vm_delete)
{
	finish_loop(&op_vm_delete, setup_vm1, vm_delete_vm1, 3, true, NULL);
}
END_TEST

/* gc keeping vm2: vm1's two taps and its passthru macvtap go. */
static int gc_keep_vm2(struct env *e)
{
	static const char *const keep[] = { "vm2" };

	return mvl_gc(e->ctx, keep, 1, 0);
}

/* What gc keeping vm2 keeps: vm2's tap. */
static void delete_vm2(struct env *e)
{
	ck_assert_int_eq(mvl_vm_delete(e->ctx, "vm2"), 1);
}

START_TEST(fault_gc)
{
	static const struct op op_gc = { .name = "gc keeping vm2", .base = LOWER_DOWN };

	finish_loop(&op_gc, setup_vm, gc_keep_vm2, 3, true, delete_vm2);
}
END_TEST

static int tap_persist_call(struct mvl_ctx *ctx, const void *arg)
{
	return run_tap_persist(ctx, (struct env *)arg);
}

/* A tap create killed half way: a new bridge up, with the uplink in it,
 * and the create's journal (the tap went with the killed process). */
static void setup_killed_create(struct env *e)
{
	ck_assert(mvt_run_killed(e->state, 9, "tap create", tap_persist_call, e));
	ck_assert_str_eq(mvt_link_str("eno1", "master"), "br0");
}

static int recover_all(struct env *e)
{
	return mvl_recover(e->ctx, 0);
}

START_TEST(fault_recover)
{
	static const struct op op_recover = { .name = "recover of a tap create killed half way",
					      .base = UPLINK_DOWN };

	finish_loop(&op_recover, setup_killed_create, recover_all, 1, false, NULL);
}
END_TEST

/* --------------------------------------------------------------- crashes */

struct op_call {
	const struct op *op;
	struct env *e;
};

static int call_op(struct mvl_ctx *ctx, const void *arg)
{
	const struct op_call *c = arg;

	mvl_ctx_test(ctx)->lock_timeout_ms = mvl_ctx_test(c->e->ctx)->lock_timeout_ms;
	return c->op->run(ctx, c->e);
}

/* Run @op in a child SIGKILLed at step @k: true when it was killed. */
static bool run_killed(struct env *e, const struct op *op, unsigned long k)
{
	struct op_call c = { .op = op, .e = e };

	return mvt_run_killed(e->state, k, op->name, call_op, &c);
}

static void crash_loop(const struct op *op)
{
	struct env e;
	char *before, *now;
	unsigned long n, k;

	prepare(&e, op);
	if (op->release) {
		/* a killed release is finished by deleting again */
		before = snap(&e);
		op->setup(&e);
		mvl_vm_delete(e.ctx, "vm2");
		n = count_steps(&e, op);
		ck_assert_int_gt(mvl_vm_delete(e.ctx, VM), 0);
		mvl_vm_delete(e.ctx, "vm2");
		for (k = 1;; k++) {
			bool killed;

			op->setup(&e);
			mvl_vm_delete(e.ctx, "vm2");
			killed = run_killed(&e, op, k);
			ck_assert_msg(killed == (k <= n), "%s: killed at %lu of %lu steps",
				      op->name, k, n);
			ck_assert_msg(mvl_recover(e.ctx, 0) >= 0, "%s", mvl_ctx_get_error(e.ctx));
			ck_assert_msg(mvl_vm_delete(e.ctx, VM) >= 0, "%s",
				      mvl_ctx_get_error(e.ctx));
			now = snap(&e);
			assert_same(before, now, op->name, k);
			free(now);
			if (!killed)
				break;
		}
		free(before);
		env_free(&e);
		return;
	}
	before = snap(&e);
	n = count_steps(&e, op);
	for (int mode = 0; mode < (op->vm_before ? 1 : 2); mode++) {
		for (k = 1;; k++) {
			bool killed = run_killed(&e, op, k);
			int r;

			ck_assert_msg(killed == (k <= n), "%s: killed at %lu of %lu steps",
				      op->name, k, n);
			if (!killed) {
				undo_by_hand(&e, op);
				break;
			}
			/* another process, knowing nothing of it, puts the host back */
			r = mode == 0 ? mvl_recover(e.ctx, 0) : mvl_vm_delete(e.ctx, VM);
			ck_assert_msg(r >= 0, "%s, step %lu: %s: %d %s", op->name, k,
				      mode == 0 ? "recover" : "vm delete", r,
				      mvl_ctx_get_error(e.ctx));
			now = snap(&e);
			assert_same(before, now, mode == 0 ? "recover" : "vm delete", k);
			free(now);
		}
		now = snap(&e);
		assert_same(before, now, "undo by hand", k);
		free(now);
	}
	free(before);
	env_free(&e);
}

START_TEST(crash_tap_persist)
{
	crash_loop(&op_tap_persist);
}
END_TEST

START_TEST(crash_tap_fds)
{
	crash_loop(&op_tap_fds);
}
END_TEST

START_TEST(crash_tap_persist_bridge)
{
	crash_loop(&op_tap_persist_bridge);
}
END_TEST

START_TEST(crash_bridge)
{
	crash_loop(&op_bridge);
}
END_TEST

START_TEST(crash_macvtap)
{
	crash_loop(&op_macvtap);
}
END_TEST

START_TEST(crash_passthru)
{
	crash_loop(&op_passthru);
}
END_TEST

START_TEST(crash_adopt_owner)
{
	crash_loop(&op_adopt_owner);
}
END_TEST

START_TEST(crash_tap_delete)
{
	crash_loop(&op_tap_delete);
}
END_TEST

START_TEST(crash_passthru_delete)
{
	crash_loop(&op_passthru_delete);
}
END_TEST

START_TEST(crash_vm_delete)
{
	crash_loop(&op_vm_delete);
}
END_TEST

/* ------------------------------------------------------------- journals */

/* Kill a bridge create right after its bridge exists (untagged): a dead
 * journal and a half-made bridge. */
static char *leave_dead_journal(struct env *e, char *file, size_t len)
{
	char *out;

	mvt_crashed_bridge(e->state, &bridge_opts);
	ck_assert_str_eq(mvt_link_str("br0", "linkinfo.info_kind"), "bridge");
	out = mvt_sh_out("cd '%s/links' && ls", e->state);
	ck_assert_msg(strlen(out) > 6, "no journal: '%s'", out);
	out[strcspn(out, "\n")] = '\0';
	snprintf(file, len, "%s/links/%s", e->state, out);
	free(out);
	return snap(e);
}

static void write_text(const char *path, const char *text, size_t len)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
}

static char *read_text(const char *path)
{
	char *s = mvt_sh_out("cat '%s'", path);

	ck_assert_ptr_nonnull(s);
	return s;
}

#define DIGITS40 "0000000000000000000000000000000000000000"

/* @good, the journal, with its "netns" number replaced by @netns, at @path. */
static void write_with_netns(const char *path, const char *good, const char *netns)
{
	const char *at = strstr(good, "\"netns\":"), *end;
	char *text = NULL;

	ck_assert_ptr_nonnull(at);
	at += strlen("\"netns\":");
	end = at + strspn(at, " 0123456789");
	ck_assert_int_ge(asprintf(&text, "%.*s%s%s", (int)(at - good), good, netns, end), 0);
	write_text(path, text, strlen(text));
	free(text);
}

START_TEST(corrupt_journal)
{
	static const char garbage[] = "\177ELF\2\1\1 garbage \0 with a NUL";
	struct env e;
	char path[PATH_MAX], *good, *half, *now, *base;
	struct mvl_iface *iface = NULL;
	struct mvl_tap_opts to = {
		.sz = sizeof(to), .vm_id = "vm9", .name = "t9", .bridge = "br0"
	};

	prepare(&e, &op_bridge);
	base = snap(&e);
	half = leave_dead_journal(&e, path, sizeof(path));
	good = read_text(path);
	for (int round = 0; round < 5; round++) {
		if (round == 0)
			write_text(path, good, strlen(good) / 2);
		else if (round == 1)
			write_text(path, garbage, sizeof(garbage) - 1);
		else if (round == 2)
			write_text(path, "", 0);
		else /* a number json-c would clamp to INT64_MAX */
			write_with_netns(path, good,
					 round == 3 ? "9223372036854775808" : "1" DIGITS40 DIGITS40);
		now = snap(&e);
		/* recover: a clear error naming the file; nothing done */
		ck_assert_int_eq(mvl_recover(e.ctx, 0), -EBADMSG);
		ck_assert_ptr_nonnull(strstr(mvl_ctx_get_error(e.ctx), "is corrupt"));
		ck_assert_ptr_nonnull(strstr(mvl_ctx_get_error(e.ctx), path));
		ck_assert_int_eq(mvl_recover(e.ctx, MVL_RECOVER_DRY_RUN), -EBADMSG);
		/* whose it is cannot be told: a VM delete and a GC skip it */
		ck_assert_int_eq(mvl_vm_delete(e.ctx, VM), 0);
		ck_assert_int_eq(mvl_gc(e.ctx, NULL, 0, 0), 0);
		{
			char *after = snap(&e);

			assert_same(now, after, "corrupt journal", (unsigned long)round);
			free(after);
		}
		free(now);
	}
	/* the journal as it was: recover undoes it */
	write_text(path, good, strlen(good));
	now = snap(&e);
	assert_same(half, now, "journal restored", 0);
	free(now);
	ck_assert_int_eq(mvl_recover(e.ctx, MVL_RECOVER_DRY_RUN), 1);
	ck_assert_int_eq(mvl_recover(e.ctx, 0), 1);
	now = snap(&e);
	assert_same(base, now, "recovered", 0);
	free(now);
	ck_assert_int_eq(mvl_recover(e.ctx, 0), 0);

	/* a create on the same bridge undoes a dead journal first */
	free(half);
	half = leave_dead_journal(&e, path, sizeof(path));
	ck_assert_int_eq(mvl_tap_create(e.ctx, &to, &iface), 0);
	ck_assert_int_eq(access(path, F_OK), -1);
	ck_assert_str_eq(mvt_link_str("t9", "master"), "br0");
	/* the bridge is the create's own now, not the dead one's */
	ck_assert_str_eq(mvt_link_str("br0", "ifalias"), "mvlink:vm=vm9;mode=bridge");
	mvl_iface_unref(iface); /* the tap goes with its fd (its index entry stays) */
	ck_assert_int_eq(mvl_iface_delete(e.ctx, "br0"), 1);
	ck_assert_int_eq(mvt_sh("ip link set eno1 down"), 0);
	mvt_drop_index(e.state);
	now = snap(&e);
	assert_same(base, now, "create after a crash", 0);
	free(now);

	free(good);
	free(half);
	free(base);
	env_free(&e);
}
END_TEST

/* A journal whose process still holds its locks is left alone by recover,
 * vm delete and gc; one of another network namespace too. */
START_TEST(live_and_foreign_journals)
{
	struct env e;
	char path[PATH_MAX], *half, *now, *text, *other;
	struct mvl_link_journal j;
	struct mvl_lockset set;
	unsigned long long ns;

	prepare(&e, &op_bridge);
	half = leave_dead_journal(&e, path, sizeof(path));
	ck_assert_int_eq(mvl_link_journal_read(e.ctx, strrchr(path, '/') + 1, &j), 0);
	/* its locks held: someone is at work */
	mvl_lockset_init(&set);
	ck_assert_int_eq(mvl_link_journal_locks(&j, &set), 0);
	ck_assert_int_eq(mvl_lockset_take(e.ctx, &set, false), 0);
	ck_assert_int_eq(mvl_recover(e.ctx, 0), 0);
	ck_assert_int_eq(mvl_vm_delete(e.ctx, VM), 0);
	ck_assert_int_eq(mvl_gc(e.ctx, NULL, 0, 0), 0);
	now = snap(&e);
	assert_same(half, now, "live journal", 0);
	free(now);
	/* and a create waits for them, then gives up naming the resource */
	{
		struct mvl_bridge_opts bo = { .sz = sizeof(bo), .name = "br0" };

		mvl_ctx_test(e.ctx)->lock_timeout_ms = 100;
		ck_assert_int_eq(mvl_bridge_ensure(e.ctx, &bo), -EBUSY);
		ck_assert_ptr_nonnull(strstr(mvl_ctx_get_error(e.ctx),
					     "busy: another mvlink process holds bridge br0"));
		mvl_ctx_test(e.ctx)->lock_timeout_ms = mvt_wait_ms(2000);
	}
	mvl_lockset_drop(&set);
	/* another namespace's: not visible from here, not acted on */
	ck_assert_int_eq(mvl_netns_id(&ns), 0);
	j.netns = ns + 1;
	j.file[0] = '\0';
	ck_assert_int_eq(mvl_link_journal_encode(&j, &text), 0);
	ck_assert_int_ge(asprintf(&other, "%s/links/bridge-0123456789abcdef.json", e.state), 0);
	{
		int fd = open(other, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
		close(fd);
	}
	ck_assert_int_eq(mvl_recover(e.ctx, 0), 1); /* ours only */
	ck_assert(!mvt_link_exists("br0"));
	ck_assert_int_eq(access(other, F_OK), 0);
	ck_assert_int_eq(mvl_recover(e.ctx, 0), 0);
	unlink(other);
	free(other);
	free(text);
	free(half);
	env_free(&e);
}
END_TEST

/* Pure: a link journal survives encode/decode; every truncation of it,
 * and inconsistent ones, are refused with a reason. */
START_TEST(journal_pure)
{
	struct mvl_link_journal j = { .op = MVL_LJ_MACVTAP,
				      .netns = 4026531840ULL,
				      .pid = 42,
				      .link_lower = 7 },
				j2;
	char why[256], *text = NULL, *t2 = NULL;
	size_t len;

	snprintf(j.vm_id, sizeof(j.vm_id), "vm1");
	snprintf(j.name, sizeof(j.name), "mvt0");
	j.link = (struct mvl_lj_dev){ .set = true, .ifindex = 1234567 };
	snprintf(j.link.name, sizeof(j.link.name), "mvt0");
	snprintf(j.link.kind, sizeof(j.link.kind), "macvtap");
	j.lower = (struct mvl_lj_dev){ .set = true, .ifindex = 7 };
	snprintf(j.lower.name, sizeof(j.lower.name), "eth0");
	snprintf(j.lower.kind, sizeof(j.lower.kind), "veth");
	memcpy(j.lower_mac, guest_mac, 6);
	j.lower_set_mac = true;
	j.lower_was_down = true;
	j.lower_new_mac[0] = 2;
	ck_assert_int_eq(mvl_link_journal_encode(&j, &text), 0);
	len = strlen(text);
	ck_assert_int_eq(mvl_link_journal_decode(text, len, &j2, why, sizeof(why)), 0);
	ck_assert_int_eq(mvl_link_journal_encode(&j2, &t2), 0);
	ck_assert_str_eq(text, t2);
	free(t2);
	for (size_t n = 0; n < len; n++) {
		why[0] = '\0';
		ck_assert_msg(mvl_link_journal_decode(text, n, &j2, why, sizeof(why)) == -EBADMSG,
			      "%zu of %zu bytes accepted", n, len);
		ck_assert_msg(why[0], "%zu bytes: no reason", n);
	}
	free(text);
	/* inconsistent: a macvtap that is neither created nor changes anything */
	j.link.set = false;
	j.link_lower = 0;
	j.lower.set = false;
	j.lower_set_mac = j.lower_was_down = false;
	ck_assert_int_eq(mvl_link_journal_encode(&j, &text), -EINVAL);
	/* a bridge journal names no interface of its own */
	j.op = MVL_LJ_BRIDGE;
	j.bridge = (struct mvl_lj_dev){ .set = true, .ifindex = 5 };
	snprintf(j.bridge.name, sizeof(j.bridge.name), "br0");
	snprintf(j.bridge.kind, sizeof(j.bridge.kind), "bridge");
	ck_assert_int_eq(mvl_link_journal_encode(&j, &text), -EINVAL);
	j.name[0] = '\0';
	ck_assert_int_eq(mvl_link_journal_encode(&j, &text), 0);
	ck_assert_int_eq(mvl_link_journal_decode(text, strlen(text), &j2, why, sizeof(why)), 0);
	/* a field changed by hand */
	{
		char *p = strstr(text, "\"kind\"");

		ck_assert_ptr_nonnull(p);
		p = strstr(p, "\"bridge\"");
		ck_assert_ptr_nonnull(p);
		memcpy(p, "\"brid/e\"", 8);
		ck_assert_int_eq(mvl_link_journal_decode(text, strlen(text), &j2, why, sizeof(why)),
				 -EBADMSG);
		ck_assert_ptr_nonnull(strstr(why, "kind"));
	}
	free(text);
}
END_TEST

static Suite *crash_suite(void)
{
	Suite *s = suite_create("crash");
	TCase *faults = tcase_create("faults"), *crashes = tcase_create("crashes"),
	      *journals = tcase_create("journals");

	tcase_set_timeout(faults, 120);
	tcase_add_test(faults, fault_tap_persist);
	tcase_add_test(faults, fault_tap_fds);
	tcase_add_test(faults, fault_tap_persist_bridge);
	tcase_add_test(faults, fault_bridge);
	tcase_add_test(faults, fault_macvtap);
	tcase_add_test(faults, fault_passthru);
	tcase_add_test(faults, fault_adopt_owner);
	tcase_add_test(faults, fault_tap_delete);
	tcase_add_test(faults, fault_passthru_delete);
	tcase_add_test(faults, fault_vm_delete);
	tcase_add_test(faults, fault_gc);
	tcase_add_test(faults, fault_recover);
	suite_add_tcase(s, faults);

	tcase_set_timeout(crashes, 120);
	tcase_add_test(crashes, crash_tap_persist);
	tcase_add_test(crashes, crash_tap_fds);
	tcase_add_test(crashes, crash_tap_persist_bridge);
	tcase_add_test(crashes, crash_bridge);
	tcase_add_test(crashes, crash_macvtap);
	tcase_add_test(crashes, crash_passthru);
	tcase_add_test(crashes, crash_adopt_owner);
	tcase_add_test(crashes, crash_tap_delete);
	tcase_add_test(crashes, crash_passthru_delete);
	tcase_add_test(crashes, crash_vm_delete);
	suite_add_tcase(s, crashes);

	tcase_set_timeout(journals, 60);
	tcase_add_test(journals, corrupt_journal);
	tcase_add_test(journals, live_and_foreign_journals);
	tcase_add_test(journals, journal_pure);
	suite_add_tcase(s, journals);
	return s;
}

int main(void)
{
	return mvt_run(crash_suite(), true);
}
