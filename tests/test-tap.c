// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-tap.c - bridge + tap against the real kernel, in private namespaces.
 * Every result is checked with `ip -j -d link` (the oracle) as well as
 * through the library.
 */
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

#include "testutil.h"
#include "operations.h"
#include "testhooks.h"

static const uint8_t guest_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };

#define assert_unchanged(before) mvt_assert_unchanged(link_snapshot(), before, "the links changed")
/* the shared checks of a create (testutil.c) */
#define create_ok(ctx, o) mvt_tap_create_ok(ctx, o)
#define create_err(ctx, o) mvt_tap_create_err(ctx, o)

static struct mvl_tap_opts tap_opts(const char *vm, const char *name)
{
	struct mvl_tap_opts o = { .sz = sizeof(o), .vm_id = vm, .name = name };

	return o;
}

static bool jbool(struct json_object *j, const char *path)
{
	const char *s = mvt_jstr(j, path);

	ck_assert_msg(s != NULL, "no %s in ip output", path);
	return strcmp(s, "true") == 0;
}

static char *link_snapshot(void)
{
	return mvt_snapshot();
}

/* Whether link @name has @flag in its flags (by the oracle). */
static bool flag_set(const char *name, const char *flag)
{
	struct json_object *j = mvt_ip_link(name), *flags;
	bool set = false;

	ck_assert_msg(j != NULL, "no link %s", name);
	flags = json_object_object_get(j, "flags");
	for (size_t i = 0; flags && i < json_object_array_length(flags); i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(flags, i)), flag) == 0)
			set = true;
	json_object_put(j);
	return set;
}

