// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * vfio.c - binding PCI devices to vfio-pci and giving them back.
 *
 * Bind (each step a sysfs write through mvl_sysfs_write()):
 *   1. driver_override = vfio-pci      so that nothing else can take it
 *   2. drivers/<orig>/unbind           when a host driver has it
 *   3. bus/pci/drivers_probe           vfio-pci probes it (by the override)
 *   4. the driver link must now name vfio-pci; /dev/vfio/<group> appears
 *   5. chown /dev/vfio/<group>         when asked (the owner journaled first)
 *
 * Restore, from the journal and from whatever process: each step compares
 * the device with the journal and only acts on a difference, so a restore
 * can be repeated, and continues after a crash anywhere:
 *   1. /dev/vfio/<group> ownership back
 *   2. vfio-pci unbinds it (refused while a VMM holds the group open: the
 *      kernel would block the unbind until the VM lets go)
 *   3. the original driver probes it: driver_override = <orig>, then
 *      drivers_probe.  The override is what makes a VF probe when the PF
 *      has sriov_drivers_autoprobe=0 (as mvl_sriov_enable() leaves it)
 *   4. driver_override back to its original value
 *   5. the VF attributes back (sriov.c), the admin MAC always
 *
 * vfio-pci is loaded with /sbin/modprobe (fixed argv, no shell, output
 * discarded) when bus/pci/drivers/vfio-pci is missing, but only on the real
 * /sys: on another sysfs root (tests) its absence is an error.
 */
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "devices.h"

#define VFIO_DRIVER "vfio-pci"

extern char **environ;

/* -------------------------------------------------------------- checks */

