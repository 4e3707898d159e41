/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/store.h - layer 3 (store): the state directory (statedir.c, lock.c,
 * owner.c, journal.c, devjournal.c, linkjournal.c, index.c).  See
 * lib/base.h.
 */
#ifndef MVLINK_STORE_H
#define MVLINK_STORE_H

#include "kernel.h"

/* ---- statedir.c: the files of the state directory --------------------- */
/* <state_dir>/<sub> into @buf, made (with the state directory) unless this
 * context made it before (locks/ 0700, others 0755); @forget: make it
 * again (it went away).  -errno with a message. */
int mvl_statedir_subdir(struct mvl_ctx *ctx, const char *sub, char *buf, size_t len, bool forget);
/* open() @path in <state_dir>/<sub> (made with mvl_statedir_subdir()) with
 * @flags | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, making <sub> again when it
 * went away.  The fd, or -errno with "cannot @verb @what @path: ...". */
int mvl_statedir_open(struct mvl_ctx *ctx, const char *sub, const char *path, int flags,
		      mode_t mode, const char *verb, const char *what);
/* Write @text and a newline to <state_dir>/<sub>/<name> atomically: temp
 * file, fsync, rename, fsync of the directory (the fsyncs left out on a
 * tmpfs, where they do nothing).  One mvl_step(); -errno with a message
 * naming @what. */
int mvl_statedir_write(struct mvl_ctx *ctx, const char *sub, const char *name, const char *what,
		       const char *text);
/* Remove @path (a missing file is fine) and fsync its directory.  One
 * mvl_step(); -errno with a message naming @what. */
int mvl_statedir_unlink(struct mvl_ctx *ctx, const char *path, const char *what);
/* Read @path (a regular file, not a symbolic link; at most @max + 1 bytes,
 * so that a larger one is recognised) into malloc'd *@ret_buf.  -errno;
 * -EBADMSG with @why for a file that is not regular. */
int mvl_statedir_read(const char *path, size_t max, char **ret_buf, size_t *ret_len, char *why,
		      size_t whylen);
/* Call @cb for every entry of the directory @dir (in the state directory)
 * whose name @filter accepts (never one starting with '.': temp files);
 * stops at a non-zero return, which is returned.  No directory: 0; -errno
 * with a message. */
int mvl_statedir_foreach(struct mvl_ctx *ctx, const char *dir, bool (*filter)(const char *name),
			 int (*cb)(struct mvl_ctx *ctx, const char *name, void *data), void *data);

/* ---- lock.c: host-wide locks ------------------------------------------ */
/*
 * Host-wide locks: flock() on <state_dir>/locks/<kind>-<name>.lock
 * (O_CLOEXEC), never deleted.  A process takes every lock of an operation
 * before its first change and holds them to its end, always in the order
 * of enum mvl_lock_kind and then of the names (so two processes never wait
 * for each other in a circle), waiting at most MVL_LOCK_TIMEOUT_MS in all,
 * then -EBUSY "busy: another mvlink process holds <resource>".  Names are
 * host-wide: the same interface name in two network namespaces shares a
 * lock, which only serialises them.
 */
enum mvl_lock_kind {
	MVL_LOCK_BRIDGE = 0, /* a bridge: created, brought up, ports added, deleted */
	MVL_LOCK_UPLINK = 1, /* a device mvlink changes but did not create: a
			      * bridge's uplink, a macvtap's lower device */
	MVL_LOCK_NAME = 2,   /* an interface name mvlink creates or deletes */
	MVL_LOCK_PCI = 3,    /* a PCI function: a VF, a PF, a whole device */
	MVL_LOCK_VF = 4,     /* a VF without a PCI function, "<pf>:vf<N>" */
};
/* How long locks are waited for before -EBUSY; tests change it for a
 * context in ctx->test.lock_timeout_ms. */
#define MVL_LOCK_TIMEOUT_MS 5000
/* One lock, shared or exclusive, waiting up to MVL_LOCK_TIMEOUT_MS when
 * @wait.  The fd in @ret_fd (O_CLOEXEC); -EBUSY with a message when another
 * holds it. */
int mvl_lock_take(struct mvl_ctx *ctx, enum mvl_lock_kind kind, const char *name, bool shared,
		  bool wait, int *ret_fd);
/* Whether the lock file of @kind/@name exists: whether an mvlink process
 * ever took that lock (lock files are never removed).  Creates nothing. */
