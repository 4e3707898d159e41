// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * pcidev.c - giving a whole PCI device to a VM (mvl_pci_attach()).
 *
 * Order (undone in reverse by mvl_vfio_restore()):
 *   0. checks: options, the device, under its lock (a VF's PF shared
 *      first, see mvl_sriov_disable()): no journal yet, not a bridge, no
 *      VFs enabled, not on vfio-pci already, vfio viability (vfio.c)
 *   1. journal (state "attaching"): its original driver and driver_override
 *   2. vfio-pci bind and chown, journal state "attached" (vfio.c)
 */
#include "devices.h"

static int check_pci_opts(struct mvl_ctx *ctx, const struct mvl_pci_opts *o, char *addr)
{
	const unsigned known = MVL_PCI_FORCE | MVL_PCI_OWNER | MVL_PCI_GROUP;

	if (!MVL_OPTS_VALID(o, struct mvl_pci_opts, device))
		return mvl_fail(ctx, -EINVAL,
				"invalid struct mvl_pci_opts (size or trailing bytes)");
	if (o->flags & ~known)
		return mvl_fail(ctx, -EINVAL, "unknown PCI flags 0x%x", o->flags & ~known);
	if (mvl_vm_id_check(o->vm_id) < 0)
		return mvl_fail_vm_id(ctx, o->vm_id, NULL);
	if (mvl_pci_addr_parse(o->device, addr) < 0)
		return mvl_fail(ctx, -EINVAL, "invalid PCI address '%s' (e.g. 0000:af:00.0)",
				o->device ? o->device : "");
	if (((o->flags & MVL_PCI_OWNER) && o->owner == (uid_t)-1) ||
	    ((o->flags & MVL_PCI_GROUP) && o->group == (gid_t)-1))
		return mvl_fail(ctx, -EINVAL, "invalid owner or group -1");
	return 0;
}

MVL_EXPORT int mvl_pci_attach(struct mvl_ctx *ctx, const struct mvl_pci_opts *o,
			      struct mvl_iface **ret_iface)
{
	struct mvl_journal j = {
		.mode = MVL_MODE_PCI, .state = MVL_J_ATTACHING, .vfio = true, .vf = -1
	};
	struct mvl_journal old;
	char pf[MVL_PCI_ADDR_LEN];
	unsigned long num, cls;
	int lock = -1, pf_lock = -1, r;

	r = mvl_ctx_enter(ctx);
	if (r < 0)
		return r;
	if (!ret_iface)
		return mvl_fail(ctx, -EINVAL, "ret_iface is NULL");
	r = check_pci_opts(ctx, o, j.addr);
	if (r < 0)
		return r;
	snprintf(j.vm_id, sizeof(j.vm_id), "%s", o->vm_id);
	if (!mvl_pci_exists(ctx, j.addr))
		return mvl_fail(ctx, -ENODEV, "no PCI device %s", j.addr);
	/* a VF: its PF may not lose its VFs meanwhile (see mvl_sriov_disable()) */
	if (mvl_pci_link_addr(ctx, j.addr, "physfn", pf) == 0) {
		r = mvl_lock_take(ctx, MVL_LOCK_PCI, pf, true, true, &pf_lock);
		if (r < 0)
			return r;
	}
	r = mvl_lock_take(ctx, MVL_LOCK_PCI, j.addr, false, true, &lock);
	if (r < 0)
		goto out;
	r = mvl_journal_read(ctx, j.addr, &old);
	if (r == 0)
		r = mvl_fail(ctx, -EBUSY, "%s is attached to VM %s; release it first", j.addr,
			     old.vm_id);
	else if (r == -ENOENT)
		r = 0;
	if (r < 0)
		goto out;
	if (mvl_pci_read_ulong(ctx, j.addr, "class", &cls) == 0 && (cls >> 8) == 0x0604) {
		r = mvl_fail(ctx, -EINVAL, "%s is a PCI bridge; vfio-pci takes endpoints only",
			     j.addr);
		goto out;
	}
	if (mvl_pci_read_ulong(ctx, j.addr, "sriov_numvfs", &num) == 0 && num > 0) {
		r = mvl_fail(ctx, -EBUSY,
			     "%s has %lu VFs enabled; disable them first (its driver "
			     "would take them away when it lets go)",
			     j.addr, num);
		goto out;
	}
	r = mvl_pci_driver(ctx, j.addr, j.driver, sizeof(j.driver));
	if (r == 0)
		r = mvl_pci_driver_override(ctx, j.addr, j.driver_override,
					    sizeof(j.driver_override));
	if (r < 0) {
		r = mvl_fail(ctx, r, "cannot read the driver of %s: %s", j.addr, MVL_STRERROR(r));
		goto out;
	}
	if (strcmp(j.driver, "vfio-pci") == 0) {
		r = mvl_fail(
			ctx, -EBUSY,
			"%s is bound to vfio-pci by another tool (no mvlink journal); not taking it",
			j.addr);
		goto out;
	}
	r = mvl_vfio_check(ctx, j.addr, o->flags & MVL_PCI_FORCE);
	if (r < 0)
		goto out;
	j.iommu_group = r;
	r = mvl_journal_write(ctx, &j);
	if (r < 0)
		goto out;
	r = mvl_vfio_attach_finish(
		ctx, &j, 0, (o->flags & MVL_PCI_OWNER) ? (long long)o->owner : -1,
		(o->flags & MVL_PCI_GROUP) ? (long long)o->group : -1, ret_iface);
	if (r < 0)
		goto out;
	info(ctx, "attached %s to VM %s", j.addr, o->vm_id);
out:
	mvl_lock_drop(&lock);
	mvl_lock_drop(&pf_lock);
	return r;
}
