// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * vf.c - the SR-IOV VF attributes: one table row per attribute, and what
 * loops over the rows: the values a request asks for, setting them (one
 * request each, in table order) and reading them back, and restoring them
 * from a journal (in reverse order).
 *
 * A row's kernel side (its name, its IFLA_VF_* attribute, how it goes into
 * a request and comes out of a reply) is its row in netlink.c, keyed by the
 * same bit: only netlink.c talks libnl, and netlink.c (and the journal)
 * may not call up into this file.  tests/test-sriov.c checks that both
 * tables have a row for every bit of MVL_VF_A_ALL.
 *
 * To add an attribute: a bit (kernel.h), a field in struct
 * mvl_vf_state and (at the end) in struct mvl_vf_opts, a row here, a row in
 * netlink.c, its "orig" field in the journal codec, an option in
 * tools/cmd-create.c and its text in man/mvlink.8.
 */
#include <linux/if_ether.h>

#include "devices.h"

/* The public names of a VF's link state (mvl_vf_opts.link_state). */
static const char *const link_state_names[] = {
	[MVL_VF_LINK_AUTO] = "auto",
	[MVL_VF_LINK_ENABLE] = "enable",
	[MVL_VF_LINK_DISABLE] = "disable",
};

MVL_EXPORT const char *mvl_vf_link_state_to_string(enum mvl_vf_link_state state)
{
	if ((unsigned)state >= ARRAY_SIZE(link_state_names))
		return NULL;
	return link_state_names[state];
}

