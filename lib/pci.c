// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * pci.c - PCI devices: address parsing, exact facts from sysfs (driver,
 * driver_override, IOMMU group, SR-IOV links, netdevs) and identity through
 * libpci (vendor and device names, NUMA node).  The only file of the
 * library that talks libpci.
 *
 * libpci reports errors through pci_access->error, which must not return
 * and by default calls exit(1): unacceptable in a library that runs inside
 * a VMM launcher.  Every libpci call here runs under a setjmp() point; our
 * error function records the message and longjmp()s back to it.  A session
 * that took such an error is poisoned: nothing more is asked of it but the
 * clean-up (the device being filled in is freed, pci_cleanup() runs under
 * a guard too).
 *
 * libpci's sysfs back end reads "<sysfs.path>/devices/<addr>/...", so the
 * path is pointed at <the sysfs root>/bus/pci and tests can use a fake
 * tree.  Decisions (which driver is bound, which IOMMU group) are made on
 * the sysfs links read here directly: exact, uncached, and what the kernel
 * acts on.
 */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <sys/stat.h>

#include <pci/pci.h>

#include "kernel.h"

/* ------------------------------------------------------------ addresses */

static int hexdigits(const char *s, size_t n, unsigned long *ret)
{
	unsigned long v = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!isxdigit((unsigned char)c))
			return -EINVAL;
		v = v * 16 + (unsigned long)(isdigit((unsigned char)c) ?
						     c - '0' :
						     tolower((unsigned char)c) - 'a' + 10);
	}
	*ret = v;
	return 0;
}

MVL_EXPORT int mvl_pci_addr_parse(const char *text, char ret_addr[MVL_PCI_ADDR_LEN])
{
	unsigned long dom = 0, bus, dev, fn;
	const char *p;
	size_t n;

	if (!text || !ret_addr)
		return -EINVAL;
	n = strlen(text);
	/* "dddd:bb:dd.f" (12) or "bb:dd.f" (7), nothing else */
	if (n == 12) {
		if (text[4] != ':' || hexdigits(text, 4, &dom) < 0)
			return -EINVAL;
		p = text + 5;
	} else if (n == 7) {
		p = text;
	} else {
		return -EINVAL;
	}
	if (p[2] != ':' || p[5] != '.' || hexdigits(p, 2, &bus) < 0 ||
	    hexdigits(p + 3, 2, &dev) < 0 || p[6] < '0' || p[6] > '7')
		return -EINVAL;
	fn = (unsigned long)(p[6] - '0');
	if (dev > 0x1f)
		return -EINVAL;
	snprintf(ret_addr, MVL_PCI_ADDR_LEN, "%04lx:%02lx:%02lx.%lu", dom, bus, dev, fn);
	return 0;
}

bool mvl_driver_name_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > 63 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return false;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' && *p != '.')
			return false;
	return true;
}

/* ------------------------------------------------------ facts from sysfs */

bool mvl_pci_exists(struct mvl_ctx *ctx, const char *addr)
{
	char path[PATH_MAX];

	if (mvl_sysfs_path(ctx, path, sizeof(path), "bus/pci/devices/%s", addr) < 0)
		return false;
	return access(path, F_OK) == 0;
}

int mvl_sysfs_link_base(struct mvl_ctx *ctx, char *buf, size_t len, const char *fmt, ...)
{
	char path[PATH_MAX], target[PATH_MAX], rel[PATH_MAX];
	const char *base;
	va_list ap;
	ssize_t n;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= sizeof(rel))
		return -ENAMETOOLONG;
	r = mvl_sysfs_path(ctx, path, sizeof(path), "%s", rel);
	if (r < 0)
		return r;
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (strlen(base) >= len)
		return -ENAMETOOLONG;
	strcpy(buf, base);
	return 0;
}

int mvl_pci_driver(struct mvl_ctx *ctx, const char *addr, char *buf, size_t len)
{
	int r = mvl_sysfs_link_base(ctx, buf, len, "bus/pci/devices/%s/driver", addr);

	if (r == -ENOENT) {
		if (!mvl_pci_exists(ctx, addr))
			return -ENODEV;
		buf[0] = '\0';
		return 0;
	}
	if (r == 0 && !mvl_driver_name_valid(buf))
		return -EBADMSG;
	return r;
}

int mvl_pci_driver_override(struct mvl_ctx *ctx, const char *addr, char *buf, size_t len)
{
	int r = mvl_sysfs_read(ctx, buf, len, "bus/pci/devices/%s/driver_override", addr);

	if (r == -ENOENT && !mvl_pci_exists(ctx, addr))
		return -ENODEV;
	if (r < 0)
		return r;
	/* the kernel shows an unset override as "(null)" */
	if (strcmp(buf, "(null)") == 0)
		buf[0] = '\0';
	if (buf[0] && !mvl_driver_name_valid(buf))
		return -EBADMSG;
	return 0;
}