START_TEST(tap_single_queue)
{
	struct mvl_ctx *ctx;
	struct mvl_iface *iface;
	struct mvl_tap_opts o = tap_opts("test1", "vm-test1");
	struct json_object *j;
	int fd;

	mvt_enter_netns();
	ctx = mvt_ctx();
	o.guest_mac = guest_mac;
	iface = create_ok(ctx, &o);
	ck_assert_str_eq(mvl_iface_get_name(iface), "vm-test1");
	ck_assert_str_eq(mvl_iface_get_vm_id(iface), "test1");
	ck_assert_int_eq(mvl_iface_get_mode(iface), MVL_MODE_TAP);
	ck_assert(!mvl_iface_get_adopted(iface));
	ck_assert_uint_eq(mvl_iface_get_queue_count(iface), 1);
	fd = mvl_iface_get_queue_fd(iface, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	ck_assert_int_eq(mvl_iface_get_ifindex(iface), (int)if_nametoindex("vm-test1"));

	j = mvt_ip_link("vm-test1");
	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(mvt_jstr(j, "linkinfo.info_kind"), "tun");
	ck_assert_str_eq(mvt_jstr(j, "linkinfo.info_data.type"), "tap");
	ck_assert_str_eq(mvt_jstr(j, "ifalias"), "mvlink:vm=test1;mode=tap");
	ck_assert_str_eq(mvt_jstr(j, "address"), "fe:00:00:00:00:01");
	ck_assert(jbool(j, "linkinfo.info_data.vnet_hdr"));
	ck_assert(!jbool(j, "linkinfo.info_data.multi_queue"));
	ck_assert(!jbool(j, "linkinfo.info_data.pi"));
	ck_assert(!jbool(j, "linkinfo.info_data.persist"));
	ck_assert_ptr_nonnull(strstr(json_object_to_json_string(json_object_object_get(j, "flags")),
				     "\"UP\""));
	json_object_put(j);

	/* closing the fd removes a non-persistent tap */
	mvl_iface_unref(iface);
	ck_assert(!mvt_link_exists("vm-test1"));
	mvl_ctx_unref(ctx);
}
END_TEST

START_TEST(tap_four_queues)
{
	struct mvl_ctx *ctx = NULL;
	struct mvl_iface *iface;
	struct mvl_tap_opts o = tap_opts("test1", "vm-mq");
	struct json_object *j;

	mvt_enter_netns();
	ctx = mvt_ctx();
	o.queues = 4;
	iface = create_ok(ctx, &o);
	ck_assert_uint_eq(mvl_iface_get_queue_count(iface), 4);
	for (unsigned i = 0; i < 4; i++) {
		int fd = mvl_iface_get_queue_fd(iface, i);
		struct ifreq ifr = { .ifr_flags = 0 };

		ck_assert_int_ge(fd, 0);
		ck_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
		ck_assert_int_eq(ioctl(fd, TUNGETIFF, &ifr), 0);
		ck_assert_str_eq(ifr.ifr_name, "vm-mq");
		ck_assert(ifr.ifr_flags & IFF_MULTI_QUEUE);
		ck_assert(ifr.ifr_flags & IFF_VNET_HDR);
		for (unsigned k = 0; k < i; k++)
			ck_assert_int_ne(fd, mvl_iface_get_queue_fd(iface, k));
	}
	ck_assert_int_eq(mvl_iface_get_queue_fd(iface, 4), -EINVAL);
	j = mvt_ip_link("vm-mq");
	ck_assert(jbool(j, "linkinfo.info_data.multi_queue"));
	ck_assert_int_eq(mvt_jint(j, "linkinfo.info_data.numqueues"), 4);
	json_object_put(j);

	/* taking a fd hands it over: unref no longer closes it */
	{
		int fd = mvl_iface_take_queue_fd(iface, 2);

		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(mvl_iface_take_queue_fd(iface, 2), -EBADF);
		mvl_iface_unref(iface);
		ck_assert(mvt_link_exists("vm-mq")); /* held by our fd */
		close(fd);
		ck_assert(!mvt_link_exists("vm-mq"));
	}
	mvl_ctx_unref(ctx);
}
END_TEST

START_TEST(tap_no_vnet_hdr_owner_group_persist)
{
	struct mvl_ctx *ctx = mvt_ctx();
	struct mvl_iface *iface;
	struct mvl_tap_opts o = tap_opts("fc1", "fc-tap0");
	struct json_object *j;

	mvt_enter_netns();
	o.flags = MVL_TAP_NO_VNET_HDR | MVL_TAP_PERSIST | MVL_TAP_OWNER | MVL_TAP_GROUP;
	o.owner = 4242;
	o.group = 4343;
	iface = create_ok(ctx, &o);
	mvl_iface_unref(iface);
	/* persistent: survives its fds */
	j = mvt_ip_link("fc-tap0");
	ck_assert_ptr_nonnull(j);
	ck_assert(!jbool(j, "linkinfo.info_data.vnet_hdr"));
	ck_assert(jbool(j, "linkinfo.info_data.persist"));
	ck_assert_str_eq(mvt_jstr(j, "linkinfo.info_data.user"), "4242");
	ck_assert_str_eq(mvt_jstr(j, "linkinfo.info_data.group"), "4343");
	json_object_put(j);

	/* the same request again adopts it (a restarted launcher) */
	iface = create_ok(ctx, &o);
	ck_assert(mvl_iface_get_adopted(iface));
	mvl_iface_unref(iface);

	/* a different configuration is refused and changes nothing */
	o.owner = 4244;
	ck_assert_int_eq(create_err(ctx, &o), -EEXIST);
	ck_assert_ptr_nonnull(strstr(mvl_ctx_get_error(ctx), "owner 4242"));
	o.owner = 4242;
	o.flags &= ~(unsigned)MVL_TAP_NO_VNET_HDR;
	ck_assert_int_eq(create_err(ctx, &o), -EEXIST);
	ck_assert_ptr_nonnull(strstr(mvl_ctx_get_error(ctx), "vnet_hdr"));
	o.flags |= MVL_TAP_NO_VNET_HDR;
	o.vm_id = "other";
	ck_assert_int_eq(create_err(ctx, &o), -EEXIST);
	ck_assert_ptr_nonnull(strstr(mvl_ctx_get_error(ctx), "belongs to VM fc1"));
	ck_assert(mvt_link_exists("fc-tap0"));
	mvt_delete_twice(ctx, "fc-tap0");
	mvl_ctx_unref(ctx);
}
END_TEST

START_TEST(tap_running_not_adopted)
{
	struct mvl_ctx *ctx;
	struct mvl_iface *a, *b = NULL;
	struct mvl_tap_opts o = tap_opts("vm1", "vm-run");

	mvt_enter_netns();
	ctx = mvt_ctx();
	o.queues = 2;
	a = create_ok(ctx, &o);
	/* a tap held by a running VMM is never attached to by a second create */
	ck_assert_int_eq(mvl_tap_create(ctx, &o, &b), -EBUSY);
	ck_assert_ptr_nonnull(strstr(mvl_ctx_get_error(ctx), "running process"));
	ck_assert_uint_eq(mvt_link_int("vm-run", "linkinfo.info_data.numqueues"), 2);
	mvl_iface_unref(a);
	mvl_ctx_unref(ctx);
}
END_TEST

START_TEST(tap_template)
{
	struct mvl_ctx *ctx;
	struct mvl_iface *a, *b, *c;
	struct mvl_tap_opts o = tap_opts("vm1", "vm-%d");

	mvt_enter_netns();
	ctx = mvt_ctx();
	ck_assert_int_eq(mvt_sh("ip link add vm-1 type bridge"), 0); /* a foreign vm-1 */
	a = create_ok(ctx, &o);
	b = create_ok(ctx, &o);
	ck_assert_str_eq(mvl_iface_get_name(a), "vm-0");
	ck_assert_str_eq(mvl_iface_get_name(b), "vm-2"); /* vm-1 skipped, untouched */
	ck_assert_str_eq(mvt_link_str("vm-1", "linkinfo.info_kind"), "bridge");
	mvl_iface_unref(a);
	c = create_ok(ctx, &o); /* the lowest free number again */
	ck_assert_str_eq(mvl_iface_get_name(c), "vm-0");
	mvl_iface_unref(b);
	mvl_iface_unref(c);
	o.name = "vm-%d-%d";
	ck_assert_int_eq(create_err(ctx, &o), -EINVAL);
	o.name = "a-very-long-%d";
	ck_assert_int_eq(create_err(ctx, &o), -EINVAL);
	mvl_ctx_unref(ctx);
}
END_TEST

START_TEST(bridge_create_and_mac_rule)
{
	struct mvl_ctx *ctx;
	struct mvl_iface *iface;
	struct mvl_tap_opts o = tap_opts("test1", "vm-test1");
	struct json_object *br, *tap;

	mvt_enter_netns();
	ctx = mvt_ctx();
	o.bridge = "br0";
	iface = create_ok(ctx, &o);
	br = mvt_ip_link("br0");
	ck_assert_ptr_nonnull(br);
	ck_assert_str_eq(mvt_jstr(br, "linkinfo.info_kind"), "bridge");
	ck_assert_str_eq(mvt_jstr(br, "ifalias"), "mvlink:vm=test1;mode=bridge");
	ck_assert_ptr_nonnull(strstr(json_object_to_json_string(json_object_object_get(br, "flags")),
				     "\"UP\""));
	tap = mvt_ip_link("vm-test1");
	ck_assert_str_eq(mvt_jstr(tap, "master"), "br0");
	ck_assert_str_eq(mvt_jstr(tap, "linkinfo.info_slave_kind"), "bridge");
	ck_assert_str_eq(mvl_iface_get_link(iface), "br0");
	/* no guest MAC given: random, but still never a guest-style address */
	ck_assert_int_eq(strncmp(mvt_jstr(tap, "address"), "fe:", 3), 0);
	ck_assert_uint_eq(mvl_iface_get_mac(iface)[0], 0xfe);
	mvl_iface_unref(iface);
	/* the bridge stays: it is shared */
	ck_assert(mvt_link_exists("br0"));
	json_object_put(br);
	json_object_put(tap);
	mvl_ctx_unref(ctx);
}
END_TEST

START_TEST(bridge_adopt_existing_and_mtu)
{
	struct mvl_ctx *ctx;
	struct mvl_iface *iface;
	struct mvl_tap_opts o = tap_opts("test1", "vm-test1");

	mvt_enter_netns();
	ctx = mvt_ctx();
	ck_assert_int_eq(mvt_sh("ip link add br0 mtu 1400 type bridge && ip link set br0 alias mine"),
			 0);
	ck_assert(!flag_set("br0", "UP"));
	o.bridge = "br0";
	iface = create_ok(ctx, &o);
	/* MTU inherited from the bridge, set before enslaving */
	ck_assert_int_eq(mvt_link_int("vm-test1", "mtu"), 1400);
	ck_assert_uint_eq(mvl_iface_get_mtu(iface), 1400);
	/* the existing bridge was down: brought up to carry the tap */
	ck_assert(flag_set("br0", "UP"));
	/* an existing bridge keeps its own alias: it is not ours */
	ck_assert_str_eq(mvt_link_str("br0", "ifalias"), "mine");
	ck_assert_int_eq(mvt_link_int("br0", "mtu"), 1400);
	mvl_iface_unref(iface);

	/* an explicit MTU wins */
	o.mtu = 1300;
	o.name = "vm-test2";
	iface = create_ok(ctx, &o);
	ck_assert_int_eq(mvt_link_int("vm-test2", "mtu"), 1300);
	mvl_iface_unref(iface);
	mvl_ctx_unref(ctx);
}
END_TEST

/* The host side of a guest MAC that starts with fe: is not the guest's
 * (libvirt's rule: fa then), on create and on adopt. */
START_TEST(host_mac_never_the_guests)
{
	static const uint8_t fe_mac[6] = { 0xfe, 0, 0, 0, 0, 0x01 };
	static const uint8_t fa_mac[6] = { 0xfa, 0, 0, 0, 0, 0x02 };
	struct mvl_ctx *ctx;
	struct mvl_iface *iface;
	struct mvl_tap_opts o = tap_opts("test1", "vm-fe");

	mvt_enter_netns();
	ctx = mvt_ctx();
	o.bridge = "br0";
	o.guest_mac = fe_mac;
	o.flags = MVL_TAP_PERSIST;
	iface = create_ok(ctx, &o);
	ck_assert_str_ne(mvt_link_str("vm-fe", "address"), "fe:00:00:00:00:01");
	ck_assert_str_eq(mvt_link_str("vm-fe", "address"), "fa:00:00:00:00:01");
	ck_assert_uint_eq(mvl_iface_get_mac(iface)[0], 0xfa);
	mvl_iface_unref(iface);
	/* the same request adopts it: the expected MAC follows the same rule */
	iface = create_ok(ctx, &o);
	ck_assert(mvl_iface_get_adopted(iface));
	ck_assert_uint_eq(mvl_iface_get_mac(iface)[0], 0xfa);
	mvl_iface_unref(iface);
	/* any other first byte becomes fe, fa included */
	o.name = "vm-fa";
	o.guest_mac = fa_mac;
	iface = create_ok(ctx, &o);
	ck_assert_str_eq(mvt_link_str("vm-fa", "address"), "fe:00:00:00:00:02");
	mvl_iface_unref(iface);
	mvl_ctx_unref(ctx);
}
END_TEST

struct link_watch {
	int fd;
	int tap, bridge;          /* ifindexes, once known */
	unsigned tap_on_bridge;   /* events of the tap with master bridge */
	char bad[512];            /* the first wrong state seen */
};

/* Subscribe to the kernel's link events (RTNLGRP_LINK) of this namespace. */
static void watch_open(struct link_watch *w)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
	int size = 4 << 20;

	memset(w, 0, sizeof(*w));
	w->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	ck_assert_int_ge(w->fd, 0);
	ck_assert_int_eq(setsockopt(w->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)), 0);
	ck_assert_int_eq(bind(w->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
}

/*
 * Read every link event queued (the kernel queues them before it answers
 * the request that caused them) and check each state the links went
 * through: the tap never on the bridge with an MTU other than @mtu, the
 * bridge never at another MTU.
 */
static void watch_check(struct link_watch *w, const char *tap, const char *bridge, unsigned mtu)
{
	char buf[65536];
	ssize_t n;
	int left;

	while ((n = recv(w->fd, buf, sizeof(buf), MSG_TRUNC)) != 0) {
		if (n < 0 && errno == EAGAIN)
			break;
		ck_assert_msg(n > 0, "link events: %s (lost some?)", strerror(errno));
		ck_assert_msg((size_t)n <= sizeof(buf), "link event truncated");
		left = (int)n;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, left);
		     h = NLMSG_NEXT(h, left)) {
			struct ifinfomsg *ifi = NLMSG_DATA(h);
			int len = (int)IFLA_PAYLOAD(h);
			const char *name = NULL;
			int master = 0;
			unsigned link_mtu = 0;

			if (h->nlmsg_type != RTM_NEWLINK)
				continue;
			for (struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
				if (a->rta_type == IFLA_IFNAME)
					name = RTA_DATA(a);
				else if (a->rta_type == IFLA_MASTER)
					master = *(int *)RTA_DATA(a);
				else if (a->rta_type == IFLA_MTU)
					link_mtu = *(unsigned *)RTA_DATA(a);
			}
			if (!name)
				continue;
			if (strcmp(name, bridge) == 0) {
				w->bridge = ifi->ifi_index;
				if (link_mtu != mtu && !w->bad[0])
					snprintf(w->bad, sizeof(w->bad), "bridge %s at MTU %u", name,
						 link_mtu);
			} else if (strcmp(name, tap) == 0 && master && master == w->bridge) {
				w->tap_on_bridge++;
				if (link_mtu != mtu && !w->bad[0])
					snprintf(w->bad, sizeof(w->bad),
						 "tap %s on bridge %s at MTU %u", name, bridge, link_mtu);
			}
		}
	}
}

