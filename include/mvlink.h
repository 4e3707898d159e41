/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mvlink.h - the public API of libmvlink.
 *
 * libmvlink gives virtual machines their network on a Linux host: a tap on a
 * bridge, a macvtap on an uplink, or an SR-IOV VF / PCI device bound to
 * vfio-pci.  A VMM launcher creates a context, asks for an interface and gets
 * back the interface's name and open queue file descriptors.
 *
 * Conventions
 *  - Every function returning int returns 0 (or a documented non-negative
 *    value) on success and a negative errno value on failure.  The errno is
 *    the kernel's own (never a lossy translation).  A human readable message
 *    for the last failure, including the kernel's extended-ack text when it
 *    sent one, is available from mvl_ctx_get_error().
 *  - Out-parameters (ret_*) are written only on success.
 *  - Every operation that changes kernel state either completes or undoes
 *    what it did.  If the undo itself fails, the function returns the
 *    original error and mvl_ctx_get_undo_failed() reports true.
 *  - The library never writes to stdout.  It hands each log message at
 *    least as severe as the context's log priority (LOG_ERR unless the
 *    MVLINK_LOG environment variable or mvl_ctx_set_log_priority() says
 *    otherwise) to the context's log function, or, when none is set (see
 *    mvl_ctx_set_log_fn()), writes it to stderr as "libmvlink: <function>:
 *    <message>".  The library's own messages are warnings (e.g. an undo
 *    that failed), info and debug, never more severe than LOG_WARNING: at
 *    the default priority nothing is logged, so by default the library
 *    prints nothing.  Failures are reported by return values and
 *    mvl_ctx_get_error(), not by the log.
 *  - A context belongs to the process that created it: after fork() every
 *    call on it fails with -ECHILD.  A context is not thread-safe; use one
 *    per thread.
 *  - Option structs start with their size (set .sz = sizeof(struct ...)):
 *    new fields are only ever appended, and unknown trailing bytes passed
 *    by a newer caller must be zero.
 *  - Every file descriptor the library returns has O_CLOEXEC set.
 *  - Processes working on the same bridge, interface name, lower device or
 *    PCI device wait for each other (host-wide locks, at most 5 s, then
 *    -EBUSY "busy: another mvlink process holds ...").  A process killed
 *    at any step of a create leaves nothing that mvl_recover() (or
 *    mvl_vm_delete(), mvl_gc(), or the next create on the same resources)
 *    does not undo; see mvl_recover().  mvlink chooses the ifindex of every
 *    link it creates (at random, above 2^20) so that it can name it before
 *    it exists.
 */
#ifndef MVLINK_H
#define MVLINK_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * Context
 */
struct mvl_ctx;

/**
 * mvl_ctx_new - create a library context.
 * @ret_ctx: on success, the new context with a reference count of 1.
 *
 * Reads MVLINK_LOG (a syslog priority name or number: "err", "info",
 * "debug", 3, 6, 7; an unknown value is ignored: LOG_ERR) and
 * MVLINK_STATE_DIR (default "/run/mvlink").
 * Returns 0, -EINVAL (@ret_ctx is NULL) or -ENOMEM.
 */
int mvl_ctx_new(struct mvl_ctx **ret_ctx);
/** mvl_ctx_ref - take a reference. Returns @ctx (NULL for a NULL @ctx). */
struct mvl_ctx *mvl_ctx_ref(struct mvl_ctx *ctx);
/** mvl_ctx_unref - drop a reference; frees the context at zero (NULL is
 * fine).  Returns NULL. */
struct mvl_ctx *mvl_ctx_unref(struct mvl_ctx *ctx);

typedef void (*mvl_log_fn)(struct mvl_ctx *ctx, int priority, const char *file, int line,
			   const char *fn, const char *format, va_list args);
/**
 * mvl_ctx_set_log_fn - route the library's log messages to @log_fn.
 * @log_fn: the function, or NULL to restore the default stderr sink.
 * @data: stored in the context, see mvl_ctx_get_log_data().
 *
 * @log_fn gets only the messages at least as severe as the context's log
 * priority (see mvl_ctx_set_log_priority()), with the syslog priority and
 * the library's source file, line and function.  A NULL @ctx is ignored.
 */
void mvl_ctx_set_log_fn(struct mvl_ctx *ctx, mvl_log_fn log_fn, void *data);
/**
 * mvl_ctx_get_log_data - the @data last given to mvl_ctx_set_log_fn() (also
 * when its log function was NULL), for the log function to use; NULL when
 * none was given or @ctx is NULL.
 */
void *mvl_ctx_get_log_data(struct mvl_ctx *ctx);
/**
 * mvl_ctx_get_log_priority - the context's log priority: messages of this
 * syslog priority or a more severe one (a lower number) are logged.  Set by
 * MVLINK_LOG at mvl_ctx_new() (default LOG_ERR) or
 * mvl_ctx_set_log_priority().  Returns -EINVAL for a NULL @ctx.
 */
int mvl_ctx_get_log_priority(struct mvl_ctx *ctx);
/**
 * mvl_ctx_set_log_priority - log the messages of syslog priority @priority
 * and the more severe ones (LOG_DEBUG: all of them; the library's messages
 * range from LOG_WARNING to LOG_DEBUG).  Overrides MVLINK_LOG.  The value is stored
 * unchecked; a NULL @ctx is ignored.
 */
void mvl_ctx_set_log_priority(struct mvl_ctx *ctx, int priority);

/**
 * mvl_ctx_get_error - the message of the last failed call on @ctx.
 *
 * Names the object, the value and the reason, e.g.
 * "cannot attach tap vm-3 to bridge br0: the bridge already has the maximum
 * of 1023 ports (the kernel's 1024 port numbers, number 0 reserved)
 * (Exchange full)".  Owned by @ctx, valid until the next call on @ctx.
 * Never NULL (empty when nothing failed yet, or for a NULL @ctx).
 */
const char *mvl_ctx_get_error(struct mvl_ctx *ctx);
/**
 * mvl_ctx_get_undo_failed - whether the last failed call could not fully
 * undo its earlier steps (something was left behind; the log says what, at
 * LOG_WARNING).  False for a NULL @ctx.
 */
bool mvl_ctx_get_undo_failed(struct mvl_ctx *ctx);

/**
 * mvl_ctx_set_state_dir - where journals and lock files live.
 * Default "/run/mvlink" or $MVLINK_STATE_DIR.  @path is copied, trailing
 * slashes dropped.  Returns 0, -EINVAL (NULL @ctx, @path NULL or not
 * absolute), -ENOMEM.
 */
int mvl_ctx_set_state_dir(struct mvl_ctx *ctx, const char *path);
/**
 * mvl_ctx_get_state_dir - the state directory, without trailing slashes.
 * Owned by @ctx, valid until the next mvl_ctx_set_state_dir() or the last
 * mvl_ctx_unref(); NULL for a NULL @ctx.
 */
const char *mvl_ctx_get_state_dir(struct mvl_ctx *ctx);
/**
 * mvl_ctx_set_sysfs_root - where sysfs is mounted (default "/sys").
 * Meant for tests on fake sysfs trees.  @path is copied, trailing slashes
 * dropped.  Returns 0, -EINVAL (NULL @ctx, @path NULL or not absolute),
 * -ENOMEM.
 */
int mvl_ctx_set_sysfs_root(struct mvl_ctx *ctx, const char *path);
/**
 * mvl_ctx_get_sysfs_root - the sysfs root, without trailing slashes.
 * Owned by @ctx, valid until the next mvl_ctx_set_sysfs_root() or the last
 * mvl_ctx_unref(); NULL for a NULL @ctx.
 */
const char *mvl_ctx_get_sysfs_root(struct mvl_ctx *ctx);
/**
 * mvl_ctx_set_dev_root - where device nodes live (default "/dev").
 * Meant for tests.  @path is copied, trailing slashes dropped.  Returns 0,
 * -EINVAL (NULL @ctx, @path NULL or not absolute), -ENOMEM.
 */