bool mvl_lock_known(struct mvl_ctx *ctx, enum mvl_lock_kind kind, const char *name);
void mvl_lock_drop(int *fd);

/* The locks of one operation, kept in the order they are taken. */
#define MVL_LOCKSET_MAX 8
struct mvl_lockset {
	unsigned n;
	struct mvl_lock {
		enum mvl_lock_kind kind;
		char name[IFNAMSIZ]; /* an interface name or a PCI address */
		int fd;              /* -1 while not held */
	} l[MVL_LOCKSET_MAX];
};
void mvl_lockset_init(struct mvl_lockset *set);
/* Add a lock (not taken yet); 0, -EINVAL for a bad name, -E2BIG. */
int mvl_lockset_add(struct mvl_lockset *set, enum mvl_lock_kind kind, const char *name);
bool mvl_lockset_has(const struct mvl_lockset *set, enum mvl_lock_kind kind, const char *name);
/* Take every lock not held yet, exclusively, in order, within one
 * mvl_lockset_timeout_ms; on failure none is held (-EBUSY with a message). */
int mvl_lockset_take(struct mvl_ctx *ctx, struct mvl_lockset *set, bool wait);
void mvl_lockset_drop(struct mvl_lockset *set);
/* The lock kind of device @name: MVL_LOCK_PCI or MVL_LOCK_VF. */
enum mvl_lock_kind mvl_dev_lock_kind(const char *name);

/* ---- owner.c: the process and namespace a journal names -------------- */
/* The process that writes a journal (pid, its start time, the boot). */
void mvl_owner_stamp(long long *pid, unsigned long long *pid_start, char boot_id[40]);
bool mvl_owner_alive(long long pid, unsigned long long pid_start, const char *boot_id);
/* mvl_owner_stamp() of this process, read once per context: none of it
 * changes while the process lives, and a context is never used by
 * another process. */
void mvl_owner_stamp_ctx(struct mvl_ctx *ctx, long long *pid, unsigned long long *pid_start,
			 char boot_id[40]);
/* The inode of this process's network namespace. */
int mvl_netns_id(unsigned long long *ret);

/* ---- journal.c: the intent journals' JSON codec ----------------------- */
/*
 * The codec: a journal is a table of field descriptors, walked in order by
 * both encoding and decoding.  A table ends with a row whose key is NULL.
 */
/* The largest journal file read. */
#define MVL_JOURNAL_MAX_SIZE (64 * 1024)
enum mvl_jtype {
	MVL_JT_STR = 1, /* char[size]; read into .len bytes (0: .size), checked,
			 * then copied */
	MVL_JT_INT,     /* int or long long (.size), .min to .max */
	MVL_JT_UINT,    /* unsigned or unsigned long long, .min to .max */
	MVL_JT_BOOL,    /* bool */
	MVL_JT_TRI,     /* int: true 1, false 0, null -1 */
	MVL_JT_MAC,     /* uint8_t[6]: "xx:xx:xx:xx:xx:xx" */
	MVL_JT_ENUM,    /* int or uint16_t (.size): one string of .names, read
			 * into .len bytes (0: 80) */
	MVL_JT_BITS,    /* unsigned: an array of the .bit_name of each of its
			 * .bits, in bit order */
	MVL_JT_OBJECT,  /* an object of the fields .sub, of the struct at .off */
	MVL_JT_GROUP,   /* the fields .sub in this object, of the struct at .off
			 * (no key of its own; there when its first one is) */
};
/* When a field is in the text. */
enum mvl_jcond {
	MVL_JC_ALWAYS = 0, /* always: required */
	MVL_JC_BOOL,       /* when the bool at .cond_off is true; decoding sets
			    * it when the key is there */
	MVL_JC_BIT,        /* when .cond_val is in the unsigned at .cond_off;
			    * decoding sets it when the key is there */
	MVL_JC_IF,         /* when the int at .cond_off is .cond_val: required
			    * then, else not read */
	MVL_JC_FN,         /* when .cond_fn says so of the struct of the table:
			    * required then, else not read */
};
struct mvl_jname {
	const char *name;
	int value;
};
struct mvl_jfield {
	const char *key;
	enum mvl_jtype type;
	size_t off, size;        /* the member in the struct of the table */
	size_t len;              /* MVL_JT_STR, MVL_JT_ENUM: see above */
	long long min, max;      /* MVL_JT_INT, MVL_JT_UINT */
	const struct mvl_jname *names; /* MVL_JT_ENUM; NULL-terminated */
	unsigned bits;                 /* MVL_JT_BITS */
	const char *(*bit_name)(unsigned bit);
	const struct mvl_jfield *sub;  /* MVL_JT_OBJECT, MVL_JT_GROUP */
	const char *name;              /* MVL_JT_OBJECT in messages (.key) */
	enum mvl_jcond cond;
	size_t cond_off;               /* in the struct of the table */
	unsigned cond_val;
	bool (*cond_fn)(const void *base);
	/* once decoded (a string before it is copied: @val is it, else the
	 * member), with @base the struct of the table: NULL, or why not (the
	 * message of the refusal, .why for most) */
	const char *(*check)(const void *base, const struct mvl_jfield *f, const void *val);
	const char *why;
};