MVL_EXPORT int mvl_vf_link_state_from_string(const char *s)
{
	for (size_t i = 0; s && i < ARRAY_SIZE(link_state_names); i++)
		if (link_state_names[i] && strcmp(s, link_state_names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

struct vf_attr {
	unsigned bit;
	/* Whether @o asks for it; if so, its value into @w. */
	bool (*want)(const struct vf_attr *a, const struct mvl_vf_opts *o, struct mvl_vf_state *w);
	/* "trust on", "VLAN 10 qos 3 (802.1Q)"...: for messages */
	void (*text)(const struct vf_attr *a, const struct mvl_vf_state *v, char *buf, size_t len);
	bool (*equal)(const struct vf_attr *a, const struct mvl_vf_state *x,
		      const struct mvl_vf_state *y);
	void (*copy)(const struct vf_attr *a, struct mvl_vf_state *dst,
		     const struct mvl_vf_state *src);
	/* on/off ones: where the setting is (enum mvl_tristate in the options,
	 * int 0/1 or -1 "the driver does not say" in the state) */
	size_t opt_off, st_off;
	bool onoff;
	bool rounded; /* the driver may round it: not compared on read back */
};

/* ------------------------------------------------------------------ MAC */

static bool mac_want(const struct vf_attr *a, const struct mvl_vf_opts *o, struct mvl_vf_state *w)
{
	(void)a;
	if (!o->mac)
		return false;
	memcpy(w->mac, o->mac, 6);
	return true;
}

static void mac_text(const struct vf_attr *a, const struct mvl_vf_state *v, char *buf, size_t len)
{
	char mac[18];

	(void)a;
	snprintf(buf, len, "MAC %s", mvl_mac_format(v->mac, mac));
}

static bool mac_equal(const struct vf_attr *a, const struct mvl_vf_state *x,
		      const struct mvl_vf_state *y)
{
	(void)a;
	return memcmp(x->mac, y->mac, 6) == 0;
}

static void mac_copy(const struct vf_attr *a, struct mvl_vf_state *dst,
		     const struct mvl_vf_state *src)
{
	(void)a;
	memcpy(dst->mac, src->mac, 6);
}

/* ----------------------------------------------------------------- VLAN */

static bool vlan_want(const struct vf_attr *a, const struct mvl_vf_opts *o, struct mvl_vf_state *w)
{
	(void)a;
	if (!(o->flags & MVL_VF_VLAN))
		return false;
	w->vlan = o->vlan;
	w->qos = o->qos;
	w->vlan_proto = o->vlan_proto == MVL_VLAN_PROTO_8021AD ? ETH_P_8021AD : ETH_P_8021Q;
	return true;
}

static void vlan_text(const struct vf_attr *a, const struct mvl_vf_state *v, char *buf, size_t len)
{
	(void)a;
	snprintf(buf, len, "VLAN %u qos %u (%s)", v->vlan, v->qos,
		 v->vlan_proto == ETH_P_8021AD ? "802.1ad" : "802.1Q");
}

static bool vlan_equal(const struct vf_attr *a, const struct mvl_vf_state *x,
		       const struct mvl_vf_state *y)
{
	(void)a;
	return x->vlan == y->vlan && x->qos == y->qos &&
	       (x->vlan == 0 || x->vlan_proto == y->vlan_proto);
}

static void vlan_copy(const struct vf_attr *a, struct mvl_vf_state *dst,
		      const struct mvl_vf_state *src)
{
	(void)a;
	dst->vlan = src->vlan;
	dst->qos = src->qos;
	dst->vlan_proto = src->vlan_proto;
}

/* ------------------------------------------------- on/off (spoofchk...) */

static int *onoff_at(const struct vf_attr *a, struct mvl_vf_state *s)
{
	return (int *)((char *)s + a->st_off);
}

static int onoff_get(const struct vf_attr *a, const struct mvl_vf_state *s)
{
	return *(const int *)((const char *)s + a->st_off);
}

static bool onoff_want(const struct vf_attr *a, const struct mvl_vf_opts *o, struct mvl_vf_state *w)
{
	enum mvl_tristate t = *(const enum mvl_tristate *)((const char *)o + a->opt_off);

	if (t == MVL_UNSET)
		return false;
	*onoff_at(a, w) = t == MVL_ON;
	return true;
}

static void onoff_text(const struct vf_attr *a, const struct mvl_vf_state *v, char *buf, size_t len)
{
	snprintf(buf, len, "%s %s", mvl_vf_attr_name(a->bit), onoff_get(a, v) ? "on" : "off");
}

static bool onoff_equal(const struct vf_attr *a, const struct mvl_vf_state *x,
			const struct mvl_vf_state *y)
{
	return onoff_get(a, x) == onoff_get(a, y);
}

static void onoff_copy(const struct vf_attr *a, struct mvl_vf_state *dst,
		       const struct mvl_vf_state *src)
{
	*onoff_at(a, dst) = onoff_get(a, src);
}

/* ----------------------------------------------------------- link state */

static bool link_state_want(const struct vf_attr *a, const struct mvl_vf_opts *o,
			    struct mvl_vf_state *w)
{
	(void)a;
	if (!o->link_state)
		return false;
	w->link_state = (int)o->link_state - 1; /* IFLA_VF_LINK_STATE_* */
	return true;
}

static void link_state_text(const struct vf_attr *a, const struct mvl_vf_state *v, char *buf,
			    size_t len)
{
	(void)a;
	snprintf(buf, len, "link state %s",
		 mvl_vf_link_state_to_string((enum mvl_vf_link_state)(v->link_state + 1)));
}

static bool link_state_equal(const struct vf_attr *a, const struct mvl_vf_state *x,
			     const struct mvl_vf_state *y)
{
	(void)a;
	return x->link_state == y->link_state;
}

static void link_state_copy(const struct vf_attr *a, struct mvl_vf_state *dst,
			    const struct mvl_vf_state *src)
{
	(void)a;
	dst->link_state = src->link_state;
}

/* ---------------------------------------------------------------- rates */

static bool rate_want(const struct vf_attr *a, const struct mvl_vf_opts *o, struct mvl_vf_state *w)
{
	(void)a;
	if (!(o->flags & (MVL_VF_MIN_RATE | MVL_VF_MAX_RATE)))
		return false;
	/* both go in one request: keep the current value of the other */
	if (o->flags & MVL_VF_MIN_RATE)
		w->min_tx_rate = o->min_tx_rate;
	if (o->flags & MVL_VF_MAX_RATE)
		w->max_tx_rate = o->max_tx_rate;
	return true;
}

static void rate_text(const struct vf_attr *a, const struct mvl_vf_state *v, char *buf, size_t len)
{
	(void)a;
	snprintf(buf, len, "min/max tx rate %u/%u Mbps", v->min_tx_rate, v->max_tx_rate);
}

static bool rate_equal(const struct vf_attr *a, const struct mvl_vf_state *x,
		       const struct mvl_vf_state *y)
{
	(void)a;
	return x->min_tx_rate == y->min_tx_rate && x->max_tx_rate == y->max_tx_rate;
}

static void rate_copy(const struct vf_attr *a, struct mvl_vf_state *dst,
		      const struct mvl_vf_state *src)
{
	(void)a;
	dst->min_tx_rate = src->min_tx_rate;
	dst->max_tx_rate = src->max_tx_rate;
}

/* ---------------------------------------------------------------- table */

#define VF_ONOFF(b, field)                                                                \
	{                                                                                 \
		.bit = (b), .want = onoff_want, .text = onoff_text, .equal = onoff_equal, \
		.copy = onoff_copy, .opt_off = offsetof(struct mvl_vf_opts, field),       \
		.st_off = offsetof(struct mvl_vf_state, field), .onoff = true             \
	}

/* In the order an attach sets them (a restore goes backwards). */
static const struct vf_attr vf_attrs[] = {
	{ .bit = MVL_VF_A_MAC,
	  .want = mac_want,
	  .text = mac_text,
	  .equal = mac_equal,
	  .copy = mac_copy },
	{ .bit = MVL_VF_A_VLAN,
	  .want = vlan_want,
	  .text = vlan_text,
	  .equal = vlan_equal,
	  .copy = vlan_copy },
	VF_ONOFF(MVL_VF_A_SPOOFCHK, spoofchk),
	VF_ONOFF(MVL_VF_A_TRUST, trust),
	{ .bit = MVL_VF_A_LINK_STATE,
	  .want = link_state_want,
	  .text = link_state_text,
	  .equal = link_state_equal,
	  .copy = link_state_copy },
	{ .bit = MVL_VF_A_RATE,
	  .want = rate_want,
	  .text = rate_text,
	  .equal = rate_equal,
	  .copy = rate_copy,
	  .rounded = true },
	VF_ONOFF(MVL_VF_A_QUERY_RSS, query_rss),
};

unsigned mvl_vf_attr_bit(size_t i)
{
	return i < ARRAY_SIZE(vf_attrs) ? vf_attrs[i].bit : 0;
}

static const char *attr_text(const struct vf_attr *a, const struct mvl_vf_state *v, char *buf,
			     size_t len)
{
	a->text(a, v, buf, len);
	return buf;
}

unsigned mvl_vf_wanted(const struct mvl_vf_opts *o, const struct mvl_vf_state *cur,
		       struct mvl_vf_state *want)
{
	unsigned mask = 0;

	*want = *cur;
	for (size_t i = 0; i < ARRAY_SIZE(vf_attrs); i++)
		if (vf_attrs[i].want(&vf_attrs[i], o, want))
			mask |= vf_attrs[i].bit;
	return mask;
}

unsigned mvl_vf_unknown(const struct mvl_vf_state *orig, unsigned mask)
{
	for (size_t i = 0; i < ARRAY_SIZE(vf_attrs); i++) {
		const struct vf_attr *a = &vf_attrs[i];

		if ((mask & a->bit) &&
		    (!(orig->have & a->bit) || (a->onoff && onoff_get(a, orig) < 0)))
			return a->bit;
	}
	return 0;
}

/* ------------------------------------------------------------ set, read */

int mvl_vf_apply_attrs(struct mvl_ctx *ctx, int pf_ifindex, const char *pf_ifname, int vf,
		       unsigned mask, const struct mvl_vf_state *want)
{
	struct mvl_vf_state now;
	char x[96], y[96];
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(vf_attrs); i++) {
		const struct vf_attr *a = &vf_attrs[i];

		if (!(mask & a->bit))
			continue;
		r = mvl_nl_vf_set(ctx, pf_ifindex, a->bit, want);
		if (r < 0)
			return mvl_fail_kernel(ctx, r, "PF %s refused %s for VF %d", pf_ifname,
					       attr_text(a, want, x, sizeof(x)), vf);
	}
	if (!mask)
		return 0;
	/* read back: what the driver accepted must be what it reports */
	r = mvl_nl_vf_get(ctx, pf_ifindex, vf, &now);
	if (r < 0)
		return mvl_fail_kernel(ctx, r, "cannot read VF %d of %s back", vf, pf_ifname);
	for (size_t i = 0; i < ARRAY_SIZE(vf_attrs); i++) {
		const struct vf_attr *a = &vf_attrs[i];

		if (!(mask & a->bit) || a->rounded || !(now.have & a->bit) ||
		    a->equal(a, want, &now))
			continue;
		return mvl_fail(ctx, -EIO, "PF %s accepted %s for VF %d but reports %s", pf_ifname,
				attr_text(a, want, x, sizeof(x)), vf,
				attr_text(a, &now, y, sizeof(y)));
	}
	return 0;
}

/* --------------------------------------------------------------- restore */

static int set_attr(struct mvl_ctx *ctx, int ifindex, const char *pf, const struct vf_attr *a,
		    const struct mvl_vf_state *v)
{
	static const uint8_t zero[6];
	char what[96];
	int r = mvl_nl_vf_set(ctx, ifindex, a->bit, v);

	/* some drivers refuse an all-zero (unset) MAC: libvirt's fallback is
	 * the locally administered 02:00:00:00:00:00 */
	if (r == -EINVAL && a->bit == MVL_VF_A_MAC && memcmp(v->mac, zero, 6) == 0) {
		struct mvl_vf_state alt = *v;

		alt.mac[0] = 0x02;
		r = mvl_nl_vf_set(ctx, ifindex, a->bit, &alt);
	}
	if (r < 0)
		return mvl_fail_kernel(ctx, r, "cannot restore %s of VF %d on %s",
				       attr_text(a, v, what, sizeof(what)), v->vf, pf);
	return 0;
}

int mvl_vf_restore_attrs_on(struct mvl_ctx *ctx, int pf_ifindex, const char *pf_ifname,
			    const struct mvl_journal *j)
{
	struct mvl_vf_state cur;
	struct mvl_first_err fe = { 0 };
	unsigned mask = j->vf_changes | (j->vf_orig.have & MVL_VF_A_MAC);
	int r;

	r = mvl_nl_vf_get(ctx, pf_ifindex, j->vf, &cur);
	if (r < 0)
		return mvl_fail_kernel(ctx, r, "cannot read VF %d of %s", j->vf, pf_ifname);
	for (size_t i = ARRAY_SIZE(vf_attrs); i-- > 0;) {
		const struct vf_attr *a = &vf_attrs[i];
		struct mvl_vf_state v = cur;

		if (!(mask & a->bit) || !(j->vf_orig.have & a->bit) ||
		    a->equal(a, &cur, &j->vf_orig))
			continue;
		a->copy(a, &v, &j->vf_orig);
		v.vf = j->vf;
		mvl_first_err_note(ctx, &fe, set_attr(ctx, pf_ifindex, pf_ifname, a, &v));
	}
	return mvl_first_err_get(ctx, &fe);
}

int mvl_vf_restore_attrs(struct mvl_ctx *ctx, const struct mvl_journal *j)
{
	char ifname[IFNAMSIZ] = "";
	unsigned long num;
	int ifindex;

	if (!(j->vf_changes | (j->vf_orig.have & MVL_VF_A_MAC)))
		return 0;
	if (!j->pf_addr[0]) {
		/* a PF of another bus: known by its netdev, which cannot be
		 * renamed while up; gone, it took its VFs with it */
		unsigned flags;
		int r = mvl_netdev_info(ctx, j->pf_ifname, &ifindex, &flags);
		bool gone = r == -ENODEV;

		if (r == 0 && mvl_sysfs_read_ulong(ctx, &num, "class/net/%s/device/sriov_numvfs",
						   j->pf_ifname) == 0)
			gone = (unsigned long)j->vf >= num;
		if (gone) {
			info(ctx, "VF %d of %s no longer exists; its settings went with it", j->vf,
			     j->pf_ifname);
			return 0;
		}
		if (r < 0)
			return mvl_fail(ctx, r, "cannot restore VF %d of %s: %s", j->vf,
					j->pf_ifname, MVL_STRERROR(r));
		return mvl_vf_restore_attrs_on(ctx, ifindex, j->pf_ifname, j);
	}
	/* VFs gone with sriov_numvfs=0 keep nothing to restore */
	if (mvl_pci_read_ulong(ctx, j->pf_addr, "sriov_numvfs", &num) == 0 &&
	    (unsigned long)j->vf >= num) {
		info(ctx, "VF %d of %s no longer exists; its settings went with it", j->vf,
		     j->pf_addr);
		return 0;
	}
	ifindex = mvl_pf_ifindex(ctx, j->pf_addr, ifname, sizeof(ifname));
	if (ifindex < 0)
		return mvl_fail(
			ctx, ifindex,
			"cannot restore VF %d of %s: the PF has no network interface now (%s)",
			j->vf, j->pf_addr, MVL_STRERROR(ifindex));
	return mvl_vf_restore_attrs_on(ctx, ifindex, ifname, j);
}

/* ------------------------------------------------------------------ PFs */

struct first_netdev {
	char name[IFNAMSIZ];
};

static int first_netdev_cb(struct mvl_ctx *ctx, const char *ifname, void *data)
{
	struct first_netdev *f = data;

	/* the lowest name: readdir order is arbitrary */
	if (mvl_ifname_check(ifname) == 0 && (!f->name[0] || strcmp(ifname, f->name) < 0))
		snprintf(f->name, sizeof(f->name), "%s", ifname);
	return 0;
}

int mvl_pf_ifindex(struct mvl_ctx *ctx, const char *pf_addr, char *ifname, size_t len)
{
	struct first_netdev f = { .name = "" };
	unsigned flags;
	int ifindex, r;

	r = mvl_pci_foreach_netdev(ctx, pf_addr, first_netdev_cb, &f);
	if (r < 0)
		return r;
	if (!f.name[0])
		return -ENODEV;
	r = mvl_netdev_info(ctx, f.name, &ifindex, &flags);
	if (r < 0)
		return r;
	snprintf(ifname, len, "%s", f.name);
	return ifindex;
}
