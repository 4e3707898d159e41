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
 *  - The library never writes to stdout or stderr: it logs through the
 *    context's log function (default: stderr at LOG_ERR, raised by the
 *    MVLINK_LOG environment variable or mvl_ctx_set_log_priority()).
 *  - A context belongs to the process that created it: after fork() every
 *    call on it fails with -ECHILD.  A context is not thread-safe; use one
 *    per thread.
 *  - Option structs start with their size (set .sz = sizeof(struct ...)):
 *    new fields are only ever appended, and unknown trailing bytes passed
 *    by a newer caller must be zero.
 *  - Every file descriptor the library returns has O_CLOEXEC set.
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
 * "debug", 3, 6, 7) and MVLINK_STATE_DIR (default "/run/mvlink").
 * Returns 0 or -ENOMEM.
 */
int mvl_ctx_new(struct mvl_ctx **ret_ctx);
/** mvl_ctx_ref - take a reference. Returns @ctx. */
struct mvl_ctx *mvl_ctx_ref(struct mvl_ctx *ctx);
/** mvl_ctx_unref - drop a reference; frees the context at zero. Returns NULL. */
struct mvl_ctx *mvl_ctx_unref(struct mvl_ctx *ctx);

typedef void (*mvl_log_fn)(struct mvl_ctx *ctx, int priority, const char *file, int line,
			   const char *fn, const char *format, va_list args);
/**
 * mvl_ctx_set_log_fn - route the library's log messages to @log_fn.
 * @log_fn: the function, or NULL to restore the default stderr sink.
 * @data: stored in the context, see mvl_ctx_get_log_data().
 */
void mvl_ctx_set_log_fn(struct mvl_ctx *ctx, mvl_log_fn log_fn, void *data);
void *mvl_ctx_get_log_data(struct mvl_ctx *ctx);
/** mvl_ctx_get_log_priority - the highest syslog priority that is logged. */
int mvl_ctx_get_log_priority(struct mvl_ctx *ctx);
void mvl_ctx_set_log_priority(struct mvl_ctx *ctx, int priority);

/**
 * mvl_ctx_get_error - the message of the last failed call on @ctx.
 *
 * Names the object, the value and the reason, e.g.
 * "bridge br0: cannot attach vm-3: the bridge already has the maximum of
 * 1024 ports (Exchange full)".  Valid until the next call on @ctx.  Never
 * NULL (empty when nothing failed yet).
 */
const char *mvl_ctx_get_error(struct mvl_ctx *ctx);
/**
 * mvl_ctx_get_undo_failed - whether the last failed call could not fully
 * undo its earlier steps (something was left behind; the log says what).
 */
bool mvl_ctx_get_undo_failed(struct mvl_ctx *ctx);

/**
 * mvl_ctx_set_state_dir - where journals and lock files live.
 * Default "/run/mvlink" or $MVLINK_STATE_DIR.  Returns 0, -EINVAL, -ENOMEM.
 */
int mvl_ctx_set_state_dir(struct mvl_ctx *ctx, const char *path);
const char *mvl_ctx_get_state_dir(struct mvl_ctx *ctx);
/**
 * mvl_ctx_set_sysfs_root - where sysfs is mounted (default "/sys").
 * Meant for tests on fake sysfs trees.  Returns 0, -EINVAL, -ENOMEM.
 */
int mvl_ctx_set_sysfs_root(struct mvl_ctx *ctx, const char *path);
const char *mvl_ctx_get_sysfs_root(struct mvl_ctx *ctx);
/**
 * mvl_ctx_set_dev_root - where device nodes live (default "/dev").
 * Meant for tests.  Returns 0, -EINVAL, -ENOMEM.
 */
int mvl_ctx_set_dev_root(struct mvl_ctx *ctx, const char *path);
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
 * mvl_ifname_check - a valid interface name: 1..15 bytes, no '/', ':',
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
};
/** mvl_mode_to_string - "tap", "macvtap", "sriov", "pci", "bridge" or NULL. */
const char *mvl_mode_to_string(enum mvl_mode mode);
/** mvl_mode_from_string - the inverse; MVL_MODE_NONE for an unknown string. */
enum mvl_mode mvl_mode_from_string(const char *s);

struct mvl_iface;

struct mvl_iface *mvl_iface_ref(struct mvl_iface *iface);
/** mvl_iface_unref - at zero closes every queue fd not taken; the kernel
 * objects stay (a non-persistent tap vanishes when its last fd closes). */
