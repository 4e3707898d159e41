// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * sriov.c - SR-IOV: enabling VFs on a PF, attaching a VF to a VM (its
 * attributes set through the PF, then vfio-pci), restoring the attributes,
 * and listing PFs with their VFs.
 *
 * Order of an attach (undone in reverse by mvl_vfio_restore()):
 *   0. checks: options, PF, VF choice under its lock, PF up, vfio viability
 *   1. journal (state "attaching"): the VF's original driver,
 *      driver_override and attributes, before anything changes
 *   2. one RTM_SETLINK per attribute: MAC, VLAN, spoofchk, trust, link
 *      state, rate; then read back and compared
 *   3. vfio-pci bind and chown (vfio.c)
 *   4. journal state "attached"
 * Locks: the PF shared (mvl_sriov_disable() takes it exclusively), then
 * the VF exclusively.
 */
#include <dirent.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>

#include "devices.h"

/* ------------------------------------------------------------- strings */

MVL_EXPORT const char *mvl_vlan_proto_to_string(enum mvl_vlan_proto proto)
{
	switch (proto) {
	case MVL_VLAN_PROTO_DEFAULT:
	case MVL_VLAN_PROTO_8021Q:
		return "802.1Q";
	case MVL_VLAN_PROTO_8021AD:
		return "802.1ad";
	}
	return NULL;
}

MVL_EXPORT int mvl_vlan_proto_from_string(const char *s)
{
	if (s && strcasecmp(s, "802.1Q") == 0)
		return MVL_VLAN_PROTO_8021Q;
	if (s && strcasecmp(s, "802.1ad") == 0)
		return MVL_VLAN_PROTO_8021AD;
	return -EINVAL;
}

/* ------------------------------------------------------------------ PFs */

/* A PF: a PCI function, or a device of another bus whose netdev has VFs
 * (netdevsim: its VFs are settings of the PF, with no device of their own). */
struct pf_ref {
	char addr[MVL_PCI_ADDR_LEN]; /* "" when the PF is not a PCI device */
	char ifname[IFNAMSIZ];       /* "" when the PF has no netdev */
	char dir[64];                /* its device directory below the sysfs root */
	int ifindex;
	unsigned flags;
};

static int pf_resolve(struct mvl_ctx *ctx, const char *pf, struct pf_ref *ret)
{
	struct pf_ref p = { .ifindex = 0 };
	char buf[MVL_PCI_ADDR_LEN];
	unsigned long total, num;
	int r;

	if (!pf)
		return mvl_fail(ctx, -EINVAL, "no PF given");
	if (mvl_pci_addr_parse(pf, p.addr) == 0) {
		if (!mvl_pci_exists(ctx, p.addr))
			return mvl_fail(ctx, -ENODEV, "no PCI device %s", p.addr);
	} else if (mvl_ifname_check(pf) == 0) {
		r = mvl_netdev_pci_addr(ctx, pf, p.addr);
		if (r == -ENODEV)
			return mvl_fail(ctx, r, "no network interface %s", pf);
		if (r == -ENOTTY) {
			/* no PCI function; a PF all the same if its device has VFs */
			p.addr[0] = '\0';
			snprintf(p.dir, sizeof(p.dir), "class/net/%s/device", pf);
			if (mvl_sysfs_read_ulong(ctx, &num, "%s/sriov_numvfs", p.dir) < 0)
				return mvl_fail(ctx, -EOPNOTSUPP,
						"%s is not a PCI device and its device has no "
						"sriov_numvfs: not an SR-IOV PF",
						pf);
		} else if (r < 0) {
			return mvl_fail(ctx, r, "cannot find the device of %s: %s", pf,
					MVL_STRERROR(r));
		}
		snprintf(p.ifname, sizeof(p.ifname), "%s", pf);
	} else {
		return mvl_fail(
			ctx, -EINVAL,
			"invalid PF '%s': give a netdev name (eno1) or a PCI address (0000:af:00.0)",
			pf);
	}
	if (p.addr[0]) {
		snprintf(p.dir, sizeof(p.dir), "bus/pci/devices/%s", p.addr);
		if (mvl_pci_link_addr(ctx, p.addr, "physfn", buf) == 0)
			return mvl_fail(ctx, -EOPNOTSUPP, "%s is a VF (of PF %s), not a PF",
					p.addr, buf);
		r = mvl_pci_read_ulong(ctx, p.addr, "sriov_totalvfs", &total);
		if (r == -ENOENT || (r == 0 && total == 0))
			return mvl_fail(ctx, -EOPNOTSUPP,
					"%s is not an SR-IOV PF (no VFs possible)", p.addr);
		if (r < 0)
			return mvl_fail(ctx, r, "cannot read sriov_totalvfs of %s: %s", p.addr,
					MVL_STRERROR(r));
	}
	if (!p.ifname[0]) {
		r = mvl_pf_ifindex(ctx, p.addr, p.ifname, sizeof(p.ifname));
		if (r < 0 && r != -ENODEV)
			return mvl_fail(ctx, r, "cannot read the netdev of %s: %s", p.addr,
					MVL_STRERROR(r));
	}
	if (p.ifname[0]) {
		r = mvl_netdev_info(ctx, p.ifname, &p.ifindex, &p.flags);
		if (r < 0)
			return mvl_fail(ctx, r, "cannot read netdev %s: %s", p.ifname,
					MVL_STRERROR(r));
	}
	*ret = p;
	return 0;
}

static const char *pf_name(const struct pf_ref *p)
{
	return p->ifname[0] ? p->ifname : p->addr;
}