int mvl_ctx_set_dev_root(struct mvl_ctx *ctx, const char *path);
/**
 * mvl_ctx_get_dev_root - the device node root, without trailing slashes.
 * Owned by @ctx, valid until the next mvl_ctx_set_dev_root() or the last
 * mvl_ctx_unref(); NULL for a NULL @ctx.
 */
const char *mvl_ctx_get_dev_root(struct mvl_ctx *ctx);

/* ------------------------------------------------------------------------
 * Parsers and validators (pure functions, no context needed)
 */

/**
 * mvl_mac_parse - parse "02:00:00:00:00:01" (also '-' separated).
 * Returns 0, or -EINVAL for malformed text.  Does not judge the address;
 * see mvl_mac_check().
 */
int mvl_mac_parse(const char *text, uint8_t ret_mac[6]);
/**
 * mvl_mac_check - refuse addresses no NIC may use: multicast (including
 * broadcast) and all-zero.  Returns 0 or -EINVAL.
 */
int mvl_mac_check(const uint8_t mac[6]);
/** mvl_mac_format - "xx:xx:xx:xx:xx:xx" into @buf (at least 18 bytes). */
char *mvl_mac_format(const uint8_t mac[6], char buf[18]);

/**
 * mvl_ifname_check - a valid interface name: 1..15 bytes, no '/', ':', '%'
 * (the kernel would expand it as a template: no device's name has one),
 * whitespace or control characters, not "." or "..".  Returns 0 or -EINVAL.
 */
int mvl_ifname_check(const char *name);
/**
 * mvl_ifname_template_check - a name template: a valid interface name once
 * its single "%d" is replaced by a number of up to 5 digits (e.g. "vm-%d").
 * Returns 1 for a template, 0 for a plain valid name, -EINVAL otherwise.
 */
int mvl_ifname_template_check(const char *name);
/**
 * mvl_vm_id_check - a VM id: 1..64 bytes of [A-Za-z0-9._-], not starting
 * with '.' or '-'.  Returns 0 or -EINVAL.
 */
int mvl_vm_id_check(const char *vm_id);

/* ------------------------------------------------------------------------
 * Interfaces (the result of a create, or an entry of a listing)
 */
enum mvl_mode {
	MVL_MODE_NONE = 0,
	MVL_MODE_TAP = 1,     /* a tap, optionally on a bridge */
	MVL_MODE_MACVTAP = 2, /* a macvtap on an uplink */
	MVL_MODE_SRIOV = 3,   /* an SR-IOV VF bound to vfio-pci */
	MVL_MODE_PCI = 4,     /* a whole PCI device bound to vfio-pci */
	MVL_MODE_BRIDGE = 5,  /* a bridge created by mvlink (listings only) */
	MVL_MODE_IPVTAP = 6,  /* an ipvtap on an uplink */
};
/** mvl_mode_to_string - "tap", "macvtap", "sriov", "pci", "bridge", "ipvtap"
 * or NULL. */
const char *mvl_mode_to_string(enum mvl_mode mode);
/** mvl_mode_from_string - the inverse; MVL_MODE_NONE for an unknown string. */
enum mvl_mode mvl_mode_from_string(const char *s);

struct mvl_iface;

/**
 * mvl_iface_ref - take a reference to @iface (a plain counter: not for use
 * from several threads at once).  An interface holds no reference to its
 * context and stays valid after mvl_ctx_unref().  Returns @iface (NULL for
 * a NULL @iface).
 */
struct mvl_iface *mvl_iface_ref(struct mvl_iface *iface);
/** mvl_iface_unref - drop a reference (NULL is fine); at zero closes every
 * queue fd not taken and frees @iface and its strings; the kernel objects
 * stay (a non-persistent tap vanishes when its last fd closes).  Returns
 * NULL. */
struct mvl_iface *mvl_iface_unref(struct mvl_iface *iface);
/** mvl_iface_get_mode - its MVL_MODE_*; MVL_MODE_NONE for an untagged link
 * (from mvl_iface_get() or an MVL_LIST_ALL listing) or a NULL @iface. */
enum mvl_mode mvl_iface_get_mode(const struct mvl_iface *iface);
/** mvl_iface_get_name - the interface name (a PCI address for MVL_MODE_SRIOV
 * and MVL_MODE_PCI, "<pf>:vf<N>" for a VF without PCI function).  The
 * strings of mvl_iface_get_*() belong to @iface and live as long as it
 * does.  NULL for a NULL @iface. */
const char *mvl_iface_get_name(const struct mvl_iface *iface);
/** mvl_iface_get_vm_id - the VM id the interface is tagged with; NULL when
 * it is untagged or @iface is NULL. */
const char *mvl_iface_get_vm_id(const struct mvl_iface *iface);
/** mvl_iface_get_ifindex - the kernel ifindex; 0 when the interface is not a
 * netdev (sriov, pci) or @iface is NULL. */
int mvl_iface_get_ifindex(const struct mvl_iface *iface);
/** mvl_iface_get_mac - the interface's own MAC, 6 bytes owned by @iface
 * (macvtap: the guest's MAC; ipvtap: its lower device's, which the guest
 * must use too; tap: the host side; sriov: the VF's admin MAC
 * as its PF reported it; all zero when unknown and for pci).  NULL only for
 * a NULL @iface. */
const uint8_t *mvl_iface_get_mac(const struct mvl_iface *iface);
/** mvl_iface_get_mtu - the netdev's MTU as the kernel reported it when the
 * interface was created, adopted or listed; 0 for sriov and pci (no netdev)
 * and for a NULL @iface. */
unsigned mvl_iface_get_mtu(const struct mvl_iface *iface);
/** mvl_iface_get_link - the bridge (tap) or lower device (macvtap, ipvtap), for
 * sriov the PF (its netdev, else its PCI address); NULL when there is none
 * (or it is in another network namespace) and for a NULL @iface. */
const char *mvl_iface_get_link(const struct mvl_iface *iface);
/** mvl_iface_get_adopted - whether the create found the interface already
 * there and adopted it; false for listed interfaces and a NULL @iface. */
bool mvl_iface_get_adopted(const struct mvl_iface *iface);
/** mvl_iface_get_queue_count - number of queue fds the create opened, taken
 * ones included (0 for a persistent tap opened by name, MVL_MACVTAP_NO_FDS,
 * sriov, pci, listed interfaces, and a NULL @iface). */
unsigned mvl_iface_get_queue_count(const struct mvl_iface *iface);
/** mvl_iface_get_queue_fd - queue fd @i, still owned by @iface (closed by
 * its last unref); -EINVAL when @i is not below the queue count or @iface is
 * NULL, -EBADF when the fd was taken. */
int mvl_iface_get_queue_fd(const struct mvl_iface *iface, unsigned i);
/** mvl_iface_take_queue_fd - take queue fd @i: the caller owns (and closes)
 * it from now on, @iface no longer does; -EINVAL when @i is not below the
 * queue count or @iface is NULL, -EBADF when it was taken already. */
int mvl_iface_take_queue_fd(struct mvl_iface *iface, unsigned i);
/** mvl_iface_get_devnode - the device node the VMM opens (macvtap, ipvtap
 * "<dev root>/tapN", vfio "<dev root>/vfio/N"; dev root "/dev" unless
 * mvl_ctx_set_dev_root()); NULL when there is none (tap,
 * MVL_VF_NO_VFIO) and for a NULL @iface. */
const char *mvl_iface_get_devnode(const struct mvl_iface *iface);
/** mvl_iface_get_iommu_group - the IOMMU group for sriov/pci modes, else -1
 * (also for a NULL @iface). */
int mvl_iface_get_iommu_group(const struct mvl_iface *iface);

/* ------------------------------------------------------------------------
 * Bridge + tap
 */

