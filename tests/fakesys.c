// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fakesys.c - see fakesys.h.  The model keeps its state in the files of the
 * tree itself (driver links, driver_override, sriov_numvfs ...), as sysfs
 * does, so the library and libpci read exactly what the model did.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>

#include "fakesys.h"

/* ---------------------------------------------------------- file helpers */

static void vpath(char *buf, size_t len, const char *fmt, va_list ap)
{
	int n = vsnprintf(buf, len, fmt, ap);

	ck_assert_msg(n >= 0 && (size_t)n < len, "path too long");
}

static void mkdirs(const char *path)
{
	char tmp[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(tmp, 0755);
			*p = '/';
		}
	ck_assert_msg(mkdir(tmp, 0755) == 0 || errno == EEXIST, "mkdir %s: %s", tmp,
		      strerror(errno));
}

static void put(const char *path, const char *value)
{
	FILE *f = fopen(path, "we");

	ck_assert_msg(f != NULL, "create %s: %s", path, strerror(errno));
	fprintf(f, "%s\n", value);
	fclose(f);
}

static void sysf(struct fakesys *fs, const char *value, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void sysf(struct fakesys *fs, const char *value, const char *fmt, ...)
{
	char rel[1024], path[PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vpath(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "%s/%s", fs->sys, rel);
	put(path, value);
}

static void sysdir(struct fakesys *fs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sysdir(struct fakesys *fs, const char *fmt, ...)
{
	char rel[1024], path[PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vpath(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "%s/%s", fs->sys, rel);
	mkdirs(path);
}

/* symlink "<sys>/<link>" -> target (relative, as sysfs has them) */
static void syslink(struct fakesys *fs, const char *target, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void syslink(struct fakesys *fs, const char *target, const char *fmt, ...)
{
	char rel[1024], path[PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vpath(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "%s/%s", fs->sys, rel);
	unlink(path);
	ck_assert_msg(symlink(target, path) == 0, "symlink %s: %s", path, strerror(errno));
}

static void sysrm(struct fakesys *fs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sysrm(struct fakesys *fs, const char *fmt, ...)
{
	char rel[1024], path[PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vpath(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "%s/%s", fs->sys, rel);
	if (unlink(path) < 0 && errno == EISDIR)
		rmdir(path);
}

static int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void rm_rf(const char *path)
{
	nftw(path, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static bool sys_read(struct fakesys *fs, char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static bool sys_read(struct fakesys *fs, char *buf, size_t len, const char *fmt, ...)
{
	char rel[1024], path[PATH_MAX];
	va_list ap;
	FILE *f;

	va_start(ap, fmt);
	vpath(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "%s/%s", fs->sys, rel);
	buf[0] = '\0';
	f = fopen(path, "re");
	if (!f)
		return false;
	if (!fgets(buf, (int)len, f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return true;
}

/* ------------------------------------------------------------- the model */
/* The VF attributes a PF holds live in a file too, so that a test
 * process and the children it forks (and kills) see the same PF. */
static void vfs_path(struct fakesys *fs, const struct fs_dev *pf, char *buf, size_t len)
{
	snprintf(buf, len, "%s/model-%s.vfs", fs->root, pf->addr);
}

void fs_vfs_load(struct fakesys *fs, struct fs_dev *pf)
{
	char path[PATH_MAX], v[16] = "";
	FILE *f;

	vfs_path(fs, pf, path, sizeof(path));
	f = fopen(path, "re");
	if (f) {
		if (fread(pf->vfs, sizeof(pf->vfs), 1, f) != 1)
			memset(pf->vfs, 0, sizeof(pf->vfs));
		fclose(f);
	}
	sys_read(fs, v, sizeof(v), "%s/sriov_numvfs", pf->dir);
	pf->nvfs = (unsigned)strtoul(v, NULL, 10);
}

void fs_vfs_store(struct fakesys *fs, struct fs_dev *pf)
{
	char path[PATH_MAX];
	FILE *f;

	vfs_path(fs, pf, path, sizeof(path));
	f = fopen(path, "we");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fwrite(pf->vfs, sizeof(pf->vfs), 1, f), 1);
	fclose(f);
}

struct fs_dev *fs_find(struct fakesys *fs, const char *addr)
{
	for (int i = 0; i < fs->n_devs; i++)
		if (fs->devs[i].present && strcmp(fs->devs[i].addr, addr) == 0)
			return &fs->devs[i];
	return NULL;
}

void fs_driver(struct fakesys *fs, const char *addr, char *buf, size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/driver", fs->sys, addr);
	n = readlink(path, target, sizeof(target) - 1);
	buf[0] = '\0';
	if (n < 0)
		return;
	target[n] = '\0';
	snprintf(buf, len, "%s", strrchr(target, '/') + 1);
}

void fs_override(struct fakesys *fs, const char *addr, char *buf, size_t len)
{
	sys_read(fs, buf, len, "bus/pci/devices/%s/driver_override", addr);
	if (strcmp(buf, "(null)") == 0)
		buf[0] = '\0';
}

bool fs_vfio_node(struct fakesys *fs, int g, char *buf, size_t len)
{
	snprintf(buf, len, "%s/vfio/%d", fs->dev, g);
	return access(buf, F_OK) == 0;
}

static bool driver_registered(struct fakesys *fs, const char *drv)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/bus/pci/drivers/%s", fs->sys, drv);
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* /dev/vfio/<g> exists while a device of group g is bound to vfio-pci. */
static void update_vfio_node(struct fakesys *fs, int g)
{
	char node[PATH_MAX], drv[64];
	bool want = false;

	if (g < 0)
		return;
	for (int i = 0; i < fs->n_devs; i++) {
		if (!fs->devs[i].present || fs->devs[i].group != g)
			continue;
		fs_driver(fs, fs->devs[i].addr, drv, sizeof(drv));
		if (strcmp(drv, "vfio-pci") == 0)
			want = true;
	}
	fs_vfio_node(fs, g, node, sizeof(node));
	if (want && access(node, F_OK) != 0)
		put(node, "");
	else if (!want)
		unlink(node);
}

static void do_bind(struct fakesys *fs, struct fs_dev *d, const char *drv)
{
	char target[PATH_MAX];

	snprintf(target, sizeof(target), "../../../bus/pci/drivers/%s", drv);
	syslink(fs, target, "devices/pci0000:00/%s/driver", d->addr);
	snprintf(target, sizeof(target), "../../../../devices/pci0000:00/%s", d->addr);
	syslink(fs, target, "bus/pci/drivers/%s/%s", drv, d->addr);
	update_vfio_node(fs, d->group);
}

static void do_unbind(struct fakesys *fs, struct fs_dev *d)
{
	char drv[64];

	fs_driver(fs, d->addr, drv, sizeof(drv));
	if (!drv[0])
		return;
	sysrm(fs, "devices/pci0000:00/%s/driver", d->addr);
	sysrm(fs, "bus/pci/drivers/%s/%s", drv, d->addr);
	update_vfio_node(fs, d->group);
}

void fs_bind(struct fakesys *fs, const char *addr, const char *driver)
{
	struct fs_dev *d = fs_find(fs, addr);

	ck_assert_ptr_nonnull(d);
	do_unbind(fs, d);
	if (driver)
		do_bind(fs, d, driver);
}

void fs_set_attr(struct fakesys *fs, const char *addr, const char *attr, const char *value)
{
	sysf(fs, value, "devices/pci0000:00/%s/%s", addr, attr);
}

static bool autoprobe_on(struct fakesys *fs, struct fs_dev *pf)
{
	char v[16];

	sys_read(fs, v, sizeof(v), "bus/pci/devices/%s/sriov_drivers_autoprobe", pf->addr);
	return strcmp(v, "1") == 0;
}

/* What drivers_probe would bind @d to, or "" (pci_device_can_probe() and
 * pci_match_device(): an override wins, a VF of a PF with autoprobe off
 * only probes with an override). */
static void probe_driver(struct fakesys *fs, struct fs_dev *d, char *buf, size_t len)
{
	char ovr[64];

	buf[0] = '\0';
	fs_override(fs, d->addr, ovr, sizeof(ovr));
	if (d->is_vf && !ovr[0] && !autoprobe_on(fs, &fs->devs[d->pf]))
		return;
	snprintf(buf, len, "%s", ovr[0] ? ovr : d->native);
	if (!buf[0] || !driver_registered(fs, buf) || strcmp(buf, fs->probe_fails) == 0)
		buf[0] = '\0';
}

static int new_group(struct fakesys *fs)
{
	int g = fs->next_group++;

	sysdir(fs, "kernel/iommu_groups/%d/devices", g);
	return g;
}

static void dev_files(struct fakesys *fs, struct fs_dev *d, unsigned vendor, unsigned device,
		      unsigned cls)
{
	char v[32], target[PATH_MAX];

	sysdir(fs, "devices/pci0000:00/%s", d->addr);
	snprintf(v, sizeof(v), "0x%04x", vendor);
	sysf(fs, v, "devices/pci0000:00/%s/vendor", d->addr);
	snprintf(v, sizeof(v), "0x%04x", device);
	sysf(fs, v, "devices/pci0000:00/%s/device", d->addr);
	snprintf(v, sizeof(v), "0x%06x", cls);
	sysf(fs, v, "devices/pci0000:00/%s/class", d->addr);
	sysf(fs, "0", "devices/pci0000:00/%s/numa_node", d->addr);
	sysf(fs, "(null)", "devices/pci0000:00/%s/driver_override", d->addr);
	snprintf(target, sizeof(target), "../../../devices/pci0000:00/%s", d->addr);
	syslink(fs, target, "bus/pci/devices/%s", d->addr);
	if (d->group >= 0) {
		snprintf(target, sizeof(target), "../../../kernel/iommu_groups/%d", d->group);
		syslink(fs, target, "devices/pci0000:00/%s/iommu_group", d->addr);
		snprintf(target, sizeof(target), "../../../../devices/pci0000:00/%s", d->addr);
		syslink(fs, target, "kernel/iommu_groups/%d/devices/%s", d->group, d->addr);
	}
}

struct fs_dev *fs_add_dev(struct fakesys *fs, const char *addr, unsigned vendor, unsigned device,
			  unsigned cls, const char *driver, int group)
{
	char norm[MVL_PCI_ADDR_LEN];
	struct fs_dev *d;

	ck_assert_int_lt(fs->n_devs, FS_MAX_DEVS);
	d = &fs->devs[fs->n_devs++];
	memset(d, 0, sizeof(*d));
	ck_assert_int_eq(mvl_pci_addr_parse(addr, norm), 0);
	memcpy(d->addr, norm, sizeof(norm));
	d->present = true;
	snprintf(d->dir, sizeof(d->dir), "devices/pci0000:00/%s", norm);
	d->group = group == -2 ? new_group(fs) : group;
	if (group >= 0)
		sysdir(fs, "kernel/iommu_groups/%d/devices", group);
	snprintf(d->native, sizeof(d->native), "%s", driver ? driver : "");
	dev_files(fs, d, vendor, device, cls);
	if (driver && driver_registered(fs, driver))
		do_bind(fs, d, driver);
	return d;
}

void fs_make_pf(struct fakesys *fs, struct fs_dev *d, unsigned total, const char *vf_driver)
{
	char v[16];

	ck_assert_uint_le(total, FS_MAX_VFS);
	d->total_vfs = total;
	snprintf(d->vf_native, sizeof(d->vf_native), "%s", vf_driver ? vf_driver : "");
	d->vf_report = MVL_VF_A_ALL;
	snprintf(v, sizeof(v), "%u", total);
	sysf(fs, v, "devices/pci0000:00/%s/sriov_totalvfs", d->addr);
	sysf(fs, "0", "devices/pci0000:00/%s/sriov_numvfs", d->addr);
	sysf(fs, "1", "devices/pci0000:00/%s/sriov_drivers_autoprobe", d->addr);
}

void fs_add_netdev(struct fakesys *fs, struct fs_dev *d, const char *ifname, int ifindex, bool up)
{
	char v[32], target[PATH_MAX];

	d->ifindex = ifindex;
	snprintf(d->ifname, sizeof(d->ifname), "%s", ifname);
	sysdir(fs, "%s/net/%s", d->dir, ifname);
	snprintf(v, sizeof(v), "%d", ifindex);
	sysf(fs, v, "%s/net/%s/ifindex", d->dir, ifname);
	snprintf(target, sizeof(target), "../../../%s", d->addr);
	syslink(fs, target, "%s/net/%s/device", d->dir, ifname);
	sysdir(fs, "class/net");
	snprintf(target, sizeof(target), "../../%s/net/%s", d->dir, ifname);
	syslink(fs, target, "class/net/%s", ifname);
	fs_set_up(fs, d, up);
}

void fs_set_up(struct fakesys *fs, struct fs_dev *d, bool up)
{
	sysf(fs, up ? "0x1003" : "0x1002", "%s/net/%s/flags", d->dir, d->ifname);
}

struct fs_dev *fs_add_nsim(struct fakesys *fs, unsigned id, const char *ifname, int ifindex,
			   unsigned max_vfs)
{
	char target[PATH_MAX];
	struct fs_dev *d;

	ck_assert_int_lt(fs->n_devs, FS_MAX_DEVS);
	ck_assert_uint_le(max_vfs, FS_MAX_VFS);
	d = &fs->devs[fs->n_devs++];
	memset(d, 0, sizeof(*d));
	snprintf(d->addr, sizeof(d->addr), "netdevsim%u", id);
	snprintf(d->dir, sizeof(d->dir), "devices/netdevsim%u", id);
	d->present = true;
	d->nsim = true;
	d->group = -1;
	d->total_vfs = max_vfs;
	d->vf_report = MVL_VF_A_ALL;
	sysdir(fs, "%s", d->dir);
	sysf(fs, "0", "%s/sriov_numvfs", d->dir);
	sysdir(fs, "bus/netdevsim/drivers/netdevsim");
	sysdir(fs, "bus/netdevsim/devices");
	syslink(fs, "../../bus/netdevsim/drivers/netdevsim", "%s/driver", d->dir);
	snprintf(target, sizeof(target), "../../../%s", d->dir);
	syslink(fs, target, "bus/netdevsim/devices/%s", d->addr);
	fs_add_netdev(fs, d, ifname, ifindex, true);
	return d;
}

void fs_vf_addr(const struct fs_dev *pf, unsigned k, char out[MVL_PCI_ADDR_LEN])
{
	/* the VFs' routing IDs: the PF's bus, devices 0x10.. */
	snprintf(out, MVL_PCI_ADDR_LEN, "%.8s%02x.%u", pf->addr, (0x10 + k / 8) & 0x1f, k % 8 & 7);
}

static void vf_defaults(struct mvl_vf_state *s, unsigned k)
{
	memset(s, 0, sizeof(*s));
	s->vf = (int)k;
	s->vlan_proto = ETH_P_8021Q;
	s->spoofchk = 1;
	s->trust = 0;
	s->query_rss = 0;
	s->link_state = IFLA_VF_LINK_STATE_AUTO;
}

static void create_vfs(struct fakesys *fs, struct fs_dev *pf, unsigned n)
{
	int pfi = (int)(pf - fs->devs);
	bool probe = autoprobe_on(fs, pf);

	for (unsigned k = 0; k < n; k++) {
		char addr[MVL_PCI_ADDR_LEN], target[64], vendor[16], cls[16];
		unsigned long ven, c;
		struct fs_dev *vf;

		fs_vf_addr(pf, k, addr);
		sys_read(fs, vendor, sizeof(vendor), "bus/pci/devices/%s/vendor", pf->addr);
		sys_read(fs, cls, sizeof(cls), "bus/pci/devices/%s/class", pf->addr);
		ven = strtoul(vendor, NULL, 0);
		c = strtoul(cls, NULL, 0);
		vf = fs_find(fs, addr);
		if (!vf) {
			ck_assert_int_lt(fs->n_devs, FS_MAX_DEVS);
			vf = &fs->devs[fs->n_devs++];
		}
		pf = &fs->devs[pfi];
		memset(vf, 0, sizeof(*vf));
		snprintf(vf->addr, sizeof(vf->addr), "%s", addr);
		snprintf(vf->dir, sizeof(vf->dir), "devices/pci0000:00/%s", addr);
		vf->present = true;
		vf->is_vf = true;
		vf->pf = pfi;
		vf->group = new_group(fs);
		snprintf(vf->native, sizeof(vf->native), "%s", pf->vf_native);
		dev_files(fs, vf, (unsigned)ven, 0x1889, (unsigned)c);
		snprintf(target, sizeof(target), "../%s", pf->addr);
		syslink(fs, target, "devices/pci0000:00/%s/physfn", addr);
		snprintf(target, sizeof(target), "../%s", addr);
		syslink(fs, target, "devices/pci0000:00/%s/virtfn%u", pf->addr, k);
		vf_defaults(&pf->vfs[k], k);
		if (probe && vf->native[0] && driver_registered(fs, vf->native))
			do_bind(fs, vf, vf->native);
	}
	fs->devs[pfi].nvfs = n;
	fs_vfs_store(fs, &fs->devs[pfi]);
}

static void remove_vfs(struct fakesys *fs, struct fs_dev *pf)
{
	for (unsigned k = 0; k < pf->nvfs; k++) {
		char addr[MVL_PCI_ADDR_LEN];
		struct fs_dev *vf;

		fs_vf_addr(pf, k, addr);
		vf = fs_find(fs, addr);
		if (!vf)
			continue;
		do_unbind(fs, vf);
		sysrm(fs, "kernel/iommu_groups/%d/devices/%s", vf->group, addr);
		sysrm(fs, "kernel/iommu_groups/%d/devices", vf->group);
		sysrm(fs, "kernel/iommu_groups/%d", vf->group);
		sysrm(fs, "bus/pci/devices/%s", addr);
		sysrm(fs, "devices/pci0000:00/%s/virtfn%u", pf->addr, k);
		{
			char path[PATH_MAX];

			snprintf(path, sizeof(path), "%s/devices/pci0000:00/%s", fs->sys, addr);
			rm_rf(path);
		}
		vf->present = false;
	}
	pf->nvfs = 0;
}

/* ------------------------------------------------------ the write hook */

static int parse_num(const char *v, unsigned long *ret)
{
	char *end;

	errno = 0;
	*ret = strtoul(v, &end, 10);
	if (errno || end == v || (*end && strcmp(end, "\n") != 0))
		return -EINVAL;
	return 0;
}

static int w_numvfs(struct fakesys *fs, struct fs_dev *d, const char *v)
{
	unsigned long n;
	char drv[64], cur[16];

	if (parse_num(v, &n) < 0)
		return -EINVAL;
	fs_driver(fs, d->addr, drv, sizeof(drv));
	if (!drv[0])
		return -ENOENT; /* "no driver bound to device" */
	if (n > d->total_vfs)
		return -ERANGE;
	fs_vfs_load(fs, d);
	if (n == d->nvfs)
		return 0;
	if (n && d->nvfs)
		return -EBUSY;
	if (n)
		create_vfs(fs, d, (unsigned)n);
	else
		remove_vfs(fs, d);
	d = fs_find(fs, d->addr);
	snprintf(cur, sizeof(cur), "%lu", n);
	sysf(fs, cur, "devices/pci0000:00/%s/sriov_numvfs", d->addr);
	fs_vfs_load(fs, d);
	return 0;
}

/* netdevsim: 0 -> N and N -> 0 (-EBUSY otherwise), at most max_vfs (-ENOMEM,
 * as its nsim_drv_configure_vfs()); VFs are entries of the PF, no devices. */
static int w_nsim_numvfs(struct fakesys *fs, struct fs_dev *d, const char *v)
{
	unsigned long n;
	char cur[16];

	if (parse_num(v, &n) < 0)
		return -EINVAL;
	if (n > d->total_vfs)
		return -ENOMEM;
	fs_vfs_load(fs, d);
	if (n == d->nvfs)
		return 0;
	if (n && d->nvfs)
		return -EBUSY;
	for (unsigned k = 0; k < n; k++)
		vf_defaults(&d->vfs[k], k);
	d->nvfs = (unsigned)n;
	fs_vfs_store(fs, d);
	snprintf(cur, sizeof(cur), "%lu", n);
	sysf(fs, cur, "%s/sriov_numvfs", d->dir);
	return 0;
}

static int w_override(struct fakesys *fs, struct fs_dev *d, const char *v)
{
	char val[64];
	size_t n = strcspn(v, "\n");

	if (n >= sizeof(val))
		return -EINVAL;
	memcpy(val, v, n);
	val[n] = '\0';
	sysf(fs, val[0] ? val : "(null)", "devices/pci0000:00/%s/driver_override", d->addr);
	return 0;
}

static int w_unbind(struct fakesys *fs, const char *drv, const char *v)
{
	struct fs_dev *d = fs_find(fs, v);
	char cur[64];

	if (!d)
		return -ENODEV;
	fs_driver(fs, d->addr, cur, sizeof(cur));
	if (strcmp(cur, drv) != 0)
		return -ENODEV;
	do_unbind(fs, d);
	return 0;
}

static int w_bind(struct fakesys *fs, const char *drv, const char *v)
{
	struct fs_dev *d = fs_find(fs, v);
	char cur[64], ovr[64];

	if (!d)
		return -ENODEV;
	fs_driver(fs, d->addr, cur, sizeof(cur));
	if (cur[0])
		return -EBUSY;
	fs_override(fs, d->addr, ovr, sizeof(ovr));
	if (ovr[0] ? strcmp(ovr, drv) != 0 : strcmp(d->native, drv) != 0)
		return -ENODEV;
	/* as observed: with autoprobe off a VF cannot be bound this way */
	if (d->is_vf && !ovr[0] && !autoprobe_on(fs, &fs->devs[d->pf]))
		return -EIO;
	if (strcmp(drv, fs->probe_fails) == 0)
		return -ENXIO;
	do_bind(fs, d, drv);
	return 0;
}

static int w_probe(struct fakesys *fs, const char *v)
{
	struct fs_dev *d = fs_find(fs, v);
	char cur[64], drv[64];

	if (!d)
		return -ENODEV;
	fs_driver(fs, d->addr, cur, sizeof(cur));
	if (cur[0])
		return 0;
	probe_driver(fs, d, drv, sizeof(drv));
	if (drv[0])
		do_bind(fs, d, drv);
	return 0; /* a probe that binds nothing still succeeds */
}

static int unexpected(struct fakesys *fs, const char *path, const char *value)
{
	fs->unexpected++;
	snprintf(fs->last_unexpected, sizeof(fs->last_unexpected), "%s <- '%s'", path, value);
	return -EPERM;
}

static int write_hook(const char *path, const char *value, void *data)
{
	struct fakesys *fs = data;
	char rel[PATH_MAX], *attr, addr[64], drv[64];
	struct fs_dev *d;
	size_t n = strlen(fs->sys);

	fs->writes++;
	if (fs->fail_at && fs->writes == fs->fail_at)
		return -fs->fail_err;
	if (fs->fail_suffix && strlen(path) >= strlen(fs->fail_suffix) &&
	    strcmp(path + strlen(path) - strlen(fs->fail_suffix), fs->fail_suffix) == 0)
		return -fs->fail_err;
	if (strncmp(path, fs->sys, n) != 0 || path[n] != '/')
		return unexpected(fs, path, value);
	snprintf(rel, sizeof(rel), "%s", path + n + 1);
	if (strcmp(rel, "bus/pci/drivers_probe") == 0)
		return w_probe(fs, value);
	if (sscanf(rel, "bus/pci/drivers/%63[^/]/%63s", drv, addr) == 2) {
		if (!driver_registered(fs, drv))
			return -ENOENT;
		if (strcmp(addr, "unbind") == 0)
			return w_unbind(fs, drv, value);
		if (strcmp(addr, "bind") == 0)
			return w_bind(fs, drv, value);
		return unexpected(fs, path, value);
	}
	if (sscanf(rel, "class/net/%15[^/]/device/%63s", addr, drv) == 2) {
		for (int i = 0; i < fs->n_devs; i++)
			if (fs->devs[i].nsim && strcmp(fs->devs[i].ifname, addr) == 0 &&
			    strcmp(drv, "sriov_numvfs") == 0)
				return w_nsim_numvfs(fs, &fs->devs[i], value);
		return unexpected(fs, path, value);
	}
	if (strncmp(rel, "bus/pci/devices/", 16) != 0)
		return unexpected(fs, path, value);
	attr = strchr(rel + 16, '/');
	if (!attr)
		return unexpected(fs, path, value);
	*attr++ = '\0';
	d = fs_find(fs, rel + 16);
	if (!d)
		return -ENOENT;
	if (strcmp(attr, "driver_override") == 0)
		return w_override(fs, d, value);
	if (strcmp(attr, "sriov_numvfs") == 0 && d->total_vfs)
		return w_numvfs(fs, d, value);
	if (strcmp(attr, "sriov_drivers_autoprobe") == 0 && d->total_vfs) {
		if (strcmp(value, "0") && strcmp(value, "1"))
			return -EINVAL;
		sysf(fs, value, "devices/pci0000:00/%s/sriov_drivers_autoprobe", d->addr);
		return 0;
	}
	return unexpected(fs, path, value);
}

/* ------------------------------------------------- the PF's VF requests */

static struct fs_dev *pf_by_ifindex(struct fakesys *fs, int ifindex)
{
	for (int i = 0; i < fs->n_devs; i++)
		if (fs->devs[i].present && fs->devs[i].ifindex == ifindex)
			return &fs->devs[i];
	return NULL;
}

static int nl_vf_get_all(void *data, int pf_ifindex, struct mvl_vf_state **ret, size_t *ret_n)
{
	struct fakesys *fs = data;
	struct fs_dev *pf = pf_by_ifindex(fs, pf_ifindex);
	struct mvl_vf_state *v;

	if (!pf)
		return -ENODEV;
	fs_vfs_load(fs, pf);
	v = calloc(pf->nvfs ? pf->nvfs : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (unsigned k = 0; k < pf->nvfs; k++) {
		v[k] = pf->vfs[k];
		v[k].have = pf->vf_report;
		if (!(pf->vf_report & MVL_VF_A_TRUST))
			v[k].trust = -1;
		if (!(pf->vf_report & MVL_VF_A_QUERY_RSS))
			v[k].query_rss = -1;
	}
	*ret = v;
	*ret_n = pf->nvfs;
	return 0;
}

static int nl_vf_set(void *data, int pf_ifindex, unsigned attr, const struct mvl_vf_state *val)
{
	struct fakesys *fs = data;
	struct fs_dev *pf = pf_by_ifindex(fs, pf_ifindex);
	struct mvl_vf_state *s;

	if (!pf)
		return -ENODEV;
	fs_vfs_load(fs, pf);
	if (val->vf < 0 || (unsigned)val->vf >= pf->nvfs)
		return -EINVAL;
	if (pf->refuse & attr)
		return pf->refuse_err;
	s = &pf->vfs[val->vf];
	switch (attr) {
	case MVL_VF_A_MAC:
		if (pf->refuse_zero_mac && !memcmp(val->mac, "\0\0\0\0\0\0", 6))
			return -EINVAL;
		memcpy(s->mac, val->mac, 6);
		break;
	case MVL_VF_A_VLAN:
		if (val->vlan > 4095 || val->qos > 7)
			return -EINVAL;
		s->vlan = val->vlan;
		s->qos = val->qos;
		s->vlan_proto = val->vlan_proto;
		break;
	case MVL_VF_A_SPOOFCHK:
		s->spoofchk = val->spoofchk;
		break;
	case MVL_VF_A_TRUST:
		s->trust = val->trust;
		break;
	case MVL_VF_A_QUERY_RSS:
		s->query_rss = val->query_rss;
		break;
	case MVL_VF_A_LINK_STATE:
		s->link_state = val->link_state;
		break;
	case MVL_VF_A_RATE:
		s->min_tx_rate = val->min_tx_rate;
		s->max_tx_rate = val->max_tx_rate;
		break;
	default:
		return -EINVAL;
	}
	fs_vfs_store(fs, pf);
	return 0;
}

static int nl_default_route(void *data, int ifindex)
{
	struct fakesys *fs = data;

	return fs->default_route_ifindex && ifindex == fs->default_route_ifindex;
}

static const struct mvl_nl_test_ops nl_ops = {
	.vf_get_all = nl_vf_get_all,
	.vf_set = nl_vf_set,
	.has_default_route = nl_default_route,
};

/* ------------------------------------------------------------ lifecycle */

void fs_add_driver(struct fakesys *fs, const char *name)
{
	sysdir(fs, "bus/pci/drivers/%s", name);
	sysf(fs, "", "bus/pci/drivers/%s/bind", name);
	sysf(fs, "", "bus/pci/drivers/%s/unbind", name);
}

void fs_remove_driver(struct fakesys *fs, const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/bus/pci/drivers/%s", fs->sys, name);
	rm_rf(path);
}

struct fakesys *fs_new(void)
{
	struct fakesys *fs = calloc(1, sizeof(*fs));
	const char *tmp = getenv("TMPDIR");

	ck_assert_ptr_nonnull(fs);
	snprintf(fs->root, sizeof(fs->root), "%s/mvlink-fakesys.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	ck_assert_msg(mkdtemp(fs->root) != NULL, "mkdtemp: %s", strerror(errno));
	snprintf(fs->sys, sizeof(fs->sys), "%s/sys", fs->root);
	snprintf(fs->dev, sizeof(fs->dev), "%s/dev", fs->root);
	snprintf(fs->state, sizeof(fs->state), "%s/state", fs->root);
	mkdirs(fs->sys);
	mkdirs(fs->state);
	{
		char p[PATH_MAX];

		snprintf(p, sizeof(p), "%s/vfio", fs->dev);
		mkdirs(p);
	}
	sysdir(fs, "devices/pci0000:00");
	sysdir(fs, "bus/pci/devices");
	sysdir(fs, "bus/pci/drivers");
	sysdir(fs, "kernel/iommu_groups");
	sysdir(fs, "class/net");
	sysf(fs, "", "bus/pci/drivers_probe");
	fs->next_group = 10;
	fs_add_driver(fs, "vfio-pci");
	fs_add_driver(fs, "pci-stub");
	return fs;
}

void fs_free(struct fakesys *fs)
{
	if (!fs)
		return;
	if (!getenv("MVLINK_TEST_KEEP"))
		rm_rf(fs->root);
	free(fs);
}

void fs_setup_ctx(struct fakesys *fs, struct mvl_ctx *ctx)
{
	ck_assert_int_eq(mvl_ctx_set_sysfs_root(ctx, fs->sys), 0);
	ck_assert_int_eq(mvl_ctx_set_dev_root(ctx, fs->dev), 0);
	ck_assert_int_eq(mvl_ctx_set_state_dir(ctx, fs->state), 0);
	mvl_sysfs_set_write_hook(ctx, write_hook, fs);
	mvl_nl_set_test_ops(ctx, &nl_ops, fs);
}

/* ------------------------------------------------------------ snapshots */

static int cmp_dev(const void *a, const void *b)
{
	return strcmp(((const struct fs_dev *)a)->addr, ((const struct fs_dev *)b)->addr);
}

static void list_dir(FILE *out, const char *label, const char *dir)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);

	for (int i = 0; i < n; i++) {
		struct stat st;
		char p[PATH_MAX];

		snprintf(p, sizeof(p), "%s/%s", dir, names[i]->d_name);
		if (names[i]->d_name[0] != '.' || strstr(names[i]->d_name, ".tmp"))
			if (lstat(p, &st) == 0)
				fprintf(out, "%s %s uid=%u gid=%u\n", label, names[i]->d_name,
					(unsigned)st.st_uid, (unsigned)st.st_gid);
		free(names[i]);
	}
	if (n >= 0)
		free(names);
}

char *fs_snapshot(struct fakesys *fs)
{
	struct fs_dev devs[FS_MAX_DEVS];
	char *buf = NULL, p[PATH_MAX];
	size_t len = 0;
	int n = 0;
	FILE *out = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(out);
	for (int i = 0; i < fs->n_devs; i++)
		if (fs->devs[i].present)
			devs[n++] = fs->devs[i];
	qsort(devs, (size_t)n, sizeof(devs[0]), cmp_dev);
	for (int i = 0; i < n; i++) {
		struct fs_dev *d = &devs[i];
		char drv[64], ovr[64], numvfs[16] = "", ap[16] = "";

		fs_driver(fs, d->addr, drv, sizeof(drv));
		fs_override(fs, d->addr, ovr, sizeof(ovr));
		if (d->total_vfs) {
			sys_read(fs, numvfs, sizeof(numvfs), "%s/sriov_numvfs", d->dir);
			sys_read(fs, ap, sizeof(ap), "%s/sriov_drivers_autoprobe", d->dir);
		}
		if (d->total_vfs)
			fs_vfs_load(fs, d);
		fprintf(out, "dev %s driver=%s override=%s numvfs=%s autoprobe=%s\n", d->addr, drv,
			ovr, numvfs, ap);
		for (unsigned k = 0; k < d->nvfs; k++) {
			const struct mvl_vf_state *s = &d->vfs[k];
			char mac[18];

			fprintf(out,
				"  vf %u mac=%s vlan=%u qos=%u proto=%04x spoofchk=%d trust=%d "
				"link=%d rate=%u/%u query_rss=%d\n",
				k, mvl_mac_format(s->mac, mac), s->vlan, s->qos, s->vlan_proto,
				s->spoofchk, s->trust, s->link_state, s->min_tx_rate,
				s->max_tx_rate, s->query_rss);
		}
	}
	snprintf(p, sizeof(p), "%s/vfio", fs->dev);
	list_dir(out, "vfio", p);
	snprintf(p, sizeof(p), "%s/vf", fs->state);
	list_dir(out, "journal-vf", p);
	snprintf(p, sizeof(p), "%s/pci", fs->state);
	list_dir(out, "journal-pci", p);
	fclose(out);
	return buf;
}

int fs_journal_count(struct fakesys *fs)
{
	static const char *const subs[] = { "vf", "pci" };
	int count = 0;

	for (size_t i = 0; i < 2; i++) {
		char p[PATH_MAX];
		struct dirent *de;
		DIR *d;

		snprintf(p, sizeof(p), "%s/%s", fs->state, subs[i]);
		d = opendir(p);
		if (!d)
			continue;
		while ((de = readdir(d)))
			if (strstr(de->d_name, ".json") && de->d_name[0] != '.')
				count++;
		closedir(d);
	}
	return count;
}
