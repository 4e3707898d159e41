// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * netlink.c - rtnetlink through libnl.  The only file of the library that
 * talks libnl: everything else sees struct mvl_link_info and friends.
 *
 * Every request asks for an ACK and is received with our own error
 * callback, which keeps the kernel's exact errno (libnl's NLE_* codes lose
 * it) and the extended-ack message the kernel attached, if any.
 */
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_addr.h>

#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/route/addr.h>
#include <netlink/route/route.h>

#include "libmvlink-private.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

struct mvl_nl {
	struct nl_sock *sk;
	int err;            /* the kernel's errno of the last error message */
	char extack[256];   /* its extended-ack text */
};

static int err_cb(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct mvl_nl *nl = arg;
	const struct nlmsghdr *hdr = (const struct nlmsghdr *)((const char *)e - NLMSG_HDRLEN);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];

	nl->err = e->error;
	nl->extack[0] = '\0';
	if (hdr->nlmsg_flags & NLM_F_ACK_TLVS) {
		size_t off = sizeof(*e);

		if (!(hdr->nlmsg_flags & NLM_F_CAPPED))
			off += e->msg.nlmsg_len - NLMSG_HDRLEN;
		if (hdr->nlmsg_len > NLMSG_HDRLEN + off &&
		    nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)((char *)e + off),
			      (int)(hdr->nlmsg_len - NLMSG_HDRLEN - off), NULL) == 0 &&
		    tb[NLMSGERR_ATTR_MSG])
			snprintf(nl->extack, sizeof(nl->extack), "%s",
				 nla_get_string(tb[NLMSGERR_ATTR_MSG]));
	}
	return NL_STOP;
}

void mvl_nl_free(struct mvl_nl *nl)
{
	if (!nl)
		return;
	nl_socket_free(nl->sk); /* closes the socket */
	free(nl);
}

static int nl_get(struct mvl_ctx *ctx, struct mvl_nl **ret)
{
	struct mvl_nl *nl = ctx->nl;
	int one = 1, r;

	if (nl) {
		*ret = nl;
		return 0;
	}
	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	nl->sk = nl_socket_alloc();
	if (!nl->sk) {
		free(nl);
		return -ENOMEM;
	}
	/* nl_connect() opens the socket with SOCK_CLOEXEC */
	r = nl_connect(nl->sk, NETLINK_ROUTE);
	if (r < 0) {
		mvl_nl_free(nl);
		return mvl_fail(ctx, -EPROTO, "cannot open an rtnetlink socket: %s",
				nl_geterror(r));
	}
	/* best effort: older kernels lack them */
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	nl_socket_enable_msg_peek(nl->sk);
	nl_socket_modify_err_cb(nl->sk, NL_CB_CUSTOM, err_cb, nl);
	ctx->nl = nl;
	*ret = nl;
	return 0;
}

struct req_state {
	struct mvl_ctx *ctx;
	int (*parse)(struct mvl_ctx *ctx, struct nlmsghdr *hdr, void *data);
	void *data;
	int parse_err;
	bool done;
};

static int valid_cb(struct nl_msg *msg, void *arg)
{
	struct req_state *st = arg;
	int r;

	if (!st->parse || st->parse_err)
		return NL_OK;
	r = st->parse(st->ctx, nlmsg_hdr(msg), st->data);
	if (r != 0) {
		st->parse_err = r;
		/* keep reading until the dump ends, so the socket stays in sync */
	}
	return NL_OK;
}

static int finish_cb(struct nl_msg *msg, void *arg)
{
	struct req_state *st = arg;

	st->done = true;
	return NL_STOP;
}

/*
 * Send @msg (NLM_F_ACK added) and receive until the ACK, the end of a dump
 * or an error.  Returns 0, the first non-zero value @parse returned, or the
 * kernel's negative errno (nl->extack then holds its message).
 */
static int nl_request(struct mvl_ctx *ctx, struct nl_msg *msg,
		      int (*parse)(struct mvl_ctx *ctx, struct nlmsghdr *hdr, void *data),
		      void *data)
{
	struct req_state st = { .ctx = ctx, .parse = parse, .data = data };
	struct mvl_nl *nl;
	struct nl_cb *cb;
	int r;

	r = nl_get(ctx, &nl);
	if (r < 0)
		return r;
	nl->err = 0;
	nl->extack[0] = '\0';
	nlmsg_hdr(msg)->nlmsg_flags |= NLM_F_ACK;
	r = nl_send_auto(nl->sk, msg);
	if (r < 0)
		return mvl_fail(ctx, -EIO, "cannot send an rtnetlink request: %s", nl_geterror(r));

	cb = nl_cb_clone(nl_socket_get_cb(nl->sk));
	if (!cb)
		return -ENOMEM;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, valid_cb, &st);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, finish_cb, &st);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, finish_cb, &st);
	while (!st.done) {
		r = nl_recvmsgs(nl->sk, cb);
		if (r < 0)
			break;
	}
	nl_cb_put(cb);
	if (nl->err)
		return nl->err;
	if (r == -NLE_DUMP_INTR)
		return -EINTR;
	if (r < 0)
		return mvl_fail(ctx, -EIO, "rtnetlink receive failed: %s", nl_geterror(r));
	return st.parse_err;
}

