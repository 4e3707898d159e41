// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * bridge.c - ensure a bridge exists and is up, and optionally holds the
 * uplink.  An existing device of the name that is not a bridge is an error
 * and is left untouched; an uplink that carries the host's addresses or
 * default route is not enslaved unless the caller forces it.  A new bridge
 * is always tagged with a VM id (none given: only an existing bridge is
 * used), or mvlink would neither list nor delete it.
 *
 * Crash safety: the caller holds the bridge's (and uplink's) lock; before
 * the first change (create, bring up, enslave) what will change is written
 * into the caller's intent journal, naming a new bridge by the ifindex
 * chosen for it (the kernel ignores an alias at creation, so the bridge
 * exists untagged for a moment: the journal is what proves it ours).
 */
#include "kinds.h"

/* Refuse to enslave an uplink the host depends on. */
static int check_uplink_idle(struct mvl_ctx *ctx, const struct mvl_link_info *up,
			     const char *bridge)
{
	char addr[64] = "";
	int n, def;

	n = mvl_nl_addr_count(ctx, up->ifindex, addr, sizeof(addr));
	if (n < 0)
		return mvl_fail_kernel(ctx, n, "uplink %s: cannot list its addresses", up->name);
	def = mvl_nl_has_default_route(ctx, up->ifindex);
	if (def < 0)
		return mvl_fail_kernel(ctx, def, "uplink %s: cannot list routes", up->name);
	if (n > 0 && def)
		return mvl_fail(ctx, -EBUSY,
				"uplink %s carries IP address %s%s and the default route: enslaving "
				"it to bridge %s would cut the host off; move them to %s first, or "
				"force it",
				up->name, addr, n > 1 ? " (and more)" : "", bridge, bridge);
	if (n > 0)
		return mvl_fail(ctx, -EBUSY,
				"uplink %s carries IP address %s%s: enslaving it to bridge %s would "
				"take it away from the host; move it to %s first, or force it",
				up->name, addr, n > 1 ? " (and more)" : "", bridge, bridge);
	if (def)
		return mvl_fail(ctx, -EBUSY,
				"uplink %s carries the default route: enslaving it to bridge %s "
				"would cut the host off; move the route to %s first, or force it",
				up->name, bridge, bridge);
	return 0;
}

struct port_count {
	int ifindex, n;
	char *first;
	size_t len;
};

static int count_port(struct mvl_ctx *ctx, const struct mvl_link_info *li, void *data)
{
	struct port_count *pc = data;

	if (li->master == pc->ifindex && pc->n++ == 0 && pc->first)
		snprintf(pc->first, pc->len, "%s", li->name);
	return 0;
}

int mvl_bridge_port_count(struct mvl_ctx *ctx, int ifindex, char *first, size_t len)
{
	struct port_count pc = { .ifindex = ifindex, .first = first, .len = len };
	int r = mvl_nl_link_dump(ctx, count_port, &pc);

	return r < 0 ? r : pc.n;
}

void mvl_bridge_undo(struct mvl_ctx *ctx, const struct mvl_bridge_state *st)
{
	const struct mvl_link_info *br = &st->br;
	int r;

	if (st->uplink_ifindex) {
		struct mvl_link_change chg = MVL_LINK_CHANGE_INIT;

		chg.master = 0;
		if (st->uplink_was_down)
			chg.up = 0;
		r = mvl_nl_link_change(ctx, st->uplink_ifindex, &chg);
		if (r < 0)
			mvl_undo_failed(ctx, "release uplink (ifindex %d) from bridge %s: %s",
					st->uplink_ifindex, br->name, MVL_STRERROR(r));
	}
	if (st->brought_up) {
		struct mvl_link_change chg = MVL_LINK_CHANGE_INIT;

		chg.up = 0;
		r = mvl_nl_link_change(ctx, br->ifindex, &chg);
		if (r < 0)
			mvl_undo_failed(ctx, "bring bridge %s down again: %s", br->name,
					MVL_STRERROR(r));
	}
	if (!st->created)
		return;
	/* another process may have attached a port meanwhile: keep it then */
	r = mvl_bridge_port_count(ctx, br->ifindex, NULL, 0);
	if (r > 0) {
		info(ctx, "bridge %s gained ports meanwhile; not deleting it", br->name);
		return;
	}
	r = mvl_nl_link_del(ctx, br->ifindex);
	if (r < 0 && r != -ENODEV)
		mvl_undo_failed(ctx, "delete bridge %s: %s", br->name, MVL_STRERROR(r));
}

/*
 * Check the uplink before anything changes: it exists, is not the bridge,
 * not a bridge itself, not a port of another master, and (unless forced)
 * carries neither addresses nor the default route.  Returns 1 when it is
 * already a port of the bridge (@br_index, 0 for a bridge still to be
 * created), 0 when it may be enslaved, or a negative errno.
 */
