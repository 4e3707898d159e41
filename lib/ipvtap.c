// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ipvtap.c - ipvtaps on an uplink: what an ipvtap adds to the create
 * steps of vtap.c, and the row.
 *
 * An ipvtap is an ipvlan device with a char device of its own (class
 * "ipvtap", its node /dev/tap<ifindex> with the ipvtap major), for uplinks
 * that accept one MAC only: it has the lower's MAC, and the kernel hands
 * it the unicast packets addressed to the IP addresses configured on it.
 * What it adds to the steps:
 *   - the ipvlan mode (l2, l3, l3s) and flag (bridge, private, vepa),
 *     always sent (the kernel's default mode is l3).  They belong to the
 *     lower device: the kernel sets them for every ipvlan/ipvtap on it, so
 *     a create that asks for others than the lower's other children have
 *     is refused (check), before anything changes;
 *   - after RTM_NEWLINK, the guest's addresses on it (netlink.c: /32 or
 *     /128, scope host, no prefix route, no DAD), undone with the link.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include "kinds.h"

static const struct mvl_ipvtap_opts *opts_of(const struct mvl_vtap_op *op)
{
	return op->o;
}

static const char *mode_name(int mode)
{
	const char *s = mvl_ipvlan_mode_to_string((enum mvl_ipvlan_mode)mode);

	return s ? s : "unknown";
}

static const char *flag_name(int flag)
{
	const char *s = mvl_ipvlan_flag_to_string((enum mvl_ipvlan_flag)flag);

	return s ? s : "unknown";
}

/* ------------------------------------------------------------ addresses */

static size_t addr_len(const struct mvl_ip_addr *a)
{
	return a->family == AF_INET ? 4 : 16;
}

static const char *addr_format(const struct mvl_ip_addr *a, char buf[INET6_ADDRSTRLEN])
{
	if (!inet_ntop(a->family, a->addr, buf, INET6_ADDRSTRLEN))
		snprintf(buf, INET6_ADDRSTRLEN, "?");
	return buf;
}

static bool addr_same(const struct mvl_ip_addr *a, const struct mvl_ip_addr *b)
{
	return a->family == b->family && memcmp(a->addr, b->addr, addr_len(a)) == 0;
}

/* Why the guest cannot have @a, or NULL. */
static const char *addr_unfit(const struct mvl_ip_addr *a)
{
	const uint8_t *p = a->addr;
	static const uint8_t zero[16];

	if (a->family != AF_INET && a->family != AF_INET6)
		return "neither IPv4 nor IPv6";
	if (a->prefixlen && a->prefixlen != addr_len(a) * 8)
		return a->family == AF_INET ? "its prefix must be 0 or 32: the ipvtap gets the "
					      "address alone" :
					      "its prefix must be 0 or 128: the ipvtap gets the "
					      "address alone";
	if (memcmp(p, zero, addr_len(a)) == 0)
		return "unspecified";
	if (a->family == AF_INET)
		return p[0] >= 224 ? "multicast or reserved" : p[0] == 127 ? "loopback" : NULL;
	if (p[0] == 0xff)
		return "multicast";
	if (p[0] == 0xfe && (p[1] & 0xc0) == 0x80)
		return "link-local";
	if (memcmp(p, zero, 15) == 0 && p[15] == 1)
		return "loopback";
	return NULL;
}

static int check_addrs(struct mvl_ctx *ctx, const struct mvl_ipvtap_opts *o)
{
	char a[INET6_ADDRSTRLEN];
	const char *why;

	if (o->n_addrs && !o->addrs)
		return mvl_fail(ctx, -EINVAL, "%u addresses announced but addrs is NULL",
				o->n_addrs);
	if (o->n_addrs > MVL_IPVTAP_MAX_ADDRS)
		return mvl_fail(ctx, -EINVAL, "too many addresses: %u (at most %d)", o->n_addrs,
				MVL_IPVTAP_MAX_ADDRS);
	for (unsigned i = 0; i < o->n_addrs; i++) {
		why = addr_unfit(&o->addrs[i]);
		if (why && o->addrs[i].family != AF_INET && o->addrs[i].family != AF_INET6)
			return mvl_fail(ctx, -EINVAL, "invalid address %u: family %d is %s", i,
					o->addrs[i].family, why);
		if (why && o->addrs[i].prefixlen)
			return mvl_fail(ctx, -EINVAL, "invalid guest address %s/%u: %s",
					addr_format(&o->addrs[i], a), o->addrs[i].prefixlen, why);
		if (why)
			return mvl_fail(ctx, -EINVAL, "invalid guest address %s: %s",
					addr_format(&o->addrs[i], a), why);
		for (unsigned j = 0; j < i; j++)
			if (addr_same(&o->addrs[i], &o->addrs[j]))
				return mvl_fail(ctx, -EINVAL, "address %s is listed twice",
						addr_format(&o->addrs[i], a));
	}
	return 0;
}

