// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-sriov.c - SR-IOV, vfio-pci binding, journals and locks, without
 * privileges: the pure parts (PCI addresses, journal encoding, VF netlink
 * messages) directly, the rest on a fake sysfs tree (fakesys.c) that reacts
 * to writes as the kernel does and whose PFs answer VF requests.  Every
 * failure path is driven by fault injection (mvl_fault(ctx)->step, each step)
 * and by the tree refusing a write (each write, with the kernel's errno);
 * afterwards the tree and the state directory must equal what they were
 * (a failed release, recover, gc or VM deletion: what its design leaves,
 * exactly, which running it again completes).  The steps (writes) are
 * counted on a run that fails nowhere, and each loop must have failed
 * every one of them.  Crashes are real: a child attaches and is SIGKILLed
 * at each step, the parent recovers.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "fakesys.h"
#include "testutil.h"

#define PF_ADDR "0000:3b:00.0"
#define PF_IF "enp59s0f0"
#define PF_IFINDEX 1001
#define VM "vm1"

static const uint8_t mac1[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };

struct env {
	struct fakesys *fs;
	struct mvl_ctx *ctx;
	struct fs_dev *pf;
};

/* A NIC PF (i40e, 8 VFs possible, VFs match iavf) with netdev enp59s0f0. */
static void env_nic(struct env *e)
{
	e->fs = fs_new();
	e->ctx = mvt_ctx();
	fs_setup_ctx(e->fs, e->ctx);
	fs_add_driver(e->fs, "i40e");
	fs_add_driver(e->fs, "iavf");
	e->pf = fs_add_dev(e->fs, PF_ADDR, 0x8086, 0x1572, 0x020000, "i40e", -2);
	fs_make_pf(e->fs, e->pf, 8, "iavf");
	fs_add_netdev(e->fs, e->pf, PF_IF, PF_IFINDEX, true);
	mvl_ctx_test(e->ctx)->lock_timeout_ms = 200;
}

/* A netdevsim device (no PCI function) whose netdev eni1np1 holds up to 4
 * VFs, which are settings of the PF only. */
#define NSIM_IF "eni1np1"
static void env_nsim(struct env *e)
{
	e->fs = fs_new();
	e->ctx = mvt_ctx();
	fs_setup_ctx(e->fs, e->ctx);
	e->pf = fs_add_nsim(e->fs, 1, NSIM_IF, 1100, 4);
	mvl_ctx_test(e->ctx)->lock_timeout_ms = 200;
}

static void env_free(struct env *e)
{
	ck_assert_msg(e->fs->unexpected == 0, "unexpected sysfs write: %s", e->fs->last_unexpected);
	mvl_ctx_unref(e->ctx);
	fs_free(e->fs);
}

static void vf_addr(struct env *e, unsigned k, char out[MVL_PCI_ADDR_LEN])
{
	fs_vf_addr(e->pf, k, out);
}

static void enable(struct env *e, unsigned n)
{
	int r = mvl_sriov_enable(e->ctx, PF_IF, n);

	ck_assert_msg(r >= 0, "enable: %s", mvl_ctx_get_error(e->ctx));
}

/* The group a VM's device node is given: another than the node's, so that
 * a release has an owner to give back (a step of its own); only root may
 * give a group it is not in. */
static gid_t vm_gid(void)
{
	return geteuid() == 0 ? 4343 : getgid();
}

static struct mvl_vf_opts full_opts(int vf)
{
	struct mvl_vf_opts o = {
		.sz = sizeof(o),
		.vm_id = VM,
		.pf = PF_IF,
		.vf = vf,
		.mac = mac1,
		.vlan = 100,
		.qos = 3,
		.vlan_proto = MVL_VLAN_PROTO_8021AD,
		.spoofchk = MVL_OFF,
		.trust = MVL_ON,
		.link_state = MVL_VF_LINK_ENABLE,
		.min_tx_rate = 100,
		.max_tx_rate = 1000,
		.owner = getuid(),
		.group = vm_gid(),
		.flags = MVL_VF_VLAN | MVL_VF_MIN_RATE | MVL_VF_MAX_RATE | MVL_VF_OWNER |
			 MVL_VF_GROUP,
	};

	return o;
}

/* Every attribute of VF @vf of the netdevsim PF, configured only. */
static struct mvl_vf_opts nsim_opts(int vf)
{
	struct mvl_vf_opts o = full_opts(vf);

	o.pf = NSIM_IF;
	o.flags = (o.flags & ~(unsigned)(MVL_VF_OWNER | MVL_VF_GROUP)) | MVL_VF_NO_VFIO;
	return o;
}

static void assert_same(const char *before, const char *after)
{
	ck_assert_msg(strcmp(before, after) == 0, "state differs:\n--- before\n%s--- after\n%s",
		      before, after);
}

static bool contains(const char *s, const char *what)
{
	return s && strstr(s, what);
}

#define ck_error_has(ctx, what)                                                        \
	ck_assert_msg(contains(mvl_ctx_get_error(ctx), what), "error '%s' lacks '%s'", \
		      mvl_ctx_get_error(ctx), what)

/* ===================================================== pure: PCI addresses */

START_TEST(pci_addr_valid)
{
	static const char *const ok[][2] = {
		{ "0000:af:06.0", "0000:af:06.0" }, { "af:06.0", "0000:af:06.0" },
		{ "0000:AF:1F.7", "0000:af:1f.7" }, { "ffff:ff:00.1", "ffff:ff:00.1" },
		{ "00:00.0", "0000:00:00.0" },
	};
	char out[MVL_PCI_ADDR_LEN];

	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		ck_assert_msg(mvl_pci_addr_parse(ok[i][0], out) == 0, "%s", ok[i][0]);
		ck_assert_str_eq(out, ok[i][1]);
	}
}
END_TEST

START_TEST(pci_addr_invalid)
{
	static const char *const bad[] = {
		"",
		"0",
		"af:06",
		"af:06.",
		"af:20.0",
		"af:06.8",
		"0000:af:06.0 ",
		" af:06.0",
		"0000:af:6.0",
		"000:af:06.0",
		"10000:af:06.0",
		"0000-af-06.0",
		"0000:af:06:0",
		"../../../etc",
		"0000:af:06.0/../x",
		"gg:00.0",
		"0000:af:06.00",
		"0x00:af:06.0",
		"af:06.0\n",
		"+f:06.0",
		"0000:af:1g.0",
	};
	char out[MVL_PCI_ADDR_LEN] = "untouched";

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		ck_assert_msg(mvl_pci_addr_parse(bad[i], out) == -EINVAL, "'%s' accepted", bad[i]);
	ck_assert_str_eq(out, "untouched");
	ck_assert_int_eq(mvl_pci_addr_parse(NULL, out), -EINVAL);
}
END_TEST

START_TEST(strings)
{
	ck_assert_str_eq(mvl_vf_link_state_to_string(MVL_VF_LINK_DISABLE), "disable");
	ck_assert_int_eq(mvl_vf_link_state_from_string("auto"), MVL_VF_LINK_AUTO);
	ck_assert_int_eq(mvl_vf_link_state_from_string("up"), -EINVAL);
	ck_assert_ptr_null(mvl_vf_link_state_to_string(7));
	ck_assert_str_eq(mvl_vlan_proto_to_string(MVL_VLAN_PROTO_8021AD), "802.1ad");
	ck_assert_int_eq(mvl_vlan_proto_from_string("802.1q"), MVL_VLAN_PROTO_8021Q);
	ck_assert_int_eq(mvl_vlan_proto_from_string("802.1x"), -EINVAL);
	ck_assert_str_eq(mvl_vf_attr_name(MVL_VF_A_TRUST), "trust");
}
END_TEST

/* Every attribute bit has exactly one row in vf.c's table and one in
 * netlink.c's (a name, a request). */
START_TEST(vf_attr_tables)
{
	struct mvl_vf_state v = { .vf = 1 };
	unsigned seen = 0, bit;
	char buf[256];

	for (size_t i = 0; (bit = mvl_vf_attr_bit(i)); i++) {
		ck_assert_uint_eq(bit & (bit - 1), 0);
		ck_assert_uint_eq(seen & bit, 0);
		seen |= bit;
		ck_assert_str_ne(mvl_vf_attr_name(bit), "?");
		ck_assert_int_gt(mvl_nl_vf_build(3, bit, &v, buf, sizeof(buf)), 0);
	}
	ck_assert_uint_eq(seen, MVL_VF_A_ALL);
	ck_assert_str_eq(mvl_vf_attr_name(MVL_VF_A_ALL + 1), "?");
	ck_assert_int_eq(mvl_nl_vf_build(3, MVL_VF_A_ALL + 1, &v, buf, sizeof(buf)), -EINVAL);
}
END_TEST

/* =========================================================== pure: journal */

static struct mvl_journal sample_journal(void)
{
	struct mvl_journal j = {
		.mode = MVL_MODE_SRIOV,
		.state = MVL_J_ATTACHED,
		.addr = "0000:3b:10.1",
		.vm_id = "vm-7",
		.pid = 1234,
		.pid_start = 99,
		.boot_id = "b00t",
		.vfio = true,
		.driver = "iavf",
		.driver_override = "",
		.iommu_group = 12,
		.has_devnode = true,
		.dev_uid = 0,
		.dev_gid = 107,
		.pf_addr = PF_ADDR,
		.pf_ifname = PF_IF,
		.vf = 1,
		.vf_changes = MVL_VF_A_MAC | MVL_VF_A_VLAN | MVL_VF_A_TRUST | MVL_VF_A_RATE,
	};

	j.vf_orig = (struct mvl_vf_state){ .vf = 1,
					   .have = MVL_VF_A_ALL,
					   .vlan = 5,
					   .qos = 2,
					   .vlan_proto = ETH_P_8021AD,
					   .spoofchk = -1,
					   .trust = 0,
					   .link_state = IFLA_VF_LINK_STATE_DISABLE,
					   .min_tx_rate = 10,
					   .max_tx_rate = 4000000000u };
	memcpy(j.vf_orig.mac, mac1, 6);
	return j;
}

START_TEST(journal_roundtrip)
{
	struct mvl_journal j = sample_journal(), k;
	char *text = NULL, why[256];

	ck_assert_int_eq(mvl_journal_encode(&j, &text), 0);
	ck_assert_msg(mvl_journal_decode(text, strlen(text), &k, why, sizeof(why)) == 0, "%s", why);
	ck_assert_int_eq(k.mode, j.mode);
	ck_assert_int_eq(k.state, j.state);
	ck_assert_str_eq(k.addr, j.addr);
	ck_assert_str_eq(k.vm_id, j.vm_id);
	ck_assert_int_eq(k.pid, 1234);
	ck_assert_str_eq(k.driver, "iavf");
	ck_assert_str_eq(k.driver_override, "");
	ck_assert(k.has_devnode && k.dev_gid == 107);
	ck_assert_int_eq(k.iommu_group, 12);
	ck_assert_str_eq(k.pf_addr, PF_ADDR);
	ck_assert_int_eq(k.vf, 1);
	ck_assert_uint_eq(k.vf_changes, j.vf_changes);
	ck_assert_uint_eq(k.vf_orig.have, MVL_VF_A_ALL); /* all it records */
	ck_assert_mem_eq(k.vf_orig.mac, mac1, 6);
	ck_assert_uint_eq(k.vf_orig.vlan, 5);
	ck_assert_uint_eq(k.vf_orig.qos, 2);
	ck_assert_uint_eq(k.vf_orig.vlan_proto, ETH_P_8021AD);
	ck_assert_int_eq(k.vf_orig.spoofchk, -1);
	ck_assert_int_eq(k.vf_orig.trust, 0);
	ck_assert_int_eq(k.vf_orig.link_state, IFLA_VF_LINK_STATE_DISABLE);
	ck_assert_uint_eq(k.vf_orig.max_tx_rate, 4000000000u);
	free(text);

	/* a whole-device journal has no sriov part */
	j.mode = MVL_MODE_PCI;
	j.has_devnode = false;
	ck_assert_int_eq(mvl_journal_encode(&j, &text), 0);
	ck_assert_ptr_null(strstr(text, "sriov"));
	ck_assert_int_eq(mvl_journal_decode(text, strlen(text), &k, why, sizeof(why)), 0);
	ck_assert_int_eq(k.mode, MVL_MODE_PCI);
	ck_assert(!k.has_devnode);
	free(text);
}
END_TEST

/* The journal of a VF without PCI function: named "<pf>:vf<N>", no PF
 * address, never vfio; the name must agree with the PF and the index. */
START_TEST(journal_netdev_vf)
{
	static const char *const edits[][2] = {
		{ "\"device\":\"eni1np1:vf1\"", "\"device\":\"eni1np1:vf2\"" },
		{ "\"device\":\"eni1np1:vf1\"", "\"device\":\"eni1np2:vf1\"" },
		{ "\"device\":\"eni1np1:vf1\"", "\"device\":\"eni1np1:vf01\"" },
		{ "\"device\":\"eni1np1:vf1\"", "\"device\":\"../x:vf1\"" },
		{ "\"pf\":\"\"", "\"pf\":\"" PF_ADDR "\"" },
		{ "\"vfio\":false", "\"vfio\":true" },
		{ "\"mode\":\"sriov\"", "\"mode\":\"pci\"" },
	};
	struct mvl_journal j = sample_journal(), k;
	char *text = NULL, why[256];

	snprintf(j.addr, sizeof(j.addr), "eni1np1:vf1");
	j.pf_addr[0] = '\0';
	snprintf(j.pf_ifname, sizeof(j.pf_ifname), "eni1np1");
	j.vfio = false;
	j.has_devnode = false;
	j.iommu_group = -1;
	j.driver[0] = '\0';
	ck_assert_int_eq(mvl_journal_encode(&j, &text), 0);
	ck_assert_msg(mvl_journal_decode(text, strlen(text), &k, why, sizeof(why)) == 0, "%s", why);
	ck_assert_str_eq(k.addr, "eni1np1:vf1");
	ck_assert_str_eq(k.pf_addr, "");
	ck_assert_str_eq(k.pf_ifname, "eni1np1");
	ck_assert_int_eq(k.vf, 1);
	ck_assert(!k.vfio);
	for (size_t i = 0; i < ARRAY_SIZE(edits); i++) {
		char *p = strstr(text, edits[i][0]), *t;

		ck_assert_msg(p != NULL, "no '%s' in\n%s", edits[i][0], text);
		ck_assert_int_ge(asprintf(&t, "%.*s%s%s", (int)(p - text), text, edits[i][1],
					  p + strlen(edits[i][0])),
				 0);
		ck_assert_msg(mvl_journal_decode(t, strlen(t), &k, why, sizeof(why)) == -EBADMSG,
			      "accepted edit %zu:\n%s", i, t);
		free(t);
	}
	free(text);
}
END_TEST

START_TEST(vf_name_parse)
{
	static const struct {
		const char *text, *pf;
		unsigned vf;
	} good[] = {
		{ "eni1np1:vf0", "eni1np1", 0 },
		{ "eno1:vf7", "eno1", 7 },
		{ "a:vf65535", "a", 65535 },
		{ "abcdefghijklmno:vf12", "abcdefghijklmno", 12 },
	};
	static const char *const bad[] = {
		"", ":vf0", "eno1", "eno1:", "eno1:vf", "eno1:vf-1", "eno1:vf+1", "eno1:vf01",
		"eno1:vf65536", "eno1:vf1x", "eno1:VF1", "eno1:pf0", "eno1:vf1:vf2",
		"abcdefghijklmnop:vf1", "../x:vf1", "a/b:vf1", "a b:vf1", ".:vf1", "..:vf1",
		"0000:3b:10.0", "eno1 :vf1", "eno1:vf 1", "eno1:vf99999999999999999999",
	};
	char pf[MVL_IFNAMSIZ];
	unsigned vf;

	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		ck_assert_msg(mvl_vf_name_parse(good[i].text, pf, &vf) == 0, "%s", good[i].text);
		ck_assert_str_eq(pf, good[i].pf);
		ck_assert_uint_eq(vf, good[i].vf);
	}
	ck_assert_int_eq(mvl_vf_name_parse("eno1:vf3", NULL, NULL), 0);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		ck_assert_msg(mvl_vf_name_parse(bad[i], pf, &vf) == -EINVAL, "accepted '%s'", bad[i]);
	ck_assert_int_eq(mvl_vf_name_parse(NULL, pf, &vf), -EINVAL);
}
END_TEST

/* Every truncation of a valid journal is refused, none crashes. */
START_TEST(journal_truncated)
{
	struct mvl_journal j = sample_journal(), k;
	char *text = NULL, why[256];
	size_t len;

	ck_assert_int_eq(mvl_journal_encode(&j, &text), 0);
	len = strlen(text);
	for (size_t n = 0; n < len - 1; n++) {
		char *copy = strndup(text, n); /* no terminator beyond n bytes */

		why[0] = '\0';
		ck_assert_msg(mvl_journal_decode(copy, n, &k, why, sizeof(why)) == -EBADMSG,
			      "prefix of %zu bytes accepted", n);
		ck_assert(why[0]);
		free(copy);
	}
	free(text);
}
END_TEST

