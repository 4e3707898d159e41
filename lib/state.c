// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * state.c - what mvlink keeps outside the kernel: journals and locks under
 * the state directory (default /run/mvlink).
 *
 *   <state_dir>/locks/<kind>-<name>.lock
 *                                   flock()ed while a resource is worked on
 *                                   (bridge-, uplink-, name-, pci-); never
 *                                   deleted (deleting a lock file races with
 *                                   its next user)
 *   <state_dir>/vf/<addr>.json      an SR-IOV VF given to a VM
 *   <state_dir>/pci/<addr>.json     a whole PCI device given to a VM
 *   <state_dir>/links/<op>-<id>.json
 *                                   the intent journal of a tap, bridge or
 *                                   macvtap create at work (or crashed)
 *   <state_dir>/index/<netns>/...   which links each VM has (index.c)
 *
 * A journal holds the device's original state and is written before the
 * first change, atomically (temp file, fsync, rename, fsync of the
 * directory): after a crash there is either the old journal, the new one or
 * none, never a torn one.  Decoding validates every field, so a truncated
 * or edited file gives a clear error and never a wrong restore.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/vfs.h>
#include <time.h>
#include <linux/magic.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>

#include <json-c/json.h>

#include "libmvlink-private.h"

#define JOURNAL_VERSION 1
#define JOURNAL_MAX_SIZE (64 * 1024)

/* ---------------------------------------------------------------- paths */

static int mkdir_one(const char *path, mode_t mode)
{
	if (mkdir(path, mode) == 0 || errno == EEXIST)
		return 0;
	return -errno;
}

int mvl_mkdir_p(const char *path)
{
	char buf[PATH_MAX];
	int r;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		r = mkdir_one(buf, 0755);
		*p = '/';
		if (r < 0)
			return r;
	}
	return mkdir_one(buf, 0755);
}

/* The subdirectories a context remembers having made (ctx->state_dirs). */
static const char *const state_subdirs[] = { "locks", "links", "vf", "pci" };

static unsigned subdir_bit(const char *sub)
{
	for (size_t i = 0; i < ARRAY_SIZE(state_subdirs); i++)
		if (strcmp(sub, state_subdirs[i]) == 0)
			return 1u << i;
	return 0;
}

/* <state_dir>/<sub>, created (with the state directory) when missing.  A
 * context makes each one once: a create then costs no mkdir() calls.  When
 * a file cannot be made in it (ENOENT: removed meanwhile), @forget first
 * makes it again. */
static int state_subdir_ex(struct mvl_ctx *ctx, const char *sub, char *buf, size_t len, bool forget)
{
	unsigned bit = subdir_bit(sub);
	int n, r;

	n = snprintf(buf, len, "%s/%s", ctx->state_dir, sub);
	if (n < 0 || (size_t)n >= len)
		return mvl_fail(ctx, -ENAMETOOLONG, "state directory path too long");
	if (forget)
		ctx->state_dirs &= ~bit;
	if (bit && (ctx->state_dirs & bit))
		return 0;
	r = mvl_mkdir_p(ctx->state_dir);
	if (r < 0)
		return mvl_fail(ctx, r, "cannot create the state directory %s: %s", ctx->state_dir,
				MVL_STRERROR(r));
	r = mkdir_one(buf, strcmp(sub, "locks") == 0 ? 0700 : 0755);
	if (r < 0)
		return mvl_fail(ctx, r, "cannot create %s: %s", buf, MVL_STRERROR(r));
	ctx->state_dirs |= bit;
	return 0;
}

static int state_subdir(struct mvl_ctx *ctx, const char *sub, char *buf, size_t len)
{
	return state_subdir_ex(ctx, sub, buf, len, false);
}