/* Whether @ifindex has exactly the addresses of @o; -errno. */
static int same_addrs(struct mvl_ctx *ctx, const struct mvl_ipvtap_opts *o, int ifindex)
{
	struct mvl_ip_addr have[MVL_IPVTAP_MAX_ADDRS + 1];
	int n = mvl_nl_addr_list(ctx, ifindex, have, ARRAY_SIZE(have));

	if (n < 0)
		return n;
	if ((unsigned)n != o->n_addrs)
		return 0;
	for (int i = 0; i < n; i++) {
		bool found = false;

		for (unsigned k = 0; k < o->n_addrs && !found; k++)
			found = addr_same(&have[i], &o->addrs[k]) &&
				have[i].prefixlen == addr_len(&have[i]) * 8;
		if (!found)
			return 0;
	}
	return 1;
}

/* --------------------------------------------------- the lower's others */

struct siblings {
	int lower, skip;        /* the lower's ifindex; a child to ignore */
	int mode, flag;         /* what is asked */
	char other[IFNAMSIZ];   /* a child with another mode or flag ... */
	char other_kind[32];
	int other_mode, other_flag; /* ... and its */
};

/* (dump callback: must not send requests) */
static int sibling_cb(struct mvl_ctx *ctx, const struct mvl_link_info *li, void *data)
{
	struct siblings *s = data;

	(void)ctx;
	if (li->link != s->lower || li->ifindex == s->skip || s->other[0] ||
	    (li->ipvlan_mode == s->mode && li->ipvlan_flag == s->flag))
		return 0;
	snprintf(s->other, sizeof(s->other), "%s", li->name);
	snprintf(s->other_kind, sizeof(s->other_kind), "%s", li->kind);
	s->other_mode = li->ipvlan_mode;
	s->other_flag = li->ipvlan_flag;
	return 0;
}

static void sibling_restart(void *data)
{
	((struct siblings *)data)->other[0] = '\0';
}

/* The mode and flag are the lower's: those of its other ipvlan/ipvtap
 * devices, which the kernel would change too.  (Filtered by kind in the
 * kernel: the cost does not grow with unrelated links.) */
static int ipvtap_check(struct mvl_ctx *ctx, struct mvl_vtap_op *op)
{
	const struct mvl_ipvtap_opts *o = opts_of(op);
	struct siblings s = { .lower = op->lower.ifindex, .skip = op->ifindex,
			      .mode = (int)o->mode, .flag = (int)o->ipvlan_flag };
	static const char *const kinds[] = { "ipvtap", "ipvlan" };
	int r = 0;

	for (size_t i = 0; i < ARRAY_SIZE(kinds) && r == 0 && !s.other[0]; i++)
		r = mvl_nl_link_dump_kind(ctx, kinds[i], sibling_cb, sibling_restart, &s);
	if (r < 0)
		return mvl_fail_kernel(ctx, r, "cannot list links");
	if (s.other[0])
		return mvl_fail(ctx, -EBUSY,
				"lower device %s has %s %s in mode %s, flag %s: the mode and "
				"flag belong to the lower device (the kernel would change them "
				"for %s too); ask for mode %s, flag %s",
				op->lower.name, s.other_kind, s.other, mode_name(s.other_mode),
				flag_name(s.other_flag), s.other, mode_name(s.other_mode),
				flag_name(s.other_flag));
	return 0;
}

/* ---------------------------------------------------------------- steps */

static int ipvtap_check_opts(struct mvl_ctx *ctx, struct mvl_vtap_op *op)
{
	const struct mvl_ipvtap_opts *o = opts_of(op);

	if (!mvl_ipvlan_mode_to_string(o->mode))
		return mvl_fail(ctx, -EINVAL, "invalid ipvlan mode %d: l2, l3 or l3s", (int)o->mode);
	if (!mvl_ipvlan_flag_to_string(o->ipvlan_flag))
		return mvl_fail(ctx, -EINVAL, "invalid ipvlan flag %d: bridge, private or vepa",
				(int)o->ipvlan_flag);
	/* the mode and flag are the lower's, for all its ipvlan children: the
	 * check of the siblings and the create must not interleave with
	 * another create's on the same lower */
	op->lock_lower = true;
	return check_addrs(ctx, o);
}

static int ipvtap_look(struct mvl_ctx *ctx, struct mvl_vtap_op *op)
{
	int r;

	/* the kernel gives it the lower's MAC, which the guest must use */
	memcpy(op->mac, op->lower.mac, 6);
	r = mvl_tag_format(op->tag, sizeof(op->tag), op->vm_id, MVL_MODE_IPVTAP);
	if (r < 0)
		return mvl_fail(ctx, r, "cannot tag VM %s", op->vm_id);
	/* not optimistic (unlike a macvtap): its name is looked up first, so
	 * that the check of the lower's other children knows whether one of
	 * them is the link of that name, to adopt or to refuse as such */
	op->optimistic = false;
	return 0;
}

