/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internal declarations shared by the library's files.  Nothing here is
 * exported from libmvlink.so; the tests link the same objects through the
 * libmvlink-internal.la convenience library.
 */
#ifndef LIBMVLINK_PRIVATE_H
#define LIBMVLINK_PRIVATE_H

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
	struct mvl_nl *nl; /* lazily opened rtnetlink socket */
	/* fault injection (tests): see fault.c */
	unsigned long fault_step;   /* the step that fails (0 = none) */
	unsigned long fault_count;  /* steps taken so far */
	int fault_errno;
	bool fault_kill;            /* SIGKILL at the step instead */
	bool fault_trace;           /* log every step */
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
/* Start of every public entry point that takes a context: resets the error
 * state and refuses a context inherited through fork() (-ECHILD). */
int mvl_ctx_enter(struct mvl_ctx *ctx);
/* Record that an undo step failed (logged as a warning). */
void mvl_undo_failed(struct mvl_ctx *ctx, const char *format, ...) _printf_(2, 3);

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
/* Tests replace sysfs writes by a model of the kernel's reaction. */
typedef int (*mvl_sysfs_write_hook)(const char *path, const char *value, void *data);
void mvl_sysfs_set_write_hook(mvl_sysfs_write_hook hook, void *data);

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
	const char *kind;     /* "bridge" or "macvtap" */
	int link;             /* lower device ifindex (macvtap) */
	const uint8_t *mac;
	unsigned mtu;
	const char *alias;
	int up;               /* 1: IFF_UP */
	int macvtap_mode;     /* MVL_MACVTAP_* */
	const uint8_t (*source_macs)[6];
	unsigned n_source_macs;
};
int mvl_nl_link_new(struct mvl_ctx *ctx, const struct mvl_link_new *spec, int *ret_ifindex);
int mvl_nl_link_del(struct mvl_ctx *ctx, int ifindex);

/* Number of IPv4/IPv6 addresses on @ifindex, and the first one as text. */
int mvl_nl_addr_count(struct mvl_ctx *ctx, int ifindex, char *first, size_t len);
/* Whether @ifindex is the output device of a default route (1/0/-errno). */
int mvl_nl_has_default_route(struct mvl_ctx *ctx, int ifindex);

void mvl_nl_free(struct mvl_nl *nl);
/* The extended-ack text of the last failed request ("" when none). */
const char *mvl_nl_extack(struct mvl_ctx *ctx);
/*
 * mvl_fail_kernel - mvl_fail() for an error the kernel returned: appends
 * the human wording of @err (see mvl_link_errno_hint()) or strerror, and
 * the kernel's extended-ack text when there is one.
 */
int mvl_fail_kernel(struct mvl_ctx *ctx, int err, const char *format, ...) _printf_(3, 4);

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
/* Ensure a bridge (and its uplink); returns 1 created, 0 existed, negative
 * errno (then everything is as it was). */
int mvl_bridge_ensure_internal(struct mvl_ctx *ctx, const struct mvl_bridge_opts *opts,
			       struct mvl_bridge_state *st);
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

/* ---- tap.c ------------------------------------------------------------ */
/* Open /dev/net/tun and attach to (or create) tap @name with @flags (IFF_*).
 * Returns the fd (O_CLOEXEC) or a negative errno. */
int mvl_tun_open(struct mvl_ctx *ctx, const char *name, int flags);

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

/* ---- macvtap.c -------------------------------------------------------- */
/* Delete an mvlink macvtap, restoring what passthru mode changed on its
 * lower device.  Returns 1 deleted, 0 already gone, negative errno. */
int mvl_macvtap_delete_link(struct mvl_ctx *ctx, const struct mvl_link_info *li);

#endif
