/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/operations.h - layer 6 (operations): what the public API promises
 * (txn.c, create.c, delete.c, list.c, recover.c, gc.c).  See lib/base.h.
 */
#ifndef MVLINK_OPERATIONS_H
#define MVLINK_OPERATIONS_H

#include "devices.h"

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

/* ---- delete.c --------------------------------------------------------- */
/* Delete the tagged link @li (found by a listing) under its locks, if it is
 * still there with that tag; a bridge only without ports (-EBUSY).  1
 * deleted, 0 gone, -errno with a message. */
int mvl_link_delete_locked(struct mvl_ctx *ctx, const struct mvl_link_info *li);

/* ---- list.c ----------------------------------------------------------- */
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
/* The links of @vm_id that the index names, looked up by ifindex, into
 * @lv (NULL: only drop the entries of links gone). */
int mvl_index_collect(struct mvl_ctx *ctx, const char *vm_id, struct mvl_link_vec *lv);
/* Drop the entries of this namespace's index whose links are gone; 0, or
 * the first -errno with a message. */
int mvl_index_prune(struct mvl_ctx *ctx);
int mvl_link_vec_push(struct mvl_link_vec *lv, const struct mvl_link_info *li);
/* Collect into @lv the tagged links @lv asks for, of every kind mvlink
 * creates (kind.c; with @shared false not those VMs share, which are not
 * deleted with a VM): one dump filtered by kind in the kernel each.  0 or
 * a kernel -errno (no message). */
int mvl_links_collect(struct mvl_ctx *ctx, bool shared, struct mvl_link_vec *lv);
/* Devices stacked on @li (a VLAN, a macvlan... but not its master), which
 * the kernel would delete with it: their number, the first one's name in
 * @buf; or -errno. */
int mvl_link_stacked(struct mvl_ctx *ctx, const struct mvl_link_info *li, char *buf, size_t len);

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

#endif