/* The tap's MTU is set before it is enslaved: a tap enslaved at the
 * kernel's 1500 would pull a jumbo bridge down to 1500 (the bridge takes
 * its smallest port's MTU), cutting the VMs on it off from jumbo frames
 * for a moment. */
START_TEST(mtu_set_before_enslaving)
{
	struct mvl_ctx *ctx;
	struct mvl_iface *iface;
	struct mvl_tap_opts o = tap_opts("test1", "vm-test1");
	struct link_watch w;

	mvt_enter_netns();
	ctx = mvt_ctx();
	/* a jumbo uplink: the bridge takes its MTU, 9000 */
	ck_assert_int_eq(mvt_sh("ip link add br0 type bridge && "
				"ip link add eno1 mtu 9000 type veth peer name peer0 mtu 9000 && "
				"ip link set eno1 master br0 && ip link set br0 up"), 0);
	ck_assert_int_eq(mvt_link_int("br0", "mtu"), 9000);
	watch_open(&w);
	w.bridge = (int)if_nametoindex("br0");
	o.bridge = "br0";
	iface = create_ok(ctx, &o);
	watch_check(&w, "vm-test1", "br0", 9000);
	ck_assert_msg(!w.bad[0], "during the create: %s", w.bad);
	/* the events were seen (the check above was not vacuous) */
	ck_assert_uint_ge(w.tap_on_bridge, 1);
	ck_assert_int_eq(mvt_link_int("vm-test1", "mtu"), 9000);
	ck_assert_str_eq(mvt_link_str("vm-test1", "master"), "br0");
	ck_assert_int_eq(mvt_link_int("br0", "mtu"), 9000);
	ck_assert_uint_eq(mvl_iface_get_mtu(iface), 9000);
	mvl_iface_unref(iface);
	close(w.fd);
	mvl_ctx_unref(ctx);
}
END_TEST

