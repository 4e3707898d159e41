// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-race.c - 16 processes at once on the same resources, against the
 * real kernel in private namespaces (and, for a VF, on a fake sysfs tree):
 * the same tap name, the same bridge, a template, deletions, creates and
 * deletes and recovers mixed, the same VF.  Exactly one winner per
 * resource; the others get a clear "exists"/"busy" error naming it;
 * nothing is corrupted (the result is whole: tagged, on its bridge, up);
 * nothing is left after the cleanup.
 */
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "fakesys.h"
#include "testutil.h"

#define N 16

/* What a child reports. */
struct result {
	int i;
	int r;
	int extra;
	bool adopted; /* the interface it got, if any, was adopted */
	char name[16]; /* and its name */
	char msg[400];
};

/*
 * What the children run: @vm is "vm<child index>"; an interface made goes
 * to *@iface (its name and whether it was adopted are reported), anything
 * else worth reporting to *@extra.  Returns 0 or -errno.
 */
typedef int race_fn(struct mvl_ctx *ctx, const char *vm, struct mvl_iface **iface, int *extra);

struct env {
	struct mvl_ctx *ctx;
	char state[64];
	struct fakesys *fs; /* the VF race */
};

/* A context on the state dir (or the fake tree), waiting 5 s for locks
 * (mvt_wait_ms(): longer under valgrind). */
static struct mvl_ctx *new_ctx(struct env *e)
{
	struct mvl_ctx *ctx = NULL;

	if (!e->fs) {
		ctx = mvt_ctx_at(e->state);
	} else if (mvl_ctx_new(&ctx) == 0) {
		fs_setup_ctx(e->fs, ctx);
	}
	if (ctx)
		mvl_ctx_test(ctx)->lock_timeout_ms = mvt_wait_ms(5000);
	return ctx;
}

/* Fresh namespaces and state directory, where @setup (a shell command, or
 * NULL) is run: the snapshot of that start, to compare the end with. */
