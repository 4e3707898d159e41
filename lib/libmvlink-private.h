/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internal declarations shared by the library's files.  Nothing here is
 * exported from libmvlink.so; the tests link the same objects through the
 * libmvlink-internal.la convenience library.
 */
#ifndef LIBMVLINK_PRIVATE_H
#define LIBMVLINK_PRIVATE_H

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "mvlink.h"

#define MVL_EXPORT __attribute__((visibility("default")))

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline void mvl_freep(void *p)
{
	free(*(void **)p);
}
static inline void mvl_closep(int *fd)
{
	if (*fd >= 0) {
		int e = errno;
		close(*fd);
		errno = e;
	}
}
#define _cleanup_free_ _cleanup_(mvl_freep)
#define _cleanup_close_ _cleanup_(mvl_closep)

static inline void *mvl_take_ptr(void *pp)
{
	void **p = pp, *v = *p;
	*p = NULL;
	return v;
}
#define TAKE_PTR(p) mvl_take_ptr(&(p))
static inline int mvl_take_fd(int *fd)
{
	int v = *fd;
	*fd = -1;
	return v;
}
#define TAKE_FD(fd) mvl_take_fd(&(fd))

/* The tag mvlink writes into IFLA_IFALIAS of every object it creates. */
#define MVL_TAG_PREFIX "mvlink:"

/* ---- ctx.c / log.c ---------------------------------------------------- */
struct mvl_nl;
struct mvl_nl_test_ops;

/*
 * Test seams.  The library has no global mutable state (tests/symbols.sh
 * checks that libmvlink.so defines no writable data of its own): what the
 * tests change lives in the context, all zero ("off") in a new one
 * (mvl_ctx_new() callocs it), and the library reads it only from the
 * context it is given.  Tests set the fields directly or through
 * mvl_sysfs_set_write_hook() and mvl_nl_set_test_ops().
 */
struct mvl_test_seams {
	/* sysfs writes go to this model of the kernel instead (sysfs.c) */
	int (*sysfs_write)(const char *path, const char *value, void *data);
	void *sysfs_write_data;
	/* VF requests and the default-route check go to these (netlink.c) */
	const struct mvl_nl_test_ops *nl_ops;
	void *nl_ops_data;
	/* how long locks are waited for before -EBUSY (lock.c);
	 * 0: MVL_LOCK_TIMEOUT_MS */
	unsigned lock_timeout_ms;
	/* the link group a bulk deletion moves links into (list.c);
	 * 0: a fresh random one each time */
	uint32_t delete_group;
	/* the ifindex mvl_link_pick_ifindex() returns next, then one more
	 * each time (recover.c); 0: random */
	int next_ifindex;
};

struct mvl_ctx {
	int refcount;
	pid_t pid;
	mvl_log_fn log_fn;
	void *log_data;
	int log_priority;
	char *state_dir;
	char *sysfs_root;
	char *dev_root;
	char errmsg[1024];
	bool undo_failed;
	/* inside mvl_undo_begin()/end(): the message kept meanwhile */
	unsigned undo_depth;
	char undo_kept[1024];
	struct mvl_nl *nl; /* lazily opened rtnetlink socket (netlink.c) */
	void (*nl_free)(struct mvl_nl *nl); /* set with it: mvl_ctx_unref() frees it */
	/* the store's knowledge (statedir.c, owner.c), the first two reset
	 * when the state directory changes: which of its subdirectories this
	 * context has made or seen (a vanished one is made again on ENOENT),
	 * whether it is on a file system where fsync() does nothing (tmpfs,
	 * ramfs: 0 unknown, 1 yes, 2 no), and this process's stamp for
	 * journals (see mvl_owner_stamp_ctx(); the pid is ctx->pid, checked
	 * at every entry) */
	unsigned state_dirs;
	int state_volatile;
	bool owner_known;
	unsigned long long owner_start;
	char owner_boot_id[40];
	/* fault injection (tests): see fault.c */
	unsigned long fault_step;   /* the step that fails (0 = none) */
	unsigned long fault_count;  /* steps taken so far */
	int fault_errno;
	bool fault_kill;            /* SIGKILL at the step instead */
	bool fault_trace;           /* log every step */
	struct mvl_test_seams test; /* see above */
};

void mvl_log(struct mvl_ctx *ctx, int priority, const char *file, int line, const char *fn,
	     const char *format, ...) _printf_(6, 7);

#define mvl_log_cond(ctx, prio, ...)                                                      \
	do {                                                                              \
		if ((ctx)->log_priority >= (prio))                                       \
			mvl_log(ctx, prio, __FILE__, __LINE__, __func__, __VA_ARGS__); \
	} while (0)
#define dbg(ctx, ...) mvl_log_cond(ctx, LOG_DEBUG, __VA_ARGS__)
#define info(ctx, ...) mvl_log_cond(ctx, LOG_INFO, __VA_ARGS__)
#define warn(ctx, ...) mvl_log_cond(ctx, LOG_WARNING, __VA_ARGS__)

/*
 * mvl_fail - record the message of a failure in ctx (retrievable through
 * mvl_ctx_get_error()), log it at debug level and return @err (negative).
 */
int mvl_fail(struct mvl_ctx *ctx, int err, const char *format, ...) _printf_(3, 4);

/* The first failure of a run that carries on past failures: its errno and
 * the context's message at the time (log.c). */
struct mvl_first_err {
	int err;
	char msg[1024];
};
/* Keep @r and the context's message when @r < 0 and none is kept yet. */
void mvl_first_err_note(struct mvl_ctx *ctx, struct mvl_first_err *fe, int r);
/* The kept failure with its message back in the context; 0 when none. */
int mvl_first_err_get(struct mvl_ctx *ctx, const struct mvl_first_err *fe);
/* Start of every public entry point that takes a context: resets the error
 * state and refuses a context inherited through fork() (-ECHILD). */
int mvl_ctx_enter(struct mvl_ctx *ctx);
/* Record that an undo step failed (logged as a warning). */
void mvl_undo_failed(struct mvl_ctx *ctx, const char *format, ...) _printf_(2, 3);
/*
 * An undo path: the first failure of a call is its error, and undoing it
 * must not replace it.  Between mvl_undo_begin() and the matching
 * mvl_undo_end() (they nest) failures set the message as usual, for the
 * undo's own warning; mvl_undo_end() of the outermost puts back the
 * message of the failure being undone.
 */
void mvl_undo_begin(struct mvl_ctx *ctx);
void mvl_undo_end(struct mvl_ctx *ctx);

/* ---- fault.c: fault injection for tests ------------------------------ */
/*
 * mvl_step - called before every kernel-changing step (netlink request,
 * ioctl, sysfs write, open, journal write).  Normally returns 0.  With
 * fault injection armed (ctx->fault_step = k, set by tests or, in builds
 * with --enable-fault-injection, MVLINK_FAULT_STEP=k), the k-th step
 * returns -ctx->fault_errno (default EIO) or, with ctx->fault_kill, kills
 * the process with SIGKILL.  @what names the step for the log.
 */
