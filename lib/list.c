// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * list.c - finding mvlink's links again by their tag (deleting them:
 * delete.c).  Untagged (foreign) links are listed on request.
 */
#include "operations.h"

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


static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Collect links (all, or those tagged for vm_id) during a dump; nothing
 * may send another request on the socket until the dump is over. */
static int collect_cb(struct mvl_ctx *ctx, const struct mvl_link_info *li, void *data)
{
	struct mvl_link_vec *lv = data;

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
	return mvl_link_vec_push(lv, li);
}

int mvl_link_vec_push(struct mvl_link_vec *lv, const struct mvl_link_info *li)
{
	struct mvl_link_info *v = mvl_grow(lv->v, &lv->cap, lv->n, sizeof(*v), 16);

	if (!v)
		return -ENOMEM;
	lv->v = v;
	lv->v[lv->n++] = *li;
	return 0;
}

static const char *vec_name(const struct mvl_link_vec *lv, int ifindex)
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
	struct mvl_link_vec *lv = data;

	lv->n = lv->mark;
}

int mvl_links_collect(struct mvl_ctx *ctx, bool shared, struct mvl_link_vec *lv)
{
	const struct mvl_link_kind *k;
	int r = 0;

	for (size_t i = 0; (k = mvl_link_kind_at(i)) && r >= 0; i++) {
		if ((k->shared && !shared) ||
		    (k->sysfs_class && mvl_sysfs_class_absent(ctx, k->sysfs_class)))
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
static int rel_name(struct mvl_ctx *ctx, const struct mvl_link_vec *lv, int ifindex,
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
	struct mvl_link_vec lv = { .v = NULL };
	struct rel_cache rc = { .n = 0 };
	struct mvl_iface_list *list;
	int r;

	r = mvl_ctx_enter(ctx);
	if (r < 0)
		return r;
	if (!ret_list)
		return mvl_fail(ctx, -EINVAL, "ret_list is NULL");
	if (vm_id && mvl_vm_id_check(vm_id) < 0)
		return mvl_fail_vm_id(ctx, vm_id, NULL);
	if (flags & ~(unsigned)MVL_LIST_ALL)
		return mvl_fail(ctx, -EINVAL, "unknown list flags 0x%x", flags);
	if (flags & MVL_LIST_ALL) {
		r = mvl_nl_link_dump(ctx, collect_cb, &lv);
	} else {
		/* only mvlink's links: the kernel sends just their kinds, and
		 * the links they name are looked up one by one */
		lv.vm_id = vm_id;
		lv.tagged_only = true;
		r = mvl_links_collect(ctx, true, &lv);
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
int mvl_index_collect(struct mvl_ctx *ctx, const char *vm_id, struct mvl_link_vec *lv)
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
		if (r == 0 && lv && mvl_link_vec_push(lv, &li) < 0)
			return mvl_fail(ctx, -ENOMEM, "out of memory");
	}
	return n < 0 ? n : 0;
}

static int prune_cb(struct mvl_ctx *ctx, const char *vm_id, void *data)
{
	int r = mvl_index_collect(ctx, vm_id, NULL), *first = data;

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