static char *env_init(struct env *e, const char *setup)
{
	memset(e, 0, sizeof(*e));
	mvt_enter_netns();
	snprintf(e->state, sizeof(e->state), "/tmp/mvlink-race.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(e->state));
	e->ctx = new_ctx(e);
	ck_assert_ptr_nonnull(e->ctx);
	if (setup)
		ck_assert_int_eq(mvt_sh("%s", setup), 0);
	return mvt_snapshot_state(e->state);
}

/* The links and the state files (lock files stay by design) are as at
 * @base again. */
static void assert_back(struct env *e, const char *base)
{
	mvt_assert_unchanged(mvt_snapshot_state(e->state), base, "something was left (diff above)");
}

/* The end: all is as at @base (freed) again, and the environment goes. */
static void env_free(struct env *e, char *base)
{
	assert_back(e, base);
	free(base);
	mvl_ctx_unref(e->ctx);
	mvt_sh("rm -rf '%s'", e->state);
}

/*
 * Run @fn in @n children started together (they wait on a pipe that the
 * parent closes), each with a context of its own; collect their results in
 * @res (by child index).
 */
static void race(struct env *e, int n, race_fn *fn, struct result *res)
{
	int go[2], back[2], status;
	pid_t pids[64];

	ck_assert_int_eq(pipe2(go, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(back, O_CLOEXEC), 0);
	fflush(NULL);
	for (int i = 0; i < n; i++) {
		pids[i] = fork();
		ck_assert_int_ge(pids[i], 0);
		if (pids[i] == 0) {
			struct result r = { .i = i };
			struct mvl_iface *iface = NULL;
			struct mvl_ctx *ctx;
			char c, vm[16];

			mvt_child_init();
			close(go[1]);
			close(back[0]);
			ctx = new_ctx(e);
			if (read(go[0], &c, 1) < 0 || !ctx)
				mvt_child_exit(3);
			snprintf(vm, sizeof(vm), "vm%d", i);
			r.r = fn(ctx, vm, &iface, &r.extra);
			snprintf(r.msg, sizeof(r.msg), "%s", mvl_ctx_get_error(ctx));
			if (iface) {
				r.adopted = mvl_iface_get_adopted(iface);
				snprintf(r.name, sizeof(r.name), "%s", mvl_iface_get_name(iface));
			}
			mvl_iface_unref(iface);
			mvl_ctx_unref(ctx);
			if (write(back[1], &r, sizeof(r)) != sizeof(r))
				mvt_child_exit(4);
			mvt_child_exit(0);
		}
	}
	close(go[0]);
	close(back[1]);
	close(go[1]); /* go */
	for (int i = 0; i < n; i++) {
		struct result r;

		ck_assert_int_eq(read(back[0], &r, sizeof(r)), (ssize_t)sizeof(r));
		ck_assert(r.i >= 0 && r.i < n);
		res[r.i] = r;
	}
	close(back[0]);
	for (int i = 0; i < n; i++) {
		ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child %d: %d", i,
			      status);
	}
}

static bool has(const char *s, const char *what)
{
	return s && strstr(s, what);
}

static bool link_has_flag(const char *name, const char *flag)
{
	struct json_object *j = mvt_ip_link(name), *flags = NULL;
	bool found = false;

	if (j && json_object_object_get_ex(j, "flags", &flags))
		for (size_t i = 0; i < json_object_array_length(flags); i++)
			found |= strcmp(json_object_get_string(json_object_array_get_idx(flags, i)),
					flag) == 0;
	json_object_put(j);
	return found;
}

/* A tap as a create leaves it: tagged for @vm, on @bridge, up, persistent. */
static void assert_whole_tap(const char *name, const char *vm, const char *bridge)
{
	char tag[128];

	snprintf(tag, sizeof(tag), "mvlink:vm=%s;mode=tap", vm);
	ck_assert_str_eq(mvt_link_str(name, "ifalias"), tag);
	ck_assert_str_eq(mvt_link_str(name, "linkinfo.info_kind"), "tun");
	ck_assert_str_eq(mvt_link_str(name, "linkinfo.info_data.persist"), "true");
	if (bridge)
		ck_assert_str_eq(mvt_link_str(name, "master"), bridge);
	ck_assert(link_has_flag(name, "UP"));
}

static void assert_no_journals(struct env *e)
{
	char *out = mvt_sh_out("find '%s/links' -type f 2>/dev/null", e->state);

	ck_assert_msg(out[0] == '\0', "journals left: %s", out);
	free(out);
}

/* ------------------------------------------------------------ the races */

static int create_same_name(struct mvl_ctx *ctx, const char *vm, struct mvl_iface **iface,
			    int *extra)
{
	struct mvl_tap_opts o = { .sz = sizeof(o),
				  .vm_id = vm,
				  .name = "vm-race",
				  .bridge = "br0",
				  .flags = MVL_TAP_PERSIST };

	return mvl_tap_create(ctx, &o, iface);
}

START_TEST(same_tap_name)
{
	struct env e;
	struct result res[N];
	char *base = env_init(&e, NULL), vm[16];
	int winners = 0, winner = -1;

	race(&e, N, create_same_name, res);
	for (int i = 0; i < N; i++) {
		if (res[i].r == 0) {
			winners++;
			winner = i;
			ck_assert(!res[i].adopted); /* created, not adopted */
			continue;
		}
		/* a clear error naming what is taken */
		ck_assert_msg(res[i].r == -EEXIST || res[i].r == -EBUSY, "child %d: %d %s", i,
			      res[i].r, res[i].msg);
		ck_assert_msg(has(res[i].msg, "vm-race") || has(res[i].msg, "bridge br0"),
			      "child %d: %s", i, res[i].msg);
		if (res[i].r == -EEXIST)
			ck_assert_msg(has(res[i].msg, "belongs to VM"), "child %d: %s", i,
				      res[i].msg);
		else
			ck_assert_msg(has(res[i].msg, "busy: another mvlink process holds"),
				      "child %d: %s", i, res[i].msg);
	}
	ck_assert_int_eq(winners, 1);
	snprintf(vm, sizeof(vm), "vm%d", winner);
	assert_whole_tap("vm-race", vm, "br0");
	ck_assert_int_eq(mvt_sh("ip -o link show master br0 | wc -l | grep -qx 1"), 0);
	assert_no_journals(&e);
	/* nothing else was made: the tap and the bridge go, and all is as before */
	ck_assert_int_eq(mvl_vm_delete(e.ctx, vm), 1);
	ck_assert_int_eq(mvl_iface_delete(e.ctx, "br0"), 1);
	env_free(&e, base);
}
END_TEST

#define UPLINK_DOWN "ip link add eno1 type veth peer name peer0 && ip link set peer0 up"

static int ensure_bridge(struct mvl_ctx *ctx, const char *vm, struct mvl_iface **iface, int *extra)
{
	struct mvl_bridge_opts o = {
		.sz = sizeof(o), .name = "br0", .vm_id = vm, .uplink = "eno1"
	};
	int r = mvl_bridge_ensure(ctx, &o);

	*extra = r;
	return r < 0 ? r : 0;
}

START_TEST(same_bridge)
{
	struct env e;
	struct result res[N];
	char *base = env_init(&e, UPLINK_DOWN), tag[64];
	int created = 0, creator = -1;

	race(&e, N, ensure_bridge, res);
	for (int i = 0; i < N; i++) {
		ck_assert_msg(res[i].r == 0, "child %d: %d %s", i, res[i].r, res[i].msg);
		if (res[i].extra == 1) {
			created++;
			creator = i;
		}
	}
	ck_assert_int_eq(created, 1);
	snprintf(tag, sizeof(tag), "mvlink:vm=vm%d;mode=bridge", creator);
	ck_assert_str_eq(mvt_link_str("br0", "ifalias"), tag);
	ck_assert_str_eq(mvt_link_str("eno1", "master"), "br0");
	ck_assert(link_has_flag("br0", "UP"));
	assert_no_journals(&e);
	ck_assert_int_eq(mvt_sh("ip link del br0 && ip link set eno1 down"), 0);
	env_free(&e, base);
}
END_TEST

static int create_template(struct mvl_ctx *ctx, const char *vm, struct mvl_iface **iface,
			   int *extra)
{
	struct mvl_tap_opts o = {
		.sz = sizeof(o), .vm_id = vm, .name = "vm-%d", .flags = MVL_TAP_PERSIST
	};

	return mvl_tap_create(ctx, &o, iface);
}

START_TEST(template_names)
{
	struct env e;
	struct result res[N];
	bool taken[N] = { false };
	char *base = env_init(&e, NULL);

	race(&e, N, create_template, res);
	/* every one gets a name of its own: the lowest 16 numbers */
	for (int i = 0; i < N; i++) {
		char name[16], vm[16];
		int k;

		ck_assert_msg(res[i].r == 0, "child %d: %d %s", i, res[i].r, res[i].msg);
		ck_assert_msg(sscanf(res[i].name, "vm-%d", &k) == 1, "child %d: '%s'", i,
			      res[i].name);
		ck_assert_int_ge(k, 0);
		ck_assert_int_lt(k, N);
		ck_assert(!taken[k]);
		taken[k] = true;
		snprintf(name, sizeof(name), "vm-%d", k);
		snprintf(vm, sizeof(vm), "vm%d", i);
		assert_whole_tap(name, vm, NULL);
	}
	assert_no_journals(&e);
	for (int i = 0; i < N; i++) {
		char vm[16];

		snprintf(vm, sizeof(vm), "vm%d", i);
		ck_assert_int_eq(mvl_vm_delete(e.ctx, vm), 1);
	}
	env_free(&e, base);
}
END_TEST

static int delete_same(struct mvl_ctx *ctx, const char *vm, struct mvl_iface **iface, int *extra)
{
	return mvl_iface_delete(ctx, "vm-race");
}

static int delete_vm(struct mvl_ctx *ctx, const char *vm, struct mvl_iface **iface, int *extra)
{
	return mvl_vm_delete(ctx, "vmD");
}

START_TEST(deletes)
{
	struct env e;
	struct result res[N];
	struct mvl_tap_opts o = { .sz = sizeof(o),
				  .vm_id = "vmD",
				  .name = "vm-race",
				  .bridge = "br0",
				  .flags = MVL_TAP_PERSIST };
	struct mvl_iface *iface = NULL;
	/* a bridge that had a port once (its MAC and limits follow its ports) */
	char *base = env_init(&e, "ip link add br0 type bridge && ip link set br0 up && "
				  "ip link add d0 type veth peer name d1 && "
				  "ip link set d0 master br0 && ip link del d0");
	int ones = 0;

	ck_assert_int_eq(mvl_tap_create(e.ctx, &o, &iface), 0);
	mvl_iface_unref(iface);
	/* the same tap: one deletes it, the others find nothing to do */
	race(&e, N, delete_same, res);
	for (int i = 0; i < N; i++) {
		ck_assert_msg(res[i].r == 0 || res[i].r == 1, "child %d: %d %s", i, res[i].r,
			      res[i].msg);
		ones += res[i].r;
	}
	ck_assert_int_eq(ones, 1);
	assert_back(&e, base);
	/* a VM of several taps deleted by all at once: no error, all gone */
	for (int t = 0; t < 4; t++) {
		char name[16];

		snprintf(name, sizeof(name), "vmd-%d", t);
		o.name = name;
		ck_assert_int_eq(mvl_tap_create(e.ctx, &o, &iface), 0);
		mvl_iface_unref(iface);
	}
	race(&e, N, delete_vm, res);
	for (int i = 0; i < N; i++)
		ck_assert_msg(res[i].r >= 0, "child %d: %d %s", i, res[i].r, res[i].msg);
	env_free(&e, base);
}
END_TEST

/* Creators, deleters and recoverers of one tap all at once, in rounds: a
 * recover never undoes a create at work, and the tap is always whole or
 * absent. */
static int storm(struct mvl_ctx *ctx, const char *vm, struct mvl_iface **iface, int *extra)
{
	struct mvl_tap_opts o = { .sz = sizeof(o),
				  .vm_id = "vmS",
				  .name = "vm-s",
				  .bridge = "br0",
				  .uplink = "eno1",
				  .flags = MVL_TAP_PERSIST };
	int r = 0, i = atoi(vm + strlen("vm")); /* the child's index: its part */

	*extra = 0;
	for (int round = 0; round < 4 && r >= 0; round++) {
		switch (i % 4) {
		case 0:
		case 1:
			r = mvl_tap_create(ctx, &o, iface);
			mvl_iface_unref(*iface);
			*iface = NULL;
			break;
		case 2:
			r = mvl_iface_delete(ctx, "vm-s");
			break;
		case 3:
			r = mvl_recover(ctx, 0);
			*extra += r > 0 ? r : 0;
			break;
		}
	}
	return r < 0 ? r : 0;
}

START_TEST(create_delete_recover_storm)
{
	struct env e;
	struct result res[N];
	char *base = env_init(&e, UPLINK_DOWN);

	race(&e, N, storm, res);
	for (int i = 0; i < N; i++) {
		ck_assert_msg(res[i].r == 0, "child %d: %d %s", i, res[i].r, res[i].msg);
		if (i % 4 == 3)
			ck_assert_msg(res[i].extra == 0, "recover undid %d live creates",
				      res[i].extra);
	}
	if (mvt_link_exists("vm-s"))
		assert_whole_tap("vm-s", "vmS", "br0");
	ck_assert_str_eq(mvt_link_str("br0", "ifalias"), "mvlink:vm=vmS;mode=bridge");
	ck_assert_str_eq(mvt_link_str("eno1", "master"), "br0");
	assert_no_journals(&e);
	ck_assert_int_eq(mvl_recover(e.ctx, 0), 0);
	ck_assert_int_ge(mvl_vm_delete(e.ctx, "vmS"), 0);
	ck_assert_int_eq(mvt_sh("ip link del br0 && ip link set eno1 down"), 0);
	env_free(&e, base);
}
END_TEST

/*
 * A delete by name that comes while a create is making that link: the link
 * exists, not yet tagged, and the create holds the name's lock.  The delete
 * must wait for the lock and look again (then it deletes the finished
 * link), not refuse it as foreign.  Deterministic: the parent plays the
 * create, holding the lock; the child's delete is seen waiting once it has
 * the lock file open; only then is the tag set and the lock dropped.
 */
static bool has_open(pid_t pid, const char *path)
{
	char dir[64], target[PATH_MAX];
	struct dirent *de;
	bool found = false;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	d = opendir(dir);
	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		ssize_t l = readlinkat(dirfd(d), de->d_name, target, sizeof(target) - 1);

		found = l > 0 && (target[l] = '\0', strcmp(target, path) == 0);
	}
	closedir(d);
	return found;
}

