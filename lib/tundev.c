// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * tundev.c - what tap-like links share: the fds of /dev/net/tun (taps) and
 * the char device of a macvtap-like link (macvtap, ipvtap), its node
 * /dev/tap<ifindex> found through sysfs, opened once per queue, and when it
 * is missing or another device, a private node made with mknod, opened and
 * unlinked at once.
 *
 * A char device class is named by the kind ("macvtap", "ipvtap"): sysfs
 * shows the device under class/net/<name>/<class>/tap<ifindex>/dev, with
 * the class's own major; devtmpfs names the node tap<ifindex> for every
 * class.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <linux/if_tun.h>

#include "kernel.h"

/* ---------------------------------------------------------- /dev/net/tun */

int mvl_tun_open(struct mvl_ctx *ctx, const char *name, int flags, int ifindex)
{
	_cleanup_close_ int fd = -1;
	char path[PATH_MAX];
	struct ifreq ifr = { .ifr_flags = (short)flags };
	int r;

	r = mvl_step(ctx, "open /dev/net/tun");
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "%s/net/tun", mvl_ctx_get_dev_root(ctx));
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	/* the ifindex a new tap gets (only this fd's: changes nothing) */
	if (ifindex > 0 && ioctl(fd, TUNSETIFINDEX, &(unsigned){ (unsigned)ifindex }) < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	r = mvl_step(ctx, "TUNSETIFF");
	if (r < 0)
		return r;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		return -errno;
	return TAKE_FD(fd);
}

int mvl_tun_ioctl(struct mvl_ctx *ctx, int fd, unsigned long req, unsigned long arg,
		  const char *what)
{
	int r = mvl_step(ctx, what);

	if (r < 0)
		return r;
	return ioctl(fd, req, arg) < 0 ? -errno : 0;
}

void mvl_fds_close(int *fds, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (fds[i] >= 0) {
			close(fds[i]);
			fds[i] = -1;
		}
}

/* ------------------------------------------------------------ the node */

int mvl_tapdev_find(struct mvl_ctx *ctx, const char *cls, const char *name, int ifindex,
		    struct mvl_tapdev_node *n)
{
	char buf[64], extra;
	unsigned maj, min;
	unsigned long idx;
	struct stat st;
	int r;

	n->cls = cls;
	/* sysfs must show our network namespace, or the name is someone else's */
	r = mvl_sysfs_read(ctx, buf, sizeof(buf), "class/net/%s/ifindex", name);
	if (r < 0)
		return mvl_fail(ctx, r, "cannot read %s/class/net/%s/ifindex: %s%s",
				mvl_ctx_get_sysfs_root(ctx), name, MVL_STRERROR(r),
				r == -ENOENT ? " (is sysfs mounted in this "
					       "network namespace?)" :
					       "");
	if (mvl_parse_uint(buf, INT_MAX, &idx) < 0 || (int)idx != ifindex)
		return mvl_fail(ctx, -ENXIO,
				"%s/class/net/%s is another device (ifindex %s, not %d): "
				"sysfs must be mounted in this network namespace",
				mvl_ctx_get_sysfs_root(ctx), name, buf, ifindex);
	r = mvl_sysfs_read(ctx, buf, sizeof(buf), "class/net/%s/%s/tap%d/dev", name, cls, ifindex);
	if (r < 0)
		return mvl_fail(ctx, r,
				"cannot read the device number of %s %s from "
				"%s/class/net/%s/%s/tap%d/dev: %s",
				cls, name, mvl_ctx_get_sysfs_root(ctx), name, cls, ifindex,
				MVL_STRERROR(r));
	if (sscanf(buf, "%u:%u%c", &maj, &min, &extra) != 2)
		return mvl_fail(ctx, -EBADMSG, "%s %s: unexpected device number '%s' in sysfs", cls,
				name, buf);
	n->rdev = makedev(maj, min);
	snprintf(n->path, sizeof(n->path), "%s/tap%d", mvl_ctx_get_dev_root(ctx), ifindex);
	n->usable = n->missing = false;
	if (lstat(n->path, &st) < 0) {
		n->missing = errno == ENOENT;
		snprintf(n->why, sizeof(n->why), "%s",
			 n->missing ? "missing (no devtmpfs here?)" : MVL_STRERROR(errno));
	} else if (!S_ISCHR(st.st_mode) || st.st_rdev != n->rdev)
		snprintf(n->why, sizeof(n->why),
			 "another device (%s %u:%u; a %s with the same "
			 "ifindex in another network namespace?)",
			 S_ISCHR(st.st_mode) ? "char device" : "not a char device",
			 major(st.st_rdev), minor(st.st_rdev), cls);
	else
		n->usable = true;
	return 0;
}

