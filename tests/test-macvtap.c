// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-macvtap.c - macvtaps against the real kernel, in private namespaces.
 * Every result is checked with `ip -j -d link` (the oracle), sysfs and the
 * queue fds themselves, as well as through the library.
 */
#include <fcntl.h>
#include <dirent.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/if.h>

#include "testutil.h"
#include "operations.h"
#include "testhooks.h"

static const uint8_t guest_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t guest_mac2[6] = { 0x02, 0, 0, 0, 0, 0x02 };

#define assert_unchanged(before) mvt_assert_unchanged(link_snapshot(), before, "the links changed")
/* the shared checks of a create (testutil.c) */
#define create_ok(ctx, o) mvt_macvtap_create_ok(ctx, o)
#define create_err(ctx, o) mvt_macvtap_create_err(ctx, o)

#define assert_error_has(ctx, s)                                                          \
	ck_assert_msg(strstr(mvl_ctx_get_error(ctx), s) != NULL, "error '%s' lacks '%s'", \
		      mvl_ctx_get_error(ctx), s)

/* A fresh namespace without IPv6 chatter, so packet counters are exact. */
static void enter(void)
{
	mvt_enter_netns();
	ck_assert_int_eq(mvt_sh("sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
				"net.ipv6.conf.default.disable_ipv6=1"),
			 0);
}

static struct mvl_macvtap_opts mvt_opts(const char *vm, const char *name, const char *link)
{
	struct mvl_macvtap_opts o = { .sz = sizeof(o), .vm_id = vm, .name = name, .link = link };

	return o;
}

/* `ip -j -d link` of the whole namespace (kind and macvtap mode kept, the
 * volatile fields dropped), to prove that nothing changed */
static char *link_snapshot(void)
{
	return mvt_sh_out(
		"ip -j -d link show | python3 -c 'import json,sys; l=json.load(sys.stdin)\n"
		"for d in l:\n"
		"  [d.pop(k,None) for k in (\"operstate\",\"qdisc\",\"carrier_changes\",\n"
		"   \"carrier_up_count\",\"carrier_down_count\")]\n"
		/* the carrier follows changes asynchronously */
		"  d[\"flags\"]=[f for f in d.get(\"flags\",[]) if f not in\n"
		"   (\"NO-CARRIER\",\"LOWER_UP\",\"M-DOWN\")]\n"
		"  li=d.pop(\"linkinfo\",{}); d[\"kind\"]=li.get(\"info_kind\")\n"
		"  if d[\"kind\"] in (\"macvtap\",\"macvlan\"): d[\"mvmode\"]=li[\"info_data\"][\"mode\"]\n"
		"print(json.dumps(sorted(l, key=lambda d:d[\"ifname\"])))'");
}

static bool has_flag(struct json_object *j, const char *flag)
{
	struct json_object *flags = NULL;

	if (!json_object_object_get_ex(j, "flags", &flags))
		return false;
	for (size_t i = 0; i < json_object_array_length(flags); i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(flags, i)), flag) == 0)
			return true;
	return false;
}

static bool link_has_flag(const char *name, const char *flag)
{
	struct json_object *j = mvt_ip_link(name);
	bool r;

	ck_assert_msg(j != NULL, "%s does not exist", name);
	r = has_flag(j, flag);
	json_object_put(j);
	return r;
}

static const char *link_field(const char *name, const char *path, char *buf, size_t len)
{
	struct json_object *j = mvt_ip_link(name);
	const char *s;

	ck_assert_msg(j != NULL, "%s does not exist", name);
	s = mvt_jstr(j, path);
	snprintf(buf, len, "%s", s ? s : "(none)");
	json_object_put(j);
	return buf;
}
#define LINK_FIELD(name, path) link_field(name, path, (char[256]){ 0 }, 256)

static unsigned long long stat_counter(const char *ifname, const char *what)
{
	char path[256], buf[64];
	unsigned long v = 0;

	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/%s", ifname, what);
	ck_assert_int_gt(mvl_read_file(path, buf, sizeof(buf)), 0);
	ck_assert_int_eq(mvl_parse_uint(buf, ~0UL, &v), 0);
	return v;
}

/* Write one broadcast frame into a queue fd (with a zero vnet header when
 * @vnet): the macvtap sends it out of its lower device. */
static void send_frame(int fd, bool vnet, const uint8_t *src)
{
	uint8_t buf[10 + 60] = { 0 };
	size_t off = vnet ? 10 : 0;
	ssize_t n;

	memset(buf + off, 0xff, 6);
	memcpy(buf + off + 6, src, 6);
	buf[off + 12] = 0x88; /* local experimental ethertype */
	buf[off + 13] = 0xb5;
	n = write(fd, buf, off + 60);
	ck_assert_msg(n == (ssize_t)(off + 60), "write to queue fd: %zd %s", n, strerror(errno));
}

static short tun_flags(int fd, char name[IFNAMSIZ])
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	ck_assert_msg(ioctl(fd, TUNGETIFF, &ifr) == 0, "TUNGETIFF: %s", strerror(errno));
	if (name)
		memcpy(name, ifr.ifr_name, IFNAMSIZ);
	return ifr.ifr_flags;
}

static char *make_tmpdir(void)
{
	char *d = strdup("/tmp/mvlink-mvt-XXXXXX");

	ck_assert_ptr_nonnull(mkdtemp(d));
	return d;
}

static int count_entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* This process's fds (mvt_fds()), once @ctx's netlink socket, which stays
 * open by design, is open: a rollback must close every fd it opened. */
static char *fds_open(struct mvl_ctx *ctx)
{
	struct mvl_iface *lo = NULL;

	ck_assert_int_eq(mvl_iface_get(ctx, "lo", &lo), 0);
	mvl_iface_unref(lo);
	return mvt_fds();
}

/* Create @o with step @k failing: false when it went through (into
 * *@iface); else true once the failure was clean: -EIO, undone, and no fd
 * left open or closed (@fds: fds_open() before). */
static bool create_fails_at(struct mvl_ctx *ctx, const struct mvl_macvtap_opts *o, unsigned long k,
			    struct mvl_iface **iface, const char *fds)
{
	mvt_fail_at(ctx, k);
	*iface = NULL;
	if (!mvt_failed_at(ctx, k, mvl_macvtap_create(ctx, o, iface)))
		return false;
	mvt_assert_unchanged(mvt_fds(), fds, "step %lu: fds leaked or closed (diff above)", k);
	return true;
}

static void rm_rf(char *dir)
{
	ck_assert_int_eq(mvt_sh("rm -rf '%s'", dir), 0);
	free(dir);
}

static dev_t sysfs_dev(const char *name, int ifindex)
{
	char path[256], buf[64];
	unsigned maj, min;

	snprintf(path, sizeof(path), "/sys/class/net/%s/macvtap/tap%d/dev", name, ifindex);
	ck_assert_int_gt(mvl_read_file(path, buf, sizeof(buf)), 0);
	ck_assert_int_eq(sscanf(buf, "%u:%u", &maj, &min), 2);
	return makedev(maj, min);
}

/* Push the next ifindex to a random value, so that the /dev/tapN of this
 * namespace's macvtap does not collide with one of another namespace
 * (devtmpfs is shared): ifb links in one group, deleted in one request. */
static void randomize_ifindex(void)
{
	unsigned n = 100 + (unsigned)(getpid() * 7919u % 800u);
	FILE *f;
	char path[64];

	snprintf(path, sizeof(path), "/tmp/mvlink-pad-%d.batch", (int)getpid());
	f = fopen(path, "we");
	ck_assert_ptr_nonnull(f);
	for (unsigned i = 0; i < n; i++)
		fprintf(f, "link add pad%u group 77 type ifb\n", i);
	fprintf(f, "link del group 77\n");
	fclose(f);
	ck_assert_int_eq(mvt_sh("ip -batch %s", path), 0);
	unlink(path);
}

/* The steps of a create of @o that fails nowhere (into *@iface), counted:
 * the fault loop that follows must fail exactly that many. */
static unsigned long count_steps(struct mvl_ctx *ctx, const struct mvl_macvtap_opts *o,
				 struct mvl_iface **iface)
{
	unsigned long n;

	mvt_fail_at(ctx, ULONG_MAX);
	*iface = create_ok(ctx, o);
	n = mvl_fault(ctx)->count;
	mvl_fault(ctx)->step = 0;
	ck_assert_uint_gt(n, 0);
	return n;
}

