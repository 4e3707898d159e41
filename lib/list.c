// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * list.c - finding mvlink's links again by their tag, and deleting them.
 * Untagged (foreign) links are listed on request but never deleted.
 */
#include "libmvlink-private.h"

int mvl_iface_list_add(struct mvl_iface_list *list, struct mvl_iface *iface)
{
	if (list->n == list->cap) {
		size_t cap = list->cap ? list->cap * 2 : 16;
		struct mvl_iface **items = realloc(list->items, cap * sizeof(*items));

		if (!items)
			return -ENOMEM;
		list->items = items;
		list->cap = cap;
	}
	list->items[list->n++] = iface;
	return 0;
}

MVL_EXPORT size_t mvl_iface_list_count(const struct mvl_iface_list *list)
{
	return list ? list->n : 0;
}

MVL_EXPORT struct mvl_iface *mvl_iface_list_get(const struct mvl_iface_list *list, size_t i)
{
	if (!list || i >= list->n)
		return NULL;
	return list->items[i];
}

MVL_EXPORT struct mvl_iface_list *mvl_iface_list_free(struct mvl_iface_list *list)
{
	if (!list)
		return NULL;
	for (size_t i = 0; i < list->n; i++)
		mvl_iface_unref(list->items[i]);
	free(list->items);
	free(list);
	return NULL;
}

int mvl_iface_from_link(struct mvl_ctx *ctx, const struct mvl_link_info *li, const char *rel_name,
			struct mvl_iface **ret)
{
	const struct mvl_link_kind *k;
	struct mvl_iface *iface;
	char vm[128] = "";
	enum mvl_mode mode = MVL_MODE_NONE;

	if (mvl_tag_parse(li->alias, vm, sizeof(vm), &mode) != 1) {
		vm[0] = '\0';
		mode = MVL_MODE_NONE;
	}
	iface = mvl_iface_new(mode, li->name, vm[0] ? vm : NULL);
	if (!iface)
		return -ENOMEM;
	iface->ifindex = li->ifindex;
	iface->mtu = li->mtu;
	memcpy(iface->mac, li->mac, 6);
	if (mvl_iface_set_str(&iface->link, rel_name) < 0) {
		mvl_iface_unref(iface);
		return -ENOMEM;
	}
	k = mvl_link_kind_by_name(li->kind);
	if (k && k->describe && k->describe(ctx, li, iface) < 0) {
		mvl_iface_unref(iface);
		return -ENOMEM;
	}
	*ret = iface;
	return 0;
}