/* flags of struct mvl_tap_opts */
enum {
	/* A persistent tap, configured and up with no queue attached, for
	 * VMMs that open taps by name (Firecracker): no queue fds are
	 * returned (mvl_iface_get_queue_count() is 0). */
	MVL_TAP_PERSIST = 1u << 0,
	/* Do not enable IFF_VNET_HDR (it is on by default). */
	MVL_TAP_NO_VNET_HDR = 1u << 1,
	/* Enslave the uplink even though it carries IP addresses or the
	 * default route (the host may lose connectivity). */
	MVL_TAP_FORCE_UPLINK = 1u << 2,
	/* .owner is set. */
	MVL_TAP_OWNER = 1u << 3,
	/* .group is set. */
	MVL_TAP_GROUP = 1u << 4,
	/* Multi-queue even with a single queue (so more can be attached). */
	MVL_TAP_MULTI_QUEUE = 1u << 5,
};

struct mvl_tap_opts {
	size_t sz;           /* sizeof(struct mvl_tap_opts) */
	const char *vm_id;   /* required: tag for the tap (and a created bridge) */
	const char *name;    /* required: "vm-test1" or a template "vm-%d" */
	const char *bridge;  /* optional: ensure this bridge and attach the tap */
	const char *uplink;  /* optional, needs .bridge: enslave it to the bridge */
	const uint8_t *guest_mac; /* optional: the MAC the guest uses (6 bytes) */
	unsigned mtu;        /* 0: the bridge's MTU, or the kernel default */
	unsigned queues;     /* 0 or 1: single queue; N > 1: IFF_MULTI_QUEUE */
	uid_t owner;         /* with MVL_TAP_OWNER */
	gid_t group;         /* with MVL_TAP_GROUP */
	unsigned flags;      /* MVL_TAP_* */
};

/**
 * mvl_tap_create - create (or idempotently adopt) a tap for a VM.
 *
 * Ensures .bridge (created with exclusive semantics, brought up; an existing
 * non-bridge device of that name is an error and stays untouched), enslaves
 * .uplink when asked (refused when it carries IP addresses or the default
 * route unless MVL_TAP_FORCE_UPLINK), creates the tap through /dev/net/tun
 * with IFF_TAP|IFF_NO_PI (+IFF_VNET_HDR, +IFF_MULTI_QUEUE), sets its host
 * side MAC (never the guest's: .guest_mac with first byte 0xFE, or 0xFA when
 * the guest's first byte is 0xFE; random with 0xFE without .guest_mac), MTU
 * (explicit or the bridge's) and tag, attaches it to the bridge and brings
 * it up, in this order, in one request.
 *
 * A template name takes the lowest free number.  An existing device with the
 * name is adopted only if it is an mvlink tap of the same VM with the same
 * configuration; anything else fails with -EEXIST and a message naming what
 * is there.  On failure every earlier step is undone.
 *
 * Returns 0 and the interface in @ret_iface, or a negative errno.
 */
int mvl_tap_create(struct mvl_ctx *ctx, const struct mvl_tap_opts *opts,
		   struct mvl_iface **ret_iface);

/* flags of struct mvl_bridge_opts */
enum {
	MVL_BRIDGE_FORCE_UPLINK = 1u << 0, /* as MVL_TAP_FORCE_UPLINK */
};

struct mvl_bridge_opts {
	size_t sz;          /* sizeof(struct mvl_bridge_opts) */
	const char *name;   /* required */
	const char *vm_id;  /* tag of a new bridge; NULL: only an existing one */
	const char *uplink; /* optional: enslave it */
	unsigned mtu;       /* optional: for a newly created bridge */
	unsigned flags;     /* MVL_BRIDGE_* */
};

/**
 * mvl_bridge_ensure - make sure bridge .name exists, is up and, when asked,
 * holds .uplink.  A new bridge is tagged with .vm_id, so that mvlink lists
 * and deletes it; without .vm_id only an existing bridge (any, tagged or
 * not) is used, and a missing one is -EINVAL ("a new bridge needs a VM id
 * to be tagged"), nothing created.  Returns 1 when it created the bridge, 0
 * when it was there, or a negative errno (the bridge is then as it was).
 */
int mvl_bridge_ensure(struct mvl_ctx *ctx, const struct mvl_bridge_opts *opts);

/* ------------------------------------------------------------------------
 * macvtap
 */
enum mvl_macvtap_mode {
	MVL_MACVTAP_BRIDGE = 0, /* default: guests on one uplink reach each other */
	MVL_MACVTAP_VEPA = 1,
	MVL_MACVTAP_PRIVATE = 2,
	MVL_MACVTAP_PASSTHRU = 3,
	MVL_MACVTAP_SOURCE = 4,
};
/** mvl_macvtap_mode_to_string - "bridge", "vepa", "private", "passthru" or
 * "source" (static strings), or NULL for a value outside the enum. */
const char *mvl_macvtap_mode_to_string(enum mvl_macvtap_mode mode);
/** mvl_macvtap_mode_from_string - the inverse (exact, lower-case names):
 * the mode, or -EINVAL for an unknown name or NULL. */
int mvl_macvtap_mode_from_string(const char *s);

/* flags of struct mvl_macvtap_opts */
enum {
	MVL_MACVTAP_NO_VNET_HDR = 1u << 0,
	MVL_MACVTAP_LINK_UP = 1u << 1, /* bring a down lower device up */
	MVL_MACVTAP_OWNER = 1u << 2,   /* chown the device node to .owner */
	MVL_MACVTAP_GROUP = 1u << 3,   /* chgrp the device node to .group */
	MVL_MACVTAP_NO_FDS = 1u << 4,  /* open no queue fds (VMM opens the node) */
};

struct mvl_macvtap_opts {
	size_t sz;                 /* sizeof(struct mvl_macvtap_opts) */
	const char *vm_id;         /* required: tag for the macvtap */
	const char *name;          /* required: "mvt-test1" or a template "mvt-%d" */
	const char *link;          /* required: the lower device (the uplink) */
	const uint8_t *mac;        /* the guest's MAC; NULL = random local */
	enum mvl_macvtap_mode mode; /* 0: MVL_MACVTAP_BRIDGE */
	const uint8_t (*source_macs)[6]; /* MVL_MACVTAP_SOURCE: allowed MACs (<= 64) */
	unsigned n_source_macs;
	unsigned mtu;              /* 0: the lower device's MTU */
	unsigned queues;           /* 0/1 single, N > 1 multi-queue (<= 256) */
	uid_t owner;               /* with MVL_MACVTAP_OWNER */
	gid_t group;               /* with MVL_MACVTAP_GROUP */
	unsigned flags;            /* MVL_MACVTAP_* */
};