/* A fault loop of @what ended at step @k, where the create went through:
 * it failed each of the @n steps of a clean run (a step added is covered,
 * or this fails), and a run has at least the @listed steps the test names
 * (none of them went without its mvl_step()). */
static void assert_every_step(struct mvl_ctx *ctx, const char *what, unsigned long k,
			      unsigned long n, unsigned long listed)
{
	mvl_fault(ctx)->step = 0;
	printf("%s: %lu steps, each failed once\n", what, n);
	ck_assert_msg(k - 1 == n, "%s: the loop failed %lu steps, a run has %lu", what, k - 1, n);
	ck_assert_msg(n >= listed, "%s: %lu steps, fewer than the %lu listed", what, n, listed);
}

/* ------------------------------------------------------------------ */

START_TEST(create_default_bridge_mode)
{
	struct mvl_ctx *ctx;
	struct mvl_iface *iface;
	struct mvl_macvtap_opts o = mvt_opts("test1", "mvt0", "u0");
	struct json_object *j;
	char name[IFNAMSIZ], node[64];
	unsigned long long rx0;
	int fd, ifindex;

	enter();
	ctx = mvt_ctx();
	mvt_veth("u0", "p0");
	o.mac = guest_mac; /* .mode left 0: bridge */
	iface = create_ok(ctx, &o);
	ifindex = (int)if_nametoindex("mvt0");
	ck_assert_int_gt(ifindex, 0);
	ck_assert_str_eq(mvl_iface_get_name(iface), "mvt0");
	ck_assert_str_eq(mvl_iface_get_vm_id(iface), "test1");
	ck_assert_int_eq(mvl_iface_get_mode(iface), MVL_MODE_MACVTAP);
	ck_assert_str_eq(mvl_iface_get_link(iface), "u0");
	ck_assert_int_eq(mvl_iface_get_ifindex(iface), ifindex);
	ck_assert_mem_eq(mvl_iface_get_mac(iface), guest_mac, 6);
	ck_assert_uint_eq(mvl_iface_get_mtu(iface), 1500);
	ck_assert(!mvl_iface_get_adopted(iface));
	snprintf(node, sizeof(node), "/dev/tap%d", ifindex);
	ck_assert_str_eq(mvl_iface_get_devnode(iface), node);

	/* the oracle: "macvtap mode bridge", explicitly (the kernel's default
	 * would be vepa) */
	j = mvt_ip_link("mvt0");
	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(mvt_jstr(j, "linkinfo.info_kind"), "macvtap");
	ck_assert_str_eq(mvt_jstr(j, "linkinfo.info_data.mode"), "bridge");
	ck_assert_str_eq(mvt_jstr(j, "link"), "u0");
	ck_assert_str_eq(mvt_jstr(j, "address"), "02:00:00:00:00:01");
	ck_assert_str_eq(mvt_jstr(j, "ifalias"), "mvlink:vm=test1;mode=macvtap");
	ck_assert_int_eq(mvt_jint(j, "mtu"), 1500);
	ck_assert(has_flag(j, "UP"));
	json_object_put(j);
	{
		char *out = mvt_sh_out("ip -d link show mvt0");

		ck_assert_msg(strstr(out, "macvtap mode bridge") != NULL, "%s", out);
		free(out);
	}

	/* one queue: O_CLOEXEC, blocking, vnet_hdr, not multi-queue */
	ck_assert_uint_eq(mvl_iface_get_queue_count(iface), 1);
	fd = mvl_iface_get_queue_fd(iface, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	ck_assert(!(fcntl(fd, F_GETFL) & O_NONBLOCK));
	ck_assert_int_eq(tun_flags(fd, name), IFF_TAP | IFF_NO_PI | IFF_VNET_HDR);
	ck_assert_str_eq(name, "mvt0");
	ck_assert_int_eq(mvl_iface_get_queue_fd(iface, 1), -EINVAL);

	/* it moves frames: out through u0 to its peer ... */
	rx0 = stat_counter("p0", "rx_packets");
	send_frame(fd, true, guest_mac);
	ck_assert_uint_eq(stat_counter("p0", "rx_packets"), rx0 + 1);
	ck_assert_uint_eq(stat_counter("mvt0", "tx_packets"), 1);
	/* ... and a broadcast from the peer comes in on the fd */
	{
		int s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
		struct sockaddr_ll sll = { .sll_family = AF_PACKET,
					   .sll_ifindex = (int)if_nametoindex("p0"),
					   .sll_halen = 6 };
		uint8_t frame[60] = { 0 }, in[2048];
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		ck_assert_int_ge(s, 0);
		memset(frame, 0xff, 6);
		memcpy(frame + 6, "\x02\x99\x00\x00\x00\x01", 6);
		frame[12] = 0x88;
		frame[13] = 0xb6;
		memset(sll.sll_addr, 0xff, 6);
		ck_assert_int_eq(
			sendto(s, frame, sizeof(frame), 0, (struct sockaddr *)&sll, sizeof(sll)),
			(ssize_t)sizeof(frame));
		close(s);
		ck_assert_int_eq(poll(&pfd, 1, 5000), 1);
		n = read(fd, in, sizeof(in));
		ck_assert_int_ge(n, 10 + 14);
		ck_assert_mem_eq(in + 10 + 6, frame + 6, 8); /* after the vnet header */
	}

	/* the fds are the VMM's; the macvtap itself persists without them */
	mvl_iface_unref(iface);
	ck_assert(mvt_link_exists("mvt0"));
	mvt_delete_twice(ctx, "mvt0");
	mvl_ctx_unref(ctx);
}
END_TEST

START_TEST(every_mode)
{
	static const struct {
		enum mvl_macvtap_mode mode;
		const char *name;
	} modes[] = {
		{ MVL_MACVTAP_BRIDGE, "bridge" },   { MVL_MACVTAP_VEPA, "vepa" },
		{ MVL_MACVTAP_PRIVATE, "private" }, { MVL_MACVTAP_PASSTHRU, "passthru" },
		{ MVL_MACVTAP_SOURCE, "source" },
	};
	struct mvl_ctx *ctx;

	enter();
	ctx = mvt_ctx();
	for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
		char up[16], peer[16], name[16];
		struct mvl_macvtap_opts o;
		struct mvl_iface *iface;
		struct json_object *j;

		snprintf(up, sizeof(up), "u%zu", i);
		snprintf(peer, sizeof(peer), "p%zu", i);
		snprintf(name, sizeof(name), "mvt-%s", modes[i].name);
		mvt_veth(up, peer);
		o = mvt_opts("modes", name, up);
		o.mode = modes[i].mode;
		iface = create_ok(ctx, &o);
		j = mvt_ip_link(name);
		ck_assert_ptr_nonnull(j);
		ck_assert_str_eq(mvt_jstr(j, "linkinfo.info_data.mode"), modes[i].name);
		ck_assert_str_eq(mvt_jstr(j, "link"), up);
		ck_assert(has_flag(j, "UP"));
		/* a random MAC: unicast, locally administered (passthru: the lower's) */
		if (modes[i].mode == MVL_MACVTAP_PASSTHRU) {
			ck_assert_str_eq(mvt_jstr(j, "address"), LINK_FIELD(up, "address"));
		} else {
			const uint8_t *m = mvl_iface_get_mac(iface);

			ck_assert_int_eq(m[0] & 0x03, 0x02);
			ck_assert_str_ne(mvt_jstr(j, "address"), LINK_FIELD(up, "address"));
		}
		ck_assert_uint_eq(mvl_iface_get_queue_count(iface), 1);
		ck_assert_int_eq(tun_flags(mvl_iface_get_queue_fd(iface, 0), NULL),
				 IFF_TAP | IFF_NO_PI | IFF_VNET_HDR);
		json_object_put(j);
		mvl_iface_unref(iface);
	}
	mvl_ctx_unref(ctx);
}
END_TEST