/* The PF's lock: its PCI function, or its netdev (the settings of its VFs). */
static int pf_lock_take(struct mvl_ctx *ctx, const struct pf_ref *p, bool shared, int *ret_fd)
{
	if (p->addr[0])
		return mvl_lock_take(ctx, MVL_LOCK_PCI, p->addr, shared, true, ret_fd);
	return mvl_lock_take(ctx, MVL_LOCK_UPLINK, p->ifname, shared, true, ret_fd);
}

static int read_count(struct mvl_ctx *ctx, const struct pf_ref *p, const char *attr,
		      unsigned long *ret)
{
	int r = mvl_sysfs_read_ulong(ctx, ret, "%s/%s", p->dir, attr);

	return r < 0 ? mvl_fail(ctx, r, "cannot read %s of PF %s: %s", attr, pf_name(p),
				MVL_STRERROR(r)) :
		       0;
}

static const char *numvfs_hint(int err)
{
	switch (-err) {
	case ENOENT:
		return "the PF has no driver, or its driver cannot create VFs";
	case ENOMEM:
	case ENOSPC:
		return "not enough resources (bus numbers or MMIO space; check the firmware's "
		       "SR-IOV setting)";
	case EPERM:
		return "permission denied: this needs root";
	}
	return NULL;
}

MVL_EXPORT int mvl_sriov_enable(struct mvl_ctx *ctx, const char *pf, unsigned num_vfs)
{
	unsigned long total = ULONG_MAX, cur, autoprobe = 0;
	struct pf_ref p;
	char n[16];
	int lock = -1, r;

	r = mvl_ctx_enter(ctx);
	if (r < 0)
		return r;
	r = pf_resolve(ctx, pf, &p);
	if (r < 0)
		return r;
	if (num_vfs == 0)
		return mvl_fail(ctx, -EINVAL, "enabling 0 VFs on %s: use disable", pf_name(&p));
	r = pf_lock_take(ctx, &p, false, &lock);
	if (r < 0)
		return r;
	/* a PF that is no PCI function may not say (netdevsim: debugfs) */
	r = p.addr[0] ? read_count(ctx, &p, "sriov_totalvfs", &total) : 0;
	r = r ?: read_count(ctx, &p, "sriov_numvfs", &cur);
	if (r < 0)
		goto out;
	if (num_vfs > total) {
		r = mvl_fail(ctx, -ERANGE, "PF %s supports at most %lu VFs; %u requested",
			     pf_name(&p), total, num_vfs);
		goto out;
	}
	if (cur == num_vfs) {
		r = 0;
		goto out;
	}
	if (cur != 0) {
		r = mvl_fail(ctx, -EBUSY,
			     "PF %s already has %lu VFs; disable first (the kernel only "
			     "changes the number from 0)",
			     pf_name(&p), cur);
		goto out;
	}
	/* only PCI VFs are devices that a driver could probe */
	r = p.addr[0] ? read_count(ctx, &p, "sriov_drivers_autoprobe", &autoprobe) : 0;
	if (r < 0)
		goto out;
	if (autoprobe) {
		r = mvl_sysfs_write(ctx, "0", "%s/sriov_drivers_autoprobe", p.dir);
		if (r < 0) {
			r = mvl_fail_kernel(ctx, r, "cannot turn off VF autoprobe on %s",
					    pf_name(&p));
			goto out;
		}
	}
	snprintf(n, sizeof(n), "%u", num_vfs);
	r = mvl_sysfs_write(ctx, n, "%s/sriov_numvfs", p.dir);
	if (r < 0) {
		const char *hint = numvfs_hint(r);

		if (hint)
			mvl_fail(ctx, r, "cannot create %u VFs on %s: %s (%s)", num_vfs,
				 pf_name(&p), hint, MVL_STRERROR(r));
		else
			mvl_fail_kernel(ctx, r, "cannot create %u VFs on %s", num_vfs, pf_name(&p));
		if (autoprobe) {
			int u = mvl_sysfs_write(ctx, "1", "%s/sriov_drivers_autoprobe", p.dir);
			if (u < 0)
				mvl_undo_failed(ctx, "restore sriov_drivers_autoprobe=1 on %s: %s",
						pf_name(&p), MVL_STRERROR(u));
		}
		goto out;
	}
	info(ctx, "created %u VFs on %s", num_vfs, pf_name(&p));
	r = 1;
out:
	mvl_lock_drop(&lock);
	return r;
}

struct busy_vf {
	const struct pf_ref *pf;
	char addr[MVL_DEV_NAME_LEN];
	char vm[65];
};

static int busy_vf_cb(struct mvl_ctx *ctx, const char *addr, void *data)
{
	struct busy_vf *b = data;
	struct mvl_journal j;
	int r = mvl_journal_read(ctx, addr, &j);

	char pf[MVL_PCI_ADDR_LEN];

	if (r == -EBADMSG)
		return r; /* cannot tell whose: refuse */
	if (r < 0)
		return 0;
	/* a VF given as a whole device (mvl_pci_attach()) counts too */
	if (!b->pf->addr[0]) {
		if (j.mode != MVL_MODE_SRIOV || j.pf_addr[0] ||
		    strcmp(j.pf_ifname, b->pf->ifname) != 0)
			return 0;
	} else if (j.mode == MVL_MODE_SRIOV ? strcmp(j.pf_addr, b->pf->addr) != 0 :
					      mvl_pci_link_addr(ctx, j.addr, "physfn", pf) < 0 ||
						      strcmp(pf, b->pf->addr) != 0) {
		return 0;
	}
	snprintf(b->addr, sizeof(b->addr), "%s", j.addr);
	snprintf(b->vm, sizeof(b->vm), "%s", j.vm_id);
	return 1;
}