static int ipvtap_mismatch(struct mvl_ctx *ctx, const struct mvl_vtap_op *op,
			   const struct mvl_link_info *li, const char *vm)
{
	const struct mvl_ipvtap_opts *o = opts_of(op);
	int r;

	if (li->ipvlan_mode != (int)o->mode || li->ipvlan_flag != (int)o->ipvlan_flag)
		return mvl_fail(ctx, -EEXIST,
				"ipvtap %s of VM %s exists in mode %s, flag %s; requested %s, %s",
				li->name, vm, mode_name(li->ipvlan_mode),
				flag_name(li->ipvlan_flag), mode_name((int)o->mode),
				flag_name((int)o->ipvlan_flag));
	r = same_addrs(ctx, o, li->ifindex);
	if (r < 0)
		return mvl_fail_kernel(ctx, r, "cannot list the addresses of %s", li->name);
	if (r == 0)
		return mvl_fail(ctx, -EEXIST,
				"ipvtap %s of VM %s exists with other addresses than the %u "
				"requested (ip addr show dev %s)",
				li->name, vm, o->n_addrs, li->name);
	return 0;
}

static void ipvtap_spec(const struct mvl_vtap_op *op, struct mvl_link_new *spec)
{
	/* no MAC: the kernel gives it the lower's */
	spec->ipvlan_mode = (int)opts_of(op)->mode;
	spec->ipvlan_flag = (int)opts_of(op)->ipvlan_flag;
}

static int ipvtap_explain(struct mvl_ctx *ctx, struct mvl_vtap_op *op, int r, const char *extack)
{
	const struct mvl_ipvtap_opts *o = opts_of(op);

	if (r == -EOPNOTSUPP)
		return mvl_fail(ctx, r,
				"cannot create ipvtap %s: the kernel has no ipvtap "
				"(CONFIG_IPVTAP; is the module ipvtap there?)",
				op->name);
	if (r == -EBUSY)
		return mvl_fail_kernel_extack(ctx, r, extack,
					      "cannot create ipvtap %s: lower device %s is in use "
					      "by another kind of device (macvlan/macvtap devices "
					      "on it?): ipvlan cannot share it",
					      op->name, op->lower.name);
	return mvl_fail_kernel_extack(ctx, r, extack,
				      "cannot create ipvtap %s on %s (mode %s, flag %s)", op->name,
				      op->lower.name, mode_name((int)o->mode),
				      flag_name((int)o->ipvlan_flag));
}

/* the guest's addresses, by which ipvlan hands it unicast packets */
static int ipvtap_made(struct mvl_ctx *ctx, struct mvl_vtap_op *op)
{
	const struct mvl_ipvtap_opts *o = opts_of(op);
	char a[INET6_ADDRSTRLEN];
	int r;

	for (unsigned i = 0; i < o->n_addrs; i++) {
		r = mvl_nl_addr_add(ctx, op->created, &o->addrs[i]);
		if (r == -EADDRINUSE)
			return mvl_fail_kernel(ctx, r,
					       "cannot add address %s to ipvtap %s: another "
					       "ipvlan/ipvtap device of lower device %s has it",
					       addr_format(&o->addrs[i], a), op->name,
					       op->lower.name);
		if (r < 0)
			return mvl_fail_kernel(ctx, r, "cannot add address %s to ipvtap %s",
					       addr_format(&o->addrs[i], a), op->name);
	}
	return 0;
}

static void ipvtap_mode_text(const struct mvl_vtap_op *op, char *buf, size_t len)
{
	const struct mvl_ipvtap_opts *o = opts_of(op);

	snprintf(buf, len, "mode %s, flag %s, %u address%s", mode_name((int)o->mode),
		 flag_name((int)o->ipvlan_flag), o->n_addrs, o->n_addrs == 1 ? "" : "es");
}

const struct mvl_vtap_kind mvl_ipvtap_vtap = {
	.row = &mvl_ipvtap_kind,
	.check_opts = ipvtap_check_opts,
	.look = ipvtap_look,
	.mismatch = ipvtap_mismatch,
	.check = ipvtap_check,
	.spec = ipvtap_spec,
	.explain = ipvtap_explain,
	.made = ipvtap_made,
	.mode_text = ipvtap_mode_text,
};

/* ---------------------------------------------------------------- the row */

/* nothing to restore after it: deleted with others in one request */
static bool ipvtap_group_deletable(const struct mvl_link_info *li)
{
	(void)li;
	return true;
}

const struct mvl_link_kind mvl_ipvtap_kind = {
	.kind = "ipvtap",
	.mode = MVL_MODE_IPVTAP,
	.jop = MVL_LJ_IPVTAP,
	.sysfs_class = "ipvtap",
	.lock = MVL_LOCK_NAME,
	.on_lower = true,
	.group_deletable = ipvtap_group_deletable,
	.describe = mvl_vtap_describe,
};
