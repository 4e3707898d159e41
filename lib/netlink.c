// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * netlink.c - rtnetlink through libnl.  The only file of the library that
 * talks libnl: everything else sees struct mvl_link_info and friends.
 *
 * Every request asks for an ACK and is received with our own error
 * callback, which keeps the kernel's exact errno (libnl's NLE_* codes lose
 * it) and the extended-ack message the kernel attached, if any.
 */
#include <stdarg.h>

#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_addr.h>
#include <linux/if_ether.h>
#include <arpa/inet.h>

#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/route/addr.h>
#include <netlink/route/route.h>

#include "kernel.h"
#include "testhooks.h"

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

static void mvl_nl_free(struct mvl_nl *nl)
{
	if (!nl)
		return;
	nl_socket_free(nl->sk); /* closes the socket */
	free(nl);
}

static void nl_free(void *nl)
{
	mvl_nl_free(nl);
}

static int nl_get(struct mvl_ctx *ctx, struct mvl_nl **ret)
{
	struct mvl_nl *nl = mvl_ctx_part(ctx, MVL_CTX_NL);
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
	mvl_ctx_set_part(ctx, MVL_CTX_NL, nl, nl_free); /* mvl_ctx_unref() frees it */
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

	{
		struct nl_cb *sk_cb = nl_socket_get_cb(nl->sk); /* a new reference */

		cb = nl_cb_clone(sk_cb);
		nl_cb_put(sk_cb);
	}
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
	struct mvl_nl *nl = mvl_ctx_part(ctx, MVL_CTX_NL);

	return nl ? nl->extack : "";
}

/* The kernel's text @extack is kept whether or not @err has a human hint:
 * the hint explains, the kernel's text says what exactly it refused. */
static int vfail_kernel(struct mvl_ctx *ctx, int err, const char *extack, const char *format,
			va_list ap)
{
	const char *hint = mvl_link_errno_hint(err);
	char what[512], kernel[300] = "";

	vsnprintf(what, sizeof(what), format, ap);
	if (extack && extack[0])
		snprintf(kernel, sizeof(kernel), " (kernel: %s)", extack);
	if (hint)
		return mvl_fail(ctx, err, "%s: %s (%s)%s", what, hint, MVL_STRERROR(err), kernel);
	return mvl_fail(ctx, err, "%s: %s%s", what, MVL_STRERROR(err), kernel);
}

int mvl_fail_kernel(struct mvl_ctx *ctx, int err, const char *format, ...)
{
	va_list ap;
	int r;

	va_start(ap, format);
	r = vfail_kernel(ctx, err, mvl_nl_extack(ctx), format, ap);
	va_end(ap);
	return r;
}

int mvl_fail_kernel_extack(struct mvl_ctx *ctx, int err, const char *extack, const char *format,
			   ...)
{
	va_list ap;
	int r;

	va_start(ap, format);
	r = vfail_kernel(ctx, err, extack, format, ap);
	va_end(ap);
	return r;
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

static void parse_macvlan(struct mvl_link_info *li, struct nlattr *data)
{
	struct nlattr *d[IFLA_MACVLAN_MAX + 1];

	if (!data || nla_parse_nested(d, IFLA_MACVLAN_MAX, data, NULL) < 0)
		return;
	if (d[IFLA_MACVLAN_MODE])
		li->macvtap_mode = macvlan_mode_to_mvl(nla_get_u32(d[IFLA_MACVLAN_MODE]));
	parse_macvlan_source(li, d);
}

/* IFLA_INFO_DATA of a new link of kind @spec->kind (macvlan, macvtap). */
static int put_macvlan(struct nl_msg *msg, const struct mvl_link_new *spec)
{
	struct nlattr *data = nla_nest_start(msg, IFLA_INFO_DATA), *list;

	if (!data ||
	    nla_put_u32(msg, IFLA_MACVLAN_MODE, mvl_to_macvlan_mode(spec->macvtap_mode)) < 0)
		return -ENOMEM;
	if (spec->macvtap_mode == MVL_MACVTAP_SOURCE && spec->n_source_macs) {
		if (nla_put_u32(msg, IFLA_MACVLAN_MACADDR_MODE, MACVLAN_MACADDR_SET) < 0)
			return -ENOMEM;
		list = nla_nest_start(msg, IFLA_MACVLAN_MACADDR_DATA);
		if (!list)
			return -ENOMEM;
		for (unsigned i = 0; i < spec->n_source_macs; i++)
			if (nla_put(msg, IFLA_MACVLAN_MACADDR, 6, spec->source_macs[i]) < 0)
				return -ENOMEM;
		nla_nest_end(msg, list);
	}
	nla_nest_end(msg, data);
	return 0;
}

/* ipvlan's mode and flag: MVL_IPVLAN_* at the index of the kernel's value */
static const uint16_t ipvlan_modes[] = {
	[MVL_IPVLAN_L2] = IPVLAN_MODE_L2,
	[MVL_IPVLAN_L3] = IPVLAN_MODE_L3,
	[MVL_IPVLAN_L3S] = IPVLAN_MODE_L3S,
};
static const uint16_t ipvlan_flags[] = {
	[MVL_IPVLAN_BRIDGE] = 0,
	[MVL_IPVLAN_PRIVATE] = IPVLAN_F_PRIVATE,
	[MVL_IPVLAN_VEPA] = IPVLAN_F_VEPA,
};

static int ipvlan_index(const uint16_t *v, size_t n, uint16_t kernel)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == kernel)
			return (int)i;
	return -1;
}