START_TEST(journal_garbage)
{
	static const char *const bad[] = {
		"",
		"{",
		"[]",
		"null",
		"\"x\"",
		"{}",
		"{\"format\":\"mvlink-journal\"}",
		"garbage\x01\xff",
		"{\"format\":\"mvlink-journal\",\"version\":2}",
		"{\"format\":\"other\",\"version\":1}",
		/* each of these is the good journal with one field broken */
	};
	static const char *const edits[][2] = {
		{ "\"mode\":\"sriov\"", "\"mode\":\"tap\"" },
		{ "\"state\":\"attached\"", "\"state\":\"done\"" },
		{ "\"device\":\"0000:3b:10.1\"", "\"device\":\"../../x\"" },
		{ "\"device\":\"0000:3b:10.1\"", "\"device\":\"3b:10.1\"" },
		{ "\"vm\":\"vm-7\"", "\"vm\":\"vm 7\"" },
		{ "\"driver\":\"iavf\"", "\"driver\":\"../iavf\"" },
		{ "\"driver\":\"iavf\"", "\"driver\":7" },
		{ "\"pf\":\"0000:3b:00.0\"", "\"pf\":\"eth0\"" },
		{ "\"vf\":1", "\"vf\":-1" },
		{ "\"vlan\":5", "\"vlan\":5000" },
		{ "\"qos\":2", "\"qos\":\"2\"" },
		{ "\"mac\":\"02:11:22:33:44:55\"", "\"mac\":\"02:11:22:33:44\"" },
		{ "\"link_state\":\"disable\"", "\"link_state\":\"down\"" },
		{ "\"trust\":false", "\"trust\":0" },
		{ "\"vlan_proto\":\"802.1ad\"", "\"vlan_proto\":\"802.1x\"" },
		{ "\"rate\"", "\"rates\"" },
		{ "\"vfio\":true", "\"vfio\":1" },
		{ "\"iommu_group\":12", "\"iommu_group\":-5" },
		{ "\"gid\":107", "\"gid\":4294967296" },
		{ "\"max_tx_rate\":4000000000", "\"max_tx_rate\":99999999999" },
		{ "\"trust\":false", "\"trusted\":false" }, /* changes without original */
		{ "}\n", "} x" },
	};
	struct mvl_journal j = sample_journal(), k;
	char *text = NULL, why[256];

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		ck_assert_msg(mvl_journal_decode(bad[i], strlen(bad[i]), &k, why, sizeof(why)) ==
				      -EBADMSG,
			      "accepted: %s", bad[i]);
	ck_assert_int_eq(mvl_journal_encode(&j, &text), 0);
	for (size_t i = 0; i < ARRAY_SIZE(edits); i++) {
		char *p = strstr(text, edits[i][0]), *t;

		ck_assert_msg(p != NULL, "no '%s' in\n%s", edits[i][0], text);
		ck_assert_int_ge(asprintf(&t, "%.*s%s%s", (int)(p - text), text, edits[i][1],
					  p + strlen(edits[i][0])),
				 0);
		why[0] = '\0';
		ck_assert_msg(mvl_journal_decode(t, strlen(t), &k, why, sizeof(why)) == -EBADMSG,
			      "accepted edit %zu:\n%s", i, t);
		ck_assert(why[0]);
		free(t);
	}
	free(text);
}
END_TEST

/* ====================================================== pure: VF messages */

/* The single attribute inside IFLA_VFINFO_LIST/IFLA_VF_INFO of a request,
 * found with the kernel's own macros (an oracle independent of libnl). */
static const struct rtattr *vf_attr_of(const void *buf, int len, int *ret_ifindex)
{
	const struct nlmsghdr *h = buf;
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	const struct rtattr *a = IFLA_RTA(ifi), *found = NULL;
	int rem = (int)h->nlmsg_len - NLMSG_LENGTH(sizeof(*ifi)), n = 0;

	ck_assert_int_eq(h->nlmsg_type, RTM_SETLINK);
	ck_assert_int_eq((int)h->nlmsg_len, len);
	*ret_ifindex = ifi->ifi_index;
	for (; RTA_OK(a, rem); a = RTA_NEXT(a, rem)) {
		const struct rtattr *info;
		int irem = (int)RTA_PAYLOAD(a);

		ck_assert_int_eq(a->rta_type & ~NLA_F_NESTED, IFLA_VFINFO_LIST);
		n++;
		info = RTA_DATA(a);
		ck_assert(RTA_OK(info, irem));
		ck_assert_int_eq(info->rta_type & ~NLA_F_NESTED, IFLA_VF_INFO);
		{
			const struct rtattr *x = RTA_DATA(info);
			int xrem = (int)RTA_PAYLOAD(info), cnt = 0;

			for (; RTA_OK(x, xrem); x = RTA_NEXT(x, xrem)) {
				found = x;
				cnt++;
			}
			ck_assert_int_eq(cnt, 1); /* one attribute per request */
		}
	}
	ck_assert_int_eq(n, 1);
	return found;
}

START_TEST(vf_build)
{
	struct mvl_vf_state v = { .vf = 3,
				  .vlan = 100,
				  .qos = 5,
				  .vlan_proto = ETH_P_8021AD,
				  .spoofchk = 0,
				  .trust = 1,
				  .link_state = 2,
				  .min_tx_rate = 10,
				  .max_tx_rate = 500 };
	uint8_t buf[512];
	const struct rtattr *a;
	int len, ifindex;

	memcpy(v.mac, mac1, 6);
	len = mvl_nl_vf_build(7, MVL_VF_A_MAC, &v, buf, sizeof(buf));
	ck_assert_int_gt(len, 0);
	a = vf_attr_of(buf, len, &ifindex);
	ck_assert_int_eq(ifindex, 7);
	ck_assert_int_eq(a->rta_type, IFLA_VF_MAC);
	ck_assert_uint_eq(((const struct ifla_vf_mac *)RTA_DATA(a))->vf, 3);
	ck_assert_mem_eq(((const struct ifla_vf_mac *)RTA_DATA(a))->mac, mac1, 6);

	len = mvl_nl_vf_build(7, MVL_VF_A_VLAN, &v, buf, sizeof(buf));
	a = vf_attr_of(buf, len, &ifindex);
	ck_assert_int_eq(a->rta_type & ~NLA_F_NESTED, IFLA_VF_VLAN_LIST);
	{
		const struct rtattr *vi = RTA_DATA(a);
		const struct ifla_vf_vlan_info *info = RTA_DATA(vi);

		ck_assert_int_eq(vi->rta_type, IFLA_VF_VLAN_INFO);
		ck_assert_uint_eq(info->vf, 3);
		ck_assert_uint_eq(info->vlan, 100);
		ck_assert_uint_eq(info->qos, 5);
		ck_assert_uint_eq(info->vlan_proto, htons(ETH_P_8021AD)); /* network order */
	}
	len = mvl_nl_vf_build(7, MVL_VF_A_SPOOFCHK, &v, buf, sizeof(buf));
	a = vf_attr_of(buf, len, &ifindex);
	ck_assert_int_eq(a->rta_type, IFLA_VF_SPOOFCHK);
	ck_assert_uint_eq(((const struct ifla_vf_spoofchk *)RTA_DATA(a))->setting, 0);
	len = mvl_nl_vf_build(7, MVL_VF_A_TRUST, &v, buf, sizeof(buf));
	a = vf_attr_of(buf, len, &ifindex);
	ck_assert_int_eq(a->rta_type, IFLA_VF_TRUST);
	ck_assert_uint_eq(((const struct ifla_vf_trust *)RTA_DATA(a))->setting, 1);
	len = mvl_nl_vf_build(7, MVL_VF_A_LINK_STATE, &v, buf, sizeof(buf));
	a = vf_attr_of(buf, len, &ifindex);
	ck_assert_int_eq(a->rta_type, IFLA_VF_LINK_STATE);
	ck_assert_uint_eq(((const struct ifla_vf_link_state *)RTA_DATA(a))->link_state, 2);
	/* both rates, always */
	len = mvl_nl_vf_build(7, MVL_VF_A_RATE, &v, buf, sizeof(buf));
	a = vf_attr_of(buf, len, &ifindex);
	ck_assert_int_eq(a->rta_type, IFLA_VF_RATE);
	ck_assert_uint_eq(((const struct ifla_vf_rate *)RTA_DATA(a))->min_tx_rate, 10);
	ck_assert_uint_eq(((const struct ifla_vf_rate *)RTA_DATA(a))->max_tx_rate, 500);

	ck_assert_int_eq(mvl_nl_vf_build(7, MVL_VF_A_MAC | MVL_VF_A_VLAN, &v, buf, sizeof(buf)),
			 -EINVAL);
	ck_assert_int_eq(mvl_nl_vf_build(0, MVL_VF_A_MAC, &v, buf, sizeof(buf)), -EINVAL);
	ck_assert_int_eq(mvl_nl_vf_build(7, MVL_VF_A_MAC, &v, buf, 8), -ENOBUFS);
}
END_TEST

/* A hand-made RTM_NEWLINK as the kernel sends it for a PF. */
struct msgbuf {
	uint8_t b[2048];
	size_t len;
};

static struct rtattr *put_attr(struct msgbuf *m, int type, const void *data, size_t n)
{
	struct rtattr *a = (struct rtattr *)(m->b + m->len);

	a->rta_type = (unsigned short)type;
	a->rta_len = (unsigned short)RTA_LENGTH(n);
	if (data)
		memcpy(RTA_DATA(a), data, n);
	m->len += RTA_ALIGN(a->rta_len);
	return a;
}

static void end_nest(struct msgbuf *m, struct rtattr *a)
{
	a->rta_len = (unsigned short)(m->b + m->len - (uint8_t *)a);
}

static void put_vf(struct msgbuf *m, uint32_t vf, bool with_list, uint32_t trust)
{
	struct rtattr *info = put_attr(m, IFLA_VF_INFO, NULL, 0);
	struct ifla_vf_mac mac = { .vf = vf };
	struct ifla_vf_vlan vlan = { .vf = vf, .vlan = 10 + vf, .qos = 1 };
	struct ifla_vf_spoofchk sc = { .vf = vf, .setting = 1 };
	struct ifla_vf_trust tr = { .vf = vf, .setting = trust };
	struct ifla_vf_rss_query_en rq = { .vf = vf, .setting = trust };
	struct ifla_vf_link_state ls = { .vf = vf, .link_state = 1 };
	struct ifla_vf_rate rate = { .vf = vf, .min_tx_rate = 5, .max_tx_rate = 50 };

	memcpy(mac.mac, mac1, 6);
	mac.mac[5] = (uint8_t)vf;
	put_attr(m, IFLA_VF_MAC, &mac, sizeof(mac));
	put_attr(m, IFLA_VF_VLAN, &vlan, sizeof(vlan));
	if (with_list) {
		struct rtattr *l = put_attr(m, IFLA_VF_VLAN_LIST, NULL, 0);
		struct ifla_vf_vlan_info vi = {
			.vf = vf, .vlan = 10 + vf, .qos = 1, .vlan_proto = htons(ETH_P_8021AD)
		};

		put_attr(m, IFLA_VF_VLAN_INFO, &vi, sizeof(vi));
		end_nest(m, l);
	}
	put_attr(m, IFLA_VF_SPOOFCHK, &sc, sizeof(sc));
	put_attr(m, IFLA_VF_TRUST, &tr, sizeof(tr));
	put_attr(m, IFLA_VF_LINK_STATE, &ls, sizeof(ls));
	put_attr(m, IFLA_VF_RATE, &rate, sizeof(rate));
	put_attr(m, IFLA_VF_RSS_QUERY_EN, &rq, sizeof(rq));
	end_nest(m, info);
}

static void newlink_msg(struct msgbuf *m)
{
	struct nlmsghdr *h = (struct nlmsghdr *)m->b;
	struct ifinfomsg *ifi;
	struct rtattr *list;

	memset(m, 0, sizeof(*m));
	h->nlmsg_type = RTM_NEWLINK;
	m->len = NLMSG_LENGTH(sizeof(*ifi));
	ifi = NLMSG_DATA(h);
	ifi->ifi_index = 5;
	put_attr(m, IFLA_IFNAME, "eth0", 5);
	list = put_attr(m, IFLA_VFINFO_LIST, NULL, 0);
	put_vf(m, 0, false, 0);
	put_vf(m, 1, true, (uint32_t)-1);
	end_nest(m, list);
	h->nlmsg_len = (uint32_t)m->len;
}

