// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * delete.c - deleting mvlink's links: one by name, a VM's or many VMs'
 * (with what crashed creates left for them, and their VFs and PCI
 * devices).  Only links tagged by mvlink are deleted, each under the locks
 * its create held, and only while it is still the link that was found.
 */
#include "operations.h"
#include "testhooks.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int mvl_link_delete_locked(struct mvl_ctx *ctx, const struct mvl_link_info *li)
{
	const struct mvl_link_kind *k = mvl_link_kind_by_name(li->kind), *kn;
	struct mvl_lockset set;
	struct mvl_link_info now;
	int r;

	mvl_lockset_init(&set);
	r = mvl_lockset_add(&set, mvl_link_lock_kind(li), li->name);
	/* (a passthru macvtap: its lower device, which gets its state back) */
	if (r == 0 && k && k->delete_locks)
		r = k->delete_locks(ctx, li, &set);
	if (r < 0)
		return mvl_fail(ctx, r, "cannot lock %s", li->name);
	r = mvl_lockset_take(ctx, &set, true);
	if (r < 0)
		return r;
	/* still the link that was found, with the same tag? */
	r = mvl_nl_link_get(ctx, NULL, li->ifindex, &now);
	if (r == -ENODEV)
		mvl_index_forget(ctx, li); /* gone: from the index too */
	if (r == -ENODEV ||
	    (r == 0 && (strcmp(now.name, li->name) != 0 || strcmp(now.alias, li->alias) != 0))) {
		r = 0;
		goto out;
	}
	if (r < 0) {
		r = mvl_fail_kernel(ctx, r, "cannot look up %s", li->name);
		goto out;
	}
	/* (a bridge is shared: only an empty one goes) */
	if (k && k->delete_check) {
		r = k->delete_check(ctx, &now);
		if (r < 0)
			goto out;
	}
	/* the kernel deletes what is stacked on a link with it */
	{
		char upper[IFNAMSIZ] = "";

		r = mvl_link_stacked(ctx, &now, upper, sizeof(upper));
		if (r < 0) {
			r = mvl_fail_kernel(ctx, r, "cannot list the devices on %s", li->name);
			goto out;
		}
		if (r > 0) {
			r = mvl_fail(ctx, -EBUSY,
				     "%s carries %s%s, which the kernel would delete with it; "
				     "not deleting %s (delete %s first)",
				     li->name, upper, r > 1 ? " and more" : "", li->name, upper);
			goto out;
		}
	}
	kn = mvl_link_kind_by_name(now.kind);
	if (kn && kn->delete_link)
		r = kn->delete_link(ctx, &now);
	else {
		r = mvl_nl_link_del(ctx, now.ifindex);
		if (r == -ENODEV)
			r = 0;
		else if (r < 0)
			r = mvl_fail_kernel(ctx, r, "cannot delete %s", li->name);
		else
			r = 1;
	}
	if (r >= 0)
		mvl_index_forget(ctx, &now);
out:
	mvl_lockset_drop(&set);
	return r;
}

/*
 * An untagged link may be one that a create is still making: the link
 * exists before its tag does, for as long as the create holds the name's
 * lock (the bridge's, for a bridge), which it took before making the link.
 * So a name whose lock file does not exist is foreign at once; else wait
 * for that lock, undoing on the way what a crashed create left under it,
 * and look again: 1 with *@li as it is now (the caller judges its tag), 0
 * when the link is gone, or -errno (-EBUSY: the lock's holder did not let
 * go in time; or undoing what a crashed create left failed).
 */
static int untagged_look_again(struct mvl_ctx *ctx, const char *name, struct mvl_link_info *li)
{
	enum mvl_lock_kind kind = mvl_link_lock_kind(li);
	struct mvl_lockset set;
	int r;

	if (!mvl_lock_known(ctx, kind, name))
		return 1;
	mvl_lockset_init(&set);
	r = mvl_lockset_add(&set, kind, name);
	if (r < 0)
		return mvl_fail(ctx, r, "cannot lock %s", name);
	r = mvl_locks_take_recover(ctx, &set);
	if (r == -EACCES || r == -EPERM || r == -EROFS)
		return 1; /* a caller who may not lock: judge the link as found */
	if (r < 0)
		return r; /* busy, or undoing a crashed create failed: say so */
	r = mvl_nl_link_get(ctx, name, 0, li);
	mvl_lockset_drop(&set);
	if (r == -ENODEV)
		return 0;
	if (r < 0)
		return mvl_fail_kernel(ctx, r, "cannot look up %s", name);
	return 1;
}