/* ---------------------------------------------------------------- locks */

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
static unsigned lock_timeout_ms(const struct mvl_ctx *ctx)
{
	return ctx->test.lock_timeout_ms ? ctx->test.lock_timeout_ms : MVL_LOCK_TIMEOUT_MS;
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
	int fd, r;

	if (!lock_name_valid(kind, name))
		return mvl_fail(ctx, -EINVAL, "invalid lock name '%s'", name ? name : "");
	r = state_subdir(ctx, "locks", dir, sizeof(dir));
	if (r < 0)
		return r;
	if (!lock_file_path(path, len, dir, kind, name))
		return mvl_fail(ctx, -ENAMETOOLONG, "lock path too long");
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
	if (fd < 0 && errno == ENOENT) {
		/* the directory went away since this context made it */
		r = state_subdir_ex(ctx, "locks", dir, sizeof(dir), true);
		if (r < 0)
			return r;
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
	}
	if (fd < 0)
		return mvl_fail(ctx, -errno, "cannot open lock file %s: %s", path,
				MVL_STRERROR(errno));
	return fd;
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
	/* the locks directory's path, as state_subdir() makes it, unmade */
	n = snprintf(dir, sizeof(dir), "%s/locks", ctx->state_dir);
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

/* -------------------------------------------------------- the process */

static int read_boot_id(char *buf, size_t len)
{
	int r = mvl_read_file("/proc/sys/kernel/random/boot_id", buf, len);

	if (r < 0)
		buf[0] = '\0';
	return r < 0 ? r : 0;
}

/* Field 22 of /proc/<pid>/stat: start time in clock ticks since boot. */
static int pid_start_time(long long pid, unsigned long long *ret)
{
	char path[64], buf[1024], *p;
	unsigned long long v;
	int r;

	snprintf(path, sizeof(path), "/proc/%lld/stat", pid);
	r = mvl_read_file(path, buf, sizeof(buf));
	if (r < 0)
		return r;
	p = strrchr(buf, ')'); /* the command may contain spaces and ')' */
	if (!p)
		return -EBADMSG;
	/* after ") " come fields 3..: state is 3, starttime is 22; each
	 * strchr() moves to the space before the next field */
	for (int field = 3; field <= 22; field++) {
		p = strchr(p + 1, ' ');
		if (!p)
			return -EBADMSG;
	}
	if (sscanf(p + 1, "%llu", &v) != 1)
		return -EBADMSG;
	*ret = v;
	return 0;
}

bool mvl_owner_alive(long long pid, unsigned long long pid_start, const char *boot_id)
{
	char boot[40];
	unsigned long long start;

	if (pid <= 0)
		return false;
	if (boot_id[0] && read_boot_id(boot, sizeof(boot)) == 0 && strcmp(boot, boot_id))
		return false; /* written before a reboot */
	if (kill((pid_t)pid, 0) < 0 && errno == ESRCH)
		return false;
	if (pid_start_time(pid, &start) == 0 && pid_start && start != pid_start)
		return false; /* the pid was reused */
	return true;
}

bool mvl_journal_owner_alive(const struct mvl_journal *j)
{
	return mvl_owner_alive(j->pid, j->pid_start, j->boot_id);
}

void mvl_owner_stamp(long long *pid, unsigned long long *pid_start, char boot_id[40])
{
	unsigned long long start = 0;

	*pid = getpid();
	*pid_start = pid_start_time(*pid, &start) == 0 ? start : 0;
	read_boot_id(boot_id, 40);
}

/* mvl_owner_stamp() read once per context: none of it changes while the
 * process lives, and the context is never used by another process. */
static void ctx_owner_stamp(struct mvl_ctx *ctx, long long *pid, unsigned long long *pid_start,
			    char boot_id[40])
{
	if (!ctx->owner_known) {
		long long p;

		mvl_owner_stamp(&p, &ctx->owner_start, ctx->owner_boot_id);
		/* what could not be read is tried again next time */
		ctx->owner_known = p == ctx->pid && ctx->owner_start && ctx->owner_boot_id[0];
	}
	*pid = ctx->pid;
	*pid_start = ctx->owner_start;
	memcpy(boot_id, ctx->owner_boot_id, sizeof(ctx->owner_boot_id));
}

int mvl_netns_id(unsigned long long *ret)
{
	struct stat st;

	if (stat("/proc/self/ns/net", &st) < 0)
		return -errno;
	*ret = (unsigned long long)st.st_ino;
	return 0;
}

/* ------------------------------------------------------------- encoding */

static const char *const state_names[] = {
	[MVL_J_ATTACHING] = "attaching",
	[MVL_J_ATTACHED] = "attached",
	[MVL_J_RELEASING] = "releasing",
};

static const char *const link_state_names[] = {
	[IFLA_VF_LINK_STATE_AUTO] = "auto",
	[IFLA_VF_LINK_STATE_ENABLE] = "enable",
	[IFLA_VF_LINK_STATE_DISABLE] = "disable",
};

static const unsigned vf_attrs[] = {
	MVL_VF_A_MAC,	MVL_VF_A_VLAN,	     MVL_VF_A_SPOOFCHK,
	MVL_VF_A_TRUST, MVL_VF_A_LINK_STATE, MVL_VF_A_RATE,
};

static int add(struct json_object *o, const char *key, struct json_object *v)
{
	if (!v)
		return -ENOMEM;
	if (json_object_object_add(o, key, v) < 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

/* json-c's null is a NULL object */
static int add_tristate(struct json_object *o, const char *key, int v)
{
	if (v < 0)
		return json_object_object_add(o, key, NULL) < 0 ? -ENOMEM : 0;
	return add(o, key, json_object_new_boolean(v));
}

static int encode_vf(const struct mvl_journal *j, struct json_object *o)
{
	const struct mvl_vf_state *s = &j->vf_orig;
	struct json_object *orig, *changes;
	char mac[18];
	int r;

	r = add(o, "pf", json_object_new_string(j->pf_addr));
	r = r ?: add(o, "pf_ifname", json_object_new_string(j->pf_ifname));
	r = r ?: add(o, "vf", json_object_new_int(j->vf));
	if (r < 0)
		return r;
	changes = json_object_new_array();
	r = add(o, "changes", changes);
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(vf_attrs); i++)
		if (j->vf_changes & vf_attrs[i])
			r = json_object_array_add(
				changes, json_object_new_string(mvl_vf_attr_name(vf_attrs[i])));
	if (r < 0)
		return -ENOMEM;
	orig = json_object_new_object();
	r = add(o, "orig", orig);
	if (r == 0 && (s->have & MVL_VF_A_MAC))
		r = add(orig, "mac", json_object_new_string(mvl_mac_format(s->mac, mac)));
	if (r == 0 && (s->have & MVL_VF_A_VLAN)) {
		r = add(orig, "vlan", json_object_new_int((int)s->vlan));
		r = r ?: add(orig, "qos", json_object_new_int((int)s->qos));
		r = r	  ?:
			    add(orig, "vlan_proto",
				json_object_new_string(s->vlan_proto == ETH_P_8021AD ? "802.1ad" :
										       "802.1Q"));
	}
	if (r == 0 && (s->have & MVL_VF_A_SPOOFCHK))
		r = add_tristate(orig, "spoofchk", s->spoofchk);
	if (r == 0 && (s->have & MVL_VF_A_TRUST))
		r = add_tristate(orig, "trust", s->trust);
	if (r == 0 && (s->have & MVL_VF_A_LINK_STATE))
		r = add(orig, "link_state",
			json_object_new_string(link_state_names[s->link_state]));
	if (r == 0 && (s->have & MVL_VF_A_RATE)) {
		r = add(orig, "min_tx_rate", json_object_new_int64(s->min_tx_rate));
		r = r ?: add(orig, "max_tx_rate", json_object_new_int64(s->max_tx_rate));
	}
	return r;
}

int mvl_journal_encode(const struct mvl_journal *j, char **ret_text)
{
	struct json_object *o, *owner, *orig, *sub;
	const char *text;
	char *copy;
	int r;

	if ((j->mode != MVL_MODE_SRIOV && j->mode != MVL_MODE_PCI) || j->state < MVL_J_ATTACHING ||
	    j->state > MVL_J_RELEASING ||
	    (j->vf_orig.have & MVL_VF_A_LINK_STATE && (unsigned)j->vf_orig.link_state > 2))
		return -EINVAL;
	o = json_object_new_object();
	if (!o)
		return -ENOMEM;
	r = add(o, "format", json_object_new_string("mvlink-journal"));
	r = r ?: add(o, "version", json_object_new_int(JOURNAL_VERSION));
	r = r ?: add(o, "mode", json_object_new_string(mvl_mode_to_string(j->mode)));
	r = r ?: add(o, "state", json_object_new_string(state_names[j->state]));
	r = r ?: add(o, "device", json_object_new_string(j->addr));
	r = r ?: add(o, "vm", json_object_new_string(j->vm_id));
	owner = json_object_new_object();
	r = r ?: add(o, "owner", owner);
	r = r ?: add(owner, "pid", json_object_new_int64(j->pid));
	r = r ?: add(owner, "start", json_object_new_int64((int64_t)j->pid_start));
	r = r ?: add(owner, "boot_id", json_object_new_string(j->boot_id));
	r = r ?: add(o, "vfio", json_object_new_boolean(j->vfio));
	r = r ?: add(o, "iommu_group", json_object_new_int(j->iommu_group));
	orig = json_object_new_object();
	r = r ?: add(o, "orig", orig);
	r = r ?: add(orig, "driver", json_object_new_string(j->driver));
	r = r ?: add(orig, "driver_override", json_object_new_string(j->driver_override));
	if (r == 0 && j->has_devnode) {
		sub = json_object_new_object();
		r = add(orig, "devnode", sub);
		r = r ?: add(sub, "uid", json_object_new_int64(j->dev_uid));
		r = r ?: add(sub, "gid", json_object_new_int64(j->dev_gid));
	}
	if (r == 0 && j->mode == MVL_MODE_SRIOV) {
		sub = json_object_new_object();
		r = add(o, "sriov", sub);
		r = r ?: encode_vf(j, sub);
	}
	if (r < 0) {
		json_object_put(o);
		return r;
	}
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							 JSON_C_TO_STRING_NOSLASHESCAPE);
	copy = text ? strdup(text) : NULL;
	json_object_put(o);
	if (!copy)
		return -ENOMEM;
	*ret_text = copy;
	return 0;
}

/* ------------------------------------------------------------- decoding */

struct dec {
	char *why;
	size_t len;
};

static int bad(struct dec *d, const char *fmt, ...) _printf_(2, 3);
static int bad(struct dec *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->why, d->len, fmt, ap);
	va_end(ap);
	return -EBADMSG;
}