/* A bridge mvlink creates is always tagged: mvl_bridge_ensure() without a
 * VM id uses an existing bridge (brought up), but creates none. */
START_TEST(bridge_ensure_vm_id)
{
	struct mvl_ctx *ctx;
	struct mvl_bridge_opts b = { .sz = sizeof(b), .name = "br0" };
	struct mvl_iface_list *list = NULL;
	char *before;

	mvt_enter_netns();
	ctx = mvt_ctx();
	before = link_snapshot();
	ck_assert_int_eq(mvl_bridge_ensure(ctx, &b), -EINVAL);
	ck_assert_ptr_nonnull(strstr(mvl_ctx_get_error(ctx), "bridge br0 does not exist, and a new "
							     "bridge needs a VM id to be tagged"));
	assert_unchanged(before);
	ck_assert(!mvt_link_exists("br0"));
	free(before);

	/* an existing (foreign, down) bridge: used, brought up, not tagged */
	ck_assert_int_eq(mvt_sh("ip link add br0 type bridge"), 0);
	ck_assert_int_eq(mvl_bridge_ensure(ctx, &b), 0);
	ck_assert(flag_set("br0", "UP"));
	ck_assert_ptr_null(mvt_link_str("br0", "ifalias"));
	ck_assert_int_eq(mvl_iface_delete(ctx, "br0"), -EPERM); /* still not ours */

	/* with a VM id: created, tagged, listed and deletable */
	b.name = "br1";
	b.vm_id = "test1";
	ck_assert_int_eq(mvl_bridge_ensure(ctx, &b), 1);
	ck_assert_str_eq(mvt_link_str("br1", "ifalias"), "mvlink:vm=test1;mode=bridge");
	ck_assert(flag_set("br1", "UP"));
	ck_assert_int_eq(mvl_iface_list_new(ctx, NULL, 0, &list), 0);
	ck_assert_uint_eq(mvl_iface_list_count(list), 1);
	ck_assert_str_eq(mvl_iface_get_name(mvl_iface_list_get(list, 0)), "br1");
	mvl_iface_list_free(list);
	/* again without the VM id: the bridge exists now */
	b.vm_id = NULL;
	ck_assert_int_eq(mvl_bridge_ensure(ctx, &b), 0);
	ck_assert_int_eq(mvl_iface_delete(ctx, "br1"), 1);
	mvl_ctx_unref(ctx);
}
END_TEST