START_TEST(vf_parse)
{
	struct mvl_vf_state *vfs = NULL;
	struct msgbuf m;
	size_t n = 0;

	newlink_msg(&m);
	ck_assert_int_eq(mvl_nl_vf_parse(m.b, m.len, &vfs, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(vfs[0].vf, 0);
	ck_assert_uint_eq(vfs[0].have, MVL_VF_A_ALL);
	ck_assert_uint_eq(vfs[0].vlan, 10);
	ck_assert_uint_eq(vfs[0].vlan_proto, ETH_P_8021Q); /* no list: 802.1Q */
	ck_assert_int_eq(vfs[0].trust, 0);
	ck_assert_int_eq(vfs[0].query_rss, 0);
	ck_assert_int_eq(vfs[0].spoofchk, 1);
	ck_assert_int_eq(vfs[0].link_state, 1);
	ck_assert_uint_eq(vfs[0].max_tx_rate, 50);
	ck_assert_int_eq(vfs[1].vf, 1);
	ck_assert_uint_eq(vfs[1].mac[5], 1);
	ck_assert_uint_eq(vfs[1].vlan, 11);
	ck_assert_uint_eq(vfs[1].vlan_proto, ETH_P_8021AD);
	ck_assert_int_eq(vfs[1].trust, -1); /* the driver does not say */
	ck_assert_int_eq(vfs[1].query_rss, -1);
	free(vfs);

	/* truncated messages, wrong type: refused, never read past the end */
	for (size_t len = 0; len < m.len; len += 3) {
		struct msgbuf t = m;

		((struct nlmsghdr *)t.b)->nlmsg_len = (uint32_t)len;
		vfs = NULL;
		if (mvl_nl_vf_parse(t.b, len, &vfs, &n) == 0)
			free(vfs);
	}
	((struct nlmsghdr *)m.b)->nlmsg_type = RTM_DELLINK;
	ck_assert_int_eq(mvl_nl_vf_parse(m.b, m.len, &vfs, &n), -EBADMSG);
	ck_assert_int_eq(mvl_nl_vf_parse(m.b, 4, &vfs, &n), -EBADMSG);
}
END_TEST

/* ========================================================== PF, enable */

START_TEST(pf_resolve_errors)
{
	struct env e;
	struct fs_dev *plain;

	env_nic(&e);
	plain = fs_add_dev(e.fs, "0000:00:19.0", 0x8086, 0x15b8, 0x020000, NULL, -2);
	fs_add_netdev(e.fs, plain, "eno1", 1002, true);
	ck_assert_int_eq(mvl_sriov_enable(e.ctx, "nosuch0", 2), -ENODEV);
	ck_error_has(e.ctx, "no network interface nosuch0");
	ck_assert_int_eq(mvl_sriov_enable(e.ctx, "0000:00:1f.0", 2), -ENODEV);
	ck_assert_int_eq(mvl_sriov_enable(e.ctx, "eno1", 2), -EOPNOTSUPP);
	ck_error_has(e.ctx, "not an SR-IOV PF");
	ck_assert_int_eq(mvl_sriov_enable(e.ctx, "bad/name", 2), -EINVAL);
	ck_assert_int_eq(mvl_sriov_enable(e.ctx, "../../x", 2), -EINVAL);
	/* a netdev that is no PCI function (netdevsim, USB) */
	{
		char p[PATH_MAX];

		snprintf(p, sizeof(p), "%s/class/net/dummy0", e.fs->sys);
		ck_assert_int_eq(mkdir(p, 0755), 0);
		ck_assert_int_eq(mvl_sriov_enable(e.ctx, "dummy0", 2), -EOPNOTSUPP);
		ck_error_has(e.ctx, "not a PCI device");
	}
	enable(&e, 2);
	{
		char vf[MVL_PCI_ADDR_LEN];

		vf_addr(&e, 0, vf);
		ck_assert_int_eq(mvl_sriov_enable(e.ctx, vf, 2), -EOPNOTSUPP);
		ck_error_has(e.ctx, "is a VF");
	}
	env_free(&e);
}
END_TEST

START_TEST(enable_disable)
{
	struct env e;
	char vf[MVL_PCI_ADDR_LEN], drv[64], v[16];

	env_nic(&e);
	ck_assert_int_eq(mvl_sriov_enable(e.ctx, PF_ADDR, 4), 1);
	vf_addr(&e, 3, vf);
	ck_assert(fs_find(e.fs, vf) != NULL);
	/* autoprobe went off first: the new VFs stay off host drivers */
	fs_driver(e.fs, vf, drv, sizeof(drv));
	ck_assert_str_eq(drv, "");
	ck_assert_int_eq(mvl_sysfs_read(e.ctx, v, sizeof(v),
					"bus/pci/devices/" PF_ADDR "/sriov_drivers_autoprobe"),
			 1);
	ck_assert_str_eq(v, "0");
	/* same number: nothing to do; another number: the kernel's EBUSY explained */
	ck_assert_int_eq(mvl_sriov_enable(e.ctx, PF_IF, 4), 0);
	ck_assert_int_eq(mvl_sriov_enable(e.ctx, PF_IF, 2), -EBUSY);
	ck_error_has(e.ctx, "PF " PF_IF " already has 4 VFs; disable first");
	ck_assert_int_eq(mvl_sriov_enable(e.ctx, PF_IF, 9), -ERANGE);
	ck_error_has(e.ctx, "at most 8 VFs");
	ck_assert_int_eq(mvl_sriov_enable(e.ctx, PF_IF, 0), -EINVAL);
	ck_assert_int_eq(mvl_sriov_disable(e.ctx, PF_IF), 1);
	ck_assert(fs_find(e.fs, vf) == NULL);
	ck_assert_int_eq(mvl_sriov_disable(e.ctx, PF_IF), 0);
	env_free(&e);
}
END_TEST

START_TEST(enable_failures_restore_autoprobe)
{
	struct env e;
	char *before, *after;

	env_nic(&e);
	before = fs_snapshot(e.fs);
	/* the kernel refuses the count: autoprobe goes back on */
	e.fs->fail_suffix = "/sriov_numvfs";
	e.fs->fail_err = ENOMEM;
	ck_assert_int_eq(mvl_sriov_enable(e.ctx, PF_IF, 4), -ENOMEM);
	ck_error_has(e.ctx, "not enough resources");
	after = fs_snapshot(e.fs);
	assert_same(before, after);
	free(after);
	/* (every step failing in turn: enable_each_step_fails) */
	e.fs->fail_suffix = NULL;
	/* no PF driver: the kernel's ENOENT explained */
	fs_bind(e.fs, PF_ADDR, NULL);
	ck_assert_int_eq(mvl_sriov_enable(e.ctx, PF_ADDR, 4), -ENOENT);
	ck_error_has(e.ctx, "no driver");
	free(before);
	env_free(&e);
}
END_TEST

/* ============================================================ VF attach */

static void check_attached(struct env *e, struct mvl_iface *iface, const char *vf, int index)
{
	char drv[64], ovr[64], node[PATH_MAX], want_node[PATH_MAX];
	struct fs_dev *d = fs_find(e->fs, vf);
	struct mvl_journal j;

	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(mvl_iface_get_mode(iface), MVL_MODE_SRIOV);
	ck_assert_str_eq(mvl_iface_get_name(iface), vf);
	ck_assert_str_eq(mvl_iface_get_vm_id(iface), VM);
	ck_assert_str_eq(mvl_iface_get_link(iface), PF_IF);
	ck_assert_int_eq(mvl_iface_get_iommu_group(iface), d->group);
	ck_assert(fs_vfio_node(e->fs, d->group, node, sizeof(node)));
	snprintf(want_node, sizeof(want_node), "%s/vfio/%d", e->fs->dev, d->group);
	ck_assert_str_eq(mvl_iface_get_devnode(iface), want_node);
	fs_driver(e->fs, vf, drv, sizeof(drv));
	ck_assert_str_eq(drv, "vfio-pci");
	fs_override(e->fs, vf, ovr, sizeof(ovr));
	ck_assert_str_eq(ovr, "vfio-pci");
	ck_assert_int_eq(mvl_journal_read(e->ctx, vf, &j), 0);
	ck_assert_int_eq(j.state, MVL_J_ATTACHED);
	ck_assert_str_eq(j.vm_id, VM);
	ck_assert_int_eq(j.vf, index);
}

START_TEST(vf_attach_release)
{
	struct env e;
	struct mvl_iface *iface = NULL;
	struct mvl_vf_opts o = full_opts(1);
	char vf[MVL_PCI_ADDR_LEN], *before, *after;
	const struct mvl_vf_state *s;

	env_nic(&e);
	enable(&e, 4);
	vf_addr(&e, 1, vf);
	before = fs_snapshot(e.fs);
	ck_assert_msg(mvl_vf_attach(e.ctx, &o, &iface) == 0, "%s", mvl_ctx_get_error(e.ctx));
	check_attached(&e, iface, vf, 1);
	ck_assert_mem_eq(mvl_iface_get_mac(iface), mac1, 6);
	s = &e.pf->vfs[1];
	ck_assert_mem_eq(s->mac, mac1, 6);
	ck_assert_uint_eq(s->vlan, 100);
	ck_assert_uint_eq(s->qos, 3);
	ck_assert_uint_eq(s->vlan_proto, ETH_P_8021AD);
	ck_assert_int_eq(s->spoofchk, 0);
	ck_assert_int_eq(s->trust, 1);
	ck_assert_int_eq(s->link_state, IFLA_VF_LINK_STATE_ENABLE);
	ck_assert_uint_eq(s->min_tx_rate, 100);
	ck_assert_uint_eq(s->max_tx_rate, 1000);
	mvl_iface_unref(iface);

	/* the same VF again: busy, naming the VM */
	ck_assert_int_eq(mvl_vf_attach(e.ctx, &o, &iface), -EBUSY);
	ck_error_has(e.ctx, "attached to VM " VM);
	/* release: everything as before; a second release has nothing to do */
	ck_assert_msg(mvl_iface_delete(e.ctx, vf) == 1, "%s", mvl_ctx_get_error(e.ctx));
	after = fs_snapshot(e.fs);
	assert_same(before, after);
	ck_assert_int_eq(mvl_iface_delete(e.ctx, vf), 0);
	ck_assert_int_eq(mvl_iface_delete(e.ctx, vf + 5), 0); /* the short form */
	free(before);
	free(after);
	env_free(&e);
}
END_TEST

/* A PF that is no PCI function (netdevsim): its VFs are configured through
 * it, named "<pf>:vf<N>", journaled and locked by that name, and released
 * by it or by VM. */
START_TEST(nsim_vf_attach_release)
{
	struct env e;
	struct mvl_iface *iface = NULL;
	struct mvl_iface_list *list = NULL;
	struct mvl_sriov_list *sl = NULL;
	const struct mvl_sriov_pf *pf;
	const struct mvl_sriov_vf *vf;
	struct mvl_vf_opts o = nsim_opts(1);
	const struct mvl_vf_state *s;
	char *before, *after, path[PATH_MAX];

	env_nsim(&e);
	before = fs_snapshot(e.fs);
	/* enable: sriov_numvfs of its device, no autoprobe to turn off */
	ck_assert_msg(mvl_sriov_enable(e.ctx, NSIM_IF, 3) == 1, "%s", mvl_ctx_get_error(e.ctx));
	fs_vfs_load(e.fs, e.pf);
	ck_assert_uint_eq(e.pf->nvfs, 3);
	ck_assert_int_eq(mvl_sriov_enable(e.ctx, NSIM_IF, 3), 0);
	ck_assert_int_eq(mvl_sriov_enable(e.ctx, NSIM_IF, 2), -EBUSY);
	ck_assert_int_eq(mvl_sriov_disable(e.ctx, NSIM_IF), 1);
	ck_assert_int_eq(mvl_sriov_enable(e.ctx, NSIM_IF, 5), -ENOMEM); /* its max_vfs */
	after = fs_snapshot(e.fs);
	assert_same(before, after);
	free(after);
	ck_assert_int_eq(mvl_sriov_enable(e.ctx, NSIM_IF, 3), 1);
	free(before);
	before = fs_snapshot(e.fs);

	/* vfio-pci cannot take what is no PCI function: refused, untouched */
	o.flags &= ~(unsigned)MVL_VF_NO_VFIO;
	ck_assert_int_eq(mvl_vf_attach(e.ctx, &o, &iface), -EOPNOTSUPP);
	ck_error_has(e.ctx, "not a PCI device");
	ck_error_has(e.ctx, "MVL_VF_NO_VFIO");
	o.flags |= MVL_VF_NO_VFIO;
	after = fs_snapshot(e.fs);
	assert_same(before, after);
	free(after);

	ck_assert_msg(mvl_vf_attach(e.ctx, &o, &iface) == 0, "%s", mvl_ctx_get_error(e.ctx));
	ck_assert_str_eq(mvl_iface_get_name(iface), NSIM_IF ":vf1");
	ck_assert_int_eq(mvl_iface_get_mode(iface), MVL_MODE_SRIOV);
	ck_assert_str_eq(mvl_iface_get_vm_id(iface), VM);
	ck_assert_str_eq(mvl_iface_get_link(iface), NSIM_IF);
	ck_assert_ptr_null(mvl_iface_get_devnode(iface));
	ck_assert_int_eq(mvl_iface_get_iommu_group(iface), -1);
	ck_assert_mem_eq(mvl_iface_get_mac(iface), mac1, 6);
	mvl_iface_unref(iface);
	fs_vfs_load(e.fs, e.pf);
	s = &e.pf->vfs[1];
	ck_assert_mem_eq(s->mac, mac1, 6);
	ck_assert_uint_eq(s->vlan, 100);
	ck_assert_uint_eq(s->qos, 3);
	ck_assert_uint_eq(s->vlan_proto, ETH_P_8021AD);
	ck_assert_int_eq(s->spoofchk, 0);
	ck_assert_int_eq(s->trust, 1);
	ck_assert_int_eq(s->link_state, IFLA_VF_LINK_STATE_ENABLE);
	ck_assert_uint_eq(s->min_tx_rate, 100);
	ck_assert_uint_eq(s->max_tx_rate, 1000);
	snprintf(path, sizeof(path), "%s/vf/" NSIM_IF ":vf1.json", e.fs->state);
	ck_assert_int_eq(access(path, F_OK), 0);

	/* listed with the VM's interfaces and under its PF */
	ck_assert_int_eq(mvl_iface_list_new(e.ctx, VM, 0, &list), 0);
	ck_assert_uint_eq(mvl_iface_list_count(list), 1);
	ck_assert_str_eq(mvl_iface_get_name(mvl_iface_list_get(list, 0)), NSIM_IF ":vf1");
	mvl_iface_list_free(list);
	ck_assert_msg(mvl_sriov_list_new(e.ctx, NULL, &sl) == 0, "%s", mvl_ctx_get_error(e.ctx));
	ck_assert_uint_eq(mvl_sriov_list_count(sl), 1);
	pf = mvl_sriov_list_get(sl, 0);
	ck_assert_ptr_null(mvl_sriov_pf_get_addr(pf));
	ck_assert_str_eq(mvl_sriov_pf_get_ifname(pf), NSIM_IF);
	ck_assert_str_eq(mvl_sriov_pf_get_driver(pf), "netdevsim");
	ck_assert_uint_eq(mvl_sriov_pf_get_total_vfs(pf), 0); /* it does not say */
	ck_assert_uint_eq(mvl_sriov_pf_get_num_vfs(pf), 3);
	vf = mvl_sriov_pf_get_vf(pf, 1);
	ck_assert_str_eq(mvl_sriov_vf_get_addr(vf), NSIM_IF ":vf1");
	ck_assert_str_eq(mvl_sriov_vf_get_vm_id(vf), VM);
	ck_assert_ptr_null(mvl_sriov_vf_get_driver(vf));
	ck_assert_int_eq(mvl_sriov_vf_get_iommu_group(vf), -1);
	ck_assert_int_eq(mvl_sriov_vf_get_vlan(vf), 100);
	ck_assert_ptr_null(mvl_sriov_vf_get_vm_id(mvl_sriov_pf_get_vf(pf, 0)));
	mvl_sriov_list_free(sl);
	ck_assert_int_eq(mvl_sriov_list_new(e.ctx, NSIM_IF, &sl), 0);
	ck_assert_uint_eq(mvl_sriov_list_count(sl), 1);
	mvl_sriov_list_free(sl);

	/* taken: busy; the first free one is another; no disable meanwhile */
	ck_assert_int_eq(mvl_vf_attach(e.ctx, &o, &iface), -EBUSY);
	ck_error_has(e.ctx, "attached to VM " VM);
	o.vf = -1;
	o.vm_id = "vm2";
	ck_assert_int_eq(mvl_vf_attach(e.ctx, &o, &iface), 0);
	ck_assert_str_eq(mvl_iface_get_name(iface), NSIM_IF ":vf0");
	mvl_iface_unref(iface);
	ck_assert_int_eq(mvl_sriov_disable(e.ctx, NSIM_IF), -EBUSY);
	ck_error_has(e.ctx, "is attached to VM");

	/* release by name and by VM: the PF's VFs as before */
	ck_assert_msg(mvl_iface_delete(e.ctx, NSIM_IF ":vf1") == 1, "%s",
		      mvl_ctx_get_error(e.ctx));
	ck_assert_int_eq(mvl_iface_delete(e.ctx, NSIM_IF ":vf1"), 0);
	ck_assert_int_eq(mvl_vm_delete(e.ctx, "vm2"), 1);
	after = fs_snapshot(e.fs);
	assert_same(before, after);
	free(after);
	free(before);
	ck_assert_int_eq(mvl_sriov_disable(e.ctx, NSIM_IF), 1);
	env_free(&e);
}
END_TEST

/* A refused attribute on a netdevsim VF rolls back those set before it. */
START_TEST(nsim_refused_attribute)
{
	struct env e;
	struct mvl_iface *iface = NULL;
	struct mvl_vf_opts o = nsim_opts(0);
	char *before, *after;

	env_nsim(&e);
	ck_assert_int_eq(mvl_sriov_enable(e.ctx, NSIM_IF, 2), 1);
	before = fs_snapshot(e.fs);
	e.pf->refuse = MVL_VF_A_TRUST;
	e.pf->refuse_err = -EOPNOTSUPP;
	ck_assert_int_eq(mvl_vf_attach(e.ctx, &o, &iface), -EOPNOTSUPP);
	ck_error_has(e.ctx, "refused trust on");
	ck_assert(!mvl_ctx_get_undo_failed(e.ctx));
	after = fs_snapshot(e.fs);
	assert_same(before, after);
	ck_assert_int_eq(fs_journal_count(e.fs), 0);
	free(after);
	free(before);
	env_free(&e);
}
END_TEST

/* A VF on its host driver goes back to it, through driver_override since
 * autoprobe is off. */
START_TEST(vf_from_host_driver)
{
	struct env e;
	struct mvl_iface *iface = NULL;
	struct mvl_vf_opts o = { .sz = sizeof(o), .vm_id = VM, .pf = PF_ADDR, .vf = 0 };
	char vf[MVL_PCI_ADDR_LEN], drv[64], ovr[64], *before, *after;

	env_nic(&e);
	enable(&e, 2);
	vf_addr(&e, 0, vf);
	fs_bind(e.fs, vf, "iavf");
	before = fs_snapshot(e.fs);
	ck_assert_msg(mvl_vf_attach(e.ctx, &o, &iface) == 0, "%s", mvl_ctx_get_error(e.ctx));
	fs_driver(e.fs, vf, drv, sizeof(drv));
	ck_assert_str_eq(drv, "vfio-pci");
	mvl_iface_unref(iface);
	ck_assert_int_eq(mvl_vm_delete(e.ctx, VM), 1);
	fs_driver(e.fs, vf, drv, sizeof(drv));
	ck_assert_str_eq(drv, "iavf");
	fs_override(e.fs, vf, ovr, sizeof(ovr));
	ck_assert_str_eq(ovr, "");
	after = fs_snapshot(e.fs);
	assert_same(before, after);
	free(before);
	free(after);
	env_free(&e);
}
END_TEST

START_TEST(vf_first_free)
{
	struct env e;
	struct mvl_iface *a = NULL, *b = NULL, *c = NULL;
	struct mvl_vf_opts o = {
		.sz = sizeof(o), .vm_id = VM, .pf = PF_IF, .vf = -1, .flags = MVL_VF_NO_VFIO
	};
	char vf0[MVL_PCI_ADDR_LEN], vf1[MVL_PCI_ADDR_LEN], vf2[MVL_PCI_ADDR_LEN];
	int lock = -1;

	env_nic(&e);
	enable(&e, 3);
	vf_addr(&e, 0, vf0);
	vf_addr(&e, 1, vf1);
	vf_addr(&e, 2, vf2);
	/* VF 0 belongs to another tool: skipped */
	fs_bind(e.fs, vf0, "vfio-pci");
	ck_assert_msg(mvl_vf_attach(e.ctx, &o, &a) == 0, "%s", mvl_ctx_get_error(e.ctx));
	ck_assert_str_eq(mvl_iface_get_name(a), vf1);
	ck_assert_ptr_null(mvl_iface_get_devnode(a));
	/* VF 2 is being worked on by another process: skipped too */
	ck_assert_int_eq(mvl_lock_take(e.ctx, MVL_LOCK_PCI, vf2, false, false, &lock), 0);
	ck_assert_int_eq(mvl_vf_attach(e.ctx, &o, &b), -EBUSY);
	ck_error_has(e.ctx, "all 3 VFs of " PF_IF " are in use");
	mvl_lock_drop(&lock);
	ck_assert_int_eq(mvl_vf_attach(e.ctx, &o, &b), 0);
	ck_assert_str_eq(mvl_iface_get_name(b), vf2);
	ck_assert_int_eq(mvl_vf_attach(e.ctx, &o, &c), -EBUSY);
	/* an explicit VF that is foreign, or out of range */
	o.vf = 0;
	ck_assert_int_eq(mvl_vf_attach(e.ctx, &o, &c), -EBUSY);
	ck_error_has(e.ctx, "bound to vfio-pci by another tool");
	o.vf = 3;
	ck_assert_int_eq(mvl_vf_attach(e.ctx, &o, &c), -ENODEV);
	ck_error_has(e.ctx, "there is no VF 3");
	/* disable is refused while VFs are attached */
	ck_assert_int_eq(mvl_sriov_disable(e.ctx, PF_IF), -EBUSY);
	ck_error_has(e.ctx, "attached to VM " VM);
	mvl_iface_unref(a);
	mvl_iface_unref(b);
	ck_assert_int_eq(mvl_vm_delete(e.ctx, VM), 2);
	/* still refused: VF 0 is on vfio-pci without a journal */
	ck_assert_int_eq(mvl_sriov_disable(e.ctx, PF_IF), -EBUSY);
	ck_error_has(e.ctx, "by another tool");
	fs_bind(e.fs, vf0, NULL);
	ck_assert_int_eq(mvl_sriov_disable(e.ctx, PF_IF), 1);
	env_free(&e);
}
END_TEST

START_TEST(vf_lock_busy)
{
	struct env e;
	struct mvl_iface *iface = NULL;
	struct mvl_vf_opts o = full_opts(0);
	char vf[MVL_PCI_ADDR_LEN];
	int lock = -1;

	env_nic(&e);
	enable(&e, 2);
	vf_addr(&e, 0, vf);
	ck_assert_int_eq(mvl_lock_take(e.ctx, MVL_LOCK_PCI, vf, false, false, &lock), 0);
	ck_assert_int_eq(mvl_vf_attach(e.ctx, &o, &iface), -EBUSY);
	ck_error_has(e.ctx, "busy: another mvlink process holds PCI device");
	ck_assert_int_eq(mvl_iface_delete(e.ctx, vf), -EBUSY);
	/* enable/disable wait for the PF: an attach holds it shared */
	mvl_lock_drop(&lock);
	ck_assert_int_eq(mvl_lock_take(e.ctx, MVL_LOCK_PCI, PF_ADDR, true, false, &lock), 0);
	ck_assert_int_eq(mvl_sriov_disable(e.ctx, PF_IF), -EBUSY);
	ck_assert_int_eq(mvl_vf_attach(e.ctx, &o, &iface), 0); /* shared with shared */
	mvl_lock_drop(&lock);
	mvl_iface_unref(iface);
	ck_assert_int_eq(mvl_iface_delete(e.ctx, vf), 1);
	env_free(&e);
}
END_TEST

START_TEST(vf_pf_down)
{
	struct env e;
	struct mvl_iface *iface = NULL;
	struct mvl_vf_opts o = full_opts(0);
	char *before, *after;

	env_nic(&e);
	enable(&e, 2);
	fs_set_up(e.fs, e.pf, false);
	before = fs_snapshot(e.fs);
	ck_assert_int_eq(mvl_vf_attach(e.ctx, &o, &iface), -ENETDOWN);
	ck_error_has(e.ctx, "PF " PF_IF " is down");
	after = fs_snapshot(e.fs);
	assert_same(before, after);
	free(before);
	free(after);
	env_free(&e);
}
END_TEST

/* A driver refusing one attribute: the message names it, the others are
 * undone. */
START_TEST(vf_refused_attribute)
{
	static const unsigned attrs[] = { MVL_VF_A_MAC,	  MVL_VF_A_VLAN,       MVL_VF_A_SPOOFCHK,
					  MVL_VF_A_TRUST, MVL_VF_A_LINK_STATE, MVL_VF_A_RATE };
	static const char *const words[] = { "MAC 02:11:22:33:44:55", "VLAN 100 qos 3 (802.1ad)",
					     "spoofchk off",	      "trust on",
					     "link state enable",     "min/max tx rate 100/1000" };
	struct env e;

	env_nic(&e);
	enable(&e, 2);
	for (size_t i = 0; i < ARRAY_SIZE(attrs); i++) {
		struct mvl_iface *iface = NULL;
		struct mvl_vf_opts o = full_opts(0);
		char *before = fs_snapshot(e.fs), *after;

		e.pf->refuse = attrs[i];
		e.pf->refuse_err = -EOPNOTSUPP;
		ck_assert_int_eq(mvl_vf_attach(e.ctx, &o, &iface), -EOPNOTSUPP);
		ck_error_has(e.ctx, words[i]);
		ck_error_has(e.ctx, "refused");
		ck_assert(!mvl_ctx_get_undo_failed(e.ctx));
		after = fs_snapshot(e.fs);
		assert_same(before, after);
		ck_assert_int_eq(fs_journal_count(e.fs), 0);
		free(before);
		free(after);
	}
	e.pf->refuse = 0;
	env_free(&e);
}
END_TEST

START_TEST(vf_unreported_attribute)
{
	struct env e;
	struct mvl_iface *iface = NULL;
	struct mvl_vf_opts o = full_opts(0);

	env_nic(&e);
	enable(&e, 2);
	e.pf->vf_report = MVL_VF_A_ALL & ~MVL_VF_A_TRUST;
	ck_assert_int_eq(mvl_vf_attach(e.ctx, &o, &iface), -EOPNOTSUPP);
	ck_error_has(e.ctx, "does not report VF trust");
	ck_assert_int_eq(fs_journal_count(e.fs), 0);
	/* without trust it works */
	o.trust = MVL_UNSET;
	ck_assert_msg(mvl_vf_attach(e.ctx, &o, &iface) == 0, "%s", mvl_ctx_get_error(e.ctx));
	mvl_iface_unref(iface);
	ck_assert_int_eq(mvl_vm_delete(e.ctx, VM), 1);
	env_free(&e);
}
END_TEST

/* Only the rate asked for changes: the other keeps its current value. */
/* IFLA_VF_RSS_QUERY_EN through the paths trust takes: the request, the
 * reply, the options, set and read back, restored, listed, refused when
 * the driver does not report it, and journaled (or, while the journal
 * cannot record its original, refused before anything changes). */
START_TEST(vf_query_rss)
{
	struct env e;
	struct mvl_iface *iface = NULL;
	struct mvl_vf_opts o = nsim_opts(1);
	struct mvl_journal j = { .mode = MVL_MODE_SRIOV, .vf = 1 };
	struct mvl_sriov_list *sl = NULL;
	struct mvl_vf_state v = { .vf = 2, .query_rss = 1 }, want;
	const struct rtattr *a;
	char *before, *after;
	uint8_t buf[512];
	int len, ifindex;

	len = mvl_nl_vf_build(7, MVL_VF_A_QUERY_RSS, &v, buf, sizeof(buf));
	a = vf_attr_of(buf, len, &ifindex);
	ck_assert_int_eq(a->rta_type, IFLA_VF_RSS_QUERY_EN);
	ck_assert_uint_eq(((const struct ifla_vf_rss_query_en *)RTA_DATA(a))->vf, 2);
	ck_assert_uint_eq(((const struct ifla_vf_rss_query_en *)RTA_DATA(a))->setting, 1);
	ck_assert_str_eq(mvl_vf_attr_name(MVL_VF_A_QUERY_RSS), "query-rss");

	env_nsim(&e);
	ck_assert_int_eq(mvl_sriov_enable(e.ctx, NSIM_IF, 2), 1);
	before = fs_snapshot(e.fs);
	o = (struct mvl_vf_opts){ .sz = sizeof(o), .vm_id = VM, .pf = NSIM_IF, .vf = 1,
				  .query_rss = MVL_ON, .flags = MVL_VF_NO_VFIO };
	/* set and read back, then restored (as an undo or release does) */
	ck_assert_int_eq(mvl_nl_vf_get(e.ctx, e.pf->ifindex, 1, &j.vf_orig), 0);
	ck_assert_int_eq(j.vf_orig.query_rss, 0);
	j.vf_changes = mvl_vf_wanted(&o, &j.vf_orig, &want);
	ck_assert_uint_eq(j.vf_changes, MVL_VF_A_QUERY_RSS);
	ck_assert_int_eq(want.query_rss, 1);
	ck_assert_msg(mvl_vf_apply_attrs(e.ctx, e.pf->ifindex, NSIM_IF, 1, j.vf_changes, &want) ==
			      0,
		      "%s", mvl_ctx_get_error(e.ctx));
	fs_vfs_load(e.fs, e.pf);
	ck_assert_int_eq(e.pf->vfs[1].query_rss, 1);
	ck_assert_int_eq(mvl_sriov_list_new(e.ctx, NSIM_IF, &sl), 0);
	ck_assert_int_eq(mvl_sriov_vf_get_query_rss(
				 mvl_sriov_pf_get_vf(mvl_sriov_list_get(sl, 0), 1)),
			 MVL_ON);
	ck_assert_int_eq(mvl_sriov_vf_get_query_rss(
				 mvl_sriov_pf_get_vf(mvl_sriov_list_get(sl, 0), 0)),
			 MVL_OFF);
	sl = mvl_sriov_list_free(sl);
	ck_assert_int_eq(mvl_vf_restore_attrs_on(e.ctx, e.pf->ifindex, NSIM_IF, &j), 0);
	after = fs_snapshot(e.fs);
	assert_same(before, after);
	free(after);
	/* a refusal names it, and what was set before goes back */
	o.trust = MVL_ON;
	e.pf->refuse = MVL_VF_A_QUERY_RSS;
	e.pf->refuse_err = -EOPNOTSUPP;
	ck_assert_int_eq(mvl_vf_attach(e.ctx, &o, &iface), -EOPNOTSUPP);
	ck_error_has(e.ctx, "refused query-rss on for VF 1");
	e.pf->refuse = 0;
	after = fs_snapshot(e.fs);
	assert_same(before, after);
	free(after);
	ck_assert_int_eq(fs_journal_count(e.fs), 0);
	/* attached, journaled, released: as before */
	ck_assert_msg(mvl_vf_attach(e.ctx, &o, &iface) == 0, "%s",
		      mvl_ctx_get_error(e.ctx));
	mvl_iface_unref(iface);
	fs_vfs_load(e.fs, e.pf);
	ck_assert_int_eq(e.pf->vfs[1].query_rss, 1);
	ck_assert_int_eq(mvl_journal_read(e.ctx, NSIM_IF ":vf1", &j), 0);
	ck_assert_uint_ne(j.vf_changes & MVL_VF_A_QUERY_RSS, 0);
	ck_assert_int_eq(j.vf_orig.query_rss, 0);
	ck_assert_int_eq(mvl_iface_delete(e.ctx, NSIM_IF ":vf1"), 1);
	after = fs_snapshot(e.fs);
	assert_same(before, after);
	free(after);
	/* a driver that does not say: not changed */
	e.pf->vf_report = MVL_VF_A_ALL & ~MVL_VF_A_QUERY_RSS;
	ck_assert_int_eq(mvl_vf_attach(e.ctx, &o, &iface), -EOPNOTSUPP);
	ck_error_has(e.ctx, "does not report VF query-rss");
	ck_assert_int_eq(fs_journal_count(e.fs), 0);
	/* not a tristate */
	o.query_rss = 3;
	ck_assert_int_eq(mvl_vf_attach(e.ctx, &o, &iface), -EINVAL);
	ck_error_has(e.ctx, "invalid query-rss value 3");
	free(before);
	env_free(&e);
}
END_TEST

START_TEST(vf_rate_keeps_other)
{
	struct env e;
	struct mvl_iface *iface = NULL;
	struct mvl_vf_opts o = { .sz = sizeof(o),
				 .vm_id = VM,
				 .pf = PF_IF,
				 .vf = 0,
				 .max_tx_rate = 300,
				 .flags = MVL_VF_MAX_RATE | MVL_VF_NO_VFIO };
	char *before, *after;

	env_nic(&e);
	enable(&e, 2);
	fs_vfs_load(e.fs, e.pf);
	e.pf->vfs[0].min_tx_rate = 20;
	e.pf->vfs[1].max_tx_rate = 400;
	fs_vfs_store(e.fs, e.pf);
	before = fs_snapshot(e.fs);
	ck_assert_int_eq(mvl_vf_attach(e.ctx, &o, &iface), 0);
	mvl_iface_unref(iface);
	ck_assert_uint_eq(e.pf->vfs[0].min_tx_rate, 20);
	ck_assert_uint_eq(e.pf->vfs[0].max_tx_rate, 300);
	/* a minimum above the VF's current maximum: refused before any change */
	o.vf = 1;
	o.flags = MVL_VF_MIN_RATE | MVL_VF_NO_VFIO;
	o.max_tx_rate = 0;
	o.min_tx_rate = 500;
	ck_assert_int_eq(mvl_vf_attach(e.ctx, &o, &iface), -EINVAL);
	ck_error_has(e.ctx, "would exceed VF 1's max tx rate 400");
	ck_assert_int_eq(mvl_iface_delete(e.ctx, "0000:3b:10.0"), 1);
	after = fs_snapshot(e.fs);
	assert_same(before, after);
	free(before);
	free(after);
	env_free(&e);
}
END_TEST

START_TEST(vf_zero_mac_restore)
{
	struct env e;
	struct mvl_iface *iface = NULL;
	struct mvl_vf_opts o = { .sz = sizeof(o),
				 .vm_id = VM,
				 .pf = PF_IF,
				 .vf = 0,
				 .mac = mac1,
				 .flags = MVL_VF_NO_VFIO };
	struct mvl_vf_state *v = NULL;
	size_t n = 0;

	env_nic(&e);
	enable(&e, 1);
	e.pf->refuse_zero_mac = true;
	ck_assert_int_eq(mvl_vf_attach(e.ctx, &o, &iface), 0);
	mvl_iface_unref(iface);
	ck_assert_msg(mvl_iface_delete(e.ctx, "0000:3b:10.0") == 1, "%s", mvl_ctx_get_error(e.ctx));
	/* the unset MAC came back as libvirt does it: locally administered zero */
	ck_assert_int_eq(mvl_nl_vf_get_all(e.ctx, PF_IFINDEX, &v, &n), 0);
	ck_assert_mem_eq(v[0].mac, "\x02\0\0\0\0\0", 6);
	free(v);
	env_free(&e);
}
END_TEST

/* The admin MAC is restored even when the attach did not set it (a trusted
 * guest may have changed it). */
START_TEST(vf_mac_always_restored)
{
	struct env e;
	struct mvl_iface *iface = NULL;
	struct mvl_vf_opts o = {
		.sz = sizeof(o), .vm_id = VM, .pf = PF_IF, .vf = 0, .trust = MVL_ON
	};
	char *before, *after;

	env_nic(&e);
	enable(&e, 1);
	before = fs_snapshot(e.fs);
	ck_assert_int_eq(mvl_vf_attach(e.ctx, &o, &iface), 0);
	mvl_iface_unref(iface);
	/* "the guest" changes the MAC through the PF's view */
	ck_assert_int_eq(
		mvl_nl_vf_set(e.ctx, PF_IFINDEX, MVL_VF_A_MAC,
			      &(struct mvl_vf_state){ .vf = 0, .mac = { 2, 9, 9, 9, 9, 9 } }),
		0);
	ck_assert_int_eq(mvl_iface_delete(e.ctx, "0000:3b:10.0"), 1);
	after = fs_snapshot(e.fs);
	assert_same(before, after);
	free(before);
	free(after);
	env_free(&e);
}
END_TEST

START_TEST(vf_opts_invalid)
{
	static const uint8_t mcast[6] = { 0x01, 0, 0x5e, 0, 0, 1 }, zero[6];
	struct env e;
	struct mvl_iface *iface = NULL;
	struct {
		struct mvl_vf_opts o;
		const char *msg;
	} cases[] = {
		{ { .sz = 4, .vm_id = VM, .pf = PF_IF }, "invalid struct" },
		{ { .sz = sizeof(struct mvl_vf_opts), .vm_id = "", .pf = PF_IF }, "invalid VM id" },
		{ { .sz = sizeof(struct mvl_vf_opts), .vm_id = "a b", .pf = PF_IF },
		  "invalid VM id" },
		{ { .sz = sizeof(struct mvl_vf_opts), .vm_id = VM }, "no PF" },
		{ { .sz = sizeof(struct mvl_vf_opts), .vm_id = VM, .pf = PF_IF, .vf = -2 },
		  "invalid VF index" },
		{ { .sz = sizeof(struct mvl_vf_opts), .vm_id = VM, .pf = PF_IF, .mac = mcast },
		  "multicast" },
		{ { .sz = sizeof(struct mvl_vf_opts), .vm_id = VM, .pf = PF_IF, .mac = zero },
		  "all-zero" },
		{ { .sz = sizeof(struct mvl_vf_opts), .vm_id = VM, .pf = PF_IF, .vlan = 5 },
		  "without MVL_VF_VLAN" },
		{ { .sz = sizeof(struct mvl_vf_opts),
		    .vm_id = VM,
		    .pf = PF_IF,
		    .vlan = 4095,
		    .flags = MVL_VF_VLAN },
		  "invalid VLAN 4095" },
		{ { .sz = sizeof(struct mvl_vf_opts),
		    .vm_id = VM,
		    .pf = PF_IF,
		    .vlan = 5,
		    .qos = 8,
		    .flags = MVL_VF_VLAN },
		  "invalid QoS 8" },
		{ { .sz = sizeof(struct mvl_vf_opts),
		    .vm_id = VM,
		    .pf = PF_IF,
		    .qos = 2,
		    .flags = MVL_VF_VLAN },
		  "needs a VLAN" },
		{ { .sz = sizeof(struct mvl_vf_opts),
		    .vm_id = VM,
		    .pf = PF_IF,
		    .vlan_proto = MVL_VLAN_PROTO_8021AD,
		    .flags = MVL_VF_VLAN },
		  "802.1ad needs a VLAN" },
		{ { .sz = sizeof(struct mvl_vf_opts),
		    .vm_id = VM,
		    .pf = PF_IF,
		    .vlan = 1,
		    .vlan_proto = 9,
		    .flags = MVL_VF_VLAN },
		  "invalid VLAN protocol" },
		{ { .sz = sizeof(struct mvl_vf_opts), .vm_id = VM, .pf = PF_IF, .trust = 3 },
		  "spoofchk/trust" },
		{ { .sz = sizeof(struct mvl_vf_opts), .vm_id = VM, .pf = PF_IF, .link_state = 4 },
		  "invalid link state" },
		{ { .sz = sizeof(struct mvl_vf_opts), .vm_id = VM, .pf = PF_IF, .max_tx_rate = 5 },
		  "without MVL_VF_MIN_RATE" },
		{ { .sz = sizeof(struct mvl_vf_opts),
		    .vm_id = VM,
		    .pf = PF_IF,
		    .min_tx_rate = 50,
		    .max_tx_rate = 5,
		    .flags = MVL_VF_MIN_RATE | MVL_VF_MAX_RATE },
		  "above max tx rate" },
		{ { .sz = sizeof(struct mvl_vf_opts),
		    .vm_id = VM,
		    .pf = PF_IF,
		    .flags = MVL_VF_NO_VFIO | MVL_VF_OWNER },
		  "MVL_VF_NO_VFIO" },
		{ { .sz = sizeof(struct mvl_vf_opts),
		    .vm_id = VM,
		    .pf = PF_IF,
		    .owner = (uid_t)-1,
		    .flags = MVL_VF_OWNER },
		  "owner or group -1" },
		{ { .sz = sizeof(struct mvl_vf_opts), .vm_id = VM, .pf = PF_IF, .flags = 1u << 20 },
		  "unknown VF flags" },
		{ { .sz = sizeof(struct mvl_vf_opts), .vm_id = VM, .pf = "a:b" }, "invalid PF" },
	};

	env_nic(&e);
	enable(&e, 1);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		ck_assert_msg(mvl_vf_attach(e.ctx, &cases[i].o, &iface) == -EINVAL, "case %zu", i);
		ck_error_has(e.ctx, cases[i].msg);
	}
	ck_assert_int_eq(mvl_vf_attach(e.ctx, &cases[0].o, NULL), -EINVAL);
	ck_assert_int_eq(mvl_vf_attach(e.ctx, NULL, &iface), -EINVAL);
	ck_assert_int_eq(fs_journal_count(e.fs), 0);
	env_free(&e);
}
END_TEST

/* ==================================================== vfio checks, PCI */

/* A NIC that is no SR-IOV PF: e1000e, netdev eno1 (ifindex 1002). */
static struct fs_dev *add_plain_nic(struct env *e, int group)
{
	struct fs_dev *d;

	fs_add_driver(e->fs, "e1000e");
	d = fs_add_dev(e->fs, "0000:00:19.0", 0x8086, 0x15b8, 0x020000, "e1000e", group);
	fs_add_netdev(e->fs, d, "eno1", 1002, true);
	return d;
}

START_TEST(pci_attach_release)
{
	struct env e;
	struct mvl_iface *iface = NULL;
	struct mvl_pci_opts o = { .sz = sizeof(o),
				  .vm_id = VM,
				  .device = "00:19.0",
				  .owner = getuid(),
				  .flags = MVL_PCI_OWNER };
	struct fs_dev *d;
	char drv[64], *before, *after;
	struct mvl_iface_list *list = NULL;

	env_nic(&e);
	d = add_plain_nic(&e, -2);
	before = fs_snapshot(e.fs);
	ck_assert_msg(mvl_pci_attach(e.ctx, &o, &iface) == 0, "%s", mvl_ctx_get_error(e.ctx));
	ck_assert_int_eq(mvl_iface_get_mode(iface), MVL_MODE_PCI);
	ck_assert_str_eq(mvl_iface_get_name(iface), "0000:00:19.0");
	ck_assert_int_eq(mvl_iface_get_iommu_group(iface), d->group);
	fs_driver(e.fs, "0000:00:19.0", drv, sizeof(drv));
	ck_assert_str_eq(drv, "vfio-pci");
	mvl_iface_unref(iface);
	/* listed with its VM (the listing dumps the host's links too) */
	ck_assert_int_eq(mvl_iface_list_new(e.ctx, VM, 0, &list), 0);
	ck_assert_uint_eq(mvl_iface_list_count(list), 1);
	ck_assert_str_eq(mvl_iface_get_name(mvl_iface_list_get(list, 0)), "0000:00:19.0");
	ck_assert_int_eq(mvl_iface_get_mode(mvl_iface_list_get(list, 0)), MVL_MODE_PCI);
	mvl_iface_list_free(list);
	ck_assert_int_eq(mvl_iface_list_new(e.ctx, "other", 0, &list), 0);
	ck_assert_uint_eq(mvl_iface_list_count(list), 0);
	mvl_iface_list_free(list);
	/* again: busy */
	ck_assert_int_eq(mvl_pci_attach(e.ctx, &o, &iface), -EBUSY);
	ck_error_has(e.ctx, "attached to VM " VM);
	ck_assert_int_eq(mvl_iface_delete(e.ctx, "0000:00:19.0"), 1);
	after = fs_snapshot(e.fs);
	assert_same(before, after);
	free(before);
	free(after);
	env_free(&e);
}
END_TEST

START_TEST(pci_refusals)
{
	struct env e;
	struct mvl_iface *iface = NULL;
	struct mvl_pci_opts o = { .sz = sizeof(o), .vm_id = VM, .device = "0000:00:19.0" };
	struct fs_dev *nic;
	char *before, *after;

	env_nic(&e);
	nic = add_plain_nic(&e, -2);
	before = fs_snapshot(e.fs);
	/* the host's default route goes through eno1 */
	e.fs->default_route_ifindex = 1002;
	ck_assert_int_eq(mvl_pci_attach(e.ctx, &o, &iface), -EBUSY);
	ck_error_has(e.ctx, "carries the host's default route (through eno1)");
	/* a PF with VFs */
	enable(&e, 1);
	o.device = PF_ADDR;
	ck_assert_int_eq(mvl_pci_attach(e.ctx, &o, &iface), -EBUSY);
	ck_error_has(e.ctx, "has 1 VFs enabled");
	ck_assert_int_eq(mvl_sriov_disable(e.ctx, PF_IF), 1);
	/* a bridge */
	fs_add_dev(e.fs, "0000:00:1c.0", 0x8086, 0xa110, 0x060400, "pcieport", -2);
	o.device = "0000:00:1c.0";
	ck_assert_int_eq(mvl_pci_attach(e.ctx, &o, &iface), -EINVAL);
	ck_error_has(e.ctx, "PCI bridge");
	/* no such device, bad address */
	o.device = "0000:00:1d.0";
	ck_assert_int_eq(mvl_pci_attach(e.ctx, &o, &iface), -ENODEV);
	o.device = "0000:00:1d.0/../..";
	ck_assert_int_eq(mvl_pci_attach(e.ctx, &o, &iface), -EINVAL);
	ck_error_has(e.ctx, "invalid PCI address");
	/* no IOMMU group */
	fs_add_dev(e.fs, "0000:00:1f.3", 0x8086, 0xa348, 0x040300, NULL, -1);
	o.device = "0000:00:1f.3";
	ck_assert_int_eq(mvl_pci_attach(e.ctx, &o, &iface), -ENODEV);
	ck_error_has(e.ctx, "no IOMMU group");
	/* forced past the default route, then released */
	o.device = "0000:00:19.0";
	o.flags = MVL_PCI_FORCE;
	ck_assert_msg(mvl_pci_attach(e.ctx, &o, &iface) == 0, "%s", mvl_ctx_get_error(e.ctx));
	mvl_iface_unref(iface);
	ck_assert_int_eq(mvl_iface_delete(e.ctx, "0000:00:19.0"), 1);
	(void)nic;
	free(before);
	before = fs_snapshot(e.fs);
	/* vfio-pci owned by someone else */
	fs_bind(e.fs, "0000:00:19.0", "vfio-pci");
	ck_assert_int_eq(mvl_pci_attach(e.ctx, &o, &iface), -EBUSY);
	ck_error_has(e.ctx, "by another tool");
	ck_assert_int_eq(mvl_iface_delete(e.ctx, "0000:00:19.0"), 0); /* not ours: untouched */
	fs_bind(e.fs, "0000:00:19.0", "e1000e");
	after = fs_snapshot(e.fs);
	assert_same(before, after);
	free(before);
	free(after);
	env_free(&e);
}
END_TEST

/* A VF given away as a whole device also keeps its PF's VFs alive. */
START_TEST(pci_attach_of_a_vf)
{
	struct env e;
	struct mvl_iface *iface = NULL;
	struct mvl_pci_opts o = { .sz = sizeof(o), .vm_id = VM, .device = "0000:3b:10.1" };

	env_nic(&e);
	enable(&e, 2);
	ck_assert_msg(mvl_pci_attach(e.ctx, &o, &iface) == 0, "%s", mvl_ctx_get_error(e.ctx));
	mvl_iface_unref(iface);
	ck_assert_int_eq(mvl_sriov_disable(e.ctx, PF_IF), -EBUSY);
	ck_error_has(e.ctx, "VF 0000:3b:10.1 of PF " PF_IF " is attached to VM " VM);
	/* and the VF attach path sees it taken */
	{
		struct mvl_vf_opts vo = full_opts(1);

		ck_assert_int_eq(mvl_vf_attach(e.ctx, &vo, &iface), -EBUSY);
	}
	ck_assert_int_eq(mvl_vm_delete(e.ctx, VM), 1);
	ck_assert_int_eq(mvl_sriov_disable(e.ctx, PF_IF), 1);
	env_free(&e);
}
END_TEST

START_TEST(iommu_group_viability)
{
	struct env e;
	struct mvl_iface *iface = NULL;
	struct mvl_pci_opts o = { .sz = sizeof(o), .vm_id = VM, .device = "0000:00:19.0" };
	char *before, *after;

	env_nic(&e);
	add_plain_nic(&e, 50);
	fs_add_driver(e.fs, "snd_hda_intel");
	fs_add_dev(e.fs, "0000:00:19.1", 0x8086, 0x1234, 0x040300, "snd_hda_intel", 50);
	fs_add_dev(e.fs, "0000:00:1c.0", 0x8086, 0xa110, 0x060400, "pcieport", 50);
	before = fs_snapshot(e.fs);
	ck_assert_int_eq(mvl_pci_attach(e.ctx, &o, &iface), -EBUSY);
	ck_error_has(e.ctx, "IOMMU group 50 of 0000:00:19.0 also holds 0000:00:19.1, which is "
			    "bound to the host driver snd_hda_intel");
	after = fs_snapshot(e.fs);
	assert_same(before, after);
	free(after);
	/* pci-stub (or no driver) makes the group viable; the bridge is fine */
	fs_bind(e.fs, "0000:00:19.1", "pci-stub");
	ck_assert_msg(mvl_pci_attach(e.ctx, &o, &iface) == 0, "%s", mvl_ctx_get_error(e.ctx));
	mvl_iface_unref(iface);
	ck_assert_int_eq(mvl_iface_delete(e.ctx, "0000:00:19.0"), 1);
	free(before);
	env_free(&e);
}
END_TEST

START_TEST(vfio_missing_or_failing)
{
	struct env e;
	struct mvl_iface *iface = NULL;
	struct mvl_pci_opts o = { .sz = sizeof(o), .vm_id = VM, .device = "0000:00:19.0" };
	char *before, *after;

	env_nic(&e);
	add_plain_nic(&e, -2);
	before = fs_snapshot(e.fs);
	/* vfio-pci not loaded (and this is no real /sys: no modprobe) */
	fs_remove_driver(e.fs, "vfio-pci");
	ck_assert_int_eq(mvl_pci_attach(e.ctx, &o, &iface), -ENOENT);
	ck_error_has(e.ctx, "vfio-pci driver is not loaded");
	fs_add_driver(e.fs, "vfio-pci");
	/* vfio-pci's probe fails: nothing binds, the original driver comes back */
	snprintf(e.fs->probe_fails, sizeof(e.fs->probe_fails), "vfio-pci");
	ck_assert_int_eq(mvl_pci_attach(e.ctx, &o, &iface), -EIO);
	ck_error_has(e.ctx, "did not bind to vfio-pci");
	ck_assert(!mvl_ctx_get_undo_failed(e.ctx));
	after = fs_snapshot(e.fs);
	assert_same(before, after);
	free(after);
	/* and the original driver cannot come back: the undo failure is
	 * reported, the journal stays for a later recover */
	snprintf(e.fs->probe_fails, sizeof(e.fs->probe_fails), "vfio-pci");
	e.fs->fail_suffix = "/e1000e/unbind";
	e.fs->fail_err = EBUSY;
	ck_assert_int_eq(mvl_pci_attach(e.ctx, &o, &iface), -EBUSY);
	ck_error_has(e.ctx, "cannot unbind 0000:00:19.0 from e1000e");
	e.fs->fail_suffix = NULL;
	e.fs->probe_fails[0] = '\0';
	after = fs_snapshot(e.fs);
	assert_same(before, after);
	free(after);
	free(before);
	env_free(&e);
}
END_TEST

START_TEST(release_vf_gone_or_moved)
{
	struct env e;
	struct mvl_iface *iface = NULL;
	struct mvl_vf_opts o = full_opts(0);
	char vf[MVL_PCI_ADDR_LEN];

	env_nic(&e);
	enable(&e, 2);
	vf_addr(&e, 0, vf);
	ck_assert_int_eq(mvl_vf_attach(e.ctx, &o, &iface), 0);
	mvl_iface_unref(iface);
	/* someone else moved it to another driver: left there, journal gone */
	fs_bind(e.fs, vf, "iavf");
	ck_assert_msg(mvl_iface_delete(e.ctx, vf) == 1, "%s", mvl_ctx_get_error(e.ctx));
	ck_assert_int_eq(fs_journal_count(e.fs), 0);
	/* the VFs vanished behind our back: nothing left to restore */
	o.vf = 1;
	ck_assert_int_eq(mvl_vf_attach(e.ctx, &o, &iface), 0);
	mvl_iface_unref(iface);
	fs_bind(e.fs, vf, NULL);
	ck_assert_int_eq(mvl_sysfs_write(e.ctx, "0", "bus/pci/devices/" PF_ADDR "/sriov_numvfs"),
			 0);
	ck_assert_msg(mvl_vm_delete(e.ctx, VM) == 1, "%s", mvl_ctx_get_error(e.ctx));
	ck_assert_int_eq(fs_journal_count(e.fs), 0);
	env_free(&e);
}
END_TEST

/* ================================================== journals and recover */

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

START_TEST(corrupt_journal)
{
	struct env e;
	struct mvl_iface *iface = NULL;
	struct mvl_vf_opts o = full_opts(0);
	char vf[MVL_PCI_ADDR_LEN], path[PATH_MAX], *text = NULL, *before, *after;
	struct mvl_journal j;
	struct mvl_iface_list *list = NULL;

	env_nic(&e);
	enable(&e, 2);
	vf_addr(&e, 0, vf);
	ck_assert_int_eq(mvl_vf_attach(e.ctx, &o, &iface), 0);
	mvl_iface_unref(iface);
	before = fs_snapshot(e.fs);
	ck_assert_int_eq(mvl_journal_read(e.ctx, vf, &j), 0);
	ck_assert_int_eq(mvl_journal_encode(&j, &text), 0);
	ck_assert_int_eq(mvl_journal_path(e.ctx, MVL_MODE_SRIOV, vf, path, sizeof(path)), 0);
	/* truncated, then garbage: clear errors, no action anywhere */
	for (int round = 0; round < 2; round++) {
		if (round == 0)
			text[strlen(text) / 2] = '\0';
		write_file(path, round == 0 ? text : "\177ELF garbage");
		ck_assert_int_eq(mvl_iface_delete(e.ctx, vf), -EBADMSG);
		ck_error_has(e.ctx, "is corrupt");
		ck_error_has(e.ctx, path);
		ck_assert_int_eq(mvl_recover(e.ctx, 0), -EBADMSG);
		ck_assert_int_eq(mvl_vf_attach(e.ctx, &o, &iface), -EBADMSG);
		/* the search for a free VF passes it by */
		o.vf = -1;
		ck_assert_int_eq(mvl_vf_attach(e.ctx, &o, &iface), 0);
		ck_assert_str_eq(mvl_iface_get_name(iface), "0000:3b:10.1");
		mvl_iface_unref(iface);
		ck_assert_int_eq(mvl_iface_delete(e.ctx, "0000:3b:10.1"), 1);
		o.vf = 0;
		/* whose it is cannot be told: a VM delete and a listing skip it */
		ck_assert_int_eq(mvl_vm_delete(e.ctx, VM), 0);
		ck_assert_int_eq(mvl_iface_list_new(e.ctx, VM, 0, &list), 0);
		ck_assert_uint_eq(mvl_iface_list_count(list), 0);
		mvl_iface_list_free(list);
		ck_assert_int_eq(mvl_sriov_disable(e.ctx, PF_IF), -EBADMSG);
		after = fs_snapshot(e.fs);
		assert_same(before, after);
		free(after);
	}
	/* a journal in the wrong place is refused too */
	unlink(path);
	j.addr[11] = '1';
	free(text);
	ck_assert_int_eq(mvl_journal_encode(&j, &text), 0);
	write_file(path, text);
	ck_assert_int_eq(mvl_iface_delete(e.ctx, vf), -EBADMSG);
	ck_error_has(e.ctx, "does not belong there");
	free(text);
	free(before);
	env_free(&e);
}
END_TEST

START_TEST(recover_incomplete_only)
{
	struct env e;
	struct mvl_iface *iface = NULL;
	struct mvl_vf_opts o = full_opts(0);
	struct mvl_journal j;
	char vf[MVL_PCI_ADDR_LEN];
	int lock = -1;

	env_nic(&e);
	enable(&e, 2);
	vf_addr(&e, 0, vf);
	ck_assert_int_eq(mvl_vf_attach(e.ctx, &o, &iface), 0);
	mvl_iface_unref(iface);
	/* a completed attach stays */
	ck_assert_int_eq(mvl_recover(e.ctx, 0), 0);
	ck_assert_int_eq(fs_journal_count(e.fs), 1);
	/* an interrupted one (state attaching) is undone, unless locked */
	ck_assert_int_eq(mvl_journal_read(e.ctx, vf, &j), 0);
	j.state = MVL_J_ATTACHING;
	ck_assert_int_eq(mvl_journal_write(e.ctx, &j), 0);
	ck_assert_int_eq(mvl_lock_take(e.ctx, MVL_LOCK_PCI, vf, false, false, &lock), 0);
	ck_assert_int_eq(mvl_recover(e.ctx, 0), 0);
	mvl_lock_drop(&lock);
	ck_assert_int_eq(mvl_recover(e.ctx, MVL_RECOVER_DRY_RUN), 1);
	ck_assert_int_eq(fs_journal_count(e.fs), 1);
	ck_assert_int_eq(mvl_recover(e.ctx, 0), 1);
	ck_assert_int_eq(fs_journal_count(e.fs), 0);
	ck_assert_int_eq(mvl_recover(e.ctx, 0), 0);
	ck_assert_int_eq(mvl_recover(e.ctx, 8), -EINVAL);
	env_free(&e);
}
END_TEST

/* ==================================================== fault injection */

enum fault_kind { FAULT_STEP, FAULT_WRITE };
/* what is attached: a PCI VF, a whole PCI device, a VF of netdevsim */
enum target { T_VF, T_PCI, T_NSIM };

static void env_target(struct env *e, enum target t)
{
	if (t == T_NSIM) {
		env_nsim(e);
		ck_assert_int_eq(mvl_sriov_enable(e->ctx, NSIM_IF, 2), 1);
		return;
	}
	env_nic(e);
	if (t == T_PCI)
		add_plain_nic(e, -2);
	enable(e, 2);
	fs_bind(e->fs, "0000:3b:10.0", "iavf"); /* exercise the unbind too */
}

/* ----------------------------------------------------- the host as lines */

/*
 * The host as one text, a fact a line, sorted: fs_snapshot()'s lines
 * ("dev <addr> ...", each VF's as "vf <pf>/<index> ...", "vfio <group> ...",
 * "journal-vf|pci <name> ...") and every file of the state directory with
 * its content ("state <path> <content>"; the lock files and the index's
 * ".complete" marks stay by design).  A line's key is its words before the
 * first "field=value" one ("state <path>" for a file).  The fault loops
 * compare it whole; release_expect() builds from it the host a failed
 * release leaves.
 */
struct lines {
	char **v;
	size_t n, cap;
};

/* Add @line (taken) to @l. */
static void lines_add(struct lines *l, char *line)
{
	ck_assert_ptr_nonnull(line);
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		ck_assert_ptr_nonnull(l->v);
	}
	l->v[l->n++] = line;
}