static struct json_object *field(struct json_object *o, const char *key, enum json_type type)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, type))
		return NULL;
	return v;
}

static int get_str(struct dec *d, struct json_object *o, const char *key, char *buf, size_t len)
{
	struct json_object *v = field(o, key, json_type_string);

	if (!v)
		return bad(d, "\"%s\" missing or not a string", key);
	if ((size_t)json_object_get_string_len(v) >= len ||
	    strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v))
		return bad(d, "\"%s\" is too long or holds a NUL", key);
	strcpy(buf, json_object_get_string(v));
	return 0;
}

static int get_int(struct dec *d, struct json_object *o, const char *key, long long min,
		   long long max, long long *ret)
{
	struct json_object *v = field(o, key, json_type_int);
	int64_t x;

	if (!v)
		return bad(d, "\"%s\" missing or not an integer", key);
	errno = 0;
	x = json_object_get_int64(v);
	/* json-c clamps a number above INT64_MAX to it, without errno */
	if (errno || x < min || x > max ||
	    (x == INT64_MAX && json_object_get_uint64(v) != (uint64_t)INT64_MAX))
		return bad(d, "\"%s\" out of range (%lld..%lld)", key, min, max);
	*ret = x;
	return 0;
}

static int get_tristate(struct dec *d, struct json_object *o, const char *key, int *ret)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return bad(d, "\"%s\" missing", key);
	if (!v) {
		*ret = -1;
		return 0;
	}
	if (!json_object_is_type(v, json_type_boolean))
		return bad(d, "\"%s\" is not true, false or null", key);
	*ret = json_object_get_boolean(v);
	return 0;
}

static int index_of(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (names[i] && strcmp(names[i], s) == 0)
			return (int)i;
	return -1;
}

static int decode_vf(struct dec *d, struct json_object *o, struct mvl_journal *j)
{
	struct mvl_vf_state *s = &j->vf_orig;
	struct json_object *orig, *changes;
	char buf[32], name_pf[IFNAMSIZ];
	unsigned name_vf;
	bool netdev_vf = mvl_vf_name_parse(j->addr, name_pf, &name_vf) == 0;
	long long v;
	int r;

	r = get_str(d, o, "pf", buf, sizeof(buf));
	if (r < 0)
		return r;
	if (netdev_vf ? buf[0] != '\0' :
			(mvl_pci_addr_parse(buf, j->pf_addr) < 0 || strcmp(buf, j->pf_addr)))
		return bad(d, netdev_vf ? "\"pf\" of a VF without PCI function is not empty" :
					  "\"pf\" is not a PCI address");
	r = get_str(d, o, "pf_ifname", j->pf_ifname, sizeof(j->pf_ifname));
	if (r < 0)
		return r;
	if (j->pf_ifname[0] && mvl_ifname_check(j->pf_ifname) < 0)
		return bad(d, "\"pf_ifname\" is not an interface name");
	r = get_int(d, o, "vf", 0, MVL_VF_INDEX_MAX, &v);
	if (r < 0)
		return r;
	j->vf = (int)v;
	/* such a VF is its PF's settings only: named after both, never vfio */
	if (netdev_vf && (strcmp(name_pf, j->pf_ifname) != 0 || name_vf != (unsigned)v))
		return bad(d, "the VF name does not match \"pf_ifname\" and \"vf\"");
	if (netdev_vf && (j->vfio || j->has_devnode))
		return bad(d, "a VF without PCI function cannot be on vfio-pci");
	s->vf = j->vf;
	changes = field(o, "changes", json_type_array);
	if (!changes)
		return bad(d, "\"changes\" missing or not an array");
	for (size_t i = 0; i < json_object_array_length(changes); i++) {
		struct json_object *c = json_object_array_get_idx(changes, i);
		unsigned bit = 0;

		for (size_t k = 0; c && k < ARRAY_SIZE(vf_attrs); k++)
			if (json_object_is_type(c, json_type_string) &&
			    strcmp(json_object_get_string(c), mvl_vf_attr_name(vf_attrs[k])) == 0)
				bit = vf_attrs[k];
		if (!bit)
			return bad(d, "\"changes\" holds an unknown attribute");
		j->vf_changes |= bit;
	}
	orig = field(o, "orig", json_type_object);
	if (!orig)
		return bad(d, "\"sriov.orig\" missing");
	if (json_object_object_get_ex(orig, "mac", NULL)) {
		r = get_str(d, orig, "mac", buf, sizeof(buf));
		if (r < 0)
			return r;
		/* the original may be all-zero (unset): only the syntax counts */
		if (mvl_mac_parse(buf, s->mac) < 0)
			return bad(d, "\"mac\" is not a MAC address");
		s->have |= MVL_VF_A_MAC;
	}
	if (json_object_object_get_ex(orig, "vlan", NULL)) {
		r = get_int(d, orig, "vlan", 0, 4095, &v);
		if (r < 0)
			return r;
		s->vlan = (unsigned)v;
		r = get_int(d, orig, "qos", 0, 7, &v);
		if (r < 0)
			return r;
		s->qos = (unsigned)v;
		r = get_str(d, orig, "vlan_proto", buf, sizeof(buf));
		if (r < 0)
			return r;
		if (strcmp(buf, "802.1Q") == 0)
			s->vlan_proto = ETH_P_8021Q;
		else if (strcmp(buf, "802.1ad") == 0)
			s->vlan_proto = ETH_P_8021AD;
		else
			return bad(d, "\"vlan_proto\" is neither 802.1Q nor 802.1ad");
		s->have |= MVL_VF_A_VLAN;
	}
	if (json_object_object_get_ex(orig, "spoofchk", NULL)) {
		r = get_tristate(d, orig, "spoofchk", &s->spoofchk);
		if (r < 0)
			return r;
		s->have |= MVL_VF_A_SPOOFCHK;
	}
	if (json_object_object_get_ex(orig, "trust", NULL)) {
		r = get_tristate(d, orig, "trust", &s->trust);
		if (r < 0)
			return r;
		s->have |= MVL_VF_A_TRUST;
	}
	if (json_object_object_get_ex(orig, "link_state", NULL)) {
		r = get_str(d, orig, "link_state", buf, sizeof(buf));
		if (r < 0)
			return r;
		s->link_state = index_of(link_state_names, ARRAY_SIZE(link_state_names), buf);
		if (s->link_state < 0)
			return bad(d, "\"link_state\" is not auto, enable or disable");
		s->have |= MVL_VF_A_LINK_STATE;
	}
	if (json_object_object_get_ex(orig, "min_tx_rate", NULL)) {
		r = get_int(d, orig, "min_tx_rate", 0, UINT32_MAX, &v);
		if (r < 0)
			return r;
		s->min_tx_rate = (unsigned)v;
		r = get_int(d, orig, "max_tx_rate", 0, UINT32_MAX, &v);
		if (r < 0)
			return r;
		s->max_tx_rate = (unsigned)v;
		s->have |= MVL_VF_A_RATE;
	}
	/* a change whose original value is unknown could not be undone */
	if (j->vf_changes & ~s->have & ~(unsigned)MVL_VF_A_MAC)
		return bad(d, "\"changes\" names an attribute without its original value");
	if ((j->vf_changes & MVL_VF_A_MAC) && !(s->have & MVL_VF_A_MAC))
		return bad(d, "\"changes\" names the MAC without its original value");
	return 0;
}

