// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-badinput.c - a table of bad inputs to the C API.  Each must fail
 * with the documented errno and a specific message quoting the bad value,
 * and change nothing on the host (checked against `ip -j -d link` before
 * and after the whole table).  The CLI's table is tests/cli-badinput.sh.
 */
#include <arpa/inet.h>
#include <string.h>

#include "testutil.h"
#include "operations.h"

enum call { TAP, BRIDGE, MACVTAP, IPVTAP, DELETE, VM_DELETE, LIST, GET };

struct row {
	const char *what;
	enum call call;
	int err;             /* the expected negative errno */
	const char *msg;     /* a substring the message must contain */
	/* the inputs; unset fields take the defaults of a valid call */
	const char *name, *vm, *bridge, *uplink, *link, *mac;
	unsigned mtu, queues, flags;
	int mode;
	size_t sz;           /* 0: sizeof the opts */
	/* ipvtap: the ipvlan flag; the addresses (text, ':' for IPv6), their
	 * prefix length, a family instead, a count without addrs */
	int flag;
	const char *ip, *ip2;
	unsigned prefix;
	int family;
	unsigned n_addrs;
};

#define N(...) { __VA_ARGS__ }

static const struct row rows[] = {
	/* interface names */
	N(.what = "16-byte name", .call = TAP, .err = -EINVAL, .msg = "'0123456789abcdef'",
	  .name = "0123456789abcdef"),
	N(.what = "slash", .call = TAP, .err = -EINVAL, .msg = "'vm/1'", .name = "vm/1"),
	N(.what = "dot-dot", .call = TAP, .err = -EINVAL, .msg = "'..'", .name = ".."),
	N(.what = "dot", .call = TAP, .err = -EINVAL, .msg = "'.'", .name = "."),
	N(.what = "space", .call = TAP, .err = -EINVAL, .msg = "'vm 1'", .name = "vm 1"),
	N(.what = "colon", .call = TAP, .err = -EINVAL, .msg = "'vm:1'", .name = "vm:1"),
	N(.what = "empty name", .call = TAP, .err = -EINVAL, .msg = "invalid tap name ''",
	  .name = ""),
	N(.what = "newline", .call = TAP, .err = -EINVAL, .msg = "invalid tap name", .name = "a\nb"),
	N(.what = "two %d", .call = TAP, .err = -EINVAL, .msg = "'vm-%d-%d'", .name = "vm-%d-%d"),
	N(.what = "%s template", .call = TAP, .err = -EINVAL, .msg = "'vm-%s'", .name = "vm-%s"),
	N(.what = "lone %", .call = TAP, .err = -EINVAL, .msg = "'vm-%'", .name = "vm-%"),
	N(.what = "template too long", .call = TAP, .err = -EINVAL, .msg = "'0123456789ab%d'",
	  .name = "0123456789ab%d"),
	N(.what = "bad bridge name", .call = TAP, .err = -EINVAL, .msg = "bridge name 'b/r'",
	  .bridge = "b/r"),
	N(.what = "long bridge name", .call = TAP, .err = -EINVAL,
	  .msg = "bridge name 'bridge-too-long-x'", .bridge = "bridge-too-long-x"),
	N(.what = "bad uplink name", .call = TAP, .err = -EINVAL, .msg = "uplink name 'e n'",
	  .bridge = "br0", .uplink = "e n"),
	N(.what = "uplink without bridge", .call = TAP, .err = -EINVAL, .msg = "without a bridge",
	  .uplink = "eno1"),
	N(.what = "bridge name via ensure", .call = BRIDGE, .err = -EINVAL,
	  .msg = "invalid bridge name '..'", .name = ".."),
	/* '%': the kernel would make br0, br1, ... of it, one per call */
	N(.what = "bridge name template", .call = TAP, .err = -EINVAL, .msg = "bridge name 'br%d'",
	  .bridge = "br%d"),
	N(.what = "bridge name template via ensure", .call = BRIDGE, .err = -EINVAL,
	  .msg = "invalid bridge name 'br%d'", .name = "br%d", .vm = "test1"),
	N(.what = "uplink name template", .call = TAP, .err = -EINVAL, .msg = "uplink name 'eno%d'",
	  .bridge = "br0", .uplink = "eno%d"),
	N(.what = "uplink name template via ensure", .call = BRIDGE, .err = -EINVAL,
	  .msg = "invalid uplink name 'eno%d'", .name = "br0", .vm = "test1", .uplink = "eno%d"),
	N(.what = "lower device name template", .call = MACVTAP, .err = -EINVAL,
	  .msg = "lower device name 'eno%d'", .link = "eno%d"),
	N(.what = "% in a name", .call = TAP, .err = -EINVAL, .msg = "'vm%1'", .name = "vm%1"),
	/* a bridge mvlink creates is tagged: without a VM id only an existing
	 * one is used */
	N(.what = "new bridge without a VM id", .call = BRIDGE, .err = -EINVAL,
	  .msg = "bridge brnew does not exist, and a new bridge needs a VM id to be tagged",
	  .name = "brnew"),
	N(.what = "new bridge without a VM id, with an uplink", .call = BRIDGE, .err = -EINVAL,
	  .msg = "a new bridge needs a VM id", .name = "brnew", .uplink = "eno1"),
	/* VM ids */
	N(.what = "empty VM id", .call = TAP, .err = -EINVAL, .msg = "invalid VM id ''", .vm = ""),
	N(.what = "VM id with space", .call = TAP, .err = -EINVAL, .msg = "'my vm'", .vm = "my vm"),
	N(.what = "VM id with ;", .call = TAP, .err = -EINVAL, .msg = "'a;mode=tap'",
	  .vm = "a;mode=tap"),
	N(.what = "VM id leading dash", .call = TAP, .err = -EINVAL, .msg = "'-rf'", .vm = "-rf"),
	N(.what = "VM id too long", .call = TAP, .err = -EINVAL, .msg = "invalid VM id",
	  .vm = "01234567890123456789012345678901234567890123456789012345678901234"),
	N(.what = "VM id on delete", .call = VM_DELETE, .err = -EINVAL, .msg = "'../x'",
	  .vm = "../x"),
	N(.what = "VM id on list", .call = LIST, .err = -EINVAL, .msg = "'a b'", .vm = "a b"),
	/* MACs */
	N(.what = "multicast MAC", .call = TAP, .err = -EINVAL, .msg = "01:00:5e:00:00:01",
	  .mac = "01:00:5e:00:00:01"),
	N(.what = "broadcast MAC", .call = TAP, .err = -EINVAL, .msg = "ff:ff:ff:ff:ff:ff",
	  .mac = "ff:ff:ff:ff:ff:ff"),
	N(.what = "all-zero MAC", .call = TAP, .err = -EINVAL, .msg = "00:00:00:00:00:00",
	  .mac = "00:00:00:00:00:00"),
	N(.what = "IPv6 multicast MAC", .call = TAP, .err = -EINVAL, .msg = "33:33:00:00:00:01",
	  .mac = "33:33:00:00:00:01"),
	/* numbers */
	N(.what = "MTU too small", .call = TAP, .err = -EINVAL, .msg = "MTU 67", .mtu = 67),
	N(.what = "MTU too large", .call = TAP, .err = -EINVAL, .msg = "MTU 65536", .mtu = 65536),
	N(.what = "bridge MTU too small", .call = BRIDGE, .err = -EINVAL, .msg = "MTU 10",
	  .name = "br0", .mtu = 10),
	N(.what = "queues above the kernel's 256", .call = TAP, .err = -EINVAL,
	  .msg = "queue count 257", .queues = 257),
	N(.what = "unknown tap flag", .call = TAP, .err = -EINVAL, .msg = "unknown tap flags",
	  .flags = 1u << 30),
	N(.what = "opts too small", .call = TAP, .err = -EINVAL, .msg = "struct mvl_tap_opts",
	  .sz = 4),
	N(.what = "unknown list flag", .call = LIST, .err = -EINVAL, .msg = "unknown list flags",
	  .flags = 8),
	/* missing or foreign devices */
	N(.what = "missing uplink", .call = TAP, .err = -ENODEV, .msg = "uplink eno9 does not exist",
	  .bridge = "br0", .uplink = "eno9"),
	N(.what = "bridge name held by a veth", .call = TAP, .err = -EEXIST,
	  .msg = "peer0 exists and is a veth device, not a bridge", .bridge = "peer0"),
	N(.what = "uplink is a bridge", .call = TAP, .err = -EINVAL, .msg = "uplink brx is a bridge",
	  .bridge = "br0", .uplink = "brx"),
	N(.what = "uplink is the bridge", .call = TAP, .err = -EINVAL, .msg = "the bridge itself",
	  .bridge = "brx", .uplink = "brx"),
	N(.what = "uplink with an address", .call = TAP, .err = -EBUSY,
	  .msg = "uplink eno1 carries IP address 10.99.0.2", .bridge = "br0", .uplink = "eno1"),
	N(.what = "name held by a foreign tap", .call = TAP, .err = -EEXIST,
	  .msg = "not created by mvlink", .name = "foreign0"),
	N(.what = "name held by a veth", .call = TAP, .err = -EEXIST,
	  .msg = "peer0 exists and is a veth device", .name = "peer0"),
	N(.what = "delete a foreign device", .call = DELETE, .err = -EPERM,
	  .msg = "foreign0 was not created by mvlink", .name = "foreign0"),
	N(.what = "delete an invalid name", .call = DELETE, .err = -EINVAL,
	  .msg = "invalid interface name 'a/../b'", .name = "a/../b"),
	N(.what = "get a missing device", .call = GET, .err = -ENODEV,
	  .msg = "nothere does not exist", .name = "nothere"),
	N(.what = "get an invalid name", .call = GET, .err = -EINVAL,
	  .msg = "invalid interface name", .name = ""),
	/* ipvtap */
	N(.what = "ipvtap opts too small", .call = IPVTAP, .err = -EINVAL,
	  .msg = "struct mvl_ipvtap_opts", .sz = 8),
	N(.what = "ipvtap name", .call = IPVTAP, .err = -EINVAL, .msg = "invalid ipvtap name 'a/b'",
	  .name = "a/b"),
	N(.what = "ipvtap lower name", .call = IPVTAP, .err = -EINVAL,
	  .msg = "invalid lower device name 'eno%d'", .link = "eno%d"),
	N(.what = "ipvlan mode", .call = IPVTAP, .err = -EINVAL, .msg = "invalid ipvlan mode 3",
	  .mode = 3),
	N(.what = "ipvlan flag", .call = IPVTAP, .err = -EINVAL, .msg = "invalid ipvlan flag 3",
	  .flag = 3),
	N(.what = "address family", .call = IPVTAP, .err = -EINVAL,
	  .msg = "invalid address 0: family 7", .ip = "192.0.2.10", .family = 7),
	N(.what = "address prefix", .call = IPVTAP, .err = -EINVAL,
	  .msg = "invalid guest address 192.0.2.10/24: its prefix must be 0 or 32", .ip = "192.0.2.10",
	  .prefix = 24),
	N(.what = "IPv6 address prefix", .call = IPVTAP, .err = -EINVAL,
	  .msg = "invalid guest address 2001:db8::1/64: its prefix must be 0 or 128",
	  .ip = "2001:db8::1", .prefix = 64),
	N(.what = "multicast address", .call = IPVTAP, .err = -EINVAL,
	  .msg = "invalid guest address 224.0.0.1: multicast", .ip = "224.0.0.1"),
	N(.what = "IPv6 multicast address", .call = IPVTAP, .err = -EINVAL,
	  .msg = "invalid guest address ff02::1: multicast", .ip = "ff02::1"),
	N(.what = "link-local address", .call = IPVTAP, .err = -EINVAL,
	  .msg = "invalid guest address fe80::1: link-local", .ip = "fe80::1"),
	N(.what = "unspecified address", .call = IPVTAP, .err = -EINVAL,
	  .msg = "invalid guest address 0.0.0.0: unspecified", .ip = "0.0.0.0"),
	N(.what = "loopback address", .call = IPVTAP, .err = -EINVAL,
	  .msg = "invalid guest address 127.0.0.1: loopback", .ip = "127.0.0.1"),
	N(.what = "IPv6 loopback address", .call = IPVTAP, .err = -EINVAL,
	  .msg = "invalid guest address ::1: loopback", .ip = "::1"),
	N(.what = "address twice", .call = IPVTAP, .err = -EINVAL,
	  .msg = "address 2001:db8::1 is listed twice", .ip = "2001:db8::1", .ip2 = "2001:db8::1"),
	N(.what = "addresses without addrs", .call = IPVTAP, .err = -EINVAL,
	  .msg = "2 addresses announced but addrs is NULL", .n_addrs = 2),
	N(.what = "too many addresses", .call = IPVTAP, .err = -EINVAL,
	  .msg = "too many addresses: 65 (at most 64)", .ip = "192.0.2.10", .n_addrs = 65),
	N(.what = "ipvtap MTU", .call = IPVTAP, .err = -EINVAL, .msg = "invalid MTU 67", .mtu = 67),
	N(.what = "ipvtap queues", .call = IPVTAP, .err = -EINVAL, .msg = "queue count 257",
	  .queues = 257),
	N(.what = "ipvtap flags", .call = IPVTAP, .err = -EINVAL, .msg = "unknown ipvtap flags 0x20",
	  .flags = 1u << 5),
	N(.what = "ipvtap VM id", .call = IPVTAP, .err = -EINVAL, .msg = "invalid VM id 'a b'",
	  .vm = "a b"),
	N(.what = "ipvtap lower missing", .call = IPVTAP, .err = -ENODEV,
	  .msg = "lower device eno9 does not exist", .link = "eno9"),
	N(.what = "ipvtap lower is a bridge", .call = IPVTAP, .err = -EINVAL,
	  .msg = "lower device brx is a bridge: put VMs on a bridge with a tap (mode tap), or give "
		 "the ipvtap the bridge's uplink",
	  .link = "brx"),
	N(.what = "ipvtap lower is a macvlan", .call = IPVTAP, .err = -EINVAL,
	  .msg = "lower device mvx is a macvlan: a ipvtap goes only on a device that is not itself "
		 "a macvlan, macvtap, ipvlan or ipvtap; give eno1, the device under it",
	  .link = "mvx"),
	N(.what = "macvtap lower is a macvlan", .call = MACVTAP, .err = -EINVAL,
	  .msg = "lower device mvx is a macvlan: a macvtap goes only on a device that is not itself "
		 "a macvlan, macvtap, ipvlan or ipvtap; give eno1, the device under it",
	  .link = "mvx"),
	N(.what = "ipvtap MTU above the lower's", .call = IPVTAP, .err = -EINVAL,
	  .msg = "MTU 9000 is larger than the MTU 1500 of lower device eno1", .mtu = 9000),
	N(.what = "ipvtap name held by a veth", .call = IPVTAP, .err = -EEXIST,
	  .msg = "peer0 exists and is a veth device, not an mvlink ipvtap; left untouched",
	  .name = "peer0"),
};