START_TEST(source_mode_macs)
{
	static const uint8_t allowed[3][6] = { { 0x02, 0x11, 0, 0, 0, 1 },
					       { 0x02, 0x11, 0, 0, 0, 2 },
					       { 0x02, 0x11, 0, 0, 0, 3 } };
	uint8_t reordered[3][6];
	struct mvl_ctx *ctx;
	struct mvl_iface *iface;
	struct mvl_macvtap_opts o = mvt_opts("src", "mvt0", "u0");
	struct json_object *j, *data = NULL;
	struct mvl_link_info li;

	enter();
	ctx = mvt_ctx();
	mvt_veth("u0", "p0");
	o.mode = MVL_MACVTAP_SOURCE;
	o.source_macs = allowed;
	o.n_source_macs = 3;
	iface = create_ok(ctx, &o);
	j = mvt_ip_link("mvt0");
	ck_assert_str_eq(mvt_jstr(j, "linkinfo.info_data.mode"), "source");
	ck_assert_int_eq(mvt_jint(j, "linkinfo.info_data.macaddr_count"), 3);
	ck_assert(json_object_object_get_ex(
		json_object_object_get(json_object_object_get(j, "linkinfo"), "info_data"),
		"macaddr_data", &data));
	{
		const char *s = json_object_to_json_string(data);

		ck_assert_ptr_nonnull(strstr(s, "02:11:00:00:00:01"));
		ck_assert_ptr_nonnull(strstr(s, "02:11:00:00:00:02"));
		ck_assert_ptr_nonnull(strstr(s, "02:11:00:00:00:03"));
	}
	json_object_put(j);
	/* the library reads them back too */
	ck_assert_int_eq(mvl_nl_link_get(ctx, "mvt0", 0, &li), 0);
	ck_assert_uint_eq(li.macvtap_n_source, 3);
	ck_assert_int_eq(li.macvtap_mode, MVL_MACVTAP_SOURCE);
	mvl_iface_unref(iface);

	/* adopt: the same set in another order is the same configuration */
	memcpy(reordered[0], allowed[2], 6);
	memcpy(reordered[1], allowed[0], 6);
	memcpy(reordered[2], allowed[1], 6);
	o.source_macs = reordered;
	iface = create_ok(ctx, &o);
	ck_assert(mvl_iface_get_adopted(iface));
	mvl_iface_unref(iface);
	/* another set is not */
	o.n_source_macs = 2;
	ck_assert_int_eq(create_err(ctx, &o), -EEXIST);
	assert_error_has(ctx, "source MAC");
	ck_assert_str_eq(LINK_FIELD("mvt0", "linkinfo.info_data.macaddr_count"), "3");
	mvl_ctx_unref(ctx);
}
END_TEST

START_TEST(mac_mtu_template)
{
	struct mvl_ctx *ctx;
	struct mvl_iface *a, *b, *c;
	struct mvl_macvtap_opts o = mvt_opts("vm1", "mvt-%d", "u0");
	char *before;

	enter();
	ctx = mvt_ctx();
	mvt_veth("u0", "p0");
	ck_assert_int_eq(mvt_sh("ip link set u0 mtu 4000"), 0);
	ck_assert_int_eq(mvt_sh("ip link add mvt-1 type bridge"), 0); /* foreign mvt-1 */
	o.mac = guest_mac;
	o.mtu = 2000;
	a = create_ok(ctx, &o);
	ck_assert_str_eq(mvl_iface_get_name(a), "mvt-0");
	ck_assert_str_eq(LINK_FIELD("mvt-0", "mtu"), "2000");
	ck_assert_str_eq(LINK_FIELD("mvt-0", "address"), "02:00:00:00:00:01");
	ck_assert_uint_eq(mvl_iface_get_mtu(a), 2000);
	/* MTU 0: the lower's; the template skips the foreign mvt-1 */
	o.mac = guest_mac2;
	o.mtu = 0;
	b = create_ok(ctx, &o);
	ck_assert_str_eq(mvl_iface_get_name(b), "mvt-2");
	ck_assert_str_eq(LINK_FIELD("mvt-2", "mtu"), "4000");
	ck_assert_str_eq(LINK_FIELD("mvt-1", "linkinfo.info_kind"), "bridge");
	/* above the lower's MTU: refused before anything changes */
	before = link_snapshot();
	o.mac = NULL;
	o.mtu = 4001;
	ck_assert_int_eq(create_err(ctx, &o), -EINVAL);
	assert_error_has(ctx, "4000");
	assert_error_has(ctx, "u0");
	/* a MAC already used on the lower: EADDRINUSE, nothing left */
	o.mtu = 0;
	o.mac = guest_mac;
	ck_assert_int_eq(create_err(ctx, &o), -EADDRINUSE);
	assert_error_has(ctx, "02:00:00:00:00:01");
	assert_unchanged(before);
	free(before);
	/* the lowest free number again */
	ck_assert_int_eq(mvl_iface_delete(ctx, "mvt-0"), 1);
	o.mac = NULL;
	c = create_ok(ctx, &o);
	ck_assert_str_eq(mvl_iface_get_name(c), "mvt-0");
	mvl_iface_unref(a);
	mvl_iface_unref(b);
	mvl_iface_unref(c);
	mvl_ctx_unref(ctx);
}
END_TEST

START_TEST(four_queues)
{
	struct mvl_ctx *ctx;
	struct mvl_iface *iface;
	struct mvl_macvtap_opts o = mvt_opts("mq", "mvt0", "u0");
	unsigned long long rx0;

	enter();
	ctx = mvt_ctx();
	mvt_veth("u0", "p0");
	o.mac = guest_mac;
	o.queues = 4;
	iface = create_ok(ctx, &o);
	ck_assert_uint_eq(mvl_iface_get_queue_count(iface), 4);
	rx0 = stat_counter("p0", "rx_packets");
	for (unsigned i = 0; i < 4; i++) {
		int fd = mvl_iface_get_queue_fd(iface, i);
		char name[IFNAMSIZ];

		ck_assert_int_ge(fd, 0);
		ck_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
		ck_assert_int_eq(tun_flags(fd, name),
				 IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE);
		ck_assert_str_eq(name, "mvt0");
		for (unsigned k = 0; k < i; k++)
			ck_assert_int_ne(fd, mvl_iface_get_queue_fd(iface, k));
		/* every queue is usable */
		send_frame(fd, true, guest_mac);
		ck_assert_uint_eq(stat_counter("p0", "rx_packets"), rx0 + i + 1);
	}
	/* taking a fd hands it over */
	{
		int fd = mvl_iface_take_queue_fd(iface, 3);

		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(mvl_iface_take_queue_fd(iface, 3), -EBADF);
		mvl_iface_unref(iface);
		ck_assert_int_eq(tun_flags(fd, NULL) & IFF_MULTI_QUEUE, IFF_MULTI_QUEUE);
		close(fd);
	}
	ck_assert(mvt_link_exists("mvt0"));
	mvl_ctx_unref(ctx);
}
END_TEST

START_TEST(no_vnet_hdr_and_no_fds)
{
	struct mvl_ctx *ctx;
	struct mvl_iface *iface;
	struct mvl_macvtap_opts o = mvt_opts("nv", "mvt0", "u0");
	unsigned long long rx0;
	int fd;

	enter();
	ctx = mvt_ctx();
	mvt_veth("u0", "p0");
	o.flags = MVL_MACVTAP_NO_VNET_HDR;
	o.mac = guest_mac;
	iface = create_ok(ctx, &o);
	fd = mvl_iface_get_queue_fd(iface, 0);
	ck_assert_int_eq(tun_flags(fd, NULL), IFF_TAP | IFF_NO_PI);
	rx0 = stat_counter("p0", "rx_packets");
	send_frame(fd, false, guest_mac); /* a bare frame, no header */
	ck_assert_uint_eq(stat_counter("p0", "rx_packets"), rx0 + 1);
	mvl_iface_unref(iface);

	o = mvt_opts("nv", "mvt1", "u0");
	o.flags = MVL_MACVTAP_NO_FDS;
	o.queues = 3;
	iface = create_ok(ctx, &o);
	ck_assert_uint_eq(mvl_iface_get_queue_count(iface), 0);
	ck_assert_int_eq(mvl_iface_get_queue_fd(iface, 0), -EINVAL);
	ck_assert_str_eq(LINK_FIELD("mvt1", "linkinfo.info_data.mode"), "bridge");
	ck_assert_ptr_nonnull(mvl_iface_get_devnode(iface));
	mvl_iface_unref(iface);
	mvl_ctx_unref(ctx);
}
END_TEST

/* The two queue fds of macvtap mvt0 on u0 (peer p0), opened through a
 * private node: O_CLOEXEC, mvt0's char device, multi-queue taps with
 * vnet_hdr, and a frame written to each reaches p0. */
static void assert_two_private_queues(struct mvl_iface *iface)
{
	unsigned long long rx0 = stat_counter("p0", "rx_packets");
	struct stat st;

	for (unsigned i = 0; i < 2; i++) {
		int fd = mvl_iface_get_queue_fd(iface, i);

		ck_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
		ck_assert_int_eq(fstat(fd, &st), 0);
		ck_assert(S_ISCHR(st.st_mode));
		ck_assert(st.st_rdev == sysfs_dev("mvt0", (int)if_nametoindex("mvt0")));
		ck_assert_int_eq(tun_flags(fd, NULL),
				 IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE);
		send_frame(fd, true, guest_mac);
	}
	ck_assert_uint_eq(stat_counter("p0", "rx_packets"), rx0 + 2);
}

