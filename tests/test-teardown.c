// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-teardown.c - mvl_vm_delete_many() and mvl_vm_delete() against the
 * real kernel, in private namespaces: every link of the VMs goes (through
 * one link group when that is safe), every other link stays as it was
 * (foreign links, other VMs' links, a foreign link already in a group, a
 * foreign link in the very group the deletion picks), and a repeat is a
 * no-op.  `ip -j -d link` is the oracle.
 */
#include <string.h>

#include "testutil.h"
#include "libmvlink-private.h"

static void tap(struct mvl_ctx *ctx, const char *vm, const char *name)
{
	struct mvl_tap_opts o = { .sz = sizeof(o), .vm_id = vm, .name = name, .bridge = "br0",
				  .flags = MVL_TAP_PERSIST };
	struct mvl_iface *iface = NULL;
	int r = mvl_tap_create(ctx, &o, &iface);

	ck_assert_msg(r == 0, "mvl_tap_create %s: %d %s", name, r, mvl_ctx_get_error(ctx));
	mvl_iface_unref(iface);
}

static void macvtap(struct mvl_ctx *ctx, const char *vm, const char *name, const char *link,
		    enum mvl_macvtap_mode mode, const uint8_t *mac)
{
	struct mvl_macvtap_opts o = { .sz = sizeof(o), .vm_id = vm, .name = name, .link = link,
				      .mode = mode, .mac = mac, .flags = MVL_MACVTAP_NO_FDS };
	struct mvl_iface *iface = NULL;
	int r = mvl_macvtap_create(ctx, &o, &iface);

	ck_assert_msg(r == 0, "mvl_macvtap_create %s: %d %s", name, r, mvl_ctx_get_error(ctx));
	mvl_iface_unref(iface);
}

/* The link's group as ip shows it ("default" or a number). */
static char *group_of(const char *name)
{
	struct json_object *j = mvt_ip_link(name);
	char *g;

	ck_assert_msg(j != NULL, "%s is gone", name);
	g = strdup(mvt_jstr(j, "group") ? mvt_jstr(j, "group") : "?");
	json_object_put(j);
	return g;
}

static void assert_group(const char *name, const char *want)
{
	char *g = group_of(name);

	ck_assert_msg(strcmp(g, want) == 0, "%s is in group %s, expected %s", name, g, want);
	free(g);
}

static void assert_gone(const char *name)
{
	ck_assert_msg(!mvt_link_exists(name), "%s still exists", name);
}

static size_t vm_count(struct mvl_ctx *ctx, const char *vm)
{
	struct mvl_iface_list *list = NULL;
	size_t n;

	ck_assert_int_eq(mvl_iface_list_new(ctx, vm, 0, &list), 0);
	n = mvl_iface_list_count(list);
	mvl_iface_list_free(list);
	return n;
}

/* Foreign links around the VMs: a veth pair, an untagged tap on the
 * bridge, a veth already in link group 7, one with a look-alike alias. */
static void foreign_links(void)
{
	ck_assert_int_eq(mvt_sh("ip link add br0 type bridge && ip link set br0 up"), 0);
	mvt_veth("fx0", "fx1");
	mvt_veth("fg0", "fg1");
	ck_assert_int_eq(mvt_sh("ip link set fg0 group 7"), 0);
	ck_assert_int_eq(mvt_sh("ip tuntap add name ftap mode tap && ip link set ftap master br0 "
				"up"), 0);
	mvt_veth("fal0", "fal1");
	ck_assert_int_eq(mvt_sh("ip link set fal0 alias 'mvlink-ish:vm=a;mode=tap'"), 0);
}

static void assert_foreign_intact(void)
{
	const char *const names[] = { "br0", "fx0", "fx1", "fg1", "ftap", "fal0", "fal1" };

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		assert_group(names[i], "default");
	assert_group("fg0", "7");
}

