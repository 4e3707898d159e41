// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * tap.c - taps through /dev/net/tun, optionally on a bridge: the steps of
 * a create (create.c puts them in order on a transaction) and the row.
 *
 * Order of a create (each step undone, in reverse, when a later one fails):
 *   0. the locks: bridge, uplink, name (a template's lowest free number,
 *      whose lock is free); what crashed creates left on them undone
 *      (recover.c, through the transaction of txn.c)
 *   1. ensure the bridge (and uplink)            bridge.c
 *      (a change there is journaled first, see below)
 *   2. the index entry (index.c); TUNSETIFF with IFF_TUN_EXCL, after
 *      TUNSETIFINDEX: a new tap with the ifindex mvlink chose, never
 *      someone else's
 *   3. TUNSETOWNER / TUNSETGROUP
 *   4. one more TUNSETIFF per extra queue (not for a persistent tap: its
 *      VMM attaches the queues by name)
 *   5. one RTM_SETLINK of host-side MAC, MTU, tag, master and up, which the
 *      kernel applies in this order
 *   6. a persistent tap: TUNSETPERSIST, and its only queue closed
 *   7. the journal (if the bridge wrote one) removed
 * Until step 6 every tap lives exactly as long as its queue fds: a crash
 * takes it away with the process, and the bridge port with it.  A
 * persistent tap is complete when it becomes persistent, so it needs no
 * journal of its own.  What else a crash would leave (a bridge created or
 * brought up, an uplink enslaved) is written into an intent journal before
 * it is done (linkjournal.c), which names the tap and bridge by the ifindexes
 * chosen for them; a crash leaves the journal for mvl_recover(),
 * mvl_vm_delete(), mvl_gc() or the next create on the same locks to undo.
 *
 * Why a persistent tap is made with IFF_NO_CARRIER: a queue gives the tap
 * its carrier, and a tap that comes up with a carrier gets IPv6 configured
 * and its bridge port forwarding, all undone when the queue is closed a
 * moment later; that doubled the kernel's work per tap (bench/README.md).
 * Its VMM's TUNSETIFF turns the carrier on.  (Kernels before 6.0 ignore the
 * flag: the tap is the same, the kernel only works more.)
 * Why one request: each request waits for the RTNL; the tag's
 * NETDEV_CHANGE (on which IPv6 walks its routing table when the link is not
 * ready, as a tap without carrier is not) comes once, at its end, as it
 * would for a tag set alone.
 * Why the MTU is set before the tap is enslaved: a bridge takes its
 * smallest port's MTU, so a tap enslaved at the kernel's 1500 would pull a
 * jumbo bridge down to 1500 for a moment (tests/test-tap.c
 * mtu_set_before_enslaving watches the link events for that).
 */
#include <fcntl.h>
#include <sys/ioctl.h>
#include <linux/if_tun.h>

#include "kinds.h"

#define MVL_MAX_QUEUES 256 /* the kernel's MAX_TAP_QUEUES */
#ifndef IFF_NO_CARRIER
#define IFF_NO_CARRIER 0x0040 /* Linux 6.0 */
#endif


/*
 * The host side's MAC for guest MAC @guest (libvirt's rule): the guest's
 * address with first byte 0xfe, or 0xfa when the guest's first byte is
 * already 0xfe, so the two never collide.  Both are unicast and locally
 * administered, and high: a bridge takes the lowest port MAC as its own,
 * so it does not take the tap's.  Every host MAC of a tap comes from here
 * (the adoption check of an existing tap compares with it too).
 */
static void host_mac_from_guest(const uint8_t guest[6], uint8_t ret_host[6])
{
	memcpy(ret_host, guest, 6);
	ret_host[0] = guest[0] == 0xfe ? 0xfa : 0xfe;
}

