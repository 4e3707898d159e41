// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-sriov-vm.c - SR-IOV and vfio-pci on a real kernel.  Runs only inside
 * the kernel-test guest (tests/vm/sriov.sh boots it; MVLINK_IN_VM=1),
 * never on a host: it binds and unbinds real devices.  Elsewhere it skips.
 *
 * The guest has (tests/vm/guest/sriov.sh sets it up):
 *  - netdevsim device 1 with 4 VFs, its netdev up ($MVLINK_VM_NSIM_PF):
 *    netdevsim VFs are no PCI functions, so the VF attribute code is driven
 *    directly (the same functions mvl_vf_attach() and its restore use) and
 *    checked with `ip -j link show` as well as the library;
 *  - the emulated NVMe SR-IOV PF (1b36:0010, 4 VFs possible, no netdev):
 *    full attach -> vfio-pci -> release, crashes, a VMM holding the group;
 *  - three e1000 NICs (8086:100e): two behind a PCIe-to-PCI bridge, so in
 *    one IOMMU group, and one alone (for the default-route refusal).
 * Every result is checked in sysfs and /dev as well as through the library.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/vfio.h>

#include "operations.h"
#include "testhooks.h"
#include "testutil.h"

#define VM "vm-guest"
#define OWNER 1000
#define GROUP 1001

static const uint8_t mac1[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };

/* ------------------------------------------------------------ sysfs oracle */

static void scopy(char *dst, size_t len, const char *src)
{
	size_t n = strnlen(src, len - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void link_base(const char *path, char *buf, size_t len)
{
	char target[PATH_MAX];
	ssize_t n = readlink(path, target, sizeof(target) - 1);

	buf[0] = '\0';
	if (n < 0)
		return;
	target[n] = '\0';
	scopy(buf, len, strrchr(target, '/') ? strrchr(target, '/') + 1 : target);
}

static void driver_of(const char *addr, char *buf, size_t len)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/driver", addr);
	link_base(p, buf, len);
}

static int group_of(const char *addr)
{
	char p[PATH_MAX], g[32];

	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/iommu_group", addr);
	link_base(p, g, sizeof(g));
	return g[0] ? atoi(g) : -1;
}

static void sysfs_get(const char *addr, const char *attr, char *buf, size_t len)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/%s", addr, attr);
	if (mvl_read_file(p, buf, len) < 0)
		buf[0] = '\0';
}

static void sysfs_put(const char *path, const char *value)
{
	ck_assert_msg(mvl_write_file(path, value) == 0, "write '%s' to %s", value, path);
}

/* driver, driver_override, /dev/vfio node and journals of @addr, as text */
static char *state_of(const char *addr)
{
	char drv[64], ovr[64], node[64], *s = NULL;
	struct stat st;
	int g = group_of(addr);
	char j1[PATH_MAX], j2[PATH_MAX];

	driver_of(addr, drv, sizeof(drv));
	sysfs_get(addr, "driver_override", ovr, sizeof(ovr));
	snprintf(node, sizeof(node), "/dev/vfio/%d", g);
	snprintf(j1, sizeof(j1), "/run/mvlink/vf/%s.json", addr);
	snprintf(j2, sizeof(j2), "/run/mvlink/pci/%s.json", addr);
	ck_assert_int_ge(asprintf(&s, "driver=%s override=%s node=%s journal=%d%d", drv, ovr,
				  stat(node, &st) == 0 ? "yes" : "no", access(j1, F_OK) == 0,
				  access(j2, F_OK) == 0),
			 0);
	return s;
}

static void assert_state(const char *addr, const char *want)
{
	char *now = state_of(addr);

	ck_assert_msg(strcmp(now, want) == 0, "%s: %s, expected %s", addr, now, want);
	free(now);
}

/* The @idx-th PCI function with @vendor:@device (sorted by address). */
static bool find_pci(unsigned vendor, unsigned device, int idx, char out[MVL_PCI_ADDR_LEN])
{
	struct dirent **names;
	int n = scandir("/sys/bus/pci/devices", &names, NULL, alphasort), found = 0;
	bool ok = false;

	for (int i = 0; i < n; i++) {
		char v[16], d[16];

		if (!ok && names[i]->d_name[0] != '.') {
			sysfs_get(names[i]->d_name, "vendor", v, sizeof(v));
			sysfs_get(names[i]->d_name, "device", d, sizeof(d));
			if (strtoul(v, NULL, 16) == vendor && strtoul(d, NULL, 16) == device &&
			    found++ == idx) {
				scopy(out, MVL_PCI_ADDR_LEN, names[i]->d_name);
				ok = true;
			}
		}
		free(names[i]);
	}
	if (n >= 0)
		free(names);
	return ok;
}

static void nvme_pf(char out[MVL_PCI_ADDR_LEN])
{
	ck_assert_msg(find_pci(0x1b36, 0x0010, 0, out), "no emulated NVMe PF 1b36:0010");
}

