// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * index.c - which links each VM has, so that deleting one VM looks its
 * links up by ifindex instead of walking every link in the kernel (a dump,
 * even one the kernel filters by kind, visits every device: 0.5-1.5 ms
 * each at 5000 links, bench/README.md).
 *
 *   <state_dir>/index/<netns>/<vm_id>/<ifindex> -> <name>
 *                      a symlink: one system call to write or read
 *   <state_dir>/index/<netns>/.complete
 *                      this namespace's index names every link mvlink
 *                      tagged for a VM (a VM id never starts with '.')
 *
 * <netns> is the inode of the network namespace, as in the journals: a
 * state directory is shared by every namespace of its mount namespace.
 *
 * A create writes the entry before the link exists, under the lock of the
 * link's name, which it holds until the link is complete or undone (and
 * then the entry removed).  So the index lacks no link mvlink made while
 * it was there; it may name links that are gone (a tap that went with its
 * queue fds, a crashed create, an 'ip link del') or an ifindex another
 * link has taken since.  Readers therefore check each link's tag, and drop
 * an entry only after looking again under the name's lock.
 *
 * ".complete" is written by a deletion that walked the links (when it was
 * missing) after it indexed every tagged link it saw: the links made
 * before the index existed, or while the state directory was gone, are
 * found that way once.  Until then deletion walks the links.  The index
 * is not fsync()ed: the links it names do not survive a reboot either.
 */
#include <fcntl.h>
#include <sys/stat.h>

#include "store.h"

#define COMPLETE ".complete"

/* <state_dir>/index/<netns>[/<vm_id>] */
static int index_dir(struct mvl_ctx *ctx, const char *vm_id, char *buf, size_t len)
{
	unsigned long long ns;
	int r, n;

	r = mvl_netns_id(&ns);
	if (r < 0)
		return r;
	if (vm_id)
		n = snprintf(buf, len, "%s/index/%llu/%s", mvl_ctx_get_state_dir(ctx), ns, vm_id);
	else
		n = snprintf(buf, len, "%s/index/%llu", mvl_ctx_get_state_dir(ctx), ns);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int mvl_index_add(struct mvl_ctx *ctx, const char *vm_id, int ifindex, const char *name)
{
	int r = mvl_step(ctx, "index the link");

	if (r < 0)
		return mvl_fail(ctx, r, "cannot index link %s of VM %s: %s", name, vm_id,
				MVL_STRERROR(r));
	return mvl_index_note(ctx, vm_id, ifindex, name);
}

int mvl_index_note(struct mvl_ctx *ctx, const char *vm_id, int ifindex, const char *name)
{
	char dir[PATH_MAX], path[PATH_MAX + 16], old[IFNAMSIZ + 1];
	int r;

	r = index_dir(ctx, vm_id, dir, sizeof(dir));
	if (r < 0)
		return mvl_fail(ctx, r, "cannot index link %s of VM %s: %s", name, vm_id,
				MVL_STRERROR(r));
	snprintf(path, sizeof(path), "%s/%d", dir, ifindex);
	/* the VM's directory first (a VM usually has one link, which makes
	 * it), its parents only when missing too; a VM whose last entry is
	 * removed meanwhile loses it again: a few tries */
	for (int attempt = 0; attempt < 4; attempt++) {
		ssize_t n;

		r = mvl_mkdir_p(dir, 0755, NULL, NULL);
		if (r < 0)
			break;
		if (symlink(name, path) == 0)
			return 0;
		r = -errno;
		if (r == -ENOENT)
			continue;
		if (r != -EEXIST)
			break;
		/* an entry of a link gone since whose ifindex is reused */
		n = readlink(path, old, sizeof(old));
		if (n >= 0 && (size_t)n == strlen(name) && memcmp(old, name, (size_t)n) == 0)
			return 0;
		if (unlink(path) < 0 && errno != ENOENT) {
			r = -errno;
			break;
		}
	}
	return mvl_fail(ctx, r, "cannot index link %s of VM %s in %s: %s", name, vm_id, dir,
			MVL_STRERROR(r));
}

void mvl_index_remove(struct mvl_ctx *ctx, const char *vm_id, int ifindex)
{
	char dir[PATH_MAX], path[PATH_MAX + 16];

	if (index_dir(ctx, vm_id, dir, sizeof(dir)) < 0)
		return;
	snprintf(path, sizeof(path), "%s/%d", dir, ifindex);
	if (unlink(path) < 0 && errno != ENOENT) {
		dbg(ctx, "cannot remove %s: %s", path, MVL_STRERROR(errno));
		return;
	}
	/* the VM's last entry: its directory goes too (ENOTEMPTY else) */
	(void)rmdir(dir);
}

void mvl_index_forget(struct mvl_ctx *ctx, const struct mvl_link_info *li)
{
	char vm[128];
	enum mvl_mode mode;

	if (mvl_tag_parse(li->alias, vm, sizeof(vm), &mode) == 1 && mode != MVL_MODE_BRIDGE)
		mvl_index_remove(ctx, vm, li->ifindex);
}

/* "1234" -> 1234; anything else (".", "..", a temp file) -> -1 */
static int entry_ifindex(const char *s)
{
	long v = 0;

	if (!*s || *s == '0')
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
		if (v > INT_MAX)
			return -1;
	}
	return (int)v;
}