static int cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* @l sorted as one text (@l is emptied). */
static char *lines_text(struct lines *l)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(out);
	if (l->n)
		qsort(l->v, l->n, sizeof(*l->v), cmp_line);
	for (size_t i = 0; i < l->n; i++) {
		fprintf(out, "%s\n", l->v[i]);
		free(l->v[i]);
	}
	fclose(out);
	free(l->v);
	*l = (struct lines){ 0 };
	return buf;
}

static struct lines text_lines(const char *text)
{
	struct lines l = { 0 };

	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");

		lines_add(&l, strndup(p, n));
		p += n + (p[n] == '\n');
	}
	return l;
}

/* The content of file @path, its newlines as spaces. */
static char *file_flat(const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *in = fopen(path, "re"), *out = open_memstream(&buf, &len);
	int c;

	ck_assert_msg(in != NULL, "%s: %s", path, strerror(errno));
	ck_assert_ptr_nonnull(out);
	while ((c = getc(in)) != EOF)
		putc(c == '\n' ? ' ' : c, out);
	fclose(in);
	fclose(out);
	return buf;
}

/* The files (and symlinks) below @rel of the state directory @root. */
static void state_files(struct lines *l, const char *root, const char *rel)
{
	struct dirent **names;
	char dir[PATH_MAX];
	int n;

	snprintf(dir, sizeof(dir), "%s/%s", root, rel);
	n = scandir(dir, &names, NULL, alphasort);
	ck_assert_msg(n >= 0, "%s: %s", dir, strerror(errno));
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		char sub[PATH_MAX], path[PATH_MAX * 2], target[PATH_MAX], *line = NULL;
		struct stat st;
		ssize_t len;

		snprintf(sub, sizeof(sub), "%s%s%s", rel, rel[0] ? "/" : "", name);
		snprintf(path, sizeof(path), "%s/%s", root, sub);
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
		    strcmp(name, ".complete") == 0 || strcmp(sub, "locks") == 0) {
			free(names[i]);
			continue;
		}
		ck_assert_int_eq(lstat(path, &st), 0);
		if (S_ISDIR(st.st_mode)) {
			state_files(l, root, sub);
		} else if (S_ISLNK(st.st_mode)) {
			len = readlink(path, target, sizeof(target) - 1);
			ck_assert_int_ge(len, 0);
			target[len] = '\0';
			ck_assert_int_ge(asprintf(&line, "state %s -> %s", sub, target), 0);
			lines_add(l, line);
		} else {
			char *text = file_flat(path);

			ck_assert_int_ge(asprintf(&line, "state %s %s", sub, text), 0);
			lines_add(l, line);
			free(text);
		}
		free(names[i]);
	}
	free(names);
}