/* NVMe VFs enabled (2) through the library; VF @k's address. */
static void nvme_vf(struct mvl_ctx *ctx, unsigned k, char out[MVL_PCI_ADDR_LEN])
{
	char pf[MVL_PCI_ADDR_LEN], p[PATH_MAX];
	int r;

	nvme_pf(pf);
	r = mvl_sriov_enable(ctx, pf, 2);
	ck_assert_msg(r >= 0, "enable: %s", mvl_ctx_get_error(ctx));
	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/virtfn%u", pf, k);
	link_base(p, out, MVL_PCI_ADDR_LEN);
	ck_assert_msg(out[0], "no %s", p);
}

/* Put @addr on @driver (or none) by hand, the way an admin would. */
static void bind_by_hand(const char *addr, const char *driver)
{
	char p[PATH_MAX], drv[64];

	driver_of(addr, drv, sizeof(drv));
	if (drv[0]) {
		snprintf(p, sizeof(p), "/sys/bus/pci/drivers/%s/unbind", drv);
		sysfs_put(p, addr);
	}
	if (!driver)
		return;
	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/driver_override", addr);
	sysfs_put(p, driver);
	sysfs_put("/sys/bus/pci/drivers_probe", addr);
	sysfs_put(p, "\n");
	driver_of(addr, drv, sizeof(drv));
	ck_assert_msg(strcmp(drv, driver) == 0, "%s did not bind to %s", addr, driver);
}

static struct mvl_ctx *vm_ctx(void)
{
	struct mvl_ctx *ctx = mvt_ctx();

	mvl_ctx_set_log_priority(ctx, LOG_DEBUG);
	return ctx;
}

#define ck_error_has(ctx, what)                                                      \
	ck_assert_msg(strstr(mvl_ctx_get_error(ctx), what), "error '%s' lacks '%s'", \
		      mvl_ctx_get_error(ctx), what)

/* ================================================== netdevsim: attributes */

static const char *nsim_pf(int *ret_ifindex)
{
	const char *pf = getenv("MVLINK_VM_NSIM_PF");
	int ifindex;

	ck_assert_msg(pf && *pf, "MVLINK_VM_NSIM_PF not set");
	ifindex = (int)if_nametoindex(pf);
	ck_assert_int_gt(ifindex, 0);
	*ret_ifindex = ifindex;
	return pf;
}

/* VF @vf of `ip -j link show dev PF` (caller puts the returned root). */
static struct json_object *ip_vf(const char *pf, int vf, struct json_object **ret_root)
{
	char *out = mvt_sh_out("ip -j link show dev '%s'", pf);
	struct json_object *root = json_tokener_parse(out), *list;

	free(out);
	ck_assert_ptr_nonnull(root);
	*ret_root = root;
	ck_assert(json_object_object_get_ex(json_object_array_get_idx(root, 0), "vfinfo_list",
					    &list));
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct json_object *v = json_object_array_get_idx(list, i);

		if (mvt_jint(v, "vf") == vf)
			return v;
	}
	ck_abort_msg("VF %d not in ip's vfinfo_list", vf);
	return NULL;
}

static long long vlan_field(struct json_object *v, const char *key)
{
	struct json_object *list, *e;

	if (!json_object_object_get_ex(v, "vlan_list", &list) ||
	    !(e = json_object_array_get_idx(list, 0)))
		return 0;
	return json_object_object_get_ex(e, key, NULL) ? mvt_jint(e, key) : 0;
}

static const char *vlan_proto(struct json_object *v)
{
	struct json_object *list, *e;
	const char *p;

	if (!json_object_object_get_ex(v, "vlan_list", &list) ||
	    !(e = json_object_array_get_idx(list, 0)))
		return "802.1Q";
	p = mvt_jstr(e, "protocol");
	return p ? p : "802.1Q";
}

static bool jbool(struct json_object *v, const char *key)
{
	struct json_object *b;

	ck_assert_msg(json_object_object_get_ex(v, key, &b), "no '%s'", key);
	return json_object_get_boolean(b);
}

/* The oracle: ip's view of VF @vf equals @s in every attribute. */
static void check_ip(const char *pf, const struct mvl_vf_state *s)
{
	static const char *const ls[] = { "auto", "enable", "disable" };
	struct json_object *root, *v = ip_vf(pf, s->vf, &root);
	char mac[18];

	ck_assert_str_eq(mvt_jstr(v, "address"), mvl_mac_format(s->mac, mac));
	ck_assert_int_eq(vlan_field(v, "vlan"), s->vlan);
	ck_assert_int_eq(vlan_field(v, "qos"), s->qos);
	ck_assert_str_eq(vlan_proto(v),
			 s->vlan && s->vlan_proto == ETH_P_8021AD ? "802.1ad" : "802.1Q");
	ck_assert_int_eq(jbool(v, "spoofchk"), s->spoofchk);
	ck_assert_int_eq(jbool(v, "trust"), s->trust);
	/* netdevsim reports it (nsim_get_vf_config), ip shows it unless -1 */
	ck_assert_int_eq(jbool(v, "query_rss_en"), s->query_rss);
	ck_assert_str_eq(mvt_jstr(v, "link_state"), ls[s->link_state]);
	ck_assert_int_eq(mvt_jint(v, "rate.max_tx"), s->max_tx_rate);
	ck_assert_int_eq(mvt_jint(v, "rate.min_tx"), s->min_tx_rate);
	json_object_put(root);
}