MVL_EXPORT int mvl_sriov_disable(struct mvl_ctx *ctx, const char *pf)
{
	struct pf_ref p;
	struct busy_vf b = { .pf = NULL };
	unsigned long cur;
	int lock = -1, r;

	r = mvl_ctx_enter(ctx);
	if (r < 0)
		return r;
	r = pf_resolve(ctx, pf, &p);
	if (r < 0)
		return r;
	r = pf_lock_take(ctx, &p, false, &lock);
	if (r < 0)
		return r;
	r = read_count(ctx, &p, "sriov_numvfs", &cur);
	if (r < 0 || cur == 0)
		goto out;
	b.pf = &p;
	r = mvl_journal_foreach(ctx, busy_vf_cb, &b);
	if (r < 0)
		goto out;
	if (r > 0) {
		r = mvl_fail(ctx, -EBUSY, "VF %s of PF %s is attached to VM %s; release it first",
			     b.addr, pf_name(&p), b.vm);
		goto out;
	}
	for (unsigned long i = 0; p.addr[0] && i < cur; i++) {
		char link[32], vf[MVL_PCI_ADDR_LEN], drv[64];

		snprintf(link, sizeof(link), "virtfn%lu", i);
		if (mvl_pci_link_addr(ctx, p.addr, link, vf) < 0 ||
		    mvl_pci_driver(ctx, vf, drv, sizeof(drv)) < 0)
			continue;
		if (strcmp(drv, "vfio-pci") == 0) {
			r = mvl_fail(ctx, -EBUSY,
				     "VF %s of PF %s is bound to vfio-pci by another "
				     "tool (no mvlink journal), maybe in use by a VM; unbind it "
				     "first",
				     vf, pf_name(&p));
			goto out;
		}
	}
	r = mvl_sysfs_write(ctx, "0", "%s/sriov_numvfs", p.dir);
	if (r < 0) {
		mvl_fail_kernel(ctx, r, "cannot remove the VFs of %s", pf_name(&p));
		goto out;
	}
	info(ctx, "removed the %lu VFs of %s", cur, pf_name(&p));
	r = 1;
out:
	mvl_lock_drop(&lock);
	return r;
}

/* ---------------------------------------------------------------- attach */

/* @in checked into @o: an older caller's shorter struct ends in zeros */
static int check_vf_opts(struct mvl_ctx *ctx, const struct mvl_vf_opts *in,
			 struct mvl_vf_opts *o)
{
	const unsigned known = MVL_VF_NO_VFIO | MVL_VF_FORCE | MVL_VF_VLAN | MVL_VF_MIN_RATE |
			       MVL_VF_MAX_RATE | MVL_VF_OWNER | MVL_VF_GROUP;

	if (!MVL_OPTS_VALID(in, struct mvl_vf_opts, pf))
		return mvl_fail(ctx, -EINVAL,
				"invalid struct mvl_vf_opts (size or trailing bytes)");
	memset(o, 0, sizeof(*o));
	memcpy(o, in, in->sz < sizeof(*o) ? in->sz : sizeof(*o));
	if (o->flags & ~known)
		return mvl_fail(ctx, -EINVAL, "unknown VF flags 0x%x", o->flags & ~known);
	if (mvl_vm_id_check(o->vm_id) < 0)
		return mvl_fail_vm_id(ctx, o->vm_id, NULL);
	if (!o->pf)
		return mvl_fail(ctx, -EINVAL, "no PF given");
	if (o->vf < -1)
		return mvl_fail(ctx, -EINVAL, "invalid VF index %d (0.., or -1 for the first free)",
				o->vf);
	if (o->mac && mvl_mac_check(o->mac) < 0) {
		char m[18];

		return mvl_fail(ctx, -EINVAL, "invalid VF MAC %s: multicast or all-zero",
				mvl_mac_format(o->mac, m));
	}
	if (!(o->flags & MVL_VF_VLAN) && (o->vlan || o->qos || o->vlan_proto))
		return mvl_fail(ctx, -EINVAL, "VLAN settings given without MVL_VF_VLAN");
	if (o->vlan > 4094)
		return mvl_fail(ctx, -EINVAL, "invalid VLAN %u (0..4094; 0 clears)", o->vlan);
	if (o->qos > 7)
		return mvl_fail(ctx, -EINVAL, "invalid QoS %u (0..7)", o->qos);
	if (o->qos && !o->vlan)
		return mvl_fail(ctx, -EINVAL, "QoS %u needs a VLAN id", o->qos);
	if ((unsigned)o->vlan_proto > MVL_VLAN_PROTO_8021AD)
		return mvl_fail(ctx, -EINVAL, "invalid VLAN protocol %d (802.1Q or 802.1ad)",
				(int)o->vlan_proto);
	if (o->vlan_proto == MVL_VLAN_PROTO_8021AD && !o->vlan)
		return mvl_fail(ctx, -EINVAL, "VLAN protocol 802.1ad needs a VLAN id");
	if ((unsigned)o->spoofchk > MVL_OFF || (unsigned)o->trust > MVL_OFF)
		return mvl_fail(ctx, -EINVAL, "invalid spoofchk/trust value (unset, on or off)");
	if ((unsigned)o->query_rss > MVL_OFF)
		return mvl_fail(ctx, -EINVAL, "invalid query-rss value %d (unset, on or off)",
				(int)o->query_rss);
	if ((unsigned)o->link_state > MVL_VF_LINK_DISABLE)
		return mvl_fail(ctx, -EINVAL, "invalid link state %d (auto, enable or disable)",
				(int)o->link_state);
	if ((!(o->flags & MVL_VF_MIN_RATE) && o->min_tx_rate) ||
	    (!(o->flags & MVL_VF_MAX_RATE) && o->max_tx_rate))
		return mvl_fail(ctx, -EINVAL, "a tx rate given without MVL_VF_MIN_RATE/MAX_RATE");
	if ((o->flags & MVL_VF_MIN_RATE) && (o->flags & MVL_VF_MAX_RATE) && o->max_tx_rate &&
	    o->min_tx_rate > o->max_tx_rate)
		return mvl_fail(ctx, -EINVAL, "min tx rate %u Mbps above max tx rate %u Mbps",
				o->min_tx_rate, o->max_tx_rate);
	if ((o->flags & MVL_VF_NO_VFIO) && (o->flags & (MVL_VF_OWNER | MVL_VF_GROUP)))
		return mvl_fail(
			ctx, -EINVAL,
			"owner/group apply to /dev/vfio, which MVL_VF_NO_VFIO does not use");
	if (((o->flags & MVL_VF_OWNER) && o->owner == (uid_t)-1) ||
	    ((o->flags & MVL_VF_GROUP) && o->group == (gid_t)-1))
		return mvl_fail(ctx, -EINVAL, "invalid owner or group -1");
	return 0;
}