static char *host_snap(struct env *e)
{
	char *fs = fs_snapshot(e->fs), dev[32] = "";
	struct lines in = text_lines(fs), l = { 0 };

	for (size_t i = 0; i < in.n; i++) {
		char *line = in.v[i];

		if (strncmp(line, "dev ", 4) == 0)
			ck_assert_int_eq(sscanf(line, "dev %31s", dev), 1);
		if (strncmp(line, "  vf ", 5) == 0) {
			ck_assert_int_ge(asprintf(&line, "vf %s/%s", dev, in.v[i] + 5), 0);
			free(in.v[i]);
		}
		lines_add(&l, line);
	}
	free(in.v);
	free(fs);
	state_files(&l, e->fs->state, "");
	return lines_text(&l);
}

/* The host must be @want; else the differences are shown. */
static void assert_host(struct env *e, const char *want, const char *what, unsigned long k)
{
	mvt_assert_unchanged(host_snap(e), want, "%s, step %lu: the host differs (diff above)",
			     what, k);
}

static bool line_is(const char *line, const char *key)
{
	size_t n = strlen(key);

	return strncmp(line, key, n) == 0 && (line[n] == ' ' || line[n] == '\0');
}

/* The line of @key in @text (a copy), or NULL. */
static char *snap_get(const char *text, const char *key)
{
	struct lines l = text_lines(text);
	char *found = NULL;

	for (size_t i = 0; i < l.n; i++) {
		if (line_is(l.v[i], key)) {
			ck_assert_msg(!found, "two lines '%s'", key);
			found = l.v[i];
		} else {
			free(l.v[i]);
		}
	}
	free(l.v);
	return found;
}