static void check_lib(struct mvl_ctx *ctx, int ifindex, const struct mvl_vf_state *want,
		      unsigned mask)
{
	struct mvl_vf_state now;

	ck_assert_int_eq(mvl_nl_vf_get(ctx, ifindex, want->vf, &now), 0);
	ck_assert_uint_eq(now.have & mask, mask);
	ck_assert_mem_eq(now.mac, want->mac, 6);
	ck_assert_uint_eq(now.vlan, want->vlan);
	ck_assert_uint_eq(now.qos, want->qos);
	if (want->vlan)
		ck_assert_uint_eq(now.vlan_proto, want->vlan_proto);
	ck_assert_int_eq(now.spoofchk, want->spoofchk);
	ck_assert_int_eq(now.trust, want->trust);
	ck_assert_int_eq(now.query_rss, want->query_rss);
	ck_assert_int_eq(now.link_state, want->link_state);
	ck_assert_uint_eq(now.min_tx_rate, want->min_tx_rate);
	ck_assert_uint_eq(now.max_tx_rate, want->max_tx_rate);
}

static struct mvl_vf_opts nsim_opts(int vf)
{
	struct mvl_vf_opts o = {
		.sz = sizeof(o),
		.vm_id = VM,
		.vf = vf,
		.mac = mac1,
		.vlan = 100,
		.qos = 3,
		.vlan_proto = MVL_VLAN_PROTO_8021AD,
		.spoofchk = MVL_OFF,
		.trust = MVL_ON,
		.link_state = MVL_VF_LINK_DISABLE,
		.min_tx_rate = 100,
		.max_tx_rate = 1000,
		.flags = MVL_VF_VLAN | MVL_VF_MIN_RATE | MVL_VF_MAX_RATE,
		.query_rss = MVL_ON,
	};

	return o;
}

/* Set, check, restore: each attribute alone, then all together. */
START_TEST(nsim_roundtrip)
{
	struct mvl_ctx *ctx = vm_ctx();
	int ifindex;
	const char *pf = nsim_pf(&ifindex);
	struct mvl_vf_opts all = nsim_opts(1);
	struct mvl_vf_opts one[] = {
		{ .sz = sizeof(one[0]), .mac = mac1 },
		{ .sz = sizeof(one[0]), .vlan = 4094, .qos = 7, .flags = MVL_VF_VLAN },
		{ .sz = sizeof(one[0]),
		  .vlan = 10,
		  .vlan_proto = MVL_VLAN_PROTO_8021AD,
		  .flags = MVL_VF_VLAN },
		{ .sz = sizeof(one[0]), .spoofchk = MVL_OFF },
		{ .sz = sizeof(one[0]), .trust = MVL_ON },
		{ .sz = sizeof(one[0]), .query_rss = MVL_ON },
		{ .sz = sizeof(one[0]), .link_state = MVL_VF_LINK_ENABLE },
		{ .sz = sizeof(one[0]), .link_state = MVL_VF_LINK_DISABLE },
		{ .sz = sizeof(one[0]), .max_tx_rate = 250, .flags = MVL_VF_MAX_RATE },
		{ .sz = sizeof(one[0]), .min_tx_rate = 50, .flags = MVL_VF_MIN_RATE },
		all,
	};

	for (size_t i = 0; i < ARRAY_SIZE(one); i++) {
		struct mvl_journal j = { .mode = MVL_MODE_SRIOV, .vf = 1 };
		struct mvl_vf_state want;
		unsigned mask;

		ck_assert_int_eq(mvl_nl_vf_get(ctx, ifindex, 1, &j.vf_orig), 0);
		check_ip(pf, &j.vf_orig);
		mask = mvl_vf_wanted(&one[i], &j.vf_orig, &want);
		ck_assert_uint_ne(mask, 0);
		ck_assert_msg(mvl_vf_apply_attrs(ctx, ifindex, pf, 1, mask, &want) == 0,
			      "case %zu: %s", i, mvl_ctx_get_error(ctx));
		check_lib(ctx, ifindex, &want, mask);
		check_ip(pf, &want);
		/* the restore an attach's undo or release does */
		j.vf_changes = mask;
		ck_assert_msg(mvl_vf_restore_attrs_on(ctx, ifindex, pf, &j) == 0, "case %zu: %s", i,
			      mvl_ctx_get_error(ctx));
		check_lib(ctx, ifindex, &j.vf_orig, MVL_VF_A_ALL);
		check_ip(pf, &j.vf_orig);
	}
	/* the rate not asked for keeps its value (libnl would zero it) */
	{
		struct mvl_vf_opts a = { .sz = sizeof(a),
					 .min_tx_rate = 30,
					 .max_tx_rate = 300,
					 .flags = MVL_VF_MIN_RATE | MVL_VF_MAX_RATE };
		struct mvl_vf_opts b = { .sz = sizeof(b),
					 .max_tx_rate = 600,
					 .flags = MVL_VF_MAX_RATE };
		struct mvl_vf_state cur, want;

		ck_assert_int_eq(mvl_nl_vf_get(ctx, ifindex, 2, &cur), 0);
		ck_assert_int_eq(mvl_vf_apply_attrs(ctx, ifindex, pf, 2,
						    mvl_vf_wanted(&a, &cur, &want), &want),
				 0);
		ck_assert_int_eq(mvl_nl_vf_get(ctx, ifindex, 2, &cur), 0);
		ck_assert_int_eq(mvl_vf_apply_attrs(ctx, ifindex, pf, 2,
						    mvl_vf_wanted(&b, &cur, &want), &want),
				 0);
		ck_assert_int_eq(mvl_nl_vf_get(ctx, ifindex, 2, &cur), 0);
		ck_assert_uint_eq(cur.min_tx_rate, 30);
		ck_assert_uint_eq(cur.max_tx_rate, 600);
		check_ip(pf, &cur);
		cur.min_tx_rate = cur.max_tx_rate = 0;
		ck_assert_int_eq(mvl_nl_vf_set(ctx, ifindex, MVL_VF_A_RATE, &cur), 0);
	}
	mvl_ctx_unref(ctx);
}
END_TEST