/* The object, "format" and "version" that every journal starts with. */
static int check_header(struct dec *d, struct json_object *o, const char *format,
			const char *what, long long version)
{
	char buf[80];
	long long v;
	int r;

	if (!json_object_is_type(o, json_type_object))
		return bad(d, "not a JSON object");
	r = get_str(d, o, "format", buf, sizeof(buf));
	if (r < 0 || strcmp(buf, format) != 0)
		return bad(d, "not %s (\"format\")", what);
	r = get_int(d, o, "version", 1, INT_MAX, &v);
	if (r < 0)
		return r;
	if (v != version)
		return bad(d, "version %lld, written by a newer mvlink", v);
	return 0;
}

static int decode(struct dec *d, struct json_object *o, struct mvl_journal *j)
{
	struct json_object *owner, *orig, *sub;
	char buf[80];
	long long v;
	int r;

	r = check_header(d, o, "mvlink-journal", "an mvlink journal", JOURNAL_VERSION);
	if (r < 0)
		return r;
	r = get_str(d, o, "mode", buf, sizeof(buf));
	if (r < 0)
		return r;
	j->mode = mvl_mode_from_string(buf);
	if (j->mode != MVL_MODE_SRIOV && j->mode != MVL_MODE_PCI)
		return bad(d, "\"mode\" is neither sriov nor pci");
	r = get_str(d, o, "state", buf, sizeof(buf));
	if (r < 0)
		return r;
	r = index_of(state_names, ARRAY_SIZE(state_names), buf);
	if (r < 0)
		return bad(d, "\"state\" is not attaching, attached or releasing");
	j->state = (enum mvl_journal_state)r;
	r = get_str(d, o, "device", buf, sizeof(buf));
	if (r < 0)
		return r;
	/* a normalised PCI address, or (a VF only) "<pf>:vf<N>": both fit */
	if (!mvl_dev_name_valid(buf) ||
	    (j->mode != MVL_MODE_SRIOV && mvl_dev_lock_kind(buf) == MVL_LOCK_VF))
		return bad(d, "\"device\" is neither a PCI address nor a VF name");
	memcpy(j->addr, buf, strlen(buf) + 1);
	r = get_str(d, o, "vm", j->vm_id, sizeof(j->vm_id));
	if (r < 0)
		return r;
	if (mvl_vm_id_check(j->vm_id) < 0)
		return bad(d, "\"vm\" is not a VM id");
	owner = field(o, "owner", json_type_object);
	if (!owner)
		return bad(d, "\"owner\" missing");
	r = get_int(d, owner, "pid", 0, INT_MAX, &j->pid);
	r = r ?: get_int(d, owner, "start", 0, INT64_MAX, &v);
	if (r < 0)
		return r;
	j->pid_start = (unsigned long long)v;
	r = get_str(d, owner, "boot_id", j->boot_id, sizeof(j->boot_id));
	if (r < 0)
		return r;
	sub = field(o, "vfio", json_type_boolean);
	if (!sub)
		return bad(d, "\"vfio\" missing or not a boolean");
	j->vfio = json_object_get_boolean(sub);
	r = get_int(d, o, "iommu_group", -1, INT_MAX, &v);
	if (r < 0)
		return r;
	j->iommu_group = (int)v;
	orig = field(o, "orig", json_type_object);
	if (!orig)
		return bad(d, "\"orig\" missing");
	r = get_str(d, orig, "driver", j->driver, sizeof(j->driver));
	r = r	  ?:
		    get_str(d, orig, "driver_override", j->driver_override,
			    sizeof(j->driver_override));
	if (r < 0)
		return r;
	if ((j->driver[0] && !mvl_driver_name_valid(j->driver)) ||
	    (j->driver_override[0] && !mvl_driver_name_valid(j->driver_override)))
		return bad(d, "\"driver\" or \"driver_override\" is not a driver name");
	if (json_object_object_get_ex(orig, "devnode", NULL)) {
		sub = field(orig, "devnode", json_type_object);
		if (!sub)
			return bad(d, "\"devnode\" is not an object");
		r = get_int(d, sub, "uid", 0, UINT32_MAX - 1, &j->dev_uid);
		r = r ?: get_int(d, sub, "gid", 0, UINT32_MAX - 1, &j->dev_gid);
		if (r < 0)
			return r;
		if (j->iommu_group < 0)
			return bad(d, "\"devnode\" without an IOMMU group");
		j->has_devnode = true;
	}
	if (j->mode == MVL_MODE_SRIOV) {
		sub = field(o, "sriov", json_type_object);
		if (!sub)
			return bad(d, "\"sriov\" missing");
		return decode_vf(d, sub, j);
	}
	return 0;
}

/* Parse @text as one strict JSON document (and nothing else). */
static int parse_json(struct dec *d, const char *text, size_t len, struct json_object **ret)
{
	struct json_tokener *tok;
	struct json_object *o;
	enum json_tokener_error e;
	size_t end;

	if (len == 0)
		return bad(d, "empty file");
	if (len > JOURNAL_MAX_SIZE)
		return bad(d, "larger than %d bytes", JOURNAL_MAX_SIZE);
	tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, text, (int)len);
	e = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (e == json_tokener_continue) {
		json_object_put(o);
		return bad(d, "truncated (the JSON text ends early)");
	}
	if (e != json_tokener_success) {
		json_object_put(o);
		return bad(d, "not valid JSON: %s", json_tokener_error_desc(e));
	}
	for (; end < len; end++)
		if (text[end] == '\0' || !strchr(" \t\r\n", text[end])) {
			json_object_put(o);
			return bad(d, "trailing data after the JSON text");
		}
	*ret = o;
	return 0;
}