/* @text (freed) with the line of @key replaced by @line (NULL: none). */
static char *snap_put(char *text, const char *key, const char *line)
{
	struct lines l = text_lines(text), out = { 0 };

	for (size_t i = 0; i < l.n; i++) {
		if (line_is(l.v[i], key))
			free(l.v[i]);
		else
			lines_add(&out, l.v[i]);
	}
	if (line)
		lines_add(&out, strdup(line));
	free(l.v);
	free(text);
	return lines_text(&out);
}

/* @text (freed) with the line of @key as it is in @from. */
static char *snap_take(char *text, const char *from, const char *key)
{
	char *line = snap_get(from, key);

	text = snap_put(text, key, line);
	free(line);
	return text;
}

/* The value of "@field=" in the line of @key of @text. */
static void snap_field_get(const char *text, const char *key, const char *field, char *buf,
			   size_t len)
{
	char *line = snap_get(text, key), pat[64], *p;

	ck_assert_msg(line != NULL, "no line '%s' in\n%s", key, text);
	snprintf(pat, sizeof(pat), " %s=", field);
	p = strstr(line, pat);
	ck_assert_msg(p != NULL, "no %s in '%s'", field, line);
	p += strlen(pat);
	snprintf(buf, len, "%.*s", (int)strcspn(p, " "), p);
	free(line);
}

/* @text (freed) with "@field=" of the line of @key set to @value. */
static char *snap_field(char *text, const char *key, const char *field, const char *value)
{
	char *line = snap_get(text, key), pat[64], *p, *s = NULL;

	ck_assert_msg(line != NULL, "no line '%s' in\n%s", key, text);
	snprintf(pat, sizeof(pat), " %s=", field);
	p = strstr(line, pat);
	ck_assert_msg(p != NULL, "no %s in '%s'", field, line);
	p += strlen(pat);
	ck_assert_int_ge(asprintf(&s, "%.*s%s%s", (int)(p - line), line, value,
				  p + strcspn(p, " ")),
			 0);
	text = snap_put(text, key, s);
	free(s);
	free(line);
	return text;
}

/* @text (freed) with the journal of line @key in @state. */
static char *snap_journal_state(char *text, const char *key, const char *state)
{
	char *line = snap_get(text, key), *p, *s = NULL;

	ck_assert_msg(line != NULL, "no line '%s' in\n%s", key, text);
	p = strstr(line, "\"state\":");
	ck_assert_msg(p != NULL, "no state in '%s'", line);
	p = strchr(p + strlen("\"state\":"), '"');
	ck_assert_ptr_nonnull(p);
	p++;
	ck_assert_int_ge(asprintf(&s, "%.*s%s%s", (int)(p - line), line, state,
				  p + strcspn(p, "\"")),
			 0);
	text = snap_put(text, key, s);
	free(s);
	free(line);
	return text;
}

/* ------------------------------------------------------- counting steps */

#define MAX_STEPS 64

/* The steps of a run, by the names mvl_step() traces. */
struct steps {
	unsigned long n;
	char name[MAX_STEPS][192];
};

static void steps_log(struct mvl_ctx *ctx, int priority, const char *file, int line,
		      const char *fn, const char *format, va_list args)
{
	struct steps *s = mvl_ctx_get_log_data(ctx);
	char msg[512];
	unsigned long k;
	int off = 0;

	vsnprintf(msg, sizeof(msg), format, args);
	if (strcmp(fn, "mvl_step") == 0 && sscanf(msg, "step %lu: %n", &k, &off) == 1 &&
	    off > 0) {
		ck_assert_uint_eq(k, s->n + 1);
		ck_assert_uint_le(k, MAX_STEPS);
		snprintf(s->name[k - 1], sizeof(s->name[0]), "%s", msg + off);
		s->n = k;
		return;
	}
	fprintf(stderr, "libmvlink: %s: %s\n", fn, msg); /* as the default sink */
}

/* Count (and name, in @s) the steps of the next call on @e's context,
 * which fails nowhere; count_end() returns their number. */
static void count_begin(struct env *e, struct steps *s)
{
	memset(s, 0, sizeof(*s));
	mvl_fault(e->ctx)->count = 0;
	mvl_fault(e->ctx)->step = ULONG_MAX;
	mvl_fault(e->ctx)->trace = true;
	mvl_ctx_set_log_fn(e->ctx, steps_log, s);
}

static unsigned long count_end(struct env *e, struct steps *s)
{
	mvl_fault(e->ctx)->step = 0;
	mvl_fault(e->ctx)->trace = false;
	mvl_ctx_set_log_fn(e->ctx, NULL, NULL);
	ck_assert_uint_eq(s->n, mvl_fault(e->ctx)->count);
	ck_assert_uint_gt(s->n, 0);
	return s->n;
}

/* -------------------------------------------- what a failed release leaves */

/* The steps of releasing a device (release_locked() and mvl_vfio_restore()
 * in lib/vfio.c), in their order: the journal rewritten ("releasing"), the
 * device node's owner given back, the device unbound from vfio-pci, its
 * override set to its driver and probed, the override given back, each VF
 * attribute changed given back, the journal removed. */
enum rstep_kind {
	RS_JOURNAL,
	RS_CHOWN,
	RS_UNBIND,
	RS_OVERRIDE,
	RS_PROBE,
	RS_CLEAR,
	RS_ATTR,
	RS_UNJOURNAL,
};

struct rstep {
	enum rstep_kind kind;
	char dev[MVL_DEV_NAME_LEN]; /* the device it releases */
	char attr[16];		    /* RS_ATTR: which */
};

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return n >= t && strcmp(s + n - t, tail) == 0;
}

/* What each step of a run that released devices one after the other
 * (each between its two journal steps) is. */
static void release_plan(const struct steps *s, struct rstep *plan)
{
	char cur[MVL_DEV_NAME_LEN] = "";

	for (unsigned long i = 0; i < s->n; i++) {
		const char *name = s->name[i], *slash = strrchr(name, '/');
		struct rstep *p = &plan[i];

		memset(p, 0, sizeof(*p));
		if (slash && ends_with(name, ".json")) {
			snprintf(p->dev, sizeof(p->dev), "%.*s", (int)strlen(slash + 1) - 5,
				 slash + 1);
			if (!cur[0]) {
				p->kind = RS_JOURNAL;
				snprintf(cur, sizeof(cur), "%s", p->dev);
			} else {
				ck_assert_msg(strcmp(p->dev, cur) == 0, "step %lu: %s within %s",
					      i + 1, name, cur);
				p->kind = RS_UNJOURNAL;
				cur[0] = '\0';
			}
			continue;
		}
		ck_assert_msg(cur[0], "step %lu (%s) is no device's release", i + 1, name);
		snprintf(p->dev, sizeof(p->dev), "%s", cur);
		if (strcmp(name, "chown devnode back") == 0)
			p->kind = RS_CHOWN;
		else if (ends_with(name, "/drivers/vfio-pci/unbind"))
			p->kind = RS_UNBIND;
		else if (ends_with(name, "/driver_override"))
			p->kind = i + 1 < s->n && ends_with(s->name[i + 1], "/drivers_probe") ?
					  RS_OVERRIDE :
					  RS_CLEAR;
		else if (ends_with(name, "/drivers_probe"))
			p->kind = RS_PROBE;
		else if (sscanf(name, "RTM_SETLINK vf %*d %15s", p->attr) == 1)
			p->kind = RS_ATTR;
		else
			ck_abort_msg("step %lu: %s is no step of a release", i + 1, name);
	}
	ck_assert_msg(!cur[0], "the release of %s does not end with its journal", cur);
}

