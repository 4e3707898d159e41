// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * macvtap.c - macvtaps on an uplink: what a macvtap adds to the create
 * steps of vtap.c (its modes, its MAC, passthru's hold on the lower and
 * the MAC it sets there, the source MACs), the deletion that restores a
 * passthru lower, and the row.
 *
 * passthru wants the lower to itself (the lower's other macvlan/macvtap
 * children are checked) and changes the lower: its MAC (when one is given)
 * and, with LINK_UP, its up state, both written into the macvtap's tag, so
 * that whichever process deletes it can restore the lower.
 */
#include "kinds.h"

static const char *mode_name(int mode)
{
	const char *s = mvl_macvtap_mode_to_string((enum mvl_macvtap_mode)mode);

	return s ? s : "unknown";
}

static int op_mode(const struct mvl_vtap_op *op)
{
	return (int)((const struct mvl_macvtap_opts *)op->o)->mode;
}

static bool passthru(const struct mvl_vtap_op *op)
{
	return op_mode(op) == MVL_MACVTAP_PASSTHRU;
}

/* ------------------------------------------------------ the lower device */

/* The lower's passthru state recorded in a tag: 1 when there is one. */
static int tag_lower_state(const char *alias, uint8_t mac[6], bool *bring_down)
{
	char v[32];

	if (mvl_tag_get_field(alias, "lower_mac", v, sizeof(v)) != 1 || mvl_mac_parse(v, mac) < 0)
		return 0;
	*bring_down =
		mvl_tag_get_field(alias, "lower_up", v, sizeof(v)) == 1 && strcmp(v, "0") == 0;
	return 1;
}

int mvl_macvtap_delete_link(struct mvl_ctx *ctx, const struct mvl_link_info *li)
{
	struct mvl_link_change chg = MVL_LINK_CHANGE_INIT;
	struct mvl_link_info lo;
	uint8_t mac[6];
	bool bring_down = false, took_down = false;
	bool passthru = tag_lower_state(li->alias, mac, &bring_down) == 1;
	int r;

	/* a lower that was down goes down again first, while the macvtap is
	 * still there: a failure of either step leaves everything as it was
	 * (and a crash in between is finished by deleting again) */
	if (passthru && bring_down && li->link > 0 &&
	    mvl_nl_link_get(ctx, NULL, li->link, &lo) == 0 && (lo.flags & IFF_UP)) {
		chg.up = 0;
		r = mvl_nl_link_change(ctx, lo.ifindex, &chg);
		if (r < 0)
			return mvl_fail_kernel(
				ctx, r,
				"cannot bring lower device %s of passthru macvtap %s "
				"down again",
				lo.name, li->name);
		took_down = true;
	}
	r = mvl_nl_link_del(ctx, li->ifindex);
	if (r == -ENODEV)
		return 0;
	if (r < 0) {
		r = mvl_fail_kernel(ctx, r, "cannot delete macvtap %s", li->name);
		if (took_down) {
			int u;

			chg.up = 1;
			u = mvl_nl_link_change(ctx, lo.ifindex, &chg);
			if (u < 0)
				mvl_undo_failed(ctx, "bring lower device %s up again: %s", lo.name,
						MVL_STRERROR(u));
		}
		return r;
	}
	/* the kernel gives a passthru lower its MAC back itself: make sure */
	if (passthru && li->link > 0) {
		r = mvl_vtap_restore_lower(ctx, li->link, mac, bring_down);
		if (r < 0) {
			char a[18];

			/* (mvl_fail() may quote the message it replaces) */
			return mvl_fail(ctx, r,
					"deleted passthru macvtap %s, but %s; set it back by "
					"hand (MAC %s%s)",
					li->name, mvl_ctx_get_error(ctx), mvl_mac_format(mac, a),
					bring_down ? ", down" : "");
		}
	}
	return 1;
}

struct children {
	int lower, skip; /* the lower's ifindex; a child to ignore */
	int n;
	char first[IFNAMSIZ]; /* the first child */
	char passthru[IFNAMSIZ]; /* a passthru child ... */
	char passthru_kind[32]; /* ... and its kind */
};