START_TEST(many_deletes_exactly_the_vms)
{
	const char *const ids[] = { "a", "b", "nosuch" };
	struct mvl_ctx *ctx;

	mvt_enter_netns();
	foreign_links();
	ctx = mvt_ctx();
	tap(ctx, "a", "a0");
	tap(ctx, "a", "a1");
	tap(ctx, "a", "a2");
	tap(ctx, "b", "b0");
	tap(ctx, "b", "b1");
	tap(ctx, "c", "c0");
	tap(ctx, "c", "c1");

	ck_assert_int_eq(mvl_vm_delete_many(ctx, ids, 3), 5);
	for (const char *const *n = (const char *const[]){ "a0", "a1", "a2", "b0", "b1", NULL }; *n;
	     n++)
		assert_gone(*n);
	assert_group("c0", "default");
	assert_group("c1", "default");
	assert_foreign_intact();
	ck_assert_uint_eq(vm_count(ctx, "a"), 0);
	ck_assert_uint_eq(vm_count(ctx, "c"), 2);

	/* idempotent */
	ck_assert_int_eq(mvl_vm_delete_many(ctx, ids, 3), 0);
	ck_assert_str_eq(mvl_ctx_get_error(ctx), "");
	assert_foreign_intact();
	assert_group("c0", "default");
	mvl_ctx_unref(ctx);
}
END_TEST

START_TEST(many_with_macvtaps)
{
	static const uint8_t guest[6] = { 0x02, 0, 0, 0, 0, 0x42 };
	const char *const ids[] = { "a" };
	struct mvl_ctx *ctx;
	char *mac_before;

	mvt_enter_netns();
	foreign_links();
	mvt_veth("up0", "up0p");
	mvt_veth("up1", "up1p");
	mac_before = mvt_sh_out("cat /sys/class/net/up1/address");
	ctx = mvt_ctx();
	tap(ctx, "a", "a0");
	macvtap(ctx, "a", "am0", "up0", MVL_MACVTAP_BRIDGE, NULL);
	macvtap(ctx, "a", "am1", "up0", MVL_MACVTAP_VEPA, NULL);
	/* passthru changes its lower: deleted on its own, the lower restored */
	macvtap(ctx, "a", "amp", "up1", MVL_MACVTAP_PASSTHRU, guest);
	macvtap(ctx, "b", "bm0", "up0", MVL_MACVTAP_BRIDGE, NULL);

	ck_assert_int_eq(mvl_vm_delete_many(ctx, ids, 1), 4);
	assert_gone("a0");
	assert_gone("am0");
	assert_gone("am1");
	assert_gone("amp");
	{
		char *mac_after = mvt_sh_out("cat /sys/class/net/up1/address");

		ck_assert_str_eq(mac_after, mac_before);
		free(mac_after);
	}
	assert_group("bm0", "default");
	assert_group("up0", "default");
	assert_group("up1", "default");
	assert_foreign_intact();
	ck_assert_int_eq(mvl_vm_delete_many(ctx, ids, 1), 0);
	free(mac_before);
	mvl_ctx_unref(ctx);
}
END_TEST

/* A foreign link sits in the group the deletion picks: it must survive;
 * the VM's links go one by one. */
START_TEST(many_group_clash_falls_back)
{
	const char *const ids[] = { "a" };
	struct mvl_ctx *ctx;

	mvt_enter_netns();
	foreign_links();
	ck_assert_int_eq(mvt_sh("ip link set fx0 group 77"), 0);
	ctx = mvt_ctx();
	tap(ctx, "a", "a0");
	tap(ctx, "a", "a1");
	tap(ctx, "a", "a2");
	mvl_delete_group = 77;
	ck_assert_int_eq(mvl_vm_delete_many(ctx, ids, 1), 3);
	mvl_delete_group = 0;
	assert_gone("a0");
	assert_gone("a1");
	assert_gone("a2");
	assert_group("fx0", "77");
	ck_assert_str_eq(mvl_ctx_get_error(ctx), "");
	mvl_ctx_unref(ctx);
}
END_TEST

/* mvl_vm_delete: one link by ifindex, several through a group. */
START_TEST(single_vm)
{
	struct mvl_ctx *ctx;

	mvt_enter_netns();
	foreign_links();
	ctx = mvt_ctx();
	tap(ctx, "a", "a0");
	tap(ctx, "b", "b0");
	tap(ctx, "b", "b1");
	tap(ctx, "c", "c0");
	ck_assert_int_eq(mvl_vm_delete(ctx, "a"), 1);
	assert_gone("a0");
	ck_assert_int_eq(mvl_vm_delete(ctx, "b"), 2);
	assert_gone("b0");
	assert_gone("b1");
	ck_assert_int_eq(mvl_vm_delete(ctx, "b"), 0);
	assert_group("c0", "default");
	assert_foreign_intact();
	mvl_ctx_unref(ctx);
}
END_TEST