struct vf_pick {
	struct pf_ref pf;
	int index;
	char addr[MVL_DEV_NAME_LEN]; /* PCI address, or "<pf>:vf<N>" */
	int lock;
};

/* Whether VF @addr can be taken: 0 yes, or -EBUSY with a message. */
static int vf_free(struct mvl_ctx *ctx, const char *addr, int index, const char *pf)
{
	struct mvl_journal j;
	char drv[64];
	int r;

	r = mvl_journal_read(ctx, addr, &j);
	if (r == 0)
		return mvl_fail(ctx, -EBUSY,
				"VF %d (%s) of %s is attached to VM %s; release it first", index,
				addr, pf, j.vm_id);
	if (r != -ENOENT)
		return r;
	if (mvl_dev_lock_kind(addr) == MVL_LOCK_VF)
		return 0; /* no device, no driver */
	r = mvl_pci_driver(ctx, addr, drv, sizeof(drv));
	if (r < 0)
		return mvl_fail(ctx, r, "cannot read the driver of %s: %s", addr, MVL_STRERROR(r));
	if (strcmp(drv, "vfio-pci") == 0)
		return mvl_fail(ctx, -EBUSY,
				"VF %d (%s) of %s is bound to vfio-pci by another tool "
				"(no mvlink journal); not taking it",
				index, addr, pf);
	return 0;
}

/* Choose the VF and take its lock (p->lock). */
static int pick_vf(struct mvl_ctx *ctx, const struct mvl_vf_opts *o, struct vf_pick *p)
{
	const char *pf = pf_name(&p->pf);
	unsigned long num;
	int r;

	r = read_count(ctx, &p->pf, "sriov_numvfs", &num);
	if (r < 0)
		return r;
	if (num == 0)
		return mvl_fail(ctx, -ENODEV,
				"PF %s has no VFs; enable them first (mvlink sriov enable %s N)",
				pf, pf);
	if (o->vf >= 0 && (unsigned long)o->vf >= num)
		return mvl_fail(ctx, -ENODEV, "PF %s has %lu VFs (0..%lu); there is no VF %d", pf,
				num, num - 1, o->vf);
	for (unsigned long i = o->vf >= 0 ? (unsigned long)o->vf : 0; i < num; i++) {
		char link[32];

		if (!p->pf.addr[0]) {
			/* named after its PF: it has no device of its own */
			int n = snprintf(p->addr, sizeof(p->addr), "%s:vf%lu", p->pf.ifname, i);

			if (n < 0 || (size_t)n >= sizeof(p->addr) || i > MVL_VF_INDEX_MAX)
				return mvl_fail(ctx, -ERANGE, "VF %lu of %s: index out of range", i,
						pf);
		} else {
			snprintf(link, sizeof(link), "virtfn%lu", i);
			r = mvl_pci_link_addr(ctx, p->pf.addr, link, p->addr);
			if (r < 0)
				return mvl_fail(ctx, r == -ENOENT ? -ENODEV : r,
						"cannot find VF %lu of %s (%s): %s", i, pf, link,
						MVL_STRERROR(r));
		}
		/* an explicit VF waits for its lock; the search skips busy ones */
		r = mvl_lock_take(ctx, mvl_dev_lock_kind(p->addr), p->addr, false, o->vf >= 0,
				  &p->lock);
		if (r == 0) {
			r = vf_free(ctx, p->addr, (int)i, pf);
			if (r == 0) {
				p->index = (int)i;
				return 0;
			}
			mvl_lock_drop(&p->lock);
		}
		if (o->vf >= 0)
			return r;
		/* taken, or with a corrupt journal: certainly not free */
		if (r == -EBADMSG)
			warn(ctx, "%s", mvl_ctx_get_error(ctx));
		else if (r != -EBUSY)
			return r;
	}
	return mvl_fail(ctx, -EBUSY, "all %lu VFs of %s are in use", num, pf);
}