/* netdevsim in switchdev mode refuses VF rates (EOPNOTSUPP): the error
 * names the rate, and everything set before it is restored. */
START_TEST(nsim_refused_rolls_back)
{
	struct mvl_ctx *ctx = vm_ctx();
	int ifindex;
	const char *pf = nsim_pf(&ifindex);
	struct mvl_vf_opts o = nsim_opts(0);
	struct mvl_journal j = { .mode = MVL_MODE_SRIOV, .vf = 0 };
	struct mvl_vf_state want, now;
	unsigned mask;
	int r;

	ck_assert_int_eq(mvt_sh("devlink dev eswitch set netdevsim/netdevsim1 mode switchdev"), 0);
	ck_assert_int_eq(mvl_nl_vf_get(ctx, ifindex, 0, &j.vf_orig), 0);
	mask = mvl_vf_wanted(&o, &j.vf_orig, &want);
	ck_assert_uint_eq(mask, MVL_VF_A_ALL);
	r = mvl_vf_apply_attrs(ctx, ifindex, pf, 0, mask, &want);
	ck_assert_int_eq(r, -EOPNOTSUPP);
	ck_error_has(ctx, "refused min/max tx rate 100/1000 Mbps for VF 0");
	/* the others went through before the refusal... */
	ck_assert_int_eq(mvl_nl_vf_get(ctx, ifindex, 0, &now), 0);
	ck_assert_mem_eq(now.mac, mac1, 6);
	ck_assert_int_eq(now.trust, 1);
	/* ...and are undone */
	j.vf_changes = mask;
	ck_assert_msg(mvl_vf_restore_attrs_on(ctx, ifindex, pf, &j) == 0, "%s",
		      mvl_ctx_get_error(ctx));
	check_lib(ctx, ifindex, &j.vf_orig, MVL_VF_A_ALL);
	check_ip(pf, &j.vf_orig);
	ck_assert_int_eq(mvt_sh("devlink dev eswitch set netdevsim/netdevsim1 mode legacy"), 0);
	mvl_ctx_unref(ctx);
}
END_TEST

/* The whole attach on netdevsim, by mvl_vf_attach(): every attribute set
 * and seen by ip, journaled under the VF's name "<pf>:vf<N>", released by
 * name; in switchdev mode the rate is refused and the attach leaves the VF
 * as it was, with no journal.  A process killed half way is recovered. */