static int check_uplink(struct mvl_ctx *ctx, const struct mvl_bridge_opts *opts, int br_index,
			struct mvl_link_info *up)
{
	int r;

	if (mvl_ifname_check(opts->uplink) < 0)
		return mvl_fail(ctx, -EINVAL, "invalid uplink name '%s'", opts->uplink);
	if (strcmp(opts->uplink, opts->name) == 0)
		return mvl_fail(ctx, -EINVAL, "uplink %s is the bridge itself", opts->uplink);
	r = mvl_nl_link_get(ctx, opts->uplink, 0, up);
	if (r == -ENODEV)
		return mvl_fail(ctx, -ENODEV, "uplink %s does not exist", opts->uplink);
	if (r < 0)
		return mvl_fail_kernel(ctx, r, "uplink %s", opts->uplink);
	if (br_index && up->master == br_index)
		return 1; /* already a port: nothing to do */
	if (up->master) {
		struct mvl_link_info m;
		const char *mname = mvl_nl_link_get(ctx, NULL, up->master, &m) == 0 ? m.name : "?";

		return mvl_fail(ctx, -EBUSY, "uplink %s is already a port of %s (%s); not moving it",
				up->name, mname, up->slave_kind[0] ? up->slave_kind : "master");
	}
	if (strcmp(up->kind, "bridge") == 0)
		return mvl_fail(ctx, -EINVAL, "uplink %s is a bridge itself", up->name);
	if (!(opts->flags & MVL_BRIDGE_FORCE_UPLINK))
		return check_uplink_idle(ctx, up, opts->name);
	return 0;
}

/* Create bridge @opts->name with the ifindex the journal names (a new one
 * when the number turned out to be taken).  0, or -errno with a message;
 * -EEXIST (no message) when the name exists now. */
static int bridge_new(struct mvl_ctx *ctx, const struct mvl_bridge_opts *opts,
		      struct mvl_link_journal *j, struct mvl_link_info *br)
{
	struct mvl_link_new spec = { .name = opts->name, .kind = "bridge", .up = 1,
				     .mtu = opts->mtu };
	char tag[128];
	int r;

	/* (the caller made sure of a VM id) */
	r = mvl_tag_format(tag, sizeof(tag), opts->vm_id, MVL_MODE_BRIDGE);
	if (r < 0)
		return mvl_fail(ctx, r, "cannot tag bridge %s", opts->name);
	spec.alias = tag;
	for (int attempt = 0;; attempt++) {
		spec.ifindex = j->bridge.ifindex;
		r = mvl_nl_link_new(ctx, &spec, NULL);
		if (r != -EEXIST)
			break;
		r = mvl_nl_link_get(ctx, opts->name, 0, br);
		if (r == 0)
			return -EEXIST;
		if (r != -ENODEV)
			return mvl_fail_kernel(ctx, r, "bridge %s", opts->name);
		if (attempt == 2)
			return mvl_fail(ctx, -EEXIST, "cannot create bridge %s: ifindex %d is taken",
					opts->name, j->bridge.ifindex);
		/* the ifindex was taken meanwhile: another one, journaled first */
		j->bridge.ifindex = mvl_link_pick_ifindex(ctx);
		r = mvl_link_journal_write(ctx, j);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return mvl_fail_kernel(ctx, r, "cannot create bridge %s", opts->name);
	r = mvl_nl_link_get(ctx, NULL, j->bridge.ifindex, br);
	if (r < 0)
		return mvl_fail_kernel(ctx, r, "bridge %s", opts->name);
	return 0;
}

int mvl_bridge_ensure_internal(struct mvl_ctx *ctx, const struct mvl_bridge_opts *opts,
			       struct mvl_bridge_state *ret_st, struct mvl_link_journal *j)
{
	struct mvl_bridge_state st = { .created = false };
	struct mvl_link_info *br = &st.br, up;
	bool create, bring_up, enslave;
	int r, up_state = 1;