MVL_EXPORT int mvl_iface_delete(struct mvl_ctx *ctx, const char *name)
{
	struct mvl_link_info li;
	char vm[128], addr[MVL_PCI_ADDR_LEN];
	enum mvl_mode mode;
	int r;

	r = mvl_ctx_enter(ctx);
	if (r < 0)
		return r;
	/* a VF or PCI device is named by its address, a VF without PCI
	 * function "<pf>:vf<N>" (no netdev has a ':') */
	if (mvl_pci_addr_parse(name, addr) == 0)
		return mvl_vfio_release(ctx, addr);
	if (mvl_vf_name_parse(name, NULL, NULL) == 0)
		return mvl_vfio_release(ctx, name);
	if (mvl_ifname_check(name) < 0)
		return mvl_fail(ctx, -EINVAL, "invalid interface name '%s'", name ? name : "");
	r = mvl_nl_link_get(ctx, name, 0, &li);
	if (r == -ENODEV)
		return 0; /* already gone: done */
	if (r < 0)
		return mvl_fail_kernel(ctx, r, "cannot look up %s", name);
	if (mvl_tag_parse(li.alias, vm, sizeof(vm), &mode) != 1) {
		r = untagged_look_again(ctx, name, &li);
		if (r <= 0)
			return r;
		if (mvl_tag_parse(li.alias, vm, sizeof(vm), &mode) != 1)
			return mvl_fail(ctx, -EPERM,
					"%s was not created by mvlink (no mvlink tag%s%s%s); "
					"left untouched", name, li.alias[0] ? ", alias '" : "",
					li.alias, li.alias[0] ? "'" : "");
	}
	return mvl_link_delete_locked(ctx, &li);
}

/*
 * Deleting the links of VMs.  Each link deletion waits for an RCU grace
 * period (~17 ms), one after the other; links deleted in one RTM_DELLINK of
 * a link group (IFLA_GROUP) share one.  The kernel deletes every link of the
 * group in the namespace, so a group is used only when it provably holds
 * just our links: they move to a fresh random group, one dump checks that
 * no other link is in it, and any doubt or error falls back to deleting
 * them one by one (by ifindex).
 */

/*
 * One VM's links are deleted link by link, each looked up and deleted by
 * ifindex: no dump, so deleting a VM costs the same however many other
 * links the host has (a grace period per link).  The group's check is a
 * dump of every link, which the kernel cannot filter by group: with 5000
 * other links it costs more than the grace period it saves (a VM's two
 * taps: 18 ms through a group, 38 ms one by one with no other links; 43-52
 * ms and 38 ms with 5000).  The links of two or more VMs
 * (mvl_vm_delete_many(), mvl_gc()) go through a group once there are this
 * many.
 */
#define GROUP_DELETE_MIN 2

struct glink {
	const struct mvl_link_info *li;
	uint32_t old_group;
	bool moved;   /* now in the group */
	bool seen;    /* in the group at the check */
};

struct group_check {
	uint32_t group;
	struct glink *gl;  /* sorted by ifindex */
	size_t n;
	size_t n_seen, n_foreign;
	char foreign[IFNAMSIZ];
	size_t n_stacked;  /* links on one of ours: the kernel would delete them too */
};

static int cmp_glink(const void *a, const void *b)
{
	const struct glink *x = a, *y = b;

	return (x->li->ifindex > y->li->ifindex) - (x->li->ifindex < y->li->ifindex);
}

static void group_check_restart(void *data)
{
	struct group_check *gc = data;

	gc->n_seen = gc->n_foreign = gc->n_stacked = 0;
	for (size_t i = 0; i < gc->n; i++)
		gc->gl[i].seen = false;
}

static int group_check_cb(struct mvl_ctx *ctx, const struct mvl_link_info *li, void *data)
{
	struct group_check *gc = data;
	struct mvl_link_info key_li = { .ifindex = li->ifindex };
	struct glink key = { .li = &key_li }, *g;

	if (li->link > 0 && li->link != li->ifindex) {
		key_li.ifindex = li->link;
		g = bsearch(&key, gc->gl, gc->n, sizeof(*gc->gl), cmp_glink);
		if (g && g->moved)
			gc->n_stacked++;
		key_li.ifindex = li->ifindex;
	}
	if (li->group != gc->group)
		return 0;
	g = bsearch(&key, gc->gl, gc->n, sizeof(*gc->gl), cmp_glink);
	if (g && g->moved && strcmp(g->li->alias, li->alias) == 0) {
		g->seen = true;
		gc->n_seen++;
	} else if (gc->n_foreign++ == 0) {
		snprintf(gc->foreign, sizeof(gc->foreign), "%s", li->name);
	}
	return 0;
}

/*
 * Delete the links of @gl through a link group.  Returns the number deleted,
 * or -EAGAIN when it could not be done safely (nothing was deleted, some
 * links may be in the group: the caller deletes them one by one).
 */
