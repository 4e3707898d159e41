// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * macvtap.c - macvtaps on an uplink and their /dev/tapN queue fds: the
 * steps of a create (create.c puts them in order on a transaction), the
 * deletion that restores a passthru lower, and the row.
 *
 * Order of a create (each step undone, in reverse, when a later one fails):
 *   0. checks that change nothing: the options, the lower device (exists,
 *      not a bridge, not a bridge port or bond slave, MTU), the name (free,
 *      or our own macvtap of the same configuration: adopted), the lower's
 *      other macvlan/macvtap children (passthru wants the lower to itself)
 *      Before them: the locks (the lower device when passthru or LINK_UP,
 *      the name or a template's lowest free number), what crashed creates
 *      left on them undone (recover.c, through the transaction of txn.c).
 *   1. the intent journal (journal.c): the macvtap with the ifindex chosen
 *      for it, the lower's MAC and up state, an adopted macvtap's node
 *   2. bring the lower up (MVL_MACVTAP_LINK_UP only)
 *   3. RTM_NEWLINK with NLM_F_CREATE|NLM_F_EXCL: kind macvtap, the chosen
 *      ifindex, explicit mode, MAC, MTU, up; then the tag
 *   4. passthru with a guest MAC: set it (the kernel moves it to the lower)
 *   5. open the char device once per queue: /dev/tap<ifindex> when it is
 *      the device sysfs names, else a private node made with mknod in
 *      <state dir>/dev (0700) and unlinked right after the opens
 *   6. TUNSETIFF per fd (vnet_hdr, multi-queue)
 *   7. chown/chmod /dev/tapN (MVL_MACVTAP_OWNER/GROUP)
 *   8. the journal removed: the last step
 *
 * Unlike a tap, a macvtap is a plain netdev: it stays until it is deleted,
 * whether or not queue fds are open.  What passthru mode changes on the
 * lower device (its MAC, and its up state with LINK_UP) is written into the
 * macvtap's tag, so that whichever process deletes it can restore the lower.
 */
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <linux/if_tun.h>

#include "kinds.h"

#define MVL_MAX_QUEUES 256 /* the kernel's MAX_TAP_QUEUES */

static const char *mode_name(int mode)
{
	const char *s = mvl_macvtap_mode_to_string((enum mvl_macvtap_mode)mode);

	return s ? s : "unknown";
}

/* ------------------------------------------------------ the lower device */

/*
 * Put back what passthru (and LINK_UP) changed on lower @ifindex: its MAC
 * (the kernel itself restores it when the passthru macvtap goes; this makes
 * sure) and, when @bring_down, its down state.  Returns 0 or -errno with the
 * message set.
 */
static int restore_lower(struct mvl_ctx *ctx, int ifindex, const uint8_t *mac, bool bring_down)
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
		r = restore_lower(ctx, li->link, mac, bring_down);
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

/* Refuse a lower device a macvtap cannot (or should not) sit on. */
static int check_lower(struct mvl_ctx *ctx, const struct mvl_macvtap_want *w)
{
	const struct mvl_link_info *lo = &w->lower;
	const struct mvl_macvtap_opts *o = w->o;

	if (strcmp(lo->kind, "bridge") == 0)
		return mvl_fail(ctx, -EINVAL,
				"lower device %s is a bridge: put VMs on a bridge with "
				"a tap (mode tap), or give the macvtap the bridge's uplink",
				lo->name);
	if (lo->master && strcmp(lo->slave_kind, "vrf") != 0) {
		struct mvl_link_info m;
		const char *mname = mvl_nl_link_get(ctx, NULL, lo->master, &m) == 0 ? m.name : "?";

		if (strcmp(lo->slave_kind, "bridge") == 0)
			return mvl_fail(ctx, -EBUSY,
					"lower device %s is a port of bridge %s: it "
					"cannot feed macvtaps too; use a tap on %s, or take %s out "
					"of it",
					lo->name, mname, mname, lo->name);
		if (strcmp(lo->slave_kind, "bond") == 0)
			return mvl_fail(ctx, -EBUSY,
					"lower device %s is a slave of bond %s: put the "
					"macvtap on %s instead",
					lo->name, mname, mname);
		return mvl_fail(ctx, -EBUSY,
				"lower device %s is enslaved to %s%s%s: it cannot "
				"feed macvtaps too",
				lo->name, lo->slave_kind, lo->slave_kind[0] ? " " : "", mname);
	}
	if (o->mtu && lo->mtu && o->mtu > lo->mtu)
		return mvl_fail(ctx, -EINVAL, "MTU %u is larger than the MTU %u of lower device %s",
				o->mtu, lo->mtu, lo->name);
	return 0;
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
static int check_children(struct mvl_ctx *ctx, const struct mvl_macvtap_want *w, int skip)
{
	struct children c = { .lower = w->lower.ifindex, .skip = skip };
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
				w->lower.name, c.passthru_kind, c.passthru);
	if (w->mode == MVL_MACVTAP_PASSTHRU && c.n > 0)
		return mvl_fail(ctx, -EBUSY,
				"passthru needs lower device %s to itself, but it "
				"already has macvlan/macvtap %s%s",
				w->lower.name, c.first, c.n > 1 ? " (and more)" : "");
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

static int describe_mismatch(struct mvl_ctx *ctx, const struct mvl_macvtap_want *w,
			     const struct mvl_link_info *li)
{
	const struct mvl_macvtap_opts *o = w->o;
	char vm[128], a[18], b[18];
	enum mvl_mode mode;

	if (strcmp(li->kind, "macvtap") != 0)
		return mvl_fail(ctx, -EEXIST,
				"%s exists and is a %s device, not an mvlink macvtap; "
				"left untouched",
				li->name, li->kind[0] ? li->kind : "plain");
	if (mvl_tag_parse(li->alias, vm, sizeof(vm), &mode) != 1)
		return mvl_fail(ctx, -EEXIST,
				"macvtap %s exists and was not created by mvlink%s%s%s; "
				"left untouched",
				li->name, li->alias[0] ? " (alias '" : "", li->alias,
				li->alias[0] ? "')" : "");
	if (strcmp(vm, o->vm_id) != 0)
		return mvl_fail(ctx, -EEXIST,
				"macvtap %s exists and belongs to VM %s; left untouched", li->name,
				vm);
	if (mode != MVL_MODE_MACVTAP)
		return mvl_fail(ctx, -EEXIST,
				"macvtap %s of VM %s is tagged as mode %s; left "
				"untouched",
				li->name, vm, mvl_mode_to_string(mode));
	if (li->link != w->lower.ifindex) {
		struct mvl_link_info other;
		const char *on =
			mvl_nl_link_get(ctx, NULL, li->link, &other) == 0 ? other.name : "?";

		return mvl_fail(ctx, -EEXIST,
				"macvtap %s of VM %s exists on lower device %s; "
				"requested %s",
				li->name, vm, on, w->lower.name);
	}
	if (li->macvtap_mode != w->mode)
		return mvl_fail(ctx, -EEXIST, "macvtap %s of VM %s exists in mode %s; requested %s",
				li->name, vm, mode_name(li->macvtap_mode), mode_name(w->mode));
	if (w->fixed_mac && memcmp(li->mac, w->mac, 6) != 0)
		return mvl_fail(ctx, -EEXIST,
				"macvtap %s of VM %s exists with MAC %s; requested %s", li->name,
				vm, mvl_mac_format(li->mac, a), mvl_mac_format(w->mac, b));
	if (o->mtu && li->mtu != o->mtu)
		return mvl_fail(ctx, -EEXIST,
				"macvtap %s of VM %s exists with MTU %u; requested %u", li->name,
				vm, li->mtu, o->mtu);
	if (w->mode == MVL_MACVTAP_SOURCE && !same_sources(o, li))
		return mvl_fail(ctx, -EEXIST,
				"macvtap %s of VM %s exists with %u other allowed "
				"source MAC%s; requested %u",
				li->name, vm, li->macvtap_n_source,
				li->macvtap_n_source == 1 ? "" : "s", o->n_source_macs);
	if (!(li->flags & IFF_UP))
		return mvl_fail(ctx, -EEXIST,
				"macvtap %s of VM %s exists but is down; delete it "
				"first",
				li->name, vm);
	return 0;
}

/* ------------------------------------------------------------- the undo */

static void undo(struct mvl_ctx *ctx, const struct mvl_macvtap_want *w, struct mvl_macvtap_done *d)
{
	int r;

	mvl_fds_close(d->fds, d->n_fds);
	mvl_tapdev_give_back(ctx, &d->owner);
	if (d->created) {
		r = mvl_nl_link_del(ctx, d->created);
		if (r < 0 && r != -ENODEV)
			mvl_undo_failed(ctx, "delete macvtap (ifindex %d): %s", d->created,
					MVL_STRERROR(r));
		else
			d->created = 0; /* gone: its index entry goes too */
	}
	if (d->passthru_mac_set || d->lower_brought_up) {
		/* (restore_lower() sets the message: inside the undo scope of
		 * mvl_txn_abort(), which puts the original one back) */
		r = restore_lower(ctx, w->lower.ifindex, d->passthru_mac_set ? w->lower.mac : NULL,
				  d->lower_brought_up);
		if (r < 0)
			mvl_undo_failed(ctx, "%s", mvl_ctx_get_error(ctx));
	}
}

/* --------------------------------------------------------------- create */

static int check_opts(struct mvl_ctx *ctx, const struct mvl_macvtap_opts *o, int *ret_template)
{
	char m[18];
	int t;

	if (!MVL_OPTS_VALID(o, struct mvl_macvtap_opts, link))
		return mvl_fail(ctx, -EINVAL,
				"invalid struct mvl_macvtap_opts (size or trailing bytes)");
	if (mvl_vm_id_check(o->vm_id) < 0)
		return mvl_fail_vm_id(ctx, o->vm_id, NULL);
	t = mvl_ifname_template_check(o->name);
	if (t < 0)
		return mvl_fail(
			ctx, -EINVAL,
			"invalid macvtap name '%s': 1-15 bytes without '/', ':' or spaces, or "
			"a template with one %%d",
			o->name ? o->name : "");
	if (mvl_ifname_check(o->link) < 0)
		return mvl_fail(ctx, -EINVAL, "invalid lower device name '%s'",
				o->link ? o->link : "");
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
	if (o->mtu && (o->mtu < 68 || o->mtu > 65535))
		return mvl_fail(ctx, -EINVAL, "invalid MTU %u (68..65535)", o->mtu);
	if (o->queues > MVL_MAX_QUEUES)
		return mvl_fail(ctx, -EINVAL, "invalid queue count %u (1..%d)", o->queues,
				MVL_MAX_QUEUES);
	if (o->flags & ~(unsigned)(MVL_MACVTAP_NO_VNET_HDR | MVL_MACVTAP_LINK_UP |
				   MVL_MACVTAP_OWNER | MVL_MACVTAP_GROUP | MVL_MACVTAP_NO_FDS))
		return mvl_fail(ctx, -EINVAL, "unknown macvtap flags 0x%x", o->flags);
	*ret_template = t;
	return 0;
}

/* Create a new macvtap named @name; 1 (no message) when the name is taken. */
static int macvtap_new(struct mvl_ctx *ctx, const struct mvl_macvtap_want *w, const char *name,
		       struct mvl_link_journal *j, struct mvl_macvtap_done *d)
{
	const struct mvl_macvtap_opts *o = w->o;
	bool passthru = w->mode == MVL_MACVTAP_PASSTHRU;
	struct mvl_link_new spec = {
		.name = name,
		.kind = "macvtap",
		.link = w->lower.ifindex,
		/* passthru takes the lower's MAC whatever we say: set below */
		.mac = passthru ? NULL : w->mac,
		.mtu = o->mtu,
		.alias = w->tag,
		.up = 1,
		.macvtap_mode = w->mode, /* always explicit: the kernel's default is vepa */
		.source_macs = o->source_macs,
		.n_source_macs = o->n_source_macs,
	};
	struct mvl_link_info li;
	char a[18];
	int r, ifindex = 0;

	/* indexed before it exists (index.c); a failure removes the entry
	 * (mvl_macvtap_undo()) */
	r = mvl_index_add(ctx, o->vm_id, j->link.ifindex, name);
	if (r < 0)
		return r;
	for (int attempt = 0;; attempt++) {
		spec.ifindex = j->link.ifindex;
		r = mvl_nl_link_new(ctx, &spec, &ifindex);
		if (r != -EEXIST)
			break;
		mvl_index_remove(ctx, o->vm_id, j->link.ifindex);
		r = mvl_nl_link_get(ctx, name, 0, &li);
		if (r == 0)
			return 1;
		if (r != -ENODEV)
			return mvl_fail_kernel(ctx, r, "cannot look up %s", name);
		if (attempt == 2)
			return mvl_fail(ctx, -EEXIST,
					"cannot create macvtap %s: ifindex %d is taken", name,
					j->link.ifindex);
		/* the ifindex was taken meanwhile: another one */
		r = mvl_link_repick_ifindex(ctx, j);
		if (r < 0)
			return r;
	}
	if (r == -EADDRINUSE)
		return mvl_fail_kernel(ctx, r,
				       "cannot create macvtap %s: MAC %s is already used on lower "
				       "device %s (by the device itself or another macvlan/macvtap)",
				       name, mvl_mac_format(w->mac, a), w->lower.name);
	if (r < 0) {
		/* check_children() makes requests of its own, which clear it */
		char extack[256];

		snprintf(extack, sizeof(extack), "%s", mvl_nl_extack(ctx));
		if (r == -EINVAL && !passthru) {
			int c = check_children(ctx, w, 0); /* held by a passthru child? */

			if (c < 0)
				return c;
		}
		return mvl_fail_kernel_extack(ctx, r, extack,
					      "cannot create macvtap %s on %s (mode %s)", name,
					      w->lower.name, mode_name(w->mode));
	}
	d->created = ifindex;
	if (passthru && w->fixed_mac && memcmp(w->mac, w->lower.mac, 6) != 0) {
		struct mvl_link_change chg = MVL_LINK_CHANGE_INIT;

		chg.mac = w->mac;
		d->passthru_mac_set = true; /* before: a failure may have half-applied */
		r = mvl_nl_link_change(ctx, ifindex, &chg);
		if (r < 0)
			return mvl_fail_kernel(ctx, r,
					       "cannot set MAC %s on passthru macvtap %s "
					       "(and lower device %s)",
					       mvl_mac_format(w->mac, a), name, w->lower.name);
	}
	return 0;
}

int mvl_macvtap_prepare(struct mvl_ctx *ctx, struct mvl_macvtap_op *op)
{
	const struct mvl_macvtap_opts *o = op->w.o;
	struct mvl_macvtap_want *w = &op->w;
	struct mvl_macvtap_done *d = &op->d;
	int r, is_template = 0;

	r = check_opts(ctx, o, &is_template);
	if (r < 0)
		return r;
	op->is_template = is_template;
	w->mode = (int)o->mode;
	op->passthru = w->mode == MVL_MACVTAP_PASSTHRU;
	w->queues = (o->flags & MVL_MACVTAP_NO_FDS) ? 0 : (o->queues ? o->queues : 1);
	w->tun_flags = IFF_TAP | IFF_NO_PI;
	if (!(o->flags & MVL_MACVTAP_NO_VNET_HDR))
		w->tun_flags |= IFF_VNET_HDR;
	if (o->queues > 1)
		w->tun_flags |= IFF_MULTI_QUEUE;
	d->fds = calloc(w->queues ? w->queues : 1, sizeof(int));
	if (!d->fds)
		return mvl_fail(ctx, -ENOMEM, "out of memory");
	d->n_fds = w->queues;
	for (unsigned i = 0; i < w->queues; i++)
		d->fds[i] = -1;
	return 0;
}

int mvl_macvtap_look(struct mvl_ctx *ctx, struct mvl_macvtap_op *op)
{
	const struct mvl_macvtap_opts *o = op->w.o;
	struct mvl_macvtap_want *w = &op->w;
	int r;

	r = mvl_nl_link_get(ctx, o->link, 0, &w->lower);
	if (r == -ENODEV)
		return mvl_fail(ctx, -ENODEV, "lower device %s does not exist", o->link);
	if (r < 0)
		return mvl_fail_kernel(ctx, r, "cannot look up lower device %s", o->link);
	r = check_lower(ctx, w);
	if (r < 0)
		return r;
	if (o->mac) {
		memcpy(w->mac, o->mac, 6);
		w->fixed_mac = true;
	} else if (op->passthru) {
		memcpy(w->mac, w->lower.mac, 6); /* the kernel's choice: keep the lower's */
	} else {
		r = mvl_random_bytes(w->mac, 6);
		if (r < 0)
			return mvl_fail(ctx, r, "cannot get random bytes for a MAC");
		w->mac[0] = (uint8_t)((w->mac[0] & 0xfe) | 0x02); /* unicast, locally administered */
	}
	r = mvl_tag_format(w->tag, sizeof(w->tag), o->vm_id, MVL_MODE_MACVTAP);
	if (r == 0 && op->passthru) {
		char a[18];
		size_t n = strlen(w->tag);

		/* what delete must put back on the lower, from any process */
		if (snprintf(w->tag + n, sizeof(w->tag) - n, ";lower_mac=%s;lower_up=%d",
			     mvl_mac_format(w->lower.mac, a),
			     (w->lower.flags & IFF_UP) ? 1 : 0) >= (int)(sizeof(w->tag) - n))
			r = -ENAMETOOLONG;
	}
	if (r < 0)
		return mvl_fail(ctx, r, "cannot tag VM %s", o->vm_id);
	/* A name is usually free: with nothing to change before the macvtap
	 * is created (the lower up, not passthru), it is created at once and
	 * looked at only when the kernel says it is taken (then the create
	 * starts over from the name, having changed nothing). */
	op->optimistic = !op->is_template && !op->passthru && (w->lower.flags & IFF_UP);
	return 0;
}

int mvl_macvtap_find(struct mvl_ctx *ctx, struct mvl_macvtap_op *op)
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
	r = describe_mismatch(ctx, &op->w, &li);
	if (r < 0)
		return r;
	op->adopted = true;
	op->ifindex = li.ifindex;
	return 0;
}

int mvl_macvtap_check(struct mvl_ctx *ctx, struct mvl_macvtap_op *op)
{
	const struct mvl_macvtap_want *w = &op->w;
	int r;

	/* The kernel refuses (EINVAL) a macvtap on a lower held by passthru,
	 * and passthru on a lower with children, before it changes anything:
	 * the children are listed first only for passthru, or before the
	 * lower is brought up; otherwise macvtap_new() explains an EINVAL
	 * afterwards, and a create does not list every macvtap of the host. */
	if (op->passthru || !(w->lower.flags & IFF_UP)) {
		r = check_children(ctx, w, op->ifindex);
		if (r < 0)
			return r;
	}
	if (!(w->lower.flags & IFF_UP) && !(w->o->flags & MVL_MACVTAP_LINK_UP))
		return mvl_fail(ctx, -ENETDOWN,
				"lower device %s is down: bring it up first, or ask "
				"for it to be brought up",
				w->lower.name);
	return 0;
}

/* An adopted macvtap's node, before it is chowned: into the journal. */
static int plan_node(struct mvl_ctx *ctx, struct mvl_macvtap_op *op)
{
	struct mvl_link_journal *j = op->j;
	struct stat st;
	int r;

	r = mvl_tapdev_find(ctx, mvl_macvtap_kind.kind, op->name, op->ifindex, &op->node);
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

int mvl_macvtap_plan(struct mvl_ctx *ctx, struct mvl_macvtap_op *op)
{
	const struct mvl_macvtap_want *w = &op->w;
	const struct mvl_macvtap_opts *o = w->o;
	struct mvl_link_journal *j = op->j;
	int r;

	/* what a crash would leave, journaled before it is done: the macvtap
	 * (with the ifindex chosen for it), the lower's MAC and up state, an
	 * adopted macvtap's node */
	if (j->link.set) {
		j->link_lower = w->lower.ifindex;
		j->lower_set_mac = op->passthru && w->fixed_mac &&
				   memcmp(w->mac, w->lower.mac, 6) != 0;
	}
	j->lower_was_down = !(w->lower.flags & IFF_UP);
	if (j->lower_set_mac || j->lower_was_down) {
		j->lower = (struct mvl_lj_dev){ .set = true, .ifindex = w->lower.ifindex };
		snprintf(j->lower.name, sizeof(j->lower.name), "%s", w->lower.name);
		snprintf(j->lower.kind, sizeof(j->lower.kind), "%s", w->lower.kind);
		memcpy(j->lower_mac, w->lower.mac, 6);
		memcpy(j->lower_new_mac, w->mac, 6);
	}
	op->have_node = false;
	if (op->adopted && (o->flags & (MVL_MACVTAP_OWNER | MVL_MACVTAP_GROUP))) {
		r = plan_node(ctx, op);
		if (r < 0)
			return r;
	}
	/* an adopted macvtap is indexed already, unless made before the
	 * index was (ours is indexed by macvtap_new()) */
	if (op->adopted) {
		r = mvl_index_add(ctx, o->vm_id, op->ifindex, op->name);
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

int mvl_macvtap_make(struct mvl_ctx *ctx, struct mvl_macvtap_op *op)
{
	const struct mvl_macvtap_want *w = &op->w;
	int r;

	/* the lower up */
	if (!(w->lower.flags & IFF_UP)) {
		struct mvl_link_change chg = MVL_LINK_CHANGE_INIT;

		chg.up = 1;
		r = mvl_nl_link_change(ctx, w->lower.ifindex, &chg);
		if (r < 0)
			return mvl_fail_kernel(ctx, r, "cannot bring lower device %s up",
					       w->lower.name);
		op->d.lower_brought_up = true;
	}
	if (op->adopted)
		return 0;
	/* the macvtap */
	r = macvtap_new(ctx, w, op->name, op->j, &op->d);
	if (r == 1 && op->optimistic)
		return 1; /* taken: nothing changed but the journal */
	if (r == 1)
		return mvl_fail(ctx, -EEXIST,
				"%s was created by someone else meanwhile; left "
				"untouched",
				op->name);
	if (r < 0)
		return r;
	op->ifindex = op->d.created;
	return 0;
}

int mvl_macvtap_open(struct mvl_ctx *ctx, struct mvl_macvtap_op *op)
{
	const struct mvl_macvtap_want *w = &op->w;
	const struct mvl_macvtap_opts *o = w->o;
	int r;

	if (!op->have_node && (w->queues || (o->flags & (MVL_MACVTAP_OWNER | MVL_MACVTAP_GROUP)))) {
		r = mvl_tapdev_find(ctx, mvl_macvtap_kind.kind, op->name, op->ifindex, &op->node);
		if (r < 0)
			return r;
	}
	if (w->queues) {
		r = mvl_tapdev_open_queues(ctx, &op->node, op->name, op->ifindex, w->queues,
					   w->tun_flags, op->d.fds);
		if (r < 0)
			return r;
	}
	if (o->flags & (MVL_MACVTAP_OWNER | MVL_MACVTAP_GROUP))
		return mvl_tapdev_give(ctx, &op->node, op->name,
				       (o->flags & MVL_MACVTAP_OWNER) ? o->owner : (uid_t)-1,
				       (o->flags & MVL_MACVTAP_GROUP) ? o->group : (gid_t)-1,
				       &op->d.owner);
	return 0;
}

int mvl_macvtap_result(struct mvl_ctx *ctx, struct mvl_macvtap_op *op, struct mvl_iface **ret)
{
	const struct mvl_macvtap_want *w = &op->w;
	struct mvl_link_info li;
	struct mvl_iface *iface;
	char path[PATH_MAX];
	int r;

	if (op->adopted || op->passthru) {
		r = mvl_nl_link_get(ctx, NULL, op->ifindex, &li);
		if (r < 0)
			return mvl_fail_kernel(ctx, r, "macvtap %s", op->name);
	} else {
		/* what it was made with: the MAC given, the MTU given or else
		 * the lower's, which the kernel gives a new macvlan */
		memcpy(li.mac, w->mac, 6);
		li.mtu = w->o->mtu ? w->o->mtu : w->lower.mtu;
	}
	snprintf(path, sizeof(path), "%s/tap%d", mvl_ctx_get_dev_root(ctx), op->ifindex);
	iface = mvl_iface_new(MVL_MODE_MACVTAP, op->name, w->o->vm_id);
	if (!iface || mvl_iface_set_str(&iface->link, w->lower.name) < 0 ||
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

void mvl_macvtap_done(struct mvl_ctx *ctx, struct mvl_macvtap_op *op, struct mvl_iface *iface)
{
	const struct mvl_macvtap_want *w = &op->w;

	iface->fds = TAKE_PTR(op->d.fds);
	iface->n_fds = w->queues;
	info(ctx, "%s macvtap %s on %s for VM %s (mode %s, %u queue fd%s)",
	     op->adopted ? "adopted" : "created", op->name, w->lower.name, w->o->vm_id,
	     mode_name(w->mode), w->queues, w->queues == 1 ? "" : "s");
}

void mvl_macvtap_undo(struct mvl_ctx *ctx, void *data)
{
	struct mvl_macvtap_op *op = data;

	undo(ctx, &op->w, &op->d);
	if (!op->adopted && op->j->link.set && !op->d.created)
		mvl_index_remove(ctx, op->w.o->vm_id, op->j->link.ifindex);
}

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

static int macvtap_describe(struct mvl_ctx *ctx, const struct mvl_link_info *li,
			    struct mvl_iface *iface)
{
	char node[PATH_MAX];

	snprintf(node, sizeof(node), "%s/tap%d", mvl_ctx_get_dev_root(ctx), li->ifindex);
	return mvl_iface_set_str(&iface->devnode, node);
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
	.describe = macvtap_describe,
};