static int describe_mismatch(struct mvl_ctx *ctx, const struct mvl_tap_op *w,
			     const struct mvl_link_info *li)
{
	const struct mvl_tap_opts *o = w->o;
	char vm[128];
	enum mvl_mode mode;
	bool want_mq = w->tun_flags & IFF_MULTI_QUEUE;

	if (!li->is_tun || li->tun_type != IFF_TAP)
		return mvl_fail(ctx, -EEXIST, "%s exists and is a %s device, not an mvlink tap; "
				"left untouched", li->name, li->kind[0] ? li->kind : "plain");
	if (mvl_tag_parse(li->alias, vm, sizeof(vm), &mode) != 1)
		return mvl_fail(ctx, -EEXIST, "tap %s exists and was not created by mvlink%s%s%s; "
				"left untouched", li->name, li->alias[0] ? " (alias '" : "",
				li->alias, li->alias[0] ? "')" : "");
	if (strcmp(vm, o->vm_id) != 0 || mode != MVL_MODE_TAP)
		return mvl_fail(ctx, -EEXIST, "tap %s exists and belongs to VM %s; left untouched",
				li->name, vm);
	if (li->tun_multi_queue != want_mq)
		return mvl_fail(ctx, -EEXIST, "tap %s of VM %s exists %s multi-queue; requested %s",
				li->name, vm, li->tun_multi_queue ? "with" : "without",
				want_mq ? "with" : "without");
	if (li->tun_vnet_hdr != !!(w->tun_flags & IFF_VNET_HDR))
		return mvl_fail(ctx, -EEXIST, "tap %s of VM %s exists with vnet_hdr %s; requested %s",
				li->name, vm, li->tun_vnet_hdr ? "on" : "off",
				(w->tun_flags & IFF_VNET_HDR) ? "on" : "off");
	if (li->tun_persist != !!(o->flags & MVL_TAP_PERSIST))
		return mvl_fail(ctx, -EEXIST, "tap %s of VM %s exists %s; requested %s", li->name, vm,
				li->tun_persist ? "persistent" : "not persistent (held by a running "
				"process)", (o->flags & MVL_TAP_PERSIST) ? "persistent" : "not persistent");
	if ((o->flags & MVL_TAP_OWNER ? (long long)o->owner : -1) != li->tun_owner)
		return mvl_fail(ctx, -EEXIST, "tap %s of VM %s exists with owner %lld; requested %lld",
				li->name, vm, li->tun_owner,
				o->flags & MVL_TAP_OWNER ? (long long)o->owner : -1LL);
	if ((o->flags & MVL_TAP_GROUP ? (long long)o->group : -1) != li->tun_group)
		return mvl_fail(ctx, -EEXIST, "tap %s of VM %s exists with group %lld; requested %lld",
				li->name, vm, li->tun_group,
				o->flags & MVL_TAP_GROUP ? (long long)o->group : -1LL);
	if (li->master != w->master)
		return mvl_fail(ctx, -EEXIST, "tap %s of VM %s exists %s; requested %s%s", li->name,
				vm, li->master ? "on another bridge" : "on no bridge",
				w->master ? "bridge " : "no bridge", w->master ? o->bridge : "");
	if (w->mtu && li->mtu != w->mtu)
		return mvl_fail(ctx, -EEXIST, "tap %s of VM %s exists with MTU %u; requested %u",
				li->name, vm, li->mtu, w->mtu);
	if (w->fixed_mac && memcmp(li->mac, w->host_mac, 6) != 0) {
		char a[18], b[18];

		return mvl_fail(ctx, -EEXIST, "tap %s of VM %s exists with MAC %s; expected %s",
				li->name, vm, mvl_mac_format(li->mac, a),
				mvl_mac_format(w->host_mac, b));
	}
	return 0;
}

/* Attach queues to an existing tap of the same VM and configuration. */
static int tap_adopt(struct mvl_ctx *ctx, struct mvl_tap_op *w, const struct mvl_link_info *li,
		     int *fds)
{
	unsigned i;
	int r;

	r = describe_mismatch(ctx, w, li);
	if (r < 0)
		return r;
	w->adopted_mtu = li->mtu;
	memcpy(w->adopted_mac, li->mac, 6);
	if (!li->tun_persist)
		return mvl_fail(ctx, -EBUSY, "tap %s of VM %s is held open by a running process; "
				"stop it, or delete the tap, first", li->name, w->o->vm_id);
	if (!(li->flags & IFF_UP))
		return mvl_fail(ctx, -EEXIST, "tap %s of VM %s exists but is down; delete it first",
				li->name, w->o->vm_id);
	for (i = 0; !(w->o->flags & MVL_TAP_PERSIST) && i < w->queues; i++) {
		r = mvl_tun_open(ctx, li->name, w->tun_flags & ~IFF_TUN_EXCL, 0);
		if (r < 0) {
			mvl_fds_close(fds, i);
			if (r == -EBUSY)
				return mvl_fail(ctx, r, "tap %s of VM %s is in use by another process",
						li->name, w->o->vm_id);
			return mvl_fail_kernel(ctx, r, "cannot attach to tap %s", li->name);
		}
		fds[i] = r;
	}
	return 0;
}