static int vf_orig_state(struct mvl_ctx *ctx, const struct vf_pick *p, unsigned mask,
			 struct mvl_journal *j)
{
	unsigned unknown;
	int r;

	if (!p->pf.ifindex) {
		if (mask)
			return mvl_fail(
				ctx, -EOPNOTSUPP,
				"PF %s has no network interface; VF attributes (%s...) cannot be set",
				p->pf.addr, mvl_vf_attr_name(mask & -mask));
		return 0;
	}
	r = mvl_nl_vf_get(ctx, p->pf.ifindex, p->index, &j->vf_orig);
	if (r == -ENODEV)
		return mvl_fail(ctx, r, "PF %s does not report VF %d", p->pf.ifname, p->index);
	if (r < 0)
		return mvl_fail_kernel(ctx, r, "cannot read VF %d of %s", p->index, p->pf.ifname);
	unknown = mvl_vf_unknown(&j->vf_orig, mask);
	if (unknown)
		return mvl_fail(ctx, -EOPNOTSUPP,
				"the driver of PF %s does not report "
				"VF %s, so it could not be restored; not changing it",
				p->pf.ifname, mvl_vf_attr_name(unknown));
	return 0;
}

MVL_EXPORT int mvl_vf_attach(struct mvl_ctx *ctx, const struct mvl_vf_opts *opts,
			     struct mvl_iface **ret_iface)
{
	struct mvl_vf_opts oc;
	const struct mvl_vf_opts *o = &oc;
	struct vf_pick p = { .lock = -1 };
	struct mvl_journal j = { .mode = MVL_MODE_SRIOV, .state = MVL_J_ATTACHING };
	struct mvl_vf_state want;
	int pf_lock = -1, r;
	unsigned mask;

	r = mvl_ctx_enter(ctx);
	if (r < 0)
		return r;
	if (!ret_iface)
		return mvl_fail(ctx, -EINVAL, "ret_iface is NULL");
	r = check_vf_opts(ctx, opts, &oc);
	if (r < 0)
		return r;
	r = pf_resolve(ctx, o->pf, &p.pf);
	if (r < 0)
		return r;
	if (!p.pf.addr[0] && !(o->flags & MVL_VF_NO_VFIO))
		return mvl_fail(ctx, -EOPNOTSUPP,
				"PF %s is not a PCI device, so its VFs are no PCI functions "
				"that vfio-pci could take; only their settings can be given "
				"(MVL_VF_NO_VFIO, mvlink --no-vfio)",
				p.pf.ifname);
	if (p.pf.ifindex && !(p.pf.flags & IFF_UP))
		return mvl_fail(ctx, -ENETDOWN,
				"PF %s is down: the VF settings would be ignored; "
				"bring it up first (ip link set %s up)",
				p.pf.ifname, p.pf.ifname);
	r = pf_lock_take(ctx, &p.pf, true, &pf_lock);
	if (r < 0)
		return r;
	r = pick_vf(ctx, o, &p);
	if (r < 0)
		goto out;

	/* everything the restore needs, before the first change */
	snprintf(j.addr, sizeof(j.addr), "%s", p.addr);
	snprintf(j.vm_id, sizeof(j.vm_id), "%s", o->vm_id);
	snprintf(j.pf_addr, sizeof(j.pf_addr), "%s", p.pf.addr);
	snprintf(j.pf_ifname, sizeof(j.pf_ifname), "%s", p.pf.ifname);
	j.vf = p.index;
	j.vfio = !(o->flags & MVL_VF_NO_VFIO);
	j.iommu_group = -1;
	j.vf_orig.vf = p.index;
	r = 0;
	if (p.pf.addr[0]) {
		r = mvl_pci_driver(ctx, p.addr, j.driver, sizeof(j.driver));
		if (r == 0)
			r = mvl_pci_driver_override(ctx, p.addr, j.driver_override,
						    sizeof(j.driver_override));
	}
	if (r < 0) {
		r = mvl_fail(ctx, r, "cannot read the driver of VF %s: %s", p.addr,
			     MVL_STRERROR(r));
		goto out;
	}
	mask = mvl_vf_wanted(o, &j.vf_orig, &want); /* which ones; values below */
	r = vf_orig_state(ctx, &p, mask, &j);
	if (r < 0)
		goto out;
	mask = mvl_vf_wanted(o, &j.vf_orig, &want);
	if (want.max_tx_rate && want.min_tx_rate > want.max_tx_rate) {
		r = mvl_fail(ctx, -EINVAL,
			     "min tx rate %u Mbps would exceed VF %d's max tx rate %u Mbps",
			     want.min_tx_rate, p.index, want.max_tx_rate);
		goto out;
	}
	j.vf_changes = mask;
	if (j.vfio) {
		r = mvl_vfio_check(ctx, p.addr, o->flags & MVL_VF_FORCE);
		if (r < 0)
			goto out;
		j.iommu_group = r;
	} else {
		r = p.pf.addr[0] ? mvl_pci_iommu_group(ctx, p.addr) : -1;
		j.iommu_group = r >= 0 ? r : -1;
	}
	r = mvl_journal_write(ctx, &j);
	if (r < 0)
		goto out;