/* /dev/tapN absent (no devtmpfs, udev lag): a private node in the state
 * dir, opened and unlinked at once. */
START_TEST(private_node_when_absent)
{
	struct mvl_ctx *ctx;
	struct mvl_iface *iface;
	struct mvl_macvtap_opts o = mvt_opts("priv", "mvt0", "u0");
	char *dev = make_tmpdir(), *state = make_tmpdir(), sub[256], node[256];
	struct stat st;

	enter();
	ctx = mvt_ctx();
	mvt_veth("u0", "p0");
	ck_assert_int_eq(mvl_ctx_set_dev_root(ctx, dev), 0);
	snprintf(sub, sizeof(sub), "%s/run/mvlink", state); /* created as needed */
	ck_assert_int_eq(mvl_ctx_set_state_dir(ctx, sub), 0);
	o.mac = guest_mac;
	o.queues = 2;
	iface = create_ok(ctx, &o);
	snprintf(node, sizeof(node), "%s/tap%d", dev, (int)if_nametoindex("mvt0"));
	ck_assert_str_eq(mvl_iface_get_devnode(iface), node);
	ck_assert_uint_eq(mvl_iface_get_queue_count(iface), 2);
	assert_two_private_queues(iface);
	/* the private dir is 0700 and nothing is left in it; dev root untouched */
	snprintf(sub, sizeof(sub), "%s/run/mvlink/dev", state);
	ck_assert_int_eq(stat(sub, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0700);
	ck_assert_int_eq(count_entries(sub), 0);
	ck_assert_int_eq(count_entries(dev), 0);
	mvl_iface_unref(iface);
	rm_rf(dev);
	rm_rf(state);
	mvl_ctx_unref(ctx);
}
END_TEST

/* The state directory on a nodev mount (/run is one on systemd hosts) and
 * no <dev root>/tapN: the private node goes in <dev root>/.mvlink instead;
 * with the dev root nodev too, a clear refusal naming both. */
START_TEST(private_node_nodev_state_dir)
{
	struct mvl_ctx *ctx;
	struct mvl_iface *iface;
	struct mvl_macvtap_opts o = mvt_opts("priv", "mvt0", "u0");
	char *dev = make_tmpdir(), *state = make_tmpdir(), sub[256], *before;
	struct stat st;

	enter();
	ctx = mvt_ctx();
	mvt_veth("u0", "p0");
	/* the test's own mount namespace: mvt_enter_netns() */
	ck_assert_int_eq(mount("tmpfs", state, "tmpfs", MS_NODEV, "mode=0755"), 0);
	ck_assert_int_eq(mvl_ctx_set_dev_root(ctx, dev), 0);
	ck_assert_int_eq(mvl_ctx_set_state_dir(ctx, state), 0);
	o.mac = guest_mac;
	o.queues = 2;
	iface = create_ok(ctx, &o);
	ck_assert_uint_eq(mvl_iface_get_queue_count(iface), 2);
	assert_two_private_queues(iface);
	/* made in <dev root>/.mvlink (0700), nothing left anywhere */
	snprintf(sub, sizeof(sub), "%s/.mvlink", dev);
	ck_assert_int_eq(lstat(sub, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 0777, 0700);
	ck_assert_int_eq(count_entries(sub), 0);
	snprintf(sub, sizeof(sub), "%s/dev", state);
	ck_assert(count_entries(sub) <= 0);
	mvl_iface_unref(iface);

	/* the dev root nodev too: refused, naming both, nothing changed */
	ck_assert_int_eq(mount("tmpfs", dev, "tmpfs", MS_NODEV, "mode=0755"), 0);
	before = link_snapshot();
	o.name = "mvt1";
	o.mac = guest_mac2;
	ck_assert_int_eq(create_err(ctx, &o), -EACCES);
	snprintf(sub, sizeof(sub), "%s/dev", state);
	assert_error_has(ctx, sub);
	snprintf(sub, sizeof(sub), "%s/.mvlink", dev);
	assert_error_has(ctx, sub);
	assert_error_has(ctx, "nodev");
	assert_unchanged(before);
	free(before);
	ck_assert_int_eq(umount(dev), 0);
	ck_assert_int_eq(umount(state), 0);
	rm_rf(dev);
	rm_rf(state);
	mvl_ctx_unref(ctx);
}
END_TEST

/* A private node left by a killed process, in either place, goes at
 * recovery; one of a live process stays. */
START_TEST(private_nodes_cleaned_in_both_places)
{
	struct mvl_ctx *ctx = mvt_ctx();
	char *dev = make_tmpdir(), *state = make_tmpdir(), dirs[2][256], path[640];
	pid_t dead = fork();

	ck_assert_int_ge(dead, 0);
	if (dead == 0) {
		mvt_child_init();
		_exit(0);
	}
	ck_assert_int_eq(waitpid(dead, NULL, 0), dead);
	ck_assert_int_eq(mvl_ctx_set_dev_root(ctx, dev), 0);
	ck_assert_int_eq(mvl_ctx_set_state_dir(ctx, state), 0);
	snprintf(dirs[0], sizeof(dirs[0]), "%s/dev", state);
	snprintf(dirs[1], sizeof(dirs[1]), "%s/.mvlink", dev);
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(mkdir(dirs[i], 0700), 0);
		snprintf(path, sizeof(path), "%s/tap7.%ld.0000abcd", dirs[i], (long)dead);
		ck_assert_int_eq(mknod(path, S_IFCHR | 0600, makedev(1, 3)), 0);
		snprintf(path, sizeof(path), "%s/tap8.%ld.0000abcd", dirs[i], (long)getpid());
		ck_assert_int_eq(mknod(path, S_IFCHR | 0600, makedev(1, 3)), 0);
	}
	ck_assert_int_eq(mvl_private_nodes_clean(ctx, true), 2); /* dry run */
	ck_assert_int_eq(count_entries(dirs[0]) + count_entries(dirs[1]), 4);
	ck_assert_int_eq(mvl_private_nodes_clean(ctx, false), 2);
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(count_entries(dirs[i]), 1);
		snprintf(path, sizeof(path), "%s/tap8.%ld.0000abcd", dirs[i], (long)getpid());
		ck_assert_int_eq(access(path, F_OK), 0);
	}
	rm_rf(dev);
	rm_rf(state);
	mvl_ctx_unref(ctx);
}
END_TEST

/* /dev/tapN is another device (a macvtap of another namespace with the same
 * ifindex, in the shared devtmpfs): never opened, a private node instead. */
