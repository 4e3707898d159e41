/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/devices.h - layer 5 (devices): PCI devices given to VMs (vf.c,
 * vfio.c, pcidev.c, sriov.c).  See lib/base.h.
 */
#ifndef MVLINK_DEVICES_H
#define MVLINK_DEVICES_H

#include "kinds.h"

/* ---- vf.c: the VF attribute table ------------------------------------- */
/* The bit of row @i of the table (attach order), 0 past its end. */
unsigned mvl_vf_attr_bit(size_t i);
/* The attributes @o asks for (MVL_VF_A_*) and their values in @want, whose
 * other fields are @cur's (so a rate keeps the current other rate). */
unsigned mvl_vf_wanted(const struct mvl_vf_opts *o, const struct mvl_vf_state *cur,
		       struct mvl_vf_state *want);
/* The first attribute of @mask whose value @orig does not know (so that
 * it could not be restored), or 0. */
unsigned mvl_vf_unknown(const struct mvl_vf_state *orig, unsigned mask);
/* Set the attributes of @mask of VF @vf to @want's values, one request each
 * in attach order, then read them back.  No undo: see below. */
int mvl_vf_apply_attrs(struct mvl_ctx *ctx, int pf_ifindex, const char *pf_ifname, int vf,
		       unsigned mask, const struct mvl_vf_state *want);
/* Restore the VF attributes of @j that differ from the journal (the admin
 * MAC always), in reverse order of the attach; the PF found by j->pf_addr,
 * or given (_on). */
int mvl_vf_restore_attrs(struct mvl_ctx *ctx, const struct mvl_journal *j);
int mvl_vf_restore_attrs_on(struct mvl_ctx *ctx, int pf_ifindex, const char *pf_ifname,
			    const struct mvl_journal *j);
/* The ifindex of the PF at @pf_addr's netdev (first one), or -ENODEV. */
int mvl_pf_ifindex(struct mvl_ctx *ctx, const char *pf_addr, char *ifname, size_t len);

/* ---- vfio.c: binding to vfio-pci and restoring from a journal -------- */
/* Checks before binding @addr: vfio-pci present (modprobe), an IOMMU group
 * whose other devices are on no host driver, not the default-route device
 * (unless @force).  Returns the IOMMU group or -errno. */
int mvl_vfio_check(struct mvl_ctx *ctx, const char *addr, bool force);
/* Bind j->addr to vfio-pci (driver_override, unbind, drivers_probe,
 * verify) and chown its /dev/vfio node when @owner/@group >= 0 (the
 * original owner journaled first).  Undone by mvl_vfio_restore(). */
int mvl_vfio_bind(struct mvl_ctx *ctx, struct mvl_journal *j, long long owner, long long group);
/* Bring the device back to what @j recorded, in reverse order: devnode
 * ownership, driver (vfio-pci unbound, original driver probed),
 * driver_override, VF attributes.  Only what differs is touched.  0 or
 * -errno (with a message). */
int mvl_vfio_restore(struct mvl_ctx *ctx, const struct mvl_journal *j);
/* Release the device @addr: 1 released, 0 nothing journaled, -errno. */
int mvl_vfio_release(struct mvl_ctx *ctx, const char *addr);
/* Release every device of @vm_id; the number released or the first error. */
int mvl_vfio_release_vm(struct mvl_ctx *ctx, const char *vm_id);
/* Add the journaled devices (of @vm_id, or all) to @list. */
int mvl_vfio_list(struct mvl_ctx *ctx, const char *vm_id, struct mvl_iface_list *list);
/* The interface a journal describes. */
int mvl_vfio_iface(struct mvl_ctx *ctx, const struct mvl_journal *j, struct mvl_iface **ret);
/* The last steps of an attach (sriov.c, pcidev.c), @r being how the
 * earlier ones went: bind to vfio-pci (when the journal says so), mark the
 * journal attached, make the interface; on any failure everything is
 * undone from the journal (kept, with the undo's error logged, when the
 * undo fails) and the first error returned with its message. */
int mvl_vfio_attach_finish(struct mvl_ctx *ctx, struct mvl_journal *j, int r, long long owner,
			   long long group, struct mvl_iface **ret_iface);
/* Restore every device journal whose lock is free (its process gone) and
 * that is not a completed attach; with @dry_run only count them.  The
 * number (to be) restored; failures noted in @fe. */
int mvl_vfio_recover(struct mvl_ctx *ctx, bool dry_run, struct mvl_first_err *fe);

#endif