START_TEST(bridge_refuse_non_bridge)
{
	struct mvl_ctx *ctx;
	struct mvl_tap_opts o = tap_opts("test1", "vm-test1");
	char *before;

	mvt_enter_netns();
	ctx = mvt_ctx();
	mvt_veth("br0", "peer0");
	before = link_snapshot();
	o.bridge = "br0";
	ck_assert_int_eq(create_err(ctx, &o), -EEXIST);
	ck_assert_ptr_nonnull(strstr(mvl_ctx_get_error(ctx), "br0 exists and is a veth device"));
	assert_unchanged(before);
	ck_assert(!mvt_link_exists("vm-test1"));
	free(before);
	mvl_ctx_unref(ctx);
}
END_TEST

START_TEST(uplink_enslave_and_refusal)
{
	struct mvl_ctx *ctx;
	struct mvl_iface *iface;
	struct mvl_tap_opts o = tap_opts("test1", "vm-test1");
	char *before;

	mvt_enter_netns();
	ctx = mvt_ctx();
	mvt_veth("eno1", "peer0");
	o.bridge = "br0";
	o.uplink = "eno1";

	/* an uplink with an address is refused, and nothing is left behind */
	ck_assert_int_eq(mvt_sh("ip addr add 10.99.0.2/24 dev eno1"), 0);
	before = link_snapshot();
	ck_assert_int_eq(create_err(ctx, &o), -EBUSY);
	ck_assert_ptr_nonnull(strstr(mvl_ctx_get_error(ctx), "uplink eno1 carries IP address "
							     "10.99.0.2"));
	assert_unchanged(before);
	ck_assert(!mvt_link_exists("br0")); /* the bridge it created was removed */

	/* the default route too */
	ck_assert_int_eq(mvt_sh("ip addr flush dev eno1 && ip addr add 10.99.0.2/24 dev peer0 && "
				"ip route add default via 10.99.0.1 dev eno1 onlink"), 0);
	ck_assert_int_eq(create_err(ctx, &o), -EBUSY);
	ck_assert_ptr_nonnull(strstr(mvl_ctx_get_error(ctx), "default route"));
	ck_assert(!mvt_link_exists("br0"));

	/* forced: enslaved */
	o.flags = MVL_TAP_FORCE_UPLINK;
	iface = create_ok(ctx, &o);
	ck_assert_str_eq(mvt_link_str("eno1", "master"), "br0");
	ck_assert_str_eq(mvt_link_str("vm-test1", "master"), "br0");
	mvl_iface_unref(iface);

	/* an idle uplink is enslaved without force; an enslaved one stays */
	ck_assert_int_eq(mvt_sh("ip route flush default && ip link set eno1 nomaster"), 0);
	o.flags = 0;
	iface = create_ok(ctx, &o);
	ck_assert_str_eq(mvt_link_str("eno1", "master"), "br0");
	mvl_iface_unref(iface);
	iface = create_ok(ctx, &o);
	mvl_iface_unref(iface);

	/* an uplink that is a port of another bridge is not moved */
	ck_assert_int_eq(mvt_sh("ip link add br1 type bridge && ip link set eno1 master br1"), 0);
	ck_assert_int_eq(create_err(ctx, &o), -EBUSY);
	ck_assert_ptr_nonnull(strstr(mvl_ctx_get_error(ctx), "already a port of br1"));
	ck_assert_str_eq(mvt_link_str("eno1", "master"), "br1");

	/* a missing uplink: named, and the new bridge is removed again */
	o.bridge = "br9";
	o.uplink = "eno9";
	ck_assert_int_eq(create_err(ctx, &o), -ENODEV);
	ck_assert_ptr_nonnull(strstr(mvl_ctx_get_error(ctx), "uplink eno9 does not exist"));
	ck_assert(!mvt_link_exists("br9"));
	free(before);
	mvl_ctx_unref(ctx);
}
END_TEST

START_TEST(foreign_devices_untouched)
{
	struct mvl_ctx *ctx;
	struct mvl_tap_opts o = tap_opts("test1", "vm-test1");
	struct mvl_iface *iface;
	char *before;

	mvt_enter_netns();
	ctx = mvt_ctx();
	/* an untagged tap and a tap of another VM with the names we want */
	ck_assert_int_eq(mvt_sh("ip tuntap add vm-test1 mode tap vnet_hdr"), 0);
	before = link_snapshot();
	ck_assert_int_eq(create_err(ctx, &o), -EEXIST);
	ck_assert_ptr_nonnull(strstr(mvl_ctx_get_error(ctx), "not created by mvlink"));
	ck_assert_int_eq(mvl_iface_delete(ctx, "vm-test1"), -EPERM);
	ck_assert_ptr_nonnull(strstr(mvl_ctx_get_error(ctx), "left untouched"));
	ck_assert_int_eq(mvl_vm_delete(ctx, "test1"), 0);
	assert_unchanged(before);

	/* a tap with an alias that is not our tag is foreign as well */
	ck_assert_int_eq(mvt_sh("ip link set vm-test1 alias 'mvlink-ish'"), 0);
	ck_assert_int_eq(mvl_iface_delete(ctx, "vm-test1"), -EPERM);
	ck_assert(mvt_link_exists("vm-test1"));

	/* delete by VM removes exactly that VM's links */
	o.name = "vm-a";
	o.flags = MVL_TAP_PERSIST;
	iface = create_ok(ctx, &o);
	mvl_iface_unref(iface);
	o.name = "vm-b";
	iface = create_ok(ctx, &o);
	mvl_iface_unref(iface);
	o.name = "vm-c";
	o.vm_id = "test2";
	iface = create_ok(ctx, &o);
	mvl_iface_unref(iface);
	ck_assert_int_eq(mvl_vm_delete(ctx, "test1"), 2);
	ck_assert(!mvt_link_exists("vm-a") && !mvt_link_exists("vm-b"));
	ck_assert(mvt_link_exists("vm-c") && mvt_link_exists("vm-test1"));
	ck_assert_int_eq(mvl_vm_delete(ctx, "test1"), 0);
	free(before);
	mvl_ctx_unref(ctx);
}
END_TEST