int mvl_step(struct mvl_ctx *ctx, const char *what);
void mvl_fault_init(struct mvl_ctx *ctx);

/* opendir() @dir into *@ret: 1, or 0 when it does not exist (*@ret NULL),
 * or -errno with a message (ctx.c). */
int mvl_opendir(struct mvl_ctx *ctx, const char *dir, DIR **ret);

/* ---- util.c ----------------------------------------------------------- */
/* Like strerror but thread-safe, for messages. */
const char *mvl_strerror(int err, char *buf, size_t len);
#define MVL_STRERROR(err) mvl_strerror(err, (char[128]){0}, 128)
/* Read a whole small file into a NUL-terminated buffer (trailing newline
 * stripped).  Returns length or negative errno. */
int mvl_read_file(const char *path, char *buf, size_t len);
/* Write @value to @path (open O_WRONLY|O_CLOEXEC, one write).  Returns 0 or
 * negative errno.  Does not call mvl_step(); see mvl_sysfs_write(). */
int mvl_write_file(const char *path, const char *value);
/* Parse an unsigned decimal (whole string). */
int mvl_parse_uint(const char *s, unsigned long max, unsigned long *ret);
/* Random bytes from getrandom(). */
int mvl_random_bytes(void *buf, size_t len);
/* ---- sysfs.c ---------------------------------------------------------- */
/* Path below the context's sysfs root: mvl_sysfs_path(ctx, buf, "class/net/%s/mtu", n) */
int mvl_sysfs_path(struct mvl_ctx *ctx, char *buf, size_t len, const char *fmt, ...)
	_printf_(4, 5);
int mvl_sysfs_read(struct mvl_ctx *ctx, char *buf, size_t len, const char *fmt, ...)
	_printf_(4, 5);
/* A kernel-changing sysfs write: goes through mvl_step() and the write hook. */
int mvl_sysfs_write(struct mvl_ctx *ctx, const char *value, const char *fmt, ...)
	_printf_(3, 4);
/* A number (decimal or 0x hex) from a sysfs file: -EBADMSG when it is none. */
int mvl_sysfs_read_ulong(struct mvl_ctx *ctx, unsigned long *ret, const char *fmt, ...)
	_printf_(3, 4);
/* Whether sysfs (which must be mounted: class/net) has no class/@cls. */
bool mvl_sysfs_class_absent(struct mvl_ctx *ctx, const char *cls);
/* The last component of symlink @fmt... into @buf: -ENOENT when absent (pci.c). */
int mvl_sysfs_link_base(struct mvl_ctx *ctx, char *buf, size_t len, const char *fmt, ...)
	_printf_(4, 5);
/* Tests replace the sysfs writes of @ctx by a model of the kernel's
 * reaction (NULL: real writes again). */
typedef int (*mvl_sysfs_write_hook)(const char *path, const char *value, void *data);
void mvl_sysfs_set_write_hook(struct mvl_ctx *ctx, mvl_sysfs_write_hook hook, void *data);

/* ---- netlink.c: the only file that talks libnl ----------------------- */
#define MVL_MACVTAP_MAX_SOURCE 64 /* source-mode MACs mvlink sets and reads back */
struct mvl_link_info {
	int ifindex;
	char name[IFNAMSIZ];
	char kind[32];      /* IFLA_INFO_KIND: "bridge", "tun", "macvtap", "veth"... */
	char alias[256];    /* IFLA_IFALIAS */
	unsigned mtu;
	unsigned flags;     /* IFF_* */
	uint8_t mac[6];
	bool has_mac;
	int master;         /* ifindex of the master, 0 for none */
	int link;           /* IFLA_LINK (lower device), 0 for none */
	uint32_t group;
	int macvtap_mode;   /* MVL_MACVTAP_*, -1 when not a macvtap */
	/* macvtap/macvlan source mode: the allowed source MACs (kernel order);
	 * n_source is the kernel's count, of which the first
	 * MVL_MACVTAP_MAX_SOURCE are kept */
	unsigned macvtap_n_source;
	uint8_t macvtap_source[MVL_MACVTAP_MAX_SOURCE][6];
	int ipvlan_mode;    /* ipvlan, ipvtap: MVL_IPVLAN_*, else -1 */
	int ipvlan_flag;    /* ipvlan, ipvtap: MVL_IPVLAN_BRIDGE..., else -1 */
	char slave_kind[32]; /* IFLA_INFO_SLAVE_KIND: "bridge", "bond"... */
	/* kind "tun" (IFLA_TUN_*), valid when is_tun */
	bool is_tun;
	int tun_type;        /* IFF_TUN or IFF_TAP */
	long long tun_owner; /* -1: none */
	long long tun_group; /* -1: none */
	bool tun_pi, tun_vnet_hdr, tun_persist, tun_multi_queue;
	unsigned tun_num_queues;
};

/* Get one link by name (ifindex 0) or by ifindex.  -ENODEV when absent. */
int mvl_nl_link_get(struct mvl_ctx *ctx, const char *name, int ifindex,
		    struct mvl_link_info *ret);
/* Dump all links, calling @cb for each; a non-zero return of @cb stops the
 * dump and is returned.  Retries when the kernel marks a dump interrupted. */
int mvl_nl_link_dump(struct mvl_ctx *ctx,
		     int (*cb)(struct mvl_ctx *ctx, const struct mvl_link_info *li, void *data),
		     void *data);

/* A change of an existing link: only the fields that are set are sent. */
struct mvl_link_change {
	const uint8_t *mac;  /* NULL: unchanged */
	unsigned mtu;        /* 0: unchanged */
	const char *alias;   /* NULL: unchanged; "" clears */
	int master;          /* -1: unchanged; 0: no master; >0: ifindex */
	int up;              /* -1: unchanged; 0 down; 1 up */
};
#define MVL_LINK_CHANGE_INIT { .mac = NULL, .mtu = 0, .alias = NULL, .master = -1, .up = -1 }
int mvl_nl_link_change(struct mvl_ctx *ctx, int ifindex, const struct mvl_link_change *chg);

/* Creation of a new link with NLM_F_CREATE|NLM_F_EXCL. */
struct mvl_link_new {
	const char *name;
	const char *kind;     /* "bridge", "macvtap", "ipvtap" */
	int ifindex;          /* 0: the kernel's choice; taken: -EEXIST */
	int link;             /* lower device ifindex (macvtap) */
	const uint8_t *mac;
	unsigned mtu;
	const char *alias;
	int up;               /* 1: IFF_UP */
	int macvtap_mode;     /* MVL_MACVTAP_* */
	const uint8_t (*source_macs)[6];
	unsigned n_source_macs;
	int ipvlan_mode;      /* MVL_IPVLAN_* (ipvlan, ipvtap) */
	int ipvlan_flag;      /* MVL_IPVLAN_BRIDGE... */
};
int mvl_nl_link_new(struct mvl_ctx *ctx, const struct mvl_link_new *spec, int *ret_ifindex);
int mvl_nl_link_del(struct mvl_ctx *ctx, int ifindex);
/* Dump the links of one kind ("tun", "macvtap"; NULL: all), filtered by the
 * kernel (IFLA_LINKINFO), so that the cost does not grow with links of
 * other kinds.  Like mvl_nl_link_dump(), but when an interrupted dump is
 * retried, @restart (if not NULL) is called first: forget what @cb saw. */