struct index_read {
	const char *dir;
	struct mvl_index_entry *v;
	size_t n, cap;
};

static bool entry_valid(const char *name)
{
	return entry_ifindex(name) >= 0;
}

static int index_read_one(struct mvl_ctx *ctx, const char *file, void *data)
{
	struct index_read *ir = data;
	struct mvl_index_entry *e;
	char path[PATH_MAX + 16];
	ssize_t len;

	e = mvl_grow(ir->v, &ir->cap, ir->n, sizeof(*e), 4);
	if (!e)
		return -ENOMEM;
	ir->v = e;
	e = &ir->v[ir->n++];
	e->ifindex = entry_ifindex(file);
	snprintf(path, sizeof(path), "%s/%s", ir->dir, file);
	len = readlink(path, e->name, sizeof(e->name));
	if (len < 0 || (size_t)len >= sizeof(e->name))
		len = 0; /* not ours, or cut: a name no lock is taken for */
	e->name[len] = '\0';
	if (mvl_ifname_check(e->name) < 0)
		e->name[0] = '\0';
	return 0;
}

int mvl_index_read(struct mvl_ctx *ctx, const char *vm_id, struct mvl_index_entry **ret)
{
	char dir[PATH_MAX];
	struct index_read ir = { .dir = dir };
	int r;

	*ret = NULL;
	r = index_dir(ctx, vm_id, dir, sizeof(dir));
	if (r < 0)
		return mvl_fail(ctx, r, "cannot read the index of VM %s: %s", vm_id,
				MVL_STRERROR(r));
	r = mvl_statedir_foreach(ctx, dir, entry_valid, index_read_one, &ir);
	if (r == -ENOMEM) {
		free(ir.v);
		return mvl_fail(ctx, -ENOMEM, "out of memory");
	}
	if (r < 0)
		return r;
	*ret = ir.v;
	return (int)ir.n;
}

static bool vm_dir_valid(const char *name)
{
	return mvl_vm_id_check(name) == 0; /* not ".", "..", ".complete" */
}

int mvl_index_foreach_vm(struct mvl_ctx *ctx,
			 int (*cb)(struct mvl_ctx *ctx, const char *vm_id, void *data), void *data)
{
	char dir[PATH_MAX];
	int r;

	r = index_dir(ctx, NULL, dir, sizeof(dir));
	if (r < 0)
		return mvl_fail(ctx, r, "cannot read the index: %s", MVL_STRERROR(r));
	return mvl_statedir_foreach(ctx, dir, vm_dir_valid, cb, data);
}

bool mvl_index_complete(struct mvl_ctx *ctx)
{
	char dir[PATH_MAX], path[PATH_MAX + 16];

	if (index_dir(ctx, NULL, dir, sizeof(dir)) < 0)
		return false;
	snprintf(path, sizeof(path), "%s/" COMPLETE, dir);
	return access(path, F_OK) == 0;
}

int mvl_index_set_complete(struct mvl_ctx *ctx)
{
	char dir[PATH_MAX], path[PATH_MAX + 16];
	int fd, r;

	r = index_dir(ctx, NULL, dir, sizeof(dir));
	if (r < 0)
		return r;
	r = mvl_mkdir_p(dir, 0755, NULL, NULL);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "%s/" COMPLETE, dir);
	fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}