START_TEST(private_node_when_wrong_device)
{
	struct mvl_ctx *ctx;
	struct mvl_iface *iface;
	struct mvl_macvtap_opts o = mvt_opts("priv", "mvt0", "u0");
	char *dev = make_tmpdir(), *state = make_tmpdir(), path[256];
	struct stat st;
	int fd, ino;

	enter();
	ctx = mvt_ctx();
	mvt_veth("u0", "p0");
	/* whatever the ifindex: every tapN here is /dev/null's 1:3 */
	for (int i = 1; i <= 64; i++) {
		snprintf(path, sizeof(path), "%s/tap%d", dev, i);
		ck_assert_int_eq(mknod(path, S_IFCHR | 0600, makedev(1, 3)), 0);
	}
	ck_assert_int_eq(mvl_ctx_set_dev_root(ctx, dev), 0);
	ck_assert_int_eq(mvl_ctx_set_state_dir(ctx, state), 0);
	ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	ck_assert_int_ge(ino, 0);
	ck_assert_int_ge(inotify_add_watch(ino, dev, IN_OPEN | IN_ATTRIB | IN_MODIFY), 0);
	mvl_ctx_test(ctx)->next_ifindex = 42; /* mvlink chooses the ifindex: one of those */
	iface = create_ok(ctx, &o);
	ck_assert_int_eq(mvl_iface_get_ifindex(iface), 42);
	/* not even opened (an open of another macvtap's node adds a queue to it) */
	{
		char ev[4096];

		ck_assert_int_eq(read(ino, ev, sizeof(ev)), -1);
		ck_assert_int_eq(errno, EAGAIN);
		close(ino);
	}
	fd = mvl_iface_get_queue_fd(iface, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert(st.st_rdev == sysfs_dev("mvt0", mvl_iface_get_ifindex(iface)));
	ck_assert(st.st_rdev != makedev(1, 3));
	ck_assert_int_eq(tun_flags(fd, NULL), IFF_TAP | IFF_NO_PI | IFF_VNET_HDR);
	/* the foreign node is untouched, the private one gone */
	snprintf(path, sizeof(path), "%s/tap%d", dev, mvl_iface_get_ifindex(iface));
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert(st.st_rdev == makedev(1, 3));
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert_int_eq(count_entries(dev), 64);
	snprintf(path, sizeof(path), "%s/dev", state);
	ck_assert_int_eq(count_entries(path), 0);

	/* an owner needs the real node: refused, nothing changed */
	{
		char *before;

		mvl_iface_unref(iface);
		ck_assert_int_eq(mvl_iface_delete(ctx, "mvt0"), 1);
		before = link_snapshot();
		o.flags = MVL_MACVTAP_OWNER;
		o.owner = 4242;
		ck_assert_int_eq(create_err(ctx, &o), -EEXIST);
		assert_error_has(ctx, "another device");
		assert_unchanged(before);
		free(before);
		ck_assert_int_eq(mvl_ctx_set_dev_root(ctx, state), 0); /* no tapN there */
		ck_assert_int_eq(create_err(ctx, &o), -ENOENT);
		assert_error_has(ctx, "missing");
		ck_assert(!mvt_link_exists("mvt0"));
	}
	rm_rf(dev);
	rm_rf(state);
	mvl_ctx_unref(ctx);
}
END_TEST

/* The real /dev/tapN, chowned for VMMs that open it by path. */
START_TEST(owner_group_real_node)
{
	struct mvl_ctx *ctx;
	struct mvl_iface *iface;
	struct mvl_macvtap_opts o = mvt_opts("own", "mvt0", "u0");
	struct stat st;
	int ifindex;

	enter();
	ctx = mvt_ctx();
	randomize_ifindex();
	mvt_veth("u0", "p0");
	o.flags = MVL_MACVTAP_OWNER | MVL_MACVTAP_GROUP;
	o.owner = 4242;
	o.group = 4343;
	iface = create_ok(ctx, &o);
	ifindex = mvl_iface_get_ifindex(iface);
	ck_assert_int_eq(stat(mvl_iface_get_devnode(iface), &st), 0);
	ck_assert(st.st_rdev == sysfs_dev("mvt0", ifindex));
	ck_assert_uint_eq(st.st_uid, 4242);
	ck_assert_uint_eq(st.st_gid, 4343);
	ck_assert_uint_eq(st.st_mode & 0777, 0660);
	/* the fds came from that node */
	ck_assert_int_eq(fstat(mvl_iface_get_queue_fd(iface, 0), &st), 0);
	ck_assert(st.st_rdev == sysfs_dev("mvt0", ifindex));
	mvl_iface_unref(iface);
	/* the node goes with the macvtap */
	ck_assert_int_eq(mvl_iface_delete(ctx, "mvt0"), 1);
	{
		char node[64];

		snprintf(node, sizeof(node), "/dev/tap%d", ifindex);
		ck_assert_int_ne(stat(node, &st) == 0 && st.st_uid == 4242, 1);
	}
	mvl_ctx_unref(ctx);
}
END_TEST

/* chown on adoption, and its undo when a later step fails. */
START_TEST(owner_group_adopt_and_undo)
{
	struct mvl_ctx *ctx;
	struct mvl_iface *iface;
	struct mvl_macvtap_opts o = mvt_opts("own", "mvt0", "u0");
	char *dev = make_tmpdir(), path[256], *before;
	const char *state;
	struct stat st;
	unsigned long k, n;
	char *fds;

	enter();
	ctx = mvt_ctx();
	state = mvt_state_dir(ctx);
	mvt_veth("u0", "p0");
	ck_assert_int_eq(mvl_ctx_set_dev_root(ctx, dev), 0);
	o.mac = guest_mac;
	o.flags = MVL_MACVTAP_NO_FDS;
	iface = create_ok(ctx, &o);
	/* what devtmpfs would have made */
	snprintf(path, sizeof(path), "%s/tap%d", dev, mvl_iface_get_ifindex(iface));
	ck_assert_int_eq(
		mknod(path, S_IFCHR | 0600, sysfs_dev("mvt0", mvl_iface_get_ifindex(iface))), 0);
	mvl_iface_unref(iface);

	/* every step of an adoption with owner, group and queues fails in turn:
	 * the node gets its owner and mode back */
	o.flags = MVL_MACVTAP_OWNER | MVL_MACVTAP_GROUP;
	o.owner = 4242;
	o.group = 4343;
	o.queues = 2;
	/* links, addresses and the state directory (the macvtap's index
	 * entry is there already): a journal left behind is a change too */
	before = mvt_snapshot_state(state);
	mvt_assert_indexed(before, state);
	fds = fds_open(ctx);
	/* the steps of an adoption that fails nowhere, then undone by hand:
	 * the node's owner and mode back (the macvtap stays, and its entry) */
	n = count_steps(ctx, &o, &iface);
	ck_assert(mvl_iface_get_adopted(iface));
	mvl_iface_unref(iface);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_uid, 4242);
	ck_assert_int_eq(chown(path, 0, 0), 0);
	ck_assert_int_eq(chmod(path, 0600), 0);
	mvt_assert_unchanged(mvt_snapshot_state(state), before, "the undo by hand is not exact");
	for (k = 1; create_fails_at(ctx, &o, k, &iface, fds); k++) {
		ck_assert_msg(k <= n, "step %lu failed, but a run has %lu steps", k, n);
		ck_assert_int_eq(stat(path, &st), 0);
		ck_assert_msg(st.st_uid == 0 && st.st_gid == 0 && (st.st_mode & 07777) == 0600,
			      "step %lu: node left as %u:%u %o", k, st.st_uid, st.st_gid,
			      st.st_mode & 07777);
		ck_assert(mvt_link_exists("mvt0")); /* adopted: never deleted */
		mvt_assert_unchanged(mvt_snapshot_state(state), before, "step %lu left changes: %s",
				     k, mvl_ctx_get_error(ctx));
	}
	/* 13 today: the optimistic create (journal, index entry, RTM_NEWLINK
	 * that finds mvt0, journal removed), then the adoption: index entry,
	 * journal, 2 opens, 2 TUNSETIFF, chown, chmod, journal removed */
	assert_every_step(ctx, "macvtap adopted, owner, group, 2 queues", k, n, 13);
	ck_assert(mvl_iface_get_adopted(iface));
	ck_assert_uint_eq(mvl_iface_get_queue_count(iface), 2);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_uid, 4242);
	ck_assert_uint_eq(st.st_gid, 4343);
	ck_assert_uint_eq(st.st_mode & 07777, 0660);
	mvl_iface_unref(iface);
	free(before);
	free(fds);
	rm_rf(dev);
	mvl_ctx_unref(ctx);
}
END_TEST

START_TEST(lower_preconditions)
{
	struct mvl_ctx *ctx;
	struct mvl_macvtap_opts o = mvt_opts("pre", "mvt0", "u0");
	char *before;

	enter();
	ctx = mvt_ctx();
	mvt_veth("u0", "p0");
	mvt_veth("u1", "p1");
	ck_assert_int_eq(mvt_sh("ip link add br0 type bridge && ip link set u1 master br0"), 0);
	ck_assert_int_eq(mvt_sh("ip link set u0 down"), 0);
	before = link_snapshot();

	o.link = "nope0";
	ck_assert_int_eq(create_err(ctx, &o), -ENODEV);
	assert_error_has(ctx, "lower device nope0 does not exist");
	o.link = "u1";
	ck_assert_int_eq(create_err(ctx, &o), -EBUSY);
	assert_error_has(ctx, "u1 is a port of bridge br0");
	o.link = "br0";
	ck_assert_int_eq(create_err(ctx, &o), -EINVAL);
	assert_error_has(ctx, "br0 is a bridge");
	o.link = "u0";
	ck_assert_int_eq(create_err(ctx, &o), -ENETDOWN);
	assert_error_has(ctx, "u0 is down");
	ck_assert(!mvl_ctx_get_undo_failed(ctx));
	assert_unchanged(before);

	/* with LINK_UP the lower comes up */
	o.flags = MVL_MACVTAP_LINK_UP;
	mvl_iface_unref(create_ok(ctx, &o));
	ck_assert(link_has_flag("u0", "UP"));
	ck_assert_str_eq(LINK_FIELD("mvt0", "linkinfo.info_data.mode"), "bridge");
	free(before);
	mvl_ctx_unref(ctx);
}
END_TEST