const char *mvl_nl_extack(struct mvl_ctx *ctx)
{
	return ctx->nl ? ctx->nl->extack : "";
}

/* ---------------------------------------------------------------- links */

static int macvlan_mode_to_mvl(uint32_t m)
{
	switch (m) {
	case MACVLAN_MODE_PRIVATE:
		return MVL_MACVTAP_PRIVATE;
	case MACVLAN_MODE_VEPA:
		return MVL_MACVTAP_VEPA;
	case MACVLAN_MODE_BRIDGE:
		return MVL_MACVTAP_BRIDGE;
	case MACVLAN_MODE_PASSTHRU:
		return MVL_MACVTAP_PASSTHRU;
	case MACVLAN_MODE_SOURCE:
		return MVL_MACVTAP_SOURCE;
	}
	return -1;
}

static uint32_t mvl_to_macvlan_mode(int m)
{
	switch (m) {
	case MVL_MACVTAP_PRIVATE:
		return MACVLAN_MODE_PRIVATE;
	case MVL_MACVTAP_VEPA:
		return MACVLAN_MODE_VEPA;
	case MVL_MACVTAP_PASSTHRU:
		return MACVLAN_MODE_PASSTHRU;
	case MVL_MACVTAP_SOURCE:
		return MACVLAN_MODE_SOURCE;
	}
	return MACVLAN_MODE_BRIDGE;
}

static void copy_str(char *dst, size_t len, struct nlattr *a)
{
	size_t n;

	dst[0] = '\0';
	if (!a)
		return;
	n = (size_t)nla_len(a);
	if (n >= len)
		n = len - 1;
	memcpy(dst, nla_data(a), n);
	dst[n] = '\0';
}

static void parse_tun(struct mvl_link_info *li, struct nlattr *data)
{
	struct nlattr *tb[IFLA_TUN_MAX + 1];

	li->is_tun = true;
	li->tun_owner = li->tun_group = -1;
	if (!data || nla_parse_nested(tb, IFLA_TUN_MAX, data, NULL) < 0)
		return;
	if (tb[IFLA_TUN_OWNER])
		li->tun_owner = nla_get_u32(tb[IFLA_TUN_OWNER]);
	if (tb[IFLA_TUN_GROUP])
		li->tun_group = nla_get_u32(tb[IFLA_TUN_GROUP]);
	if (tb[IFLA_TUN_TYPE])
		li->tun_type = nla_get_u8(tb[IFLA_TUN_TYPE]);
	if (tb[IFLA_TUN_PI])
		li->tun_pi = nla_get_u8(tb[IFLA_TUN_PI]);
	if (tb[IFLA_TUN_VNET_HDR])
		li->tun_vnet_hdr = nla_get_u8(tb[IFLA_TUN_VNET_HDR]);
	if (tb[IFLA_TUN_PERSIST])
		li->tun_persist = nla_get_u8(tb[IFLA_TUN_PERSIST]);
	if (tb[IFLA_TUN_MULTI_QUEUE])
		li->tun_multi_queue = nla_get_u8(tb[IFLA_TUN_MULTI_QUEUE]);
	if (tb[IFLA_TUN_NUM_QUEUES])
		li->tun_num_queues = nla_get_u32(tb[IFLA_TUN_NUM_QUEUES]);
}

/* source mode: IFLA_MACVLAN_MACADDR_COUNT and the nested list of
 * IFLA_MACVLAN_MACADDR in IFLA_MACVLAN_MACADDR_DATA */