/* The kernel deletes what is stacked on a link with it: a device someone
 * else put on an mvlink tap (or bridge) keeps it, by name, by VM, in bulk,
 * as by gc; the others go. */
START_TEST(stacked_foreign_device_kept)
{
	const char *const vms[] = { "test1", "test2", "test3" };
	struct mvl_ctx *ctx;
	struct mvl_tap_opts o = tap_opts("test1", "vm-a");
	struct mvl_bridge_opts b = { .sz = sizeof(b), .name = "br0", .vm_id = "test1" };
	struct mvl_iface *iface;

	mvt_enter_netns();
	ctx = mvt_ctx();
	o.flags = MVL_TAP_PERSIST;
	iface = create_ok(ctx, &o);
	mvl_iface_unref(iface);
	ck_assert_int_eq(mvt_sh("ip link add link vm-a name mvf0 type macvlan mode bridge"), 0);
	ck_assert_int_eq(mvl_iface_delete(ctx, "vm-a"), -EBUSY);
	ck_assert_ptr_nonnull(strstr(mvl_ctx_get_error(ctx), "vm-a carries mvf0"));
	ck_assert_int_eq(mvl_vm_delete(ctx, "test1"), -EBUSY);
	ck_assert(mvt_link_exists("vm-a") && mvt_link_exists("mvf0"));
	ck_assert_int_eq(mvl_gc(ctx, NULL, 0, 0), -EBUSY);
	ck_assert(mvt_link_exists("vm-a") && mvt_link_exists("mvf0"));
	/* a sysfs of another namespace (here: none) is not believed: the
	 * kernel's own list of links tells */
	{
		struct mvl_ctx *other = mvt_ctx();

		ck_assert_int_eq(mvl_ctx_set_sysfs_root(other, "/nonexistent"), 0);
		ck_assert_int_eq(mvl_iface_delete(other, "vm-a"), -EBUSY);
		ck_assert_ptr_nonnull(strstr(mvl_ctx_get_error(other), "vm-a carries mvf0"));
		mvl_ctx_unref(other);
	}
	ck_assert(mvt_link_exists("vm-a") && mvt_link_exists("mvf0"));

	/* in bulk: the group delete would take mvf0 along; one by one, the
	 * others go and vm-a stays */
	o.name = "vm-b";
	o.vm_id = "test2";
	iface = create_ok(ctx, &o);
	mvl_iface_unref(iface);
	o.name = "vm-c";
	o.vm_id = "test3";
	iface = create_ok(ctx, &o);
	mvl_iface_unref(iface);
	ck_assert_int_eq(mvl_vm_delete_many(ctx, vms, 3), -EBUSY);
	ck_assert(!mvt_link_exists("vm-b") && !mvt_link_exists("vm-c"));
	ck_assert(mvt_link_exists("vm-a") && mvt_link_exists("mvf0"));

	ck_assert_int_eq(mvt_sh("ip link del mvf0"), 0);
	ck_assert_int_eq(mvl_vm_delete(ctx, "test1"), 1);

	/* a bridge mvlink made, with no ports but someone else's macvlan */
	ck_assert_int_eq(mvl_bridge_ensure(ctx, &b), 1);
	ck_assert_int_eq(mvt_sh("ip link add link br0 name mvf1 type macvlan mode bridge"), 0);
	ck_assert_int_eq(mvl_iface_delete(ctx, "br0"), -EBUSY);
	ck_assert(mvt_link_exists("br0") && mvt_link_exists("mvf1"));
	ck_assert_int_eq(mvt_sh("ip link del mvf1"), 0);
	ck_assert_int_eq(mvl_iface_delete(ctx, "br0"), 1);
	mvl_ctx_unref(ctx);
}
END_TEST