int mvl_journal_decode(const char *text, size_t len, struct mvl_journal *ret, char *why,
		       size_t whylen)
{
	struct mvl_journal j = { .iommu_group = -1, .vf = -1 };
	struct dec d = { .why = why, .len = whylen };
	struct json_object *o = NULL;
	int r;

	r = parse_json(&d, text, len, &o);
	if (r < 0)
		return r;
	r = decode(&d, o, &j);
	json_object_put(o);
	if (r < 0)
		return r;
	*ret = j;
	return 0;
}

/* ------------------------------------------------------------ the files */

static const char *mode_dir(enum mvl_mode mode)
{
	return mode == MVL_MODE_SRIOV ? "vf" : "pci";
}

int mvl_journal_path(struct mvl_ctx *ctx, enum mvl_mode mode, const char *addr, char *buf,
		     size_t len)
{
	int n = snprintf(buf, len, "%s/%s/%s.json", ctx->state_dir, mode_dir(mode), addr);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Whether the state directory is on a file system whose fsync() does
 * nothing (tmpfs, ramfs: its files do not outlive the kernel anyway), so
 * that the calls can be left out; learnt once per context. */
static bool state_volatile(struct mvl_ctx *ctx, int fd, const char *dir)
{
	struct statfs sfs;

	if (ctx->state_volatile == 0) {
		if ((fd >= 0 ? fstatfs(fd, &sfs) : statfs(dir, &sfs)) < 0)
			return false; /* unknown: sync */
		ctx->state_volatile =
			sfs.f_type == TMPFS_MAGIC || sfs.f_type == RAMFS_MAGIC ? 1 : 2;
	}
	return ctx->state_volatile == 1;
}

static int fsync_dir(const char *dir)
{
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || fsync(fd) < 0)
		return -errno;
	return 0;
}

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

/* Write @text (plus a newline) to <state_dir>/<sub>/<name> atomically:
 * temp file, fsync, rename, fsync of the directory (the fsyncs left out
 * on a tmpfs, where they do nothing).  One mvl_step(). */
static int atomic_write(struct mvl_ctx *ctx, const char *sub, const char *name, const char *what,
			const char *text)
{
	char dir[PATH_MAX], path[PATH_MAX], tmp[PATH_MAX];
	_cleanup_close_ int fd = -1;
	int r, n;

	n = snprintf(path, sizeof(path), "%s/%s/%s", ctx->state_dir, sub, name);
	if (n < 0 || (size_t)n >= sizeof(path))
		return mvl_fail(ctx, -ENAMETOOLONG, "%s path too long", what);
	r = mvl_step(ctx, path);
	if (r < 0)
		return mvl_fail(ctx, r, "cannot write %s %s: %s", what, path, MVL_STRERROR(r));
	r = state_subdir(ctx, sub, dir, sizeof(dir));
	if (r < 0)
		return r;
	n = snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return mvl_fail(ctx, -ENAMETOOLONG, "%s path too long", what);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0644);
	if (fd < 0 && errno == ENOENT) {
		/* the directory went away since this context made it */
		r = state_subdir_ex(ctx, sub, dir, sizeof(dir), true);
		if (r < 0)
			return r;
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY,
			  0644);
	}
	if (fd < 0)
		return mvl_fail(ctx, -errno, "cannot write %s %s: %s", what, tmp,
				MVL_STRERROR(errno));
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

/* Remove @path (a missing file is fine) and fsync its directory.  One
 * mvl_step(). */
static int state_unlink(struct mvl_ctx *ctx, const char *path, const char *what)
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

/* Read a journal file (a regular file, at most JOURNAL_MAX_SIZE + 1 bytes
 * so that a larger one is recognised) into malloc'd @ret_buf.  -errno;
 * -EBADMSG with @why for a file that is not regular. */
static int read_text(const char *path, char **ret_buf, size_t *ret_len, char *why, size_t whylen)
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
	buf = malloc(JOURNAL_MAX_SIZE + 1);
	if (!buf)
		return -ENOMEM;
	while (len <= JOURNAL_MAX_SIZE && (n = read(fd, buf + len, JOURNAL_MAX_SIZE + 1 - len)) > 0)
		len += (size_t)n;
	if (n < 0)
		return -errno;
	*ret_buf = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

int mvl_journal_write(struct mvl_ctx *ctx, struct mvl_journal *j)
{
	_cleanup_free_ char *text = NULL;
	char name[64];
	int r;

	ctx_owner_stamp(ctx, &j->pid, &j->pid_start, j->boot_id);
	r = mvl_journal_encode(j, &text);
	if (r < 0)
		return mvl_fail(ctx, r, "cannot encode the journal of %s", j->addr);
	snprintf(name, sizeof(name), "%s.json", j->addr);
	return atomic_write(ctx, mode_dir(j->mode), name, "journal", text);
}

static int read_one(struct mvl_ctx *ctx, const char *path, struct mvl_journal *ret)
{
	_cleanup_free_ char *buf = NULL;
	char why[256] = "";
	size_t len = 0;
	int r;

	r = read_text(path, &buf, &len, why, sizeof(why));
	if (r == 0)
		r = mvl_journal_decode(buf, len, ret, why, sizeof(why));
	if (r != -EBADMSG)
		return r;
	return mvl_fail(ctx, -EBADMSG,
			"journal %s is corrupt: %s; nothing was done.  Check the device by hand "
			"(driver, VF settings), then remove the file",
			path, why);
}

int mvl_journal_read(struct mvl_ctx *ctx, const char *addr, struct mvl_journal *ret)
{
	static const enum mvl_mode modes[] = { MVL_MODE_SRIOV, MVL_MODE_PCI };
	struct mvl_journal j;
	char path[PATH_MAX], found[PATH_MAX] = "";
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
		r = mvl_journal_path(ctx, modes[i], addr, path, sizeof(path));
		if (r < 0)
			return r;
		r = read_one(ctx, path, &j);
		if (r == -ENOENT)
			continue;
		if (r < 0)
			return r == -EBADMSG ? r :
					       mvl_fail(ctx, r, "cannot read journal %s: %s", path,
							MVL_STRERROR(r));
		if (found[0])
			return mvl_fail(
				ctx, -EBADMSG,
				"%s has two journals, %s and %s; remove the wrong one by hand",
				addr, found, path);
		if (j.mode != modes[i] || strcmp(j.addr, addr) != 0)
			return mvl_fail(
				ctx, -EBADMSG,
				"journal %s describes %s device %s; it does not belong there", path,
				mvl_mode_to_string(j.mode), j.addr);
		snprintf(found, sizeof(found), "%s", path);
		*ret = j;
	}
	return found[0] ? 0 : -ENOENT;
}