/* The delete of @name (made by @make) while a create holds its lock of
 * @kind (@prefix: the lock file's) and has not tagged it yet with @tag. */
static void delete_waits(struct env *e, enum mvl_lock_kind kind, const char *prefix,
			 const char *name, const char *make, const char *tag)
{
	char lock[PATH_MAX], real[PATH_MAX], msg[400] = "";
	int fd = -1, status, p[2], go[2];
	bool reaped = false;
	ssize_t l;
	pid_t pid;

	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(go, O_CLOEXEC), 0);
	fflush(NULL);
	pid = fork(); /* before the lock: the child must not inherit its fd */
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct mvl_ctx *ctx;
		char c;
		int r;

		mvt_child_init();
		ctx = new_ctx(e);
		close(go[1]);
		r = read(go[0], &c, 1) == 1 && ctx ? mvl_iface_delete(ctx, name) : -EPIPE;
		snprintf(msg, sizeof(msg), "%d %s", r, ctx ? mvl_ctx_get_error(ctx) : "");
		if (write(p[1], msg, strlen(msg)) < 0)
			mvt_child_exit(4);
		mvl_ctx_unref(ctx);
		mvt_child_exit(0);
	}
	close(p[1]);
	close(go[0]);
	/* the create, half way: the lock held, the link not tagged */
	ck_assert_int_eq(mvl_lock_take(e->ctx, kind, name, false, false, &fd), 0);
	ck_assert_int_eq(mvt_sh("%s", make), 0);
	snprintf(lock, sizeof(lock), "%s/locks/%s-%s.lock", e->state, prefix, name);
	ck_assert_ptr_nonnull(realpath(lock, real));
	ck_assert_int_eq(write(go[1], "g", 1), 1);
	close(go[1]);
	/* until the delete waits on the lock, or ended without */
	while (!has_open(pid, real) && !reaped)
		reaped = waitpid(pid, &status, WNOHANG) == pid;
	ck_assert_int_eq(mvt_sh("ip link set %s alias '%s'", name, tag), 0);
	mvl_lock_drop(&fd);
	l = read(p[0], msg, sizeof(msg) - 1);
	msg[l > 0 ? l : 0] = '\0';
	close(p[0]);
	if (!reaped)
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child: %d", status);
	ck_assert_msg(strncmp(msg, "1 ", 2) == 0, "the delete of %s, which a create was making: %s",
		      name, msg);
	ck_assert(!mvt_link_exists(name));
}