static void parse_ipvlan(struct mvl_link_info *li, struct nlattr *data)
{
	struct nlattr *d[IFLA_IPVLAN_MAX + 1];

	if (!data || nla_parse_nested(d, IFLA_IPVLAN_MAX, data, NULL) < 0)
		return;
	if (d[IFLA_IPVLAN_MODE])
		li->ipvlan_mode = ipvlan_index(ipvlan_modes, ARRAY_SIZE(ipvlan_modes),
					       nla_get_u16(d[IFLA_IPVLAN_MODE]));
	if (d[IFLA_IPVLAN_FLAGS])
		li->ipvlan_flag = ipvlan_index(ipvlan_flags, ARRAY_SIZE(ipvlan_flags),
					       nla_get_u16(d[IFLA_IPVLAN_FLAGS]));
}

/* IFLA_INFO_DATA of a new ipvlan or ipvtap: both, always. */
static int put_ipvlan(struct nl_msg *msg, const struct mvl_link_new *spec)
{
	struct nlattr *data = nla_nest_start(msg, IFLA_INFO_DATA);

	if ((unsigned)spec->ipvlan_mode >= ARRAY_SIZE(ipvlan_modes) ||
	    (unsigned)spec->ipvlan_flag >= ARRAY_SIZE(ipvlan_flags))
		return -EINVAL;
	if (!data || nla_put_u16(msg, IFLA_IPVLAN_MODE, ipvlan_modes[spec->ipvlan_mode]) < 0 ||
	    nla_put_u16(msg, IFLA_IPVLAN_FLAGS, ipvlan_flags[spec->ipvlan_flag]) < 0)
		return -ENOMEM;
	nla_nest_end(msg, data);
	return 0;
}

/* The IFLA_INFO_DATA mvlink reads and writes, per IFLA_INFO_KIND. */
static const struct info_data {
	const char *kind;
	void (*parse)(struct mvl_link_info *li, struct nlattr *data); /* data may be NULL */
	int (*put)(struct nl_msg *msg, const struct mvl_link_new *spec);
} info_data[] = {
	{ "tun", parse_tun, NULL },
	{ "macvtap", parse_macvlan, put_macvlan },
	{ "macvlan", parse_macvlan, put_macvlan },
	{ "ipvtap", parse_ipvlan, put_ipvlan },
	{ "ipvlan", parse_ipvlan, put_ipvlan },
};