/**
 * mvl_macvtap_create - create (or idempotently adopt) a macvtap on .link and
 * open its /dev/tapN once per queue.
 *
 * The macvtap gets mode .mode (always sent explicitly: the kernel's own
 * default is vepa), the MAC .mac (NULL: a random locally administered
 * unicast MAC; passthru: the lower device's MAC), MTU .mtu (0: the lower
 * device's), the allowed source MACs of mode source (at most 64; none means
 * it receives nothing until some are added), an mvlink tag, and is up.
 *
 * Passthru gives the lower device to one macvtap: the kernel puts the
 * lower in promiscuous mode and moves a MAC set on the macvtap to the lower
 * device, so a given .mac becomes the lower device's MAC.  The lower's
 * original MAC (and, with MVL_MACVTAP_LINK_UP, that it was down) is
 * recorded in the macvtap's tag; mvl_iface_delete() and mvl_vm_delete(),
 * from any process, restore it.
 *
 * Queue fds: unless MVL_MACVTAP_NO_FDS, the macvtap's character device is
 * opened .queues times (0 or 1: once), O_RDWR|O_CLOEXEC, blocking (the VMM
 * sets O_NONBLOCK itself, as QEMU does), and each fd gets TUNSETIFF with
 * IFF_TAP|IFF_NO_PI, +IFF_VNET_HDR unless MVL_MACVTAP_NO_VNET_HDR, and
 * +IFF_MULTI_QUEUE when .queues > 1.  The vnet header size is left at the
 * kernel's default (10 bytes); the VMM sets the size it wants
 * (TUNSETVNETHDRSZ).  The fds are for the VMM: take them with
 * mvl_iface_take_queue_fd() and clear FD_CLOEXEC in the child that execs
 * it.  Each open fd is a queue the kernel spreads the macvtap's traffic
 * over.  Closing the fds does NOT remove the macvtap (unlike a
 * non-persistent tap): it stays until deleted.
 *
 * The device is <dev root>/tap<ifindex> when that node is the device sysfs
 * names for the macvtap (its major:minor).  When it is missing (no
 * devtmpfs, udev lag) or is another device (devtmpfs is shared by all
 * network namespaces, so a macvtap of another namespace with the same
 * ifindex may own the name), a private node is made with mknod in
 * <state dir>/dev (mode 0700), opened and unlinked at once.  When the state
 * directory is on a nodev mount (the default /run/mvlink is, on systemd
 * hosts) the node goes in <dev root>/.mvlink (mode 0700) instead; when that
 * is nodev too, -EACCES with both paths named.  This needs CAP_MKNOD.  The
 * interface's devnode is <dev root>/tap<ifindex> in every case.
 *
 * MVL_MACVTAP_OWNER / MVL_MACVTAP_GROUP chown <dev root>/tapN to .owner /
 * .group for VMMs that open it by path (with a group, the node also gets
 * group read/write); this needs the real node (else -ENOENT when it is
 * missing, -EEXIST when it is another device).  udev rules may later
 * change it again.
 *
 * A template name ("mvt-%d") takes the lowest free number.  An existing
 * device with the name is adopted (its queues opened again: idempotent)
 * only if it is an mvlink macvtap of the same VM on the same lower device
 * with the same mode, MAC (when .mac is given), MTU (when .mtu is given),
 * source MACs, and up; anything else fails with -EEXIST and a message
 * naming what is there, which stays untouched.  Beware: the kernel does not
 * report whether queues of a macvtap are open, so adopting one that a
 * running VMM still uses adds queues to it and splits its traffic.
 *
 * Errors, all before anything is changed:
 *  -EINVAL  bad options: struct size or trailing bytes, VM id, name or
 *           template, lower device name, .mac (multicast or zero), .mode,
 *           source MACs given without mode source, invalid or duplicated,
 *           more than 64 of them, or announced with NULL .source_macs;
 *           .mtu outside 68..65535 or above the lower device's MTU; more
 *           than 256 queues; unknown flags; NULL @ret_iface.  Also: the
 *           lower device is a bridge (use a tap on it), or itself a
 *           macvlan, macvtap, ipvlan or ipvtap (give the device under
 *           it).
 *  -ENODEV  the lower device does not exist.
 *  -EBUSY   the lower device is a bridge port, a bond slave or otherwise
 *           enslaved (a VRF is fine); passthru on a lower that already has
 *           macvlan/macvtap devices; any mode on a lower held by a
 *           passthru macvlan/macvtap.
 *  -ENETDOWN the lower device is down and MVL_MACVTAP_LINK_UP was not given
 *           (with it, the lower is brought up, and down again if the
 *           create fails).
 *  -EEXIST  the name is taken by something that cannot be adopted.
 *  -ENOSPC  no free number for the template.
 * Later failures (kernel errors; -EADDRINUSE: the MAC is already used on
 * the lower device; queue opens, mknod, TUNSETIFF, chown) undo every
 * earlier step: fds closed, node ownership restored, the macvtap deleted,
 * the lower device's MAC and state restored.
 *
 * Returns 0 and the interface in @ret_iface (name, ifindex, MAC, MTU, lower
 * device as link, devnode, queue fds), or a negative errno.
 */
int mvl_macvtap_create(struct mvl_ctx *ctx, const struct mvl_macvtap_opts *opts,
		       struct mvl_iface **ret_iface);

/* ------------------------------------------------------------------------
 * ipvtap
 */
enum mvl_ipvlan_mode {
	MVL_IPVLAN_L2 = 0,  /* default: the lower's broadcasts and multicasts too */
	MVL_IPVLAN_L3 = 1,  /* routed by IP only: no broadcast, no ARP/NDP */
	MVL_IPVLAN_L3S = 2, /* L3 through the host's netfilter (conntrack) */
};
/** mvl_ipvlan_mode_to_string - "l2", "l3" or "l3s" (static strings), or NULL
 * for a value outside the enum. */
const char *mvl_ipvlan_mode_to_string(enum mvl_ipvlan_mode mode);
/** mvl_ipvlan_mode_from_string - the inverse (exact, lower-case names): the
 * mode, or -EINVAL for an unknown name or NULL. */
int mvl_ipvlan_mode_from_string(const char *s);

/* How the ipvlan/ipvtap devices of one lower device reach each other (the
 * kernel's IFLA_IPVLAN_FLAGS). */
enum mvl_ipvlan_flag {
	MVL_IPVLAN_BRIDGE = 0,  /* default: directly */
	MVL_IPVLAN_PRIVATE = 1, /* not at all */
	MVL_IPVLAN_VEPA = 2,    /* only through the switch the lower is plugged into */
};
/** mvl_ipvlan_flag_to_string - "bridge", "private" or "vepa" (static
 * strings), or NULL for a value outside the enum. */
const char *mvl_ipvlan_flag_to_string(enum mvl_ipvlan_flag flag);
/** mvl_ipvlan_flag_from_string - the inverse (exact, lower-case names): the
 * flag, or -EINVAL for an unknown name or NULL. */
int mvl_ipvlan_flag_from_string(const char *s);

/* An IPv4 or IPv6 address of a guest. */
struct mvl_ip_addr {
	int family;          /* AF_INET or AF_INET6 */
	uint8_t addr[16];    /* network byte order; AF_INET: the first 4 bytes */
	unsigned prefixlen;  /* 0, or 32 (AF_INET) / 128 (AF_INET6): see below */
};
#define MVL_IPVTAP_MAX_ADDRS 64

/* flags of struct mvl_ipvtap_opts: as those of struct mvl_macvtap_opts */
enum {
	MVL_IPVTAP_NO_VNET_HDR = 1u << 0,
	MVL_IPVTAP_LINK_UP = 1u << 1, /* bring a down lower device up */
	MVL_IPVTAP_OWNER = 1u << 2,   /* chown the device node to .owner */
	MVL_IPVTAP_GROUP = 1u << 3,   /* chgrp the device node to .group */
	MVL_IPVTAP_NO_FDS = 1u << 4,  /* open no queue fds (VMM opens the node) */
};

struct mvl_ipvtap_opts {
	size_t sz;                 /* sizeof(struct mvl_ipvtap_opts) */
	const char *vm_id;         /* required: tag for the ipvtap */
	const char *name;          /* required: "ipvt-test1" or a template "ipvt-%d" */
	const char *link;          /* required: the lower device (the uplink) */
	enum mvl_ipvlan_mode mode; /* 0: MVL_IPVLAN_L2 */
	enum mvl_ipvlan_flag ipvlan_flag; /* 0: MVL_IPVLAN_BRIDGE */
	const struct mvl_ip_addr *addrs; /* the guest's addresses (<= 64) */
	unsigned n_addrs;
	unsigned mtu;              /* 0: the lower device's MTU */
	unsigned queues;           /* 0/1 single, N > 1 multi-queue (<= 256) */
	uid_t owner;               /* with MVL_IPVTAP_OWNER */
	gid_t group;               /* with MVL_IPVTAP_GROUP */
	unsigned flags;            /* MVL_IPVTAP_* */
};