/* The addresses of row @r into @a (room for 65); their number. */
static unsigned row_addrs(const struct row *r, struct mvl_ip_addr *a)
{
	const char *ip[] = { r->ip, r->ip2 };
	unsigned n = 0;

	for (size_t i = 0; i < 2 && ip[i]; i++, n++) {
		a[n] = (struct mvl_ip_addr){ .family = strchr(ip[i], ':') ? AF_INET6 : AF_INET,
					     .prefixlen = r->prefix };
		ck_assert_int_eq(inet_pton(a[n].family, ip[i], a[n].addr), 1);
		if (r->family)
			a[n].family = r->family;
	}
	/* more of them, all different: 192.0.2.11... */
	for (; n < r->n_addrs && r->ip; n++) {
		a[n] = a[0];
		a[n].addr[3] = (uint8_t)(a[0].addr[3] + n);
	}
	return r->ip ? n : r->n_addrs;
}

static int run_row(struct mvl_ctx *ctx, const struct row *r)
{
	struct mvl_iface *iface = NULL;
	struct mvl_iface_list *list = NULL;
	uint8_t mac[6];
	int ret = -1;

	if (r->mac)
		ck_assert_int_eq(mvl_mac_parse(r->mac, mac), 0);
	switch (r->call) {
	case TAP: {
		struct mvl_tap_opts o = {
			.sz = r->sz ? r->sz : sizeof(o), .vm_id = r->vm ? r->vm : "test1",
			.name = r->name ? r->name : "vm-test1", .bridge = r->bridge,
			.uplink = r->uplink, .guest_mac = r->mac ? mac : NULL, .mtu = r->mtu,
			.queues = r->queues, .flags = r->flags,
		};
		ret = mvl_tap_create(ctx, &o, &iface);
		break;
	}
	case BRIDGE: {
		struct mvl_bridge_opts o = { .sz = r->sz ? r->sz : sizeof(o), .name = r->name,
					     .vm_id = r->vm, .uplink = r->uplink, .mtu = r->mtu };
		ret = mvl_bridge_ensure(ctx, &o);
		break;
	}
	case MACVTAP: {
		struct mvl_macvtap_opts o = {
			.sz = r->sz ? r->sz : sizeof(o), .vm_id = r->vm ? r->vm : "test1",
			.name = r->name ? r->name : "mvt-test1", .link = r->link ? r->link : "eno1",
			.mac = r->mac ? mac : NULL, .mtu = r->mtu, .queues = r->queues,
			.flags = r->flags,
		};
		ret = mvl_macvtap_create(ctx, &o, &iface);
		break;
	}
	case IPVTAP: {
		struct mvl_ip_addr a[65];
		struct mvl_ipvtap_opts o = {
			.sz = r->sz ? r->sz : sizeof(o), .vm_id = r->vm ? r->vm : "test1",
			.name = r->name ? r->name : "ipvt-test1", .link = r->link ? r->link : "eno1",
			.mode = (enum mvl_ipvlan_mode)r->mode,
			.ipvlan_flag = (enum mvl_ipvlan_flag)r->flag, .mtu = r->mtu,
			.queues = r->queues, .flags = r->flags,
		};

		o.n_addrs = row_addrs(r, a);
		o.addrs = r->ip ? a : NULL;
		ret = mvl_ipvtap_create(ctx, &o, &iface);
		break;
	}
	case DELETE:
		ret = mvl_iface_delete(ctx, r->name);
		break;
	case VM_DELETE:
		ret = mvl_vm_delete(ctx, r->vm);
		break;
	case LIST:
		ret = mvl_iface_list_new(ctx, r->vm, r->flags, &list);
		break;
	case GET:
		ret = mvl_iface_get(ctx, r->name, &iface);
		break;
	}
	ck_assert_ptr_null(iface);
	ck_assert_ptr_null(list);
	return ret;
}