struct link_vec {
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

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int vec_push(struct link_vec *lv, const struct mvl_link_info *li);

/* Collect links (all, or those tagged for vm_id) during a dump; nothing
 * may send another request on the socket until the dump is over. */
static int collect_cb(struct mvl_ctx *ctx, const struct mvl_link_info *li, void *data)
{
	struct link_vec *lv = data;

	if (lv->vm_id || lv->ids || lv->tagged_only) {
		char vm[128];
		const char *key = vm;
		enum mvl_mode mode;

		if (mvl_tag_parse(li->alias, vm, sizeof(vm), &mode) != 1)
			return 0;
		if (lv->index_all && !mvl_link_mode_shared(mode) && !lv->index_err)
			lv->index_err = mvl_index_note(ctx, vm, li->ifindex, li->name);
		if (lv->skip_shared && mvl_link_mode_shared(mode))
			return 0;
		if (lv->ids ? !bsearch(&key, lv->ids, lv->n_ids, sizeof(*lv->ids), cmp_str)
			    : lv->vm_id && strcmp(vm, lv->vm_id) != 0)
			return 0;
	}
	return vec_push(lv, li);
}

static int vec_push(struct link_vec *lv, const struct mvl_link_info *li)
{
	if (lv->n == lv->cap) {
		size_t cap = lv->cap ? lv->cap * 2 : 16;
		struct mvl_link_info *v = realloc(lv->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		lv->v = v;
		lv->cap = cap;
	}
	lv->v[lv->n++] = *li;
	return 0;
}

static const char *vec_name(const struct link_vec *lv, int ifindex)
{
	for (size_t i = 0; i < lv->n; i++)
		if (lv->v[i].ifindex == ifindex)
			return lv->v[i].name;
	return NULL;
}

static int cmp_link_ifindex(const void *a, const void *b)
{
	const struct mvl_link_info *x = a, *y = b;

	return (x->ifindex > y->ifindex) - (x->ifindex < y->ifindex);
}

static void collect_restart(void *data)
{
	struct link_vec *lv = data;

	lv->n = lv->mark;
}

/* Collect the tagged links of every kind mvlink creates (kind.c; with
 * @shared false not those VMs share, which are not deleted with a VM) into
 * @lv: one dump filtered by kind in the kernel each, so that it does not
 * grow with unrelated links. */
static int collect_kinds(struct mvl_ctx *ctx, bool shared, struct link_vec *lv)
{
	const struct mvl_link_kind *k;
	int r = 0;

	for (size_t i = 0; (k = mvl_link_kind_at(i)) && r >= 0; i++) {
		if (k->shared && !shared)
			continue;
		lv->mark = lv->n;
		r = mvl_nl_link_dump_kind(ctx, k->kind, collect_cb, collect_restart, lv);
	}
	return r;
}

/* Names of links that listed links relate to (their bridge, their lower)
 * but that were not listed themselves: looked up by ifindex, once. */
struct rel_cache {
	size_t n;
	struct {
		int ifindex;
		char name[IFNAMSIZ]; /* "": gone, or in another namespace */
	} e[16];
};

/* The name of the link @ifindex in *@ret (NULL when there is none), from
 * the links listed, else (@c: the listing was filtered) @c or the kernel. */
static int rel_name(struct mvl_ctx *ctx, const struct link_vec *lv, int ifindex,
		    struct rel_cache *c, const char **ret)
{
	struct mvl_link_info li;
	size_t i;
	int r;

	*ret = vec_name(lv, ifindex);
	if (*ret || !c)
		return 0; /* a dump of every link lacks it: not in this namespace */
	for (i = 0; i < c->n && c->e[i].ifindex != ifindex; i++)
		;
	if (i == c->n) {
		r = mvl_nl_link_get(ctx, NULL, ifindex, &li);
		if (r < 0 && r != -ENODEV)
			return r;
		i = c->n < ARRAY_SIZE(c->e) ? c->n++ : 0; /* full: a cache, reuse */
		c->e[i].ifindex = ifindex;
		snprintf(c->e[i].name, sizeof(c->e[i].name), "%s", r < 0 ? "" : li.name);
	}
	*ret = c->e[i].name[0] ? c->e[i].name : NULL;
	return 0;
}

MVL_EXPORT int mvl_iface_list_new(struct mvl_ctx *ctx, const char *vm_id, unsigned flags,
				  struct mvl_iface_list **ret_list)
{
	struct link_vec lv = { .v = NULL };
	struct rel_cache rc = { .n = 0 };
	struct mvl_iface_list *list;
	int r;

	r = mvl_ctx_enter(ctx);
	if (r < 0)
		return r;
	if (!ret_list)
		return mvl_fail(ctx, -EINVAL, "ret_list is NULL");
	if (vm_id && mvl_vm_id_check(vm_id) < 0)
		return mvl_fail(ctx, -EINVAL, "invalid VM id '%s'", vm_id);
	if (flags & ~(unsigned)MVL_LIST_ALL)
		return mvl_fail(ctx, -EINVAL, "unknown list flags 0x%x", flags);
	if (flags & MVL_LIST_ALL) {
		r = mvl_nl_link_dump(ctx, collect_cb, &lv);
	} else {
		/* only mvlink's links: the kernel sends just their kinds, and
		 * the links they name are looked up one by one */
		lv.vm_id = vm_id;
		lv.tagged_only = true;
		r = collect_kinds(ctx, true, &lv);
		if (lv.n)
			qsort(lv.v, lv.n, sizeof(*lv.v), cmp_link_ifindex);
	}
	if (r < 0) {
		free(lv.v);
		return mvl_fail_kernel(ctx, r, "cannot list links");
	}
	list = calloc(1, sizeof(*list));
	if (!list) {
		free(lv.v);
		return -ENOMEM;
	}
	for (size_t i = 0; i < lv.n; i++) {
		const struct mvl_link_info *li = &lv.v[i];
		int rel = li->master ? li->master : li->link;
		const char *rel_nm = NULL;
		struct mvl_iface *iface;

		if (rel && rel != li->ifindex) {
			r = rel_name(ctx, &lv, rel, flags & MVL_LIST_ALL ? NULL : &rc, &rel_nm);
			if (r < 0) {
				free(lv.v);
				mvl_iface_list_free(list);
				return mvl_fail_kernel(ctx, r, "cannot look up link %d", rel);
			}
		}
		r = mvl_iface_from_link(ctx, li, rel_nm, &iface);
		if (r < 0)
			break;
		if ((iface->mode == MVL_MODE_NONE && !(flags & MVL_LIST_ALL)) ||
		    (vm_id && (!iface->vm_id || strcmp(vm_id, iface->vm_id) != 0))) {
			mvl_iface_unref(iface);
			continue;
		}
		r = mvl_iface_list_add(list, iface);
		if (r < 0) {
			mvl_iface_unref(iface);
			break;
		}
	}
	free(lv.v);
	if (r < 0) {
		mvl_iface_list_free(list);
		return mvl_fail(ctx, r, "cannot list links: out of memory");
	}
	/* VFs and PCI devices given to VMs are known by their journals */
	r = mvl_vfio_list(ctx, vm_id, list);
	if (r < 0) {
		mvl_iface_list_free(list);
		return r == -ENOMEM ? mvl_fail(ctx, r, "out of memory") : r;
	}
	*ret_list = list;
	return 0;
}

MVL_EXPORT int mvl_iface_get(struct mvl_ctx *ctx, const char *name, struct mvl_iface **ret_iface)
{
	struct mvl_link_info li;
	int r;

	r = mvl_ctx_enter(ctx);
	if (r < 0)
		return r;
	if (!ret_iface)
		return mvl_fail(ctx, -EINVAL, "ret_iface is NULL");
	if (mvl_ifname_check(name) < 0)
		return mvl_fail(ctx, -EINVAL, "invalid interface name '%s'", name ? name : "");
	r = mvl_nl_link_get(ctx, name, 0, &li);
	if (r == -ENODEV)
		return mvl_fail(ctx, r, "%s does not exist", name);
	if (r < 0)
		return mvl_fail_kernel(ctx, r, "cannot look up %s", name);
	{
		struct mvl_link_info rel;
		int rel_index = li.master ? li.master : li.link;
		bool have_rel = rel_index && rel_index != li.ifindex &&
				mvl_nl_link_get(ctx, NULL, rel_index, &rel) == 0;

		r = mvl_iface_from_link(ctx, &li, have_rel ? rel.name : NULL, ret_iface);
	}
	return r < 0 ? mvl_fail(ctx, r, "out of memory") : 0;
}

struct stacked {
	int ifindex, n;
	char *buf;
	size_t len;
};

static int stacked_cb(struct mvl_ctx *ctx, const struct mvl_link_info *li, void *data)
{
	struct stacked *s = data;

	(void)ctx;
	if (li->link == s->ifindex && li->ifindex != s->ifindex && s->n++ == 0)
		snprintf(s->buf, s->len, "%s", li->name);
	return 0;
}

static void stacked_restart(void *data)
{
	((struct stacked *)data)->n = 0;
}

int mvl_link_stacked(struct mvl_ctx *ctx, const struct mvl_link_info *li, char *buf, size_t len)
{
	struct stacked s = { .ifindex = li->ifindex, .buf = buf, .len = len };
	char path[PATH_MAX], v[32], master[IFNAMSIZ] = "";
	unsigned long ifindex;
	struct dirent *de;
	DIR *d;
	int r;

	/* sysfs names the uppers of a device (upper_<name>) without a walk
	 * over every link, when it shows this network namespace */
	if (mvl_sysfs_read(ctx, v, sizeof(v), "class/net/%s/ifindex", li->name) >= 0 &&
	    mvl_parse_uint(v, INT_MAX, &ifindex) == 0 && (int)ifindex == li->ifindex &&
	    mvl_sysfs_path(ctx, path, sizeof(path), "class/net/%s", li->name) == 0 &&
	    (d = opendir(path))) {
		mvl_sysfs_link_base(ctx, master, sizeof(master), "class/net/%s/master", li->name);
		while ((de = readdir(d)))
			if (strncmp(de->d_name, "upper_", 6) == 0 &&
			    strcmp(de->d_name + 6, master) != 0 && s.n++ == 0)
				snprintf(buf, len, "%s", de->d_name + 6);
		closedir(d);
		return s.n;
	}
	/* else the kernel's list of links: those whose lower device it is */
	r = mvl_nl_link_dump_kind(ctx, NULL, stacked_cb, stacked_restart, &s);
	return r < 0 ? r : s.n;
}

/* Delete one tagged link under its locks (recover.c; a bridge only when it
 * has no ports); returns 1 removed, 0 already gone, or -errno. */
static int delete_link(struct mvl_ctx *ctx, const struct mvl_link_info *li)
{
	return mvl_link_delete_locked(ctx, li);
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
	return delete_link(ctx, &li);
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
	gc.group = ctx->test.delete_group;
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

/* Whether @li is a link of VM @vm_id that goes with it (a tap or macvtap
 * tagged for it). */
static bool vm_link(const struct mvl_link_info *li, const char *vm_id)
{
	char vm[128];
	enum mvl_mode mode;

	return mvl_tag_parse(li->alias, vm, sizeof(vm), &mode) == 1 && !mvl_link_mode_shared(mode) &&
	       strcmp(vm, vm_id) == 0;
}

/*
 * The links of @vm_id that the index names (index.c), looked up by ifindex,
 * into @lv (NULL: only drop the entries of links gone).  An entry whose
 * link is gone, or whose ifindex another link has taken, is dropped after
 * a second look under the lock of its name: a create holds that lock from
 * before it writes the entry until its link is complete.
 */
static int index_collect(struct mvl_ctx *ctx, const char *vm_id, struct link_vec *lv)
{
	_cleanup_free_ struct mvl_index_entry *e = NULL;
	struct mvl_link_info li;
	int n, r;

	n = mvl_index_read(ctx, vm_id, &e);
	for (int i = 0; i < n; i++) {
		int lock = -1;

		r = mvl_nl_link_get(ctx, NULL, e[i].ifindex, &li);
		if (r == -ENODEV || (r == 0 && !vm_link(&li, vm_id))) {
			if (e[i].name[0]) {
				r = mvl_lock_take(ctx, MVL_LOCK_NAME, e[i].name, false, true, &lock);
				if (r < 0)
					return r;
			}
			r = mvl_nl_link_get(ctx, NULL, e[i].ifindex, &li);
			if (r == -ENODEV || (r == 0 && !vm_link(&li, vm_id))) {
				mvl_index_remove(ctx, vm_id, e[i].ifindex);
				r = 1;
			}
			mvl_lock_drop(&lock);
		}
		if (r < 0)
			return mvl_fail_kernel(ctx, r, "cannot look up link %d of VM %s",
					       e[i].ifindex, vm_id);
		if (r == 0 && lv && vec_push(lv, &li) < 0)
			return mvl_fail(ctx, -ENOMEM, "out of memory");
	}
	return n < 0 ? n : 0;
}

static int prune_cb(struct mvl_ctx *ctx, const char *vm_id, void *data)
{
	int r = index_collect(ctx, vm_id, NULL), *first = data;

	if (r < 0 && !*first)
		*first = r;
	return 0; /* on with the others */
}

int mvl_index_prune(struct mvl_ctx *ctx)
{
	int first = 0, r;

	r = mvl_index_foreach_vm(ctx, prune_cb, &first);
	return r < 0 ? r : first;
}

/* A few VMs' links are found through the index, a lookup by ifindex per
 * link; more VMs than this (a bulk teardown, gc) through the kernel's
 * lists of taps and macvtaps: two dumps whatever the number of VMs. */
#define INDEX_MAX_IDS 16

/* The tagged links of @ids (sorted) into @lv. */
static int vm_links(struct mvl_ctx *ctx, const char **ids, size_t n_ids, struct link_vec *lv)
{
	bool complete = mvl_index_complete(ctx);
	int r = 0;

	if (complete && n_ids <= INDEX_MAX_IDS) {
		for (size_t i = 0; i < n_ids && r >= 0; i++)
			r = index_collect(ctx, ids[i], lv);
		return r;
	}
	/* walk them; when the index is not complete (a new host, a state
	 * directory removed, links made before it existed) index every
	 * tagged link on the way, then mark it complete */
	lv->index_all = !complete;
	r = collect_kinds(ctx, false, lv);
	if (r < 0)
		return mvl_fail_kernel(ctx, r, "cannot list links");
	if (!complete) {
		r = lv->index_err ?: mvl_index_set_complete(ctx);
		if (r < 0)
			dbg(ctx, "cannot index the links of this network namespace: %s; deleting "
			    "a VM walks the links", MVL_STRERROR(r));
		ctx->errmsg[0] = '\0'; /* no failure of the deletion */
		/* and a few VMs' entries of links gone (a crashed create):
		 * the links found here are in it */
		for (size_t i = 0; n_ids <= INDEX_MAX_IDS && i < n_ids; i++) {
			r = index_collect(ctx, ids[i], NULL);
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
	struct link_vec lv = { .ids = ids, .n_ids = n_ids, .skip_shared = true };
	char first_msg[sizeof(ctx->errmsg)] = "";
	struct glink *gl = NULL;
	int r = 0, removed = 0, first_err = 0, any;
	size_t n_gl = 0;
	bool grouped = false;

	/* first what crashed creates for these VMs left (recover.c) */
	r = mvl_links_recover(ctx, vm_in_ids, &(struct sorted_ids){ ids, n_ids }, 0);
	if (r > 0)
		removed += r;
	else if (r < 0) {
		first_err = r;
		snprintf(first_msg, sizeof(first_msg), "%s", ctx->errmsg);
	}
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
		ctx->errmsg[0] = '\0'; /* a doubt is no failure: one by one below */
	}
	/* the rest (or all after a doubt) one by one; carry on past a
	 * failure: delete as much as possible, report the first */
	for (size_t i = 0; i < lv.n; i++) {
		if (grouped && group_deletable(&lv.v[i]))
			continue;
		r = delete_link(ctx, &lv.v[i]);
		if (r > 0)
			removed++;
		else if (r < 0 && !first_err) {
			first_err = r;
			snprintf(first_msg, sizeof(first_msg), "%s", ctx->errmsg);
		}
	}
	/* a link that stays goes back to its own group */
	for (size_t i = 0; first_err && i < n_gl; i++) {
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
		else if (r < 0 && !first_err) {
			first_err = r;
			snprintf(first_msg, sizeof(first_msg), "%s", ctx->errmsg);
		}
	}
	if (first_err) {
		snprintf(ctx->errmsg, sizeof(ctx->errmsg), "%s", first_msg);
		return first_err;
	}
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
			return mvl_fail(ctx, -EINVAL, "invalid VM id '%s'",
					vm_ids[i] ? vm_ids[i] : "");
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
		return mvl_fail(ctx, -EINVAL, "invalid VM id '%s'", vm_id ? vm_id : "");
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