static int group_delete(struct mvl_ctx *ctx, struct glink *gl, size_t n)
{
	struct group_check gc = { .gl = gl, .n = n };
	size_t moved = 0;
	int r;

	qsort(gl, n, sizeof(*gl), cmp_glink);
	gc.group = mvl_ctx_test(ctx)->delete_group;
	while (gc.group == 0) {
		r = mvl_random_bytes(&gc.group, sizeof(gc.group));
		if (r < 0)
			return -EAGAIN;
	}
	for (size_t i = 0; i < n; i++) {
		r = mvl_nl_link_set_group(ctx, gl[i].li->ifindex, gc.group);
		if (r == -ENODEV)
			continue; /* gone meanwhile */
		if (r < 0) {
			dbg(ctx, "cannot move %s to link group %u: %s; deleting one by one",
			    gl[i].li->name, gc.group, MVL_STRERROR(r));
			return -EAGAIN;
		}
		gl[i].moved = true;
		moved++;
	}
	if (!moved)
		return 0;
	r = mvl_nl_link_dump_kind(ctx, NULL, group_check_cb, group_check_restart, &gc);
	if (r < 0) {
		dbg(ctx, "cannot check link group %u: %s; deleting one by one", gc.group,
		    MVL_STRERROR(r));
		return -EAGAIN;
	}
	if (gc.n_foreign) {
		dbg(ctx, "link group %u also holds %s%s; deleting one by one", gc.group,
		    gc.foreign, gc.n_foreign > 1 ? " (and more)" : "");
		return -EAGAIN;
	}
	if (gc.n_stacked) {
		dbg(ctx, "%zu links are stacked on those of link group %u; deleting one by one",
		    gc.n_stacked, gc.group);
		return -EAGAIN;
	}
	if (!gc.n_seen)
		return 0;
	r = mvl_nl_link_del_group(ctx, gc.group);
	if (r == -ENODEV)
		return 0;
	if (r < 0) {
		dbg(ctx, "cannot delete link group %u: %s; deleting one by one", gc.group,
		    MVL_STRERROR(r));
		return -EAGAIN;
	}
	for (size_t i = 0; i < n; i++)
		if (gl[i].seen)
			mvl_index_forget(ctx, gl[i].li);
	dbg(ctx, "deleted %zu links in one request (link group %u)", gc.n_seen, gc.group);
	return (int)gc.n_seen;
}

static bool group_deletable(const struct mvl_link_info *li)
{
	const struct mvl_link_kind *k = mvl_link_kind_by_name(li->kind);

	return k && k->group_deletable && k->group_deletable(li);
}

struct sorted_ids {
	const char **ids;
	size_t n;
};

static bool vm_in_ids(const char *vm_id, void *data)
{
	const struct sorted_ids *si = data;

	return bsearch(&vm_id, si->ids, si->n, sizeof(*si->ids), cmp_str) != NULL;
}

static int found_cb(struct mvl_ctx *ctx, const char *addr, void *data)
{
	(void)ctx;
	(void)addr;
	(void)data;
	return 1;
}

/* A few VMs' links are found through the index, a lookup by ifindex per
 * link; more VMs than this (a bulk teardown, gc) through the kernel's
 * lists of taps and macvtaps (and ipvtaps, where the kernel has them): a
 * dump per kind whatever the number of VMs. */
#define INDEX_MAX_IDS 16