/* clang-format off */
/* MVL_JF(struct, "key", member, type[, .designator = value...]) */
#define MVL_JF(T, k, m, t, ...) \
	{ .key = k, .type = t, .off = offsetof(T, m), .size = sizeof(((T *)0)->m), __VA_ARGS__ }
/* an object whose fields' offsets are of the same struct */
#define MVL_JOBJ(k, fields, ...) { .key = k, .type = MVL_JT_OBJECT, .sub = fields, __VA_ARGS__ }
#define MVL_JEND { .key = NULL }
#define MVL_JIF_BOOL(T, m) .cond = MVL_JC_BOOL, .cond_off = offsetof(T, m)
#define MVL_JIF_IS(T, m, v) .cond = MVL_JC_IF, .cond_off = offsetof(T, m), .cond_val = v
#define MVL_JIF_FN(fn) .cond = MVL_JC_FN, .cond_fn = fn
#define MVL_JRANGE(a, b) .min = a, .max = b
#define MVL_JCHECK(fn, msg) .check = fn, .why = msg
/* clang-format on */

/* A check that returns f->why when @pred of the string s is false. */
#define MVL_JSTR_CHECK(name, pred)                                                             \
	static const char *name(const void *base, const struct mvl_jfield *f, const void *val) \
	{                                                                                      \
		const char *s = val;                                                           \
		return (pred) ? NULL : f->why;                                                 \
	}

/* The "owner" object of a journal struct T: the process that wrote it. */
#define MVL_JOWNER(T)                                                                 \
	MVL_JF(T, "pid", pid, MVL_JT_INT, MVL_JRANGE(0, INT_MAX)),                    \
		MVL_JF(T, "start", pid_start, MVL_JT_UINT, MVL_JRANGE(0, INT64_MAX)), \
		MVL_JF(T, "boot_id", boot_id, MVL_JT_STR), MVL_JEND

/* One decode under way (journal.c's). */
struct mvl_jdec;
/* A kind of journal: its header and its fields. */
struct mvl_jformat {
	const char *format; /* the value of "format" */
	const char *what; /* "not <what> (\"format\")" */
	long long version;
	const struct mvl_jfield *fields;
	bool (*encodable)(const void *j);
	/* run after the last field: what no table can say */
	int (*finish)(struct mvl_jdec *d, void *j);
};
/* Pure: the JSON text (malloc'd) of @j, a struct of @fmt's table; -EINVAL
 * when fmt->encodable() refuses it. */
int mvl_jcodec_encode(const struct mvl_jformat *fmt, const void *j, char **ret_text);
/* Pure: decode @text into @j (its defaults set by the caller): one strict
 * JSON object, its header, every field, then fmt->finish(); -EBADMSG with
 * the reason in @why. */
int mvl_jcodec_decode(const struct mvl_jformat *fmt, const char *text, size_t len, void *j,
		      char *why, size_t whylen);
/* Refuse the text being decoded: the reason into its why; -EBADMSG. */
int mvl_jdec_bad(struct mvl_jdec *d, const char *fmt, ...) _printf_(2, 3);

/* ---- devjournal.c: the journals of VFs and PCI devices ---------------- */