	r = mvl_vf_apply_attrs(ctx, p.pf.ifindex, p.pf.ifname, p.index, mask, &want);
	r = mvl_vfio_attach_finish(ctx, &j, r,
				   (o->flags & MVL_VF_OWNER) ? (long long)o->owner : -1,
				   (o->flags & MVL_VF_GROUP) ? (long long)o->group : -1, ret_iface);
	if (r < 0)
		goto out;
	info(ctx, "attached VF %d (%s) of %s to VM %s", p.index, p.addr, pf_name(&p.pf), o->vm_id);
out:
	mvl_lock_drop(&p.lock);
	mvl_lock_drop(&pf_lock);
	return r;
}

/* ---------------------------------------------------------------- listing */

struct mvl_sriov_vf {
	unsigned index;
	char addr[MVL_DEV_NAME_LEN]; /* PCI address, or "<pf>:vf<N>" */
	char driver[64];
	int iommu_group;
	char vm_id[65];
	bool has_attrs;
	struct mvl_vf_state st;
};

struct mvl_sriov_pf {
	char addr[MVL_PCI_ADDR_LEN]; /* "" when it is no PCI device */
	char ifname[IFNAMSIZ];
	char dir[64];
	struct mvl_pci_info info;
	unsigned total, num;
	struct mvl_sriov_vf *vfs;
};

struct mvl_sriov_list {
	size_t n, cap;
	struct mvl_sriov_pf *pfs;
};

MVL_EXPORT struct mvl_sriov_list *mvl_sriov_list_free(struct mvl_sriov_list *list)
{
	if (!list)
		return NULL;
	for (size_t i = 0; i < list->n; i++)
		free(list->pfs[i].vfs);
	free(list->pfs);
	free(list);
	return NULL;
}

static int fill_pf(struct mvl_ctx *ctx, struct mvl_pci *pci, struct mvl_sriov_pf *pf)
{
	struct pf_ref ref = { .ifindex = 0 };
	struct mvl_vf_state *vfs = NULL;
	unsigned long total = 0, num = 0;
	unsigned flags;
	size_t nvfs = 0;
	int r, ifindex;

	snprintf(ref.addr, sizeof(ref.addr), "%s", pf->addr);
	snprintf(ref.dir, sizeof(ref.dir), "%s", pf->dir);
	/* a PF that is no PCI function may not say (netdevsim): 0 */
	r = pf->addr[0] ? read_count(ctx, &ref, "sriov_totalvfs", &total) : 0;
	r = r ?: read_count(ctx, &ref, "sriov_numvfs", &num);
	if (r < 0)
		return r;
	pf->total = (unsigned)total;
	pf->num = (unsigned)num;
	/* identity is for people: without libpci's answer, just no names */
	if (!pci || !pf->addr[0] || mvl_pci_identify(ctx, pci, pf->addr, true, &pf->info) < 0) {
		memset(&pf->info, 0, sizeof(pf->info));
		pf->info.iommu_group = pf->info.numa_node = -1;
		mvl_sysfs_link_base(ctx, pf->info.driver, sizeof(pf->info.driver), "%s/driver",
				    pf->dir);
	}
	if (pf->addr[0])
		ifindex = mvl_pf_ifindex(ctx, pf->addr, pf->ifname, sizeof(pf->ifname));
	else if (mvl_netdev_info(ctx, pf->ifname, &ifindex, &flags) < 0)
		ifindex = -ENODEV;
	if (ifindex < 0 && ifindex != -ENODEV)
		return mvl_fail(ctx, ifindex, "cannot read the netdev of %s: %s", pf->addr,
				MVL_STRERROR(ifindex));
	if (ifindex > 0) {
		r = mvl_nl_vf_get_all(ctx, ifindex, &vfs, &nvfs);
		if (r < 0)
			return mvl_fail_kernel(ctx, r, "cannot read the VFs of %s", pf->ifname);
	}
	pf->vfs = calloc(num ? num : 1, sizeof(*pf->vfs));
	if (!pf->vfs) {
		free(vfs);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < num; i++) {
		struct mvl_sriov_vf *vf = &pf->vfs[i];
		struct mvl_journal j;
		char link[32];

		vf->index = i;
		vf->iommu_group = -1;
		snprintf(link, sizeof(link), "virtfn%u", i);
		if (!pf->addr[0]) {
			/* named after its PF (see mvl_vf_attach()); no device */
			if (snprintf(vf->addr, sizeof(vf->addr), "%s:vf%u", pf->ifname, i) <
				    (int)sizeof(vf->addr) &&
			    mvl_journal_read(ctx, vf->addr, &j) == 0)
				snprintf(vf->vm_id, sizeof(vf->vm_id), "%s", j.vm_id);
		} else if (mvl_pci_link_addr(ctx, pf->addr, link, vf->addr) == 0) {
			mvl_pci_driver(ctx, vf->addr, vf->driver, sizeof(vf->driver));
			r = mvl_pci_iommu_group(ctx, vf->addr);
			vf->iommu_group = r >= 0 ? r : -1;
			if (mvl_journal_read(ctx, vf->addr, &j) == 0)
				snprintf(vf->vm_id, sizeof(vf->vm_id), "%s", j.vm_id);
		}
		for (size_t k = 0; k < nvfs; k++)
			if (vfs[k].vf == (int)i) {
				vf->st = vfs[k];
				vf->has_attrs = true;
			}
	}
	free(vfs);
	mvl_ctx_clear_error(ctx);
	return 0;
}