int mvl_journal_remove(struct mvl_ctx *ctx, const struct mvl_journal *j)
{
	char path[PATH_MAX];
	int r;

	r = mvl_journal_path(ctx, j->mode, j->addr, path, sizeof(path));
	if (r < 0)
		return r;
	return state_unlink(ctx, path, "journal");
}

int mvl_journal_foreach(struct mvl_ctx *ctx,
			int (*cb)(struct mvl_ctx *ctx, const char *addr, void *data), void *data)
{
	static const enum mvl_mode modes[] = { MVL_MODE_SRIOV, MVL_MODE_PCI };
	char dir[PATH_MAX];
	int r = 0;

	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(modes); i++) {
		struct dirent *de;
		DIR *d;

		snprintf(dir, sizeof(dir), "%s/%s", ctx->state_dir, mode_dir(modes[i]));
		r = mvl_opendir(ctx, dir, &d);
		if (r < 0)
			return r;
		if (r == 0)
			continue;
		r = 0;
		while (r == 0 && (de = readdir(d))) {
			char name[64];
			size_t n = strlen(de->d_name);

			/* "<device>.json"; temp files start with '.' */
			if (n <= 5 || n - 5 >= sizeof(name) || strcmp(de->d_name + n - 5, ".json"))
				continue;
			memcpy(name, de->d_name, n - 5);
			name[n - 5] = '\0';
			if (!mvl_dev_name_valid(name))
				continue;
			r = cb(ctx, name, data);
		}
		closedir(d);
	}
	return r;
}

/* ================================================= link journals */

#define LINK_JOURNAL_VERSION 1

static const char *const lj_op_names[] = {
	[MVL_LJ_TAP] = "tap",
	[MVL_LJ_BRIDGE] = "bridge",
	[MVL_LJ_MACVTAP] = "macvtap",
};

const char *mvl_lj_op_name(enum mvl_lj_op op)
{
	return (unsigned)op < ARRAY_SIZE(lj_op_names) ? lj_op_names[op] : NULL;
}

/* IFLA_INFO_KIND as the kernel names kinds: [a-z0-9_-], may be empty. */
static bool kind_valid(const char *kind)
{
	for (const char *p = kind; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' ||
		      *p == '-'))
			return false;
	return true;
}

static bool lj_dev_valid(const struct mvl_lj_dev *dv)
{
	if (!dv->set)
		return true;
	return dv->ifindex > 0 && kind_valid(dv->kind) && mvl_ifname_check(dv->name) == 0;
}

/* What decode() also checks: the parts an operation has, and nothing else. */
static bool lj_consistent(const struct mvl_link_journal *j)
{
	if (!mvl_lj_op_name(j->op))
		return false;
	if (j->vm_id[0] ? mvl_vm_id_check(j->vm_id) < 0 : j->op != MVL_LJ_BRIDGE)
		return false;
	if (j->op == MVL_LJ_BRIDGE ? j->name[0] != '\0' : mvl_ifname_check(j->name) < 0)
		return false;
	if (j->link.set && strcmp(j->link.name, j->name) != 0)
		return false;
	if (!lj_dev_valid(&j->bridge) || !lj_dev_valid(&j->uplink) || !lj_dev_valid(&j->link) ||
	    !lj_dev_valid(&j->lower))
		return false;
	if ((j->bridge_created || j->bridge_brought_up) && !j->bridge.set)
		return false;
	if (j->bridge.set && strcmp(j->bridge.kind, "bridge") != 0)
		return false;
	if (j->bridge_created && j->bridge_brought_up)
		return false;
	if (j->uplink.set && !j->bridge.set)
		return false;
	switch (j->op) {
	case MVL_LJ_BRIDGE:
		if (!j->bridge.set || j->link.set || j->lower.set || j->has_node)
			return false;
		break;
	case MVL_LJ_TAP:
		if (!j->link.set || strcmp(j->link.kind, "tun") != 0 || j->lower.set ||
		    j->has_node || j->link_lower)
			return false;
		break;
	case MVL_LJ_MACVTAP:
		/* a macvtap created, or an adopted one's lower or node changed */
		if (j->bridge.set || j->uplink.set ||
		    (!j->link.set && !j->lower.set && !j->has_node))
			return false;
		if (j->link.set ? strcmp(j->link.kind, "macvtap") != 0 || j->link_lower <= 0 :
				  j->link_lower != 0)
			return false;
		if (j->lower.set && j->link.set && j->lower.ifindex != j->link_lower)
			return false;
		break;
	}
	if ((j->lower_set_mac || j->lower_was_down) && !j->lower.set)
		return false;
	if (j->has_node && (j->node[0] != '/' || strstr(j->node, "/..") || j->node_mode > 07777 ||
			    j->node_uid < 0 || j->node_gid < 0 || j->node_uid > UINT32_MAX - 1 ||
			    j->node_gid > UINT32_MAX - 1))
		return false;
	return true;
}

static int add_dev(struct json_object *o, const char *key, const struct mvl_lj_dev *dv,
		   struct json_object **ret)
{
	struct json_object *sub = json_object_new_object();
	int r = add(o, key, sub);

	r = r ?: add(sub, "name", json_object_new_string(dv->name));
	r = r ?: add(sub, "ifindex", json_object_new_int(dv->ifindex));
	r = r ?: add(sub, "kind", json_object_new_string(dv->kind));
	*ret = sub;
	return r;
}