int mvl_nl_link_dump_kind(struct mvl_ctx *ctx, const char *kind,
			  int (*cb)(struct mvl_ctx *ctx, const struct mvl_link_info *li, void *data),
			  void (*restart)(void *data), void *data);
/* RTM_SETLINK of IFLA_GROUP only. */
int mvl_nl_link_set_group(struct mvl_ctx *ctx, int ifindex, uint32_t group);
/* RTM_DELLINK of every link of link group @group (not 0) in one request:
 * the kernel unregisters them together and waits for one RCU grace period
 * instead of one per link.  -ENODEV when no link has the group. */
int mvl_nl_link_del_group(struct mvl_ctx *ctx, uint32_t group);

/* Number of IPv4/IPv6 addresses on @ifindex, and the first one as text. */
int mvl_nl_addr_count(struct mvl_ctx *ctx, int ifindex, char *first, size_t len);
/* Add @a to @ifindex as a /32 or /128 of scope host (IPv4), with
 * IFA_F_NOPREFIXROUTE (and IFA_F_NODAD for IPv6); one mvl_step().  The
 * kernel's errno. */
int mvl_nl_addr_add(struct mvl_ctx *ctx, int ifindex, const struct mvl_ip_addr *a);
/* The IPv4/IPv6 addresses of @ifindex but IPv6 link-local ones, the first
 * @max into @ret (prefixlen as the kernel has it): their number, or the
 * kernel's -errno. */
int mvl_nl_addr_list(struct mvl_ctx *ctx, int ifindex, struct mvl_ip_addr *ret, size_t max);
/* Whether @ifindex is the output device of a default route (1/0/-errno). */
int mvl_nl_has_default_route(struct mvl_ctx *ctx, int ifindex);

void mvl_nl_free(struct mvl_nl *nl);
/* The extended-ack text of the last failed request ("" when none). */
const char *mvl_nl_extack(struct mvl_ctx *ctx);
/*
 * mvl_fail_kernel - mvl_fail() for an error the kernel returned: appends
 * the human wording of @err (see mvl_link_errno_hint()) and strerror, and
 * always the kernel's extended-ack text when there is one ("(kernel: ...)").
 */
int mvl_fail_kernel(struct mvl_ctx *ctx, int err, const char *format, ...) _printf_(3, 4);
/* The same with the extended-ack text @extack saved before other requests
 * (which clear mvl_nl_extack()) were made. */
int mvl_fail_kernel_extack(struct mvl_ctx *ctx, int err, const char *extack, const char *format,
			   ...) _printf_(4, 5);

/* SR-IOV VF attributes, set and read through the PF (IFLA_VFINFO_LIST).
 * One bit per attribute: the unit of a request, a journal and a restore. */
enum {
	MVL_VF_A_MAC = 1u << 0,
	MVL_VF_A_VLAN = 1u << 1,       /* vlan, qos and protocol together */
	MVL_VF_A_SPOOFCHK = 1u << 2,
	MVL_VF_A_TRUST = 1u << 3,
	MVL_VF_A_LINK_STATE = 1u << 4,
	MVL_VF_A_RATE = 1u << 5,       /* min and max together */
	MVL_VF_A_QUERY_RSS = 1u << 6,  /* IFLA_VF_RSS_QUERY_EN */
	MVL_VF_A_ALL = (1u << 7) - 1,
};
struct mvl_vf_state {
	int vf;
	unsigned have;          /* MVL_VF_A_* the kernel reported */
	uint8_t mac[6];
	unsigned vlan, qos;
	uint16_t vlan_proto;    /* ETH_P_8021Q or ETH_P_8021AD, host order */
	int spoofchk, trust;    /* 0/1, or -1 when the driver does not say */
	int query_rss;          /* 0/1, or -1 when the driver does not say */
	int link_state;         /* IFLA_VF_LINK_STATE_AUTO/ENABLE/DISABLE */
	unsigned min_tx_rate, max_tx_rate; /* Mbps */
};
/* "mac", "vlan", "spoofchk", "trust", "link-state", "rate", "query-rss"
 * for one bit, "?" for none. */
const char *mvl_vf_attr_name(unsigned attr);
/* Pure: the RTM_SETLINK request that sets attribute @attr (one MVL_VF_A_*
 * bit) of VF @val->vf of PF @pf_ifindex to @val, copied into @buf.
 * Returns its length, -ENOBUFS when @len is too small, -EINVAL. */
int mvl_nl_vf_build(int pf_ifindex, unsigned attr, const struct mvl_vf_state *val, void *buf,
		    size_t len);
/* Pure: the VFs of an RTM_NEWLINK message (malloc'd array in @ret, count
 * in @ret_n; none is success).  -EBADMSG for a malformed message. */
int mvl_nl_vf_parse(const void *msg, size_t len, struct mvl_vf_state **ret, size_t *ret_n);
/* Every VF of PF @pf_ifindex (RTM_GETLINK with RTEXT_FILTER_VF). */
int mvl_nl_vf_get_all(struct mvl_ctx *ctx, int pf_ifindex, struct mvl_vf_state **ret,
		      size_t *ret_n);
/* VF @vf of PF @pf_ifindex; -ENODEV when the PF does not report it. */
int mvl_nl_vf_get(struct mvl_ctx *ctx, int pf_ifindex, int vf, struct mvl_vf_state *ret);
/* Set one attribute (mvl_step() first).  The kernel's errno. */
int mvl_nl_vf_set(struct mvl_ctx *ctx, int pf_ifindex, unsigned attr,
		  const struct mvl_vf_state *val);
/* mvl_nl_has_default_route(), through the test hooks below. */
int mvl_nl_dev_has_default_route(struct mvl_ctx *ctx, int ifindex);
/* Tests replace the VF requests and the route check of @ctx by a model of
 * a PF (NULL: real requests again). */
struct mvl_nl_test_ops {
	int (*vf_get_all)(void *data, int pf_ifindex, struct mvl_vf_state **ret, size_t *ret_n);
	int (*vf_set)(void *data, int pf_ifindex, unsigned attr, const struct mvl_vf_state *val);
	int (*has_default_route)(void *data, int ifindex);
};
void mvl_nl_set_test_ops(struct mvl_ctx *ctx, const struct mvl_nl_test_ops *ops, void *data);