/**
 * mvl_ipvtap_create - create (or idempotently adopt) an ipvtap on .link and
 * open its /dev/tapN once per queue.
 *
 * An ipvtap is for uplinks that accept one MAC only (cloud instances,
 * Wi-Fi, switch ports limited to one MAC): it has its lower device's MAC,
 * which the guest's NIC must use as well (mvl_iface_get_mac()), and the
 * kernel tells its guests apart by IP address.  It gets ipvlan mode .mode
 * and .ipvlan_flag (both always sent: the kernel's own default mode is
 * l3), MTU .mtu (0: the lower device's), an mvlink tag, and is up.
 *
 * The mode and the flag belong to the lower device, not to one ipvtap:
 * the kernel applies the last one asked for to every ipvlan/ipvtap on it.
 * So a create that asks for another mode or flag than the lower's other
 * ipvlan/ipvtap devices have fails with -EBUSY, changing nothing.
 *
 * The guest's addresses: ipvlan hands a unicast packet that arrives on
 * the lower device to the ipvlan/ipvtap device that has its destination
 * address configured, and to the host otherwise.  So each of .addrs is
 * added to the ipvtap as a /32 of scope host (IPv4: the host never picks
 * it as the source of its own packets) or a /128 with IFA_F_NODAD (IPv6),
 * both with IFA_F_NOPREFIXROUTE: no route to a subnet, no broadcast
 * route.  .prefixlen must be 0 or the full length: the guest's own
 * prefix is the guest's business.  Without addresses the guest receives
 * only the broadcasts and multicasts of the lower's link (mode l2), no
 * unicast.  The host itself treats these addresses as local ones: it
 * cannot reach the guest through them.  An address already on another
 * ipvlan/ipvtap of the same lower fails with -EADDRINUSE.  The addresses
 * go with the ipvtap when it is deleted.
 *
 * Queue fds, the device node (<dev root>/tap<ifindex> of class ipvtap, or
 * a private node), MVL_IPVTAP_NO_FDS, MVL_IPVTAP_NO_VNET_HDR,
 * MVL_IPVTAP_OWNER, MVL_IPVTAP_GROUP, MVL_IPVTAP_LINK_UP and template
 * names work as for mvl_macvtap_create().
 *
 * An existing device with the name is adopted (its queues opened again)
 * only if it is an mvlink ipvtap of the same VM on the same lower device
 * with the same mode, flag, MTU (when .mtu is given), addresses, and up;
 * anything else fails with -EEXIST and a message naming what is there,
 * which stays untouched.
 *
 * Errors, all before anything is changed:
 *  -EINVAL  bad options: struct size or trailing bytes, VM id, name or
 *           template, lower device name, .mode, .ipvlan_flag, an address
 *           (family, prefix length, multicast, unspecified, loopback or
 *           link-local, listed twice), more than 64 of them, or announced
 *           with NULL .addrs; .mtu outside 68..65535 or above the lower
 *           device's MTU; more than 256 queues; unknown flags; NULL
 *           @ret_iface.  Also: the lower device is a bridge, or itself a
 *           macvlan, macvtap, ipvlan or ipvtap (give its lower device).
 *  -ENODEV  the lower device does not exist.
 *  -EBUSY   the lower device is a bridge port, a bond slave or otherwise
 *           enslaved, or carries macvlan/macvtap devices; its other
 *           ipvlan/ipvtap devices have another mode or flag.
 *  -ENETDOWN the lower device is down and MVL_IPVTAP_LINK_UP was not given.
 *  -EEXIST  the name is taken by something that cannot be adopted.
 *  -ENOSPC  no free number for the template.
 *  -EOPNOTSUPP the kernel has no ipvtap (CONFIG_IPVTAP).
 * Later failures (kernel errors; -EADDRINUSE: an address is on another
 * ipvlan/ipvtap of the lower; queue opens, mknod, TUNSETIFF, chown) undo
 * every earlier step: fds closed, node ownership restored, the ipvtap
 * deleted (its addresses with it), the lower device down again.
 *
 * Returns 0 and the interface in @ret_iface (name, ifindex, MAC, MTU, lower
 * device as link, devnode, queue fds), or a negative errno.
 */
int mvl_ipvtap_create(struct mvl_ctx *ctx, const struct mvl_ipvtap_opts *opts,
		      struct mvl_iface **ret_iface);

/* ------------------------------------------------------------------------
 * Listing and deleting
 */
struct mvl_iface_list;

/* flags of mvl_iface_list_new() */
enum {
	MVL_LIST_ALL = 1u << 0, /* also untagged links (mode MVL_MODE_NONE) */
};

/**
 * mvl_iface_list_new - list the interfaces mvlink created (tagged), all of
 * them or only those of @vm_id (NULL: every VM).  Returns 0 or a negative
 * errno.
 */
int mvl_iface_list_new(struct mvl_ctx *ctx, const char *vm_id, unsigned flags,
		       struct mvl_iface_list **ret_list);
/** mvl_iface_list_count - the number of interfaces in @list; 0 for a NULL
 * @list. */
size_t mvl_iface_list_count(const struct mvl_iface_list *list);
/** mvl_iface_list_get - interface @i of @list: a borrowed pointer, valid
 * while @list lives (mvl_iface_ref() it to keep it longer); NULL past the
 * end or for a NULL @list. */
struct mvl_iface *mvl_iface_list_get(const struct mvl_iface_list *list, size_t i);
/** mvl_iface_list_free - free @list, dropping its reference to each of its
 * interfaces (those the caller took a reference to stay valid).  NULL is
 * fine.  Returns NULL. */
struct mvl_iface_list *mvl_iface_list_free(struct mvl_iface_list *list);

/**
 * mvl_iface_get - look up one interface by name (tagged or not).
 * Returns 0, -ENODEV when there is none, or a negative errno.
 */
int mvl_iface_get(struct mvl_ctx *ctx, const char *name, struct mvl_iface **ret_iface);

/**
 * mvl_iface_delete - delete (or release) the mvlink interface @name: a
 * netdev name, or the PCI address of a VF or PCI device, or the name
 * "<pf>:vf<N>" of a VF without PCI function (they are released).
 * Idempotent: a name that does not exist is success (returns 0).  A device
 * that mvlink did not create is never touched: -EPERM with a message.  Nor
 * is one stacked on ours (a macvlan or VLAN someone put on an mvlink tap or
 * bridge), which the kernel would delete with it: -EBUSY naming it.  An
 * untagged link whose name an mvlink process has locked before may be one
 * that a create is still making: the delete waits for that create (up to
 * the lock timeout, then -EBUSY) and looks again; a name mvlink never
 * locked is refused at once.
 * Returns 1 when something was removed, 0 when there was nothing to do.
 */
int mvl_iface_delete(struct mvl_ctx *ctx, const char *name);

/**
 * mvl_vm_delete - delete every interface tagged with @vm_id and release its
 * VFs and PCI devices, after undoing what crashed creates for this VM left
 * (see mvl_recover()).  Bridges stay, even one mvlink created for this VM:
 * a bridge is shared (another VM may be attaching to it right now); delete
 * an empty one by name with mvl_iface_delete().  An interface carrying a
 * device mvlink did not create stays (-EBUSY, as mvl_iface_delete()); the
 * others go.  Idempotent.  Returns the number of objects removed, or a
 * negative errno.
 *
 * The VM's interfaces are found through an index in the state directory
 * (index/, written by each create before its link exists), looked up by
 * ifindex, each checked against its tag, and deleted one by one by
 * ifindex: no request lists the host's links (a link group, as
 * mvl_vm_delete_many() uses for several VMs, would need a listing of every
 * link to check), so the cost does not grow with them; each interface
 * costs the kernel a grace period (some 10-20 ms).  The first deletion in a
 * network namespace whose index is missing (a new state directory, or one
 * removed while links lived) walks the kernel's lists of taps and macvtaps
 * instead (two listings, filtered by kind in the kernel; a third of ipvtaps
 * where the kernel has ipvtap) and rebuilds the
 * index; so does mvl_vm_delete_many() for more than 16 VMs.
 * Editing or removing single entries by hand hides links from it.
 */
int mvl_vm_delete(struct mvl_ctx *ctx, const char *vm_id);