/* (dump callback: must not send requests) */
static int child_cb(struct mvl_ctx *ctx, const struct mvl_link_info *li, void *data)
{
	struct children *c = data;

	if (li->link != c->lower || li->ifindex == c->skip || li->ifindex == c->lower ||
	    (strcmp(li->kind, "macvtap") != 0 && strcmp(li->kind, "macvlan") != 0))
		return 0;
	if (c->n++ == 0)
		snprintf(c->first, sizeof(c->first), "%s", li->name);
	if (li->macvtap_mode == MVL_MACVTAP_PASSTHRU) {
		snprintf(c->passthru, sizeof(c->passthru), "%s", li->name);
		snprintf(c->passthru_kind, sizeof(c->passthru_kind), "%s", li->kind);
	}
	return 0;
}

static void child_restart(void *data)
{
	struct children *c = data;

	c->n = 0;
	c->first[0] = c->passthru[0] = '\0';
}

/* passthru wants the lower to itself; a passthru child keeps others off.
 * The listings are filtered by kind in the kernel, so their cost does not
 * grow with unrelated links. */
static int check_children(struct mvl_ctx *ctx, const struct mvl_vtap_op *op, int skip)
{
	struct children c = { .lower = op->lower.ifindex, .skip = skip };
	struct children m = c;
	int r = mvl_nl_link_dump_kind(ctx, "macvtap", child_cb, child_restart, &c);

	if (r == 0)
		r = mvl_nl_link_dump_kind(ctx, "macvlan", child_cb, child_restart, &m);
	if (r == 0 && m.n) {
		if (!c.n)
			snprintf(c.first, sizeof(c.first), "%s", m.first);
		if (m.passthru[0])
			snprintf(c.passthru, sizeof(c.passthru), "%s", m.passthru);
		c.n += m.n;
	}
	if (r < 0)
		return mvl_fail_kernel(ctx, r, "cannot list links");
	if (c.passthru[0])
		return mvl_fail(ctx, -EBUSY,
				"lower device %s is taken by passthru %s %s: no other "
				"macvlan/macvtap can share it",
				op->lower.name, c.passthru_kind, c.passthru);
	if (passthru(op) && c.n > 0)
		return mvl_fail(ctx, -EBUSY,
				"passthru needs lower device %s to itself, but it "
				"already has macvlan/macvtap %s%s",
				op->lower.name, c.first, c.n > 1 ? " (and more)" : "");
	return 0;
}

/* ---------------------------------------------------------------- adopt */

static int mac_cmp(const void *a, const void *b)
{
	return memcmp(a, b, 6);
}

/* Whether the source-mode MAC lists are the same set. */
static bool same_sources(const struct mvl_macvtap_opts *o, const struct mvl_link_info *li)
{
	uint8_t a[MVL_MACVTAP_MAX_SOURCE][6], b[MVL_MACVTAP_MAX_SOURCE][6];
	unsigned n = o->n_source_macs;

	if (li->macvtap_n_source != n)
		return false;
	if (n == 0)
		return true;
	memcpy(a, o->source_macs, n * 6);
	memcpy(b, li->macvtap_source, n * 6);
	qsort(a, n, 6, mac_cmp);
	qsort(b, n, 6, mac_cmp);
	return memcmp(a, b, n * 6) == 0;
}

static int macvtap_mismatch(struct mvl_ctx *ctx, const struct mvl_vtap_op *op,
			    const struct mvl_link_info *li, const char *vm)
{
	const struct mvl_macvtap_opts *o = op->o;
	char a[18], b[18];

	if (li->macvtap_mode != (int)o->mode)
		return mvl_fail(ctx, -EEXIST, "macvtap %s of VM %s exists in mode %s; requested %s",
				li->name, vm, mode_name(li->macvtap_mode), mode_name((int)o->mode));
	if (op->fixed_mac && memcmp(li->mac, op->mac, 6) != 0)
		return mvl_fail(ctx, -EEXIST,
				"macvtap %s of VM %s exists with MAC %s; requested %s", li->name,
				vm, mvl_mac_format(li->mac, a), mvl_mac_format(op->mac, b));
	if (op->mtu && li->mtu != op->mtu) /* (before the sources, as ever) */
		return mvl_fail(ctx, -EEXIST,
				"macvtap %s of VM %s exists with MTU %u; requested %u", li->name,
				vm, li->mtu, op->mtu);
	if (o->mode == MVL_MACVTAP_SOURCE && !same_sources(o, li))
		return mvl_fail(ctx, -EEXIST,
				"macvtap %s of VM %s exists with %u other allowed "
				"source MAC%s; requested %u",
				li->name, vm, li->macvtap_n_source,
				li->macvtap_n_source == 1 ? "" : "s", o->n_source_macs);
	return 0;
}