enum mvl_journal_state {
	MVL_J_ATTACHING = 1, /* written before the first change of an attach */
	MVL_J_ATTACHED = 2,  /* the attach completed */
	MVL_J_RELEASING = 3, /* a release started */
};
/* What a restore needs, all of it known before the first change. */
struct mvl_journal {
	enum mvl_mode mode;             /* MVL_MODE_SRIOV or MVL_MODE_PCI */
	enum mvl_journal_state state;
	char addr[MVL_DEV_NAME_LEN];    /* the device: PCI address or "<pf>:vf<N>" */
	char vm_id[65];
	/* the process that wrote it (for people and for recover) */
	long long pid;
	unsigned long long pid_start;   /* /proc/<pid>/stat starttime */
	char boot_id[40];
	/* the device: vfio says whether it is (to be) bound to vfio-pci */
	bool vfio;
	char driver[64];                /* original driver, "" none */
	char driver_override[64];       /* original driver_override, "" none */
	int iommu_group;                /* -1 unknown */
	/* /dev/vfio/<group> ownership before a chown (has_devnode) */
	bool has_devnode;
	long long dev_uid, dev_gid;
	/* MVL_MODE_SRIOV: the PF and the VF's original attributes */
	char pf_addr[MVL_PCI_ADDR_LEN]; /* "" when the PF is not a PCI device */
	char pf_ifname[IFNAMSIZ];       /* "" when the PF has no netdev */
	int vf;
	unsigned vf_changes;            /* MVL_VF_A_* the attach sets */
	struct mvl_vf_state vf_orig;    /* .have: what was known */
};
/* Pure: JSON text (malloc'd) of @j. */
int mvl_journal_encode(const struct mvl_journal *j, char **ret_text);
/* Pure: parse and validate; -EBADMSG with the reason in @why. */
int mvl_journal_decode(const char *text, size_t len, struct mvl_journal *ret, char *why,
		       size_t whylen);
/* Atomic write (temp file, fsync, rename, fsync dir); stamps pid/boot. */
int mvl_journal_write(struct mvl_ctx *ctx, struct mvl_journal *j);
/* The journal of @addr (vf/ or pci/): -ENOENT none, -EBADMSG corrupt (with
 * a message through mvl_fail()). */
int mvl_journal_read(struct mvl_ctx *ctx, const char *addr, struct mvl_journal *ret);
int mvl_journal_remove(struct mvl_ctx *ctx, const struct mvl_journal *j);
/* The path of @addr's journal for @mode. */
int mvl_journal_path(struct mvl_ctx *ctx, enum mvl_mode mode, const char *addr, char *buf,
		     size_t len);
/* Call @cb with the address of every journal file (read it with
 * mvl_journal_read()); stops at a non-zero return. */
int mvl_journal_foreach(struct mvl_ctx *ctx,
			int (*cb)(struct mvl_ctx *ctx, const char *addr, void *data), void *data);
/* Whether the process that wrote @j is still running. */
bool mvl_journal_owner_alive(const struct mvl_journal *j);

/* ---- linkjournal.c: the intent journals of link creates -------------- */
/*
 * Intent journals of link creates: <state_dir>/links/<op>-<16 hex>.json,
 * written atomically before the first change of a create that leaves
 * something a crash would not take away (a bridge, an uplink enslaved, a
 * macvtap, a lower device's MAC or state, a persistent tap that is not yet
 * complete), removed once it completed or was undone.  Everything it names
 * is named with its ifindex, known in advance: mvlink chooses the ifindex
 * of every link it creates.  A journal whose locks are free belongs to a
 * process that died: recover.c undoes what it names, after checking that
 * each device is still the one named (name, ifindex, kind, tag).
 */