static int run_modprobe(struct mvl_ctx *ctx, const char *module)
{
	static const char *const paths[] = { "/sbin/modprobe", "/usr/sbin/modprobe" };
	char *const envp[] = { (char *)"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
	posix_spawn_file_actions_t fa;
	const char *path = NULL;
	pid_t pid;
	int r, status;

	for (size_t i = 0; i < ARRAY_SIZE(paths) && !path; i++)
		if (access(paths[i], X_OK) == 0)
			path = paths[i];
	if (!path)
		return -ENOENT;
	r = mvl_step(ctx, "modprobe");
	if (r < 0)
		return r;
	r = posix_spawn_file_actions_init(&fa);
	if (r)
		return -r;
	/* the library never prints: modprobe's output goes nowhere */
	r = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (!r)
		r = posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	if (!r)
		r = posix_spawn_file_actions_adddup2(&fa, 1, 2);
	if (!r)
		r = posix_spawn(&pid, path, &fa, NULL,
				(char *const[]){ (char *)"modprobe", (char *)module, NULL }, envp);
	posix_spawn_file_actions_destroy(&fa);
	if (r)
		return -r;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -ENOPKG;
	return 0;
}

static int ensure_vfio_pci(struct mvl_ctx *ctx)
{
	int r;

	if (mvl_pci_driver_exists(ctx, VFIO_DRIVER))
		return 0;
	if (strcmp(mvl_ctx_get_sysfs_root(ctx), "/sys") != 0)
		return mvl_fail(
			ctx, -ENOENT,
			"the vfio-pci driver is not loaded (%s/bus/pci/drivers/vfio-pci is missing)",
			mvl_ctx_get_sysfs_root(ctx));
	r = run_modprobe(ctx, VFIO_DRIVER);
	if (r < 0 && r != -ENOPKG && r != -ENOENT)
		return mvl_fail(ctx, r, "cannot run modprobe vfio-pci: %s", MVL_STRERROR(r));
	if (!mvl_pci_driver_exists(ctx, VFIO_DRIVER))
		return mvl_fail(ctx, -ENOENT,
				"the vfio-pci driver is not available: %s; load it "
				"(modprobe vfio-pci) or build the kernel with CONFIG_VFIO_PCI",
				r == -ENOENT ? "modprobe was not found" :
					       "modprobe vfio-pci failed");
	return 0;
}

struct group_check {
	const char *self;
	char addr[MVL_PCI_ADDR_LEN];
	char driver[64];
};

static int group_cb(struct mvl_ctx *ctx, const char *addr, void *data)
{
	struct group_check *gc = data;
	unsigned long cls;
	char drv[64];
	int r;

	if (strcmp(addr, gc->self) == 0)
		return 0;
	r = mvl_pci_driver(ctx, addr, drv, sizeof(drv));
	if (r == -ENODEV)
		return 0; /* went away meanwhile */
	if (r < 0)
		return mvl_fail(ctx, r, "cannot read the driver of %s: %s", addr, MVL_STRERROR(r));
	/* what vfio itself accepts in a viable group: no driver, a vfio
	 * driver, pci-stub, and bridges (not passed through) */
	if (!drv[0] || strcmp(drv, VFIO_DRIVER) == 0 || strcmp(drv, "pci-stub") == 0)
		return 0;
	if (mvl_pci_read_ulong(ctx, addr, "class", &cls) == 0 && (cls >> 8) == 0x0604)
		return 0;
	snprintf(gc->addr, sizeof(gc->addr), "%s", addr);
	snprintf(gc->driver, sizeof(gc->driver), "%s", drv);
	return 1;
}

struct route_check {
	char ifname[IFNAMSIZ];
};

static int route_cb(struct mvl_ctx *ctx, const char *ifname, void *data)
{
	struct route_check *rc = data;
	unsigned flags;
	int ifindex, r;

	r = mvl_netdev_info(ctx, ifname, &ifindex, &flags);
	if (r == -ENODEV || r == -EINVAL)
		return 0;
	if (r < 0)
		return mvl_fail(ctx, r, "cannot read netdev %s: %s", ifname, MVL_STRERROR(r));
	r = mvl_nl_dev_has_default_route(ctx, ifindex);
	if (r < 0)
		return mvl_fail_kernel(ctx, r, "cannot read the routes of %s", ifname);
	if (r > 0)
		snprintf(rc->ifname, sizeof(rc->ifname), "%s", ifname);
	return r;
}

int mvl_vfio_check(struct mvl_ctx *ctx, const char *addr, bool force)
{
	struct group_check gc = { .self = addr };
	struct route_check rc = { .ifname = "" };
	int group, r;

	group = mvl_pci_iommu_group(ctx, addr);
	if (group == -ENOENT)
		return mvl_fail(ctx, -ENODEV,
				"%s has no IOMMU group: vfio-pci needs an IOMMU (enable "
				"VT-d/AMD-Vi in the firmware and boot with intel_iommu=on or "
				"amd_iommu=on)",
				addr);
	if (group < 0)
		return mvl_fail(ctx, group, "cannot read the IOMMU group of %s: %s", addr,
				MVL_STRERROR(group));
	r = mvl_pci_foreach_group_dev(ctx, group, group_cb, &gc);
	if (r < 0)
		return r;
	if (r > 0)
		return mvl_fail(ctx, -EBUSY,
				"IOMMU group %d of %s also holds %s, which is bound to "
				"the host driver %s; a group goes to a VM as a whole: bind %s to "
				"vfio-pci or unbind it first",
				group, addr, gc.addr, gc.driver, gc.addr);
	if (!force) {
		r = mvl_pci_foreach_netdev(ctx, addr, route_cb, &rc);
		if (r < 0)
			return r;
		if (r > 0)
			return mvl_fail(
				ctx, -EBUSY,
				"%s carries the host's default route (through "
				"%s); refusing to take it from the host (force to override)",
				addr, rc.ifname);
	}
	r = ensure_vfio_pci(ctx);
	return r < 0 ? r : group;
}

/* --------------------------------------------------------------- bind */

static void devnode_path(struct mvl_ctx *ctx, int group, char *buf, size_t len)
{
	snprintf(buf, len, "%s/vfio/%d", mvl_ctx_get_dev_root(ctx), group);
}

/* devtmpfs creates the node while vfio-pci probes; allow udev a moment. */
static int wait_devnode(const char *path)
{
	for (int i = 0; i < 200; i++) {
		if (access(path, F_OK) == 0)
			return 0;
		nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
	}
	return -ENOENT;
}

static int expect_driver(struct mvl_ctx *ctx, const char *addr, const char *want)
{
	char drv[64];
	int r = mvl_pci_driver(ctx, addr, drv, sizeof(drv));

	if (r < 0)
		return mvl_fail(ctx, r, "cannot read the driver of %s: %s", addr, MVL_STRERROR(r));
	if (strcmp(drv, want) != 0)
		return mvl_fail(ctx, -EIO,
				"%s did not bind to %s (%s%s); the kernel log may say why", addr,
				want, drv[0] ? "it is on " : "it has no driver", drv);
	return 0;
}

int mvl_vfio_bind(struct mvl_ctx *ctx, struct mvl_journal *j, long long owner, long long group)
{
	char node[PATH_MAX];
	struct stat st;
	int r;

	r = mvl_sysfs_write(ctx, VFIO_DRIVER, "bus/pci/devices/%s/driver_override", j->addr);
	if (r < 0)
		return mvl_fail_kernel(ctx, r, "cannot set driver_override of %s to vfio-pci",
				       j->addr);
	if (j->driver[0]) {
		r = mvl_sysfs_write(ctx, j->addr, "bus/pci/drivers/%s/unbind", j->driver);
		if (r < 0)
			return mvl_fail_kernel(ctx, r, "cannot unbind %s from %s", j->addr,
					       j->driver);
	}
	r = mvl_sysfs_write(ctx, j->addr, "bus/pci/drivers_probe");
	if (r < 0)
		return mvl_fail_kernel(ctx, r, "vfio-pci cannot take %s", j->addr);
	r = expect_driver(ctx, j->addr, VFIO_DRIVER);
	if (r < 0)
		return r;
	devnode_path(ctx, j->iommu_group, node, sizeof(node));
	if (wait_devnode(node) < 0)
		return mvl_fail(ctx, -ENOENT, "%s is bound to vfio-pci but %s did not appear",
				j->addr, node);
	if (owner < 0 && group < 0)
		return 0;
	if (stat(node, &st) < 0)
		return mvl_fail(ctx, -errno, "cannot stat %s: %s", node, MVL_STRERROR(errno));
	j->has_devnode = true;
	j->dev_uid = st.st_uid;
	j->dev_gid = st.st_gid;
	r = mvl_journal_write(ctx, j);
	if (r < 0) {
		j->has_devnode = false;
		return r;
	}
	r = mvl_step(ctx, "chown devnode");
	if (r == 0 && chown(node, owner >= 0 ? (uid_t)owner : (uid_t)-1,
			    group >= 0 ? (gid_t)group : (gid_t)-1) < 0)
		r = -errno;
	if (r < 0)
		return mvl_fail(ctx, r, "cannot chown %s to %lld:%lld: %s", node, owner, group,
				MVL_STRERROR(r));
	return 0;
}

/* ------------------------------------------------------------ restore */

/* The VMM holds the group open: unbinding would block until it lets go. */
static int group_in_use(struct mvl_ctx *ctx, int group)
{
	char node[PATH_MAX];
	int fd;

	if (group < 0)
		return 0;
	devnode_path(ctx, group, node, sizeof(node));
	fd = open(node, O_RDWR | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return errno == EBUSY ? 1 : 0;
}

static int restore_devnode(struct mvl_ctx *ctx, const struct mvl_journal *j)
{
	char node[PATH_MAX];
	struct stat st;
	int r;

	if (!j->has_devnode)
		return 0;
	devnode_path(ctx, j->iommu_group, node, sizeof(node));
	if (stat(node, &st) < 0)
		return errno == ENOENT ? 0 :
					 mvl_fail(ctx, -errno, "cannot stat %s: %s", node,
						  MVL_STRERROR(errno));
	if (st.st_uid == (uid_t)j->dev_uid && st.st_gid == (gid_t)j->dev_gid)
		return 0;
	r = mvl_step(ctx, "chown devnode back");
	if (r == 0 && chown(node, (uid_t)j->dev_uid, (gid_t)j->dev_gid) < 0)
		r = -errno;
	if (r < 0)
		return mvl_fail(ctx, r, "cannot give %s back to %lld:%lld: %s", node, j->dev_uid,
				j->dev_gid, MVL_STRERROR(r));
	return 0;
}

static int restore_driver(struct mvl_ctx *ctx, const struct mvl_journal *j)
{
	const char *addr = j->addr;
	char drv[64], ovr[64];
	int r;

	r = mvl_pci_driver(ctx, addr, drv, sizeof(drv));
	if (r == -ENODEV) {
		info(ctx, "%s is gone; no driver to restore", addr);
		return 0;
	}
	if (r < 0)
		return mvl_fail(ctx, r, "cannot read the driver of %s: %s", addr, MVL_STRERROR(r));
	if (strcmp(drv, VFIO_DRIVER) == 0 && strcmp(j->driver, VFIO_DRIVER) != 0) {
		if (group_in_use(ctx, j->iommu_group) > 0)
			return mvl_fail(
				ctx, -EBUSY,
				"%s is in use: a VMM holds %s/vfio/%d open; stop the VM first",
				addr, mvl_ctx_get_dev_root(ctx), j->iommu_group);
		r = mvl_sysfs_write(ctx, addr, "bus/pci/drivers/" VFIO_DRIVER "/unbind");
		if (r < 0)
			return mvl_fail_kernel(ctx, r, "cannot unbind %s from vfio-pci", addr);
		drv[0] = '\0';
	}
	if (!drv[0] && j->driver[0]) {
		r = mvl_sysfs_write(ctx, j->driver, "bus/pci/devices/%s/driver_override", addr);
		if (r < 0)
			return mvl_fail_kernel(ctx, r, "cannot set driver_override of %s to %s",
					       addr, j->driver);
		r = mvl_sysfs_write(ctx, addr, "bus/pci/drivers_probe");
		if (r < 0)
			return mvl_fail_kernel(ctx, r, "cannot give %s back to %s", addr,
					       j->driver);
		r = expect_driver(ctx, addr, j->driver);
		if (r < 0)
			return r;
	} else if (strcmp(drv, j->driver) != 0) {
		/* someone else moved it since: theirs now, not ours to undo */
		warn(ctx, "%s is on driver %s, not %s or vfio-pci; leaving it there", addr, drv,
		     j->driver[0] ? j->driver : "(none)");
	}
	r = mvl_pci_driver_override(ctx, addr, ovr, sizeof(ovr));
	if (r < 0)
		return mvl_fail(ctx, r, "cannot read driver_override of %s: %s", addr,
				MVL_STRERROR(r));
	if (strcmp(ovr, j->driver_override) != 0) {
		/* "\n" clears an override */
		r = mvl_sysfs_write(ctx, j->driver_override[0] ? j->driver_override : "\n",
				    "bus/pci/devices/%s/driver_override", addr);
		if (r < 0)
			return mvl_fail_kernel(ctx, r, "cannot restore driver_override of %s",
					       addr);
	}
	return 0;
}

int mvl_vfio_restore(struct mvl_ctx *ctx, const struct mvl_journal *j)
{
	struct mvl_first_err fe = { 0 };

	/* every part is tried; the first failure is reported */
	mvl_first_err_note(ctx, &fe, restore_devnode(ctx, j));
	if (j->vfio)
		mvl_first_err_note(ctx, &fe, restore_driver(ctx, j));
	if (j->mode == MVL_MODE_SRIOV)
		mvl_first_err_note(ctx, &fe, mvl_vf_restore_attrs(ctx, j));
	return mvl_first_err_get(ctx, &fe);
}

/* ------------------------------------------------------------- attach */

/* Undo an attach from its journal, keeping the original error message.
 * The journal goes only when the device is back as it was. */
static void rollback(struct mvl_ctx *ctx, const struct mvl_journal *j)
{
	char path[PATH_MAX] = "";
	int r;

	mvl_undo_begin(ctx);
	r = mvl_vfio_restore(ctx, j);
	if (r == 0)
		r = mvl_journal_remove(ctx, j);
	if (r < 0) {
		mvl_journal_path(ctx, j->mode, j->addr, path, sizeof(path));
		mvl_undo_failed(ctx, "%s: %s (journal %s kept; mvlink recover retries)", j->addr,
				mvl_ctx_get_error(ctx), path);
	}
	mvl_undo_end(ctx);
}

/* The last steps of an attach, @r being how the earlier ones went: bind to
 * vfio-pci (when the journal says so), mark the journal attached, make the
 * interface; on any failure everything is undone from the journal. */
int mvl_vfio_attach_finish(struct mvl_ctx *ctx, struct mvl_journal *j, int r, long long owner,
			   long long group, struct mvl_iface **ret_iface)
{
	struct mvl_iface *iface = NULL;

	if (r == 0 && j->vfio)
		r = mvl_vfio_bind(ctx, j, owner, group);
	if (r == 0) {
		j->state = MVL_J_ATTACHED;
		r = mvl_journal_write(ctx, j);
	}
	if (r == 0) {
		r = mvl_vfio_iface(ctx, j, &iface);
		if (r < 0)
			r = mvl_fail(ctx, r, "out of memory");
	}
	if (r < 0) {
		rollback(ctx, j);
		return r;
	}
	*ret_iface = iface;
	return 0;
}

/* ------------------------------------------------------------ release */

/* With the device's lock held: restore and drop the journal. */
static int release_locked(struct mvl_ctx *ctx, struct mvl_journal *j)
{
	char path[PATH_MAX];
	int r;

	if (j->vfio && group_in_use(ctx, j->iommu_group) > 0) {
		char drv[64] = "";

		if (mvl_pci_driver(ctx, j->addr, drv, sizeof(drv)) == 0 &&
		    strcmp(drv, VFIO_DRIVER) == 0)
			return mvl_fail(
				ctx, -EBUSY,
				"%s of VM %s is in use: a VMM holds %s/vfio/%d open; stop the VM first",
				j->addr, j->vm_id, mvl_ctx_get_dev_root(ctx), j->iommu_group);
	}
	if (j->state != MVL_J_RELEASING) {
		j->state = MVL_J_RELEASING;
		r = mvl_journal_write(ctx, j);
		if (r < 0)
			return r;
	}
	r = mvl_vfio_restore(ctx, j);
	if (r < 0) {
		char why[MVL_ERRMSG_LEN];

		snprintf(why, sizeof(why), "%s", mvl_ctx_get_error(ctx));
		mvl_journal_path(ctx, j->mode, j->addr, path, sizeof(path));
		return mvl_fail(ctx, r,
				"%s; %s of VM %s is not fully released (journal %s kept; "
				"a later delete or recover retries)",
				why, j->addr, j->vm_id, path);
	}
	r = mvl_journal_remove(ctx, j);
	if (r < 0)
		return r;
	info(ctx, "released %s of VM %s", j->addr, j->vm_id);
	return 1;
}

int mvl_vfio_release(struct mvl_ctx *ctx, const char *addr)
{
	struct mvl_journal j;
	int lock = -1, r;

	r = mvl_lock_take(ctx, mvl_dev_lock_kind(addr), addr, false, true, &lock);
	if (r < 0)
		return r;
	r = mvl_journal_read(ctx, addr, &j);
	if (r == -ENOENT)
		r = 0; /* nothing of ours: done */
	else if (r == 0)
		r = release_locked(ctx, &j);
	mvl_lock_drop(&lock);
	return r;
}

struct vm_walk {
	const char *vm_id;
	int count;
	struct mvl_first_err fe;
	struct mvl_iface_list *list;
};

static int release_vm_cb(struct mvl_ctx *ctx, const char *addr, void *data)
{
	struct vm_walk *w = data;
	struct mvl_journal j;
	int r;

	r = mvl_journal_read(ctx, addr, &j);
	if (r < 0) {
		/* whose it is cannot be told: not this VM's to act on */
		warn(ctx, "%s", mvl_ctx_get_error(ctx));
		return 0;
	}
	if (strcmp(j.vm_id, w->vm_id) != 0)
		return 0;
	r = mvl_vfio_release(ctx, addr);
	if (r > 0)
		w->count++;
	else if (r < 0)
		mvl_first_err_note(ctx, &w->fe, r);
	return 0;
}

int mvl_vfio_release_vm(struct mvl_ctx *ctx, const char *vm_id)
{
	struct vm_walk w = { .vm_id = vm_id };
	int r;

	r = mvl_journal_foreach(ctx, release_vm_cb, &w);
	if (r < 0)
		return r;
	return w.fe.err ? mvl_first_err_get(ctx, &w.fe) : w.count;
}

int mvl_vfio_iface(struct mvl_ctx *ctx, const struct mvl_journal *j, struct mvl_iface **ret)
{
	struct mvl_iface *iface = mvl_iface_new(j->mode, j->addr, j->vm_id);
	char node[PATH_MAX];

	if (!iface)
		return -ENOMEM;
	iface->iommu_group = j->iommu_group;
	if (j->vfio && j->iommu_group >= 0) {
		devnode_path(ctx, j->iommu_group, node, sizeof(node));
		if (mvl_iface_set_str(&iface->devnode, node) < 0)
			goto oom;
	}
	if (j->mode == MVL_MODE_SRIOV) {
		char ifname[IFNAMSIZ] = "";
		struct mvl_vf_state vs;
		unsigned flags;
		int ifindex;

		if (j->pf_addr[0]) {
			ifindex = mvl_pf_ifindex(ctx, j->pf_addr, ifname, sizeof(ifname));
		} else {
			/* a PF of another bus: its netdev is the PF */
			snprintf(ifname, sizeof(ifname), "%s", j->pf_ifname);
			if (mvl_netdev_info(ctx, ifname, &ifindex, &flags) < 0)
				ifindex = 0;
		}
		if (mvl_iface_set_str(&iface->link, ifname[0] ? ifname : j->pf_addr) < 0)
			goto oom;
		if (ifindex > 0 && mvl_nl_vf_get(ctx, ifindex, j->vf, &vs) == 0)
			memcpy(iface->mac, vs.mac, 6);
	}
	*ret = iface;
	return 0;
oom:
	mvl_iface_unref(iface);
	return -ENOMEM;
}

static int list_cb(struct mvl_ctx *ctx, const char *addr, void *data)
{
	struct vm_walk *w = data;
	struct mvl_iface *iface;
	struct mvl_journal j;
	int r;

	r = mvl_journal_read(ctx, addr, &j);
	if (r < 0) {
		warn(ctx, "%s", mvl_ctx_get_error(ctx));
		return 0;
	}
	if (w->vm_id && strcmp(j.vm_id, w->vm_id) != 0)
		return 0;
	r = mvl_vfio_iface(ctx, &j, &iface);
	if (r < 0)
		return r;
	r = mvl_iface_list_add(w->list, iface);
	if (r < 0)
		mvl_iface_unref(iface);
	return r;
}

int mvl_vfio_list(struct mvl_ctx *ctx, const char *vm_id, struct mvl_iface_list *list)
{
	struct vm_walk w = { .vm_id = vm_id, .list = list };

	return mvl_journal_foreach(ctx, list_cb, &w);
}

/* ------------------------------------------------------------ recover */

struct recover_walk {
	int count;
	bool dry_run;
	struct mvl_first_err *fe;
};

static int recover_cb(struct mvl_ctx *ctx, const char *addr, void *data)
{
	struct recover_walk *rw = data;
	struct mvl_journal j;
	int lock = -1, r;

	/* a held lock: an attach or release is running right now */
	r = mvl_lock_take(ctx, mvl_dev_lock_kind(addr), addr, false, false, &lock);
	if (r == -EBUSY) {
		mvl_ctx_clear_error(ctx);
		return 0;
	}
	if (r < 0) {
		mvl_first_err_note(ctx, rw->fe, r);
		return 0;
	}
	r = mvl_journal_read(ctx, addr, &j);
	if (r == -ENOENT)
		r = 0;
	else if (r == 0 && j.state != MVL_J_ATTACHED) {
		/* nobody holds the lock, so its writer is gone or gave up */
		info(ctx, "recovering %s of VM %s (%s by pid %lld, %s)", addr, j.vm_id,
		     j.state == MVL_J_ATTACHING ? "attach" : "release", j.pid,
		     mvl_journal_owner_alive(&j) ? "still running" : "gone");
		r = rw->dry_run ? 1 : release_locked(ctx, &j);
	}
	mvl_lock_drop(&lock);
	if (r > 0)
		rw->count++;
	else if (r < 0)
		mvl_first_err_note(ctx, rw->fe, r);
	return 0;
}

int mvl_vfio_recover(struct mvl_ctx *ctx, bool dry_run, struct mvl_first_err *fe)
{
	struct recover_walk rw = { .dry_run = dry_run, .fe = fe };
	int r;

	r = mvl_journal_foreach(ctx, recover_cb, &rw);
	return r < 0 ? r : rw.count;
}