/* Create a new tap named w->name.  -EEXIST when the name is taken. */
static int tap_new(struct mvl_ctx *ctx, const struct mvl_tap_op *w, int *fds, int *ret_ifindex)
{
	const struct mvl_tap_opts *o = w->o;
	struct mvl_link_change chg = MVL_LINK_CHANGE_INIT;
	bool persist = o->flags & MVL_TAP_PERSIST;
	unsigned n = 0;
	int r, ifindex;

	/* indexed before it exists (index.c) */
	r = mvl_index_add(ctx, o->vm_id, w->j->link.ifindex, w->name);
	if (r < 0)
		return r;
	for (int attempt = 0;; attempt++) {
		/* a persistent tap: no carrier until its VMM attaches */
		r = mvl_tun_open(ctx, w->name, w->tun_flags | (persist ? IFF_NO_CARRIER : 0),
				 w->j->link.ifindex);
		if (r != -EBUSY && r != -EEXIST)
			break;
		mvl_index_remove(ctx, o->vm_id, w->j->link.ifindex);
		if (if_nametoindex(w->name) > 0 || attempt == 2)
			return -EEXIST;
		/* the ifindex was taken meanwhile: another one */
		r = mvl_link_repick_ifindex(ctx, w->j);
		if (r < 0)
			return r;
	}
	if (r < 0) {
		mvl_index_remove(ctx, o->vm_id, w->j->link.ifindex);
		return mvl_fail_kernel(ctx, r, "cannot create tap %s through %s/net/tun", w->name,
				       mvl_ctx_get_dev_root(ctx));
	}
	fds[n++] = r;
	/* TUNSETIFINDEX gave it the ifindex chosen (or TUNSETIFF failed) */
	ifindex = w->j->link.ifindex;
	if (o->flags & MVL_TAP_OWNER) {
		r = mvl_tun_ioctl(ctx, fds[0], TUNSETOWNER, o->owner, "TUNSETOWNER");
		if (r < 0) {
			r = mvl_fail_kernel(ctx, r, "cannot set owner %u of tap %s", (unsigned)o->owner,
					    w->name);
			goto undo;
		}
	}
	if (o->flags & MVL_TAP_GROUP) {
		r = mvl_tun_ioctl(ctx, fds[0], TUNSETGROUP, o->group, "TUNSETGROUP");
		if (r < 0) {
			r = mvl_fail_kernel(ctx, r, "cannot set group %u of tap %s", (unsigned)o->group,
					    w->name);
			goto undo;
		}
	}
	for (; !persist && n < w->queues; n++) {
		r = mvl_tun_open(ctx, w->name, w->tun_flags & ~IFF_TUN_EXCL, 0);
		if (r < 0) {
			r = mvl_fail_kernel(ctx, r, "cannot open queue %u of tap %s", n, w->name);
			goto undo;
		}
		fds[n] = r;
	}
	/* one request: the kernel applies MAC, MTU and tag first, then the
	 * master, then the flags */
	chg.mac = w->host_mac;
	chg.mtu = w->mtu;
	chg.alias = w->tag;
	chg.master = w->master ? w->master : -1;
	chg.up = 1;
	r = mvl_nl_link_change(ctx, ifindex, &chg);
	if (r < 0) {
		if (w->master)
			r = mvl_fail_kernel(ctx, r, "cannot attach tap %s to bridge %s", w->name,
					    o->bridge);
		else
			r = mvl_fail_kernel(ctx, r, "cannot configure tap %s", w->name);
		goto undo;
	}
	if (persist) {
		/* complete: from now on only RTM_DELLINK removes it */
		r = mvl_tun_ioctl(ctx, fds[0], TUNSETPERSIST, 1, "TUNSETPERSIST");
		if (r < 0) {
			r = mvl_fail_kernel(ctx, r, "cannot make tap %s persistent", w->name);
			goto undo;
		}
		mvl_fds_close(fds, n);
	}
	*ret_ifindex = ifindex;
	return 0;
undo:
	mvl_fds_close(fds, n); /* the tap goes with its queues */
	mvl_index_remove(ctx, o->vm_id, ifindex);
	return r;
}