START_TEST(nsim_attach_release)
{
	struct mvl_ctx *ctx = vm_ctx();
	int ifindex;
	const char *pf = nsim_pf(&ifindex);
	struct mvl_vf_opts o = nsim_opts(2);
	struct mvl_iface *iface = NULL;
	struct mvl_vf_state orig, want;
	struct mvl_vf_state now;
	char name[MVL_VF_NAME_LEN], path[PATH_MAX];
	int status;
	pid_t pid;

	o.pf = pf;
	o.flags |= MVL_VF_NO_VFIO;
	snprintf(name, sizeof(name), "%s:vf2", pf);
	ck_assert_int_eq(mvl_nl_vf_get(ctx, ifindex, 2, &orig), 0);
	mvl_vf_wanted(&o, &orig, &want);
	ck_assert_msg(mvl_vf_attach(ctx, &o, &iface) == 0, "%s", mvl_ctx_get_error(ctx));
	ck_assert_str_eq(mvl_iface_get_name(iface), name);
	ck_assert_str_eq(mvl_iface_get_link(iface), pf);
	ck_assert_ptr_null(mvl_iface_get_devnode(iface));
	mvl_iface_unref(iface);
	check_lib(ctx, ifindex, &want, MVL_VF_A_ALL);
	check_ip(pf, &want);
	snprintf(path, sizeof(path), "%s/vf/%s.json", mvl_ctx_get_state_dir(ctx), name);
	ck_assert_int_eq(access(path, F_OK), 0);
	ck_assert_int_eq(mvl_sriov_disable(ctx, pf), -EBUSY);
	ck_assert_msg(mvl_iface_delete(ctx, name) == 1, "%s", mvl_ctx_get_error(ctx));
	check_lib(ctx, ifindex, &orig, MVL_VF_A_ALL);
	check_ip(pf, &orig);
	ck_assert_int_eq(access(path, F_OK), -1);

	/* refused half way: all back, nothing journaled */
	ck_assert_int_eq(mvt_sh("devlink dev eswitch set netdevsim/netdevsim1 mode switchdev"), 0);
	ck_assert_int_eq(mvl_vf_attach(ctx, &o, &iface), -EOPNOTSUPP);
	ck_error_has(ctx, "refused min/max tx rate 100/1000 Mbps for VF 2");
	ck_assert(!mvl_ctx_get_undo_failed(ctx));
	check_lib(ctx, ifindex, &orig, MVL_VF_A_ALL);
	check_ip(pf, &orig);
	ck_assert_int_eq(access(path, F_OK), -1);
	ck_assert_int_eq(mvt_sh("devlink dev eswitch set netdevsim/netdevsim1 mode legacy"), 0);

	/* killed after the third attribute: recover puts the VF back */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct mvl_ctx *c = vm_ctx(); /* a context is not for children */

		mvl_fault(c)->step = 4; /* journal, MAC, VLAN, then die */
		mvl_fault(c)->kill = true;
		mvl_vf_attach(c, &o, &iface);
		mvl_ctx_unref(c);
		mvt_child_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	ck_assert_int_eq(access(path, F_OK), 0);
	ck_assert_msg(mvl_recover(ctx, 0) == 1, "%s", mvl_ctx_get_error(ctx));
	check_lib(ctx, ifindex, &orig, MVL_VF_A_ALL);
	check_ip(pf, &orig);
	ck_assert_int_eq(access(path, F_OK), -1);

	/* killed after the last attribute (the RSS query), before the journal
	 * says attached: recover puts every one back */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct mvl_ctx *c = vm_ctx();

		mvl_fault(c)->step = 9; /* journal, 7 attributes, then die */
		mvl_fault(c)->kill = true;
		mvl_vf_attach(c, &o, &iface);
		mvl_ctx_unref(c);
		mvt_child_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	ck_assert_int_eq(mvl_nl_vf_get(ctx, ifindex, 2, &now), 0);
	ck_assert_int_eq(now.query_rss, 1);
	check_ip(pf, &want);
	ck_assert_msg(mvl_recover(ctx, 0) == 1, "%s", mvl_ctx_get_error(ctx));
	check_lib(ctx, ifindex, &orig, MVL_VF_A_ALL);
	check_ip(pf, &orig);
	ck_assert_int_eq(access(path, F_OK), -1);
	mvl_ctx_unref(ctx);
}
END_TEST

/* ============================================================ NVMe VFs */