START_TEST(bad_inputs)
{
	struct mvl_ctx *ctx;
	char *before, *after;
	size_t n = sizeof(rows) / sizeof(rows[0]);

	mvt_enter_netns();
	ctx = mvt_ctx();
	mvt_veth("eno1", "peer0");
	ck_assert_int_eq(mvt_sh("ip addr add 10.99.0.2/24 dev eno1 && "
				"ip tuntap add foreign0 mode tap && ip link add brx type bridge && "
				"ip link add mvx link eno1 type macvlan"), 0);
	before = mvt_snapshot();
	for (size_t i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		int ret = run_row(ctx, r);

		ck_assert_msg(ret == r->err, "%s: returned %d, expected %d (%s)", r->what, ret, r->err,
			      mvl_ctx_get_error(ctx));
		ck_assert_msg(strstr(mvl_ctx_get_error(ctx), r->msg) != NULL,
			      "%s: message '%s' lacks '%s'", r->what, mvl_ctx_get_error(ctx), r->msg);
	}
	after = mvt_snapshot();
	if (strcmp(before, after) != 0)
		mvt_save_diff(before, after);
	ck_assert_msg(strcmp(before, after) == 0, "the bad inputs changed the host");
	ck_assert_uint_ge(n, 45);
	free(before);
	free(after);
	mvl_ctx_unref(ctx);
}
END_TEST