static const struct info_data *info_data_of(const char *kind)
{
	for (size_t i = 0; i < ARRAY_SIZE(info_data); i++)
		if (strcmp(info_data[i].kind, kind) == 0)
			return &info_data[i];
	return NULL;
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
	li->ipvlan_mode = li->ipvlan_flag = -1;
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
			const struct info_data *id = info_data_of(li->kind);

			if (id && id->parse)
				id->parse(li, info[IFLA_INFO_DATA]);
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
	    nla_put_u32(msg, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS) < 0) {
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
		if (nla_put_u32(msg, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS) < 0) {
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
	const struct info_data *id = info_data_of(spec->kind);
	struct nlattr *linkinfo;
	struct ifinfomsg *ifi;
	int r;

	r = mvl_step(ctx, "RTM_NEWLINK");
	if (r < 0)
		return r;
	msg = link_msg(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0);
	if (!msg)
		return -ENOMEM;
	ifi = nlmsg_data(nlmsg_hdr(msg));
	ifi->ifi_index = spec->ifindex; /* 0: the kernel's choice */
	/* with a tag, up in the request that sets it (the kernel ignores
	 * IFLA_IFALIAS here) */
	if (spec->up && !spec->alias) {
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
	if (id && id->put && (r = id->put(msg, spec)) < 0)
		goto out;
	nla_nest_end(msg, linkinfo);
	r = nl_request(ctx, msg, NULL, NULL);
	if (r < 0)
		goto out;
	if (spec->ifindex > 0) {
		/* the kernel gave it the ifindex asked for, or refused */
		li.ifindex = spec->ifindex;
	} else {
		r = mvl_nl_link_get(ctx, spec->name, 0, &li);
		if (r < 0)
			goto out;
	}
	/* the kernel ignores IFLA_IFALIAS when it creates a link */
	if (spec->alias) {
		struct mvl_link_change chg = MVL_LINK_CHANGE_INIT;

		/* and up in the same request: the kernel sets the alias
		 * before it changes the flags */
		chg.alias = spec->alias;
		chg.up = spec->up ? 1 : -1;
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

/* Call @cb for each IPv4/IPv6 address of @ifindex but the IPv6 link-local
 * ones (which come with every interface); 0 or the kernel's -errno. */
static int addr_walk(struct mvl_ctx *ctx, int ifindex,
		     void (*cb)(struct rtnl_addr *a, void *data), void *data)
{
	struct nl_cache *cache = NULL;
	struct mvl_nl *nl;
	int r;

	r = nl_get(ctx, &nl);
	if (r < 0)
		return r;
	nl->err = 0;
	r = rtnl_addr_alloc_cache(nl->sk, &cache);
	if (r < 0)
		return nl->err ? nl->err : -EIO;
	for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_addr *a = (struct rtnl_addr *)o;
		int family = rtnl_addr_get_family(a);

		if (rtnl_addr_get_ifindex(a) != ifindex || !rtnl_addr_get_local(a) ||
		    (family != AF_INET && family != AF_INET6) ||
		    (family == AF_INET6 && rtnl_addr_get_scope(a) == RT_SCOPE_LINK))
			continue;
		cb(a, data);
	}
	nl_cache_free(cache);
	return 0;
}

struct addr_count {
	int n;
	char *first;
	size_t len;
};

static void count_cb(struct rtnl_addr *a, void *data)
{
	struct addr_count *c = data;

	if (c->n++ == 0 && c->first && c->len)
		nl_addr2str(rtnl_addr_get_local(a), c->first, c->len);
}

int mvl_nl_addr_count(struct mvl_ctx *ctx, int ifindex, char *first, size_t len)
{
	struct addr_count c = { .first = first, .len = len };
	int r = addr_walk(ctx, ifindex, count_cb, &c);

	return r < 0 ? r : c.n;
}

struct addr_list {
	struct mvl_ip_addr *v;
	size_t n, max;
};

static void list_cb(struct rtnl_addr *a, void *data)
{
	struct addr_list *l = data;
	struct nl_addr *local = rtnl_addr_get_local(a);
	unsigned len = nl_addr_get_len(local);

	if (l->n < l->max) {
		l->v[l->n] = (struct mvl_ip_addr){ .family = rtnl_addr_get_family(a),
						   .prefixlen = (unsigned)rtnl_addr_get_prefixlen(a) };
		memcpy(l->v[l->n].addr, nl_addr_get_binary_addr(local), len < 16 ? len : 16);
	}
	l->n++;
}

int mvl_nl_addr_list(struct mvl_ctx *ctx, int ifindex, struct mvl_ip_addr *ret, size_t max)
{
	struct addr_list l = { .v = ret, .max = max };
	int r = addr_walk(ctx, ifindex, list_cb, &l);

	return r < 0 ? r : (int)l.n;
}

int mvl_nl_addr_add(struct mvl_ctx *ctx, int ifindex, const struct mvl_ip_addr *a)
{
	bool v4 = a->family == AF_INET;
	struct rtnl_addr *ra = NULL;
	struct nl_addr *local = NULL;
	struct nl_msg *msg = NULL;
	int r;

	r = mvl_step(ctx, "RTM_NEWADDR");
	if (r < 0)
		return r;
	ra = rtnl_addr_alloc();
	local = nl_addr_build(a->family, a->addr, v4 ? 4 : 16);
	r = -ENOMEM;
	if (!ra || !local)
		goto out;
	nl_addr_set_prefixlen(local, v4 ? 32 : 128);
	rtnl_addr_set_ifindex(ra, ifindex);
	/* the whole address, no route to a prefix (nor a broadcast route);
	 * IPv4: of scope host, never the source the host picks for its own
	 * packets; IPv6: no duplicate address detection */
	if (rtnl_addr_set_local(ra, local) < 0)
		goto out;
	rtnl_addr_set_prefixlen(ra, v4 ? 32 : 128);
	rtnl_addr_set_scope(ra, v4 ? RT_SCOPE_HOST : RT_SCOPE_UNIVERSE);
	rtnl_addr_set_flags(ra, IFA_F_NOPREFIXROUTE | (v4 ? 0 : IFA_F_NODAD));
	if (rtnl_addr_build_add_request(ra, NLM_F_EXCL, &msg) < 0)
		goto out;
	r = nl_request(ctx, msg, NULL, NULL);
out:
	nlmsg_free(msg);
	nl_addr_put(local);
	rtnl_addr_put(ra);
	return r;
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

/* ------------------------------------------------ SR-IOV VF attributes */

/*
 * VF attributes live on the PF: RTM_SETLINK on the PF with
 * IFLA_VFINFO_LIST { IFLA_VF_INFO { one attribute } }.  One attribute per
 * request: the kernel applies those of one message in order and stops at
 * the first error, so a refusal then names exactly one attribute.
 */
void mvl_nl_set_test_ops(struct mvl_ctx *ctx, const struct mvl_nl_test_ops *ops, void *data)
{
	struct mvl_test_seams *t = mvl_ctx_test(ctx);

	t->nl_ops = ops;
	t->nl_ops_data = data;
}

/*
 * The kernel side of each VF attribute (its row in vf.c holds the rest):
 * its name (requests, messages, journals), how it goes into a request and
 * how it comes out of a reply.  Here because only this file talks libnl,
 * and because the journal, lower than vf.c, names attributes too.
 */
struct vf_wire {
	unsigned bit;
	const char *name;
	int type; /* IFLA_VF_* of a request */
	int (*put)(struct nl_msg *msg, const struct vf_wire *w, const struct mvl_vf_state *v);
	/* from a reply's IFLA_VF_* attributes; false when it does not say */
	bool (*parse)(struct nlattr **tb, const struct vf_wire *w, struct mvl_vf_state *s);
	size_t off; /* of the int setting in struct mvl_vf_state (on/off ones) */
};

/* The payload of @a if it holds at least @size bytes, else NULL. */
static const void *attr_data(struct nlattr *a, size_t size)
{
	return a && (size_t)nla_len(a) >= size ? nla_data(a) : NULL;
}

static int put_mac(struct nl_msg *msg, const struct vf_wire *w, const struct mvl_vf_state *v)
{
	struct ifla_vf_mac m = { .vf = (uint32_t)v->vf };

	memcpy(m.mac, v->mac, 6);
	return nla_put(msg, w->type, sizeof(m), &m);
}

static bool parse_mac(struct nlattr **tb, const struct vf_wire *w, struct mvl_vf_state *s)
{
	const struct ifla_vf_mac *mac = attr_data(tb[w->type], sizeof(*mac));

	if (!mac)
		return false;
	s->vf = (int)mac->vf;
	memcpy(s->mac, mac->mac, 6);
	return true;
}

static int put_vlan(struct nl_msg *msg, const struct vf_wire *w, const struct mvl_vf_state *v)
{
	struct ifla_vf_vlan_info vi = { .vf = (uint32_t)v->vf, .vlan = v->vlan, .qos = v->qos,
					.vlan_proto = htons(v->vlan_proto ? v->vlan_proto
									  : ETH_P_8021Q) };
	struct nlattr *list = nla_nest_start(msg, w->type);

	if (!list || nla_put(msg, IFLA_VF_VLAN_INFO, sizeof(vi), &vi) < 0)
		return -NLE_NOMEM;
	nla_nest_end(msg, list);
	return 0;
}

static bool parse_vlan(struct nlattr **tb, const struct vf_wire *w, struct mvl_vf_state *s)
{
	const struct ifla_vf_vlan *vlan = attr_data(tb[IFLA_VF_VLAN], sizeof(*vlan));
	struct nlattr *a;
	int rem;

	if (vlan) {
		s->vlan = vlan->vlan;
		s->qos = vlan->qos;
	}
	if (!tb[w->type])
		return vlan != NULL;
	/* the first entry is the outer tag (the one we set) */
	nla_for_each_nested(a, tb[w->type], rem) {
		const struct ifla_vf_vlan_info *vi = attr_data(a, sizeof(*vi));

		if (nla_type(a) != IFLA_VF_VLAN_INFO || !vi)
			continue;
		s->vlan = vi->vlan;
		s->qos = vi->qos;
		s->vlan_proto = ntohs(vi->vlan_proto);
		return true;
	}
	return vlan != NULL;
}

/* spoofchk, trust, ...: { __u32 vf; __u32 setting; } all of them */
struct vf_setting {
	uint32_t vf;
	uint32_t setting;
};

static int put_onoff(struct nl_msg *msg, const struct vf_wire *w, const struct mvl_vf_state *v)
{
	int on = *(const int *)((const char *)v + w->off);
	struct vf_setting s = { .vf = (uint32_t)v->vf, .setting = (uint32_t)on };

	return nla_put(msg, w->type, sizeof(s), &s);
}

static bool parse_onoff(struct nlattr **tb, const struct vf_wire *w, struct mvl_vf_state *s)
{
	const struct vf_setting *v = attr_data(tb[w->type], sizeof(*v));

	if (!v)
		return false;
	/* -1: the driver does not say */
	*(int *)((char *)s + w->off) = v->setting == (uint32_t)-1 ? -1 : !!v->setting;
	return true;
}

static int put_link_state(struct nl_msg *msg, const struct vf_wire *w,
			  const struct mvl_vf_state *v)
{
	struct ifla_vf_link_state l = { .vf = (uint32_t)v->vf,
					 .link_state = (uint32_t)v->link_state };

	return nla_put(msg, w->type, sizeof(l), &l);
}

static bool parse_link_state(struct nlattr **tb, const struct vf_wire *w,
			     struct mvl_vf_state *s)
{
	const struct ifla_vf_link_state *ls = attr_data(tb[w->type], sizeof(*ls));

	if (!ls || ls->link_state > IFLA_VF_LINK_STATE_DISABLE)
		return false;
	s->link_state = (int)ls->link_state;
	return true;
}

static int put_rate(struct nl_msg *msg, const struct vf_wire *w, const struct mvl_vf_state *v)
{
	/* both values, always: one alone would zero the other */
	struct ifla_vf_rate r = { .vf = (uint32_t)v->vf, .min_tx_rate = v->min_tx_rate,
				  .max_tx_rate = v->max_tx_rate };

	return nla_put(msg, w->type, sizeof(r), &r);
}

static bool parse_rate(struct nlattr **tb, const struct vf_wire *w, struct mvl_vf_state *s)
{
	const struct ifla_vf_rate *rate = attr_data(tb[w->type], sizeof(*rate));
	const struct ifla_vf_tx_rate *txr = attr_data(tb[IFLA_VF_TX_RATE], sizeof(*txr));

	if (rate) {
		s->min_tx_rate = rate->min_tx_rate;
		s->max_tx_rate = rate->max_tx_rate;
	} else if (txr) {
		s->max_tx_rate = txr->rate; /* older kernels: the maximum only */
	}
	return rate || txr;
}

static const struct vf_wire vf_wires[] = {
	{ MVL_VF_A_MAC, "mac", IFLA_VF_MAC, put_mac, parse_mac, 0 },
	{ MVL_VF_A_VLAN, "vlan", IFLA_VF_VLAN_LIST, put_vlan, parse_vlan, 0 },
	{ MVL_VF_A_SPOOFCHK, "spoofchk", IFLA_VF_SPOOFCHK, put_onoff, parse_onoff,
	  offsetof(struct mvl_vf_state, spoofchk) },
	{ MVL_VF_A_TRUST, "trust", IFLA_VF_TRUST, put_onoff, parse_onoff,
	  offsetof(struct mvl_vf_state, trust) },
	{ MVL_VF_A_LINK_STATE, "link-state", IFLA_VF_LINK_STATE, put_link_state,
	  parse_link_state, 0 },
	{ MVL_VF_A_RATE, "rate", IFLA_VF_RATE, put_rate, parse_rate, 0 },
	{ MVL_VF_A_QUERY_RSS, "query-rss", IFLA_VF_RSS_QUERY_EN, put_onoff, parse_onoff,
	  offsetof(struct mvl_vf_state, query_rss) },
};

static const struct vf_wire *vf_wire(unsigned attr)
{
	for (size_t i = 0; i < ARRAY_SIZE(vf_wires); i++)
		if (vf_wires[i].bit == attr)
			return &vf_wires[i];
	return NULL;
}

const char *mvl_vf_attr_name(unsigned attr)
{
	const struct vf_wire *w = vf_wire(attr);

	return w ? w->name : "?";
}

static int vf_msg_build(int pf_ifindex, unsigned attr, const struct mvl_vf_state *val,
			struct nl_msg **ret)
{
	const struct vf_wire *w = vf_wire(attr);
	struct nlattr *list, *info;
	struct nl_msg *msg;

	if (pf_ifindex <= 0 || val->vf < 0 || !w)
		return -EINVAL;
	msg = link_msg(RTM_SETLINK, 0, pf_ifindex);
	if (!msg)
		return -ENOMEM;
	list = nla_nest_start(msg, IFLA_VFINFO_LIST);
	info = list ? nla_nest_start(msg, IFLA_VF_INFO) : NULL;
	if (!info || w->put(msg, w, val) < 0) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	nla_nest_end(msg, info);
	nla_nest_end(msg, list);
	*ret = msg;
	return 0;
}

int mvl_nl_vf_build(int pf_ifindex, unsigned attr, const struct mvl_vf_state *val, void *buf,
		    size_t len)
{
	struct nl_msg *msg;
	struct nlmsghdr *hdr;
	int r;

	r = vf_msg_build(pf_ifindex, attr, val, &msg);
	if (r < 0)
		return r;
	hdr = nlmsg_hdr(msg);
	r = (int)hdr->nlmsg_len;
	if ((size_t)r > len)
		r = -ENOBUFS;
	else
		memcpy(buf, hdr, hdr->nlmsg_len);
	nlmsg_free(msg);
	return r;
}

static int vf_parse_info(struct nlattr *info, struct mvl_vf_state *s)
{
	struct nlattr *tb[IFLA_VF_MAX + 1];

	if (nla_parse_nested(tb, IFLA_VF_MAX, info, NULL) < 0)
		return -EBADMSG;
	memset(s, 0, sizeof(*s));
	s->vf = -1;
	s->spoofchk = s->trust = s->query_rss = -1;
	s->vlan_proto = ETH_P_8021Q;
	for (size_t i = 0; i < ARRAY_SIZE(vf_wires); i++)
		if (vf_wires[i].parse(tb, &vf_wires[i], s))
			s->have |= vf_wires[i].bit;
	/* every VF attribute starts with the VF number: the MAC's tells it */
	return s->have & MVL_VF_A_MAC ? 0 : -EBADMSG;
}

int mvl_nl_vf_parse(const void *buf, size_t len, struct mvl_vf_state **ret, size_t *ret_n)
{
	struct nlmsghdr *hdr = (struct nlmsghdr *)buf;
	struct nlattr *tb[IFLA_MAX + 1], *info;
	struct mvl_vf_state *vfs = NULL;
	size_t n = 0, cap = 0;
	int rem, r;

	if (len < NLMSG_HDRLEN + sizeof(struct ifinfomsg) || hdr->nlmsg_len > len ||
	    hdr->nlmsg_len < NLMSG_HDRLEN + sizeof(struct ifinfomsg) ||
	    hdr->nlmsg_type != RTM_NEWLINK)
		return -EBADMSG;
	if (nlmsg_parse(hdr, sizeof(struct ifinfomsg), tb, IFLA_MAX, NULL) < 0)
		return -EBADMSG;
	if (tb[IFLA_VFINFO_LIST]) {
		nla_for_each_nested(info, tb[IFLA_VFINFO_LIST], rem) {
			if (nla_type(info) != IFLA_VF_INFO)
				continue;
			struct mvl_vf_state *v = mvl_grow(vfs, &cap, n, sizeof(*v), 8);

			if (!v) {
				free(vfs);
				return -ENOMEM;
			}
			vfs = v;
			r = vf_parse_info(info, &vfs[n]);
			if (r < 0) {
				free(vfs);
				return r;
			}
			n++;
		}
	}
	*ret = vfs;
	*ret_n = n;
	return 0;
}

struct vf_get_state {
	struct mvl_vf_state *vfs;
	size_t n;
	bool got;
};

static int vf_get_cb(struct mvl_ctx *ctx, struct nlmsghdr *hdr, void *data)
{
	struct vf_get_state *st = data;

	if (hdr->nlmsg_type != RTM_NEWLINK || st->got)
		return 0;
	st->got = true;
	return mvl_nl_vf_parse(hdr, hdr->nlmsg_len, &st->vfs, &st->n);
}

int mvl_nl_vf_get_all(struct mvl_ctx *ctx, int pf_ifindex, struct mvl_vf_state **ret,
		      size_t *ret_n)
{
	struct vf_get_state st = { .vfs = NULL };
	const struct mvl_test_seams *t = mvl_ctx_test(ctx);
	struct nl_msg *msg;
	int r;

	if (t->nl_ops && t->nl_ops->vf_get_all)
		return t->nl_ops->vf_get_all(t->nl_ops_data, pf_ifindex, ret, ret_n);
	msg = link_msg(RTM_GETLINK, 0, pf_ifindex);
	if (!msg)
		return -ENOMEM;
	if (nla_put_u32(msg, IFLA_EXT_MASK, RTEXT_FILTER_VF | RTEXT_FILTER_SKIP_STATS) < 0) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	r = nl_request(ctx, msg, vf_get_cb, &st);
	nlmsg_free(msg);
	if (r == 0 && !st.got)
		r = -ENODEV;
	if (r < 0) {
		free(st.vfs);
		return r;
	}
	*ret = st.vfs;
	*ret_n = st.n;
	return 0;
}

int mvl_nl_vf_get(struct mvl_ctx *ctx, int pf_ifindex, int vf, struct mvl_vf_state *ret)
{
	struct mvl_vf_state *vfs = NULL;
	size_t n = 0;
	int r;

	r = mvl_nl_vf_get_all(ctx, pf_ifindex, &vfs, &n);
	if (r < 0)
		return r;
	r = -ENODEV;
	for (size_t i = 0; i < n; i++)
		if (vfs[i].vf == vf) {
			*ret = vfs[i];
			r = 0;
			break;
		}
	free(vfs);
	return r;
}

int mvl_nl_vf_set(struct mvl_ctx *ctx, int pf_ifindex, unsigned attr,
		  const struct mvl_vf_state *val)
{
	const struct mvl_test_seams *t = mvl_ctx_test(ctx);
	struct nl_msg *msg;
	char what[64];
	int r;

	snprintf(what, sizeof(what), "RTM_SETLINK vf %d %s", val->vf, mvl_vf_attr_name(attr));
	r = mvl_step(ctx, what);
	if (r < 0)
		return r;
	if (t->nl_ops && t->nl_ops->vf_set)
		return t->nl_ops->vf_set(t->nl_ops_data, pf_ifindex, attr, val);
	r = vf_msg_build(pf_ifindex, attr, val, &msg);
	if (r < 0)
		return r;
	r = nl_request(ctx, msg, NULL, NULL);
	nlmsg_free(msg);
	return r;
}

int mvl_nl_dev_has_default_route(struct mvl_ctx *ctx, int ifindex)
{
	const struct mvl_test_seams *t = mvl_ctx_test(ctx);

	if (t->nl_ops && t->nl_ops->has_default_route)
		return t->nl_ops->has_default_route(t->nl_ops_data, ifindex);
	return mvl_nl_has_default_route(ctx, ifindex);
}

/* ------------------------------------------------------ bulk deletion */

struct kind_dump_state {
	const char *kind;
	int (*cb)(struct mvl_ctx *ctx, const struct mvl_link_info *li, void *data);
	void *data;
};

static int kind_dump_cb(struct mvl_ctx *ctx, struct nlmsghdr *hdr, void *data)
{
	struct kind_dump_state *ks = data;
	struct mvl_link_info li;
	int r = parse_link(hdr, &li);

	if (r <= 0)
		return r;
	/* a kernel that does not know the kind sends every link */
	if (ks->kind && strcmp(li.kind, ks->kind) != 0)
		return 0;
	return ks->cb(ctx, &li, ks->data);
}

int mvl_nl_link_dump_kind(struct mvl_ctx *ctx, const char *kind,
			  int (*cb)(struct mvl_ctx *ctx, const struct mvl_link_info *li, void *data),
			  void (*restart)(void *data), void *data)
{
	struct kind_dump_state ks = { .kind = kind, .cb = cb, .data = data };
	int r = -EINTR;

	for (int attempt = 0; attempt < 5 && r == -EINTR; attempt++) {
		struct nl_msg *msg = link_msg(RTM_GETLINK, NLM_F_DUMP, 0);
		struct nlattr *linkinfo;

		if (!msg)
			return -ENOMEM;
		if (attempt > 0 && restart)
			restart(data);
		r = -ENOMEM;
		if (nla_put_u32(msg, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS) < 0)
			goto next;
		if (kind) {
			/* the kernel sends only links of this kind */
			linkinfo = nla_nest_start(msg, IFLA_LINKINFO);
			if (!linkinfo || nla_put_string(msg, IFLA_INFO_KIND, kind) < 0)
				goto next;
			nla_nest_end(msg, linkinfo);
		}
		r = nl_request(ctx, msg, kind_dump_cb, &ks);
next:
		nlmsg_free(msg);
	}
	return r;
}

int mvl_nl_link_set_group(struct mvl_ctx *ctx, int ifindex, uint32_t group)
{
	struct nl_msg *msg;
	int r;

	r = mvl_step(ctx, "RTM_SETLINK group");
	if (r < 0)
		return r;
	msg = link_msg(RTM_SETLINK, 0, ifindex);
	if (!msg)
		return -ENOMEM;
	r = nla_put_u32(msg, IFLA_GROUP, group) < 0 ? -ENOMEM : nl_request(ctx, msg, NULL, NULL);
	nlmsg_free(msg);
	return r;
}

int mvl_nl_link_del_group(struct mvl_ctx *ctx, uint32_t group)
{
	struct nl_msg *msg;
	int r;

	if (group == 0)
		return -EINVAL; /* the default group holds every link */
	r = mvl_step(ctx, "RTM_DELLINK group");
	if (r < 0)
		return r;
	msg = link_msg(RTM_DELLINK, 0, 0);
	if (!msg)
		return -ENOMEM;
	r = nla_put_u32(msg, IFLA_GROUP, group) < 0 ? -ENOMEM : nl_request(ctx, msg, NULL, NULL);
	nlmsg_free(msg);
	return r;
}