int mvl_pci_iommu_group(struct mvl_ctx *ctx, const char *addr)
{
	char name[32];
	unsigned long g;
	int r = mvl_sysfs_link_base(ctx, name, sizeof(name), "bus/pci/devices/%s/iommu_group", addr);

	if (r < 0)
		return r;
	if (mvl_parse_uint(name, INT_MAX, &g) < 0)
		return -EBADMSG;
	return (int)g;
}

bool mvl_dev_name_valid(const char *name)
{
	char addr[MVL_PCI_ADDR_LEN];

	if (mvl_pci_addr_parse(name, addr) == 0)
		return strcmp(addr, name) == 0;
	return mvl_vf_name_parse(name, NULL, NULL) == 0;
}

int mvl_pci_read_ulong(struct mvl_ctx *ctx, const char *addr, const char *attr, unsigned long *ret)
{
	return mvl_sysfs_read_ulong(ctx, ret, "bus/pci/devices/%s/%s", addr, attr);
}

int mvl_pci_link_addr(struct mvl_ctx *ctx, const char *addr, const char *link,
		      char ret[MVL_PCI_ADDR_LEN])
{
	char base[64];
	int r = mvl_sysfs_link_base(ctx, base, sizeof(base), "bus/pci/devices/%s/%s", addr, link);

	if (r < 0)
		return r;
	return mvl_pci_addr_parse(base, ret) < 0 ? -EBADMSG : 0;
}

static int foreach_dirent(struct mvl_ctx *ctx, const char *rel,
			  int (*cb)(struct mvl_ctx *ctx, const char *name, void *data), void *data)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int r, fd;

	r = mvl_sysfs_path(ctx, path, sizeof(path), "%s", rel);
	if (r < 0)
		return r;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	r = 0;
	while (r == 0 && (de = readdir(d)))
		if (de->d_name[0] != '.')
			r = cb(ctx, de->d_name, data);
	closedir(d);
	return r;
}

int mvl_pci_foreach_netdev(struct mvl_ctx *ctx, const char *addr,
			   int (*cb)(struct mvl_ctx *ctx, const char *ifname, void *data),
			   void *data)
{
	char rel[PATH_MAX];

	snprintf(rel, sizeof(rel), "bus/pci/devices/%s/net", addr);
	return foreach_dirent(ctx, rel, cb, data);
}

struct group_walk {
	int (*cb)(struct mvl_ctx *ctx, const char *addr, void *data);
	void *data;
};

static int group_dev_cb(struct mvl_ctx *ctx, const char *name, void *data)
{
	struct group_walk *gw = data;
	char addr[MVL_PCI_ADDR_LEN];

	/* only PCI functions matter to vfio-pci; skip anything else */
	if (mvl_pci_addr_parse(name, addr) < 0 || strcmp(addr, name) != 0)
		return 0;
	return gw->cb(ctx, addr, gw->data);
}

int mvl_pci_foreach_group_dev(struct mvl_ctx *ctx, int group,
			      int (*cb)(struct mvl_ctx *ctx, const char *addr, void *data),
			      void *data)
{
	struct group_walk gw = { .cb = cb, .data = data };
	char rel[PATH_MAX];

	snprintf(rel, sizeof(rel), "kernel/iommu_groups/%d/devices", group);
	return foreach_dirent(ctx, rel, group_dev_cb, &gw);
}

