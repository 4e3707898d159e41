// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * vtap.c - the steps every tap on a lower device shares (macvtap,
 * ipvtap): a netdev on an uplink with a char device whose fds are its
 * queues.  create.c puts the steps in order on a transaction; what a kind
 * adds (its options, MAC, children to check, request, steps after the
 * create) is its struct mvl_vtap_kind, in its own file beside its row.
 *
 * Order of a create (each step undone, in reverse, when a later one fails):
 *   0. checks that change nothing: the options, the lower device (exists,
 *      not a bridge, not a bridge port or bond slave, MTU), the name (free,
 *      or our own link of the same configuration: adopted), the kind's
 *      look at the lower's other children.
 *      Before them: the locks (the lower device when it may change, the
 *      name or a template's lowest free number), what crashed creates
 *      left on them undone (recover.c, through the transaction of txn.c).
 *   1. the intent journal (linkjournal.c): the link with the ifindex chosen
 *      for it, the lower's MAC and up state, an adopted link's node
 *   2. bring the lower up (LINK_UP only)
 *   3. RTM_NEWLINK with NLM_F_CREATE|NLM_F_EXCL: the kind, the chosen
 *      ifindex, the kind's settings, MTU, up; then the tag
 *   4. the kind's steps after it (passthru's MAC, ipvtap's addresses)
 *   5. open the char device once per queue: /dev/tap<ifindex> when it is
 *      the device sysfs names, else a private node (tundev.c)
 *   6. TUNSETIFF per fd (vnet_hdr, multi-queue)
 *   7. chown/chmod /dev/tapN (OWNER/GROUP)
 *   8. the journal removed: the last step
 *
 * Unlike a tap, such a link is a plain netdev: it stays until it is
 * deleted, whether or not queue fds are open.
 */
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <linux/if_tun.h>

#include "kinds.h"

#define MVL_MAX_QUEUES 256 /* the kernel's MAX_TAP_QUEUES */

/* the kinds' option flags are these */
#define SAME_FLAG(f) _Static_assert((unsigned)MVL_IPVTAP_##f == (unsigned)MVL_VTAP_##f, #f)
SAME_FLAG(NO_VNET_HDR);
SAME_FLAG(LINK_UP);
SAME_FLAG(OWNER);
SAME_FLAG(GROUP);
SAME_FLAG(NO_FDS);

static const char *kind_of(const struct mvl_vtap_op *op)
{
	return op->vk->row->kind;
}

/* ------------------------------------------------------ the lower device */

int mvl_vtap_restore_lower(struct mvl_ctx *ctx, int ifindex, const uint8_t *mac, bool bring_down)
{
	struct mvl_link_change chg = MVL_LINK_CHANGE_INIT;
	struct mvl_link_info lo;
	char a[18];
	int r;

	r = mvl_nl_link_get(ctx, NULL, ifindex, &lo);
	if (r == -ENODEV)
		return 0; /* the lower is gone: nothing to restore */
	if (r < 0)
		return mvl_fail_kernel(ctx, r, "cannot look up lower device (ifindex %d)", ifindex);
	if (mac && memcmp(lo.mac, mac, 6) != 0)
		chg.mac = mac;
	if (bring_down && (lo.flags & IFF_UP))
		chg.up = 0;
	if (!chg.mac && chg.up < 0)
		return 0;
	r = mvl_nl_link_change(ctx, ifindex, &chg);
	if (r < 0)
		return mvl_fail_kernel(ctx, r, "cannot restore lower device %s (MAC %s%s)", lo.name,
				       mac ? mvl_mac_format(mac, a) : "unchanged",
				       chg.up == 0 ? ", down" : "");
	return 0;
}

/* Kinds that sit on a lower device of their own.  On one of its own
 * family the kernel puts a new macvlan/macvtap or ipvlan/ipvtap on that
 * lower instead, which the journal would not name; across the families
 * the two dispatchers would share one device. */
static const char *const stacked_kinds[] = { "macvlan", "macvtap", "ipvlan", "ipvtap" };

/* Refuse a lower device the link cannot (or should not) sit on. */
static int check_lower(struct mvl_ctx *ctx, const struct mvl_vtap_op *op)
{
	const struct mvl_link_info *lo = &op->lower;
	const char *kind = kind_of(op);

	if (strcmp(lo->kind, "bridge") == 0)
		return mvl_fail(ctx, -EINVAL,
				"lower device %s is a bridge: put VMs on a bridge with "
				"a tap (mode tap), or give the %s the bridge's uplink",
				lo->name, kind);
	for (size_t i = 0; i < ARRAY_SIZE(stacked_kinds); i++) {
		struct mvl_link_info up;
		const char *upname;

		if (strcmp(lo->kind, stacked_kinds[i]) != 0)
			continue;
		/* (its lower's name, when it is in this namespace) */
		upname = lo->link && mvl_nl_link_get(ctx, NULL, lo->link, &up) == 0 ? up.name : NULL;
		return mvl_fail(ctx, -EINVAL,
				"lower device %s is a %s: a %s goes only on a device that is "
				"not itself a macvlan, macvtap, ipvlan or ipvtap; give %s%s",
				lo->name, lo->kind, kind, upname ? upname : "the device under it",
				upname ? ", the device under it" : "");
	}
	if (lo->master && strcmp(lo->slave_kind, "vrf") != 0) {
		struct mvl_link_info m;
		const char *mname = mvl_nl_link_get(ctx, NULL, lo->master, &m) == 0 ? m.name : "?";

		if (strcmp(lo->slave_kind, "bridge") == 0)
			return mvl_fail(ctx, -EBUSY,
					"lower device %s is a port of bridge %s: it "
					"cannot feed %ss too; use a tap on %s, or take %s out "
					"of it",
					lo->name, mname, kind, mname, lo->name);
		if (strcmp(lo->slave_kind, "bond") == 0)
			return mvl_fail(ctx, -EBUSY,
					"lower device %s is a slave of bond %s: put the "
					"%s on %s instead",
					lo->name, mname, kind, mname);
		return mvl_fail(ctx, -EBUSY,
				"lower device %s is enslaved to %s%s%s: it cannot "
				"feed %ss too",
				lo->name, lo->slave_kind, lo->slave_kind[0] ? " " : "", mname, kind);
	}
	if (op->mtu && lo->mtu && op->mtu > lo->mtu)
		return mvl_fail(ctx, -EINVAL, "MTU %u is larger than the MTU %u of lower device %s",
				op->mtu, lo->mtu, lo->name);
	return 0;
}

/* ---------------------------------------------------------------- adopt */

static int describe_mismatch(struct mvl_ctx *ctx, const struct mvl_vtap_op *op,
			     const struct mvl_link_info *li)
{
	const char *kind = kind_of(op);
	char vm[128];
	enum mvl_mode mode;
	int r;

	if (strcmp(li->kind, kind) != 0)
		return mvl_fail(ctx, -EEXIST,
				"%s exists and is a %s device, not an mvlink %s; "
				"left untouched",
				li->name, li->kind[0] ? li->kind : "plain", kind);
	if (mvl_tag_parse(li->alias, vm, sizeof(vm), &mode) != 1)
		return mvl_fail(ctx, -EEXIST,
				"%s %s exists and was not created by mvlink%s%s%s; "
				"left untouched",
				kind, li->name, li->alias[0] ? " (alias '" : "", li->alias,
				li->alias[0] ? "')" : "");
	if (strcmp(vm, op->vm_id) != 0)
		return mvl_fail(ctx, -EEXIST, "%s %s exists and belongs to VM %s; left untouched",
				kind, li->name, vm);
	if (mode != op->vk->row->mode)
		return mvl_fail(ctx, -EEXIST,
				"%s %s of VM %s is tagged as mode %s; left "
				"untouched",
				kind, li->name, vm, mvl_mode_to_string(mode));
	if (li->link != op->lower.ifindex) {
		struct mvl_link_info other;
		const char *on =
			mvl_nl_link_get(ctx, NULL, li->link, &other) == 0 ? other.name : "?";

		return mvl_fail(ctx, -EEXIST,
				"%s %s of VM %s exists on lower device %s; "
				"requested %s",
				kind, li->name, vm, on, op->lower.name);
	}
	r = op->vk->mismatch(ctx, op, li, vm);
	if (r < 0)
		return r;
	if (op->mtu && li->mtu != op->mtu)
		return mvl_fail(ctx, -EEXIST, "%s %s of VM %s exists with MTU %u; requested %u",
				kind, li->name, vm, li->mtu, op->mtu);
	if (!(li->flags & IFF_UP))
		return mvl_fail(ctx, -EEXIST,
				"%s %s of VM %s exists but is down; delete it "
				"first",
				kind, li->name, vm);
	return 0;
}

/* ------------------------------------------------------------- the undo */

void mvl_vtap_undo(struct mvl_ctx *ctx, void *data)
{
	struct mvl_vtap_op *op = data;
	int r;

	mvl_fds_close(op->fds, op->n_fds);
	mvl_tapdev_give_back(ctx, &op->owner_was);
	if (op->created) {
		r = mvl_nl_link_del(ctx, op->created);
		if (r < 0 && r != -ENODEV)
			mvl_undo_failed(ctx, "delete %s (ifindex %d): %s", kind_of(op), op->created,
					MVL_STRERROR(r));
		else
			op->created = 0; /* gone: its index entry goes too */
	}
	if (op->lower_mac_set || op->lower_brought_up) {
		/* (the message it sets is inside the undo scope of
		 * mvl_txn_abort(), which puts the original one back) */
		r = mvl_vtap_restore_lower(ctx, op->lower.ifindex,
					   op->lower_mac_set ? op->lower.mac : NULL,
					   op->lower_brought_up);
		if (r < 0)
			mvl_undo_failed(ctx, "%s", mvl_ctx_get_error(ctx));
	}
	if (!op->adopted && op->j->link.set && !op->created)
		mvl_index_remove(ctx, op->vm_id, op->j->link.ifindex);
}

/* --------------------------------------------------------------- create */

static int check_opts(struct mvl_ctx *ctx, struct mvl_vtap_op *op)
{
	const char *kind = kind_of(op);
	int t, r;

	if (mvl_vm_id_check(op->vm_id) < 0)
		return mvl_fail_vm_id(ctx, op->vm_id, NULL);
	t = mvl_ifname_template_check(op->want_name);
	if (t < 0)
		return mvl_fail(ctx, -EINVAL,
				"invalid %s name '%s': 1-15 bytes without '/', ':' or spaces, or "
				"a template with one %%d",
				kind, op->want_name ? op->want_name : "");
	op->is_template = t == 1;
	if (mvl_ifname_check(op->link) < 0)
		return mvl_fail(ctx, -EINVAL, "invalid lower device name '%s'",
				op->link ? op->link : "");
	r = op->vk->check_opts(ctx, op);
	if (r < 0)
		return r;
	if (op->mtu && (op->mtu < 68 || op->mtu > 65535))
		return mvl_fail(ctx, -EINVAL, "invalid MTU %u (68..65535)", op->mtu);
	if (op->queues_asked > MVL_MAX_QUEUES)
		return mvl_fail(ctx, -EINVAL, "invalid queue count %u (1..%d)", op->queues_asked,
				MVL_MAX_QUEUES);
	if (op->flags & ~(unsigned)MVL_VTAP_ALL)
		return mvl_fail(ctx, -EINVAL, "unknown %s flags 0x%x", kind, op->flags);
	if (op->flags & MVL_VTAP_LINK_UP)
		op->lock_lower = true;
	return 0;
}

/* Create the new link named @name; 1 (no message) when the name is taken. */
static int link_new(struct mvl_ctx *ctx, struct mvl_vtap_op *op, const char *name)
{
	struct mvl_link_journal *j = op->j;
	struct mvl_link_new spec = {
		.name = name,
		.kind = kind_of(op),
		.link = op->lower.ifindex,
		.mtu = op->mtu,
		.alias = op->tag,
		.up = 1,
	};
	struct mvl_link_info li;
	char extack[256];
	int r, ifindex = 0;

	op->vk->spec(op, &spec);
	/* indexed before it exists (index.c); a failure removes the entry
	 * (mvl_vtap_undo()) */
	r = mvl_index_add(ctx, op->vm_id, j->link.ifindex, name);
	if (r < 0)
		return r;
	for (int attempt = 0;; attempt++) {
		spec.ifindex = j->link.ifindex;
		r = mvl_nl_link_new(ctx, &spec, &ifindex);
		if (r != -EEXIST)
			break;
		mvl_index_remove(ctx, op->vm_id, j->link.ifindex);
		r = mvl_nl_link_get(ctx, name, 0, &li);
		if (r == 0)
			return 1;
		if (r != -ENODEV)
			return mvl_fail_kernel(ctx, r, "cannot look up %s", name);
		if (attempt == 2)
			return mvl_fail(ctx, -EEXIST, "cannot create %s %s: ifindex %d is taken",
					kind_of(op), name, j->link.ifindex);
		/* the ifindex was taken meanwhile: another one */
		r = mvl_link_repick_ifindex(ctx, j);
		if (r < 0)
			return r;
	}
	if (r < 0) {
		/* (explaining may make requests of its own, which clear it) */
		snprintf(extack, sizeof(extack), "%s", mvl_nl_extack(ctx));
		return op->vk->explain(ctx, op, r, extack);
	}
	op->created = ifindex;
	op->ifindex = ifindex;
	return op->vk->made ? op->vk->made(ctx, op) : 0;
}

int mvl_vtap_prepare(struct mvl_ctx *ctx, struct mvl_vtap_op *op)
{
	int r = check_opts(ctx, op);

	if (r < 0)
		return r;
	op->queues = (op->flags & MVL_VTAP_NO_FDS) ? 0 : (op->queues_asked ? op->queues_asked : 1);
	op->tun_flags = IFF_TAP | IFF_NO_PI;
	if (!(op->flags & MVL_VTAP_NO_VNET_HDR))
		op->tun_flags |= IFF_VNET_HDR;
	if (op->queues_asked > 1)
		op->tun_flags |= IFF_MULTI_QUEUE;
	op->fds = calloc(op->queues ? op->queues : 1, sizeof(int));
	if (!op->fds)
		return mvl_fail(ctx, -ENOMEM, "out of memory");
	op->n_fds = op->queues;
	for (unsigned i = 0; i < op->queues; i++)
		op->fds[i] = -1;
	return 0;
}

int mvl_vtap_look(struct mvl_ctx *ctx, struct mvl_vtap_op *op)
{
	int r;

	r = mvl_nl_link_get(ctx, op->link, 0, &op->lower);
	if (r == -ENODEV)
		return mvl_fail(ctx, -ENODEV, "lower device %s does not exist", op->link);
	if (r < 0)
		return mvl_fail_kernel(ctx, r, "cannot look up lower device %s", op->link);
	r = check_lower(ctx, op);
	if (r < 0)
		return r;
	return op->vk->look(ctx, op);
}

int mvl_vtap_find(struct mvl_ctx *ctx, struct mvl_vtap_op *op)
{
	struct mvl_link_info li;
	int r;

	op->adopted = false;
	op->ifindex = 0;
	if (op->optimistic || op->is_template)
		return 0;
	r = mvl_nl_link_get(ctx, op->name, 0, &li);
	if (r == -ENODEV)
		return 0;
	if (r < 0)
		return mvl_fail_kernel(ctx, r, "cannot look up %s", op->name);
	r = describe_mismatch(ctx, op, &li);
	if (r < 0)
		return r;
	op->adopted = true;
	op->ifindex = li.ifindex;
	return 0;
}

int mvl_vtap_check(struct mvl_ctx *ctx, struct mvl_vtap_op *op)
{
	int r;

	if (op->vk->check) {
		r = op->vk->check(ctx, op);
		if (r < 0)
			return r;
	}
	if (!(op->lower.flags & IFF_UP) && !(op->flags & MVL_VTAP_LINK_UP))
		return mvl_fail(ctx, -ENETDOWN,
				"lower device %s is down: bring it up first, or ask "
				"for it to be brought up",
				op->lower.name);
	return 0;
}

/* An adopted link's node, before it is chowned: into the journal. */
static int plan_node(struct mvl_ctx *ctx, struct mvl_vtap_op *op)
{
	struct mvl_link_journal *j = op->j;
	struct stat st;
	int r;

	r = mvl_tapdev_find(ctx, kind_of(op), op->name, op->ifindex, &op->node);
	if (r < 0)
		return r;
	op->have_node = true;
	if (op->node.usable && lstat(op->node.path, &st) == 0 && S_ISCHR(st.st_mode) &&
	    st.st_rdev == op->node.rdev) {
		j->has_node = true;
		snprintf(j->node, sizeof(j->node), "%s", op->node.path);
		j->node_major = major(op->node.rdev);
		j->node_minor = minor(op->node.rdev);
		j->node_uid = st.st_uid;
		j->node_gid = st.st_gid;
		j->node_mode = st.st_mode & 07777;
	}
	return 0;
}

int mvl_vtap_plan(struct mvl_ctx *ctx, struct mvl_vtap_op *op)
{
	struct mvl_link_journal *j = op->j;
	int r;

	/* what a crash would leave, journaled before it is done: the link
	 * (with the ifindex chosen for it), the lower's MAC and up state, an
	 * adopted link's node */
	if (j->link.set)
		j->link_lower = op->lower.ifindex;
	if (op->vk->plan)
		op->vk->plan(op, j);
	j->lower_was_down = !(op->lower.flags & IFF_UP);
	if (j->lower_set_mac || j->lower_was_down) {
		j->lower = (struct mvl_lj_dev){ .set = true, .ifindex = op->lower.ifindex };
		snprintf(j->lower.name, sizeof(j->lower.name), "%s", op->lower.name);
		snprintf(j->lower.kind, sizeof(j->lower.kind), "%s", op->lower.kind);
		memcpy(j->lower_mac, op->lower.mac, 6);
		memcpy(j->lower_new_mac, op->mac, 6);
	}
	op->have_node = false;
	if (op->adopted && (op->flags & (MVL_VTAP_OWNER | MVL_VTAP_GROUP))) {
		r = plan_node(ctx, op);
		if (r < 0)
			return r;
	}
	/* an adopted link is indexed already, unless made before the index
	 * was (ours is indexed by link_new()) */
	if (op->adopted) {
		r = mvl_index_add(ctx, op->vm_id, op->ifindex, op->name);
		if (r < 0)
			return r;
	}
	if (j->link.set || j->lower.set || j->has_node) {
		r = mvl_link_journal_write(ctx, j);
		if (r < 0) {
			j->file[0] = '\0'; /* the first write: nothing to drop */
			return r;
		}
	}
	return 0;
}

int mvl_vtap_make(struct mvl_ctx *ctx, struct mvl_vtap_op *op)
{
	int r;

	/* the lower up */
	if (!(op->lower.flags & IFF_UP)) {
		struct mvl_link_change chg = MVL_LINK_CHANGE_INIT;

		chg.up = 1;
		r = mvl_nl_link_change(ctx, op->lower.ifindex, &chg);
		if (r < 0)
			return mvl_fail_kernel(ctx, r, "cannot bring lower device %s up",
					       op->lower.name);
		op->lower_brought_up = true;
	}
	if (op->adopted)
		return 0;
	/* the link */
	r = link_new(ctx, op, op->name);
	if (r == 1 && op->optimistic)
		return 1; /* taken: nothing changed but the journal */
	if (r == 1)
		return mvl_fail(ctx, -EEXIST,
				"%s was created by someone else meanwhile; left "
				"untouched",
				op->name);
	return r;
}

int mvl_vtap_open(struct mvl_ctx *ctx, struct mvl_vtap_op *op)
{
	bool give = op->flags & (MVL_VTAP_OWNER | MVL_VTAP_GROUP);
	int r;

	if (!op->have_node && (op->queues || give)) {
		r = mvl_tapdev_find(ctx, kind_of(op), op->name, op->ifindex, &op->node);
		if (r < 0)
			return r;
	}
	if (op->queues) {
		r = mvl_tapdev_open_queues(ctx, &op->node, op->name, op->ifindex, op->queues,
					   op->tun_flags, op->fds);
		if (r < 0)
			return r;
	}
	if (give)
		return mvl_tapdev_give(ctx, &op->node, op->name,
				       (op->flags & MVL_VTAP_OWNER) ? op->owner : (uid_t)-1,
				       (op->flags & MVL_VTAP_GROUP) ? op->group : (gid_t)-1,
				       &op->owner_was);
	return 0;
}

int mvl_vtap_result(struct mvl_ctx *ctx, struct mvl_vtap_op *op, struct mvl_iface **ret)
{
	struct mvl_link_info li;
	struct mvl_iface *iface;
	char path[PATH_MAX];
	int r;

	if (op->adopted || op->ask_result) {
		r = mvl_nl_link_get(ctx, NULL, op->ifindex, &li);
		if (r < 0)
			return mvl_fail_kernel(ctx, r, "%s %s", kind_of(op), op->name);
	} else {
		/* what it was made with: the MAC given, the MTU given or else
		 * the lower's, which the kernel gives a new link */
		memcpy(li.mac, op->mac, 6);
		li.mtu = op->mtu ? op->mtu : op->lower.mtu;
	}
	snprintf(path, sizeof(path), "%s/tap%d", mvl_ctx_get_dev_root(ctx), op->ifindex);
	iface = mvl_iface_new(op->vk->row->mode, op->name, op->vm_id);
	if (!iface || mvl_iface_set_str(&iface->link, op->lower.name) < 0 ||
	    mvl_iface_set_str(&iface->devnode, path) < 0) {
		mvl_iface_unref(iface);
		return mvl_fail(ctx, -ENOMEM, "out of memory");
	}
	iface->ifindex = op->ifindex;
	iface->adopted = op->adopted;
	memcpy(iface->mac, li.mac, 6);
	iface->mtu = li.mtu;
	*ret = iface;
	return 0;
}

void mvl_vtap_done(struct mvl_ctx *ctx, struct mvl_vtap_op *op, struct mvl_iface *iface)
{
	char mode[64];

	iface->fds = TAKE_PTR(op->fds);
	iface->n_fds = op->queues;
	op->vk->mode_text(op, mode, sizeof(mode));
	info(ctx, "%s %s %s on %s for VM %s (%s, %u queue fd%s)",
	     op->adopted ? "adopted" : "created", kind_of(op), op->name, op->lower.name,
	     op->vm_id, mode, op->queues, op->queues == 1 ? "" : "s");
}

/* ------------------------------------------------------------- the rows */

int mvl_vtap_describe(struct mvl_ctx *ctx, const struct mvl_link_info *li,
		      struct mvl_iface *iface)
{
	char node[PATH_MAX];

	snprintf(node, sizeof(node), "%s/tap%d", mvl_ctx_get_dev_root(ctx), li->ifindex);
	return mvl_iface_set_str(&iface->devnode, node);
}
