// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * statedir.c - the files of the state directory (default /run/mvlink), in
 * one place: making directories, writing a file atomically, reading one,
 * removing one, and walking a directory.  What the files hold is the
 * business of lock.c, devjournal.c, linkjournal.c and index.c.
 *
 *   <state_dir>/locks/   lock files (lock.c), mode 0700
 *   <state_dir>/links/   link journals (linkjournal.c)
 *   <state_dir>/vf/      VF journals (devjournal.c)
 *   <state_dir>/pci/     PCI device journals (devjournal.c)
 *   <state_dir>/index/   which links each VM has (index.c)
 *
 * A write is atomic (temp file, fsync, rename, fsync of the directory):
 * after a crash there is the old file, the new one or none, never a torn
 * one.  On a tmpfs or ramfs, where fsync() does nothing, the fsyncs are
 * left out.
 */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/vfs.h>
#include <linux/magic.h>

#include "store.h"

/* ---------------------------------------------------------- directories */

/* What a context knows of its state directory (its MVL_CTX_STATEDIR part,
 * dropped when the directory changes): which of its subdirectories it has
 * made or seen (a vanished one is made again on ENOENT), and whether it is
 * on a file system where fsync() does nothing (tmpfs, ramfs: 0 unknown, 1
 * yes, 2 no).  Without memory for it, nothing is remembered. */
struct statedir_known {
	unsigned subdirs;
	int is_volatile;
};

static struct statedir_known *known(struct mvl_ctx *ctx)
{
	struct statedir_known *k = mvl_ctx_part(ctx, MVL_CTX_STATEDIR);

	if (!k) {
		k = calloc(1, sizeof(*k));
		if (k)
			mvl_ctx_set_part(ctx, MVL_CTX_STATEDIR, k, free);
	}
	return k;
}

/* The subdirectories a context remembers having made (statedir_known). */
static const char *const state_subdirs[] = { "locks", "links", "vf", "pci" };

static unsigned subdir_bit(const char *sub)
{
	for (size_t i = 0; i < ARRAY_SIZE(state_subdirs); i++)
		if (strcmp(sub, state_subdirs[i]) == 0)
			return 1u << i;
	return 0;
}

int mvl_statedir_subdir(struct mvl_ctx *ctx, const char *sub, char *buf, size_t len, bool forget)
{
	const char *state_dir = mvl_ctx_get_state_dir(ctx);
	struct statedir_known *k = known(ctx);
	unsigned bit = subdir_bit(sub);
	int n, r;

	n = snprintf(buf, len, "%s/%s", state_dir, sub);
	if (n < 0 || (size_t)n >= len)
		return mvl_fail(ctx, -ENAMETOOLONG, "state directory path too long");
	if (forget && k)
		k->subdirs &= ~bit;
	if (bit && k && (k->subdirs & bit))
		return 0;
	r = mvl_mkdir_p(state_dir, 0755, NULL, NULL);
	if (r < 0)
		return mvl_fail(ctx, r, "cannot create the state directory %s: %s", state_dir,
				MVL_STRERROR(r));
	r = mvl_mkdir_p(buf, strcmp(sub, "locks") == 0 ? 0700 : 0755, NULL, NULL);
	if (r < 0)
		return mvl_fail(ctx, r, "cannot create %s: %s", buf, MVL_STRERROR(r));
	if (k)
		k->subdirs |= bit;
	return 0;
}

int mvl_statedir_open(struct mvl_ctx *ctx, const char *sub, const char *path, int flags,
		      mode_t mode, const char *verb, const char *what)
{
	char dir[PATH_MAX];
	int fd, r;

	flags |= O_CLOEXEC | O_NOFOLLOW | O_NOCTTY;
	fd = open(path, flags, mode);
	if (fd < 0 && errno == ENOENT) {
		/* the directory went away since this context made it */
		r = mvl_statedir_subdir(ctx, sub, dir, sizeof(dir), true);
		if (r < 0)
			return r;
		fd = open(path, flags, mode);
	}
	if (fd < 0)
		return mvl_fail(ctx, -errno, "cannot %s %s %s: %s", verb, what, path,
				MVL_STRERROR(errno));
	return fd;
}

/* Whether the state directory is on a file system whose fsync() does
 * nothing (tmpfs, ramfs: its files do not outlive the kernel anyway), so
 * that the calls can be left out; learnt once per context. */
static bool state_volatile(struct mvl_ctx *ctx, int fd, const char *dir)
{
	struct statedir_known *k = known(ctx), none = { 0 };
	struct statfs sfs;

	if (!k)
		k = &none;
	if (k->is_volatile == 0) {
		if ((fd >= 0 ? fstatfs(fd, &sfs) : statfs(dir, &sfs)) < 0)
			return false; /* unknown: sync */
		k->is_volatile = sfs.f_type == TMPFS_MAGIC || sfs.f_type == RAMFS_MAGIC ? 1 : 2;
	}
	return k->is_volatile == 1;
}