int mvl_link_journal_encode(const struct mvl_link_journal *j, char **ret_text)
{
	struct json_object *o, *owner, *sub;
	const char *text;
	char mac[18], *copy;
	int r;

	if (!lj_consistent(j))
		return -EINVAL;
	o = json_object_new_object();
	if (!o)
		return -ENOMEM;
	r = add(o, "format", json_object_new_string("mvlink-link-journal"));
	r = r ?: add(o, "version", json_object_new_int(LINK_JOURNAL_VERSION));
	r = r ?: add(o, "op", json_object_new_string(mvl_lj_op_name(j->op)));
	r = r ?: add(o, "vm", json_object_new_string(j->vm_id));
	r = r ?: add(o, "name", json_object_new_string(j->name));
	r = r ?: add(o, "netns", json_object_new_int64((int64_t)j->netns));
	owner = json_object_new_object();
	r = r ?: add(o, "owner", owner);
	r = r ?: add(owner, "pid", json_object_new_int64(j->pid));
	r = r ?: add(owner, "start", json_object_new_int64((int64_t)j->pid_start));
	r = r ?: add(owner, "boot_id", json_object_new_string(j->boot_id));
	if (r == 0 && j->bridge.set) {
		r = add_dev(o, "bridge", &j->bridge, &sub);
		r = r ?: add(sub, "created", json_object_new_boolean(j->bridge_created));
		r = r ?: add(sub, "brought_up", json_object_new_boolean(j->bridge_brought_up));
	}
	if (r == 0 && j->uplink.set) {
		r = add_dev(o, "uplink", &j->uplink, &sub);
		r = r ?: add(sub, "was_down", json_object_new_boolean(j->uplink_was_down));
	}
	if (r == 0 && j->link.set) {
		r = add_dev(o, "link", &j->link, &sub);
		if (r == 0 && j->op == MVL_LJ_MACVTAP)
			r = add(sub, "lower", json_object_new_int(j->link_lower));
	}
	if (r == 0 && j->lower.set) {
		r = add_dev(o, "lower", &j->lower, &sub);
		r = r ?: add(sub, "mac", json_object_new_string(mvl_mac_format(j->lower_mac, mac)));
		if (r == 0 && j->lower_set_mac)
			r = add(sub, "new_mac",
				json_object_new_string(mvl_mac_format(j->lower_new_mac, mac)));
		r = r ?: add(sub, "was_down", json_object_new_boolean(j->lower_was_down));
	}
	if (r == 0 && j->has_node) {
		sub = json_object_new_object();
		r = add(o, "node", sub);
		r = r ?: add(sub, "path", json_object_new_string(j->node));
		r = r ?: add(sub, "major", json_object_new_int64(j->node_major));
		r = r ?: add(sub, "minor", json_object_new_int64(j->node_minor));
		r = r ?: add(sub, "uid", json_object_new_int64(j->node_uid));
		r = r ?: add(sub, "gid", json_object_new_int64(j->node_gid));
		r = r ?: add(sub, "mode", json_object_new_int64(j->node_mode));
	}
	if (r < 0) {
		json_object_put(o);
		return r;
	}
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							 JSON_C_TO_STRING_NOSLASHESCAPE);
	copy = text ? strdup(text) : NULL;
	json_object_put(o);
	if (!copy)
		return -ENOMEM;
	*ret_text = copy;
	return 0;
}

static int get_bool(struct dec *d, struct json_object *o, const char *key, bool *ret)
{
	struct json_object *v = field(o, key, json_type_boolean);

	if (!v)
		return bad(d, "\"%s\" missing or not a boolean", key);
	*ret = json_object_get_boolean(v);
	return 0;
}

static int get_mac(struct dec *d, struct json_object *o, const char *key, uint8_t mac[6])
{
	char buf[32];
	int r = get_str(d, o, key, buf, sizeof(buf));

	if (r < 0)
		return r;
	if (mvl_mac_parse(buf, mac) < 0)
		return bad(d, "\"%s\" is not a MAC address", key);
	return 0;
}

/* An optional part {"name", "ifindex", "kind"}: NULL when absent. */
static int get_dev(struct dec *d, struct json_object *o, const char *key, struct mvl_lj_dev *dv,
		   struct json_object **ret)
{
	struct json_object *sub;
	long long v;
	int r;

	*ret = NULL;
	if (!json_object_object_get_ex(o, key, NULL))
		return 0;
	sub = field(o, key, json_type_object);
	if (!sub)
		return bad(d, "\"%s\" is not an object", key);
	r = get_str(d, sub, "name", dv->name, sizeof(dv->name));
	if (r < 0)
		return r;
	if (mvl_ifname_check(dv->name) < 0)
		return bad(d, "\"%s.name\" is not an interface name", key);
	r = get_int(d, sub, "ifindex", 1, INT_MAX, &v);
	if (r < 0)
		return r;
	dv->ifindex = (int)v;
	r = get_str(d, sub, "kind", dv->kind, sizeof(dv->kind));
	if (r < 0)
		return r;
	if (!kind_valid(dv->kind))
		return bad(d, "\"%s.kind\" is not a link kind", key);
	dv->set = true;
	*ret = sub;
	return 0;
}

static int lj_decode(struct dec *d, struct json_object *o, struct mvl_link_journal *j)
{
	struct json_object *owner, *sub;
	char buf[80];
	long long v;
	int r;

	r = check_header(d, o, "mvlink-link-journal", "an mvlink link journal",
			 LINK_JOURNAL_VERSION);
	if (r < 0)
		return r;
	r = get_str(d, o, "op", buf, sizeof(buf));
	if (r < 0)
		return r;
	r = index_of(lj_op_names, ARRAY_SIZE(lj_op_names), buf);
	if (r < 0)
		return bad(d, "\"op\" is not tap, bridge or macvtap");
	j->op = (enum mvl_lj_op)r;
	r = get_str(d, o, "vm", j->vm_id, sizeof(j->vm_id));
	if (r < 0)
		return r;
	if (j->vm_id[0] ? mvl_vm_id_check(j->vm_id) < 0 : j->op != MVL_LJ_BRIDGE)
		return bad(d, "\"vm\" is not a VM id");
	r = get_str(d, o, "name", j->name, sizeof(j->name));
	if (r < 0)
		return r;
	if (j->op == MVL_LJ_BRIDGE ? j->name[0] != '\0' : mvl_ifname_check(j->name) < 0)
		return bad(d, "\"name\" is not an interface name");
	r = get_int(d, o, "netns", 1, INT64_MAX, &v);
	if (r < 0)
		return r;
	j->netns = (unsigned long long)v;
	owner = field(o, "owner", json_type_object);
	if (!owner)
		return bad(d, "\"owner\" missing");
	r = get_int(d, owner, "pid", 0, INT_MAX, &j->pid);
	r = r ?: get_int(d, owner, "start", 0, INT64_MAX, &v);
	if (r < 0)
		return r;
	j->pid_start = (unsigned long long)v;
	r = get_str(d, owner, "boot_id", j->boot_id, sizeof(j->boot_id));
	if (r < 0)
		return r;

	r = get_dev(d, o, "bridge", &j->bridge, &sub);
	if (r == 0 && sub) {
		r = get_bool(d, sub, "created", &j->bridge_created);
		r = r ?: get_bool(d, sub, "brought_up", &j->bridge_brought_up);
	}
	r = r ?: get_dev(d, o, "uplink", &j->uplink, &sub);
	if (r == 0 && sub)
		r = get_bool(d, sub, "was_down", &j->uplink_was_down);
	r = r ?: get_dev(d, o, "link", &j->link, &sub);
	if (r == 0 && sub && j->op == MVL_LJ_MACVTAP) {
		r = get_int(d, sub, "lower", 1, INT_MAX, &v);
		j->link_lower = (int)v;
	}
	r = r ?: get_dev(d, o, "lower", &j->lower, &sub);
	if (r == 0 && sub) {
		r = get_mac(d, sub, "mac", j->lower_mac);
		if (r == 0 && json_object_object_get_ex(sub, "new_mac", NULL)) {
			r = get_mac(d, sub, "new_mac", j->lower_new_mac);
			j->lower_set_mac = true;
		}
		r = r ?: get_bool(d, sub, "was_down", &j->lower_was_down);
	}
	if (r == 0 && json_object_object_get_ex(o, "node", NULL)) {
		sub = field(o, "node", json_type_object);
		if (!sub)
			return bad(d, "\"node\" is not an object");
		r = get_str(d, sub, "path", j->node, sizeof(j->node));
		r = r ?: get_int(d, sub, "major", 0, 4095, &v);
		j->node_major = (unsigned)v;
		r = r ?: get_int(d, sub, "minor", 0, (1 << 20) - 1, &v);
		j->node_minor = (unsigned)v;
		r = r ?: get_int(d, sub, "uid", 0, UINT32_MAX - 1, &j->node_uid);
		r = r ?: get_int(d, sub, "gid", 0, UINT32_MAX - 1, &j->node_gid);
		r = r ?: get_int(d, sub, "mode", 0, 07777, &v);
		j->node_mode = (unsigned)v;
		j->has_node = true;
	}
	if (r < 0)
		return r;
	if (!lj_consistent(j))
		return bad(d, "the parts do not fit a %s operation", mvl_lj_op_name(j->op));
	return 0;
}