static void parse_macvlan_source(struct mvl_link_info *li, struct nlattr **d)
{
	struct nlattr *a;
	unsigned n = 0;
	int rem;

	if (d[IFLA_MACVLAN_MACADDR_COUNT])
		li->macvtap_n_source = nla_get_u32(d[IFLA_MACVLAN_MACADDR_COUNT]);
	if (!d[IFLA_MACVLAN_MACADDR_DATA])
		return;
	nla_for_each_nested(a, d[IFLA_MACVLAN_MACADDR_DATA], rem) {
		if (nla_type(a) != IFLA_MACVLAN_MACADDR || nla_len(a) != 6)
			continue;
		if (n < MVL_MACVTAP_MAX_SOURCE)
			memcpy(li->macvtap_source[n], nla_data(a), 6);
		n++;
	}
	if (!d[IFLA_MACVLAN_MACADDR_COUNT])
		li->macvtap_n_source = n;
}

static int parse_link(struct nlmsghdr *hdr, struct mvl_link_info *li)
{
	struct ifinfomsg *ifi = nlmsg_data(hdr);
	struct nlattr *tb[IFLA_MAX + 1];

	if (hdr->nlmsg_type != RTM_NEWLINK)
		return 0;
	if (nlmsg_parse(hdr, sizeof(*ifi), tb, IFLA_MAX, NULL) < 0)
		return -EBADMSG;
	memset(li, 0, sizeof(*li));
	li->macvtap_mode = -1;
	li->tun_owner = li->tun_group = -1;
	li->ifindex = ifi->ifi_index;
	li->flags = ifi->ifi_flags;
	copy_str(li->name, sizeof(li->name), tb[IFLA_IFNAME]);
	copy_str(li->alias, sizeof(li->alias), tb[IFLA_IFALIAS]);
	if (tb[IFLA_MTU])
		li->mtu = nla_get_u32(tb[IFLA_MTU]);
	if (tb[IFLA_ADDRESS] && nla_len(tb[IFLA_ADDRESS]) == 6) {
		memcpy(li->mac, nla_data(tb[IFLA_ADDRESS]), 6);
		li->has_mac = true;
	}
	if (tb[IFLA_MASTER])
		li->master = (int)nla_get_u32(tb[IFLA_MASTER]);
	if (tb[IFLA_LINK])
		li->link = (int)nla_get_u32(tb[IFLA_LINK]);
	if (tb[IFLA_GROUP])
		li->group = nla_get_u32(tb[IFLA_GROUP]);
	if (tb[IFLA_LINKINFO]) {
		struct nlattr *info[IFLA_INFO_MAX + 1];

		if (nla_parse_nested(info, IFLA_INFO_MAX, tb[IFLA_LINKINFO], NULL) == 0) {
			copy_str(li->kind, sizeof(li->kind), info[IFLA_INFO_KIND]);
			copy_str(li->slave_kind, sizeof(li->slave_kind),
				 info[IFLA_INFO_SLAVE_KIND]);
			if (strcmp(li->kind, "tun") == 0)
				parse_tun(li, info[IFLA_INFO_DATA]);
			if ((strcmp(li->kind, "macvtap") == 0 ||
			     strcmp(li->kind, "macvlan") == 0) &&
			    info[IFLA_INFO_DATA]) {
				struct nlattr *d[IFLA_MACVLAN_MAX + 1];

				if (nla_parse_nested(d, IFLA_MACVLAN_MAX, info[IFLA_INFO_DATA],
						     NULL) == 0) {
					if (d[IFLA_MACVLAN_MODE])
						li->macvtap_mode = macvlan_mode_to_mvl(
							nla_get_u32(d[IFLA_MACVLAN_MODE]));
					parse_macvlan_source(li, d);
				}
			}
		}
	}
	return 1;
}

static int get_one_cb(struct mvl_ctx *ctx, struct nlmsghdr *hdr, void *data)
{
	int r = parse_link(hdr, data);

	return r < 0 ? r : 0;
}

static struct nl_msg *link_msg(int type, int flags, int ifindex)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex };
	struct nl_msg *msg = nlmsg_alloc_simple(type, flags);

	if (!msg)
		return NULL;
	if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

int mvl_nl_link_get(struct mvl_ctx *ctx, const char *name, int ifindex,
		    struct mvl_link_info *ret)
{
	struct mvl_link_info li = { .ifindex = 0 };
	struct nl_msg *msg;
	int r;

	msg = link_msg(RTM_GETLINK, 0, ifindex);
	if (!msg)
		return -ENOMEM;
	/* no VF details: a PF with many VFs would overflow the reply */
	if ((!ifindex && nla_put_string(msg, IFLA_IFNAME, name) < 0) ||
	    nla_put_u32(msg, IFLA_EXT_MASK, 0) < 0) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	r = nl_request(ctx, msg, get_one_cb, &li);
	nlmsg_free(msg);
	if (r == -ENODEV || (r == 0 && li.ifindex == 0))
		return -ENODEV;
	if (r < 0)
		return r;
	*ret = li;
	return 0;
}