static int list_add_pf(struct mvl_sriov_list *list, const struct pf_ref *ref)
{
	struct mvl_sriov_pf *pf;

	pf = mvl_grow(list->pfs, &list->cap, list->n, sizeof(*pf), 8);
	if (!pf)
		return -ENOMEM;
	list->pfs = pf;
	pf = &list->pfs[list->n++];
	memset(pf, 0, sizeof(*pf));
	snprintf(pf->addr, sizeof(pf->addr), "%s", ref->addr);
	snprintf(pf->ifname, sizeof(pf->ifname), "%s", ref->ifname);
	snprintf(pf->dir, sizeof(pf->dir), "%s", ref->dir);
	return 0;
}

/* PCI PFs by address first, then the others by netdev name */
static int pf_cmp(const void *a, const void *b)
{
	const struct mvl_sriov_pf *x = a, *y = b;

	if (!x->addr[0] != !y->addr[0])
		return x->addr[0] ? -1 : 1;
	return x->addr[0] ? strcmp(x->addr, y->addr) : strcmp(x->ifname, y->ifname);
}

/* Netdevs that are no PCI function but whose device has VFs (netdevsim). */
static int scan_netdev_pfs(struct mvl_ctx *ctx, struct mvl_sriov_list *list)
{
	char path[PATH_MAX], addr[MVL_PCI_ADDR_LEN];
	struct dirent *de;
	DIR *d;
	int r = 0;

	r = mvl_sysfs_path(ctx, path, sizeof(path), "class/net");
	if (r < 0)
		return r;
	d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while (r == 0 && (de = readdir(d))) {
		struct pf_ref ref = { .addr = "" };
		unsigned long num;

		if (de->d_name[0] == '.' || mvl_ifname_check(de->d_name) < 0 ||
		    mvl_netdev_pci_addr(ctx, de->d_name, addr) != -ENOTTY)
			continue;
		/* (a valid name fits both) */
		if (snprintf(ref.ifname, sizeof(ref.ifname), "%s", de->d_name) < 0 ||
		    snprintf(ref.dir, sizeof(ref.dir), "class/net/%s/device", de->d_name) < 0)
			continue;
		if (mvl_sysfs_read_ulong(ctx, &num, "%s/sriov_numvfs", ref.dir) == 0)
			r = list_add_pf(list, &ref);
	}
	closedir(d);
	return r;
}

static int scan_pfs(struct mvl_ctx *ctx, struct mvl_sriov_list *list)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int r = 0, fd;

	r = mvl_sysfs_path(ctx, path, sizeof(path), "bus/pci/devices");
	if (r < 0)
		return r;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return mvl_fail(ctx, -errno, "cannot read %s: %s", path, MVL_STRERROR(errno));
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while (r == 0 && (de = readdir(d))) {
		struct pf_ref ref = { .ifindex = 0 };
		unsigned long total;

		if (mvl_pci_addr_parse(de->d_name, ref.addr) < 0 ||
		    strcmp(ref.addr, de->d_name) != 0 ||
		    mvl_pci_read_ulong(ctx, ref.addr, "sriov_totalvfs", &total) < 0 || total == 0)
			continue;
		snprintf(ref.dir, sizeof(ref.dir), "bus/pci/devices/%s", ref.addr);
		r = list_add_pf(list, &ref);
	}
	closedir(d);
	if (r == 0)
		r = scan_netdev_pfs(ctx, list);
	if (list->n)
		qsort(list->pfs, list->n, sizeof(list->pfs[0]), pf_cmp);
	return r;
}

MVL_EXPORT int mvl_sriov_list_new(struct mvl_ctx *ctx, const char *pf,
				  struct mvl_sriov_list **ret_list)
{
	struct mvl_sriov_list *list;
	struct mvl_pci *pci = NULL;
	int r;

	r = mvl_ctx_enter(ctx);
	if (r < 0)
		return r;
	if (!ret_list)
		return mvl_fail(ctx, -EINVAL, "ret_list is NULL");
	list = calloc(1, sizeof(*list));
	if (!list)
		return -ENOMEM;
	if (pf) {
		struct pf_ref p;

		r = pf_resolve(ctx, pf, &p);
		if (r == 0)
			r = list_add_pf(list, &p);
	} else {
		r = scan_pfs(ctx, list);
	}
	if (r == 0 && list->n && mvl_pci_open(ctx, &pci) < 0)
		pci = NULL; /* names are optional */
	for (size_t i = 0; r == 0 && i < list->n; i++)
		r = fill_pf(ctx, pci, &list->pfs[i]);
	mvl_pci_close(pci);
	if (r < 0) {
		mvl_sriov_list_free(list);
		return r == -ENOMEM ? mvl_fail(ctx, r, "out of memory") : r;
	}
	*ret_list = list;
	return 0;
}

MVL_EXPORT size_t mvl_sriov_list_count(const struct mvl_sriov_list *list)
{
	return list ? list->n : 0;
}

MVL_EXPORT const struct mvl_sriov_pf *mvl_sriov_list_get(const struct mvl_sriov_list *list,
							 size_t i)
{
	return list && i < list->n ? &list->pfs[i] : NULL;
}

static const char *str_or_null(const char *s)
{
	return s && s[0] ? s : NULL;
}

MVL_EXPORT const char *mvl_sriov_pf_get_addr(const struct mvl_sriov_pf *pf)
{
	return pf ? str_or_null(pf->addr) : NULL;
}

MVL_EXPORT const char *mvl_sriov_pf_get_ifname(const struct mvl_sriov_pf *pf)
{
	return pf ? str_or_null(pf->ifname) : NULL;
}

MVL_EXPORT const char *mvl_sriov_pf_get_driver(const struct mvl_sriov_pf *pf)
{
	return pf ? str_or_null(pf->info.driver) : NULL;
}

