// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * create.c - the public creates, each a list of its kind's steps (tap.c,
 * bridge.c; vtap.c with macvtap.c or ipvtap.c) on a transaction (txn.c):
 * the locks and the recovery of what crashed creates left on them, the
 * name, the journal; every step's undo pushed, done in reverse when a
 * later one fails.
 */
#include "operations.h"

/* The start of every public create: 0, or the error of a bad call. */
static int create_enter(struct mvl_ctx *ctx, struct mvl_iface **ret_iface)
{
	int r = mvl_ctx_enter(ctx);

	if (r < 0)
		return r;
	return ret_iface ? 0 : mvl_fail(ctx, -EINVAL, "ret_iface is NULL");
}

static void bridge_undo(struct mvl_ctx *ctx, void *st)
{
	mvl_bridge_undo(ctx, st);
}

MVL_EXPORT int mvl_bridge_ensure(struct mvl_ctx *ctx, const struct mvl_bridge_opts *opts)
{
	struct mvl_bridge_state st;
	struct mvl_txn t;
	int r = mvl_ctx_enter(ctx), u;

	if (r < 0)
		return r;
	if (!MVL_OPTS_VALID(opts, struct mvl_bridge_opts, name))
		return mvl_fail(ctx, -EINVAL, "invalid struct mvl_bridge_opts (size or trailing bytes)");
	if (mvl_ifname_check(opts->name) < 0)
		return mvl_fail(ctx, -EINVAL, "invalid bridge name '%s'", opts->name ? opts->name : "");
	if (opts->uplink && mvl_ifname_check(opts->uplink) < 0)
		return mvl_fail(ctx, -EINVAL, "invalid uplink name '%s'", opts->uplink);
	if (opts->vm_id && mvl_vm_id_check(opts->vm_id) < 0)
		return mvl_fail_vm_id(ctx, opts->vm_id, NULL);
	mvl_txn_init(&t, mvl_bridge_kind.jop, opts->vm_id);
	mvl_txn_lock(&t, MVL_LOCK_BRIDGE, opts->name);
	if (opts->uplink)
		mvl_txn_lock(&t, MVL_LOCK_UPLINK, opts->uplink);
	r = mvl_txn_begin(ctx, &t);
	if (r < 0)
		return r;
	r = mvl_bridge_ensure_internal(ctx, opts, &st, &t.j);
	if (r < 0)
		goto fail;
	mvl_txn_on_undo(&t, bridge_undo, &st);
	/* the last step: from here on a crash leaves a finished bridge */
	u = mvl_txn_commit(ctx, &t);
	if (u < 0) {
		r = u;
		goto fail;
	}
	mvl_txn_end(&t);
	return r;
fail:
	mvl_txn_abort(ctx, &t);
	return r;
}

/*
 * A tap (tap.c has the order and the reasons):
 *   0. the locks (bridge, uplink, name), what crashed creates left on them
 *      undone; the name (a template's lowest free number)
 *   1. the bridge and uplink ensured (journaled first)
 *   2-6. the tap created with the ifindex chosen (indexed first), or an
 *      existing one of the VM adopted; its queues, owner, MAC, MTU, tag,
 *      master, up; persistent
 *   7. the journal (if the bridge wrote one) removed
 */
MVL_EXPORT int mvl_tap_create(struct mvl_ctx *ctx, const struct mvl_tap_opts *o,
			      struct mvl_iface **ret_iface)
{
	struct mvl_tap_op w = { .o = o };
	struct mvl_iface *iface = NULL;
	struct mvl_txn t;
	int r;

	r = create_enter(ctx, ret_iface);
	if (r < 0)
		return r;
	r = mvl_tap_prepare(ctx, &w);
	if (r < 0)
		return r;

	/* 0. the locks (bridge, uplink, name: in this order), and what
	 * crashed processes left on them undone; then the name */
	mvl_txn_init(&t, mvl_tap_kind.jop, o->vm_id);
	if (o->bridge)
		mvl_txn_lock(&t, MVL_LOCK_BRIDGE, o->bridge);
	if (o->uplink)
		mvl_txn_lock(&t, MVL_LOCK_UPLINK, o->uplink);
	if (!w.is_template)
		mvl_txn_lock(&t, MVL_LOCK_NAME, o->name);
	r = mvl_txn_begin(ctx, &t);
	if (r < 0)
		goto out;
	r = mvl_txn_name(ctx, &t, o->name, w.is_template);
	if (r < 0)
		goto fail;
	w.name = t.name;
	w.j = &t.j;
	mvl_txn_new_link(ctx, &t, mvl_tap_kind.kind);