	if (mvl_ifname_check(opts->name) < 0)
		return mvl_fail(ctx, -EINVAL, "invalid bridge name '%s'", opts->name ? opts->name : "");
	if (opts->vm_id && mvl_vm_id_check(opts->vm_id) < 0)
		return mvl_fail_vm_id(ctx, opts->vm_id, NULL);
	if (opts->mtu && (opts->mtu < 68 || opts->mtu > 65535))
		return mvl_fail(ctx, -EINVAL, "invalid MTU %u for bridge %s (68..65535)", opts->mtu,
				opts->name);
	r = mvl_nl_link_get(ctx, opts->name, 0, br);
	if (r < 0 && r != -ENODEV)
		return mvl_fail_kernel(ctx, r, "bridge %s", opts->name);
	if (r == 0 && strcmp(br->kind, "bridge") != 0)
		return mvl_fail(ctx, -EEXIST,
				"%s exists and is a %s device, not a bridge; left untouched",
				br->name, br->kind[0] ? br->kind : "plain");
	create = r == -ENODEV;
	/* a bridge without the tag would be foreign to mvlink itself: not
	 * listed, never deleted */
	if (create && !opts->vm_id)
		return mvl_fail(ctx, -EINVAL, "bridge %s does not exist, and a new bridge needs a "
				"VM id to be tagged", opts->name);
	if (opts->uplink) {
		up_state = check_uplink(ctx, opts, create ? 0 : br->ifindex, &up);
		if (up_state < 0)
			return up_state;
	}
	bring_up = !create && !(br->flags & IFF_UP);
	enslave = opts->uplink && up_state == 0;
	if (!create && !bring_up && !enslave) {
		if (ret_st)
			*ret_st = st;
		return 0;
	}

	/* what a crash would leave, journaled before it is done (the
	 * caller's journal, which may name its own link too) */
	j->bridge = (struct mvl_lj_dev){ .set = true, .ifindex = create ? mvl_link_pick_ifindex(ctx) :
									   br->ifindex };
	snprintf(j->bridge.name, sizeof(j->bridge.name), "%s", opts->name);
	snprintf(j->bridge.kind, sizeof(j->bridge.kind), "bridge");
	j->bridge_created = create;
	j->bridge_brought_up = bring_up;
	if (enslave) {
		j->uplink = (struct mvl_lj_dev){ .set = true, .ifindex = up.ifindex };
		snprintf(j->uplink.name, sizeof(j->uplink.name), "%s", up.name);
		snprintf(j->uplink.kind, sizeof(j->uplink.kind), "%s", up.kind);
		j->uplink_was_down = !(up.flags & IFF_UP);
	}
	r = mvl_link_journal_write(ctx, j);
	if (r < 0) {
		/* the first write: nothing the caller drops (a journal renamed
		 * into place before a later failure is recover's) */
		j->file[0] = '\0';
		return r;
	}

	if (create) {
		r = bridge_new(ctx, opts, j, br);
		if (r == 0)
			st.created = true;
		else if (r != -EEXIST) /* EEXIST: made by someone else meanwhile */
			goto undo;
		if (strcmp(br->kind, "bridge") != 0) {
			r = mvl_fail(ctx, -EEXIST,
				     "%s exists and is a %s device, not a bridge; left untouched",
				     br->name, br->kind[0] ? br->kind : "plain");
			goto undo;
		}
	}
	if (!(br->flags & IFF_UP)) {
		struct mvl_link_change chg = MVL_LINK_CHANGE_INIT;

		chg.up = 1;
		r = mvl_nl_link_change(ctx, br->ifindex, &chg);
		if (r < 0) {
			r = mvl_fail_kernel(ctx, r, "cannot bring bridge %s up", br->name);
			goto undo;
		}
		if (!st.created)
			st.brought_up = true;
		br->flags |= IFF_UP;
	}
	if (enslave) {
		struct mvl_link_change chg = MVL_LINK_CHANGE_INIT;

		chg.master = br->ifindex;
		chg.up = 1;
		r = mvl_nl_link_change(ctx, up.ifindex, &chg);
		if (r < 0) {
			r = mvl_fail_kernel(ctx, r, "cannot enslave uplink %s to bridge %s", up.name,
					    br->name);
			goto undo;
		}
		st.uplink_ifindex = up.ifindex;
		st.uplink_was_down = !(up.flags & IFF_UP);
	}
	if (ret_st)
		*ret_st = st;
	return st.created ? 1 : 0;
undo:
	mvl_undo_begin(ctx);
	mvl_bridge_undo(ctx, &st);
	mvl_undo_end(ctx);
	return r;
}

/* ---------------------------------------------------------------- the row */

/* A bridge is shared: only an empty one goes. */
static int bridge_delete_check(struct mvl_ctx *ctx, const struct mvl_link_info *li)
{
	char port[IFNAMSIZ] = "";
	int r = mvl_bridge_port_count(ctx, li->ifindex, port, sizeof(port));

	if (r < 0)
		return mvl_fail_kernel(ctx, r, "cannot list the ports of bridge %s", li->name);
	if (r > 0)
		return mvl_fail(ctx, -EBUSY, "bridge %s still has %d port%s (%s%s); not deleting it",
				li->name, r, r > 1 ? "s" : "", port, r > 1 ? ", ..." : "");
	return 0;
}

const struct mvl_link_kind mvl_bridge_kind = {
	.kind = "bridge",
	.mode = MVL_MODE_BRIDGE,
	.jop = MVL_LJ_BRIDGE,
	.lock = MVL_LOCK_BRIDGE,
	.shared = true,
	.delete_check = bridge_delete_check,
};