/* The fields of a VF line an attribute sets. */
static const char *const *attr_fields(const char *attr)
{
	static const struct {
		const char *attr, *fields[4];
	} map[] = {
		{ "mac", { "mac" } },	    { "vlan", { "vlan", "qos", "proto" } },
		{ "spoofchk", { "spoofchk" } }, { "trust", { "trust" } },
		{ "link-state", { "link" } }, { "rate", { "rate" } },
	};

	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (strcmp(map[i].attr, attr) == 0)
			return map[i].fields;
	ck_abort_msg("unknown VF attribute %s", attr);
	return NULL;
}

/*
 * The host after a release whose step @p failed, given the host @base
 * after a complete one and the host @attached before it; @j is the journal
 * of @p's device before.  A release carries on past a failure: every other
 * device, and every other part of this one (device node, driver, VF
 * attributes), is released.  Of this device stay, by design: its journal,
 * in state "releasing" (unless rewriting it failed: then nothing was
 * done), and what the failed step did not give back, with what depends on
 * it (a failed unbind leaves the device on vfio-pci, its override set;
 * mvl_vfio_restore() in lib/vfio.c).  The device node goes with the last
 * device of its group on vfio-pci: a failed chown back leaves none.
 */
static char *release_expect(struct env *e, const char *base, const char *attached,
			    const struct rstep *p, const struct mvl_journal *j)
{
	const char *sub = j->mode == MVL_MODE_PCI ? "pci" : "vf";
	char *exp = strdup(base), dkey[128], vkey[128], nkey[64], jkey[128], skey[128], v[64];

	ck_assert_ptr_nonnull(exp);
	snprintf(dkey, sizeof(dkey), "dev %s", p->dev);
	snprintf(vkey, sizeof(vkey), "vf %s/%d", e->pf->addr, j->vf);
	snprintf(nkey, sizeof(nkey), "vfio %d", j->iommu_group);
	snprintf(jkey, sizeof(jkey), "journal-%s %s.json", sub, p->dev);
	snprintf(skey, sizeof(skey), "state %s/%s.json", sub, p->dev);
	exp = snap_take(exp, attached, jkey);
	exp = snap_take(exp, attached, skey);
	if (p->kind == RS_JOURNAL) {
		/* nothing done */
		exp = snap_take(exp, attached, dkey);
		exp = snap_take(exp, attached, nkey);
		if (j->mode == MVL_MODE_SRIOV)
			exp = snap_take(exp, attached, vkey);
		return exp;
	}
	exp = snap_journal_state(exp, skey, "releasing");
	switch (p->kind) {
	case RS_UNBIND: /* still on vfio-pci; its node has its owner back */
		exp = snap_take(exp, attached, dkey);
		exp = snap_take(exp, attached, nkey);
		if (j->has_devnode) {
			snprintf(v, sizeof(v), "%lld", j->dev_uid);
			exp = snap_field(exp, nkey, "uid", v);
			snprintf(v, sizeof(v), "%lld", j->dev_gid);
			exp = snap_field(exp, nkey, "gid", v);
		}
		break;
	case RS_OVERRIDE: /* unbound, the override still vfio-pci */
		exp = snap_field(exp, dkey, "driver", "");
		exp = snap_field(exp, dkey, "override", "vfio-pci");
		break;
	case RS_PROBE: /* unbound, the override its driver */
		exp = snap_field(exp, dkey, "driver", "");
		exp = snap_field(exp, dkey, "override", j->driver);
		break;
	case RS_CLEAR: /* on its driver, the override not given back */
		exp = snap_field(exp, dkey, "override", j->driver[0] ? j->driver : "vfio-pci");
		break;
	case RS_ATTR: /* that attribute as the VM had it */
		for (const char *const *f = attr_fields(p->attr); *f; f++) {
			snap_field_get(attached, vkey, *f, v, sizeof(v));
			exp = snap_field(exp, vkey, *f, v);
		}
		break;
	case RS_CHOWN:
	case RS_UNJOURNAL:
	case RS_JOURNAL:
		break;
	}
	return exp;
}

/* gc and VM deletions look at the links of the network namespace too, and
 * delete those tagged for the VMs they remove: as root, in a private one,
 * never the host's (without privileges nothing could be deleted). */
static void private_netns(void)
{
	if (geteuid() == 0)
		ck_assert_msg(unshare(CLONE_NEWNET) == 0, "unshare: %s", strerror(errno));
}

/* The VF @vf for VM @vm, with every attribute, owned by the VM. */
static void attach_vf(struct env *e, int vf, const char *vm)
{
	struct mvl_iface *iface = NULL;
	struct mvl_vf_opts o = full_opts(vf);

	o.vm_id = vm;
	ck_assert_msg(mvl_vf_attach(e->ctx, &o, &iface) == 0, "%s", mvl_ctx_get_error(e->ctx));
	mvl_iface_unref(iface);
}

/* The attach of the fault loops, for VM: VF 0 of the target, or the whole
 * device 0000:00:19.0 (T_PCI). */
static int attach_target(struct env *e, enum target t)
{
	struct mvl_iface *iface = NULL;
	struct mvl_vf_opts o = t == T_NSIM ? nsim_opts(0) : full_opts(0);
	struct mvl_pci_opts po = { .sz = sizeof(po),
				   .vm_id = VM,
				   .device = "0000:00:19.0",
				   .owner = getuid(),
				   .group = vm_gid(),
				   .flags = MVL_PCI_OWNER | MVL_PCI_GROUP };
	int r = t == T_PCI ? mvl_pci_attach(e->ctx, &po, &iface) :
			     mvl_vf_attach(e->ctx, &o, &iface);

	mvl_iface_unref(iface);
	return r;
}

/* Attach failing at every step k = 1, 2, ... (or the tree refusing its k-th
 * write) until it succeeds: each time the error reaches the caller and the
 * host is exactly as before.  The steps (writes) are counted on a run that
 * fails nowhere, and the loop must have failed each of them: a VF's are
 * the journal, its 6 attributes, override, unbind, probe, journal, chown,
 * journal; a netdevsim VF's the journal, 6 attributes, journal. */
static void attach_loop(enum fault_kind kind, enum target t)
{
	static const char *const names[] = { [T_VF] = "VF", [T_PCI] = "PCI", [T_NSIM] = "nsim" };
	struct env e;
	struct steps s;
	char *before;
	unsigned long k, n;
	int r;

	env_target(&e, t);
	before = host_snap(&e);
	count_begin(&e, &s);
	e.fs->writes = 0;
	r = attach_target(&e, t);
	n = count_end(&e, &s);
	ck_assert_msg(r == 0, "%s", mvl_ctx_get_error(e.ctx));
	if (kind == FAULT_WRITE)
		n = (unsigned long)e.fs->writes;
	ck_assert_uint_gt(n, 0);
	ck_assert_int_eq(mvl_vm_delete(e.ctx, VM), 1);
	assert_host(&e, before, "released after the count", 0);
	for (k = 1;; k++) {
		ck_assert_uint_le(k, n + 1);
		mvl_fault(e.ctx)->count = 0;
		e.fs->writes = 0;
		if (kind == FAULT_STEP)
			mvl_fault(e.ctx)->step = k;
		else {
			e.fs->fail_at = (int)k;
			e.fs->fail_err = EBUSY;
		}
		r = attach_target(&e, t);
		mvl_fault(e.ctx)->step = 0;
		e.fs->fail_at = 0;
		if (r == 0)
			break;
		ck_assert_msg(r == (kind == FAULT_STEP ? -EIO : -EBUSY), "step %lu: %d %s", k, r,
			      mvl_ctx_get_error(e.ctx));
		ck_assert_msg(mvl_ctx_get_error(e.ctx)[0], "step %lu: no message", k);
		ck_assert_msg(!mvl_ctx_get_undo_failed(e.ctx), "step %lu: undo failed", k);
		assert_host(&e, before, "attach", k);
	}
	printf("%s attach: %lu %s, each failed once\n", names[t], n,
	       kind == FAULT_STEP ? "steps" : "writes");
	/* every step failed once, and then it went through */
	ck_assert_msg(k - 1 == n, "the loop failed %lu, a run has %lu", k - 1, n);
	ck_assert_uint_eq(kind == FAULT_STEP ? mvl_fault(e.ctx)->count
					     : (unsigned long)e.fs->writes,
			  n);
	ck_assert_int_eq(mvl_vm_delete(e.ctx, VM), 1);
	assert_host(&e, before, "released", k);
	free(before);
	env_free(&e);
}

START_TEST(vf_attach_each_step_fails)
{
	attach_loop(FAULT_STEP, T_VF);
}
END_TEST

START_TEST(vf_attach_each_write_fails)
{
	attach_loop(FAULT_WRITE, T_VF);
}
END_TEST

START_TEST(pci_attach_each_step_fails)
{
	attach_loop(FAULT_STEP, T_PCI);
}
END_TEST

START_TEST(pci_attach_each_write_fails)
{
	attach_loop(FAULT_WRITE, T_PCI);
}
END_TEST

/* (it writes no sysfs file: steps only) */
START_TEST(nsim_attach_each_step_fails)
{
	attach_loop(FAULT_STEP, T_NSIM);
}
END_TEST

/* An operation that releases devices (and where a failure leaves a partial
 * release by design, see release_expect()). */
struct release_op {
	const char *name;
	enum target t;
	bool netns; /* private_netns() first */
	/* what stays attached meanwhile (NULL: nothing) */
	void (*prepare)(struct env *e);
	/* attach what the operation releases */
	void (*setup)(struct env *e);
	int (*run)(struct env *e);
	int ret; /* what a complete run returns */
};

/*
 * A release-like operation failing at every step k = 1, 2, ... until it
 * succeeds.  Its steps are counted on a run that fails nowhere, which
 * leaves the host exactly as before the setup.  After a failure at step k
 * the error (naming the device) reaches the caller and the host is exactly
 * what release_expect() says; the operation run again completes the job
 * (releasing the one device left) and leaves the host exactly as after a
 * complete run.  The loop must have failed each step.
 */
static void release_loop(const struct release_op *op)
{
	struct rstep plan[MAX_STEPS];
	struct steps s;
	struct env e;
	char *base, *attached, *exp;
	unsigned long k, n;
	int r;

	if (op->netns)
		private_netns();
	env_target(&e, op->t);
	if (op->prepare)
		op->prepare(&e);
	base = host_snap(&e);
	op->setup(&e);
	attached = host_snap(&e);
	count_begin(&e, &s);
	r = op->run(&e);
	n = count_end(&e, &s);
	ck_assert_msg(r == op->ret, "%s: %d %s", op->name, r, mvl_ctx_get_error(e.ctx));
	assert_host(&e, base, op->name, 0);
	release_plan(&s, plan);
	for (k = 1;; k++) {
		struct mvl_journal j;

		ck_assert_uint_le(k, n + 1);
		op->setup(&e);
		assert_host(&e, attached, "set up again", k);
		mvl_fault(e.ctx)->count = 0;
		mvl_fault(e.ctx)->step = k;
		r = op->run(&e);
		mvl_fault(e.ctx)->step = 0;
		if (r >= 0)
			break;
		ck_assert_msg(r == -EIO, "%s, step %lu: %d %s", op->name, k, r,
			      mvl_ctx_get_error(e.ctx));
		ck_assert_uint_le(k, n);
		ck_assert_msg(contains(mvl_ctx_get_error(e.ctx), plan[k - 1].dev),
			      "%s, step %lu: error '%s' does not name %s", op->name, k,
			      mvl_ctx_get_error(e.ctx), plan[k - 1].dev);
		ck_assert_msg(!mvl_ctx_get_undo_failed(e.ctx), "%s, step %lu: undo failed",
			      op->name, k);
		/* its journal stays (what it records of the device is never
		 * rewritten, only its state) */
		ck_assert_int_eq(mvl_journal_read(e.ctx, plan[k - 1].dev, &j), 0);
		exp = release_expect(&e, base, attached, &plan[k - 1], &j);
		assert_host(&e, exp, op->name, k);
		free(exp);
		r = op->run(&e);
		ck_assert_msg(r == 1, "%s, step %lu, run again: %d %s", op->name, k, r,
			      mvl_ctx_get_error(e.ctx));
		assert_host(&e, base, "run again", k);
	}
	printf("%s: %lu steps, each failed once\n", op->name, n);
	ck_assert_msg(r == op->ret, "%s: %d", op->name, r);
	ck_assert_msg(k - 1 == n, "%s: the loop failed %lu steps, a run has %lu", op->name, k - 1,
		      n);
	ck_assert_uint_eq(mvl_fault(e.ctx)->count, n);
	assert_host(&e, base, op->name, k);
	free(attached);
	free(base);
	env_free(&e);
}

static void setup_vm(struct env *e)
{
	ck_assert_int_eq(attach_target(e, T_VF), 0);
}

static void setup_pci(struct env *e)
{
	ck_assert_int_eq(attach_target(e, T_PCI), 0);
}

static void setup_nsim(struct env *e)
{
	ck_assert_int_eq(attach_target(e, T_NSIM), 0);
}

static int run_release_vf(struct env *e)
{
	return mvl_iface_delete(e->ctx, "0000:3b:10.0");
}

static int run_release_pci(struct env *e)
{
	return mvl_iface_delete(e->ctx, "0000:00:19.0");
}

static int run_release_nsim(struct env *e)
{
	return mvl_iface_delete(e->ctx, NSIM_IF ":vf0");
}

/* journal, chown back (as root), unbind, override, probe, override cleared,
 * 6 attributes, journal removed */
START_TEST(release_each_step_fails)
{
	static const struct release_op op = { .name = "VF release",
					      .t = T_VF,
					      .setup = setup_vm,
					      .run = run_release_vf,
					      .ret = 1 };

	release_loop(&op);
}
END_TEST

/* journal, chown back (as root), unbind, override, probe, override
 * cleared, journal removed */
START_TEST(pci_release_each_step_fails)
{
	static const struct release_op op = { .name = "PCI release",
					      .t = T_PCI,
					      .setup = setup_pci,
					      .run = run_release_pci,
					      .ret = 1 };

	release_loop(&op);
}
END_TEST

/* journal, 6 attributes, journal removed */
START_TEST(nsim_release_each_step_fails)
{
	static const struct release_op op = { .name = "nsim release",
					      .t = T_NSIM,
					      .setup = setup_nsim,
					      .run = run_release_nsim,
					      .ret = 1 };

	release_loop(&op);
}
END_TEST

/* An attach that crashed after its last change: its journal says
 * "attaching". */
static void setup_crashed(struct env *e)
{
	struct mvl_journal j;

	setup_vm(e);
	ck_assert_int_eq(mvl_journal_read(e->ctx, "0000:3b:10.0", &j), 0);
	j.state = MVL_J_ATTACHING;
	ck_assert_int_eq(mvl_journal_write(e->ctx, &j), 0);
}

static int run_recover(struct env *e)
{
	return mvl_recover(e->ctx, 0);
}

/* recover undoes it: the steps of a release */
START_TEST(recover_each_step_fails)
{
	static const struct release_op op = { .name = "recover",
					      .t = T_VF,
					      .setup = setup_crashed,
					      .run = run_recover,
					      .ret = 1 };

	release_loop(&op);
}
END_TEST

static void prepare_kept(struct env *e)
{
	attach_vf(e, 1, "vm2");
}

static int run_gc(struct env *e)
{
	static const char *const keep[] = { "vm2" };

	return mvl_gc(e->ctx, keep, ARRAY_SIZE(keep), 0);
}

/* gc releases VM's VF, never vm2's (kept) */
START_TEST(gc_each_step_fails)
{
	static const struct release_op op = { .name = "gc",
					      .t = T_VF,
					      .netns = true,
					      .prepare = prepare_kept,
					      .setup = setup_vm,
					      .run = run_gc,
					      .ret = 1 };

	release_loop(&op);
}
END_TEST

/* vm3 has the whole device 0000:00:19.0, VM and vm2 a VF each */
static void prepare_vm3(struct env *e)
{
	struct mvl_iface *iface = NULL;
	struct mvl_pci_opts po = { .sz = sizeof(po), .vm_id = "vm3", .device = "0000:00:19.0" };

	ck_assert_int_eq(mvl_pci_attach(e->ctx, &po, &iface), 0);
	mvl_iface_unref(iface);
}

static void setup_two(struct env *e)
{
	attach_vf(e, 0, VM);
	attach_vf(e, 1, "vm2");
}

static int run_delete_many(struct env *e)
{
	static const char *const ids[] = { "vm2", VM };

	return mvl_vm_delete_many(e->ctx, ids, ARRAY_SIZE(ids));
}

/* the two releases one after the other (carrying on past a failure) */
START_TEST(vm_delete_many_each_step_fails)
{
	static const struct release_op op = { .name = "delete many",
					      .t = T_PCI,
					      .netns = true,
					      .prepare = prepare_vm3,
					      .setup = setup_two,
					      .run = run_delete_many,
					      .ret = 2 };

	release_loop(&op);
}
END_TEST