static int fsync_dir(const char *dir)
{
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || fsync(fd) < 0)
		return -errno;
	return 0;
}

/* -------------------------------------------------------------- writing */

static int write_all(int fd, const char *s, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, s, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

/* @text and a newline, in one call when it can. */
static int write_text(int fd, const char *text)
{
	size_t len = strlen(text);
	struct iovec iov[2] = { { .iov_base = (void *)text, .iov_len = len },
				{ .iov_base = (void *)"\n", .iov_len = 1 } };
	ssize_t n;
	int r;

	do
		n = writev(fd, iov, 2);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((size_t)n > len)
		return 0;
	r = write_all(fd, text + n, len - (size_t)n);
	return r < 0 ? r : write_all(fd, "\n", 1);
}

int mvl_statedir_write(struct mvl_ctx *ctx, const char *sub, const char *name, const char *what,
		       const char *text)
{
	char dir[PATH_MAX], path[PATH_MAX], tmp[PATH_MAX];
	_cleanup_close_ int fd = -1;
	int r, n;

	n = snprintf(path, sizeof(path), "%s/%s/%s", mvl_ctx_get_state_dir(ctx), sub, name);
	if (n < 0 || (size_t)n >= sizeof(path))
		return mvl_fail(ctx, -ENAMETOOLONG, "%s path too long", what);
	r = mvl_step(ctx, path);
	if (r < 0)
		return mvl_fail(ctx, r, "cannot write %s %s: %s", what, path, MVL_STRERROR(r));
	r = mvl_statedir_subdir(ctx, sub, dir, sizeof(dir), false);
	if (r < 0)
		return r;
	n = snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return mvl_fail(ctx, -ENAMETOOLONG, "%s path too long", what);
	fd = mvl_statedir_open(ctx, sub, tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644, "write", what);
	if (fd < 0)
		return fd;
	r = write_text(fd, text);
	if (r == 0 && !state_volatile(ctx, fd, dir) && fsync(fd) < 0)
		r = -errno;
	if (r == 0 && close(TAKE_FD(fd)) < 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return mvl_fail(ctx, r, "cannot write %s %s: %s", what, path, MVL_STRERROR(r));
	}
	r = state_volatile(ctx, -1, dir) ? 0 : fsync_dir(dir);
	if (r < 0)
		return mvl_fail(ctx, r, "cannot sync %s: %s", dir, MVL_STRERROR(r));
	return 0;
}

int mvl_statedir_unlink(struct mvl_ctx *ctx, const char *path, const char *what)
{
	char dir[PATH_MAX], *slash;
	int r;

	r = mvl_step(ctx, path);
	if (r < 0)
		return mvl_fail(ctx, r, "cannot remove %s %s: %s", what, path, MVL_STRERROR(r));
	if (unlink(path) < 0 && errno != ENOENT)
		return mvl_fail(ctx, -errno, "cannot remove %s %s: %s", what, path,
				MVL_STRERROR(errno));
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	r = state_volatile(ctx, -1, dir) ? 0 : fsync_dir(dir);
	return r < 0 ? mvl_fail(ctx, r, "cannot sync %s: %s", dir, MVL_STRERROR(r)) : 0;
}

/* -------------------------------------------------------------- reading */

int mvl_statedir_read(const char *path, size_t max, char **ret_buf, size_t *ret_len, char *why,
		      size_t whylen)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	ssize_t n = 0;
	size_t len = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0)
		return errno == ELOOP ? (snprintf(why, whylen, "a symbolic link"), -EBADMSG) :
					-errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "not a regular file");
		return -EBADMSG;
	}
	buf = malloc(max + 1);
	if (!buf)
		return -ENOMEM;
	while (len <= max && (n = read(fd, buf + len, max + 1 - len)) > 0)
		len += (size_t)n;
	if (n < 0)
		return -errno;
	*ret_buf = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

int mvl_statedir_foreach(struct mvl_ctx *ctx, const char *dir, bool (*filter)(const char *name),
			 int (*cb)(struct mvl_ctx *ctx, const char *name, void *data), void *data)
{
	struct dirent *de;
	DIR *d;
	int r;

	r = mvl_opendir(ctx, dir, &d);
	if (r <= 0)
		return r;
	r = 0;
	while (r == 0 && (de = readdir(d)))
		if (de->d_name[0] != '.' && filter(de->d_name)) /* not temp files */
			r = cb(ctx, de->d_name, data);
	closedir(d);
	return r;
}