static int check_tap_opts(struct mvl_ctx *ctx, const struct mvl_tap_opts *o, int *ret_template)
{
	int t;

	if (!MVL_OPTS_VALID(o, struct mvl_tap_opts, name))
		return mvl_fail(ctx, -EINVAL, "invalid struct mvl_tap_opts (size or trailing bytes)");
	if (mvl_vm_id_check(o->vm_id) < 0)
		return mvl_fail_vm_id(ctx, o->vm_id, NULL);
	t = mvl_ifname_template_check(o->name);
	if (t < 0)
		return mvl_fail(ctx, -EINVAL,
				"invalid tap name '%s': 1-15 bytes without '/', ':' or spaces, or a "
				"template with one %%d", o->name ? o->name : "");
	if (o->bridge && mvl_ifname_check(o->bridge) < 0)
		return mvl_fail(ctx, -EINVAL, "invalid bridge name '%s'", o->bridge);
	if (o->uplink && !o->bridge)
		return mvl_fail(ctx, -EINVAL, "uplink %s given without a bridge to put it on",
				o->uplink);
	if (o->uplink && mvl_ifname_check(o->uplink) < 0)
		return mvl_fail(ctx, -EINVAL, "invalid uplink name '%s'", o->uplink);
	if (o->guest_mac && mvl_mac_check(o->guest_mac) < 0) {
		char m[18];

		return mvl_fail(ctx, -EINVAL, "invalid guest MAC %s: multicast or all-zero",
				mvl_mac_format(o->guest_mac, m));
	}
	if (o->mtu && (o->mtu < 68 || o->mtu > 65535))
		return mvl_fail(ctx, -EINVAL, "invalid MTU %u (68..65535)", o->mtu);
	if (o->queues > MVL_MAX_QUEUES)
		return mvl_fail(ctx, -EINVAL, "invalid queue count %u (1..%d)", o->queues,
				MVL_MAX_QUEUES);
	if (o->flags & ~(unsigned)(MVL_TAP_PERSIST | MVL_TAP_NO_VNET_HDR | MVL_TAP_FORCE_UPLINK |
				    MVL_TAP_OWNER | MVL_TAP_GROUP | MVL_TAP_MULTI_QUEUE))
		return mvl_fail(ctx, -EINVAL, "unknown tap flags 0x%x", o->flags);
	*ret_template = t;
	return 0;
}

int mvl_tap_prepare(struct mvl_ctx *ctx, struct mvl_tap_op *w)
{
	const struct mvl_tap_opts *o = w->o;
	int r, is_template = 0;

	r = check_tap_opts(ctx, o, &is_template);
	if (r < 0)
		return r;
	w->is_template = is_template;
	w->queues = o->queues ? o->queues : 1;
	w->tun_flags = IFF_TAP | IFF_NO_PI | IFF_TUN_EXCL;
	if (!(o->flags & MVL_TAP_NO_VNET_HDR))
		w->tun_flags |= IFF_VNET_HDR;
	if (w->queues > 1 || (o->flags & MVL_TAP_MULTI_QUEUE))
		w->tun_flags |= IFF_MULTI_QUEUE;
	/* the host side never uses the guest's MAC, or the bridge could take
	 * it over */
	if (o->guest_mac) {
		host_mac_from_guest(o->guest_mac, w->host_mac);
		w->fixed_mac = true;
	} else {
		r = mvl_random_bytes(w->host_mac, 6);
		if (r < 0)
			return mvl_fail(ctx, r, "cannot get random bytes for a MAC");
		w->host_mac[0] = 0xfe;
	}
	r = mvl_tag_format(w->tag, sizeof(w->tag), o->vm_id, MVL_MODE_TAP);
	if (r < 0)
		return mvl_fail(ctx, r, "cannot tag VM %s", o->vm_id);
	w->mtu = o->mtu;
	w->fds = calloc(w->queues, sizeof(int));
	if (!w->fds)
		return -ENOMEM;
	for (unsigned i = 0; i < w->queues; i++)
		w->fds[i] = -1;
	return 0;
}

int mvl_tap_bridge(struct mvl_ctx *ctx, struct mvl_tap_op *w)
{
	const struct mvl_tap_opts *o = w->o;
	struct mvl_bridge_opts bo = { .sz = sizeof(bo), .name = o->bridge, .vm_id = o->vm_id,
				      .uplink = o->uplink };
	int r;

	if (o->flags & MVL_TAP_FORCE_UPLINK)
		bo.flags |= MVL_BRIDGE_FORCE_UPLINK;
	r = mvl_bridge_ensure_internal(ctx, &bo, &w->bst, w->j);
	if (r < 0)
		return r;
	w->master = w->bst.br.ifindex;
	if (!w->mtu)
		w->mtu = w->bst.br.mtu; /* inherit before enslaving */
	return 0;
}

void mvl_tap_unbridge(struct mvl_ctx *ctx, void *data)
{
	struct mvl_tap_op *w = data;

	mvl_bridge_undo(ctx, &w->bst);
}