/* ---- iface.c ---------------------------------------------------------- */
struct mvl_iface {
	int refcount;
	enum mvl_mode mode;
	char *name;
	char *vm_id;
	char *link;
	char *devnode;
	int ifindex;
	uint8_t mac[6];
	unsigned mtu;
	bool adopted;
	int iommu_group;
	unsigned n_fds;
	int *fds;
};
struct mvl_iface *mvl_iface_new(enum mvl_mode mode, const char *name, const char *vm_id);
int mvl_iface_set_str(char **field, const char *value);

/* ---- tag.c ------------------------------------------------------------ */
/* "mvlink:vm=<id>;mode=<mode>" into buf. */
int mvl_tag_format(char *buf, size_t len, const char *vm_id, enum mvl_mode mode);
/* Parse an alias; returns 1 when it is an mvlink tag (vm id copied, mode
 * set), 0 when it is not. */
int mvl_tag_parse(const char *alias, char *vm_id, size_t len, enum mvl_mode *mode);
/* An extra field ";@key=value" of an mvlink tag: returns 1 and the value in
 * @buf, 0 when absent, -ENAMETOOLONG when it does not fit. */
int mvl_tag_get_field(const char *alias, const char *key, char *buf, size_t len);

/* ---- bridge.c --------------------------------------------------------- */
/* What mvl_bridge_ensure_internal() did, so that it can be undone. */
struct mvl_bridge_state {
	struct mvl_link_info br;
	bool created;         /* the bridge was created */
	bool brought_up;      /* an existing bridge was down and was brought up */
	int uplink_ifindex;   /* the uplink that was enslaved, 0 for none */
	bool uplink_was_down; /* ... and was brought up with it */
};
struct mvl_link_journal;
/* Ensure a bridge (and its uplink), the caller holding the bridge's (and
 * uplink's) lock; returns 1 created, 0 existed, negative errno (then
 * everything is as it was, but for the journal).  When it changes anything
 * it first writes what into @j (the caller's journal, j->file set): the
 * caller removes the journal once its whole create is complete, or drops
 * it (after mvl_bridge_undo() when this succeeded). */
int mvl_bridge_ensure_internal(struct mvl_ctx *ctx, const struct mvl_bridge_opts *opts,
			       struct mvl_bridge_state *st, struct mvl_link_journal *j);
/* Number of ports of a bridge (the first one's name into @first). */
int mvl_bridge_port_count(struct mvl_ctx *ctx, int ifindex, char *first, size_t len);
/* Undo what mvl_bridge_ensure_internal() did, in reverse order. */
void mvl_bridge_undo(struct mvl_ctx *ctx, const struct mvl_bridge_state *st);

/* Human wording for cryptic kernel errnos (EXFULL from a bridge...), or NULL. */
const char *mvl_link_errno_hint(int err);

/* ---- opts ------------------------------------------------------------- */
/* libbpf-style option struct check: @sz at least up to @min_end and every
 * byte past what this library knows (@known) zero. */
bool mvl_opts_valid(const void *opts, size_t sz, size_t min_end, size_t known);
#define MVL_OPTS_VALID(opts, type, first_field)                                      \
	((opts) && mvl_opts_valid(opts, (opts)->sz,                                   \
				  offsetof(type, first_field) + sizeof((opts)->first_field), \
				  sizeof(type)))

/* ---- tundev.c: tun fds and the char devices of tap-like links --------- */
/* Open /dev/net/tun and attach to (or create, with @ifindex unless 0) tap
 * @name with @flags (IFF_*).  Returns the fd (O_CLOEXEC) or a negative
 * errno (-EBUSY: the name or the ifindex is taken). */
int mvl_tun_open(struct mvl_ctx *ctx, const char *name, int flags, int ifindex);
/* One ioctl on a tun fd, after mvl_step(ctx, @what); 0 or -errno. */
int mvl_tun_ioctl(struct mvl_ctx *ctx, int fd, unsigned long req, unsigned long arg,
		  const char *what);
/* Close the fds of @fds that are open (set to -1). */
void mvl_fds_close(int *fds, unsigned n);
/* The char device of a macvtap-like link (class @cls: "macvtap",
 * "ipvtap"). */
struct mvl_tapdev_node {
	const char *cls;
	char path[PATH_MAX]; /* <dev root>/tap<ifindex> */
	dev_t rdev;          /* what sysfs says the link's char device is */
	bool usable;         /* path is that char device */
	bool missing;        /* path does not exist */
	char why[128];       /* when not usable: why not */
};
/* Find the char device of link @name (@ifindex) through sysfs, which must
 * show this network namespace; 0 or -errno with a message. */
int mvl_tapdev_find(struct mvl_ctx *ctx, const char *cls, const char *name, int ifindex,
		    struct mvl_tapdev_node *n);
/* Open @node @count times into @fds, through a private node (made with
 * mknod in <state dir>/dev or <dev root>/.mvlink, unlinked at once) when
 * the node is missing or another device, then TUNSETIFF @tun_flags on each;
 * on failure none is open (-errno with a message). */
int mvl_tapdev_open_queues(struct mvl_ctx *ctx, const struct mvl_tapdev_node *node,
			   const char *name, int ifindex, unsigned count, int tun_flags, int *fds);
/* A node's owner and mode before mvl_tapdev_give() changed them. */
struct mvl_tapdev_owner {
	bool changed;
	char node[PATH_MAX];
	dev_t rdev;
	uid_t uid;
	gid_t gid;
	mode_t mode;
};
/* chown (and for a group chmod g+rw) @node, for VMMs that open it by path;
 * (uid_t)-1 / (gid_t)-1: unchanged.  What it was goes into @was. */
int mvl_tapdev_give(struct mvl_ctx *ctx, const struct mvl_tapdev_node *node, const char *name,
		    uid_t uid, gid_t gid, struct mvl_tapdev_owner *was);
/* Undo mvl_tapdev_give() (if the node is still that device); a failure is
 * an undo failure. */
void mvl_tapdev_give_back(struct mvl_ctx *ctx, const struct mvl_tapdev_owner *was);
/* Remove private nodes left by killed processes; the number. */
int mvl_private_nodes_clean(struct mvl_ctx *ctx, bool dry_run);

/* ---- list.c ----------------------------------------------------------- */
struct mvl_iface_list {
	size_t n, cap;
	struct mvl_iface **items;
};
int mvl_iface_list_add(struct mvl_iface_list *list, struct mvl_iface *iface);
/* A mvl_iface describing an existing link (tag decoded); @rel_name is the
 * name of its master or lower device, or NULL. */
int mvl_iface_from_link(struct mvl_ctx *ctx, const struct mvl_link_info *li, const char *rel_name,
			struct mvl_iface **ret);
/* Links collected by a listing, and what it collects. */
struct mvl_link_vec {
	struct mvl_link_info *v;
	size_t n, cap;
	const char *vm_id; /* NULL: every link (or every tagged one) */
	bool tagged_only;
	bool skip_shared;  /* not the links VMs share (bridges) */
	const char **ids;  /* instead of vm_id: any of these (sorted) VM ids */
	size_t n_ids;
	size_t mark;       /* where the current dump started */
	bool index_all;    /* index every tagged link seen (index.c) */
	int index_err;     /* the first error doing so */
};
int mvl_link_vec_push(struct mvl_link_vec *lv, const struct mvl_link_info *li);
/* Collect into @lv the tagged links @lv asks for, of every kind mvlink
 * creates (kind.c; with @shared false not those VMs share, which are not
 * deleted with a VM): one dump filtered by kind in the kernel each.  0 or
 * a kernel -errno (no message). */
