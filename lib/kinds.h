/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/kinds.h - layer 4 (kinds): the link kinds mvlink creates (kind.c,
 * bridge.c, tap.c, macvtap.c, ifindex.c).  See lib/base.h.
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
	const char *kind;        /* IFLA_INFO_KIND: "tun", "macvtap", "bridge" */
	enum mvl_mode mode;      /* the mode of its tag */
	enum mvl_lj_op jop;      /* the op of its create's journal */
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
extern const struct mvl_link_kind mvl_tap_kind, mvl_macvtap_kind, mvl_bridge_kind;
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

/* ---- macvtap.c: the steps of a macvtap create (create.c orders them) - */
struct mvl_macvtap_want {
	const struct mvl_macvtap_opts *o;
	int mode;                   /* MVL_MACVTAP_* */
	struct mvl_link_info lower; /* as found before any change */
	uint8_t mac[6];             /* the macvtap's MAC */
	bool fixed_mac;             /* given by the caller: must match on adopt */
	unsigned queues;            /* fds to open (0 with MVL_MACVTAP_NO_FDS) */
	int tun_flags;              /* TUNSETIFF flags of every fd */
	char tag[256];
};
/* What a create changed, for its undo. */
struct mvl_macvtap_done {
	bool lower_brought_up;
	int created;           /* ifindex of the macvtap we created, 0 for none */
	bool passthru_mac_set; /* the lower's MAC was changed through it */
	struct mvl_tapdev_owner owner; /* the node's owner and mode before */
	int *fds;
	unsigned n_fds;
};
struct mvl_macvtap_op {
	struct mvl_macvtap_want w;
	struct mvl_macvtap_done d;
	bool is_template, passthru;
	bool optimistic;       /* create at once, look only at a taken name */
	const char *name;
	struct mvl_link_journal *j;
	bool adopted;          /* an existing macvtap of the VM */
	int ifindex;
	bool have_node;
	struct mvl_tapdev_node node;
};
/* Check w.o; the mode, queues, flags and fd array. */
int mvl_macvtap_prepare(struct mvl_ctx *ctx, struct mvl_macvtap_op *op);
/* The lower device (checked), the MAC, the tag; whether to be optimistic. */
int mvl_macvtap_look(struct mvl_ctx *ctx, struct mvl_macvtap_op *op);
/* Not optimistic: an existing link named op->name, adopted if it is ours
 * as asked (else -EEXIST with why). */
int mvl_macvtap_find(struct mvl_ctx *ctx, struct mvl_macvtap_op *op);
/* The lower's other macvlan/macvtap children, and its being down. */
int mvl_macvtap_check(struct mvl_ctx *ctx, struct mvl_macvtap_op *op);
/* The journal (j->link named by the caller for a new macvtap) completed
 * and written; an adopted macvtap indexed and its node looked at. */
int mvl_macvtap_plan(struct mvl_ctx *ctx, struct mvl_macvtap_op *op);
/* The lower brought up, the macvtap created (indexed first); 1 when an
 * optimistic create found the name taken, having changed nothing. */
int mvl_macvtap_make(struct mvl_ctx *ctx, struct mvl_macvtap_op *op);
/* The queues opened, the node handed over. */
int mvl_macvtap_open(struct mvl_ctx *ctx, struct mvl_macvtap_op *op);
/* The interface to return, without its fds yet. */
int mvl_macvtap_result(struct mvl_ctx *ctx, struct mvl_macvtap_op *op, struct mvl_iface **ret);
/* Hand the queues to @iface (the create is complete). */
void mvl_macvtap_done(struct mvl_ctx *ctx, struct mvl_macvtap_op *op, struct mvl_iface *iface);
/* Undo what the steps did (an mvl_txn undo). */
void mvl_macvtap_undo(struct mvl_ctx *ctx, void *op);
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