/* --------------------------------------------------------------- create */

static int macvtap_check_opts(struct mvl_ctx *ctx, struct mvl_vtap_op *op)
{
	const struct mvl_macvtap_opts *o = op->o;
	char m[18];

	if (o->mac && mvl_mac_check(o->mac) < 0)
		return mvl_fail(ctx, -EINVAL, "invalid guest MAC %s: multicast or all-zero",
				mvl_mac_format(o->mac, m));
	if (!mvl_macvtap_mode_to_string(o->mode))
		return mvl_fail(ctx, -EINVAL,
				"invalid macvtap mode %d: bridge, vepa, private, "
				"passthru or source",
				(int)o->mode);
	if ((o->source_macs || o->n_source_macs) && o->mode != MVL_MACVTAP_SOURCE)
		return mvl_fail(ctx, -EINVAL,
				"allowed source MACs are given but the mode is %s; "
				"they need mode source",
				mode_name(o->mode));
	if (o->n_source_macs && !o->source_macs)
		return mvl_fail(ctx, -EINVAL, "%u source MACs announced but source_macs is NULL",
				o->n_source_macs);
	if (o->n_source_macs > MVL_MACVTAP_MAX_SOURCE)
		return mvl_fail(ctx, -EINVAL, "too many source MACs: %u (at most %d)",
				o->n_source_macs, MVL_MACVTAP_MAX_SOURCE);
	for (unsigned i = 0; i < o->n_source_macs; i++) {
		if (mvl_mac_check(o->source_macs[i]) < 0)
			return mvl_fail(ctx, -EINVAL,
					"invalid source MAC %s: multicast or all-zero",
					mvl_mac_format(o->source_macs[i], m));
		for (unsigned j = 0; j < i; j++)
			if (memcmp(o->source_macs[i], o->source_macs[j], 6) == 0)
				return mvl_fail(ctx, -EINVAL, "source MAC %s is listed twice",
						mvl_mac_format(o->source_macs[i], m));
	}
	/* passthru changes the lower: it is locked */
	op->lock_lower = passthru(op);
	op->ask_result = passthru(op);
	return 0;
}

static int macvtap_look(struct mvl_ctx *ctx, struct mvl_vtap_op *op)
{
	const struct mvl_macvtap_opts *o = op->o;
	int r;

	if (o->mac) {
		memcpy(op->mac, o->mac, 6);
		op->fixed_mac = true;
	} else if (passthru(op)) {
		memcpy(op->mac, op->lower.mac, 6); /* the kernel's choice: keep the lower's */
	} else {
		r = mvl_random_bytes(op->mac, 6);
		if (r < 0)
			return mvl_fail(ctx, r, "cannot get random bytes for a MAC");
		op->mac[0] = (uint8_t)((op->mac[0] & 0xfe) | 0x02); /* unicast, locally administered */
	}
	r = mvl_tag_format(op->tag, sizeof(op->tag), op->vm_id, MVL_MODE_MACVTAP);
	if (r == 0 && passthru(op)) {
		char a[18];
		size_t n = strlen(op->tag);

		/* what delete must put back on the lower, from any process */
		if (snprintf(op->tag + n, sizeof(op->tag) - n, ";lower_mac=%s;lower_up=%d",
			     mvl_mac_format(op->lower.mac, a),
			     (op->lower.flags & IFF_UP) ? 1 : 0) >= (int)(sizeof(op->tag) - n))
			r = -ENAMETOOLONG;
	}
	if (r < 0)
		return mvl_fail(ctx, r, "cannot tag VM %s", op->vm_id);
	/* A name is usually free: with nothing to change before the macvtap
	 * is created (the lower up, not passthru), it is created at once and
	 * looked at only when the kernel says it is taken (then the create
	 * starts over from the name, having changed nothing). */
	op->optimistic = !op->is_template && !passthru(op) && (op->lower.flags & IFF_UP);
	return 0;
}

/* The kernel refuses (EINVAL) a macvtap on a lower held by passthru, and
 * passthru on a lower with children, before it changes anything: the
 * children are listed first only for passthru, or before the lower is
 * brought up; otherwise macvtap_explain() explains an EINVAL afterwards,
 * and a create does not list every macvtap of the host. */
static int macvtap_check(struct mvl_ctx *ctx, struct mvl_vtap_op *op)
{
	if (passthru(op) || !(op->lower.flags & IFF_UP))
		return check_children(ctx, op, op->ifindex);
	return 0;
}