int mvl_links_collect(struct mvl_ctx *ctx, bool shared, struct mvl_link_vec *lv);
/* ---- macvtap.c -------------------------------------------------------- */
/* Delete an mvlink macvtap, restoring what passthru mode changed on its
 * lower device.  Returns 1 deleted, 0 already gone, negative errno. */
int mvl_macvtap_delete_link(struct mvl_ctx *ctx, const struct mvl_link_info *li);

/* ---- pci.c: PCI devices (the only file that talks libpci) ------------ */
/* Identity through libpci; strings are "" when unknown. */
struct mvl_pci_info {
	unsigned vendor_id, device_id, class_id; /* class_id: 0x0200 = Ethernet */
	char vendor_name[128];
	char device_name[128];
	char driver[64];
	int iommu_group;  /* -1: none */
	int numa_node;    /* -1: none */
};
struct mvl_pci;
/* A libpci session on ctx->sysfs_root; its errors never end the process. */
int mvl_pci_open(struct mvl_ctx *ctx, struct mvl_pci **ret);
void mvl_pci_close(struct mvl_pci *pci);
/* Identify @addr (with names from the ID database when @names). */
int mvl_pci_identify(struct mvl_ctx *ctx, struct mvl_pci *pci, const char *addr, bool names,
		     struct mvl_pci_info *ret);

/* Exact, uncached facts from sysfs about device @addr (normalised). */
bool mvl_pci_exists(struct mvl_ctx *ctx, const char *addr);
/* The bound driver into @buf ("" when unbound).  0 or -errno. */
int mvl_pci_driver(struct mvl_ctx *ctx, const char *addr, char *buf, size_t len);
/* driver_override into @buf ("" for none). */
int mvl_pci_driver_override(struct mvl_ctx *ctx, const char *addr, char *buf, size_t len);
/* IOMMU group number, or -ENOENT when the device has none. */
int mvl_pci_iommu_group(struct mvl_ctx *ctx, const char *addr);
/* A numeric attribute ("sriov_numvfs", "class" in hex...). */
int mvl_pci_read_ulong(struct mvl_ctx *ctx, const char *addr, const char *attr,
		       unsigned long *ret);
/* The device a symlink of @addr points to ("virtfn3", "physfn"). */
int mvl_pci_link_addr(struct mvl_ctx *ctx, const char *addr, const char *link,
		      char ret[MVL_PCI_ADDR_LEN]);
/* Call @cb for each netdev of @addr (its net/ directory); stops at a
 * non-zero return, which is returned.  No net/ directory: 0. */
int mvl_pci_foreach_netdev(struct mvl_ctx *ctx, const char *addr,
			   int (*cb)(struct mvl_ctx *ctx, const char *ifname, void *data),
			   void *data);
/* Call @cb for each device of IOMMU group @group. */
int mvl_pci_foreach_group_dev(struct mvl_ctx *ctx, int group,
			      int (*cb)(struct mvl_ctx *ctx, const char *addr, void *data),
			      void *data);
/* Whether a driver is registered (bus/pci/drivers/<name>). */
bool mvl_pci_driver_exists(struct mvl_ctx *ctx, const char *driver);
/* The PCI device of netdev @ifname: -ENODEV no such netdev, -ENOTTY not PCI. */
int mvl_netdev_pci_addr(struct mvl_ctx *ctx, const char *ifname, char ret[MVL_PCI_ADDR_LEN]);
/* ifindex and IFF_* flags of netdev @ifname from sysfs. */
int mvl_netdev_info(struct mvl_ctx *ctx, const char *ifname, int *ret_ifindex,
		    unsigned *ret_flags);
/* A kernel driver name as sysfs shows it: 1-63 of [A-Za-z0-9_.-], not . or .. */
bool mvl_driver_name_valid(const char *name);

/* The name of a device given to a VM: a normalised PCI address, or
 * "<pf>:vf<N>" for a VF that has no PCI function (mvl_vf_name_parse()). */
#define MVL_DEV_NAME_LEN MVL_VF_NAME_LEN
bool mvl_dev_name_valid(const char *name);
/* The lock kind of device @name: MVL_LOCK_PCI or MVL_LOCK_VF. */
enum mvl_lock_kind mvl_dev_lock_kind(const char *name);

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
/* Drop the entries of this namespace's index whose links are gone
 * (delete.c); 0, or the first -errno with a message. */
int mvl_index_prune(struct mvl_ctx *ctx);

/* ---- statedir.c: the files of the state directory --------------------- */
/* mkdir -p @path: 0755 above, @mode for @path itself; what exists is left
 * as it is.  With @step, mvl_step(@ctx, @step) before each directory made
 * (a missing one seen with access()).  0 or -errno. */
int mvl_mkdir_p_mode(struct mvl_ctx *ctx, const char *path, mode_t mode, const char *step);
/* mkdir -p @path (0755); 0 or -errno. */
int mvl_mkdir_p(const char *path);
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
/* ---- journal.c: intent journals and their JSON codec ------------------ */
/*
 * The codec: a journal is a table of field descriptors, walked in order by
 * both encoding and decoding.  A table ends with a row whose key is NULL.
 */
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

/* ---- kind.c: one row per link kind ----------------------------------- */
/*
 * A link kind mvlink creates.  Each kind's file defines its row (tap.c:
 * mvl_tap_kind...); kind.c holds the table and the lookups, and generic
 * code (list, delete, recover, gc) dispatches through the row.
 */
struct mvl_link_kind {
	const char *kind;        /* IFLA_INFO_KIND: "tun", "macvtap", "bridge" */
	enum mvl_mode mode;      /* the mode of its tag */
	enum mvl_lj_op jop;      /* the op of its create's journal */
	/* its kernel module's device class ("ipvtap"), when the kind may be
	 * missing: without <sysfs>/class/<it> there are no such links (and a
	 * kernel that lacks the kind would list every link as one) */
	const char *sysfs_class;
	enum mvl_lock_kind lock; /* the lock its create holds on the name */
	bool shared;             /* shared by VMs (a bridge): not deleted with a VM,
				  * not indexed */
	bool on_lower;           /* sits on a lower device its journal names */
	/* Add the locks a deletion of @li needs besides its name's (NULL:
	 * none); 0 or -errno. */
	int (*delete_locks)(struct mvl_ctx *ctx, const struct mvl_link_info *li,
			    struct mvl_lockset *set);
	/* Refuse to delete @li, its locks held (NULL: never); 0 or -errno
	 * with a message. */
	int (*delete_check)(struct mvl_ctx *ctx, const struct mvl_link_info *li);
	/* Delete @li, its locks held (NULL: RTM_DELLINK): 1 deleted, 0 gone,
	 * -errno with a message. */
	int (*delete_link)(struct mvl_ctx *ctx, const struct mvl_link_info *li);
	/* Whether @li may be deleted in one request with others of a link
	 * group (NULL: no). */
	bool (*group_deletable)(const struct mvl_link_info *li);
	/* What a listing shows of @li beyond the common fields (NULL:
	 * nothing); 0 or -ENOMEM. */
	int (*describe)(struct mvl_ctx *ctx, const struct mvl_link_info *li,
			struct mvl_iface *iface);
};
extern const struct mvl_link_kind mvl_tap_kind, mvl_macvtap_kind, mvl_ipvtap_kind, mvl_bridge_kind;
/* The @i-th row of the table, NULL past its end. */
const struct mvl_link_kind *mvl_link_kind_at(size_t i);
/* The row of IFLA_INFO_KIND @kind, of tag mode @mode, of journal op @op;
 * NULL when mvlink creates no such link. */