/* The tagged links of @ids (sorted) into @lv. */
static int vm_links(struct mvl_ctx *ctx, const char **ids, size_t n_ids, struct mvl_link_vec *lv)
{
	bool complete = mvl_index_complete(ctx);
	int r = 0;

	if (complete && n_ids <= INDEX_MAX_IDS) {
		for (size_t i = 0; i < n_ids && r >= 0; i++)
			r = mvl_index_collect(ctx, ids[i], lv);
		return r;
	}
	/* walk them; when the index is not complete (a new host, a state
	 * directory removed, links made before it existed) index every
	 * tagged link on the way, then mark it complete */
	lv->index_all = !complete;
	r = mvl_links_collect(ctx, false, lv);
	if (r < 0)
		return mvl_fail_kernel(ctx, r, "cannot list links");
	if (!complete) {
		r = lv->index_err ?: mvl_index_set_complete(ctx);
		if (r < 0)
			dbg(ctx, "cannot index the links of this network namespace: %s; deleting "
			    "a VM walks the links", MVL_STRERROR(r));
		mvl_ctx_clear_error(ctx); /* no failure of the deletion */
		/* and a few VMs' entries of links gone (a crashed create):
		 * the links found here are in it */
		for (size_t i = 0; n_ids <= INDEX_MAX_IDS && i < n_ids; i++) {
			r = mvl_index_collect(ctx, ids[i], NULL);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* Delete every link tagged for one of @ids (sorted).  Carries on past a
 * failure and returns the first, else the number of links removed. */
static int delete_vms(struct mvl_ctx *ctx, const char **ids, size_t n_ids)
{
	struct mvl_link_vec lv = { .ids = ids, .n_ids = n_ids, .skip_shared = true };
	struct mvl_first_err fe = { 0 };
	struct glink *gl = NULL;
	int r = 0, removed = 0, any;
	size_t n_gl = 0;
	bool grouped = false;

	/* first what crashed creates for these VMs left (recover.c) */
	r = mvl_links_recover(ctx, vm_in_ids, &(struct sorted_ids){ ids, n_ids }, 0);
	if (r > 0)
		removed += r;
	else
		mvl_first_err_note(ctx, &fe, r);
	r = vm_links(ctx, ids, n_ids, &lv);
	if (r < 0) {
		free(lv.v);
		return r;
	}
	gl = calloc(lv.n ? lv.n : 1, sizeof(*gl));
	if (!gl) {
		free(lv.v);
		return mvl_fail(ctx, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < lv.n; i++)
		if (group_deletable(&lv.v[i]))
			gl[n_gl++] = (struct glink){ .li = &lv.v[i], .old_group = lv.v[i].group };
	/* @ids are sorted: they name two VMs or more when the first and the
	 * last differ (duplicates are fine) */
	if (n_gl >= GROUP_DELETE_MIN && strcmp(ids[0], ids[n_ids - 1]) != 0) {
		r = group_delete(ctx, gl, n_gl);
		if (r >= 0) {
			removed += r;
			grouped = true;
		}
		mvl_ctx_clear_error(ctx); /* a doubt is no failure: one by one below */
	}
	/* the rest (or all after a doubt) one by one; carry on past a
	 * failure: delete as much as possible, report the first */
	for (size_t i = 0; i < lv.n; i++) {
		if (grouped && group_deletable(&lv.v[i]))
			continue;
		r = mvl_link_delete_locked(ctx, &lv.v[i]);
		if (r > 0)
			removed++;
		else
			mvl_first_err_note(ctx, &fe, r);
	}
	/* a link that stays goes back to its own group */
	for (size_t i = 0; fe.err && i < n_gl; i++) {
		if (!gl[i].moved)
			continue;
		r = mvl_nl_link_set_group(ctx, gl[i].li->ifindex, gl[i].old_group);
		if (r < 0 && r != -ENODEV)
			mvl_undo_failed(ctx, "put %s back into link group %u: %s", gl[i].li->name,
					gl[i].old_group, MVL_STRERROR(r));
	}
	free(gl);
	free(lv.v);
	/* and the VFs and PCI devices their journals name (when there is any
	 * journal: one look instead of one per VM; an error is left to the
	 * look of each VM to report) */
	any = n_ids > 1 ? mvl_journal_foreach(ctx, found_cb, NULL) : 1;
	for (size_t i = 0; any != 0 && i < n_ids; i++) {
		r = mvl_vfio_release_vm(ctx, ids[i]);
		if (r > 0)
			removed += r;
		else
			mvl_first_err_note(ctx, &fe, r);
	}
	if (fe.err)
		return mvl_first_err_get(ctx, &fe);
	return removed;
}

/* Check @n VM ids and sort a copy of them into @ret. */
static int sorted_ids(struct mvl_ctx *ctx, const char *const *vm_ids, size_t n, const char ***ret)
{
	const char **ids;

	if (n && !vm_ids)
		return mvl_fail(ctx, -EINVAL, "vm_ids is NULL");
	for (size_t i = 0; i < n; i++)
		if (mvl_vm_id_check(vm_ids[i]) < 0)
			return mvl_fail_vm_id(ctx, vm_ids[i], NULL);
	ids = malloc((n ? n : 1) * sizeof(*ids));
	if (!ids)
		return mvl_fail(ctx, -ENOMEM, "out of memory");
	if (n)
		memcpy(ids, vm_ids, n * sizeof(*ids));
	qsort(ids, n, sizeof(*ids), cmp_str);
	*ret = ids;
	return 0;
}

MVL_EXPORT int mvl_vm_delete(struct mvl_ctx *ctx, const char *vm_id)
{
	int r;

	r = mvl_ctx_enter(ctx);
	if (r < 0)
		return r;
	if (mvl_vm_id_check(vm_id) < 0)
		return mvl_fail_vm_id(ctx, vm_id, NULL);
	return delete_vms(ctx, &vm_id, 1);
}

MVL_EXPORT int mvl_vm_delete_many(struct mvl_ctx *ctx, const char *const *vm_ids, size_t n)
{
	_cleanup_free_ const char **ids = NULL;
	int r;

	r = mvl_ctx_enter(ctx);
	if (r < 0)
		return r;
	r = sorted_ids(ctx, vm_ids, n, &ids);
	if (r < 0 || n == 0)
		return r;
	return delete_vms(ctx, ids, n);
}