static void macvtap_plan(struct mvl_vtap_op *op, struct mvl_link_journal *j)
{
	if (j->link.set)
		j->lower_set_mac = passthru(op) && op->fixed_mac &&
				   memcmp(op->mac, op->lower.mac, 6) != 0;
}

static void macvtap_spec(const struct mvl_vtap_op *op, struct mvl_link_new *spec)
{
	const struct mvl_macvtap_opts *o = op->o;

	/* passthru takes the lower's MAC whatever we say: set after */
	spec->mac = passthru(op) ? NULL : op->mac;
	spec->macvtap_mode = (int)o->mode; /* always explicit: the kernel's default is vepa */
	spec->source_macs = o->source_macs;
	spec->n_source_macs = o->n_source_macs;
}

static int macvtap_explain(struct mvl_ctx *ctx, struct mvl_vtap_op *op, int r, const char *extack)
{
	char a[18];

	if (r == -EADDRINUSE)
		return mvl_fail_kernel_extack(
			ctx, r, extack,
			"cannot create macvtap %s: MAC %s is already used on lower "
			"device %s (by the device itself or another macvlan/macvtap)",
			op->name, mvl_mac_format(op->mac, a), op->lower.name);
	if (r == -EINVAL && !passthru(op)) {
		int c = check_children(ctx, op, 0); /* held by a passthru child? */

		if (c < 0)
			return c;
	}
	return mvl_fail_kernel_extack(ctx, r, extack, "cannot create macvtap %s on %s (mode %s)",
				      op->name, op->lower.name, mode_name(op_mode(op)));
}

/* passthru with a guest MAC: set it (the kernel moves it to the lower) */
static int macvtap_made(struct mvl_ctx *ctx, struct mvl_vtap_op *op)
{
	struct mvl_link_change chg = MVL_LINK_CHANGE_INIT;
	char a[18];
	int r;

	if (!passthru(op) || !op->fixed_mac || memcmp(op->mac, op->lower.mac, 6) == 0)
		return 0;
	chg.mac = op->mac;
	op->lower_mac_set = true; /* before: a failure may have half-applied */
	r = mvl_nl_link_change(ctx, op->created, &chg);
	if (r < 0)
		return mvl_fail_kernel(ctx, r,
				       "cannot set MAC %s on passthru macvtap %s "
				       "(and lower device %s)",
				       mvl_mac_format(op->mac, a), op->name, op->lower.name);
	return 0;
}

static void macvtap_mode_text(const struct mvl_vtap_op *op, char *buf, size_t len)
{
	snprintf(buf, len, "mode %s", mode_name(op_mode(op)));
}

const struct mvl_vtap_kind mvl_macvtap_vtap = {
	.row = &mvl_macvtap_kind,
	.check_opts = macvtap_check_opts,
	.look = macvtap_look,
	.mismatch = macvtap_mismatch,
	.check = macvtap_check,
	.plan = macvtap_plan,
	.spec = macvtap_spec,
	.explain = macvtap_explain,
	.made = macvtap_made,
	.mode_text = macvtap_mode_text,
};

/* ---------------------------------------------------------------- the row */

/* A passthru macvtap's lower device gets its state back when it goes: its
 * lock too. */
static int macvtap_delete_locks(struct mvl_ctx *ctx, const struct mvl_link_info *li,
				struct mvl_lockset *set)
{
	struct mvl_link_info lower;
	char v[32];

	if (li->link > 0 && mvl_tag_get_field(li->alias, "lower_mac", v, sizeof(v)) == 1 &&
	    mvl_nl_link_get(ctx, NULL, li->link, &lower) == 0)
		return mvl_lockset_add(set, MVL_LOCK_UPLINK, lower.name);
	return 0;
}

/* a passthru macvtap has its lower restored after it: one by one */
static bool macvtap_group_deletable(const struct mvl_link_info *li)
{
	char v[32];

	return mvl_tag_get_field(li->alias, "lower_mac", v, sizeof(v)) == 0;
}

const struct mvl_link_kind mvl_macvtap_kind = {
	.kind = "macvtap",
	.mode = MVL_MODE_MACVTAP,
	.jop = MVL_LJ_MACVTAP,
	.lock = MVL_LOCK_NAME,
	.on_lower = true,
	.delete_locks = macvtap_delete_locks,
	.delete_link = mvl_macvtap_delete_link,
	.group_deletable = macvtap_group_deletable,
	.describe = mvl_vtap_describe,
};