/* Enabling (or disabling) VFs failing at every step until it succeeds:
 * each time the error, naming the PF, reaches the caller and the host is
 * exactly as before (a failed enable turns autoprobe back on).  The steps
 * are counted on a run that fails nowhere, then undone: enable writes
 * sriov_drivers_autoprobe (a PCI PF) and sriov_numvfs, disable
 * sriov_numvfs. */
static void numvfs_loop(bool nsim, bool disable)
{
	const char *pf = nsim ? NSIM_IF : PF_IF, *what = disable ? "disable" : "enable";
	struct steps s;
	struct env e;
	char *before, *done;
	unsigned long k, n;
	int r;

	if (nsim)
		env_nsim(&e);
	else
		env_nic(&e);
	if (disable)
		ck_assert_int_eq(mvl_sriov_enable(e.ctx, pf, 2), 1);
	before = host_snap(&e);
	count_begin(&e, &s);
	r = disable ? mvl_sriov_disable(e.ctx, pf) : mvl_sriov_enable(e.ctx, pf, 2);
	n = count_end(&e, &s);
	ck_assert_msg(r == 1, "%s: %d %s", what, r, mvl_ctx_get_error(e.ctx));
	done = host_snap(&e);
	/* back: the VFs again, or none and autoprobe on (enable keeps it off) */
	if (disable)
		ck_assert_int_eq(mvl_sriov_enable(e.ctx, pf, 2), 1);
	else
		ck_assert_int_eq(mvl_sriov_disable(e.ctx, pf), 1);
	if (!disable && !nsim)
		fs_set_attr(e.fs, PF_ADDR, "sriov_drivers_autoprobe", "1");
	assert_host(&e, before, "undone after the count", 0);
	for (k = 1;; k++) {
		ck_assert_uint_le(k, n + 1);
		mvl_fault(e.ctx)->count = 0;
		mvl_fault(e.ctx)->step = k;
		r = disable ? mvl_sriov_disable(e.ctx, pf) : mvl_sriov_enable(e.ctx, pf, 2);
		mvl_fault(e.ctx)->step = 0;
		if (r >= 0)
			break;
		ck_assert_msg(r == -EIO, "%s, step %lu: %d %s", what, k, r,
			      mvl_ctx_get_error(e.ctx));
		ck_error_has(e.ctx, pf);
		ck_assert_msg(!mvl_ctx_get_undo_failed(e.ctx), "%s, step %lu: undo failed", what,
			      k);
		assert_host(&e, before, what, k);
	}
	printf("%s %s: %lu steps, each failed once\n", nsim ? "nsim" : "PCI", what, n);
	ck_assert_int_eq(r, 1);
	ck_assert_msg(k - 1 == n, "%s: the loop failed %lu steps, a run has %lu", what, k - 1, n);
	ck_assert_uint_eq(mvl_fault(e.ctx)->count, n);
	assert_host(&e, done, what, k);
	free(done);
	free(before);
	env_free(&e);
}

START_TEST(enable_each_step_fails)
{
	numvfs_loop(false, false);
}
END_TEST

START_TEST(disable_each_step_fails)
{
	numvfs_loop(false, true);
}
END_TEST

START_TEST(nsim_enable_each_step_fails)
{
	numvfs_loop(true, false);
}
END_TEST

START_TEST(nsim_disable_each_step_fails)
{
	numvfs_loop(true, true);
}
END_TEST

/* A real crash: the attaching child is SIGKILLed at step k; the parent
 * (another process) recovers from the journal.  Killed at each step of a
 * run that fails nowhere, then the child runs to its end. */
static void killed_loop(enum target t)
{
	struct steps s;
	unsigned long k, n;

	{
		struct env e;
		char *before;

		env_target(&e, t);
		before = host_snap(&e);
		count_begin(&e, &s);
		ck_assert_int_eq(attach_target(&e, t), 0);
		n = count_end(&e, &s);
		ck_assert_int_eq(mvl_vm_delete(e.ctx, VM), 1);
		assert_host(&e, before, "released after the count", 0);
		free(before);
		env_free(&e);
	}
	for (k = 1;; k++) {
		struct env e;
		char *before;
		int status, r;
		pid_t pid;

		ck_assert_uint_le(k, n + 1);
		env_target(&e, t);
		before = host_snap(&e);
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			struct mvl_ctx *ctx = NULL;
			struct mvl_iface *iface = NULL;
			struct mvl_vf_opts o = t == T_NSIM ? nsim_opts(0) : full_opts(0);
			int cr;

			mvt_child_init();
			if (mvl_ctx_new(&ctx) < 0)
				mvt_child_exit(3);
			fs_setup_ctx(e.fs, ctx);
			mvl_ctx_test(ctx)->lock_timeout_ms = mvl_ctx_test(e.ctx)->lock_timeout_ms;
			mvl_fault(ctx)->step = k;
			mvl_fault(ctx)->kill = true;
			cr = mvl_vf_attach(ctx, &o, &iface);
			mvl_iface_unref(iface);
			mvl_ctx_unref(ctx);
			mvt_child_exit(cr == 0 ? 0 : 2);
		}
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		if (WIFEXITED(status)) {
			/* ran to the end: a completed attach is not recovered */
			ck_assert_int_eq(WEXITSTATUS(status), 0);
			ck_assert_int_eq(mvl_recover(e.ctx, 0), 0);
			ck_assert_int_eq(mvl_vm_delete(e.ctx, VM), 1);
		} else {
			ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
			/* the journal comes first: killed at its write, nothing
			 * to recover; later, the attach is undone */
			r = mvl_recover(e.ctx, 0);
			ck_assert_msg(r == (k > 1), "step %lu: %d %s", k, r,
				      mvl_ctx_get_error(e.ctx));
			ck_assert_int_eq(mvl_vm_delete(e.ctx, VM), 0);
		}
		assert_host(&e, before, "killed", k);
		free(before);
		env_free(&e);
		if (WIFEXITED(status))
			break;
	}
	printf("%s attach killed: %lu steps, killed at each once\n", t == T_NSIM ? "nsim" : "VF",
	       n);
	ck_assert_msg(k - 1 == n, "killed at %lu steps, a run has %lu", k - 1, n);
}

START_TEST(attach_killed_at_each_step)
{
	killed_loop(T_VF);
}
END_TEST

START_TEST(nsim_attach_killed_at_each_step)
{
	killed_loop(T_NSIM);
}
END_TEST

/* =========================================================== listing */

START_TEST(sriov_listing)
{
	struct env e;
	struct mvl_sriov_list *list = NULL;
	const struct mvl_sriov_pf *pf;
	const struct mvl_sriov_vf *vf;
	struct mvl_iface *iface = NULL;
	struct mvl_vf_opts o = full_opts(1);
	struct fs_dev *nvme;

	env_nic(&e);
	fs_add_driver(e.fs, "nvme");
	nvme = fs_add_dev(e.fs, "0000:01:00.0", 0x1b36, 0x0010, 0x010802, "nvme", -2);
	fs_make_pf(e.fs, nvme, 4, "nvme");
	add_plain_nic(&e, -2);
	enable(&e, 2);
	ck_assert_int_eq(mvl_vf_attach(e.ctx, &o, &iface), 0);
	mvl_iface_unref(iface);
	ck_assert_msg(mvl_sriov_list_new(e.ctx, NULL, &list) == 0, "%s", mvl_ctx_get_error(e.ctx));
	ck_assert_uint_eq(mvl_sriov_list_count(list), 2);
	pf = mvl_sriov_list_get(list, 0); /* sorted by address */
	ck_assert_str_eq(mvl_sriov_pf_get_addr(pf), "0000:01:00.0");
	ck_assert_ptr_null(mvl_sriov_pf_get_ifname(pf));
	ck_assert_str_eq(mvl_sriov_pf_get_driver(pf), "nvme");
	ck_assert_uint_eq(mvl_sriov_pf_get_total_vfs(pf), 4);
	ck_assert_uint_eq(mvl_sriov_pf_get_num_vfs(pf), 0);
	ck_assert_ptr_null(mvl_sriov_pf_get_vf(pf, 0));
	pf = mvl_sriov_list_get(list, 1);
	ck_assert_str_eq(mvl_sriov_pf_get_addr(pf), PF_ADDR);
	ck_assert_str_eq(mvl_sriov_pf_get_ifname(pf), PF_IF);
	ck_assert_str_eq(mvl_sriov_pf_get_driver(pf), "i40e");
	ck_assert_uint_eq(mvl_sriov_pf_get_vendor_id(pf), 0x8086);
	ck_assert_uint_eq(mvl_sriov_pf_get_device_id(pf), 0x1572);
	ck_assert_int_eq(mvl_sriov_pf_get_numa_node(pf), 0);
	if (access("/usr/share/misc/pci.ids", R_OK) == 0)
		ck_assert(contains(mvl_sriov_pf_get_vendor_name(pf), "Intel"));
	ck_assert_uint_eq(mvl_sriov_pf_get_total_vfs(pf), 8);
	ck_assert_uint_eq(mvl_sriov_pf_get_num_vfs(pf), 2);
	vf = mvl_sriov_pf_get_vf(pf, 0);
	ck_assert_str_eq(mvl_sriov_vf_get_addr(vf), "0000:3b:10.0");
	ck_assert_ptr_null(mvl_sriov_vf_get_driver(vf));
	ck_assert_ptr_null(mvl_sriov_vf_get_vm_id(vf));
	ck_assert_int_eq(mvl_sriov_vf_get_vlan(vf), 0);
	ck_assert_int_eq(mvl_sriov_vf_get_spoofchk(vf), MVL_ON);
	vf = mvl_sriov_pf_get_vf(pf, 1);
	ck_assert_uint_eq(mvl_sriov_vf_get_index(vf), 1);
	ck_assert_str_eq(mvl_sriov_vf_get_driver(vf), "vfio-pci");
	ck_assert_str_eq(mvl_sriov_vf_get_vm_id(vf), VM);
	ck_assert_mem_eq(mvl_sriov_vf_get_mac(vf), mac1, 6);
	ck_assert_int_eq(mvl_sriov_vf_get_vlan(vf), 100);
	ck_assert_int_eq(mvl_sriov_vf_get_qos(vf), 3);
	ck_assert_int_eq(mvl_sriov_vf_get_vlan_proto(vf), MVL_VLAN_PROTO_8021AD);
	ck_assert_int_eq(mvl_sriov_vf_get_trust(vf), MVL_ON);
	ck_assert_int_eq(mvl_sriov_vf_get_spoofchk(vf), MVL_OFF);
	ck_assert_int_eq(mvl_sriov_vf_get_link_state(vf), MVL_VF_LINK_ENABLE);
	ck_assert_int_eq(mvl_sriov_vf_get_min_tx_rate(vf), 100);
	ck_assert_int_eq(mvl_sriov_vf_get_max_tx_rate(vf), 1000);
	ck_assert_int_ge(mvl_sriov_vf_get_iommu_group(vf), 0);
	mvl_sriov_list_free(list);
	/* one PF, by either name */
	ck_assert_int_eq(mvl_sriov_list_new(e.ctx, "01:00.0", &list), 0);
	ck_assert_uint_eq(mvl_sriov_list_count(list), 1);
	mvl_sriov_list_free(list);
	ck_assert_int_eq(mvl_sriov_list_new(e.ctx, "eno1", &list), -EOPNOTSUPP);
	ck_assert_int_eq(mvl_vm_delete(e.ctx, VM), 1);
	env_free(&e);
}
END_TEST

/* libpci's error handler must never end the process. */
START_TEST(libpci_errors_survive)
{
	struct env e;
	struct mvl_pci *pci = NULL;
	struct mvl_pci_info info;
	struct mvl_sriov_list *list = NULL;
	char p[PATH_MAX];

	env_nic(&e);
	ck_assert_int_eq(mvl_pci_open(e.ctx, &pci), 0);
	ck_assert_int_eq(mvl_pci_identify(e.ctx, pci, PF_ADDR, true, &info), 0);
	ck_assert_uint_eq(info.vendor_id, 0x8086);
	ck_assert_uint_eq(info.class_id, 0x0200);
	ck_assert_str_eq(info.driver, "i40e");
	ck_assert_int_eq(info.iommu_group, e.pf->group);
	/* libpci treats a missing "class" as fatal: here it is an error */
	snprintf(p, sizeof(p), "%s/devices/pci0000:00/%s/class", e.fs->sys, PF_ADDR);
	ck_assert_int_eq(unlink(p), 0);
	ck_assert_int_eq(mvl_pci_identify(e.ctx, pci, PF_ADDR, false, &info), -EIO);
	ck_error_has(e.ctx, "libpci: Cannot open");
	/* the session is poisoned, not reused */
	ck_assert_int_eq(mvl_pci_identify(e.ctx, pci, PF_ADDR, false, &info), -EIO);
	mvl_pci_close(pci);
	/* a listing survives it too, just without names */
	ck_assert_int_eq(mvl_sriov_list_new(e.ctx, NULL, &list), 0);
	ck_assert_ptr_null(mvl_sriov_pf_get_vendor_name(mvl_sriov_list_get(list, 0)));
	ck_assert_str_eq(mvl_sriov_pf_get_driver(mvl_sriov_list_get(list, 0)), "i40e");
	mvl_sriov_list_free(list);
	/* and a sysfs root without bus/pci */
	ck_assert_int_eq(mvl_ctx_set_sysfs_root(e.ctx, "/nonexistent"), 0);
	ck_assert_int_lt(mvl_pci_open(e.ctx, &pci), 0);
	env_free(&e);
}
END_TEST

static Suite *sriov_suite(void)
{
	Suite *s = suite_create("sriov");
	TCase *pure = tcase_create("pure"), *fake = tcase_create("fakesys");
	TCase *faults = tcase_create("faults");

	tcase_add_test(pure, pci_addr_valid);
	tcase_add_test(pure, pci_addr_invalid);
	tcase_add_test(pure, strings);
	tcase_add_test(pure, vf_attr_tables);
	tcase_add_test(pure, journal_roundtrip);
	tcase_add_test(pure, journal_netdev_vf);
	tcase_add_test(pure, vf_name_parse);
	tcase_add_test(pure, journal_truncated);
	tcase_add_test(pure, journal_garbage);
	tcase_add_test(pure, vf_build);
	tcase_add_test(pure, vf_parse);
	suite_add_tcase(s, pure);

	tcase_add_test(fake, pf_resolve_errors);
	tcase_add_test(fake, enable_disable);
	tcase_add_test(fake, enable_failures_restore_autoprobe);
	tcase_add_test(fake, vf_attach_release);
	tcase_add_test(fake, nsim_vf_attach_release);
	tcase_add_test(fake, nsim_refused_attribute);
	tcase_add_test(fake, vf_from_host_driver);
	tcase_add_test(fake, vf_first_free);
	tcase_add_test(fake, vf_lock_busy);
	tcase_add_test(fake, vf_pf_down);
	tcase_add_test(fake, vf_refused_attribute);
	tcase_add_test(fake, vf_unreported_attribute);
	tcase_add_test(fake, vf_query_rss);
	tcase_add_test(fake, vf_rate_keeps_other);
	tcase_add_test(fake, vf_zero_mac_restore);
	tcase_add_test(fake, vf_mac_always_restored);
	tcase_add_test(fake, vf_opts_invalid);
	tcase_add_test(fake, pci_attach_release);
	tcase_add_test(fake, pci_refusals);
	tcase_add_test(fake, pci_attach_of_a_vf);
	tcase_add_test(fake, iommu_group_viability);
	tcase_add_test(fake, vfio_missing_or_failing);
	tcase_add_test(fake, release_vf_gone_or_moved);
	tcase_add_test(fake, corrupt_journal);
	tcase_add_test(fake, recover_incomplete_only);
	tcase_add_test(fake, sriov_listing);
	tcase_add_test(fake, libpci_errors_survive);
	suite_add_tcase(s, fake);

	tcase_set_timeout(faults, 120);
	tcase_add_test(faults, vf_attach_each_step_fails);
	tcase_add_test(faults, vf_attach_each_write_fails);
	tcase_add_test(faults, pci_attach_each_step_fails);
	tcase_add_test(faults, pci_attach_each_write_fails);
	tcase_add_test(faults, release_each_step_fails);
	tcase_add_test(faults, attach_killed_at_each_step);
	tcase_add_test(faults, nsim_attach_each_step_fails);
	tcase_add_test(faults, nsim_release_each_step_fails);
	tcase_add_test(faults, nsim_attach_killed_at_each_step);
	tcase_add_test(faults, pci_release_each_step_fails);
	tcase_add_test(faults, recover_each_step_fails);
	tcase_add_test(faults, gc_each_step_fails);
	tcase_add_test(faults, vm_delete_many_each_step_fails);
	tcase_add_test(faults, enable_each_step_fails);
	tcase_add_test(faults, disable_each_step_fails);
	tcase_add_test(faults, nsim_enable_each_step_fails);
	tcase_add_test(faults, nsim_disable_each_step_fails);
	suite_add_tcase(s, faults);
	return s;
}

int main(void)
{
	return mvt_run(sriov_suite(), false);
}
