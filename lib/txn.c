// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * txn.c - a create as a transaction.  Every create does the same frame:
 * take its locks, undoing on the way what crashed creates left on them
 * (recover.c); pick the name (a template's lowest free number) and the
 * ifindex of its new link, which the intent journal names before the link
 * exists; do the kind's steps, pushing the undo of each; then commit (the
 * journal removed: the last step) or abort (the undos in reverse, the
 * journal dropped), and unlock.  The failure being undone stays the
 * error of the call: the undos run inside mvl_undo_begin()/end().
 */
#include "operations.h"

void mvl_txn_init(struct mvl_txn *t, enum mvl_lj_op op, const char *vm_id)
{
	*t = (struct mvl_txn){ .name_lock = -1, .j = { .op = op } };
	mvl_lockset_init(&t->locks);
	if (vm_id)
		snprintf(t->j.vm_id, sizeof(t->j.vm_id), "%s", vm_id);
}

void mvl_txn_lock(struct mvl_txn *t, enum mvl_lock_kind kind, const char *name)
{
	/* (names were checked; the set has room for a create's few) */
	mvl_lockset_add(&t->locks, kind, name);
}

int mvl_txn_begin(struct mvl_ctx *ctx, struct mvl_txn *t)
{
	return mvl_locks_take_recover(ctx, &t->locks);
}

int mvl_txn_name(struct mvl_ctx *ctx, struct mvl_txn *t, const char *name, bool is_template)
{
	int r = 0;

	if (is_template)
		r = mvl_name_pick(ctx, name, t->name, &t->name_lock);
	else
		snprintf(t->name, sizeof(t->name), "%s", name);
	snprintf(t->j.name, sizeof(t->j.name), "%s", t->name);
	return r;
}

void mvl_txn_new_link(struct mvl_ctx *ctx, struct mvl_txn *t, const char *kind)
{
	t->j.link = (struct mvl_lj_dev){ .set = true, .ifindex = mvl_link_pick_ifindex(ctx) };
	snprintf(t->j.link.name, sizeof(t->j.link.name), "%s", t->name);
	snprintf(t->j.link.kind, sizeof(t->j.link.kind), "%s", kind);
}

void mvl_txn_on_undo(struct mvl_txn *t, void (*fn)(struct mvl_ctx *ctx, void *data), void *data)
{
	if (t->n_undo < MVL_TXN_UNDO_MAX)
		t->undo[t->n_undo++] = (struct mvl_txn_undo){ fn, data };
}

int mvl_txn_commit(struct mvl_ctx *ctx, struct mvl_txn *t)
{
	return mvl_link_journal_remove(ctx, &t->j);
}

int mvl_txn_restart(struct mvl_ctx *ctx, struct mvl_txn *t)
{
	struct mvl_link_journal j = { .op = t->j.op };
	int r = mvl_link_journal_remove(ctx, &t->j);

	if (r < 0)
		return r;
	memcpy(j.vm_id, t->j.vm_id, sizeof(j.vm_id));
	t->j = j;
	return 0;
}

void mvl_txn_end(struct mvl_txn *t)
{
	mvl_lock_drop(&t->name_lock);
	mvl_lockset_drop(&t->locks);
}

void mvl_txn_abort(struct mvl_ctx *ctx, struct mvl_txn *t)
{
	mvl_undo_begin(ctx);
	while (t->n_undo > 0) {
		struct mvl_txn_undo *u = &t->undo[--t->n_undo];

		u->fn(ctx, u->data);
	}
	mvl_link_journal_drop(ctx, &t->j);
	mvl_undo_end(ctx);
	mvl_txn_end(t);
}

void mvl_link_journal_drop(struct mvl_ctx *ctx, struct mvl_link_journal *j)
{
	int r;

	if (!j->file[0])
		return;
	mvl_undo_begin(ctx);
	r = mvl_link_journal_remove(ctx, j);
	if (r < 0)
		mvl_undo_failed(ctx, "%s (mvlink recover removes it)", mvl_ctx_get_error(ctx));
	mvl_undo_end(ctx);
}

/* ------------------------------------------------------ names */

/* The lowest number of template @tmpl whose name is free and whose lock
 * another process does not hold; the lock is taken (without waiting: any
 * order is then safe). */
int mvl_name_pick(struct mvl_ctx *ctx, const char *tmpl, char name[IFNAMSIZ], int *ret_lock)
{
	const char *pct = strstr(tmpl, "%d");
	int r;

	for (unsigned n = 0; n < 100000; n++) {
		snprintf(name, IFNAMSIZ, "%.*s%u%s", (int)(pct - tmpl), tmpl, n, pct + 2);
		if (if_nametoindex(name) > 0)
			continue;
		r = mvl_lock_take(ctx, MVL_LOCK_NAME, name, false, false, ret_lock);
		if (r == -EBUSY)
			continue; /* being created or deleted right now */
		if (r < 0)
			return r;
		if (if_nametoindex(name) == 0)
			return 0;
		mvl_lock_drop(ret_lock);
	}
	return mvl_fail(ctx, -ENOSPC, "no free name for template '%s'", tmpl);
}
