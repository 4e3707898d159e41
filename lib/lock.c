// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * lock.c - host-wide locks: flock() on <state_dir>/locks/<kind>-<name>.lock
 * (bridge-, uplink-, name-, pci-, vf-), held while a resource is worked
 * on; lock files are never deleted (deleting one races with its next
 * user).  A lockset takes the locks of one operation in one global order.
 */
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

#include "store.h"
#include "testhooks.h"

static const char *const lock_prefix[] = {
	[MVL_LOCK_BRIDGE] = "bridge",
	[MVL_LOCK_UPLINK] = "uplink",
	[MVL_LOCK_NAME] = "name",
	[MVL_LOCK_PCI] = "pci",
	[MVL_LOCK_VF] = "vf",
};

static const char *const lock_what[] = {
	[MVL_LOCK_BRIDGE] = "bridge",
	[MVL_LOCK_UPLINK] = "uplink",
	[MVL_LOCK_NAME] = "interface",
	[MVL_LOCK_PCI] = "PCI device",
	[MVL_LOCK_VF] = "VF",
};

/* How long @ctx waits for locks, in ms. */
static unsigned lock_timeout_ms(struct mvl_ctx *ctx)
{
	unsigned ms = mvl_ctx_test(ctx)->lock_timeout_ms;

	return ms ? ms : MVL_LOCK_TIMEOUT_MS;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Whether @name may be part of a lock file name. */
static bool lock_name_valid(enum mvl_lock_kind kind, const char *name)
{
	char addr[MVL_PCI_ADDR_LEN];

	if ((unsigned)kind >= ARRAY_SIZE(lock_prefix) || !name)
		return false;
	if (kind == MVL_LOCK_PCI)
		return mvl_pci_addr_parse(name, addr) == 0 && strcmp(addr, name) == 0;
	if (kind == MVL_LOCK_VF)
		return mvl_vf_name_parse(name, NULL, NULL) == 0;
	return mvl_ifname_check(name) == 0;
}

/* The path of the lock file of @kind/@name in the locks directory @dir
 * into @path: false when it does not fit. */
static bool lock_file_path(char *path, size_t len, const char *dir, enum mvl_lock_kind kind,
			   const char *name)
{
	int n = snprintf(path, len, "%s/%s-%s.lock", dir, lock_prefix[kind], name);

	return n > 0 && (size_t)n < len;
}

/* Open (creating) the lock file of @kind/@name; the fd or -errno (with a
 * message). */
static int lock_open(struct mvl_ctx *ctx, enum mvl_lock_kind kind, const char *name, char *path,
		     size_t len)
{
	char dir[PATH_MAX];
	int r;

	if (!lock_name_valid(kind, name))
		return mvl_fail(ctx, -EINVAL, "invalid lock name '%s'", name ? name : "");
	r = mvl_statedir_subdir(ctx, "locks", dir, sizeof(dir), false);
	if (r < 0)
		return r;
	if (!lock_file_path(path, len, dir, kind, name))
		return mvl_fail(ctx, -ENAMETOOLONG, "lock path too long");
	return mvl_statedir_open(ctx, "locks", path, O_RDWR | O_CREAT, 0600, "open", "lock file");
}

/* flock @fd, polling with LOCK_NB until @deadline (CLOCK_MONOTONIC ms). */
static int lock_wait(struct mvl_ctx *ctx, int fd, bool shared, long long deadline,
		     enum mvl_lock_kind kind, const char *name, const char *path)
{
	for (;;) {
		if (flock(fd, (shared ? LOCK_SH : LOCK_EX) | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return mvl_fail(ctx, -errno, "cannot lock %s: %s", path,
					MVL_STRERROR(errno));
		if (now_ms() >= deadline)
			return mvl_fail(ctx, -EBUSY,
					"busy: another mvlink process holds %s %s (lock %s); "
					"try again later",
					lock_what[kind], name, path);
		nanosleep(&(struct timespec){ .tv_nsec = 5 * 1000 * 1000 }, NULL);
	}
}

int mvl_lock_take(struct mvl_ctx *ctx, enum mvl_lock_kind kind, const char *name, bool shared,
		  bool wait, int *ret_fd)
{
	char path[PATH_MAX];
	_cleanup_close_ int fd = -1;
	int r;

	fd = lock_open(ctx, kind, name, path, sizeof(path));
	if (fd < 0)
		return fd;
	r = lock_wait(ctx, fd, shared, now_ms() + (wait ? lock_timeout_ms(ctx) : 0), kind, name,
		      path);
	if (r < 0)
		return r;
	*ret_fd = TAKE_FD(fd);
	return 0;
}

bool mvl_lock_known(struct mvl_ctx *ctx, enum mvl_lock_kind kind, const char *name)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct stat st;
	int n;

	if (!lock_name_valid(kind, name))
		return false;
	/* the locks directory's path, as mvl_statedir_subdir() makes it,
	 * unmade */
	n = snprintf(dir, sizeof(dir), "%s/locks", mvl_ctx_get_state_dir(ctx));
	return n > 0 && (size_t)n < sizeof(dir) &&
	       lock_file_path(path, sizeof(path), dir, kind, name) && lstat(path, &st) == 0 &&
	       S_ISREG(st.st_mode);
}

void mvl_lock_drop(int *fd)
{
	if (*fd >= 0) {
		close(*fd); /* drops the flock */
		*fd = -1;
	}
}

void mvl_lockset_init(struct mvl_lockset *set)
{
	set->n = 0;
	for (size_t i = 0; i < ARRAY_SIZE(set->l); i++)
		set->l[i].fd = -1;
}

static int lock_cmp(enum mvl_lock_kind ka, const char *a, enum mvl_lock_kind kb, const char *b)
{
	if (ka != kb)
		return ka < kb ? -1 : 1;
	return strcmp(a, b);
}

bool mvl_lockset_has(const struct mvl_lockset *set, enum mvl_lock_kind kind, const char *name)
{
	for (unsigned i = 0; i < set->n; i++)
		if (set->l[i].kind == kind && strcmp(set->l[i].name, name) == 0)
			return true;
	return false;
}

int mvl_lockset_add(struct mvl_lockset *set, enum mvl_lock_kind kind, const char *name)
{
	unsigned i;

	if (!lock_name_valid(kind, name) || strlen(name) >= sizeof(set->l[0].name))
		return -EINVAL;
	if (mvl_lockset_has(set, kind, name))
		return 0;
	if (set->n == ARRAY_SIZE(set->l))
		return -E2BIG;
	/* kept sorted: the order every process takes locks in */
	for (i = set->n; i > 0 && lock_cmp(kind, name, set->l[i - 1].kind, set->l[i - 1].name) < 0;
	     i--)
		set->l[i] = set->l[i - 1];
	set->l[i].kind = kind;
	snprintf(set->l[i].name, sizeof(set->l[i].name), "%s", name);
	set->l[i].fd = -1;
	set->n++;
	return 0;
}

int mvl_lockset_take(struct mvl_ctx *ctx, struct mvl_lockset *set, bool wait)
{
	long long deadline = now_ms() + (wait ? lock_timeout_ms(ctx) : 0);

	for (unsigned i = 0; i < set->n; i++) {
		struct mvl_lock *l = &set->l[i];
		char path[PATH_MAX];
		int r;

		if (l->fd >= 0)
			continue;
		l->fd = lock_open(ctx, l->kind, l->name, path, sizeof(path));
		r = l->fd;
		if (r >= 0)
			r = lock_wait(ctx, l->fd, false, deadline, l->kind, l->name, path);
		if (r < 0) {
			if (l->fd < 0)
				l->fd = -1;
			mvl_lockset_drop(set);
			return r;
		}
	}
	return 0;
}

void mvl_lockset_drop(struct mvl_lockset *set)
{
	for (unsigned i = set->n; i-- > 0;)
		mvl_lock_drop(&set->l[i].fd);
}

enum mvl_lock_kind mvl_dev_lock_kind(const char *name)
{
	return mvl_vf_name_parse(name, NULL, NULL) == 0 ? MVL_LOCK_VF : MVL_LOCK_PCI;
}
