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
	if (strcmp(li->kind, "macvtap") == 0) {
		char node[PATH_MAX];

		snprintf(node, sizeof(node), "%s/tap%d", ctx->dev_root, li->ifindex);
		if (mvl_iface_set_str(&iface->devnode, node) < 0) {
			mvl_iface_unref(iface);
			return -ENOMEM;
		}
	}
	*ret = iface;
	return 0;
}

struct link_vec {
	struct mvl_link_info *v;
	size_t n, cap;
	const char *vm_id; /* NULL: every link */
	bool skip_bridges;
};

/* Collect links (all, or those tagged for vm_id) during a dump; nothing
 * may send another request on the socket until the dump is over. */
static int collect_cb(struct mvl_ctx *ctx, const struct mvl_link_info *li, void *data)
{
	struct link_vec *lv = data;

	if (lv->vm_id) {
		char vm[128];
		enum mvl_mode mode;

		if (mvl_tag_parse(li->alias, vm, sizeof(vm), &mode) != 1 ||
		    strcmp(vm, lv->vm_id) != 0 || (lv->skip_bridges && mode == MVL_MODE_BRIDGE))
			return 0;
	}
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

MVL_EXPORT int mvl_iface_list_new(struct mvl_ctx *ctx, const char *vm_id, unsigned flags,
				  struct mvl_iface_list **ret_list)
{
	struct link_vec lv = { .v = NULL };
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
	r = mvl_nl_link_dump(ctx, collect_cb, &lv);
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
		struct mvl_iface *iface;

		r = mvl_iface_from_link(ctx, li, rel ? vec_name(&lv, rel) : NULL, &iface);
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

/* Delete one tagged link; returns 1 removed, 0 already gone, or -errno. */
static int delete_link(struct mvl_ctx *ctx, const struct mvl_link_info *li)
{
	int r;

	if (strcmp(li->kind, "macvtap") == 0)
		return mvl_macvtap_delete_link(ctx, li);
	r = mvl_nl_link_del(ctx, li->ifindex);
	if (r == -ENODEV)
		return 0;
	if (r < 0)
		return mvl_fail_kernel(ctx, r, "cannot delete %s", li->name);
	return 1;
}

MVL_EXPORT int mvl_iface_delete(struct mvl_ctx *ctx, const char *name)
{
	struct mvl_link_info li;
	char vm[128];
	enum mvl_mode mode;
	int r;

	r = mvl_ctx_enter(ctx);
	if (r < 0)
		return r;
	if (mvl_ifname_check(name) < 0)
		return mvl_fail(ctx, -EINVAL, "invalid interface name '%s'", name ? name : "");
	r = mvl_nl_link_get(ctx, name, 0, &li);
	if (r == -ENODEV)
		return 0; /* already gone: done */
	if (r < 0)
		return mvl_fail_kernel(ctx, r, "cannot look up %s", name);
	if (mvl_tag_parse(li.alias, vm, sizeof(vm), &mode) != 1)
		return mvl_fail(ctx, -EPERM, "%s was not created by mvlink (no mvlink tag%s%s%s); "
				"left untouched", name, li.alias[0] ? ", alias '" : "", li.alias,
				li.alias[0] ? "'" : "");
	if (mode == MVL_MODE_BRIDGE) {
		/* a bridge is shared: only an empty one goes */
		char port[IFNAMSIZ] = "";

		r = mvl_bridge_port_count(ctx, li.ifindex, port, sizeof(port));
		if (r < 0)
			return mvl_fail_kernel(ctx, r, "cannot list the ports of bridge %s", name);
		if (r > 0)
			return mvl_fail(ctx, -EBUSY, "bridge %s still has %d port%s (%s%s); not "
					"deleting it", name, r, r > 1 ? "s" : "", port,
					r > 1 ? ", ..." : "");
	}
	return delete_link(ctx, &li);
}

MVL_EXPORT int mvl_vm_delete(struct mvl_ctx *ctx, const char *vm_id)
{
	struct link_vec vs = { .vm_id = vm_id, .skip_bridges = true };
	int r, removed = 0, first_err = 0;
	char first_msg[sizeof(ctx->errmsg)] = "";

	r = mvl_ctx_enter(ctx);
	if (r < 0)
		return r;
	if (mvl_vm_id_check(vm_id) < 0)
		return mvl_fail(ctx, -EINVAL, "invalid VM id '%s'", vm_id ? vm_id : "");
	r = mvl_nl_link_dump(ctx, collect_cb, &vs);
	if (r < 0) {
		free(vs.v);
		return mvl_fail_kernel(ctx, r, "cannot list links");
	}
	/* carry on past a failure: delete as much as possible, report the first */
	for (size_t i = 0; i < vs.n; i++) {
		r = delete_link(ctx, &vs.v[i]);
		if (r > 0)
			removed++;
		else if (r < 0 && !first_err) {
			first_err = r;
			snprintf(first_msg, sizeof(first_msg), "%s", ctx->errmsg);
		}
	}
	free(vs.v);
	if (first_err) {
		snprintf(ctx->errmsg, sizeof(ctx->errmsg), "%s", first_msg);
		return first_err;
	}
	return removed;
}