START_TEST(listing)
{
	struct mvl_ctx *ctx;
	struct mvl_tap_opts o = tap_opts("test1", "vm-test1");
	struct mvl_iface *iface;
	struct mvl_iface_list *list = NULL;
	size_t n_all;

	mvt_enter_netns();
	ctx = mvt_ctx();
	o.bridge = "br0";
	o.flags = MVL_TAP_PERSIST;
	iface = create_ok(ctx, &o);
	mvl_iface_unref(iface);
	mvt_veth("veth0", "veth1");

	ck_assert_int_eq(mvl_iface_list_new(ctx, NULL, 0, &list), 0);
	/* the tap and the bridge mvlink created; not the veths or lo */
	ck_assert_uint_eq(mvl_iface_list_count(list), 2);
	for (size_t i = 0; i < 2; i++) {
		struct mvl_iface *it = mvl_iface_list_get(list, i);

		ck_assert_str_eq(mvl_iface_get_vm_id(it), "test1");
		if (strcmp(mvl_iface_get_name(it), "vm-test1") == 0) {
			ck_assert_int_eq(mvl_iface_get_mode(it), MVL_MODE_TAP);
			ck_assert_str_eq(mvl_iface_get_link(it), "br0");
		} else {
			ck_assert_str_eq(mvl_iface_get_name(it), "br0");
			ck_assert_int_eq(mvl_iface_get_mode(it), MVL_MODE_BRIDGE);
		}
	}
	ck_assert_ptr_null(mvl_iface_list_get(list, 2));
	mvl_iface_list_free(list);
	ck_assert_int_eq(mvl_iface_list_new(ctx, NULL, MVL_LIST_ALL, &list), 0);
	n_all = mvl_iface_list_count(list);
	ck_assert_uint_eq(n_all, 5); /* + lo, veth0, veth1 */
	mvl_iface_list_free(list);
	ck_assert_int_eq(mvl_iface_list_new(ctx, "nobody", 0, &list), 0);
	ck_assert_uint_eq(mvl_iface_list_count(list), 0);
	mvl_iface_list_free(list);

	ck_assert_int_eq(mvl_iface_get(ctx, "vm-test1", &iface), 0);
	ck_assert_int_eq(mvl_iface_get_mode(iface), MVL_MODE_TAP);
	mvl_iface_unref(iface);
	ck_assert_int_eq(mvl_iface_get(ctx, "nothere", &iface), -ENODEV);

	/* a bridge with ports is not deleted; an empty one of ours is */
	ck_assert_int_eq(mvl_iface_delete(ctx, "br0"), -EBUSY);
	ck_assert_ptr_nonnull(strstr(mvl_ctx_get_error(ctx), "vm-test1"));
	ck_assert_int_eq(mvl_vm_delete(ctx, "test1"), 1); /* the tap, not the bridge */
	ck_assert(mvt_link_exists("br0"));
	ck_assert_int_eq(mvl_iface_delete(ctx, "br0"), 1);
	ck_assert(!mvt_link_exists("br0"));
	mvl_ctx_unref(ctx);
}
END_TEST

/* A real late failure: the bridge already has 1023 ports (port numbers
 * 1..1023; 0 is reserved), so attaching the
 * tap (the last step) fails with EXFULL.  The tap and everything else must
 * be undone, and the message must say what EXFULL means. */
START_TEST(rollback_bridge_full)
{
	struct mvl_ctx *ctx;
	struct mvl_tap_opts o = tap_opts("test1", "vm-test1");
	const char *state;
	char *before, batch[64];
	FILE *f;

	mvt_enter_netns();
	ctx = mvt_ctx();
	state = mvt_state_dir(ctx);
	snprintf(batch, sizeof(batch), "/tmp/mvlink-ports.%d.batch", (int)getpid());
	f = fopen(batch, "we");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "link add br0 type bridge\n");
	for (int i = 0; i < 1023; i++)
		fprintf(f, "tuntap add p%d mode tap\nlink set p%d master br0\n", i, i);
	fclose(f);
	ck_assert_int_eq(mvt_sh("ip -batch %s", batch), 0);
	unlink(batch);
	before = mvt_snapshot_state(state);
	o.bridge = "br0";
	o.flags = MVL_TAP_PERSIST;
	ck_assert_int_eq(create_err(ctx, &o), -EXFULL);
	ck_assert_ptr_nonnull(strstr(mvl_ctx_get_error(ctx), "maximum of 1023 ports"));
	ck_assert_ptr_nonnull(strstr(mvl_ctx_get_error(ctx), "vm-test1"));
	ck_assert(!mvt_link_exists("vm-test1"));
	ck_assert(!mvl_ctx_get_undo_failed(ctx));
	/* no journal or index entry left either */
	mvt_assert_unchanged(mvt_snapshot_state(state), before, "the host changed");
	free(before);
	mvl_ctx_unref(ctx);
}
END_TEST

/* Fail every kernel-changing step in turn: each time the error reaches the
 * caller and the namespace is exactly as before. */