bool mvl_pci_driver_exists(struct mvl_ctx *ctx, const char *driver)
{
	char path[PATH_MAX];
	struct stat st;

	if (!mvl_driver_name_valid(driver) ||
	    mvl_sysfs_path(ctx, path, sizeof(path), "bus/pci/drivers/%s", driver) < 0)
		return false;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int mvl_netdev_pci_addr(struct mvl_ctx *ctx, const char *ifname, char ret[MVL_PCI_ADDR_LEN])
{
	char base[256], path[PATH_MAX];
	int r;

	if (mvl_ifname_check(ifname) < 0)
		return -EINVAL;
	r = mvl_sysfs_link_base(ctx, base, sizeof(base), "class/net/%s/device", ifname);
	if (r == -ENOENT) {
		r = mvl_sysfs_path(ctx, path, sizeof(path), "class/net/%s", ifname);
		if (r < 0)
			return r;
		return access(path, F_OK) == 0 ? -ENOTTY : -ENODEV;
	}
	if (r < 0)
		return r;
	/* a netdevsim or USB device is not a PCI function */
	if (mvl_pci_addr_parse(base, ret) < 0 || strcmp(base, ret) != 0 ||
	    !mvl_pci_exists(ctx, ret))
		return -ENOTTY;
	return 0;
}

int mvl_netdev_info(struct mvl_ctx *ctx, const char *ifname, int *ret_ifindex, unsigned *ret_flags)
{
	char buf[64], *end;
	unsigned long v;
	int r;

	if (mvl_ifname_check(ifname) < 0)
		return -EINVAL;
	r = mvl_sysfs_read(ctx, buf, sizeof(buf), "class/net/%s/ifindex", ifname);
	if (r < 0)
		return r == -ENOENT ? -ENODEV : r;
	if (mvl_parse_uint(buf, INT_MAX, &v) < 0 || v == 0)
		return -EBADMSG;
	*ret_ifindex = (int)v;
	r = mvl_sysfs_read(ctx, buf, sizeof(buf), "class/net/%s/flags", ifname);
	if (r < 0)
		return r == -ENOENT ? -ENODEV : r;
	errno = 0;
	v = strtoul(buf, &end, 16); /* "0x1003" */
	if (errno || *end || !buf[0])
		return -EBADMSG;
	*ret_flags = (unsigned)v;
	return 0;
}

/* ---------------------------------------------------- libpci, guarded */

struct mvl_pci {
	struct pci_access *acc;
	bool poisoned;
	struct pci_dev *cur; /* the device being filled in */
};

/* libpci's callbacks carry no context: per thread, the active guard.  The
 * library's only state outside a context, forced by libpci's API: thread-
 * local, set only for the span of one guarded call (run_guarded() restores
 * the previous values), so threads and contexts never see each other's.
 * tests/symbols.sh allows exactly these three. */
static __thread jmp_buf *guard_jmp;
static __thread struct mvl_ctx *guard_ctx;
static __thread char guard_msg[256];

static void pci_error_cb(char *msg, ...) _printf_(1, 2) __attribute__((noreturn));
static void pci_error_cb(char *msg, ...)
{
	va_list ap;

	va_start(ap, msg);
	vsnprintf(guard_msg, sizeof(guard_msg), msg, ap);
	va_end(ap);
	if (guard_jmp)
		longjmp(*guard_jmp, 1);
	/* unreachable: every libpci call runs under a guard; never exit() */
	abort();
}

static void pci_log_cb(char *msg, ...) _printf_(1, 2);
static void pci_log_cb(char *msg, ...)
{
	char buf[256];
	va_list ap;

	if (!guard_ctx || mvl_ctx_get_log_priority(guard_ctx) < LOG_DEBUG)
		return;
	va_start(ap, msg);
	vsnprintf(buf, sizeof(buf), msg, ap);
	va_end(ap);
	dbg(guard_ctx, "libpci: %s", buf);
}

/* Run the libpci calls of @fn under a guard: -EIO with libpci's message
 * (in @ctx; none without a context) when it reported an error. */
static int run_guarded(struct mvl_ctx *ctx, struct mvl_pci *pci,
		       void (*fn)(struct mvl_pci *pci, void *data), void *data)
{
	jmp_buf jb;
	jmp_buf *volatile saved_jmp = guard_jmp;
	struct mvl_ctx *volatile saved_ctx = guard_ctx;

	guard_ctx = ctx;
	guard_jmp = &jb;
	if (setjmp(jb) != 0) {
		guard_jmp = saved_jmp;
		guard_ctx = saved_ctx;
		return ctx ? mvl_fail(ctx, -EIO, "libpci: %s", guard_msg) : -EIO;
	}
	fn(pci, data);
	guard_jmp = saved_jmp;
	guard_ctx = saved_ctx;
	return 0;
}

static void do_free_dev(struct mvl_pci *pci, void *data)
{
	pci_free_dev(data);
}

/*
 * As run_guarded(), for a session: after an error the session is poisoned
 * (libpci never expected its error function to return, so nothing more is
 * asked of it but the clean-up); the device being filled is freed.
 */
static int guarded(struct mvl_ctx *ctx, struct mvl_pci *pci,
		   void (*fn)(struct mvl_pci *pci, void *data), void *data)
{
	int r;

	if (pci->poisoned)
		return mvl_fail(ctx, -EIO, "libpci failed earlier in this session");
	r = run_guarded(ctx, pci, fn, data);
	if (r < 0) {
		pci->poisoned = true;
		if (pci->cur) {
			mvl_undo_begin(ctx); /* the failure above stays the error */
			run_guarded(ctx, pci, do_free_dev, pci->cur);
			pci->cur = NULL;
			mvl_undo_end(ctx);
		}
	}
	return r;
}

struct open_args {
	const char *bus_path;
};

static void do_open(struct mvl_pci *pci, void *data)
{
	struct open_args *a = data;

	pci->acc = pci_alloc();
	pci->acc->error = pci_error_cb;
	pci->acc->warning = pci_log_cb;
	pci->acc->debug = pci_log_cb;
	pci->acc->method = PCI_ACCESS_SYS_BUS_PCI;
	/* no DNS lookups, no cache file in $HOME */
	pci->acc->id_lookup_mode = 0;
	pci_set_param(pci->acc, (char *)"sysfs.path", (char *)a->bus_path);
	pci_init(pci->acc);
}

int mvl_pci_open(struct mvl_ctx *ctx, struct mvl_pci **ret)
{
	struct open_args a;
	char path[PATH_MAX];
	struct mvl_pci *pci;
	int r;

	r = mvl_sysfs_path(ctx, path, sizeof(path), "bus/pci");
	if (r < 0)
		return r;
	if (access(path, R_OK) < 0)
		return mvl_fail(ctx, -errno, "no PCI bus at %s: %s", path, MVL_STRERROR(errno));
	a.bus_path = path;
	pci = calloc(1, sizeof(*pci));
	if (!pci)
		return -ENOMEM;
	r = guarded(ctx, pci, do_open, &a);
	if (r < 0) {
		mvl_pci_close(pci);
		return r;
	}
	*ret = pci;
	return 0;
}

static void do_cleanup(struct mvl_pci *pci, void *data)
{
	pci_cleanup(pci->acc);
}

void mvl_pci_close(struct mvl_pci *pci)
{
	if (!pci)
		return;
	if (pci->acc) {
		/* guarded like every libpci call (also after an error: libpci's
		 * structures are consistent between its calls); what it could
		 * report has no caller to go to: no context, nothing logged */
		run_guarded(NULL, pci, do_cleanup, NULL);
	}
	free(pci);
}

struct identify_args {
	int dom, bus, dev, fn;
	bool names;
	struct mvl_pci_info *info;
};

static void copy_prop(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

static void do_identify(struct mvl_pci *pci, void *data)
{
	struct identify_args *a = data;
	struct mvl_pci_info *info = a->info;
	struct pci_dev *d;
	char buf[256];
	const char *s;
	unsigned long g;

	d = pci_get_dev(pci->acc, a->dom, a->bus, a->dev, a->fn);
	pci->cur = d;
	pci_fill_info(d, PCI_FILL_IDENT | PCI_FILL_CLASS | PCI_FILL_NUMA_NODE |
				 PCI_FILL_IOMMU_GROUP | PCI_FILL_DRIVER);
	info->vendor_id = d->vendor_id;
	info->device_id = d->device_id;
	info->class_id = d->device_class;
	info->numa_node = d->numa_node >= 0 ? d->numa_node : -1;
	copy_prop(info->driver, sizeof(info->driver), pci_get_string_property(d, PCI_FILL_DRIVER));
	s = pci_get_string_property(d, PCI_FILL_IOMMU_GROUP);
	info->iommu_group = s && mvl_parse_uint(s, INT_MAX, &g) == 0 ? (int)g : -1;
	if (a->names) {
		s = pci_lookup_name(pci->acc, buf, sizeof(buf),
				    PCI_LOOKUP_VENDOR | PCI_LOOKUP_NO_NUMBERS, d->vendor_id);
		copy_prop(info->vendor_name, sizeof(info->vendor_name), s);
		s = pci_lookup_name(pci->acc, buf, sizeof(buf),
				    PCI_LOOKUP_DEVICE | PCI_LOOKUP_NO_NUMBERS, d->vendor_id,
				    d->device_id);
		copy_prop(info->device_name, sizeof(info->device_name), s);
	}
	pci->cur = NULL;
	pci_free_dev(d);
}

int mvl_pci_identify(struct mvl_ctx *ctx, struct mvl_pci *pci, const char *addr, bool names,
		     struct mvl_pci_info *ret)
{
	struct mvl_pci_info info = { .iommu_group = -1, .numa_node = -1 };
	struct identify_args a = { .names = names, .info = &info };
	unsigned long dom = 0, bus = 0, dev = 0;
	int r;

	if (mvl_pci_addr_parse(addr, (char[MVL_PCI_ADDR_LEN]){ 0 }) < 0)
		return -EINVAL;
	if (!mvl_pci_exists(ctx, addr))
		return mvl_fail(ctx, -ENODEV, "no PCI device %s", addr);
	hexdigits(addr, 4, &dom);
	hexdigits(addr + 5, 2, &bus);
	hexdigits(addr + 8, 2, &dev);
	a.dom = (int)dom;
	a.bus = (int)bus;
	a.dev = (int)dev;
	a.fn = addr[11] - '0';
	r = guarded(ctx, pci, do_identify, &a);
	if (r < 0)
		return r;
	*ret = info;
	return 0;
}