START_TEST(nvme_enable_list)
{
	struct mvl_ctx *ctx = vm_ctx();
	struct mvl_sriov_list *list = NULL;
	const struct mvl_sriov_pf *p = NULL;
	char pf[MVL_PCI_ADDR_LEN], vf[MVL_PCI_ADDR_LEN], v[16];

	nvme_pf(pf);
	nvme_vf(ctx, 0, vf);
	sysfs_get(pf, "sriov_numvfs", v, sizeof(v));
	ck_assert_str_eq(v, "2");
	sysfs_get(pf, "sriov_drivers_autoprobe", v, sizeof(v));
	ck_assert_str_eq(v, "0");
	ck_assert_int_eq(mvl_sriov_enable(ctx, pf, 2), 0);
	ck_assert_int_eq(mvl_sriov_enable(ctx, pf, 3), -EBUSY);
	ck_error_has(ctx, "already has 2 VFs; disable first");
	ck_assert_int_eq(mvl_sriov_enable(ctx, pf, 5), -ERANGE);
	ck_assert_msg(mvl_sriov_list_new(ctx, NULL, &list) == 0, "%s", mvl_ctx_get_error(ctx));
	for (size_t i = 0; i < mvl_sriov_list_count(list); i++) {
		const char *a = mvl_sriov_pf_get_addr(mvl_sriov_list_get(list, i));

		/* (NULL: netdevsim's PF, no PCI device) */
		if (a && strcmp(a, pf) == 0)
			p = mvl_sriov_list_get(list, i);
	}
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(mvl_sriov_pf_get_vendor_id(p), 0x1b36);
	ck_assert_str_eq(mvl_sriov_pf_get_driver(p), "nvme");
	ck_assert_uint_eq(mvl_sriov_pf_get_total_vfs(p), 4);
	ck_assert_uint_eq(mvl_sriov_pf_get_num_vfs(p), 2);
	ck_assert_ptr_null(mvl_sriov_pf_get_ifname(p));
	ck_assert_str_eq(mvl_sriov_vf_get_addr(mvl_sriov_pf_get_vf(p, 0)), vf);
	ck_assert_int_eq(mvl_sriov_vf_get_iommu_group(mvl_sriov_pf_get_vf(p, 0)), group_of(vf));
	ck_assert_ptr_null(mvl_sriov_vf_get_mac(mvl_sriov_pf_get_vf(p, 0)));
	mvl_sriov_list_free(list);
	mvl_ctx_unref(ctx);
}
END_TEST

/* The whole cycle, from pci-stub, with vfio-pci loaded on demand. */
START_TEST(nvme_attach_release)
{
	struct mvl_ctx *ctx = vm_ctx();
	struct mvl_iface *iface = NULL;
	struct mvl_iface_list *ifl = NULL;
	char pf[MVL_PCI_ADDR_LEN], vf[MVL_PCI_ADDR_LEN], node[64], drv[64], *before;
	struct mvl_vf_opts o = { .sz = sizeof(o),
				 .vm_id = VM,
				 .vf = 0,
				 .owner = OWNER,
				 .group = GROUP,
				 .flags = MVL_VF_OWNER | MVL_VF_GROUP };
	struct vfio_group_status gs = { .argsz = sizeof(gs) };
	struct stat st;
	int fd;

	nvme_pf(pf);
	o.pf = pf;
	nvme_vf(ctx, 0, vf);
	bind_by_hand(vf, "pci-stub");
	before = state_of(vf);
	/* no vfio-pci: the library loads it */
	ck_assert_int_eq(mvt_sh("rmmod vfio_pci"), 0);
	ck_assert(access("/sys/bus/pci/drivers/vfio-pci", F_OK) != 0);
	ck_assert_msg(mvl_vf_attach(ctx, &o, &iface) == 0, "%s", mvl_ctx_get_error(ctx));
	ck_assert(access("/sys/bus/pci/drivers/vfio-pci", F_OK) == 0);
	driver_of(vf, drv, sizeof(drv));
	ck_assert_str_eq(drv, "vfio-pci");
	snprintf(node, sizeof(node), "/dev/vfio/%d", group_of(vf));
	ck_assert_str_eq(mvl_iface_get_devnode(iface), node);
	ck_assert_int_eq(mvl_iface_get_iommu_group(iface), group_of(vf));
	ck_assert_str_eq(mvl_iface_get_name(iface), vf);
	ck_assert_str_eq(mvl_iface_get_link(iface), pf);
	mvl_iface_unref(iface);
	ck_assert_int_eq(stat(node, &st), 0);
	ck_assert_uint_eq(st.st_uid, OWNER);
	ck_assert_uint_eq(st.st_gid, GROUP);
	/* a VMM can open it: a viable group */
	fd = open(node, O_RDWR | O_CLOEXEC);
	ck_assert_msg(fd >= 0, "open %s: %s", node, strerror(errno));
	ck_assert_int_eq(ioctl(fd, VFIO_GROUP_GET_STATUS, &gs), 0);
	ck_assert(gs.flags & VFIO_GROUP_FLAGS_VIABLE);
	close(fd);
	ck_assert_int_eq(mvl_iface_list_new(ctx, VM, 0, &ifl), 0);
	ck_assert_uint_eq(mvl_iface_list_count(ifl), 1);
	ck_assert_int_eq(mvl_iface_get_mode(mvl_iface_list_get(ifl, 0)), MVL_MODE_SRIOV);
	mvl_iface_list_free(ifl);
	/* disable is refused while the VF is attached */
	ck_assert_int_eq(mvl_sriov_disable(ctx, pf), -EBUSY);
	ck_assert_msg(mvl_iface_delete(ctx, vf) == 1, "%s", mvl_ctx_get_error(ctx));
	assert_state(vf, before);
	driver_of(vf, drv, sizeof(drv));
	ck_assert_str_eq(drv, "pci-stub");
	ck_assert_int_eq(mvl_iface_delete(ctx, vf), 0);
	free(before);
	mvl_ctx_unref(ctx);
}
END_TEST

/* The attaching process is SIGKILLed at each step in turn; another process
 * recovers from the journal. */