/* Open @path @count times, each fd checked to be char device @rdev. */
static int open_node(struct mvl_ctx *ctx, const char *cls, const char *path, dev_t rdev,
		     unsigned count, int *fds)
{
	char what[64];
	unsigned i;
	int r = 0;

	snprintf(what, sizeof(what), "open %s queue", cls);
	for (i = 0; i < count; i++) {
		struct stat st;

		r = mvl_step(ctx, what);
		if (r < 0)
			break;
		/* blocking, as libvirt and microvm.nix hand them over: the VMM
		 * sets O_NONBLOCK itself (QEMU does) */
		fds[i] = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY);
		if (fds[i] < 0) {
			r = -errno;
			break;
		}
		if (fstat(fds[i], &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != rdev) {
			r = -ESTALE; /* replaced since we looked */
			close(fds[i]);
			fds[i] = -1;
			break;
		}
	}
	if (r < 0)
		mvl_fds_close(fds, i);
	return r;
}

/* mvl_mkdir_p()'s hook: each directory made is a step. */
static int mkdir_step(void *ctx)
{
	return mvl_step(ctx, "mkdir");
}

/* The two directories of private nodes: <state dir>/dev, <dev root>/.mvlink. */
static int private_dirs(struct mvl_ctx *ctx, char dirs[2][PATH_MAX])
{
	if (snprintf(dirs[0], PATH_MAX, "%s/dev", mvl_ctx_get_state_dir(ctx)) >= PATH_MAX)
		return mvl_fail(ctx, -ENAMETOOLONG, "state directory %s: path too long",
				mvl_ctx_get_state_dir(ctx));
	if (snprintf(dirs[1], PATH_MAX, "%s/.mvlink", mvl_ctx_get_dev_root(ctx)) >= PATH_MAX)
		return mvl_fail(ctx, -ENAMETOOLONG, "device directory %s: path too long",
				mvl_ctx_get_dev_root(ctx));
	return 0;
}

/*
 * Make, open @count times and unlink at once a private node of @rdev in
 * @dir (mode 0700, created as needed).  -EACCES (message set) when device
 * nodes do not work there: a nodev mount, or the open refused.
 */
static int open_private_in(struct mvl_ctx *ctx, const char *cls, const char *dir, int ifindex,
			   dev_t rdev, unsigned count, int *fds)
{
	char path[PATH_MAX + 64], what[64];
	uint32_t rnd;
	struct statvfs sv;
	struct stat st;
	int r, u;

	r = mvl_mkdir_p(dir, 0700, mkdir_step, ctx);
	if (r < 0)
		return mvl_fail(ctx, r, "cannot create %s for a private device node: %s", dir,
				MVL_STRERROR(r));
	if (lstat(dir, &st) < 0)
		return mvl_fail(ctx, -errno, "%s: %s", dir, MVL_STRERROR(errno));
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077))
		return mvl_fail(ctx, -EPERM,
				"refusing to make device nodes in %s: not a directory "
				"of uid %u with mode 0700",
				dir, (unsigned)geteuid());
	/* a node on a nodev mount cannot be opened (EACCES): do not try */
	if (statvfs(dir, &sv) == 0 && (sv.f_flag & ST_NODEV))
		return mvl_fail(ctx, -EACCES, "%s is on a nodev mount", dir);
	r = mvl_random_bytes(&rnd, sizeof(rnd));
	if (r < 0)
		return mvl_fail(ctx, r, "cannot get random bytes");
	if (snprintf(path, sizeof(path), "%s/tap%d.%ld.%08x", dir, ifindex, (long)getpid(), rnd) >=
	    (int)sizeof(path))
		return mvl_fail(ctx, -ENAMETOOLONG, "%s: path too long", dir);
	snprintf(what, sizeof(what), "mknod private %s node", cls);
	r = mvl_step(ctx, what);
	if (r < 0)
		return mvl_fail(ctx, r, "cannot create device node %s: %s", path, MVL_STRERROR(r));
	if (mknod(path, S_IFCHR | 0600, rdev) < 0) {
		r = -errno;
		return mvl_fail(ctx, r, "cannot create device node %s (%u:%u): %s%s", path,
				major(rdev), minor(rdev), MVL_STRERROR(r),
				r == -EPERM ? " (needs CAP_MKNOD in the initial user namespace)" :
					      "");
	}
	r = open_node(ctx, cls, path, rdev, count, fds);
	u = unlink(path) < 0 ? -errno : 0;
	if (r < 0) {
		r = mvl_fail(ctx, r, "cannot open private device node %s: %s", path,
			     MVL_STRERROR(r));
		if (u < 0)
			mvl_undo_failed(ctx, "remove %s: %s", path, MVL_STRERROR(u));
		return r;
	}
	if (u < 0) {
		mvl_fds_close(fds, count);
		return mvl_fail(ctx, u, "cannot remove private device node %s: %s", path,
				MVL_STRERROR(u));
	}
	return 0;
}