START_TEST(passthru_exclusive)
{
	struct mvl_ctx *ctx;
	struct mvl_macvtap_opts o = mvt_opts("pt", "mvt0", "u0");
	struct mvl_iface *iface;
	char *before;

	enter();
	ctx = mvt_ctx();
	mvt_veth("u0", "p0");
	mvt_veth("u1", "p1");
	ck_assert_int_eq(mvt_sh("ip link add link u0 name mv0 type macvlan mode bridge"), 0);
	before = link_snapshot();
	/* passthru on a lower that already has a child */
	o.mode = MVL_MACVTAP_PASSTHRU;
	ck_assert_int_eq(create_err(ctx, &o), -EBUSY);
	assert_error_has(ctx, "mv0");
	assert_error_has(ctx, "u0");
	assert_unchanged(before);
	free(before);

	/* passthru on a lower that already has a macvtap child (not ours) */
	mvt_veth("u2", "p2");
	ck_assert_int_eq(mvt_sh("ip link add link u2 name mvx type macvtap mode bridge"), 0);
	before = link_snapshot();
	o.link = "u2";
	ck_assert_int_eq(create_err(ctx, &o), -EBUSY);
	assert_error_has(ctx, "mvx");
	assert_error_has(ctx, "u2");
	assert_unchanged(before);
	free(before);

	/* a passthru macvtap keeps every other macvtap off its lower */
	o.link = "u1";
	iface = create_ok(ctx, &o);
	mvl_iface_unref(iface);
	before = link_snapshot();
	o.name = "mvt1";
	o.mode = MVL_MACVTAP_BRIDGE;
	ck_assert_int_eq(create_err(ctx, &o), -EBUSY);
	assert_error_has(ctx, "passthru");
	assert_error_has(ctx, "mvt0");
	o.mode = MVL_MACVTAP_PASSTHRU;
	ck_assert_int_eq(create_err(ctx, &o), -EBUSY);
	assert_unchanged(before);
	free(before);
	mvl_ctx_unref(ctx);
}
END_TEST

/* passthru moves the guest's MAC to the lower; delete (from another
 * process, knowing only the name) puts back its MAC and down state. */
START_TEST(passthru_restores_lower)
{
	struct mvl_ctx *ctx;
	struct mvl_macvtap_opts o = mvt_opts("pt", "mvt0", "u0");
	struct mvl_iface *iface;
	char orig_mac[32], alias[256];
	pid_t pid;
	int status;

	enter();
	ctx = mvt_ctx();
	mvt_veth("u0", "p0");
	ck_assert_int_eq(mvt_sh("ip link set u0 down"), 0);
	snprintf(orig_mac, sizeof(orig_mac), "%s", LINK_FIELD("u0", "address"));
	o.mode = MVL_MACVTAP_PASSTHRU;
	o.mac = guest_mac;
	o.flags = MVL_MACVTAP_LINK_UP;
	iface = create_ok(ctx, &o);
	ck_assert_mem_eq(mvl_iface_get_mac(iface), guest_mac, 6);
	ck_assert_str_eq(LINK_FIELD("u0", "address"), "02:00:00:00:00:01");
	ck_assert_str_eq(LINK_FIELD("mvt0", "address"), "02:00:00:00:00:01");
	ck_assert_str_eq(LINK_FIELD("mvt0", "linkinfo.info_data.mode"), "passthru");
	ck_assert(link_has_flag("u0", "UP"));
	snprintf(alias, sizeof(alias), "mvlink:vm=pt;mode=macvtap;lower_mac=%s;lower_up=0",
		 orig_mac);
	ck_assert_str_eq(LINK_FIELD("mvt0", "ifalias"), alias);
	/* it still lists as a macvtap of VM pt */
	{
		struct mvl_iface *g = NULL;

		ck_assert_int_eq(mvl_iface_get(ctx, "mvt0", &g), 0);
		ck_assert_int_eq(mvl_iface_get_mode(g), MVL_MODE_MACVTAP);
		ck_assert_str_eq(mvl_iface_get_vm_id(g), "pt");
		mvl_iface_unref(g);
	}
	/* adopting it again is idempotent */
	mvl_iface_unref(iface);
	iface = create_ok(ctx, &o);
	ck_assert(mvl_iface_get_adopted(iface));
	mvl_iface_unref(iface);
	mvl_ctx_unref(ctx);

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct mvl_ctx *c2 = NULL;
		int r = 1;

		mvt_child_init();
		if (mvl_ctx_new(&c2) == 0 && mvl_vm_delete(c2, "pt") == 1)
			r = mvl_vm_delete(c2, "pt") == 0 ? 0 : 2;
		mvl_ctx_unref(c2);
		mvt_child_exit(r);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert(!mvt_link_exists("mvt0"));
	ck_assert_str_eq(LINK_FIELD("u0", "address"), orig_mac);
	ck_assert(!link_has_flag("u0", "UP"));
}
END_TEST

/* The kernel restores the MAC itself; restore_lower must also when it did
 * not (someone changed the lower's MAC after the macvtap went), and a lower
 * that was up stays up. */
START_TEST(passthru_delete_keeps_up_lower)
{
	struct mvl_ctx *ctx;
	struct mvl_macvtap_opts o = mvt_opts("pt", "mvt0", "u0");
	char orig_mac[32];

	enter();
	ctx = mvt_ctx();
	mvt_veth("u0", "p0");
	snprintf(orig_mac, sizeof(orig_mac), "%s", LINK_FIELD("u0", "address"));
	o.mode = MVL_MACVTAP_PASSTHRU;
	o.mac = guest_mac2;
	mvl_iface_unref(create_ok(ctx, &o));
	ck_assert_str_eq(LINK_FIELD("u0", "address"), "02:00:00:00:00:02");
	ck_assert_ptr_nonnull(strstr(LINK_FIELD("mvt0", "ifalias"), ";lower_up=1"));
	ck_assert_int_eq(mvl_iface_delete(ctx, "mvt0"), 1);
	ck_assert_str_eq(LINK_FIELD("u0", "address"), orig_mac);
	ck_assert(link_has_flag("u0", "UP"));
	ck_assert_int_eq(mvl_iface_delete(ctx, "mvt0"), 0);

	/* restore_lower() on its own: a lower whose MAC differs */
	{
		struct mvl_link_info li;
		uint8_t mac[6];

		ck_assert_int_eq(mvt_sh("ip link set u0 address 02:00:00:00:00:07"), 0);
		ck_assert_int_eq(mvt_sh("ip link add link u0 name mvt1 type macvtap mode passthru"),
				 0);
		ck_assert_int_eq(mvl_mac_parse(orig_mac, mac), 0);
		ck_assert_int_eq(mvl_nl_link_get(ctx, "mvt1", 0, &li), 0);
		snprintf(li.alias, sizeof(li.alias),
			 "mvlink:vm=pt;mode=macvtap;lower_mac=%s;lower_up=1", orig_mac);
		ck_assert_int_eq(mvl_macvtap_delete_link(ctx, &li), 1);
		ck_assert_str_eq(LINK_FIELD("u0", "address"), orig_mac);
	}
	mvl_ctx_unref(ctx);
}
END_TEST

START_TEST(adopt_or_fail)
{
	struct mvl_ctx *ctx;
	struct mvl_iface *a, *b;
	struct mvl_macvtap_opts o = mvt_opts("vm1", "mvt0", "u0");
	char *before;

	enter();
	ctx = mvt_ctx();
	mvt_veth("u0", "p0");
	mvt_veth("u1", "p1");
	o.mac = guest_mac;
	o.mtu = 1400;
	o.queues = 2;
	a = create_ok(ctx, &o);
	/* the same request again: adopted, queues opened again */
	b = create_ok(ctx, &o);
	ck_assert(mvl_iface_get_adopted(b));
	ck_assert_int_eq(mvl_iface_get_ifindex(b), mvl_iface_get_ifindex(a));
	ck_assert_uint_eq(mvl_iface_get_queue_count(b), 2);
	ck_assert_int_eq(tun_flags(mvl_iface_get_queue_fd(b, 1), NULL) & IFF_MULTI_QUEUE,
			 IFF_MULTI_QUEUE);
	mvl_iface_unref(b);

	/* anything different: -EEXIST, untouched */
	before = link_snapshot();
	o.mode = MVL_MACVTAP_VEPA;
	ck_assert_int_eq(create_err(ctx, &o), -EEXIST);
	assert_error_has(ctx, "mode bridge");
	o.mode = MVL_MACVTAP_BRIDGE;
	o.mac = guest_mac2;
	ck_assert_int_eq(create_err(ctx, &o), -EEXIST);
	assert_error_has(ctx, "02:00:00:00:00:01");
	o.mac = guest_mac;
	o.mtu = 1300;
	ck_assert_int_eq(create_err(ctx, &o), -EEXIST);
	assert_error_has(ctx, "MTU 1400");
	o.mtu = 1400;
	o.link = "u1";
	ck_assert_int_eq(create_err(ctx, &o), -EEXIST);
	assert_error_has(ctx, "lower device u0");
	o.link = "u0";
	o.vm_id = "vm2";
	ck_assert_int_eq(create_err(ctx, &o), -EEXIST);
	assert_error_has(ctx, "belongs to VM vm1");
	assert_unchanged(before);
	free(before);

	/* a down macvtap is not silently brought up */
	o.vm_id = "vm1";
	ck_assert_int_eq(mvt_sh("ip link set mvt0 down"), 0);
	before = link_snapshot();
	ck_assert_int_eq(create_err(ctx, &o), -EEXIST);
	assert_error_has(ctx, "down");
	assert_unchanged(before);
	free(before);
	mvl_iface_unref(a);
	mvl_ctx_unref(ctx);
}
END_TEST