/**
 * mvl_vm_delete_many - mvl_vm_delete() for several VMs at once.
 * @vm_ids: @n VM ids (duplicates are fine).
 * @n: their number; 0 does nothing.
 *
 * Each link deletion costs the kernel an RCU grace period (some 10-20 ms),
 * paid one after the other, so deleting 1000 VMs one by one takes tens of
 * seconds.  This finds the interfaces of the VMs (through the index, see
 * mvl_vm_delete(), for up to 16 VMs; else with one listing per link kind)
 * and, when @vm_ids name two VMs or more, deletes them with one request:
 * they are moved into a fresh random link group (IFLA_GROUP), a listing of
 * every link checks that no other link is in that group, and the group is
 * deleted (one grace period for all).  One VM's interfaces (@n 1, or the
 * same id @n times) are deleted one by one without that listing, as
 * mvl_vm_delete() does.  A device that is not tagged for one of @vm_ids is
 * never touched: on any doubt or error (the group is not exclusively ours,
 * a request fails) the interfaces are deleted one by one instead.  Interfaces
 * that need more than a deletion (a passthru macvtap restores its lower
 * device) are always handled one by one; bridges are not deleted.
 *
 * Idempotent: VMs without interfaces are success.  All ids are checked
 * before anything is done (-EINVAL).  Carries on past a failure, returning
 * the first error; an interface that could not be deleted goes back to
 * its link group.  Returns the number of interfaces removed, or a negative
 * errno.
 */
int mvl_vm_delete_many(struct mvl_ctx *ctx, const char *const *vm_ids, size_t n);

/* ------------------------------------------------------------------------
 * PCI devices, SR-IOV VFs and vfio-pci
 *
 * A VF or whole PCI device given to a VM is identified by its PCI address
 * ("0000:af:06.0"), which is also its interface name (mvl_iface_get_name()).
 * A VF of a PF that is not a PCI device (netdevsim) has no PCI function of
 * its own: it exists only as settings of its PF, and is named
 * "<pf>:vf<N>" after the PF's netdev ("eni1np1:vf0"; see
 * mvl_vf_name_parse()).  Such a VF can only be configured
 * (MVL_VF_NO_VFIO); the PF cannot be renamed meanwhile, as it must be up.
 * Before changing anything, an attach writes the device's original state
 * (driver, driver_override, VF attributes, /dev/vfio/N ownership) to a
 * journal under the state directory (<state_dir>/vf/<name>.json or
 * <state_dir>/pci/<addr>.json, written atomically).  mvl_iface_delete() on
 * the name, mvl_vm_delete() or mvl_recover() restore that state from the
 * journal, from any process, also after the attaching process died; the
 * journal is removed only once the restore succeeded.  Each device has a
 * host-wide lock, <state_dir>/locks/pci-<addr>.lock or
 * <state_dir>/locks/vf-<pf>:vf<N>.lock, and so has each PF (its PCI
 * address, or its netdev: uplink-<pf>.lock), taken with a bounded wait: a
 * second process gets -EBUSY ("busy") rather than racing.
 */

/* Size of a netdev name buffer, as the kernel's IFNAMSIZ. */
#define MVL_IFNAMSIZ 16
/* The highest VF index a name or option may carry. */
#define MVL_VF_INDEX_MAX 65535
/* Size of the name of a VF without a PCI function: "<pf>:vf<N>" plus NUL. */
#define MVL_VF_NAME_LEN (MVL_IFNAMSIZ + 8)

/* Length of a normalised PCI address "dddd:bb:dd.f" plus its NUL. */
#define MVL_PCI_ADDR_LEN 13

/**
 * mvl_pci_addr_parse - check and normalise a PCI address.
 * @text: "0000:af:06.0" or "af:06.0" (domain 0000); hex digits in either
 *        case; exactly 4 domain, 2 bus, 2 device (00-1f) digits and one
 *        function digit (0-7).  Nothing else (no spaces, no paths).
 * @ret_addr: on success the lower-case "dddd:bb:dd.f".
 * Returns 0 or -EINVAL.
 */
int mvl_pci_addr_parse(const char *text, char ret_addr[MVL_PCI_ADDR_LEN]);

/**
 * mvl_vf_name_parse - check the name of a VF that has no PCI function.
 * @text: "<pf>:vf<N>": a netdev name, ":vf" and the VF index in decimal
 *        (0..MVL_VF_INDEX_MAX, no sign, no leading zero), e.g. "eni1np1:vf0".
 * @ret_pf: when not NULL, the PF's netdev name.
 * @ret_vf: when not NULL, the index.
 * Returns 0 or -EINVAL.  The name never parses as a netdev name (those have
 * no ':') nor as a PCI address.
 */
int mvl_vf_name_parse(const char *text, char ret_pf[MVL_IFNAMSIZ], unsigned *ret_vf);

/**
 * mvl_sriov_enable - create @num_vfs VFs on a PF.
 * @pf: the PF's netdev name or PCI address.  A netdev whose device is not
 *      a PCI function but has sriov_numvfs (netdevsim) is a PF as well; it
 *      has no autoprobe setting and may not report sriov_totalvfs.
 *
 * Writes sriov_drivers_autoprobe=0 first, so that the new VFs stay off host
 * drivers (mvlink binds each one explicitly; the setting is kept), then
 * sriov_numvfs.  The kernel only changes the count 0 -> N: a PF that already
 * has a different number of VFs gives -EBUSY ("disable first"); the same
 * number is success with nothing done.  On failure autoprobe is restored.
 * Returns 1 when VFs were created, 0 when they were there, or a negative
 * errno (-ERANGE: more than sriov_totalvfs).
 */
int mvl_sriov_enable(struct mvl_ctx *ctx, const char *pf, unsigned num_vfs);
/**
 * mvl_sriov_disable - remove every VF of a PF (sriov_numvfs = 0).
 * Refused with -EBUSY while one of its VFs is attached (has a journal) or is
 * bound to vfio-pci by someone else.  Returns 1 when VFs were removed, 0
 * when there were none, or a negative errno.
 */
int mvl_sriov_disable(struct mvl_ctx *ctx, const char *pf);

/* A setting that is left alone (UNSET), switched on or switched off. */
enum mvl_tristate {
	MVL_UNSET = 0,
	MVL_ON = 1,
	MVL_OFF = 2,
};

enum mvl_vf_link_state {
	MVL_VF_LINK_UNSET = 0,
	MVL_VF_LINK_AUTO = 1,    /* follows the PF's link */
	MVL_VF_LINK_ENABLE = 2,  /* always up */
	MVL_VF_LINK_DISABLE = 3, /* always down */
};
/** "auto", "enable", "disable" or NULL. */
const char *mvl_vf_link_state_to_string(enum mvl_vf_link_state state);
/** The state, or -EINVAL for an unknown name. */
int mvl_vf_link_state_from_string(const char *s);

enum mvl_vlan_proto {
	MVL_VLAN_PROTO_DEFAULT = 0, /* 802.1Q */
	MVL_VLAN_PROTO_8021Q = 1,
	MVL_VLAN_PROTO_8021AD = 2,
};
/** "802.1Q", "802.1ad" or NULL. */
const char *mvl_vlan_proto_to_string(enum mvl_vlan_proto proto);
/** The protocol ("802.1Q"/"802.1ad", any case), or -EINVAL. */
int mvl_vlan_proto_from_string(const char *s);

/* flags of struct mvl_vf_opts */
enum {
	/* Only configure the VF through its PF; leave it on its host driver
	 * (no vfio-pci, no /dev/vfio). */
	MVL_VF_NO_VFIO = 1u << 0,
	/* Bind even the device that carries the host's default route. */
	MVL_VF_FORCE = 1u << 1,
	/* .vlan, .qos and .vlan_proto are set (.vlan 0 clears the VLAN). */
	MVL_VF_VLAN = 1u << 2,
	/* .min_tx_rate is set. */
	MVL_VF_MIN_RATE = 1u << 3,
	/* .max_tx_rate is set. */
	MVL_VF_MAX_RATE = 1u << 4,
	/* chown /dev/vfio/<group> to .owner. */
	MVL_VF_OWNER = 1u << 5,
	/* chgrp /dev/vfio/<group> to .group. */
	MVL_VF_GROUP = 1u << 6,
};