START_TEST(rollback_every_step)
{
	struct mvl_ctx *ctx;
	struct mvl_tap_opts o = tap_opts("test1", "vm-test1");
	struct mvl_iface *iface = NULL;
	const char *state;
	char *before, *fds;
	unsigned long k, n;

	mvt_enter_netns();
	ctx = mvt_ctx();
	state = mvt_state_dir(ctx);
	mvt_veth("eno1", "peer0");
	ck_assert_int_eq(mvt_sh("ip link set eno1 down"), 0);
	o.bridge = "br0";
	o.uplink = "eno1";
	o.queues = 2;
	o.guest_mac = guest_mac;
	o.flags = MVL_TAP_PERSIST | MVL_TAP_OWNER | MVL_TAP_GROUP;
	o.owner = 4242;
	o.group = 4343;
	/* links, addresses and the state directory: a journal or an index
	 * entry left behind is a change too */
	before = mvt_snapshot_state(state);

	/* the steps of a run that fails nowhere, then undone by hand */
	mvt_fail_at(ctx, ULONG_MAX);
	iface = create_ok(ctx, &o);
	n = mvl_fault(ctx)->count;
	mvl_fault(ctx)->step = 0;
	mvl_iface_unref(iface);
	mvt_undo_by_hand(state, before,
			 "ip link del vm-test1 && ip link del br0 && ip link set eno1 down");
	fds = mvt_fds(); /* the context's netlink socket open, which stays */

	for (k = 1;; k++) {
		ck_assert_msg(k <= n + 1, "step %lu failed, but a run has %lu steps", k - 1, n);
		mvt_fail_at(ctx, k);
		if (!mvt_failed_at(ctx, k, mvl_tap_create(ctx, &o, &iface)))
			break;
		mvt_assert_unchanged(mvt_snapshot_state(state), before, "step %lu left changes: %s",
				     k, mvl_ctx_get_error(ctx));
		mvt_assert_unchanged(mvt_fds(), fds, "step %lu: fds leaked or closed (diff above)", k);
	}
	free(fds);
	mvl_fault(ctx)->step = 0;
	printf("tap create, new bridge, uplink: %lu steps, each failed once\n", n);
	/* 12 today: the journal, the bridge (RTM_NEWLINK), up, the uplink
	 * enslaved, the index entry, open, TUNSETIFF, TUNSETOWNER, TUNSETGROUP,
	 * one RTM_SETLINK (MAC, MTU, tag, master, up), TUNSETPERSIST, the
	 * journal removed.  The loop failed every one, and then it went
	 * through: a step added is covered, or this fails. */
	ck_assert_msg(k - 1 == n, "the loop failed %lu steps, a run has %lu", k - 1, n);
	/* and none of those went without its mvl_step() */
	ck_assert_uint_ge(n, 12);
	/* persistent: multi-queue, but its VMM attaches the queues by name */
	ck_assert_uint_eq(mvl_iface_get_queue_count(iface), 0);
	ck_assert_str_eq(mvt_link_str("vm-test1", "linkinfo.info_data.multi_queue"), "true");
	ck_assert_str_eq(mvt_link_str("eno1", "master"), "br0");
	mvl_iface_unref(iface);
	free(before);
	mvl_ctx_unref(ctx);
}
END_TEST

START_TEST(bad_input)
{
	struct mvl_ctx *ctx;
	struct mvl_tap_opts o = tap_opts("test1", "vm-test1");
	static const uint8_t mcast[6] = { 0x01, 0, 0x5e, 0, 0, 1 }, zero[6] = { 0 };
	struct { uint8_t raw[sizeof(struct mvl_tap_opts) + 8]; } big = { { 0 } };
	char *before;

	mvt_enter_netns();
	ctx = mvt_ctx();
	before = link_snapshot();
	o.name = "a/b";
	ck_assert_int_eq(create_err(ctx, &o), -EINVAL);
	ck_assert_ptr_nonnull(strstr(mvl_ctx_get_error(ctx), "'a/b'"));
	o.name = "0123456789abcdef";
	ck_assert_int_eq(create_err(ctx, &o), -EINVAL);
	o.name = "vm-test1";
	o.vm_id = "bad id";
	ck_assert_int_eq(create_err(ctx, &o), -EINVAL);
	ck_assert_ptr_nonnull(strstr(mvl_ctx_get_error(ctx), "'bad id'"));
	o.vm_id = "test1";
	o.guest_mac = mcast;
	ck_assert_int_eq(create_err(ctx, &o), -EINVAL);
	ck_assert_ptr_nonnull(strstr(mvl_ctx_get_error(ctx), "01:00:5e:00:00:01"));
	o.guest_mac = zero;
	ck_assert_int_eq(create_err(ctx, &o), -EINVAL);
	o.guest_mac = NULL;
	o.mtu = 67;
	ck_assert_int_eq(create_err(ctx, &o), -EINVAL);
	o.mtu = 0;
	o.queues = 257;
	ck_assert_int_eq(create_err(ctx, &o), -EINVAL);
	o.queues = 0;
	o.uplink = "eno1";
	ck_assert_int_eq(create_err(ctx, &o), -EINVAL);
	ck_assert_ptr_nonnull(strstr(mvl_ctx_get_error(ctx), "without a bridge"));
	o.uplink = NULL;
	o.flags = 1u << 20;
	ck_assert_int_eq(create_err(ctx, &o), -EINVAL);
	o.flags = 0;
	o.sz = 4;
	ck_assert_int_eq(create_err(ctx, &o), -EINVAL);
	/* a newer caller's larger struct is fine while its extra bytes are 0 */
	o.sz = sizeof(big);
	memcpy(&big, &o, sizeof(o));
	{
		struct mvl_iface *iface = NULL;

		ck_assert_int_eq(mvl_tap_create(ctx, (struct mvl_tap_opts *)&big, &iface), 0);
		mvl_iface_unref(iface);
		big.raw[sizeof(o) + 3] = 1;
		ck_assert_int_eq(mvl_tap_create(ctx, (struct mvl_tap_opts *)&big, &iface), -EINVAL);
	}
	ck_assert_int_eq(mvl_tap_create(ctx, NULL, NULL), -EINVAL);
	assert_unchanged(before);
	free(before);
	mvl_ctx_unref(ctx);
}
END_TEST

int main(void)
{
	return mvt_run(mvt_suite("tap", "kernel", 120, tap_single_queue, tap_four_queues,
				 tap_no_vnet_hdr_owner_group_persist, tap_running_not_adopted,
				 tap_template, bridge_create_and_mac_rule,
				 bridge_adopt_existing_and_mtu, host_mac_never_the_guests,
				 mtu_set_before_enslaving, bridge_ensure_vm_id, bridge_refuse_non_bridge,
				 uplink_enslave_and_refusal, foreign_devices_untouched,
				 stacked_foreign_device_kept, listing,
				 rollback_bridge_full, rollback_every_step, bad_input),
		       true);
}