const struct mvl_link_kind *mvl_link_kind_by_name(const char *kind);
const struct mvl_link_kind *mvl_link_kind_by_mode(enum mvl_mode mode);
const struct mvl_link_kind *mvl_link_kind_by_jop(enum mvl_lj_op op);
/* Whether links tagged with @mode are shared by VMs (bridges). */
bool mvl_link_mode_shared(enum mvl_mode mode);
/* The lock a create of @li's kind holds while it makes it: a bridge's, or
 * the interface name's. */
enum mvl_lock_kind mvl_link_lock_kind(const struct mvl_link_info *li);

/* ---- ifindex.c: the ifindex of a link mvlink creates ----------------- */
/* Chosen at random in [MVL_IFINDEX_MIN, MVL_IFINDEX_MAX), far above what
 * the kernel hands out, so that a journal names the link before it
 * exists.  Tests choose it through ctx->test.next_ifindex. */
#define MVL_IFINDEX_MIN (1 << 20)
#define MVL_IFINDEX_MAX (1 << 30)
int mvl_link_pick_ifindex(struct mvl_ctx *ctx);
/* The ifindex chosen for @j's link was taken meanwhile: choose another,
 * written to the journal (when it was written) and indexed (j->vm_id,
 * j->link.name) before the link is created with it. */
int mvl_link_repick_ifindex(struct mvl_ctx *ctx, struct mvl_link_journal *j);

/* ---- tap.c: the steps of a tap create (create.c orders them) --------- */
struct mvl_tap_op {
	const struct mvl_tap_opts *o;
	bool is_template;
	struct mvl_link_journal *j; /* j->link: the name and ifindex of a new tap */
	const char *name;
	int tun_flags;
	int master;            /* bridge ifindex or 0 */
	unsigned mtu;          /* 0: leave the kernel's */
	uint8_t host_mac[6];
	bool fixed_mac;        /* derived from the guest MAC: must match on adopt */
	unsigned queues;
	char tag[128];
	int *fds;              /* the queues (w->queues of them) */
	struct mvl_bridge_state bst; /* what the bridge step did */
	int ifindex;           /* the tap's */
	bool adopted;          /* an existing tap, and its MAC and MTU */
	uint8_t adopted_mac[6];
	unsigned adopted_mtu;
};
/* Check w->o; the flags, host MAC, tag and fd array of the tap. */
int mvl_tap_prepare(struct mvl_ctx *ctx, struct mvl_tap_op *w);
/* Ensure o->bridge (and uplink), journaled into w->j first; undone by
 * mvl_tap_unbridge(). */
int mvl_tap_bridge(struct mvl_ctx *ctx, struct mvl_tap_op *w);
void mvl_tap_unbridge(struct mvl_ctx *ctx, void *w);
/* Create the tap (indexed first, with the ifindex w->j names), or adopt an
 * existing one of the same VM and configuration; its queues opened.  On
 * failure nothing is left.  Undone by mvl_tap_unmake(). */
int mvl_tap_make(struct mvl_ctx *ctx, struct mvl_tap_op *w);
void mvl_tap_unmake(struct mvl_ctx *ctx, void *w);
/* The interface to return, without its fds yet. */
int mvl_tap_result(struct mvl_ctx *ctx, struct mvl_tap_op *w, struct mvl_iface **ret);
/* Hand the queues to @iface (the create is complete). */
void mvl_tap_done(struct mvl_ctx *ctx, struct mvl_tap_op *w, struct mvl_iface *iface);

/* ---- vtap.c: the create steps of a tap on a lower device ------------- */
/*
 * macvtap and ipvtap: a link on a lower device with a char device whose
 * fds are its queues.  vtap.c holds the steps they share (create.c puts
 * them in order on a transaction); each kind's file adds its own through
 * a struct mvl_vtap_kind beside its row.
 */
/* The flags the kinds' options share: MVL_MACVTAP_* are MVL_IPVTAP_* (vtap.c
 * checks). */