START_TEST(foreign_devices_untouched)
{
	struct mvl_ctx *ctx;
	struct mvl_macvtap_opts o = mvt_opts("vm1", "mvt0", "u0");
	char *before;

	enter();
	ctx = mvt_ctx();
	mvt_veth("u0", "p0");
	ck_assert_int_eq(mvt_sh("ip link add link u0 name mvt0 type macvtap mode bridge && "
				"ip link set mvt0 up && ip link add mvt1 type bridge && "
				"ip link add link u0 name mvt2 type macvtap mode bridge && "
				"ip link set mvt2 alias 'mvlink:vm=vm1;mode=tap' && "
				"ip link add link u0 name mvt3 type macvlan mode bridge"),
			 0);
	before = link_snapshot();
	ck_assert_int_eq(create_err(ctx, &o), -EEXIST);
	assert_error_has(ctx, "not created by mvlink");
	o.name = "mvt1";
	ck_assert_int_eq(create_err(ctx, &o), -EEXIST);
	assert_error_has(ctx, "bridge device");
	o.name = "mvt2";
	ck_assert_int_eq(create_err(ctx, &o), -EEXIST);
	assert_error_has(ctx, "mode tap");
	o.name = "mvt3";
	ck_assert_int_eq(create_err(ctx, &o), -EEXIST);
	assert_error_has(ctx, "macvlan device");
	/* and delete refuses the untagged one */
	ck_assert_int_eq(mvl_iface_delete(ctx, "mvt0"), -EPERM);
	assert_unchanged(before);
	free(before);
	mvl_ctx_unref(ctx);
}
END_TEST

START_TEST(bad_options)
{
	static const uint8_t mcast[6] = { 0x01, 0, 0x5e, 0, 0, 1 }, zero[6] = { 0 };
	static const uint8_t srcs[2][6] = { { 0x02, 0, 0, 0, 0, 9 }, { 0x02, 0, 0, 0, 0, 9 } };
	static const uint8_t bad_src[1][6] = { { 0x03, 0, 0, 0, 0, 9 } };
	struct mvl_ctx *ctx;
	struct mvl_macvtap_opts o = mvt_opts("bad", "mvt0", "u0");
	struct {
		uint8_t raw[sizeof(struct mvl_macvtap_opts) + 8];
	} big = { { 0 } };
	char *before;

	enter();
	ctx = mvt_ctx();
	mvt_veth("u0", "p0");
	before = link_snapshot();
	o.name = "a/b";
	ck_assert_int_eq(create_err(ctx, &o), -EINVAL);
	assert_error_has(ctx, "'a/b'");
	o.name = "0123456789abcdef";
	ck_assert_int_eq(create_err(ctx, &o), -EINVAL);
	o.name = "m-%d-%d";
	ck_assert_int_eq(create_err(ctx, &o), -EINVAL);
	o.name = NULL;
	ck_assert_int_eq(create_err(ctx, &o), -EINVAL);
	o.name = "mvt0";
	o.link = NULL;
	ck_assert_int_eq(create_err(ctx, &o), -EINVAL);
	o.link = "u 0";
	ck_assert_int_eq(create_err(ctx, &o), -EINVAL);
	assert_error_has(ctx, "'u 0'");
	o.link = "u0";
	o.vm_id = "bad id";
	ck_assert_int_eq(create_err(ctx, &o), -EINVAL);
	assert_error_has(ctx, "'bad id'");
	o.vm_id = "bad";
	o.mac = mcast;
	ck_assert_int_eq(create_err(ctx, &o), -EINVAL);
	assert_error_has(ctx, "01:00:5e:00:00:01");
	o.mac = zero;
	ck_assert_int_eq(create_err(ctx, &o), -EINVAL);
	o.mac = NULL;
	o.mode = (enum mvl_macvtap_mode)7;
	ck_assert_int_eq(create_err(ctx, &o), -EINVAL);
	assert_error_has(ctx, "mode 7");
	o.mode = (enum mvl_macvtap_mode) - 1;
	ck_assert_int_eq(create_err(ctx, &o), -EINVAL);
	o.mode = MVL_MACVTAP_BRIDGE;
	o.source_macs = srcs;
	o.n_source_macs = 1;
	ck_assert_int_eq(create_err(ctx, &o), -EINVAL);
	assert_error_has(ctx, "need mode source");
	o.mode = MVL_MACVTAP_SOURCE;
	o.n_source_macs = 2;
	ck_assert_int_eq(create_err(ctx, &o), -EINVAL);
	assert_error_has(ctx, "listed twice");
	o.source_macs = bad_src;
	o.n_source_macs = 1;
	ck_assert_int_eq(create_err(ctx, &o), -EINVAL);
	assert_error_has(ctx, "03:00:00:00:00:09");
	o.source_macs = NULL;
	ck_assert_int_eq(create_err(ctx, &o), -EINVAL);
	o.n_source_macs = MVL_MACVTAP_MAX_SOURCE + 1;
	o.source_macs = srcs;
	ck_assert_int_eq(create_err(ctx, &o), -EINVAL);
	o.source_macs = NULL;
	o.n_source_macs = 0;
	o.mode = MVL_MACVTAP_BRIDGE;
	o.mtu = 67;
	ck_assert_int_eq(create_err(ctx, &o), -EINVAL);
	o.mtu = 65536;
	ck_assert_int_eq(create_err(ctx, &o), -EINVAL);
	o.mtu = 0;
	o.queues = 257;
	ck_assert_int_eq(create_err(ctx, &o), -EINVAL);
	o.queues = 0;
	o.flags = 1u << 20;
	ck_assert_int_eq(create_err(ctx, &o), -EINVAL);
	o.flags = 0;
	o.sz = 4;
	ck_assert_int_eq(create_err(ctx, &o), -EINVAL);
	o.sz = sizeof(o);
	ck_assert_int_eq(mvl_macvtap_create(ctx, &o, NULL), -EINVAL);
	ck_assert_int_eq(mvl_macvtap_create(ctx, NULL, NULL), -EINVAL);
	assert_unchanged(before);
	/* a newer caller's larger struct is fine while its extra bytes are 0 */
	o.sz = sizeof(big);
	memcpy(&big, &o, sizeof(o));
	{
		struct mvl_iface *iface = NULL;

		big.raw[sizeof(o) + 3] = 1;
		ck_assert_int_eq(mvl_macvtap_create(ctx, (struct mvl_macvtap_opts *)&big, &iface),
				 -EINVAL);
		assert_unchanged(before);
		big.raw[sizeof(o) + 3] = 0;
		ck_assert_int_eq(mvl_macvtap_create(ctx, (struct mvl_macvtap_opts *)&big, &iface),
				 0);
		mvl_iface_unref(iface);
	}
	free(before);
	mvl_ctx_unref(ctx);
}
END_TEST

/* A real late failure: the private node cannot be made (the state dir is a
 * file) after the macvtap was created and the lower brought up. */