MVL_EXPORT unsigned mvl_sriov_pf_get_vendor_id(const struct mvl_sriov_pf *pf)
{
	return pf ? pf->info.vendor_id : 0;
}

MVL_EXPORT unsigned mvl_sriov_pf_get_device_id(const struct mvl_sriov_pf *pf)
{
	return pf ? pf->info.device_id : 0;
}

MVL_EXPORT const char *mvl_sriov_pf_get_vendor_name(const struct mvl_sriov_pf *pf)
{
	return pf ? str_or_null(pf->info.vendor_name) : NULL;
}

MVL_EXPORT const char *mvl_sriov_pf_get_device_name(const struct mvl_sriov_pf *pf)
{
	return pf ? str_or_null(pf->info.device_name) : NULL;
}

MVL_EXPORT int mvl_sriov_pf_get_numa_node(const struct mvl_sriov_pf *pf)
{
	return pf ? pf->info.numa_node : -1;
}

MVL_EXPORT unsigned mvl_sriov_pf_get_total_vfs(const struct mvl_sriov_pf *pf)
{
	return pf ? pf->total : 0;
}

MVL_EXPORT unsigned mvl_sriov_pf_get_num_vfs(const struct mvl_sriov_pf *pf)
{
	return pf ? pf->num : 0;
}

MVL_EXPORT const struct mvl_sriov_vf *mvl_sriov_pf_get_vf(const struct mvl_sriov_pf *pf, unsigned i)
{
	return pf && i < pf->num ? &pf->vfs[i] : NULL;
}

MVL_EXPORT unsigned mvl_sriov_vf_get_index(const struct mvl_sriov_vf *vf)
{
	return vf ? vf->index : 0;
}

MVL_EXPORT const char *mvl_sriov_vf_get_addr(const struct mvl_sriov_vf *vf)
{
	return vf ? str_or_null(vf->addr) : NULL;
}

MVL_EXPORT const char *mvl_sriov_vf_get_driver(const struct mvl_sriov_vf *vf)
{
	return vf ? str_or_null(vf->driver) : NULL;
}

MVL_EXPORT int mvl_sriov_vf_get_iommu_group(const struct mvl_sriov_vf *vf)
{
	return vf ? vf->iommu_group : -1;
}

MVL_EXPORT const char *mvl_sriov_vf_get_vm_id(const struct mvl_sriov_vf *vf)
{
	return vf ? str_or_null(vf->vm_id) : NULL;
}

static bool vf_has(const struct mvl_sriov_vf *vf, unsigned a)
{
	return vf && vf->has_attrs && (vf->st.have & a);
}

MVL_EXPORT const uint8_t *mvl_sriov_vf_get_mac(const struct mvl_sriov_vf *vf)
{
	return vf_has(vf, MVL_VF_A_MAC) ? vf->st.mac : NULL;
}

MVL_EXPORT int mvl_sriov_vf_get_vlan(const struct mvl_sriov_vf *vf)
{
	return vf_has(vf, MVL_VF_A_VLAN) ? (int)vf->st.vlan : -1;
}

MVL_EXPORT int mvl_sriov_vf_get_qos(const struct mvl_sriov_vf *vf)
{
	return vf_has(vf, MVL_VF_A_VLAN) ? (int)vf->st.qos : -1;
}

MVL_EXPORT enum mvl_vlan_proto mvl_sriov_vf_get_vlan_proto(const struct mvl_sriov_vf *vf)
{
	if (!vf_has(vf, MVL_VF_A_VLAN))
		return MVL_VLAN_PROTO_DEFAULT;
	return vf->st.vlan_proto == ETH_P_8021AD ? MVL_VLAN_PROTO_8021AD : MVL_VLAN_PROTO_8021Q;
}

static enum mvl_tristate tri(int v)
{
	return v < 0 ? MVL_UNSET : v ? MVL_ON : MVL_OFF;
}

MVL_EXPORT enum mvl_tristate mvl_sriov_vf_get_spoofchk(const struct mvl_sriov_vf *vf)
{
	return vf_has(vf, MVL_VF_A_SPOOFCHK) ? tri(vf->st.spoofchk) : MVL_UNSET;
}

MVL_EXPORT enum mvl_tristate mvl_sriov_vf_get_trust(const struct mvl_sriov_vf *vf)
{
	return vf_has(vf, MVL_VF_A_TRUST) ? tri(vf->st.trust) : MVL_UNSET;
}

MVL_EXPORT enum mvl_tristate mvl_sriov_vf_get_query_rss(const struct mvl_sriov_vf *vf)
{
	return vf_has(vf, MVL_VF_A_QUERY_RSS) ? tri(vf->st.query_rss) : MVL_UNSET;
}

MVL_EXPORT enum mvl_vf_link_state mvl_sriov_vf_get_link_state(const struct mvl_sriov_vf *vf)
{
	if (!vf_has(vf, MVL_VF_A_LINK_STATE))
		return MVL_VF_LINK_UNSET;
	return (enum mvl_vf_link_state)(vf->st.link_state + 1);
}

MVL_EXPORT long mvl_sriov_vf_get_min_tx_rate(const struct mvl_sriov_vf *vf)
{
	return vf_has(vf, MVL_VF_A_RATE) ? (long)vf->st.min_tx_rate : -1;
}

MVL_EXPORT long mvl_sriov_vf_get_max_tx_rate(const struct mvl_sriov_vf *vf)
{
	return vf_has(vf, MVL_VF_A_RATE) ? (long)vf->st.max_tx_rate : -1;
}