enum {
	MVL_VTAP_NO_VNET_HDR = MVL_MACVTAP_NO_VNET_HDR,
	MVL_VTAP_LINK_UP = MVL_MACVTAP_LINK_UP,
	MVL_VTAP_OWNER = MVL_MACVTAP_OWNER,
	MVL_VTAP_GROUP = MVL_MACVTAP_GROUP,
	MVL_VTAP_NO_FDS = MVL_MACVTAP_NO_FDS,
	MVL_VTAP_ALL = MVL_VTAP_NO_VNET_HDR | MVL_VTAP_LINK_UP | MVL_VTAP_OWNER | MVL_VTAP_GROUP |
		       MVL_VTAP_NO_FDS,
};
struct mvl_vtap_op;
struct mvl_vtap_kind {
	const struct mvl_link_kind *row; /* kind, tag mode, journal op */
	/* Check the kind's options (between the name and the MTU): 0 or
	 * -EINVAL with a message; may set op->lock_lower. */
	int (*check_opts)(struct mvl_ctx *ctx, struct mvl_vtap_op *op);
	/* The lower found and checked: the MAC (op->mac, op->fixed_mac) and
	 * the tag (op->tag); whether to be optimistic. */
	int (*look)(struct mvl_ctx *ctx, struct mvl_vtap_op *op);
	/* An mvlink link of the kind of VM op->vm_id on the same lower: 0
	 * when it is as asked, else -EEXIST naming the difference (@vm: the
	 * VM, for the message). */
	int (*mismatch)(struct mvl_ctx *ctx, const struct mvl_vtap_op *op,
			const struct mvl_link_info *li, const char *vm);
	/* The lower's other children (NULL: none to check); 0 or -errno. */
	int (*check)(struct mvl_ctx *ctx, struct mvl_vtap_op *op);
	/* Its part of the journal, before it is written (NULL: none). */
	void (*plan)(struct mvl_vtap_op *op, struct mvl_link_journal *j);
	/* Its fields of the RTM_NEWLINK of a new link. */
	void (*spec)(const struct mvl_vtap_op *op, struct mvl_link_new *spec);
	/* RTM_NEWLINK failed with @r: the message (@extack: the kernel's). */
	int (*explain)(struct mvl_ctx *ctx, struct mvl_vtap_op *op, int r, const char *extack);
	/* Steps after the new link exists (NULL: none); undone by deleting
	 * it (and op->lower_mac_set, when it sets that). */
	int (*made)(struct mvl_ctx *ctx, struct mvl_vtap_op *op);
	/* "mode bridge": the configuration, for the log. */
	void (*mode_text)(const struct mvl_vtap_op *op, char *buf, size_t len);
};
struct mvl_vtap_op {
	const struct mvl_vtap_kind *vk;
	const void *o;              /* the kind's options */
	/* the options every kind has, from o */
	const char *vm_id, *want_name, *link;
	unsigned mtu, queues_asked, flags; /* flags: MVL_VTAP_* */
	uid_t owner;
	gid_t group;
	/* what is wanted */
	struct mvl_link_info lower; /* as found before any change */
	uint8_t mac[6];             /* the link's MAC */
	bool fixed_mac;             /* given by the caller: must match on adopt */
	unsigned queues;            /* fds to open (0 with MVL_VTAP_NO_FDS) */
	int tun_flags;              /* TUNSETIFF flags of every fd */
	char tag[256];
	/* what was done, for the undo */
	bool lower_brought_up;
	int created;                /* ifindex of the link created, 0 for none */
	bool lower_mac_set;         /* the lower's MAC was changed (passthru) */
	struct mvl_tapdev_owner owner_was; /* the node's owner and mode before */
	int *fds;
	unsigned n_fds;
	/* the course of the create */
	bool is_template;
	bool lock_lower;            /* the lower may be changed: lock it */
	bool ask_result;            /* the MAC and MTU made: ask the kernel */
	bool optimistic;            /* create at once, look only at a taken name */
	const char *name;
	struct mvl_link_journal *j;
	bool adopted;               /* an existing link of the VM */
	int ifindex;
	bool have_node;
	struct mvl_tapdev_node node;
};
/* Check the common options and the kind's; the queues, flags, fd array. */
int mvl_vtap_prepare(struct mvl_ctx *ctx, struct mvl_vtap_op *op);
/* The lower device (checked), then the kind's look. */
int mvl_vtap_look(struct mvl_ctx *ctx, struct mvl_vtap_op *op);
/* Not optimistic: an existing link named op->name, adopted if it is ours
 * as asked (else -EEXIST with why). */
int mvl_vtap_find(struct mvl_ctx *ctx, struct mvl_vtap_op *op);
/* The kind's check of the lower's children, and the lower's being down. */
int mvl_vtap_check(struct mvl_ctx *ctx, struct mvl_vtap_op *op);
/* The journal (j->link named by the caller for a new link) completed and
 * written; an adopted link indexed and its node looked at. */
int mvl_vtap_plan(struct mvl_ctx *ctx, struct mvl_vtap_op *op);
/* The lower brought up, the link created (indexed first) and the kind's
 * steps after it; 1 when an optimistic create found the name taken,
 * having changed nothing. */
int mvl_vtap_make(struct mvl_ctx *ctx, struct mvl_vtap_op *op);
/* The queues opened, the node handed over. */
int mvl_vtap_open(struct mvl_ctx *ctx, struct mvl_vtap_op *op);
/* The interface to return, without its fds yet. */
int mvl_vtap_result(struct mvl_ctx *ctx, struct mvl_vtap_op *op, struct mvl_iface **ret);
/* Hand the queues to @iface (the create is complete). */
void mvl_vtap_done(struct mvl_ctx *ctx, struct mvl_vtap_op *op, struct mvl_iface *iface);
/* Undo what the steps did (an mvl_txn undo). */
void mvl_vtap_undo(struct mvl_ctx *ctx, void *op);
/* Put back the MAC (@mac unless NULL) and down state (@bring_down) of
 * lower @ifindex; 0 or -errno with the message set. */
int mvl_vtap_restore_lower(struct mvl_ctx *ctx, int ifindex, const uint8_t *mac, bool bring_down);
/* The rows' describe: the devnode <dev root>/tap<ifindex>. */
int mvl_vtap_describe(struct mvl_ctx *ctx, const struct mvl_link_info *li,
		      struct mvl_iface *iface);
/* An op of kind @vk from options @o (struct mvl_macvtap_opts, struct
 * mvl_ipvtap_opts: the fields they share have the same names). */
#define MVL_VTAP_OP(vkind, opts)                                                        \
	((struct mvl_vtap_op){ .vk = (vkind), .o = (opts), .vm_id = (opts)->vm_id,    \
			       .want_name = (opts)->name, .link = (opts)->link,       \
			       .mtu = (opts)->mtu, .queues_asked = (opts)->queues,    \
			       .flags = (opts)->flags, .owner = (opts)->owner,        \
			       .group = (opts)->group })
/* The kinds' hooks (macvtap.c, ipvtap.c). */
extern const struct mvl_vtap_kind mvl_macvtap_vtap, mvl_ipvtap_vtap;

/* ---- txn.c: a create as a transaction ---------------------------------- */
/*
 * The frame of every create: the locks taken (and what crashed creates left
 * on them undone), the name picked, the journal named; steps done, each
 * with its undo pushed; then commit (the journal removed, the last step) or
 * abort (the undos in reverse, inside mvl_undo_begin()/end(), the journal
 * dropped); the locks dropped either way.
 */
#define MVL_TXN_UNDO_MAX 4
struct mvl_txn {
	struct mvl_lockset locks;
	int name_lock;         /* a template's name, picked */
	char name[IFNAMSIZ];
	struct mvl_link_journal j;
	unsigned n_undo;
	struct mvl_txn_undo {
		void (*fn)(struct mvl_ctx *ctx, void *data);
		void *data;
	} undo[MVL_TXN_UNDO_MAX];
};
void mvl_txn_init(struct mvl_txn *t, enum mvl_lj_op op, const char *vm_id);
/* A lock the create holds (taken by mvl_txn_begin(), in lock order). */
void mvl_txn_lock(struct mvl_txn *t, enum mvl_lock_kind kind, const char *name);
/* Take the locks, undoing what crashed creates left on them; on failure
 * none is held. */
int mvl_txn_begin(struct mvl_ctx *ctx, struct mvl_txn *t);
/* The interface name: @name, or a template's lowest free number with its
 * lock taken; the journal's name too. */
int mvl_txn_name(struct mvl_ctx *ctx, struct mvl_txn *t, const char *name, bool is_template);
/* The journal names a new link of IFLA kind @kind, called t->name, with
 * an ifindex chosen now. */