START_TEST(delete_waits_for_create)
{
	struct env e;
	char *base = env_init(&e, NULL), lock[PATH_MAX];

	/* a name mvlink never locked is foreign at once, and the refusal
	 * leaves no lock file behind */
	ck_assert_int_eq(mvt_sh("ip tuntap add fx mode tap"), 0);
	ck_assert_int_eq(mvl_iface_delete(e.ctx, "fx"), -EPERM);
	ck_assert_ptr_nonnull(strstr(mvl_ctx_get_error(e.ctx), "fx was not created by mvlink"));
	snprintf(lock, sizeof(lock), "%s/locks/name-fx.lock", e.state);
	ck_assert_int_eq(access(lock, F_OK), -1);
	ck_assert_int_eq(mvt_sh("ip link del fx"), 0);
	/* a tap and a bridge a create is making */
	delete_waits(&e, MVL_LOCK_NAME, "name", "vm-u", "ip tuntap add vm-u mode tap",
		     "mvlink:vm=vmU;mode=tap");
	delete_waits(&e, MVL_LOCK_BRIDGE, "bridge", "br-u", "ip link add br-u type bridge",
		     "mvlink:vm=vmU;mode=bridge");
	env_free(&e, base);
}
END_TEST

/* --------------------------------------------------------------- a VF */