struct dump_state {
	int (*cb)(struct mvl_ctx *ctx, const struct mvl_link_info *li, void *data);
	void *data;
};

static int dump_cb(struct mvl_ctx *ctx, struct nlmsghdr *hdr, void *data)
{
	struct dump_state *ds = data;
	struct mvl_link_info li;
	int r = parse_link(hdr, &li);

	if (r <= 0)
		return r;
	return ds->cb(ctx, &li, ds->data);
}

int mvl_nl_link_dump(struct mvl_ctx *ctx,
		     int (*cb)(struct mvl_ctx *ctx, const struct mvl_link_info *li, void *data),
		     void *data)
{
	struct dump_state ds = { .cb = cb, .data = data };
	int r = -EINTR;

	/* the kernel marks a dump that raced with a change: try again */
	for (int attempt = 0; attempt < 5 && r == -EINTR; attempt++) {
		struct nl_msg *msg = link_msg(RTM_GETLINK, NLM_F_DUMP, 0);

		if (!msg)
			return -ENOMEM;
		if (nla_put_u32(msg, IFLA_EXT_MASK, 0) < 0) {
			nlmsg_free(msg);
			return -ENOMEM;
		}
		r = nl_request(ctx, msg, dump_cb, &ds);
		nlmsg_free(msg);
	}
	return r;
}

static int put_alias_mac_mtu(struct nl_msg *msg, const char *alias, const uint8_t *mac,
			     unsigned mtu)
{
	if (alias && nla_put_string(msg, IFLA_IFALIAS, alias) < 0)
		return -ENOMEM;
	if (mac && nla_put(msg, IFLA_ADDRESS, 6, mac) < 0)
		return -ENOMEM;
	if (mtu && nla_put_u32(msg, IFLA_MTU, mtu) < 0)
		return -ENOMEM;
	return 0;
}

int mvl_nl_link_change(struct mvl_ctx *ctx, int ifindex, const struct mvl_link_change *chg)
{
	struct nl_msg *msg;
	struct ifinfomsg *ifi;
	int r;

	r = mvl_step(ctx, "RTM_SETLINK");
	if (r < 0)
		return r;
	msg = link_msg(RTM_SETLINK, 0, ifindex);
	if (!msg)
		return -ENOMEM;
	ifi = nlmsg_data(nlmsg_hdr(msg));
	if (chg->up >= 0) {
		ifi->ifi_change = IFF_UP;
		ifi->ifi_flags = chg->up ? IFF_UP : 0;
	}
	/* the kernel applies MAC and MTU before the master and the flags: a
	 * port is configured before it joins the bridge and comes up */
	r = put_alias_mac_mtu(msg, chg->alias, chg->mac, chg->mtu);
	if (r == 0 && chg->master >= 0 && nla_put_u32(msg, IFLA_MASTER, (uint32_t)chg->master) < 0)
		r = -ENOMEM;
	if (r == 0)
		r = nl_request(ctx, msg, NULL, NULL);
	nlmsg_free(msg);
	return r;
}