struct mvl_vf_opts {
	size_t sz;              /* sizeof(struct mvl_vf_opts) */
	const char *vm_id;      /* required */
	const char *pf;         /* required: the PF's netdev name or PCI address */
	int vf;                 /* VF index, or -1: the first free VF */
	const uint8_t *mac;     /* admin MAC (6 bytes); NULL: unchanged */
	unsigned vlan;          /* with MVL_VF_VLAN: 0..4094 */
	unsigned qos;           /* with MVL_VF_VLAN: 0..7 (needs a VLAN) */
	enum mvl_vlan_proto vlan_proto; /* with MVL_VF_VLAN */
	enum mvl_tristate spoofchk;
	enum mvl_tristate trust;
	enum mvl_vf_link_state link_state;
	unsigned min_tx_rate;   /* Mbps, with MVL_VF_MIN_RATE (0: no minimum) */
	unsigned max_tx_rate;   /* Mbps, with MVL_VF_MAX_RATE (0: no limit) */
	uid_t owner;            /* with MVL_VF_OWNER */
	gid_t group;            /* with MVL_VF_GROUP */
	unsigned flags;         /* MVL_VF_* */
	/* Whether the VF may query the PF's RSS redirection table and hash
	 * key (IFLA_VF_RSS_QUERY_EN; some NICs share them between VFs). */
	enum mvl_tristate query_rss;
};

/**
 * mvl_vf_attach - give an SR-IOV VF to a VM.
 *
 * Picks the VF (.vf, or the first VF that has no journal and is not bound
 * to vfio-pci), takes its lock, refuses when the PF's netdev is down, and
 * journals the VF's original state.  Then sets each requested attribute
 * in its own request to the PF (MAC, VLAN/QoS/protocol, spoofchk, trust,
 * link state, rates, RSS query), so that a refusal names the attribute; reads them
 * back; binds the VF to vfio-pci (loading the module when needed) after
 * checking that its IOMMU group holds no device on a host driver and that
 * it does not carry the host's default route; and chowns /dev/vfio/<group>
 * when asked.  On failure everything is undone in reverse order.
 *
 * A PF that is not a PCI device but whose device has VFs (netdevsim) is a
 * PF too: its VFs are settings of the PF only, so MVL_VF_NO_VFIO is
 * required (else -EOPNOTSUPP).
 *
 * The interface's name is the VF's PCI address (for a VF without PCI
 * function "<pf>:vf<N>"), its link the PF, its devnode "/dev/vfio/<group>"
 * (NULL with MVL_VF_NO_VFIO).
 * Returns 0 or a negative errno.
 */
int mvl_vf_attach(struct mvl_ctx *ctx, const struct mvl_vf_opts *opts,
		  struct mvl_iface **ret_iface);

/* flags of struct mvl_pci_opts */
enum {
	MVL_PCI_FORCE = 1u << 0, /* as MVL_VF_FORCE */
	MVL_PCI_OWNER = 1u << 1, /* chown /dev/vfio/<group> to .owner */
	MVL_PCI_GROUP = 1u << 2, /* chgrp /dev/vfio/<group> to .group */
};

struct mvl_pci_opts {
	size_t sz;          /* sizeof(struct mvl_pci_opts) */
	const char *vm_id;  /* required */
	const char *device; /* required: PCI address */
	uid_t owner;        /* with MVL_PCI_OWNER */
	gid_t group;        /* with MVL_PCI_GROUP */
	unsigned flags;     /* MVL_PCI_* */
};

/**
 * mvl_pci_attach - bind a whole PCI device to vfio-pci for a VM, with the
 * same checks, journal and restore as mvl_vf_attach().  A PF with VFs
 * enabled is refused.  Returns 0 or a negative errno.
 */
int mvl_pci_attach(struct mvl_ctx *ctx, const struct mvl_pci_opts *opts,
		   struct mvl_iface **ret_iface);

/* flags of mvl_recover() */
enum {
	MVL_RECOVER_DRY_RUN = 1u << 0, /* only count what would be restored */
};

/**
 * mvl_recover - finish what crashed processes left half done.
 *
 * Crash safety.  Every create (tap, bridge, macvtap, VF, PCI device) takes
 * host-wide locks before its first change and holds them to its end:
 * flock()s on <state_dir>/locks/<kind>-<name>.lock for the bridge, the
 * uplink or lower device it changes, the interface name, the PCI function
 * (always in that order, so that no two processes wait for each other; at
 * most 5 s in all, then -EBUSY "busy: another mvlink process holds ...").
 * Deletions take the same locks.  Before a change that a crash would leave
 * behind, a create writes what it is about to do into an intent journal,
 * atomically (temp file, fsync, rename; on tmpfs, where fsync does
 * nothing, the fsyncs are left out): for VFs and PCI devices
 * <state_dir>/vf|pci/<name>.json; for links <state_dir>/links/<op>-<id>.json,
 * naming every link it creates or changes by name, kind and ifindex (mvlink
 * chooses the ifindex of a link it creates, at random above 2^20, so the
 * journal can name it before it exists).  A tap needs no journal of its
 * own: until its last step (TUNSETPERSIST for a persistent one) the kernel
 * removes it with the process's fds.  The journal goes once the create
 * completed, or was undone.
 *
 * mvl_recover() undoes every journal of this network namespace whose
 * locks are free (its process is gone) and that is not a completed VF/PCI
 * attachment, in reverse order, touching a link only while it still is
 * the one named (name, ifindex, kind, and untagged or tagged for the
 * journal's VM): the tap or macvtap is deleted, an adopted macvtap's node
 * gets its owner back, a passthru lower device its MAC and down state, the
 * uplink leaves the bridge, a bridge brought up goes down, a bridge created
 * is deleted (kept and tagged when someone put a port on it meanwhile).
 * It also removes private macvtap device nodes left by killed processes,
 * and (not with MVL_RECOVER_DRY_RUN) the entries of the state directory's
 * index (see mvl_vm_delete()) whose links are gone; these are not counted.
 * mvl_vm_delete() and mvl_gc() undo the journals of their VMs, and every
 * create first undoes a dead journal that names one of its locks.  A
 * crashed delete is finished by deleting again.
 *
 * @flags: MVL_RECOVER_DRY_RUN only counts.
 * Carries on past a failure (a truncated or corrupt journal gives -EBADMSG
 * naming the file and is never acted on) and returns the first error, else
 * the number of devices and creates restored.
 */
int mvl_recover(struct mvl_ctx *ctx, unsigned flags);

/* flags of mvl_gc() */
enum {
	MVL_GC_DRY_RUN = 1u << 0, /* only count what would be removed */
};

/**
 * mvl_gc - garbage-collect what mvlink made for VMs that are gone (the CNI
 * GC contract).
 * @keep_vm_ids: the VMs whose interfaces are still valid (@n_keep ids;
 *               duplicates are fine; NULL when @n_keep is 0).
 * @flags: MVL_GC_DRY_RUN only counts.
 *
 * Removes everything tagged for a VM that is not in @keep_vm_ids: its taps
 * and macvtaps (a passthru lower device gets its MAC and state back), its
 * VFs and PCI devices (released to their original drivers and settings,
 * from their journals), what crashed creates for it left (their intent
 * journals, see mvl_recover()), and bridges mvlink created for it once they
 * have no ports left.  A bridge that still has a port (an uplink, a kept
 * VM's tap, a device mvlink did not create) stays, its ports with it: an
 * uplink is released only by the undo of the create that enslaved it, as
 * mvl_vm_delete() and mvl_iface_delete() leave it too.  Nothing untagged
 * is ever touched; a corrupt journal is skipped
 * (whose it is cannot be told; mvl_recover() reports it).  The same locks
 * as the creates are taken, so a create running meanwhile finishes first.
 * Idempotent: a second run removes nothing.  With @n_keep 0 everything
 * mvlink made goes.  Without MVL_GC_DRY_RUN it also drops the index
 * entries (see mvl_vm_delete()) of links gone, of any VM, uncounted.
 *
 * Returns the number of objects removed (would be removed), or the first
 * error (carrying on past it); -EINVAL for an invalid id or unknown flags,
 * checked before anything is done.
 */
int mvl_gc(struct mvl_ctx *ctx, const char *const *keep_vm_ids, size_t n_keep, unsigned flags);

/*
 * Listing SR-IOV PFs and their VFs (mvlink sriov list).  Attributes the
 * kernel or driver does not report read as -1 / MVL_UNSET / NULL.
 */