int mvl_tap_make(struct mvl_ctx *ctx, struct mvl_tap_op *w)
{
	struct mvl_link_info li;
	int r;

	/* the name is usually free: create at once (TUNSETIFF with
	 * IFF_TUN_EXCL changes nothing when it is taken), look only at a
	 * taken name */
	r = tap_new(ctx, w, w->fds, &w->ifindex);
	if (r != -EEXIST)
		return r;
	r = w->is_template ? -ENODEV : mvl_nl_link_get(ctx, w->name, 0, &li);
	if (r == -ENODEV)
		return mvl_fail(ctx, -EEXIST, "%s was created or deleted by someone else "
				"meanwhile; left untouched", w->name);
	if (r < 0)
		return mvl_fail_kernel(ctx, r, "cannot look up %s", w->name);
	r = tap_adopt(ctx, w, &li, w->fds);
	if (r < 0)
		return r;
	w->adopted = true;
	w->ifindex = li.ifindex;
	/* indexed already, unless made before the index was */
	r = mvl_index_add(ctx, w->o->vm_id, w->ifindex, w->name);
	if (r < 0)
		mvl_fds_close(w->fds, w->queues);
	return r;
}

void mvl_tap_unmake(struct mvl_ctx *ctx, void *data)
{
	struct mvl_tap_op *w = data;

	/* an adopted tap stays as it was; ours goes */
	if (!w->adopted && (w->o->flags & MVL_TAP_PERSIST)) {
		int u = mvl_nl_link_del(ctx, w->ifindex);

		if (u < 0 && u != -ENODEV)
			mvl_undo_failed(ctx, "delete tap %s: %s", w->name, MVL_STRERROR(u));
		else
			mvl_index_remove(ctx, w->o->vm_id, w->ifindex);
	} else if (w->fds) {
		mvl_fds_close(w->fds, w->queues); /* the tap goes with its queues */
		if (!w->adopted)
			mvl_index_remove(ctx, w->o->vm_id, w->ifindex);
	}
}

int mvl_tap_result(struct mvl_ctx *ctx, struct mvl_tap_op *w, struct mvl_iface **ret)
{
	const struct mvl_tap_opts *o = w->o;
	struct mvl_iface *iface;
	struct mvl_link_info li;
	int r;

	iface = mvl_iface_new(MVL_MODE_TAP, w->name, o->vm_id);
	if (!iface || mvl_iface_set_str(&iface->link, o->bridge) < 0) {
		mvl_iface_unref(iface);
		return -ENOMEM;
	}
	iface->ifindex = w->ifindex;
	iface->adopted = w->adopted;
	if (!w->adopted) {
		/* what tap_new() set; the kernel's MTU only when none was */
		li.mtu = w->mtu;
		memcpy(li.mac, w->host_mac, 6);
	}
	if (!w->adopted && !w->mtu) {
		r = mvl_nl_link_get(ctx, NULL, w->ifindex, &li);
		if (r < 0) {
			mvl_iface_unref(iface);
			return mvl_fail_kernel(ctx, r, "tap %s", w->name);
		}
	}
	if (w->adopted) {
		/* as tap_adopt() found it */
		li.mtu = w->adopted_mtu;
		memcpy(li.mac, w->adopted_mac, 6);
	}
	memcpy(iface->mac, li.mac, 6);
	iface->mtu = li.mtu;
	*ret = iface;
	return 0;
}

void mvl_tap_done(struct mvl_ctx *ctx, struct mvl_tap_op *w, struct mvl_iface *iface)
{
	iface->fds = TAKE_PTR(w->fds);
	/* a persistent tap's VMM attaches its queues by name */
	iface->n_fds = (w->o->flags & MVL_TAP_PERSIST) ? 0 : w->queues;
	info(ctx, "%s tap %s for VM %s (%u queue%s)", w->adopted ? "adopted" : "created", w->name,
	     w->o->vm_id, w->queues, w->queues > 1 ? "s" : "");
}

/* ---------------------------------------------------------------- the row */

/* a tap has nothing to restore after it: any may go with others */
static bool tap_group_deletable(const struct mvl_link_info *li)
{
	(void)li;
	return true;
}

const struct mvl_link_kind mvl_tap_kind = {
	.kind = "tun",
	.mode = MVL_MODE_TAP,
	.jop = MVL_LJ_TAP,
	.lock = MVL_LOCK_NAME,
	.group_deletable = tap_group_deletable,
};