struct mvl_iface *mvl_iface_unref(struct mvl_iface *iface);
enum mvl_mode mvl_iface_get_mode(const struct mvl_iface *iface);
/** The interface name (a PCI address for MVL_MODE_SRIOV and MVL_MODE_PCI). */
const char *mvl_iface_get_name(const struct mvl_iface *iface);
/** The VM id the interface is tagged with. */
const char *mvl_iface_get_vm_id(const struct mvl_iface *iface);
/** The kernel ifindex, or 0 when the interface is not a netdev. */
int mvl_iface_get_ifindex(const struct mvl_iface *iface);
/** The interface's own MAC (macvtap: the guest's MAC; tap: the host side). */
const uint8_t *mvl_iface_get_mac(const struct mvl_iface *iface);
unsigned mvl_iface_get_mtu(const struct mvl_iface *iface);
/** The bridge (tap) or lower device (macvtap, PF for sriov), or NULL. */
const char *mvl_iface_get_link(const struct mvl_iface *iface);
/** Whether the create found the interface already there and adopted it. */
bool mvl_iface_get_adopted(const struct mvl_iface *iface);
/** Number of queue fds held (0 for a persistent tap opened by name). */
unsigned mvl_iface_get_queue_count(const struct mvl_iface *iface);
/** Queue fd @i, still owned by @iface, or -EINVAL. */
int mvl_iface_get_queue_fd(const struct mvl_iface *iface, unsigned i);
/** Take queue fd @i: the caller owns it from now on; or -EINVAL/-EBADF. */
int mvl_iface_take_queue_fd(struct mvl_iface *iface, unsigned i);
/** Device node the VMM opens (macvtap "/dev/tapN", vfio "/dev/vfio/N"), or NULL. */
const char *mvl_iface_get_devnode(const struct mvl_iface *iface);
/** IOMMU group for sriov/pci modes, else -1. */
int mvl_iface_get_iommu_group(const struct mvl_iface *iface);

/* ------------------------------------------------------------------------
 * Bridge + tap
 */

/* flags of struct mvl_tap_opts */
enum {
	/* Keep the tap after its fds close; VMMs that open taps by name
	 * (Firecracker) need this.  No queue fds are returned. */
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
 * side MAC (never the guest's: derived from .guest_mac with first byte 0xFE,
 * or random with 0xFE), MTU (explicit or the bridge's) and tag, attaches it
 * to the bridge and brings it up.
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
	const char *vm_id;  /* optional: tag a newly created bridge with it */
	const char *uplink; /* optional: enslave it */
	unsigned mtu;       /* optional: for a newly created bridge */
	unsigned flags;     /* MVL_BRIDGE_* */
};

/**
 * mvl_bridge_ensure - make sure bridge .name exists, is up and, when asked,
 * holds .uplink.  Returns 1 when it created the bridge, 0 when it was there,
 * or a negative errno (the bridge is then as it was).
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
const char *mvl_macvtap_mode_to_string(enum mvl_macvtap_mode mode);
/** Returns the mode, or -EINVAL for an unknown name. */
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
	const char *vm_id;         /* required */
	const char *name;          /* required: name or template */
	const char *link;          /* required: the lower device (the uplink) */
	const uint8_t *mac;        /* the guest's MAC; NULL = random local */
	enum mvl_macvtap_mode mode;
	const uint8_t (*source_macs)[6]; /* MVL_MACVTAP_SOURCE: allowed MACs */
	unsigned n_source_macs;
	unsigned mtu;              /* 0: the lower device's MTU */
	unsigned queues;           /* 0/1 single, N > 1 multi-queue */
	uid_t owner;
	gid_t group;
	unsigned flags;            /* MVL_MACVTAP_* */
};

/**
 * mvl_macvtap_create - create (or idempotently adopt) a macvtap on .link and
 * open its /dev/tapN once per queue.  Returns 0 or a negative errno.
 */
int mvl_macvtap_create(struct mvl_ctx *ctx, const struct mvl_macvtap_opts *opts,
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
size_t mvl_iface_list_count(const struct mvl_iface_list *list);
/** Borrowed pointer, valid while @list lives; NULL past the end. */
struct mvl_iface *mvl_iface_list_get(const struct mvl_iface_list *list, size_t i);
struct mvl_iface_list *mvl_iface_list_free(struct mvl_iface_list *list);

/**
 * mvl_iface_get - look up one interface by name (tagged or not).
 * Returns 0, -ENODEV when there is none, or a negative errno.
 */
int mvl_iface_get(struct mvl_ctx *ctx, const char *name, struct mvl_iface **ret_iface);

/**
 * mvl_iface_delete - delete (or release) the mvlink interface @name.
 * Idempotent: a name that does not exist is success (returns 0).  A device
 * that mvlink did not create is never touched: -EPERM with a message.
 * Returns 1 when something was removed, 0 when there was nothing to do.
 */
int mvl_iface_delete(struct mvl_ctx *ctx, const char *name);

/**
 * mvl_vm_delete - delete every interface tagged with @vm_id (and bridges
 * mvlink created for it that have no other ports).  Idempotent.  Returns
 * the number of objects removed, or a negative errno.
 */
int mvl_vm_delete(struct mvl_ctx *ctx, const char *vm_id);

#ifdef __cplusplus
}
#endif

#endif /* MVLINK_H */
