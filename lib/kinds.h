/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/kinds.h - layer 4 (kinds): the link kinds mvlink creates (kind.c,
 * bridge.c, tap.c, vtap.c, macvtap.c, ipvtap.c, ifindex.c).  See
 * lib/base.h.
 */
#ifndef MVLINK_KINDS_H
#define MVLINK_KINDS_H

#include "store.h"

/* ---- kind.c: one row per link kind ----------------------------------- */
/*
 * A link kind mvlink creates.  Each kind's file defines its row (tap.c:
 * mvl_tap_kind...); kind.c holds the table and the lookups, and generic
 * code (list, delete, recover, gc) dispatches through the row.
 */
struct mvl_link_kind {
	const char *kind;        /* IFLA_INFO_KIND: "tun", "macvtap", "ipvtap", "bridge" */
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

/* ---- macvtap.c -------------------------------------------------------- */
/* Delete an mvlink macvtap, restoring what passthru mode changed on its
 * lower device.  Returns 1 deleted, 0 already gone, negative errno. */
int mvl_macvtap_delete_link(struct mvl_ctx *ctx, const struct mvl_link_info *li);

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

#endif
