/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fakesys.h - a fake sysfs (and /dev/vfio) for the SR-IOV and vfio tests,
 * built in a temporary directory at test time.  It reacts to the library's
 * writes as the kernel does (through mvl_sysfs_set_write_hook() on each
 * context fs_setup_ctx() is given):
 * sriov_numvfs creates and removes VFs (0 -> N, N -> 0, EBUSY otherwise),
 * driver_override, drivers/<drv>/unbind and bind, bus/pci/drivers_probe
 * (binding by override, by the device's ids, or not at all for a VF whose
 * PF has autoprobe off).  Its PFs also answer the library's VF netlink
 * requests (through mvl_nl_set_test_ops(), likewise), and can refuse an
 * attribute.
 */
#ifndef MVLINK_FAKESYS_H
#define MVLINK_FAKESYS_H

#include <stdbool.h>
#include <stdint.h>

#include "operations.h"
#include "testhooks.h"

#define FS_MAX_DEVS 64
#define FS_MAX_VFS 16

struct fs_dev {
	char addr[MVL_PCI_ADDR_LEN]; /* PCI address, or "netdevsimN" (fs_add_nsim()) */
	char dir[64];  /* its directory below the sysfs root */
	bool nsim;     /* a netdevsim device: no PCI, VFs are its netdev's settings */
	char native[32]; /* the driver whose id table matches, "" none */
	bool present;
	bool is_vf;
	int pf; /* VF: index of its PF */
	int group; /* IOMMU group, -1 none */
	/* PF */
	unsigned total_vfs;
	char vf_native[32];
	int ifindex; /* its netdev, 0 none */
	char ifname[16];
	unsigned nvfs;
	struct mvl_vf_state vfs[FS_MAX_VFS];
	unsigned vf_report; /* MVL_VF_A_* the PF reports */
	unsigned refuse; /* MVL_VF_A_* the PF refuses */
	int refuse_err;
	bool refuse_zero_mac; /* EINVAL for 00:00:00:00:00:00, as some drivers */
};

struct fakesys {
	char root[256];
	char sys[300], dev[300], state[300];
	struct fs_dev devs[FS_MAX_DEVS];
	int n_devs;
	int next_group;
	/* injected failures of writes: the k-th write (1-based) overall, or
	 * every write whose path ends with fail_suffix */
	int writes;
	int fail_at;
	const char *fail_suffix;
	int fail_err;
	/* writes the model does not know (the test fails on them) */
	int unexpected;
	char last_unexpected[512];
	int default_route_ifindex;
	/* a driver whose probe fails (binds nothing), "" none */
	char probe_fails[32];
};

/* A new tree with the drivers vfio-pci and pci-stub registered.
 * fs_free() removes it (free the contexts set up on it first). */
struct fakesys *fs_new(void);
void fs_free(struct fakesys *fs);
/* Point @ctx at the tree (sysfs root, dev root, state dir) and install
 * the model's hooks in it. */
void fs_setup_ctx(struct fakesys *fs, struct mvl_ctx *ctx);

void fs_add_driver(struct fakesys *fs, const char *name);
void fs_remove_driver(struct fakesys *fs, const char *name);
/* A device: bound to @driver when it is registered (and @driver != NULL);
 * its IOMMU group @group (-2: a new one, -1: none); @cls e.g. 0x020000. */
struct fs_dev *fs_add_dev(struct fakesys *fs, const char *addr, unsigned vendor, unsigned device,
			  unsigned cls, const char *driver, int group);
/* Make @d an SR-IOV PF with @total VFs, whose VFs match @vf_driver. */
void fs_make_pf(struct fakesys *fs, struct fs_dev *d, unsigned total, const char *vf_driver);
/* A netdevsim device "netdevsim@id" (bus netdevsim, no PCI function) whose
 * netdev @ifname holds up to @max_vfs VFs (sriov_numvfs, no sriov_totalvfs,
 * no autoprobe), as the kernel's netdevsim: its VFs are settings only. */
struct fs_dev *fs_add_nsim(struct fakesys *fs, unsigned id, const char *ifname, int ifindex,
			   unsigned max_vfs);
/* Give @d a netdev @ifname with @ifindex, up or down. */
void fs_add_netdev(struct fakesys *fs, struct fs_dev *d, const char *ifname, int ifindex, bool up);
void fs_set_up(struct fakesys *fs, struct fs_dev *d, bool up);
struct fs_dev *fs_find(struct fakesys *fs, const char *addr);
/* The address of VF @k of @pf. */
void fs_vf_addr(const struct fs_dev *pf, unsigned k, char out[MVL_PCI_ADDR_LEN]);

/* The VF attributes of @pf live in a file (shared with forked children):
 * load them into pf->vfs, or store pf->vfs after a test changed them. */
void fs_vfs_load(struct fakesys *fs, struct fs_dev *pf);
void fs_vfs_store(struct fakesys *fs, struct fs_dev *pf);

/* Current facts, read back from the tree. */
void fs_driver(struct fakesys *fs, const char *addr, char *buf, size_t len);
void fs_override(struct fakesys *fs, const char *addr, char *buf, size_t len);
/* Bind @addr to @driver directly (test setup, not through the library). */
void fs_bind(struct fakesys *fs, const char *addr, const char *driver);
/* Write a sysfs file of the tree directly (test setup). */
void fs_set_attr(struct fakesys *fs, const char *addr, const char *attr, const char *value);
/* The devnode path of group @g, and whether it exists. */
bool fs_vfio_node(struct fakesys *fs, int g, char *buf, size_t len);

/* Everything the library may change, as text: devices (driver, override,
 * SR-IOV counts), VF attributes, /dev/vfio nodes and owners, journals. */
char *fs_snapshot(struct fakesys *fs);
/* Number of journal files in the state dir. */
int fs_journal_count(struct fakesys *fs);

#endif