START_TEST(nvme_killed_at_each_step)
{
	struct mvl_ctx *ctx = vm_ctx();
	char pf[MVL_PCI_ADDR_LEN], vf[MVL_PCI_ADDR_LEN], *before;
	unsigned long k;

	nvme_pf(pf);
	nvme_vf(ctx, 1, vf);
	bind_by_hand(vf, "pci-stub");
	before = state_of(vf);
	for (k = 1;; k++) {
		int status;
		pid_t pid;

		ck_assert_uint_lt(k, 50);
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			struct mvl_ctx *c = NULL;
			struct mvl_iface *iface = NULL;
			struct mvl_vf_opts o = { .sz = sizeof(o),
						 .vm_id = VM,
						 .pf = pf,
						 .vf = 1,
						 .owner = OWNER,
						 .flags = MVL_VF_OWNER };

			if (mvl_ctx_new(&c) < 0)
				_exit(3);
			mvl_fault(c)->step = k;
			mvl_fault(c)->kill = true;
			_exit(mvl_vf_attach(c, &o, &iface) == 0 ? 0 : 2);
		}
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		if (WIFEXITED(status)) {
			ck_assert_int_eq(WEXITSTATUS(status), 0);
			ck_assert_int_eq(mvl_recover(ctx, 0), 0); /* complete: kept */
			ck_assert_int_eq(mvl_vm_delete(ctx, VM), 1);
			assert_state(vf, before);
			break;
		}
		ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
		ck_assert_msg(mvl_recover(ctx, 0) >= 0, "step %lu: %s", k, mvl_ctx_get_error(ctx));
		assert_state(vf, before);
	}
	ck_assert_uint_ge(k, 7);
	free(before);
	mvl_ctx_unref(ctx);
}
END_TEST

/* A VMM holds the group: release refuses (the kernel would block); once
 * the VMM is killed, another process releases it. */
START_TEST(nvme_vmm_killed)
{
	struct mvl_ctx *ctx = vm_ctx();
	char pf[MVL_PCI_ADDR_LEN], vf[MVL_PCI_ADDR_LEN], *before, c;
	int pipefd[2], status;
	pid_t pid;

	nvme_pf(pf);
	nvme_vf(ctx, 0, vf);
	bind_by_hand(vf, "pci-stub");
	before = state_of(vf);
	ck_assert_int_eq(pipe2(pipefd, O_CLOEXEC), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct mvl_ctx *cc = NULL;
		struct mvl_iface *iface = NULL;
		struct mvl_vf_opts o = { .sz = sizeof(o), .vm_id = VM, .pf = pf, .vf = 0 };
		int fd;

		if (mvl_ctx_new(&cc) < 0 || mvl_vf_attach(cc, &o, &iface) < 0)
			_exit(2);
		fd = open(mvl_iface_get_devnode(iface), O_RDWR | O_CLOEXEC);
		if (fd < 0 || write(pipefd[1], "x", 1) != 1)
			_exit(3);
		for (;;)
			pause();
	}
	close(pipefd[1]);
	ck_assert_int_eq(read(pipefd[0], &c, 1), 1);
	ck_assert_int_eq(mvl_iface_delete(ctx, vf), -EBUSY);
	ck_error_has(ctx, "a VMM holds");
	ck_assert_int_eq(mvl_vm_delete(ctx, VM), -EBUSY);
	kill(pid, SIGKILL);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(mvl_vm_delete(ctx, VM) == 1, "%s", mvl_ctx_get_error(ctx));
	assert_state(vf, before);
	close(pipefd[0]);
	free(before);
	mvl_ctx_unref(ctx);
}
END_TEST

START_TEST(nvme_disable)
{
	struct mvl_ctx *ctx = vm_ctx();
	char pf[MVL_PCI_ADDR_LEN], v[16];

	nvme_pf(pf);
	ck_assert_msg(mvl_sriov_disable(ctx, pf) == 1, "%s", mvl_ctx_get_error(ctx));
	sysfs_get(pf, "sriov_numvfs", v, sizeof(v));
	ck_assert_str_eq(v, "0");
	ck_assert_int_eq(mvl_sriov_disable(ctx, pf), 0);
	mvl_ctx_unref(ctx);
}
END_TEST

/* ================================================ whole devices (e1000) */

/* The e1000 that has an IOMMU group of its own, and the two that share. */
static void e1000s(char solo[MVL_PCI_ADDR_LEN], char a[MVL_PCI_ADDR_LEN], char b[MVL_PCI_ADDR_LEN])
{
	char addr[3][MVL_PCI_ADDR_LEN];

	for (int i = 0; i < 3; i++)
		ck_assert_msg(find_pci(0x8086, 0x100e, i, addr[i]), "e1000 #%d missing", i);
	for (int i = 0; i < 3; i++) {
		int j = (i + 1) % 3, k = (i + 2) % 3;

		if (group_of(addr[i]) != group_of(addr[j]) &&
		    group_of(addr[i]) != group_of(addr[k])) {
			scopy(solo, MVL_PCI_ADDR_LEN, addr[i]);
			scopy(a, MVL_PCI_ADDR_LEN, addr[j]);
			scopy(b, MVL_PCI_ADDR_LEN, addr[k]);
			ck_assert_int_eq(group_of(a), group_of(b));
			return;
		}
	}
	ck_abort_msg("no e1000 with an IOMMU group of its own");
}

