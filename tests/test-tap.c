// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-tap.c - bridge + tap against the real kernel, in private namespaces.
 * Every result is checked with `ip -j -d link` as well as the library.
 */
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/if_tun.h>
#include <net/if.h>

#include "testutil.h"

static const uint8_t guest_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };

static struct mvl_tap_opts tap_opts(const char *vm, const char *name)
{
	struct mvl_tap_opts o = { .sz = sizeof(o), .vm_id = vm, .name = name };

	return o;
}

START_TEST(tap_single_queue)
{
	struct mvl_ctx *ctx;
	struct mvl_iface *iface = NULL;
	struct mvl_tap_opts o = tap_opts("test1", "vm-test1");
	struct json_object *j;
	int fd;

	mvt_enter_netns();
	ctx = mvt_ctx();
	o.guest_mac = guest_mac;
	ck_assert_msg(mvl_tap_create(ctx, &o, &iface) == 0, "%s", mvl_ctx_get_error(ctx));
	ck_assert_str_eq(mvl_iface_get_name(iface), "vm-test1");
	ck_assert_uint_eq(mvl_iface_get_queue_count(iface), 1);
	fd = mvl_iface_get_queue_fd(iface, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);

	j = mvt_ip_link("vm-test1");
	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(mvt_jstr(j, "linkinfo.info_kind"), "tun");
	ck_assert_str_eq(mvt_jstr(j, "linkinfo.info_data.type"), "tap");
	ck_assert_str_eq(mvt_jstr(j, "ifalias"), "mvlink:vm=test1;mode=tap");
	/* the host side never carries the guest's MAC */
	ck_assert_str_eq(mvt_jstr(j, "address"), "fe:00:00:00:00:01");
	ck_assert_int_eq(json_object_get_boolean(json_object_object_get(
				 json_object_object_get(json_object_object_get(j, "linkinfo"),
							"info_data"), "vnet_hdr")), 1);
	json_object_put(j);

	/* closing the fd removes a non-persistent tap */
	mvl_iface_unref(iface);
	ck_assert(!mvt_link_exists("vm-test1"));
	mvl_ctx_unref(ctx);
}
END_TEST

static Suite *tap_suite(void)
{
	Suite *s = suite_create("tap");
	TCase *tc = tcase_create("kernel");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, tap_single_queue);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return mvt_run(tap_suite(), true);
}
