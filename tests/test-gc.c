// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-gc.c - mvl_gc(), the CNI GC contract, against the real kernel in
 * private namespaces (VFs on a fake sysfs tree): everything tagged for a VM
 * that is not kept goes (taps, macvtaps with their passthru lower restored,
 * bridges created for it once empty, VFs, what crashed creates left), the
 * kept VMs' things and untagged devices stay exactly as they were, and so
 * does a bridge tagged for a VM that is not kept but still holding an
 * uplink (the uplink stays in it: no deletion releases one); a dry run
 * counts the same, and a second run removes nothing.  Every link left in
 * the namespace is named.
 */
#include <limits.h>
#include <stdio.h>

#include "fakesys.h"
#include "testutil.h"

static const uint8_t guest_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };

struct env {
	struct mvl_ctx *ctx;
	char state[64];
};

static void env_init(struct env *e)
{
	memset(e, 0, sizeof(*e));
	mvt_enter_netns();
	snprintf(e->state, sizeof(e->state), "/tmp/mvlink-gc.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(e->state));
	e->ctx = mvt_ctx();
	ck_assert_int_eq(mvl_ctx_set_state_dir(e->ctx, e->state), 0);
	mvl_ctx_test(e->ctx)->lock_timeout_ms = mvt_wait_ms(2000);
}

static void env_free(struct env *e)
{
	mvl_ctx_unref(e->ctx);
	mvt_sh("rm -rf '%s'", e->state);
}

static void tap(struct env *e, const char *vm, const char *name, const char *bridge)
{
	struct mvl_tap_opts o = { .sz = sizeof(o),
				  .vm_id = vm,
				  .name = name,
				  .bridge = bridge,
				  .flags = MVL_TAP_PERSIST };

	mvl_iface_unref(mvt_tap_create_ok(e->ctx, &o));
}

static void macvtap(struct env *e, const char *vm, const char *name, const char *link,
		    bool passthru)
{
	struct mvl_macvtap_opts o = { .sz = sizeof(o),
				      .vm_id = vm,
				      .name = name,
				      .link = link,
				      .flags = MVL_MACVTAP_NO_FDS };

	if (passthru) {
		o.mode = MVL_MACVTAP_PASSTHRU;
		o.mac = guest_mac;
		o.flags |= MVL_MACVTAP_LINK_UP;
	}
	mvl_iface_unref(mvt_macvtap_create_ok(e->ctx, &o));
}

/* A bridge create of @vm killed as soon as its bridge exists: a dead
 * journal and an untagged bridge. */
static void crashed_bridge(struct env *e, const char *vm, const char *name)
{
	struct mvl_bridge_opts o = { .sz = sizeof(o), .name = name, .vm_id = vm };

	mvt_crashed_bridge(e->state, &o);
}

static int journals(struct env *e)
{
	char *out = mvt_sh_out("ls '%s/links' 2>/dev/null | wc -l", e->state);
	int n = atoi(out);

	free(out);
	return n;
}

/* `ip -j -d link show` of the links named in @names (space separated), one
 * per line, without what the kernel changes on its own. */
static char *links_text(const char *names)
{
	char *copy = strdup(names), *save = NULL, *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	for (char *n = strtok_r(copy, " ", &save); n; n = strtok_r(NULL, " ", &save)) {
		struct json_object *j = mvt_ip_link(n), *li, *sd;

		ck_assert_msg(j != NULL, "%s is gone", n);
		mvt_link_strip(j);
		/* a port names its bridge's id, which follows the bridge's MAC,
		 * which follows the ports' MACs */
		if (json_object_object_get_ex(j, "linkinfo", &li) &&
		    json_object_object_get_ex(li, "info_slave_data", &sd))
			for (const char *const *k =
				     (const char *const[]){ "bridge_id", "root_id",
							    "designated_root", "designated_bridge",
							    NULL };
			     *k; k++)
				json_object_object_del(sd, *k);
		fprintf(f, "%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY));
		json_object_put(j);
	}
	fclose(f);
	free(copy);
	return buf;
}

/* The namespace holds exactly the links named in @want (space separated,
 * besides lo). */
static void assert_links(const char *want)
{
	char *w = mvt_sh_out("printf '%%s\\n' lo %s | LC_ALL=C sort", want);
	char *have = mvt_sh_out("ip -o link show | sed 's/^[0-9]*: \\([^:@]*\\).*/\\1/' | "
				"LC_ALL=C sort");

	ck_assert_msg(strcmp(have, w) == 0, "links:\n%s\nexpected:\n%s", have, w);
	free(have);
	free(w);
}

#define KEPT "k-tap k-mvt br-k2 br-g3 e3 foreign0 brf f1 f2"

START_TEST(keep_list)
{
	static const char *const keep[] = { "keep", "keep" /* duplicates are fine */ };
	struct env e;
	char *before, *u1, *kept_links, *now;

	env_init(&e);
	mvt_veth("u0", "p0");
	mvt_veth("u1", "p1");
	mvt_veth("e3", "p3");
	ck_assert_int_eq(mvt_sh("ip link set u1 down"), 0);
	u1 = links_text("u1");
	/* foreign devices, one with a tag-like alias that is no tag */
	ck_assert_int_eq(
		mvt_sh("ip tuntap add foreign0 mode tap && ip link add brf type bridge && "
		       "ip tuntap add f1 mode tap && ip link set f1 alias 'not mvlink' && "
		       "ip tuntap add f2 mode tap && ip link set f2 alias 'mvlink:vm=;mode=tap'"),
		0);
	tap(&e, "keep", "k-tap", "br-keep");
	macvtap(&e, "keep", "k-mvt", "u0", false);
	tap(&e, "gone1", "g1-tap", "br-g1");
	macvtap(&e, "gone1", "g1-pt", "u1", true);
	tap(&e, "gone2", "g2-tap", "br-keep");
	macvtap(&e, "gone2", "g2-mvt", "u0", false);
	{
		struct mvl_bridge_opts o = {
			.sz = sizeof(o), .name = "br-g3", .vm_id = "gone3", .uplink = "e3"
		};

		ck_assert_int_eq(mvl_bridge_ensure(e.ctx, &o), 1);
	}
	crashed_bridge(&e, "gone4", "br-g4");
	crashed_bridge(&e, "keep", "br-k2");
	ck_assert_int_eq(journals(&e), 2);
	assert_links("u0 p0 u1 p1 e3 p3 foreign0 brf f1 f2 k-tap br-keep k-mvt g1-tap br-g1 "
		     "g1-pt g2-tap g2-mvt br-g3 br-g4 br-k2");
	kept_links = links_text(KEPT);

	/* bad arguments: nothing done */
	before = mvt_snapshot();
	ck_assert_int_eq(mvl_gc(e.ctx, (const char *[]){ "keep", "bad id" }, 2, 0), -EINVAL);
	ck_assert_ptr_nonnull(strstr(mvl_ctx_get_error(e.ctx), "'bad id'"));
	ck_assert_int_eq(mvl_gc(e.ctx, NULL, 1, 0), -EINVAL);
	ck_assert_int_eq(mvl_gc(e.ctx, keep, 2, 0x10), -EINVAL);
	/* a dry run counts: 4 links, bridge br-g1, the crash of gone4 */
	ck_assert_int_eq(mvl_gc(e.ctx, keep, 2, MVL_GC_DRY_RUN), 6);
	mvt_assert_unchanged(mvt_snapshot(), before, "the host changed");
	ck_assert_int_eq(journals(&e), 2);

	ck_assert_msg(mvl_gc(e.ctx, keep, 2, 0) == 6, "%s", mvl_ctx_get_error(e.ctx));
	for (const char *const *g = (const char *const[]){ "g1-tap", "g1-pt", "g2-tap", "g2-mvt",
							   "br-g1", "br-g4", NULL };
	     *g; g++)
		ck_assert_msg(!mvt_link_exists(*g), "%s is still there", *g);
	/* br-g3 is gone3's but holds the uplink e3: it stays, e3 in it */
	assert_links("u0 p0 u1 p1 e3 p3 foreign0 brf f1 f2 k-tap br-keep k-mvt br-g3 br-k2");
	ck_assert_str_eq(mvt_link_str("e3", "master"), "br-g3");
	/* the passthru lower is back as it was */
	now = links_text("u1");
	mvt_assert_same(u1, now, "links changed (diff above)");
	free(now);
	/* the kept VM's, the bridge holding an uplink, and foreign ones: untouched
	 * (a shared bridge's MAC follows its ports: only its tag is compared) */
	now = links_text(KEPT);
	mvt_assert_same(kept_links, now, "links changed (diff above)");
	free(now);
	ck_assert_str_eq(mvt_link_str("k-tap", "master"), "br-keep");
	ck_assert_str_eq(mvt_link_str("br-keep", "ifalias"), "mvlink:vm=keep;mode=bridge");
	/* the kept VM's crashed create stays, for mvl_recover() */
	ck_assert_int_eq(journals(&e), 1);

	/* idempotent */
	before = (free(before), mvt_snapshot());
	ck_assert_int_eq(mvl_gc(e.ctx, keep, 2, MVL_GC_DRY_RUN), 0);
	ck_assert_int_eq(mvl_gc(e.ctx, keep, 2, 0), 0);
	mvt_assert_unchanged(mvt_snapshot(), before, "the host changed");

	/* nothing kept: the rest of mvlink's goes (k-tap, k-mvt, br-keep once
	 * empty, keep's crashed create: br-k2), foreign devices stay, and
	 * br-g3 with the uplink e3 */
	ck_assert_int_eq(mvl_gc(e.ctx, NULL, 0, MVL_GC_DRY_RUN), 4);
	mvt_assert_unchanged(mvt_snapshot(), before, "the host changed");
	ck_assert_msg(mvl_gc(e.ctx, NULL, 0, 0) == 4, "%s", mvl_ctx_get_error(e.ctx));
	for (const char *const *g =
		     (const char *const[]){ "k-tap", "k-mvt", "br-keep", "br-k2", NULL };
	     *g; g++)
		ck_assert_msg(!mvt_link_exists(*g), "%s is still there", *g);
	ck_assert_int_eq(journals(&e), 0);
	for (const char *const *g =
		     (const char *const[]){ "br-g3", "foreign0", "brf", "f1", "f2", NULL };
	     *g; g++)
		ck_assert_msg(mvt_link_exists(*g), "%s is gone", *g);
	ck_assert_str_eq(mvt_link_str("e3", "master"), "br-g3");
	ck_assert_str_eq(mvt_link_str("br-g3", "ifalias"), "mvlink:vm=gone3;mode=bridge");
	assert_links("u0 p0 u1 p1 e3 p3 foreign0 brf f1 f2 br-g3");
	ck_assert_int_eq(mvl_gc(e.ctx, NULL, 0, 0), 0);
	assert_links("u0 p0 u1 p1 e3 p3 foreign0 brf f1 f2 br-g3");

	free(before);
	free(kept_links);
	free(u1);
	env_free(&e);
}
END_TEST

/* VFs: released from their journals unless their VM is kept. */
START_TEST(vfs)
{
	static const uint8_t mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
	struct fakesys *fs;
	struct mvl_ctx *ctx;
	struct fs_dev *pf;
	struct mvl_iface *iface = NULL;
	struct mvl_vf_opts o = {
		.sz = sizeof(o), .pf = "enp59s0f0", .mac = mac, .vlan = 7, .flags = MVL_VF_VLAN
	};
	char *base, *mid, *now;

	mvt_enter_netns();
	fs = fs_new();
	ctx = mvt_ctx();
	fs_setup_ctx(fs, ctx);
	fs_add_driver(fs, "i40e");
	fs_add_driver(fs, "iavf");
	pf = fs_add_dev(fs, "0000:3b:00.0", 0x8086, 0x1572, 0x020000, "i40e", -2);
	fs_make_pf(fs, pf, 8, "iavf");
	fs_add_netdev(fs, pf, "enp59s0f0", 1001, true);
	ck_assert_int_eq(mvl_sriov_enable(ctx, "enp59s0f0", 2), 1);
	base = fs_snapshot(fs);
	o.vm_id = "keep";
	o.vf = 1;
	ck_assert_int_eq(mvl_vf_attach(ctx, &o, &iface), 0);
	mvl_iface_unref(iface);
	mid = fs_snapshot(fs);
	o.vm_id = "gone";
	o.vf = 0;
	ck_assert_int_eq(mvl_vf_attach(ctx, &o, &iface), 0);
	mvl_iface_unref(iface);
	ck_assert_int_eq(mvl_gc(ctx, (const char *[]){ "keep" }, 1, MVL_GC_DRY_RUN), 1);
	ck_assert_int_eq(mvl_gc(ctx, (const char *[]){ "keep" }, 1, 0), 1);
	now = fs_snapshot(fs);
	ck_assert_str_eq(now, mid);
	free(now);
	ck_assert_int_eq(mvl_gc(ctx, (const char *[]){ "keep" }, 1, 0), 0);
	ck_assert_int_eq(mvl_gc(ctx, NULL, 0, 0), 1);
	now = fs_snapshot(fs);
	ck_assert_str_eq(now, base);
	free(now);
	ck_assert_int_eq(fs->unexpected, 0);
	free(mid);
	free(base);
	mvl_ctx_unref(ctx);
	fs_free(fs);
}
END_TEST

int main(void)
{
	return mvt_run(mvt_suite("gc", "gc", 60, keep_list, vfs), true);
}