#define PF_ADDR "0000:3b:00.0"
#define PF_IF "enp59s0f0"

static int attach_vf0(struct mvl_ctx *ctx, const char *vm, struct mvl_iface **iface, int *extra)
{
	static const uint8_t mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
	struct mvl_vf_opts o = { .sz = sizeof(o),
				 .vm_id = vm,
				 .pf = PF_IF,
				 .vf = 0,
				 .mac = mac,
				 .vlan = 100,
				 .flags = MVL_VF_VLAN };

	return mvl_vf_attach(ctx, &o, iface);
}

START_TEST(same_vf)
{
	struct env e;
	struct result res[N];
	struct fs_dev *pf;
	char *before, *after, vm[16], vf[MVL_PCI_ADDR_LEN];
	int winners = 0, winner = -1;

	memset(&e, 0, sizeof(e));
	mvt_enter_netns();
	e.fs = fs_new();
	e.ctx = new_ctx(&e);
	fs_add_driver(e.fs, "i40e");
	fs_add_driver(e.fs, "iavf");
	pf = fs_add_dev(e.fs, PF_ADDR, 0x8086, 0x1572, 0x020000, "i40e", -2);
	fs_make_pf(e.fs, pf, 8, "iavf");
	fs_add_netdev(e.fs, pf, PF_IF, 1001, true);
	ck_assert_int_eq(mvl_sriov_enable(e.ctx, PF_IF, 2), 1);
	fs_vf_addr(pf, 0, vf);
	before = fs_snapshot(e.fs);
	race(&e, N, attach_vf0, res);
	for (int i = 0; i < N; i++) {
		if (res[i].r == 0) {
			winners++;
			winner = i;
			continue;
		}
		ck_assert_msg(res[i].r == -EBUSY, "child %d: %d %s", i, res[i].r, res[i].msg);
		ck_assert_msg(has(res[i].msg, vf) || has(res[i].msg, PF_ADDR), "child %d: %s", i,
			      res[i].msg);
	}
	ck_assert_int_eq(winners, 1);
	ck_assert_int_eq(fs_journal_count(e.fs), 1);
	snprintf(vm, sizeof(vm), "vm%d", winner);
	ck_assert_int_eq(mvl_vm_delete(e.ctx, vm), 1);
	after = fs_snapshot(e.fs);
	ck_assert_str_eq(before, after);
	free(after);
	free(before);
	ck_assert_int_eq(e.fs->unexpected, 0);
	mvl_ctx_unref(e.ctx);
	fs_free(e.fs);
}
END_TEST

int main(void)
{
	return mvt_run(mvt_suite("race", "race", 60, same_tap_name, same_bridge, template_names,
				 deletes, create_delete_recover_storm, delete_waits_for_create, same_vf),
		       true);
}