int mvl_link_journal_decode(const char *text, size_t len, struct mvl_link_journal *ret, char *why,
			    size_t whylen)
{
	struct mvl_link_journal j = { .op = MVL_LJ_TAP };
	struct dec d = { .why = why, .len = whylen };
	struct json_object *o = NULL;
	int r;

	r = parse_json(&d, text, len, &o);
	if (r < 0)
		return r;
	r = lj_decode(&d, o, &j);
	json_object_put(o);
	if (r < 0)
		return r;
	*ret = j;
	return 0;
}

int mvl_link_journal_locks(const struct mvl_link_journal *j, struct mvl_lockset *set)
{
	int r = 0;

	if (j->bridge.set)
		r = mvl_lockset_add(set, MVL_LOCK_BRIDGE, j->bridge.name);
	if (r == 0 && j->uplink.set)
		r = mvl_lockset_add(set, MVL_LOCK_UPLINK, j->uplink.name);
	if (r == 0 && j->lower.set)
		r = mvl_lockset_add(set, MVL_LOCK_UPLINK, j->lower.name);
	if (r == 0 && j->name[0])
		r = mvl_lockset_add(set, MVL_LOCK_NAME, j->name);
	return r;
}

/* "<op>-<16 hex>.json" */
static bool lj_file_valid(const char *file)
{
	const char *dash = strchr(file, '-');
	size_t n = strlen(file);
	char op[16];

	if (!dash || n != (size_t)(dash - file) + 1 + 16 + 5 || strcmp(file + n - 5, ".json"))
		return false;
	if ((size_t)(dash - file) >= sizeof(op))
		return false;
	snprintf(op, sizeof(op), "%.*s", (int)(dash - file), file);
	if (index_of(lj_op_names, ARRAY_SIZE(lj_op_names), op) < 0)
		return false;
	for (const char *p = dash + 1; p < file + n - 5; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

int mvl_link_journal_write(struct mvl_ctx *ctx, struct mvl_link_journal *j)
{
	_cleanup_free_ char *text = NULL;
	int r;

	ctx_owner_stamp(ctx, &j->pid, &j->pid_start, j->boot_id);
	r = mvl_netns_id(&j->netns);
	if (r < 0)
		return mvl_fail(ctx, r, "cannot identify the network namespace: %s",
				MVL_STRERROR(r));
	r = mvl_link_journal_encode(j, &text);
	if (r < 0)
		return mvl_fail(ctx, r, "cannot encode the journal of a %s create",
				mvl_lj_op_name(j->op) ?: "?");
	if (!j->file[0]) {
		uint8_t rnd[8];

		r = mvl_random_bytes(rnd, sizeof(rnd));
		if (r < 0)
			return mvl_fail(ctx, r, "cannot get random bytes");
		snprintf(j->file, sizeof(j->file), "%s-%02x%02x%02x%02x%02x%02x%02x%02x.json",
			 mvl_lj_op_name(j->op), rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5],
			 rnd[6], rnd[7]);
	}
	r = atomic_write(ctx, "links", j->file, "journal", text);
	return r;
}

int mvl_link_journal_remove(struct mvl_ctx *ctx, struct mvl_link_journal *j)
{
	char path[PATH_MAX];
	int r, n;

	if (!j->file[0])
		return 0;
	n = snprintf(path, sizeof(path), "%s/links/%s", ctx->state_dir, j->file);
	if (n < 0 || (size_t)n >= sizeof(path))
		return mvl_fail(ctx, -ENAMETOOLONG, "journal path too long");
	r = state_unlink(ctx, path, "journal");
	if (r == 0)
		j->file[0] = '\0';
	return r;
}

int mvl_link_journal_read(struct mvl_ctx *ctx, const char *file, struct mvl_link_journal *ret)
{
	_cleanup_free_ char *buf = NULL;
	char path[PATH_MAX], why[256] = "";
	size_t len = 0;
	int r, n;

	if (!lj_file_valid(file))
		return -EINVAL;
	n = snprintf(path, sizeof(path), "%s/links/%s", ctx->state_dir, file);
	if (n < 0 || (size_t)n >= sizeof(path))
		return mvl_fail(ctx, -ENAMETOOLONG, "journal path too long");
	r = read_text(path, &buf, &len, why, sizeof(why));
	if (r == 0)
		r = mvl_link_journal_decode(buf, len, ret, why, sizeof(why));
	if (r == -EBADMSG)
		return mvl_fail(ctx, r,
				"journal %s is corrupt: %s; nothing was done.  Check the links it "
				"may name by hand (ip -d link), then remove the file",
				path, why);
	if (r == -ENOENT)
		return r;
	if (r < 0)
		return mvl_fail(ctx, r, "cannot read journal %s: %s", path, MVL_STRERROR(r));
	snprintf(ret->file, sizeof(ret->file), "%s", file);
	return 0;
}

int mvl_link_journal_foreach(struct mvl_ctx *ctx,
			     int (*cb)(struct mvl_ctx *ctx, const char *file, void *data),
			     void *data)
{
	char dir[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int r = 0;

	snprintf(dir, sizeof(dir), "%s/links", ctx->state_dir);
	r = mvl_opendir(ctx, dir, &d);
	if (r <= 0)
		return r;
	r = 0;
	while (r == 0 && (de = readdir(d)))
		if (lj_file_valid(de->d_name)) /* not temp files ('.'), nor strangers */
			r = cb(ctx, de->d_name, data);
	closedir(d);
	return r;
}