START_TEST(rollback_late_failure)
{
	struct mvl_ctx *ctx;
	struct mvl_macvtap_opts o = mvt_opts("rb", "mvt0", "u0");
	char *dev = make_tmpdir(), *state = make_tmpdir(), file[256], *before;

	enter();
	ctx = mvt_ctx();
	mvt_veth("u0", "p0");
	ck_assert_int_eq(mvt_sh("ip link set u0 down"), 0);
	snprintf(file, sizeof(file), "%s/file", state);
	ck_assert_int_eq(mvt_sh("touch %s", file), 0);
	ck_assert_int_eq(mvl_ctx_set_dev_root(ctx, dev), 0);
	ck_assert_int_eq(mvl_ctx_set_state_dir(ctx, file), 0);
	/* links, addresses and the directory around the state "directory":
	 * nothing may appear next to the file, which stays a file */
	before = mvt_snapshot_state(state);
	o.mode = MVL_MACVTAP_PASSTHRU;
	o.mac = guest_mac;
	o.flags = MVL_MACVTAP_LINK_UP;
	ck_assert_int_eq(create_err(ctx, &o), -ENOTDIR);
	assert_error_has(ctx, file);
	ck_assert(!mvl_ctx_get_undo_failed(ctx));
	ck_assert(!mvt_link_exists("mvt0"));
	/* u0: down again, its own MAC */
	mvt_assert_unchanged(mvt_snapshot_state(state), before, "the host changed");
	ck_assert_int_eq(count_entries(dev), 0);
	free(before);
	rm_rf(dev);
	rm_rf(state);
	mvl_ctx_unref(ctx);
}
END_TEST

/* Fail every kernel-changing step in turn: each time the error reaches the
 * caller, nothing is left and the lower is as it was. */
START_TEST(rollback_every_step_passthru)
{
	struct mvl_ctx *ctx;
	struct mvl_macvtap_opts o = mvt_opts("rb", "mvt0", "u0");
	struct mvl_iface *iface = NULL;
	char *dev = make_tmpdir(), *state = make_tmpdir(), sub[256], undo[400], *before;
	unsigned long k, n;
	char *fds;

	enter();
	ctx = mvt_ctx();
	mvt_veth("u0", "p0");
	ck_assert_int_eq(mvt_sh("ip link set u0 down"), 0);
	ck_assert_int_eq(mvl_ctx_set_dev_root(ctx, dev), 0); /* the private node path */
	ck_assert_int_eq(mvl_ctx_set_state_dir(ctx, state), 0);
	snprintf(sub, sizeof(sub), "%s/dev", state);
	o.mode = MVL_MACVTAP_PASSTHRU;
	o.mac = guest_mac;
	o.queues = 2;
	o.flags = MVL_MACVTAP_LINK_UP;
	/* links, addresses and the state directory (@ctx's, @state): a
	 * journal or an index entry left behind is a change too */
	before = mvt_snapshot_state(state);
	fds = fds_open(ctx);
	/* the steps of a run that fails nowhere, then undone by hand: the
	 * macvtap (the kernel gives the lower its MAC back), the lower down,
	 * the private nodes' directory, the index entry */
	n = count_steps(ctx, &o, &iface);
	mvl_iface_unref(iface);
	ck_assert_int_le(count_entries(sub), 0); /* the node went after the opens */
	snprintf(undo, sizeof(undo), "ip link del mvt0 && ip link set u0 down && rm -rf '%s'", sub);
	mvt_undo_by_hand(state, before, undo);
	for (k = 1; create_fails_at(ctx, &o, k, &iface, fds); k++) {
		ck_assert_msg(k <= n, "step %lu failed, but a run has %lu steps", k, n);
		mvt_assert_unchanged(mvt_snapshot_state(state), before, "step %lu left changes: %s",
				     k, mvl_ctx_get_error(ctx));
		/* no node left behind; the same step numbers next time */
		ck_assert_int_le(count_entries(sub), 0);
		rmdir(sub);
	}
	/* 13 today: journal, lower up, index entry, RTM_NEWLINK, RTM_SETLINK
	 * (tag, up), the MAC, mkdir, mknod, 2 opens, 2 TUNSETIFF, journal
	 * removed */
	assert_every_step(ctx, "macvtap passthru, private node, 2 queues", k, n, 13);
	ck_assert_uint_eq(mvl_iface_get_queue_count(iface), 2);
	ck_assert_str_eq(LINK_FIELD("u0", "address"), "02:00:00:00:00:01");
	free(before);
	free(fds);
	mvl_iface_unref(iface);
	rm_rf(dev);
	rm_rf(state);
	mvl_ctx_unref(ctx);
}
END_TEST

START_TEST(rollback_every_step_real_node)
{
	struct mvl_ctx *ctx;
	struct mvl_macvtap_opts o = mvt_opts("rb", "mvt-%d", "u0");
	struct mvl_iface *iface = NULL;
	const char *state;
	char *before;
	unsigned long k, n;
	char *fds;

	enter();
	ctx = mvt_ctx();
	state = mvt_state_dir(ctx);
	randomize_ifindex();
	mvt_veth("u0", "p0");
	ck_assert_int_eq(mvt_sh("ip link set u0 down"), 0);
	o.queues = 2;
	o.flags = MVL_MACVTAP_LINK_UP | MVL_MACVTAP_OWNER | MVL_MACVTAP_GROUP;
	o.owner = 4242;
	o.group = 4343;
	/* links, addresses and the state directory: a journal or an index
	 * entry left behind is a change too */
	before = mvt_snapshot_state(state);
	fds = fds_open(ctx);
	/* the steps of a run that fails nowhere, then undone by hand (the
	 * node goes with the macvtap) */
	n = count_steps(ctx, &o, &iface);
	ck_assert_str_eq(mvl_iface_get_name(iface), "mvt-0");
	mvl_iface_unref(iface);
	mvt_undo_by_hand(state, before, "ip link del mvt-0 && ip link set u0 down");
	for (k = 1; create_fails_at(ctx, &o, k, &iface, fds); k++) {
		ck_assert_msg(k <= n, "step %lu failed, but a run has %lu steps", k, n);
		mvt_assert_unchanged(mvt_snapshot_state(state), before, "step %lu left changes: %s",
				     k, mvl_ctx_get_error(ctx));
	}
	/* 12 today: journal, lower up, index entry, RTM_NEWLINK, RTM_SETLINK
	 * (tag, up), 2 opens, 2 TUNSETIFF, chown, chmod, journal removed */
	assert_every_step(ctx, "macvtap, real node, owner, group, 2 queues", k, n, 12);
	ck_assert_str_eq(mvl_iface_get_name(iface), "mvt-0");
	free(before);
	free(fds);
	mvl_iface_unref(iface);
	mvl_ctx_unref(ctx);
}
END_TEST

START_TEST(listing_and_vm_delete)
{
	struct mvl_ctx *ctx;
	struct mvl_macvtap_opts o = mvt_opts("vmL", "mvt0", "u0");
	struct mvl_iface_list *list = NULL;
	struct mvl_iface *it;

	enter();
	ctx = mvt_ctx();
	mvt_veth("u0", "p0");
	mvl_iface_unref(create_ok(ctx, &o));
	o.name = "mvt1";
	mvl_iface_unref(create_ok(ctx, &o));
	ck_assert_int_eq(mvl_iface_list_new(ctx, "vmL", 0, &list), 0);
	ck_assert_uint_eq(mvl_iface_list_count(list), 2);
	it = mvl_iface_list_get(list, 0);
	ck_assert_int_eq(mvl_iface_get_mode(it), MVL_MODE_MACVTAP);
	ck_assert_str_eq(mvl_iface_get_link(it), "u0");
	mvl_iface_list_free(list);
	ck_assert_int_eq(mvl_vm_delete(ctx, "vmL"), 2);
	ck_assert(!mvt_link_exists("mvt0"));
	ck_assert(!mvt_link_exists("mvt1"));
	ck_assert_int_eq(mvl_vm_delete(ctx, "vmL"), 0);
	ck_assert(mvt_link_exists("u0"));
	mvl_ctx_unref(ctx);
}
END_TEST

int main(void)
{
	return mvt_run(
		mvt_suite("macvtap", "kernel", 120, create_default_bridge_mode, every_mode,
			  source_mode_macs, mac_mtu_template, four_queues, no_vnet_hdr_and_no_fds,
			  private_node_when_absent, private_node_nodev_state_dir,
			  private_nodes_cleaned_in_both_places,
			  private_node_when_wrong_device,
			  owner_group_real_node, owner_group_adopt_and_undo, lower_preconditions,
			  passthru_exclusive, passthru_restores_lower,
			  passthru_delete_keeps_up_lower, adopt_or_fail, foreign_devices_untouched,
			  bad_options, rollback_late_failure, rollback_every_step_passthru,
			  rollback_every_step_real_node, listing_and_vm_delete),
		true);
}