/* Steps of a group deletion of 3 links: 1-3 move them into the group, 4
 * deletes the group.  A failure at any of them falls back to deleting one
 * by one (steps 5...), and everything still goes. */
START_TEST(fault_in_group_path)
{
	const char *const ids[] = { "a" };
	struct mvl_ctx *ctx;

	mvt_enter_netns();
	foreign_links();
	ctx = mvt_ctx();
	tap(ctx, "a", "a0");
	tap(ctx, "a", "a1");
	tap(ctx, "a", "a2");
	ctx->fault_count = 0;
	ctx->fault_step = (unsigned long)_i;
	ck_assert_int_eq(mvl_vm_delete_many(ctx, ids, 1), 3);
	ctx->fault_step = 0;
	assert_gone("a0");
	assert_gone("a1");
	assert_gone("a2");
	assert_foreign_intact();
	mvl_ctx_unref(ctx);
}
END_TEST

/* A link that cannot be deleted stays, back in its own group. */
START_TEST(failed_delete_restores_group)
{
	const char *const ids[] = { "a" };
	struct mvl_ctx *ctx;
	int r, left = 0;

	mvt_enter_netns();
	foreign_links();
	ck_assert_int_eq(mvt_sh("ip link set fx0 group 77"), 0);
	ctx = mvt_ctx();
	tap(ctx, "a", "a0");
	tap(ctx, "a", "a1");
	tap(ctx, "a", "a2");
	ck_assert_int_eq(mvt_sh("ip link set a0 group 5 && ip link set a1 group 5 && "
				"ip link set a2 group 5"), 0);
	/* the group clashes (steps 1-3 move the links), then the first of
	 * the one-by-one deletions (step 4) fails */
	mvl_delete_group = 77;
	ctx->fault_count = 0;
	ctx->fault_step = 4;
	r = mvl_vm_delete_many(ctx, ids, 1);
	ctx->fault_step = 0;
	mvl_delete_group = 0;
	ck_assert_int_eq(r, -EIO);
	ck_assert_str_ne(mvl_ctx_get_error(ctx), "");
	for (const char *const *n = (const char *const[]){ "a0", "a1", "a2", NULL }; *n; n++)
		if (mvt_link_exists(*n)) {
			left++;
			assert_group(*n, "5");
		}
	ck_assert_int_eq(left, 1);
	assert_group("fx0", "77");
	/* and a second try finishes the job */
	ck_assert_int_eq(mvl_vm_delete_many(ctx, ids, 1), 1);
	mvl_ctx_unref(ctx);
}
END_TEST

START_TEST(bad_arguments)
{
	const char *const bad[] = { "a", "no/slash" };
	const char *const null_id[] = { "a", NULL };
	struct mvl_ctx *ctx;

	mvt_enter_netns();
	ctx = mvt_ctx();
	tap(ctx, "a", "a0");
	ck_assert_int_eq(mvl_vm_delete_many(ctx, bad, 2), -EINVAL);
	ck_assert_ptr_nonnull(strstr(mvl_ctx_get_error(ctx), "no/slash"));
	ck_assert_int_eq(mvl_vm_delete_many(ctx, null_id, 2), -EINVAL);
	ck_assert_int_eq(mvl_vm_delete_many(ctx, NULL, 1), -EINVAL);
	ck_assert(mvt_link_exists("a0"));
	ck_assert_int_eq(mvl_vm_delete_many(ctx, NULL, 0), 0);
	ck_assert_int_eq(mvl_vm_delete_many(ctx, bad, 0), 0);
	ck_assert(mvt_link_exists("a0"));
	mvl_ctx_unref(ctx);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("teardown");
	TCase *tc = tcase_create("kernel");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, many_deletes_exactly_the_vms);
	tcase_add_test(tc, many_with_macvtaps);
	tcase_add_test(tc, many_group_clash_falls_back);
	tcase_add_test(tc, single_vm);
	tcase_add_loop_test(tc, fault_in_group_path, 1, 5);
	tcase_add_test(tc, failed_delete_restores_group);
	tcase_add_test(tc, bad_arguments);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return mvt_run(suite(), true);
}