	/* 1. the bridge */
	if (o->bridge) {
		r = mvl_tap_bridge(ctx, &w);
		if (r < 0)
			goto fail;
		mvl_txn_on_undo(&t, mvl_tap_unbridge, &w);
	}
	/* 2-6. the tap */
	r = mvl_tap_make(ctx, &w);
	if (r < 0)
		goto fail;
	mvl_txn_on_undo(&t, mvl_tap_unmake, &w);
	r = mvl_tap_result(ctx, &w, &iface);
	if (r < 0)
		goto fail;
	/* 7. the journal of the bridge's changes, if any, removed: the last
	 * step (a persistent tap was complete at TUNSETPERSIST) */
	r = mvl_txn_commit(ctx, &t);
	if (r < 0) {
		mvl_iface_unref(iface);
		goto fail;
	}
	mvl_tap_done(ctx, &w, iface);
	*ret_iface = iface;
	mvl_txn_end(&t);
	return 0;
fail:
	mvl_txn_abort(ctx, &t);
out:
	free(w.fds);
	return r;
}

/*
 * A tap on a lower device, macvtap or ipvtap (vtap.c has the order and
 * the reasons, the kinds' files what they add):
 *   0. checks that change nothing (the options; after the locks, the lower
 *      device, the name: free, or our own link as asked, adopted; the
 *      lower's other children); the locks (the lower when it may change,
 *      the name or a template's lowest free number), what crashed creates
 *      left on them undone
 *   1. the journal: the link with the ifindex chosen for it, the lower's
 *      MAC and up state, an adopted link's node
 *   2. the lower up (LINK_UP only)
 *   3, 4. the link created (indexed first), tagged; the kind's steps after
 *      it (passthru's MAC, ipvtap's addresses)
 *   5-7. its queues opened, its node handed over
 *   8. the journal removed: the last step
 */
static int vtap_create(struct mvl_ctx *ctx, struct mvl_vtap_op *op, const char *opts_type,
		       struct mvl_iface **ret_iface)
{
	struct mvl_iface *iface = NULL;
	struct mvl_txn t;
	int r = create_enter(ctx, ret_iface);

	if (r < 0)
		return r;
	if (!op)
		return mvl_fail(ctx, -EINVAL, "invalid %s (size or trailing bytes)", opts_type);
	r = mvl_vtap_prepare(ctx, op);
	if (r < 0)
		goto out;

	/* 0. the locks (the lower device when it may be changed, the name),
	 * and what crashed processes left on them undone, before looking */
	mvl_txn_init(&t, op->vk->row->jop, op->vm_id);
	if (op->lock_lower)
		mvl_txn_lock(&t, MVL_LOCK_UPLINK, op->link);
	if (!op->is_template)
		mvl_txn_lock(&t, MVL_LOCK_NAME, op->want_name);
	r = mvl_txn_begin(ctx, &t);
	if (r < 0)
		goto out;
	op->j = &t.j;
	mvl_txn_on_undo(&t, mvl_vtap_undo, op);
	r = mvl_vtap_look(ctx, op);
	/* once more only when an optimistic create found the name taken */
	while (r == 0) {
		r = mvl_txn_name(ctx, &t, op->want_name, op->is_template);
		op->name = t.name;
		if (r == 0)
			r = mvl_vtap_find(ctx, op);
		if (r == 0)
			r = mvl_vtap_check(ctx, op);
		if (r < 0)
			break;
		/* 1. the journal */
		if (!op->adopted)
			mvl_txn_new_link(ctx, &t, op->vk->row->kind);
		r = mvl_vtap_plan(ctx, op);
		/* 2-4. the lower up, the link */
		if (r == 0)
			r = mvl_vtap_make(ctx, op);
		if (r != 1)
			break;
		op->optimistic = false;
		mvl_index_remove(ctx, op->vm_id, t.j.link.ifindex);
		r = mvl_txn_restart(ctx, &t);
	}
	/* 5-7. the queues, the node's owner */
	if (r == 0)
		r = mvl_vtap_open(ctx, op);
	if (r == 0)
		r = mvl_vtap_result(ctx, op, &iface);
	if (r < 0)
		goto fail;
	/* 8. the last step: from here on a crash leaves a complete link */
	r = mvl_txn_commit(ctx, &t);
	if (r < 0) {
		mvl_iface_unref(iface);
		goto fail;
	}
	mvl_vtap_done(ctx, op, iface);
	*ret_iface = iface;
	mvl_txn_end(&t);
	return 0;
fail:
	mvl_txn_abort(ctx, &t);
out:
	free(op->fds);
	return r;
}

/* The op of valid options @o of type @T for kind @vk, else NULL. */
#define VTAP_OP(o, T, vk) (MVL_OPTS_VALID(o, T, link) ? &MVL_VTAP_OP(vk, o) : NULL)

MVL_EXPORT int mvl_macvtap_create(struct mvl_ctx *ctx, const struct mvl_macvtap_opts *o,
				  struct mvl_iface **ret_iface)
{
	return vtap_create(ctx, VTAP_OP(o, struct mvl_macvtap_opts, &mvl_macvtap_vtap),
			   "struct mvl_macvtap_opts", ret_iface);
}

MVL_EXPORT int mvl_ipvtap_create(struct mvl_ctx *ctx, const struct mvl_ipvtap_opts *o,
				 struct mvl_iface **ret_iface)
{
	return vtap_create(ctx, VTAP_OP(o, struct mvl_ipvtap_opts, &mvl_ipvtap_vtap),
			   "struct mvl_ipvtap_opts", ret_iface);
}