static void netdev_of(const char *addr, char *buf, size_t len)
{
	char p[PATH_MAX];
	struct dirent *de;
	DIR *d;

	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/net", addr);
	d = opendir(p);
	ck_assert_ptr_nonnull(d);
	buf[0] = '\0';
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			scopy(buf, len, de->d_name);
	closedir(d);
	ck_assert(buf[0]);
}

START_TEST(pci_default_route_and_release)
{
	struct mvl_ctx *ctx = vm_ctx();
	struct mvl_iface *iface = NULL;
	char solo[MVL_PCI_ADDR_LEN], a[MVL_PCI_ADDR_LEN], b[MVL_PCI_ADDR_LEN], dev[IFNAMSIZ];
	char drv[64], *before;
	struct mvl_pci_opts o = { .sz = sizeof(o), .vm_id = VM };

	e1000s(solo, a, b);
	o.device = solo;
	netdev_of(solo, dev, sizeof(dev));
	before = state_of(solo);
	ck_assert_int_eq(mvt_sh("ip link set %s up && ip route add default dev %s", dev, dev), 0);
	ck_assert_int_eq(mvl_pci_attach(ctx, &o, &iface), -EBUSY);
	ck_error_has(ctx, "carries the host's default route");
	assert_state(solo, before);
	ck_assert_int_eq(mvt_sh("ip route del default dev %s && ip link set %s down", dev, dev), 0);
	ck_assert_msg(mvl_pci_attach(ctx, &o, &iface) == 0, "%s", mvl_ctx_get_error(ctx));
	mvl_iface_unref(iface);
	driver_of(solo, drv, sizeof(drv));
	ck_assert_str_eq(drv, "vfio-pci");
	ck_assert_msg(mvl_iface_delete(ctx, solo) == 1, "%s", mvl_ctx_get_error(ctx));
	assert_state(solo, before);
	driver_of(solo, drv, sizeof(drv));
	ck_assert_str_eq(drv, "e1000");
	free(before);
	mvl_ctx_unref(ctx);
}
END_TEST

START_TEST(pci_group_not_viable)
{
	struct mvl_ctx *ctx = vm_ctx();
	struct mvl_iface *iface = NULL;
	char solo[MVL_PCI_ADDR_LEN], a[MVL_PCI_ADDR_LEN], b[MVL_PCI_ADDR_LEN], want[256];
	char *before;
	struct mvl_pci_opts o = { .sz = sizeof(o), .vm_id = VM };

	e1000s(solo, a, b);
	o.device = a;
	before = state_of(a);
	ck_assert_int_eq(mvl_pci_attach(ctx, &o, &iface), -EBUSY);
	snprintf(want, sizeof(want), "also holds %s, which is bound to the host driver e1000", b);
	ck_error_has(ctx, want);
	assert_state(a, before);
	/* with the other one off its driver the group is viable (the bridge
	 * in it is fine) */
	bind_by_hand(b, NULL);
	ck_assert_msg(mvl_pci_attach(ctx, &o, &iface) == 0, "%s", mvl_ctx_get_error(ctx));
	mvl_iface_unref(iface);
	ck_assert_int_eq(mvl_iface_delete(ctx, a), 1);
	assert_state(a, before);
	bind_by_hand(b, "e1000");
	free(before);
	mvl_ctx_unref(ctx);
}
END_TEST

static Suite *vm_suite(void)
{
	Suite *s = suite_create("sriov-vm");
	TCase *tc = tcase_create("guest");

	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, nsim_roundtrip);
	tcase_add_test(tc, nsim_refused_rolls_back);
	tcase_add_test(tc, nsim_attach_release);
	tcase_add_test(tc, nvme_enable_list);
	tcase_add_test(tc, nvme_attach_release);
	tcase_add_test(tc, nvme_killed_at_each_step);
	tcase_add_test(tc, nvme_vmm_killed);
	tcase_add_test(tc, nvme_disable);
	tcase_add_test(tc, pci_default_route_and_release);
	tcase_add_test(tc, pci_group_not_viable);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	const char *in_vm = getenv("MVLINK_IN_VM");

	/* it binds real devices: only ever inside the test guest */
	if (!in_vm || strcmp(in_vm, "1") != 0) {
		fprintf(stderr,
			"SKIP: runs only inside the kernel-test guest (tests/vm/sriov.sh)\n");
		return 77;
	}
	return mvt_run(vm_suite(), false);
}