enum mvl_lj_op {
	MVL_LJ_TAP = 1,
	MVL_LJ_BRIDGE = 2,
	MVL_LJ_MACVTAP = 3,
	MVL_LJ_IPVTAP = 4,
};
/* A link as a journal names it. */
struct mvl_lj_dev {
	bool set;
	char name[IFNAMSIZ];
	int ifindex;
	char kind[32];       /* IFLA_INFO_KIND, "" for a plain device */
};
struct mvl_link_journal {
	enum mvl_lj_op op;
	char vm_id[65];                   /* "" only for a bridge without a VM */
	char name[IFNAMSIZ];              /* tap, macvtap: the interface ("" for
					   * a bridge) */
	unsigned long long netns;         /* see mvl_netns_id() */
	long long pid;                    /* the writer, see mvl_owner_stamp() */
	unsigned long long pid_start;
	char boot_id[40];
	/* the bridge, created with .ifindex, or an existing one brought up */
	struct mvl_lj_dev bridge;
	bool bridge_created, bridge_brought_up;
	/* the uplink enslaved to the bridge (and brought up when it was down) */
	struct mvl_lj_dev uplink;
	bool uplink_was_down;
	/* the tap or macvtap created with the ifindex mvlink chose (none when
	 * a macvtap is adopted) */
	struct mvl_lj_dev link;
	int link_lower;                   /* macvtap, ipvtap: the lower's ifindex */
	/* a macvtap's lower device: brought up, its MAC set through passthru */
	struct mvl_lj_dev lower;
	uint8_t lower_mac[6];             /* its MAC before */
	bool lower_set_mac;
	uint8_t lower_new_mac[6];         /* ... and the one set */
	bool lower_was_down;
	/* the device node of an adopted macvtap, chowned */
	bool has_node;
	char node[PATH_MAX];
	unsigned node_major, node_minor;
	long long node_uid, node_gid;
	unsigned node_mode;
	/* not in the file: its name once written ("" before) */
	char file[64];
};
#define MVL_LJ_FILE_MAX 64
/* "tap", "bridge", "macvtap", "ipvtap" or NULL. */
const char *mvl_lj_op_name(enum mvl_lj_op op);
/* Pure: JSON text (malloc'd) of @j; -EINVAL for an inconsistent one. */
int mvl_link_journal_encode(const struct mvl_link_journal *j, char **ret_text);
/* Pure: parse and validate; -EBADMSG with the reason in @why. */
int mvl_link_journal_decode(const char *text, size_t len, struct mvl_link_journal *ret, char *why,
			    size_t whylen);
/* The locks an operation holds while its journal exists, which recovery
 * takes before acting on it. */
int mvl_link_journal_locks(const struct mvl_link_journal *j, struct mvl_lockset *set);
/* Write @j (stamping owner and netns; naming a new file on the first
 * write); atomic; one mvl_step(). */
int mvl_link_journal_write(struct mvl_ctx *ctx, struct mvl_link_journal *j);
/* Remove j->file; one mvl_step().  Nothing written: 0, no step. */
int mvl_link_journal_remove(struct mvl_ctx *ctx, struct mvl_link_journal *j);
/* Read links/@file: -ENOENT none, -EBADMSG corrupt (with a message). */
int mvl_link_journal_read(struct mvl_ctx *ctx, const char *file, struct mvl_link_journal *ret);
/* Call @cb with the file name of every link journal; stops at a non-zero
 * return, which is returned. */
int mvl_link_journal_foreach(struct mvl_ctx *ctx,
			     int (*cb)(struct mvl_ctx *ctx, const char *file, void *data),
			     void *data);

/* ---- index.c: which links each VM has -------------------------------- */

struct mvl_index_entry {
	int ifindex;
	char name[IFNAMSIZ]; /* "" when the entry holds no valid name */
};
/* Record that link @ifindex, named @name, is @vm_id's: written before the
 * link is created, under the name's lock (an entry for a link gone since
 * is replaced).  One mvl_step(); -errno with a message. */
int mvl_index_add(struct mvl_ctx *ctx, const char *vm_id, int ifindex, const char *name);
/* The same without the step: an existing link indexed (a rebuild). */
int mvl_index_note(struct mvl_ctx *ctx, const char *vm_id, int ifindex, const char *name);
/* Forget link @ifindex of @vm_id (and the VM's directory when it was the
 * last); nothing when there was no entry. */
void mvl_index_remove(struct mvl_ctx *ctx, const char *vm_id, int ifindex);
/* mvl_index_remove() for a deleted link, by its tag (none for a bridge). */
void mvl_index_forget(struct mvl_ctx *ctx, const struct mvl_link_info *li);
/* The entries of @vm_id into *@ret (free()); their count (0: none, and
 * *@ret NULL), or -errno with a message. */
int mvl_index_read(struct mvl_ctx *ctx, const char *vm_id, struct mvl_index_entry **ret);
/* Call @cb with each VM id that has entries in this namespace's index;
 * stops at a non-zero return, which is returned (or -errno with a
 * message). */
int mvl_index_foreach_vm(struct mvl_ctx *ctx,
			 int (*cb)(struct mvl_ctx *ctx, const char *vm_id, void *data), void *data);
/* Whether the index of this network namespace names every tagged link of
 * every VM (else deletion walks the links, and rebuilds it). */
bool mvl_index_complete(struct mvl_ctx *ctx);
/* Mark it so; 0 or -errno. */
int mvl_index_set_complete(struct mvl_ctx *ctx);

#endif