/*
 * Open the char device @count times through a private node,
 * tap<ifindex>.<pid>.<random>, made with mknod, opened and unlinked at
 * once.  For when <dev root>/tapN is missing (no devtmpfs, udev lag) or is
 * another device.  The node goes in <state dir>/dev or, when device nodes
 * do not work there (the default state directory /run/mvlink is on a nodev
 * mount on systemd hosts), in <dev root>/.mvlink; both of mode 0700.
 */
static int open_private(struct mvl_ctx *ctx, const char *cls, int ifindex, dev_t rdev,
			unsigned count, int *fds)
{
	char dirs[2][PATH_MAX], tried[2 * MVL_ERRMSG_LEN] = "";
	int r = private_dirs(ctx, dirs);

	if (r < 0)
		return r;
	r = -EACCES;
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		size_t n = strlen(tried);

		r = open_private_in(ctx, cls, dirs[i], ifindex, rdev, count, fds);
		if (r != -EACCES)
			return r;
		snprintf(tried + n, sizeof(tried) - n, "%s%s", n ? "; " : "",
			 mvl_ctx_get_error(ctx));
		dbg(ctx, "no private device node in %s: %s", dirs[i], mvl_ctx_get_error(ctx));
	}
	return mvl_fail(ctx, r,
			"cannot open the char device of %s (ifindex %d) through a private "
			"device node: %s (give the state directory or %s a mount without nodev)",
			cls, ifindex, tried, mvl_ctx_get_dev_root(ctx));
}

int mvl_tapdev_open_queues(struct mvl_ctx *ctx, const struct mvl_tapdev_node *node,
			   const char *name, int ifindex, unsigned count, int tun_flags, int *fds)
{
	int r = -ENOENT;

	if (node->usable) {
		r = open_node(ctx, node->cls, node->path, node->rdev, count, fds);
		if (r < 0 && r != -ENOENT && r != -ESTALE)
			return mvl_fail(ctx, r, "cannot open %s (%s %s): %s", node->path, node->cls,
					name, MVL_STRERROR(r));
	}
	if (r < 0) {
		dbg(ctx, "%s is %s: using a private node", node->path,
		    node->usable ? "gone or replaced" : node->why);
		r = open_private(ctx, node->cls, ifindex, node->rdev, count, fds);
		if (r < 0)
			return r;
	}
	for (unsigned i = 0; i < count; i++) {
		struct ifreq ifr = { .ifr_flags = (short)tun_flags };

		r = mvl_step(ctx, "TUNSETIFF");
		if (r < 0 || ioctl(fds[i], TUNSETIFF, &ifr) < 0) {
			if (r == 0)
				r = -errno;
			mvl_fds_close(fds, count);
			return mvl_fail(ctx, r,
					"cannot set the flags of queue %u of %s %s "
					"(TUNSETIFF 0x%x): %s",
					i, node->cls, name, (unsigned)tun_flags, MVL_STRERROR(r));
		}
	}
	return 0;
}

/* --------------------------------------------------- the node's owner */