/* Whether the running kernel has ipvtap (loaded, or a module to load). */
static bool kernel_has_ipvtap(void)
{
	return mvt_sh("test -d /sys/module/ipvtap || modinfo ipvtap >/dev/null 2>&1") == 0;
}

/* A kernel without ipvtap (this test's host): the create fails with
 * -EOPNOTSUPP, says what is missing and leaves nothing behind: no link, no
 * journal, no index entry. */
START_TEST(ipvtap_without_kernel_support)
{
	struct mvl_ip_addr a = { .family = AF_INET, .addr = { 192, 0, 2, 10 } };
	struct mvl_ipvtap_opts o = { .sz = sizeof(o), .vm_id = "test1", .name = "ipvt0",
				     .link = "eno1", .addrs = &a, .n_addrs = 1 };
	struct mvl_iface *iface = NULL;
	struct mvl_ctx *ctx;
	const char *state;
	char *before, *after;

	if (kernel_has_ipvtap()) {
		printf("ipvtap_without_kernel_support: this kernel has ipvtap; not run\n");
		return;
	}
	mvt_enter_netns();
	ctx = mvt_ctx();
	mvt_veth("eno1", "peer0");
	state = mvt_state_dir(ctx);
	before = mvt_snapshot_state(state);
	ck_assert_int_eq(mvl_ipvtap_create(ctx, &o, &iface), -EOPNOTSUPP);
	ck_assert_ptr_null(iface);
	ck_assert_str_eq(mvl_ctx_get_error(ctx),
			 "cannot create ipvtap ipvt0: the kernel has no ipvtap (CONFIG_IPVTAP; is "
			 "the module ipvtap there?)");
	ck_assert(!mvl_ctx_get_undo_failed(ctx));
	ck_assert(!mvt_link_exists("ipvt0"));
	/* the host's links and addresses, the journals and the index */
	after = mvt_snapshot_state(state);
	ck_assert(mvt_same(before, after));
	free(before);
	free(after);
	mvl_ctx_unref(ctx);
}
END_TEST

static Suite *badinput_suite(void)
{
	Suite *s = suite_create("badinput");
	TCase *tc = tcase_create("kernel");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, bad_inputs);
	tcase_add_test(tc, ipvtap_without_kernel_support);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return mvt_run(badinput_suite(), true);
}