struct mvl_sriov_list;
struct mvl_sriov_pf;
struct mvl_sriov_vf;

/**
 * mvl_sriov_list_new - every SR-IOV capable PF, or only @pf (netdev name or
 * PCI address; NULL for all), with its VFs.  All: the PCI functions with
 * sriov_totalvfs above 0 by address, then the netdevs of other devices
 * with sriov_numvfs (netdevsim) by name.  Returns 0 or a negative errno.
 */
int mvl_sriov_list_new(struct mvl_ctx *ctx, const char *pf, struct mvl_sriov_list **ret_list);
/** mvl_sriov_list_free - free @list with all its PF and VF entries: the
 * pointers and strings its getters returned become invalid.  NULL is fine.
 * Returns NULL. */
struct mvl_sriov_list *mvl_sriov_list_free(struct mvl_sriov_list *list);
/** mvl_sriov_list_count - the number of PFs in @list; 0 for a NULL @list. */
size_t mvl_sriov_list_count(const struct mvl_sriov_list *list);
/** mvl_sriov_list_get - PF @i of @list: borrowed, valid while @list lives
 * (as are the strings and VFs of its getters); NULL past the end or for a
 * NULL @list. */
const struct mvl_sriov_pf *mvl_sriov_list_get(const struct mvl_sriov_list *list, size_t i);

/** mvl_sriov_pf_get_addr - the PF's PCI address, or NULL when it is not a
 * PCI device (netdevsim) or @pf is NULL. */
const char *mvl_sriov_pf_get_addr(const struct mvl_sriov_pf *pf);
/** mvl_sriov_pf_get_ifname - the PF's netdev, or NULL (e.g. an NVMe PF, or
 * a NULL @pf). */
const char *mvl_sriov_pf_get_ifname(const struct mvl_sriov_pf *pf);
/** mvl_sriov_pf_get_driver - its driver, or NULL (unbound, NULL @pf). */
const char *mvl_sriov_pf_get_driver(const struct mvl_sriov_pf *pf);
/** mvl_sriov_pf_get_vendor_id - the PCI vendor id (e.g. 0x8086), or 0 when
 * unknown (no PCI device, libpci failed) or @pf is NULL. */
unsigned mvl_sriov_pf_get_vendor_id(const struct mvl_sriov_pf *pf);
/** mvl_sriov_pf_get_device_id - the PCI device id, or 0 when unknown (as
 * the vendor id) or @pf is NULL. */
unsigned mvl_sriov_pf_get_device_id(const struct mvl_sriov_pf *pf);
/** mvl_sriov_pf_get_vendor_name - the vendor's name from the PCI ID
 * database, or NULL when unknown/unavailable or @pf is NULL. */
const char *mvl_sriov_pf_get_vendor_name(const struct mvl_sriov_pf *pf);
/** mvl_sriov_pf_get_device_name - the device's name from the PCI ID
 * database, or NULL when unknown/unavailable or @pf is NULL. */
const char *mvl_sriov_pf_get_device_name(const struct mvl_sriov_pf *pf);
/** mvl_sriov_pf_get_numa_node - NUMA node, or -1 (unknown, NULL @pf). */
int mvl_sriov_pf_get_numa_node(const struct mvl_sriov_pf *pf);
/** mvl_sriov_pf_get_total_vfs - sriov_totalvfs; 0 when a PF that is no PCI
 * device does not say, and for a NULL @pf. */
unsigned mvl_sriov_pf_get_total_vfs(const struct mvl_sriov_pf *pf);
/** mvl_sriov_pf_get_num_vfs - number of VFs enabled (sriov_numvfs), also the
 * number of VF entries; 0 for a NULL @pf. */
unsigned mvl_sriov_pf_get_num_vfs(const struct mvl_sriov_pf *pf);
/** mvl_sriov_pf_get_vf - VF entry @i (0 .. num_vfs-1), borrowed from the
 * list; NULL past the end or for a NULL @pf. */
const struct mvl_sriov_vf *mvl_sriov_pf_get_vf(const struct mvl_sriov_pf *pf, unsigned i);

/** mvl_sriov_vf_get_index - the VF's index on its PF; 0 for a NULL @vf. */
unsigned mvl_sriov_vf_get_index(const struct mvl_sriov_vf *vf);
/** mvl_sriov_vf_get_addr - its PCI address; for a VF without PCI function
 * its name "<pf>:vf<N>"; NULL when sysfs does not say or @vf is NULL. */
const char *mvl_sriov_vf_get_addr(const struct mvl_sriov_vf *vf);
/** mvl_sriov_vf_get_driver - its driver ("vfio-pci", "iavf"...), or NULL
 * when unbound, without PCI function, or @vf is NULL. */
const char *mvl_sriov_vf_get_driver(const struct mvl_sriov_vf *vf);
/** mvl_sriov_vf_get_iommu_group - its IOMMU group, or -1 when it has none,
 * has no PCI function, or @vf is NULL. */
int mvl_sriov_vf_get_iommu_group(const struct mvl_sriov_vf *vf);
/** mvl_sriov_vf_get_vm_id - the VM it is attached to (from its journal), or
 * NULL (also for a NULL @vf). */
const char *mvl_sriov_vf_get_vm_id(const struct mvl_sriov_vf *vf);
/*
 * The getters below return what the PF's netdev reports for the VF
 * (IFLA_VF_INFO), or the "unknown" value they name when there is no PF
 * netdev, the kernel or driver did not report it, or @vf is NULL.
 */
/** mvl_sriov_vf_get_mac - the admin MAC (6 bytes, borrowed), or NULL when
 * unknown. */
const uint8_t *mvl_sriov_vf_get_mac(const struct mvl_sriov_vf *vf);
/** mvl_sriov_vf_get_vlan - VLAN id (0: none), or -1 when unknown. */
int mvl_sriov_vf_get_vlan(const struct mvl_sriov_vf *vf);
/** mvl_sriov_vf_get_qos - the VLAN QoS priority (0..7), or -1 when unknown. */
int mvl_sriov_vf_get_qos(const struct mvl_sriov_vf *vf);
/** mvl_sriov_vf_get_vlan_proto - MVL_VLAN_PROTO_8021Q or
 * MVL_VLAN_PROTO_8021AD; MVL_VLAN_PROTO_DEFAULT when unknown. */
enum mvl_vlan_proto mvl_sriov_vf_get_vlan_proto(const struct mvl_sriov_vf *vf);
/** mvl_sriov_vf_get_spoofchk - MVL_ON or MVL_OFF; MVL_UNSET when unknown. */
enum mvl_tristate mvl_sriov_vf_get_spoofchk(const struct mvl_sriov_vf *vf);
/** mvl_sriov_vf_get_trust - MVL_ON or MVL_OFF; MVL_UNSET when unknown. */
enum mvl_tristate mvl_sriov_vf_get_trust(const struct mvl_sriov_vf *vf);
/** mvl_sriov_vf_get_query_rss - whether the VF may query the RSS
 * configuration: MVL_ON or MVL_OFF; MVL_UNSET when unknown. */
enum mvl_tristate mvl_sriov_vf_get_query_rss(const struct mvl_sriov_vf *vf);
/** mvl_sriov_vf_get_link_state - MVL_VF_LINK_AUTO, _ENABLE or _DISABLE;
 * MVL_VF_LINK_UNSET when unknown. */
enum mvl_vf_link_state mvl_sriov_vf_get_link_state(const struct mvl_sriov_vf *vf);
/** mvl_sriov_vf_get_min_tx_rate - minimum TX rate in Mbps (0: none), or -1
 * when unknown. */
long mvl_sriov_vf_get_min_tx_rate(const struct mvl_sriov_vf *vf);
/** mvl_sriov_vf_get_max_tx_rate - maximum TX rate in Mbps (0: no limit), or
 * -1 when unknown. */
long mvl_sriov_vf_get_max_tx_rate(const struct mvl_sriov_vf *vf);

#ifdef __cplusplus
}
#endif

#endif /* MVLINK_H */