int mvl_nl_link_new(struct mvl_ctx *ctx, const struct mvl_link_new *spec, int *ret_ifindex)
{
	struct mvl_link_info li;
	struct nl_msg *msg;
	struct nlattr *linkinfo, *data;
	struct ifinfomsg *ifi;
	int r;

	r = mvl_step(ctx, "RTM_NEWLINK");
	if (r < 0)
		return r;
	msg = link_msg(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0);
	if (!msg)
		return -ENOMEM;
	ifi = nlmsg_data(nlmsg_hdr(msg));
	if (spec->up) {
		ifi->ifi_change = IFF_UP;
		ifi->ifi_flags = IFF_UP;
	}
	r = -ENOMEM;
	if (nla_put_string(msg, IFLA_IFNAME, spec->name) < 0)
		goto out;
	if (put_alias_mac_mtu(msg, NULL, spec->mac, spec->mtu) < 0)
		goto out;
	if (spec->link && nla_put_u32(msg, IFLA_LINK, (uint32_t)spec->link) < 0)
		goto out;
	linkinfo = nla_nest_start(msg, IFLA_LINKINFO);
	if (!linkinfo || nla_put_string(msg, IFLA_INFO_KIND, spec->kind) < 0)
		goto out;
	if (strcmp(spec->kind, "macvtap") == 0 || strcmp(spec->kind, "macvlan") == 0) {
		data = nla_nest_start(msg, IFLA_INFO_DATA);
		if (!data ||
		    nla_put_u32(msg, IFLA_MACVLAN_MODE, mvl_to_macvlan_mode(spec->macvtap_mode)) < 0)
			goto out;
		if (spec->macvtap_mode == MVL_MACVTAP_SOURCE && spec->n_source_macs) {
			struct nlattr *list;

			if (nla_put_u32(msg, IFLA_MACVLAN_MACADDR_MODE, MACVLAN_MACADDR_SET) < 0)
				goto out;
			list = nla_nest_start(msg, IFLA_MACVLAN_MACADDR_DATA);
			if (!list)
				goto out;
			for (unsigned i = 0; i < spec->n_source_macs; i++)
				if (nla_put(msg, IFLA_MACVLAN_MACADDR, 6, spec->source_macs[i]) < 0)
					goto out;
			nla_nest_end(msg, list);
		}
		nla_nest_end(msg, data);
	}
	nla_nest_end(msg, linkinfo);
	r = nl_request(ctx, msg, NULL, NULL);
	if (r < 0)
		goto out;
	r = mvl_nl_link_get(ctx, spec->name, 0, &li);
	if (r < 0)
		goto out;
	/* the kernel ignores IFLA_IFALIAS when it creates a link */
	if (spec->alias) {
		struct mvl_link_change chg = MVL_LINK_CHANGE_INIT;

		chg.alias = spec->alias;
		r = mvl_nl_link_change(ctx, li.ifindex, &chg);
		if (r < 0) {
			int u = mvl_nl_link_del(ctx, li.ifindex);

			if (u < 0)
				mvl_undo_failed(ctx, "delete new link %s: %s", spec->name,
						MVL_STRERROR(u));
			goto out;
		}
	}
	if (ret_ifindex)
		*ret_ifindex = li.ifindex;
out:
	nlmsg_free(msg);
	return r;
}

int mvl_nl_link_del(struct mvl_ctx *ctx, int ifindex)
{
	struct nl_msg *msg;
	int r;

	r = mvl_step(ctx, "RTM_DELLINK");
	if (r < 0)
		return r;
	msg = link_msg(RTM_DELLINK, 0, ifindex);
	if (!msg)
		return -ENOMEM;
	r = nl_request(ctx, msg, NULL, NULL);
	nlmsg_free(msg);
	return r;
}

/* ------------------------------------------------- addresses and routes */

int mvl_nl_addr_count(struct mvl_ctx *ctx, int ifindex, char *first, size_t len)
{
	struct nl_cache *cache = NULL;
	struct mvl_nl *nl;
	int r, n = 0;

	r = nl_get(ctx, &nl);
	if (r < 0)
		return r;
	nl->err = 0;
	r = rtnl_addr_alloc_cache(nl->sk, &cache);
	if (r < 0)
		return nl->err ? nl->err : -EIO;
	for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_addr *a = (struct rtnl_addr *)o;

		if (rtnl_addr_get_ifindex(a) != ifindex)
			continue;
		/* link-local IPv6 addresses come with every interface */
		if (rtnl_addr_get_family(a) == AF_INET6 && rtnl_addr_get_scope(a) == RT_SCOPE_LINK)
			continue;
		if (n++ == 0 && first && len)
			nl_addr2str(rtnl_addr_get_local(a), first, len);
	}
	nl_cache_free(cache);
	return n;
}

int mvl_nl_has_default_route(struct mvl_ctx *ctx, int ifindex)
{
	struct nl_cache *cache = NULL;
	struct mvl_nl *nl;
	int r, found = 0;

	r = nl_get(ctx, &nl);
	if (r < 0)
		return r;
	nl->err = 0;
	r = rtnl_route_alloc_cache(nl->sk, AF_UNSPEC, 0, &cache);
	if (r < 0)
		return nl->err ? nl->err : -EIO;
	for (struct nl_object *o = nl_cache_get_first(cache); o && !found;
	     o = nl_cache_get_next(o)) {
		struct rtnl_route *rt = (struct rtnl_route *)o;
		struct nl_addr *dst = rtnl_route_get_dst(rt);

		if (rtnl_route_get_type(rt) != RTN_UNICAST || (dst && nl_addr_get_prefixlen(dst) != 0))
			continue;
		for (int i = 0; i < rtnl_route_get_nnexthops(rt); i++)
			if (rtnl_route_nh_get_ifindex(rtnl_route_nexthop_n(rt, i)) == ifindex)
				found = 1;
	}
	nl_cache_free(cache);
	return found;
}