int mvl_tapdev_give(struct mvl_ctx *ctx, const struct mvl_tapdev_node *node, const char *name,
		    uid_t uid, gid_t gid, struct mvl_tapdev_owner *was)
{
	const char *cls = node->cls;
	char what[64];
	struct stat st;
	int r;

	if (!node->usable)
		return mvl_fail(ctx, node->missing ? -ENOENT : -EEXIST,
				"cannot hand %s (%s %s) to %s%u: it is %s", node->path, cls, name,
				uid != (uid_t)-1 ? "user " : "group ",
				uid != (uid_t)-1 ? (unsigned)uid : (unsigned)gid, node->why);
	if (lstat(node->path, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != node->rdev)
		return mvl_fail(ctx, -ESTALE, "%s changed while %s %s was set up", node->path, cls,
				name);
	snprintf(was->node, sizeof(was->node), "%s", node->path);
	was->rdev = node->rdev;
	was->uid = st.st_uid;
	was->gid = st.st_gid;
	was->mode = st.st_mode & 07777;
	snprintf(what, sizeof(what), "chown %s node", cls);
	r = mvl_step(ctx, what);
	if (r == 0 && fchownat(AT_FDCWD, node->path, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		r = -errno;
	if (r < 0)
		return mvl_fail(ctx, r, "cannot chown %s (%s %s) to %lld:%lld: %s", node->path, cls,
				name, uid == (uid_t)-1 ? -1LL : (long long)uid,
				gid == (gid_t)-1 ? -1LL : (long long)gid, MVL_STRERROR(r));
	was->changed = true;
	/* a group needs read/write permission to use its ownership */
	if (gid != (gid_t)-1 && (was->mode & 060) != 060) {
		snprintf(what, sizeof(what), "chmod %s node", cls);
		r = mvl_step(ctx, what);
		if (r == 0 && fchmodat(AT_FDCWD, node->path, was->mode | 060, 0) < 0)
			r = -errno;
		if (r < 0)
			return mvl_fail(ctx, r, "cannot chmod %s (%s %s) to %04o: %s", node->path,
					cls, name, (unsigned)(was->mode | 060), MVL_STRERROR(r));
	}
	return 0;
}

void mvl_tapdev_give_back(struct mvl_ctx *ctx, const struct mvl_tapdev_owner *was)
{
	struct stat st;

	if (!was->changed)
		return;
	/* only the same node (an adopted link's; ours goes with it) */
	if (lstat(was->node, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == was->rdev &&
	    (fchownat(AT_FDCWD, was->node, was->uid, was->gid, AT_SYMLINK_NOFOLLOW) < 0 ||
	     fchmodat(AT_FDCWD, was->node, was->mode, 0) < 0))
		mvl_undo_failed(ctx, "give %s back to %u:%u mode %04o: %s", was->node,
				(unsigned)was->uid, (unsigned)was->gid, (unsigned)was->mode,
				MVL_STRERROR(errno));
}

/* ------------------------------------------------ stale private nodes */

/*
 * Private device nodes: tap<ifindex>.<pid>.<hex> in <state_dir>/dev or,
 * when that is on a nodev mount, <dev_root>/.mvlink; made, opened and
 * unlinked at once; one is left only when its process was killed in
 * between.  It names a link's char device, which a later link may get:
 * remove those of processes that are gone.
 */
static int private_nodes_clean_in(struct mvl_ctx *ctx, const char *dir, bool dry_run)
{
	char path[PATH_MAX + 256];
	struct dirent *de;
	int r = 0, n = 0;
	DIR *d;

	r = mvl_opendir(ctx, dir, &d);
	if (r <= 0)
		return r;
	while ((de = readdir(d))) {
		unsigned ifindex;
		long long pid;
		char hex[16], extra;

		if (sscanf(de->d_name, "tap%u.%lld.%8[0-9a-f]%c", &ifindex, &pid, hex, &extra) !=
			    3 ||
		    strlen(hex) != 8 || pid <= 0 || !(kill((pid_t)pid, 0) < 0 && errno == ESRCH))
			continue;
		n++;
		if (dry_run)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		r = mvl_step(ctx, "remove stale private node");
		if (r == 0 && unlink(path) < 0 && errno != ENOENT)
			r = -errno;
		if (r < 0) {
			r = mvl_fail(ctx, r, "cannot remove stale device node %s: %s", path,
				     MVL_STRERROR(r));
			break;
		}
		info(ctx, "removed device node %s left by process %lld", path, pid);
	}
	closedir(d);
	return r < 0 ? r : n;
}

int mvl_private_nodes_clean(struct mvl_ctx *ctx, bool dry_run)
{
	char dir[PATH_MAX];
	int r, n;

	snprintf(dir, sizeof(dir), "%s/dev", mvl_ctx_get_state_dir(ctx));
	n = private_nodes_clean_in(ctx, dir, dry_run);
	if (n < 0)
		return n;
	snprintf(dir, sizeof(dir), "%s/.mvlink", mvl_ctx_get_dev_root(ctx));
	r = private_nodes_clean_in(ctx, dir, dry_run);
	return r < 0 ? r : n + r;
}