void mvl_txn_new_link(struct mvl_ctx *ctx, struct mvl_txn *t, const char *kind);
/* Push the undo of a step done. */
void mvl_txn_on_undo(struct mvl_txn *t, void (*fn)(struct mvl_ctx *ctx, void *data), void *data);
/* The journal removed (0, or -errno: then abort). */
int mvl_txn_commit(struct mvl_ctx *ctx, struct mvl_txn *t);
/* Undo the steps done, in reverse, and drop the journal; unlock. */
void mvl_txn_abort(struct mvl_ctx *ctx, struct mvl_txn *t);
/* Unlock (after a commit). */
void mvl_txn_end(struct mvl_txn *t);
/* Start the journal over (the one written removed, one mvl_step()): a
 * create that found its name taken, having changed nothing else. */
int mvl_txn_restart(struct mvl_ctx *ctx, struct mvl_txn *t);
/* The lowest number of template @tmpl whose name is free and whose NAME
 * lock no other process holds, with that lock taken (without waiting, so
 * in any order) in @ret_lock.  -ENOSPC when none is free. */
int mvl_name_pick(struct mvl_ctx *ctx, const char *tmpl, char name[IFNAMSIZ], int *ret_lock);
/* Remove @j on an undo path: a failure is recorded as an undo failure,
 * keeping the message of the error being undone. */
void mvl_link_journal_drop(struct mvl_ctx *ctx, struct mvl_link_journal *j);

/* ---- recover.c: undoing what crashed creates left -------------------- */
/* Take @set, then undo every journal of a dead process (of this network
 * namespace) that names one of its locks, first growing @set by the
 * journal's other locks and taking them all again, in order, when needed.
 * Every create calls it before it looks at the host.  On failure nothing
 * is held. */
int mvl_locks_take_recover(struct mvl_ctx *ctx, struct mvl_lockset *set);
/* flags of mvl_links_recover() */
enum {
	MVL_LR_DRY_RUN = 1u << 0,       /* count only */
	MVL_LR_REPORT_CORRUPT = 1u << 1, /* a corrupt journal is an error */
};
/* Undo the journals of this network namespace whose locks are free and
 * whose VM @want accepts (NULL: all); carries on past a failure.  The
 * number undone, or the first error. */
int mvl_links_recover(struct mvl_ctx *ctx, bool (*want)(const char *vm_id, void *data), void *data,
		      unsigned flags);
/* Devices stacked on @li (a VLAN, a macvlan... but not its master), which
 * the kernel would delete with it: their number, the first one's name in
 * @buf; or -errno (list.c). */
int mvl_link_stacked(struct mvl_ctx *ctx, const struct mvl_link_info *li, char *buf, size_t len);

/* ---- delete.c --------------------------------------------------------- */
/* Delete the tagged link @li (found by a listing) under its locks, if it is
 * still there with that tag; a bridge only without ports (-EBUSY).  1
 * deleted, 0 gone, -errno with a message. */
int mvl_link_delete_locked(struct mvl_ctx *ctx, const struct mvl_link_info *li);

/* ---- vfio.c: binding to vfio-pci and restoring from a journal -------- */
/* Checks before binding @addr: vfio-pci present (modprobe), an IOMMU group
 * whose other devices are on no host driver, not the default-route device
 * (unless @force).  Returns the IOMMU group or -errno. */
int mvl_vfio_check(struct mvl_ctx *ctx, const char *addr, bool force);
/* Bind j->addr to vfio-pci (driver_override, unbind, drivers_probe,
 * verify) and chown its /dev/vfio node when @owner/@group >= 0 (the
 * original owner journaled first).  Undone by mvl_vfio_restore(). */
int mvl_vfio_bind(struct mvl_ctx *ctx, struct mvl_journal *j, long long owner, long long group);
/* Bring the device back to what @j recorded, in reverse order: devnode
 * ownership, driver (vfio-pci unbound, original driver probed),
 * driver_override, VF attributes.  Only what differs is touched.  0 or
 * -errno (with a message). */
int mvl_vfio_restore(struct mvl_ctx *ctx, const struct mvl_journal *j);
/* Release the device @addr: 1 released, 0 nothing journaled, -errno. */
int mvl_vfio_release(struct mvl_ctx *ctx, const char *addr);
/* Release every device of @vm_id; the number released or the first error. */
int mvl_vfio_release_vm(struct mvl_ctx *ctx, const char *vm_id);
/* Add the journaled devices (of @vm_id, or all) to @list. */
int mvl_vfio_list(struct mvl_ctx *ctx, const char *vm_id, struct mvl_iface_list *list);
/* The interface a journal describes. */
int mvl_vfio_iface(struct mvl_ctx *ctx, const struct mvl_journal *j, struct mvl_iface **ret);
/* The last steps of an attach (sriov.c, pcidev.c), @r being how the
 * earlier ones went: bind to vfio-pci (when the journal says so), mark the
 * journal attached, make the interface; on any failure everything is
 * undone from the journal (kept, with the undo's error logged, when the
 * undo fails) and the first error returned with its message. */
int mvl_vfio_attach_finish(struct mvl_ctx *ctx, struct mvl_journal *j, int r, long long owner,
			   long long group, struct mvl_iface **ret_iface);
/* Restore every device journal whose lock is free (its process gone) and
 * that is not a completed attach; with @dry_run only count them.  The
 * number (to be) restored; failures noted in @fe. */
int mvl_vfio_recover(struct mvl_ctx *ctx, bool dry_run, struct mvl_first_err *fe);

/* ---- vf.c: the VF attribute table ------------------------------------- */
/* The bit of row @i of the table (attach order), 0 past its end. */
unsigned mvl_vf_attr_bit(size_t i);
/* The attributes @o asks for (MVL_VF_A_*) and their values in @want, whose
 * other fields are @cur's (so a rate keeps the current other rate). */
unsigned mvl_vf_wanted(const struct mvl_vf_opts *o, const struct mvl_vf_state *cur,
		       struct mvl_vf_state *want);
/* The first attribute of @mask whose value @orig does not know (so that
 * it could not be restored), or 0. */
unsigned mvl_vf_unknown(const struct mvl_vf_state *orig, unsigned mask);
/* Set the attributes of @mask of VF @vf to @want's values, one request each
 * in attach order, then read them back.  No undo: see below. */
int mvl_vf_apply_attrs(struct mvl_ctx *ctx, int pf_ifindex, const char *pf_ifname, int vf,
		       unsigned mask, const struct mvl_vf_state *want);
/* Restore the VF attributes of @j that differ from the journal (the admin
 * MAC always), in reverse order of the attach; the PF found by j->pf_addr,
 * or given (_on). */
int mvl_vf_restore_attrs(struct mvl_ctx *ctx, const struct mvl_journal *j);
int mvl_vf_restore_attrs_on(struct mvl_ctx *ctx, int pf_ifindex, const char *pf_ifname,
			    const struct mvl_journal *j);
/* The ifindex of the PF at @pf_addr's netdev (first one), or -ENODEV. */
int mvl_pf_ifindex(struct mvl_ctx *ctx, const char *pf_addr, char *ifname, size_t len);

#endif
