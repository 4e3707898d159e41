// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd-create.c - `mvlink create`, and the interface options it shares with
 * `mvlink exec` (struct iface_spec).
 *
 * A mode is a row of create_modes[]: the options it takes, its checks and
 * its create call.  A new mode adds its options to IFACE_LONGOPTS and
 * iface_spec_opt(), and a row here.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mvlink.h"

#define MAX_QUEUES 256 /* the kernel's limit for taps and macvtaps */
#define MAX_VF 65535   /* sriov_totalvfs is 16 bits */
#define MAX_RATE 4294967295u /* IFLA_VF_RATE takes 32 bits of Mbit/s */

#define BIT(opt) (1ull << ((opt) - OPT_IFACE_BASE))

struct create_mode {
	const char *name;
	enum mvl_mode mode;
	bool fds; /* the interface has queue fds: exec can run a VMM on it */
	unsigned long long required; /* BIT(OPT_*) */
	unsigned long long allowed;  /* BIT(OPT_*), including the required ones */
	/* combinations of options beyond required/allowed, or NULL */
	int (*check)(struct tool *t, const struct iface_spec *s, const char *which);
	int (*create)(struct tool *t, const struct iface_spec *s, unsigned flags,
		      struct mvl_iface **ret_iface);
};

static const struct option iface_opts[] = { IFACE_LONGOPTS, {} };

static const char *opt_name(int opt)
{
	for (const struct option *o = iface_opts; o->name; o++)
		if (o->val == opt)
			return o->name;
	return "?";
}

/* ---------------------------------------------------------------- tap */

static int check_tap(struct tool *t, const struct iface_spec *s, const char *which)
{
	if (s->uplink && !s->bridge)
		return tool_usage(t, "%s--uplink %s needs --bridge: the uplink is enslaved to the "
				  "bridge", which, s->uplink);
	if (s->force_uplink && !s->uplink)
		return tool_usage(t, "%s--force-uplink needs --uplink", which);
	return 0;
}

static int create_tap(struct tool *t, const struct iface_spec *s, unsigned flags,
		      struct mvl_iface **ret_iface)
{
	struct mvl_tap_opts o = {
		.sz = sizeof(o),
		.vm_id = s->vm,
		.name = s->name,
		.bridge = s->bridge,
		.uplink = s->uplink,
		.guest_mac = s->has_mac ? s->mac : NULL,
		.mtu = s->mtu,
		.queues = s->queues,
		.owner = s->owner,
		.group = s->group,
	};

	if (flags & IFACE_CREATE_PERSIST)
		o.flags |= MVL_TAP_PERSIST;
	if (s->no_vnet_hdr)
		o.flags |= MVL_TAP_NO_VNET_HDR;
	if (s->force_uplink)
		o.flags |= MVL_TAP_FORCE_UPLINK;
	if (s->has_owner)
		o.flags |= MVL_TAP_OWNER;
	if (s->has_group)
		o.flags |= MVL_TAP_GROUP;
	return mvl_tap_create(tool_ctx(t), &o, ret_iface);
}

/* ---------------------------------------------------------------- macvtap */

static int check_macvtap(struct tool *t, const struct iface_spec *s, const char *which)
{
	if (s->n_source_macs && s->macvtap_mode != MVL_MACVTAP_SOURCE)
		return tool_usage(t, "%s--source-mac needs --macvtap-mode source", which);
	return 0;
}

static int create_macvtap(struct tool *t, const struct iface_spec *s, unsigned flags,
			  struct mvl_iface **ret_iface)
{
	struct mvl_macvtap_opts o = {
		.sz = sizeof(o),
		.vm_id = s->vm,
		.name = s->name,
		.link = s->link,
		.mac = s->has_mac ? s->mac : NULL,
		/* explicit: an unset mode must never mean anything else */
		.mode = s->macvtap_mode >= 0 ? (enum mvl_macvtap_mode)s->macvtap_mode
					     : MVL_MACVTAP_BRIDGE,
		.source_macs = (const uint8_t(*)[6])s->source_macs,
		.n_source_macs = s->n_source_macs,
		.mtu = s->mtu,
		.queues = s->queues,
		.owner = s->owner,
		.group = s->group,
	};

	/* the CLI's create exits at once: open no fds, the VMM opens the node */
	if (flags & IFACE_CREATE_PERSIST)
		o.flags |= MVL_MACVTAP_NO_FDS;
	if (s->no_vnet_hdr)
		o.flags |= MVL_MACVTAP_NO_VNET_HDR;
	if (s->link_up)
		o.flags |= MVL_MACVTAP_LINK_UP;
	if (s->has_owner)
		o.flags |= MVL_MACVTAP_OWNER;
	if (s->has_group)
		o.flags |= MVL_MACVTAP_GROUP;
	return mvl_macvtap_create(tool_ctx(t), &o, ret_iface);
}

/* ---------------------------------------------------------------- sriov */

#define BIT_VF_ATTRS                                                                         \
	(BIT(OPT_MAC) | BIT(OPT_VLAN) | BIT(OPT_QOS) | BIT(OPT_VLAN_PROTO) | BIT(OPT_SPOOFCHK) | \
	 BIT(OPT_TRUST) | BIT(OPT_LINK_STATE) | BIT(OPT_MIN_RATE) | BIT(OPT_MAX_RATE))

static int check_sriov(struct tool *t, const struct iface_spec *s, const char *which)
{
	if (s->has_qos && !s->has_vlan)
		return tool_usage(t, "%s--qos %u needs --vlan: the priority is part of the VLAN "
				  "tag", which, s->qos);
	if (s->vlan_proto && !s->has_vlan)
		return tool_usage(t, "%s--vlan-proto %s needs --vlan", which,
				  mvl_vlan_proto_to_string((enum mvl_vlan_proto)s->vlan_proto));
	if (s->has_vlan && s->vlan == 0 && s->has_qos && s->qos)
		return tool_usage(t, "%s--qos %u needs a VLAN id: --vlan 0 clears the VLAN", which,
				  s->qos);
	if (s->has_vlan && s->vlan == 0 && s->vlan_proto == MVL_VLAN_PROTO_8021AD)
		return tool_usage(t, "%s--vlan-proto 802.1ad needs a VLAN id: --vlan 0 clears the "
				  "VLAN", which);
	if (s->has_min_rate && s->has_max_rate && s->max_rate && s->min_rate > s->max_rate)
		return tool_usage(t, "%s--min-rate %u is above --max-rate %u", which, s->min_rate,
				  s->max_rate);
	if (s->no_vfio && (s->has_owner || s->has_group))
		return tool_usage(t, "%s--%s applies to /dev/vfio/N, which --no-vfio does not use",
				  which, s->has_owner ? "owner" : "group");
	if (s->no_vfio && s->force)
		return tool_usage(t, "%s--force applies to the vfio-pci binding, which --no-vfio "
				  "does not do", which);
	return 0;
}

static int create_sriov(struct tool *t, const struct iface_spec *s, unsigned flags,
			struct mvl_iface **ret_iface)
{
	struct mvl_vf_opts o = {
		.sz = sizeof(o),
		.vm_id = s->vm,
		.pf = s->pf,
		.vf = s->vf,
		.mac = s->has_mac ? s->mac : NULL,
		.vlan = s->vlan,
		.qos = s->qos,
		.vlan_proto = (enum mvl_vlan_proto)s->vlan_proto,
		.spoofchk = s->spoofchk,
		.trust = s->trust,
		.link_state = s->link_state,
		.min_tx_rate = s->min_rate,
		.max_tx_rate = s->max_rate,
		.owner = s->owner,
		.group = s->group,
	};

	(void)flags;
	if (s->has_vlan)
		o.flags |= MVL_VF_VLAN;
	if (s->has_min_rate)
		o.flags |= MVL_VF_MIN_RATE;
	if (s->has_max_rate)
		o.flags |= MVL_VF_MAX_RATE;
	if (s->no_vfio)
		o.flags |= MVL_VF_NO_VFIO;
	if (s->force)
		o.flags |= MVL_VF_FORCE;
	if (s->has_owner)
		o.flags |= MVL_VF_OWNER;
	if (s->has_group)
		o.flags |= MVL_VF_GROUP;
	return mvl_vf_attach(tool_ctx(t), &o, ret_iface);
}

/* ---------------------------------------------------------------- pci */

static int create_pci(struct tool *t, const struct iface_spec *s, unsigned flags,
		      struct mvl_iface **ret_iface)
{
	struct mvl_pci_opts o = {
		.sz = sizeof(o),
		.vm_id = s->vm,
		.device = s->device,
		.owner = s->owner,
		.group = s->group,
	};

	(void)flags;
	if (s->force)
		o.flags |= MVL_PCI_FORCE;
	if (s->has_owner)
		o.flags |= MVL_PCI_OWNER;
	if (s->has_group)
		o.flags |= MVL_PCI_GROUP;
	return mvl_pci_attach(tool_ctx(t), &o, ret_iface);
}

#define COMMON_OPTS                                                                          \
	(BIT(OPT_MODE) | BIT(OPT_VM) | BIT(OPT_NAME) | BIT(OPT_MAC) | BIT(OPT_MTU) |          \
	 BIT(OPT_QUEUES) | BIT(OPT_OWNER) | BIT(OPT_GROUP) | BIT(OPT_NO_VNET_HDR))

static const struct create_mode create_modes[] = {
	{
		.name = "tap",
		.mode = MVL_MODE_TAP,
		.fds = true,
		.required = BIT(OPT_VM) | BIT(OPT_NAME),
		.allowed = COMMON_OPTS | BIT(OPT_BRIDGE) | BIT(OPT_UPLINK) |
			   BIT(OPT_FORCE_UPLINK),
		.check = check_tap,
		.create = create_tap,
	},
	{
		.name = "macvtap",
		.mode = MVL_MODE_MACVTAP,
		.fds = true,
		.required = BIT(OPT_VM) | BIT(OPT_NAME) | BIT(OPT_LINK),
		.allowed = COMMON_OPTS | BIT(OPT_LINK) | BIT(OPT_MACVTAP_MODE) |
			   BIT(OPT_SOURCE_MAC) | BIT(OPT_LINK_UP),
		.check = check_macvtap,
		.create = create_macvtap,
	},
	{
		.name = "sriov",
		.mode = MVL_MODE_SRIOV,
		.required = BIT(OPT_VM) | BIT(OPT_PF),
		.allowed = BIT(OPT_MODE) | BIT(OPT_VM) | BIT(OPT_PF) | BIT(OPT_VF) | BIT_VF_ATTRS |
			   BIT(OPT_OWNER) | BIT(OPT_GROUP) | BIT(OPT_NO_VFIO) | BIT(OPT_FORCE),
		.check = check_sriov,
		.create = create_sriov,
	},
	{
		.name = "pci",
		.mode = MVL_MODE_PCI,
		.required = BIT(OPT_VM) | BIT(OPT_DEVICE),
		.allowed = BIT(OPT_MODE) | BIT(OPT_VM) | BIT(OPT_DEVICE) | BIT(OPT_OWNER) |
			   BIT(OPT_GROUP) | BIT(OPT_FORCE),
		.create = create_pci,
	},
};

static const struct create_mode *find_mode(enum mvl_mode mode)
{
	for (size_t i = 0; i < ARRAY_SIZE(create_modes); i++)
		if (create_modes[i].mode == mode)
			return &create_modes[i];
	return NULL;
}

bool iface_mode_has_fds(enum mvl_mode mode)
{
	const struct create_mode *m = find_mode(mode);

	return m && m->fds;
}

static const char *mode_names(void)
{
	static char buf[128];
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(create_modes) && n < sizeof(buf); i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", i ? ", " : "",
				      create_modes[i].name);
	return buf;
}

/* ---------------------------------------------------------------- specs */

void iface_spec_init(struct iface_spec *s)
{
	*s = (struct iface_spec){ .mode = MVL_MODE_NONE, .macvtap_mode = -1, .vf = -1 };
}

void iface_spec_clear(struct iface_spec *s)
{
	free(s->source_macs);
	iface_spec_init(s);
}

unsigned iface_spec_queues(const struct iface_spec *s)
{
	return s->queues ? s->queues : 1;
}

bool iface_spec_guest_mac_known(const struct iface_spec *s)
{
	/* a macvtap's MAC is the guest's (random unless given); a tap's
	 * guest MAC is only known when given */
	return s->has_mac || s->mode == MVL_MODE_MACVTAP || s->mode == MVL_MODE_SRIOV;
}

static int parse_mac(struct tool *t, int opt, const char *arg, uint8_t mac[6])
{
	if (mvl_mac_parse(arg, mac) < 0)
		return tool_usage(t, "invalid MAC address '%s' for --%s: expected six hex bytes "
				  "such as 02:00:00:00:00:01", arg, opt_name(opt));
	if (mvl_mac_check(mac) < 0)
		return tool_usage(t, "MAC address '%s' for --%s is %s; a NIC cannot use it (use a "
				  "locally administered unicast address such as "
				  "02:00:00:00:00:01)", arg, opt_name(opt),
				  (mac[0] & 1) ? "a multicast address" : "all zero");
	return 0;
}

/* The host's user or group database: tool.lookup_id's default. */
static int lookup_db(const char *name, bool group, unsigned *ret_id)
{
	long size = sysconf(group ? _SC_GETGR_R_SIZE_MAX : _SC_GETPW_R_SIZE_MAX);
	size_t len = size > 0 ? (size_t)size : 1024;
	bool found = false;
	unsigned id = 0;
	int r;

	for (;;) {
		char *buf = malloc(len);

		if (!buf)
			return -ENOMEM;
		if (!group) {
			struct passwd pw, *res = NULL;

			r = getpwnam_r(name, &pw, buf, len, &res);
			if (r == 0 && res) {
				found = true;
				id = (unsigned)res->pw_uid;
			}
		} else {
			struct group gr, *res = NULL;

			r = getgrnam_r(name, &gr, buf, len, &res);
			if (r == 0 && res) {
				found = true;
				id = (unsigned)res->gr_gid;
			}
		}
		free(buf);
		if (r != ERANGE || len >= (1u << 24))
			break;
		len *= 2;
	}
	if (!found)
		return -ENOENT;
	*ret_id = id;
	return 0;
}

/* A user or group: a name from the database, else a number. */
static int parse_id(struct tool *t, int opt, const char *arg, unsigned *ret)
{
	unsigned id = 0;
	int r;

	r = (t->lookup_id ? t->lookup_id : lookup_db)(arg, opt == OPT_GROUP, &id);
	if (r == -ENOMEM)
		return tool_fail_msg(t, -ENOMEM, false, "out of memory");
	if (r == 0) {
		*ret = id;
		return 0;
	}
	/* (uid_t)-1 means "no owner" to the kernel: refuse it */
	if (tool_parse_uint(arg, 0, (unsigned)-2, &id) == 0) {
		*ret = id;
		return 0;
	}
	return tool_usage(t, "unknown %s '%s' for --%s: not in the %s database and not a number",
			  opt == OPT_OWNER ? "user" : "group", arg, opt_name(opt),
			  opt == OPT_OWNER ? "user" : "group");
}

static int check_ifname(struct tool *t, int opt, const char *arg)
{
	if (mvl_ifname_check(arg) < 0)
		return tool_usage(t, "invalid interface name '%s' for --%s: 1-15 bytes without '/', "
				  "':', '%%' or whitespace, not '.' or '..'", arg, opt_name(opt));
	return 0;
}

int iface_spec_opt(struct tool *t, struct iface_spec *s, int opt, const char *arg)
{
	unsigned u;
	int r;

	if (opt < OPT_IFACE_BASE || opt >= OPT_CMD_BASE)
		return -1;
	s->n_opts++;
	s->seen |= BIT(opt);
	switch (opt) {
	case OPT_MODE:
		s->mode = MVL_MODE_NONE;
		for (size_t i = 0; i < ARRAY_SIZE(create_modes); i++)
			if (strcmp(arg, create_modes[i].name) == 0)
				s->mode = create_modes[i].mode;
		if (s->mode == MVL_MODE_NONE)
			return tool_usage(t, "invalid mode '%s' for --mode (allowed: %s)", arg,
					  mode_names());
		return 0;
	case OPT_VM:
		if (mvl_vm_id_check(arg) < 0)
			return tool_usage(t, "invalid VM id '%s' for --vm: 1-64 characters of "
					  "A-Z a-z 0-9 . _ -, not starting with '.' or '-'", arg);
		s->vm = arg;
		return 0;
	case OPT_NAME:
		if (mvl_ifname_template_check(arg) < 0)
			return tool_usage(t, "invalid interface name '%s' for --name: 1-15 bytes "
					  "without '/', ':' or whitespace, not '.' or '..', or a "
					  "template with one %%d such as 'vm-%%d'", arg);
		s->name = arg;
		return 0;
	case OPT_BRIDGE:
	case OPT_UPLINK:
	case OPT_LINK:
		r = check_ifname(t, opt, arg);
		if (r)
			return r;
		*(opt == OPT_BRIDGE ? &s->bridge : opt == OPT_UPLINK ? &s->uplink : &s->link) = arg;
		return 0;
	case OPT_MAC:
		r = parse_mac(t, opt, arg, s->mac);
		if (r)
			return r;
		s->has_mac = true;
		return 0;
	case OPT_SOURCE_MAC: {
		uint8_t mac[6], (*m)[6];

		r = parse_mac(t, opt, arg, mac);
		if (r)
			return r;
		m = realloc(s->source_macs, (s->n_source_macs + 1) * sizeof(*m));
		if (!m)
			return tool_fail_msg(t, -ENOMEM, false, "out of memory");
		memcpy(m[s->n_source_macs++], mac, 6);
		s->source_macs = m;
		return 0;
	}
	case OPT_MTU:
		if (tool_parse_uint(arg, 68, 65535, &s->mtu) < 0)
			return tool_usage(t, "invalid MTU '%s' for --mtu: a number from 68 to 65535",
					  arg);
		return 0;
	case OPT_QUEUES:
		if (tool_parse_uint(arg, 1, MAX_QUEUES, &s->queues) < 0)
			return tool_usage(t, "invalid queue count '%s' for --queues: a number from "
					  "1 to %d", arg, MAX_QUEUES);
		return 0;
	case OPT_OWNER:
		r = parse_id(t, opt, arg, &u);
		if (r)
			return r;
		s->owner = (uid_t)u;
		s->has_owner = true;
		return 0;
	case OPT_GROUP:
		r = parse_id(t, opt, arg, &u);
		if (r)
			return r;
		s->group = (gid_t)u;
		s->has_group = true;
		return 0;
	case OPT_FORCE_UPLINK:
		s->force_uplink = true;
		return 0;
	case OPT_NO_VNET_HDR:
		s->no_vnet_hdr = true;
		return 0;
	case OPT_LINK_UP:
		s->link_up = true;
		return 0;
	case OPT_MACVTAP_MODE:
		r = mvl_macvtap_mode_from_string(arg);
		if (r < 0)
			return tool_usage(t, "invalid macvtap mode '%s' for --macvtap-mode (allowed: "
					  "bridge, vepa, private, passthru, source)", arg);
		s->macvtap_mode = r;
		return 0;
	case OPT_PF:
		return tool_parse_pf(t, arg, "--pf", s->pf);
	case OPT_VF:
		if (tool_parse_uint(arg, 0, MAX_VF, &u) < 0)
			return tool_usage(t, "invalid VF index '%s' for --vf: a number from 0 to %d "
					  "(VFs count from 0)", arg, MAX_VF);
		s->vf = (int)u;
		return 0;
	case OPT_VLAN:
		if (tool_parse_uint(arg, 0, 4094, &s->vlan) < 0)
			return tool_usage(t, "invalid VLAN id '%s' for --vlan: a number from 0 to 4094 "
					  "(0 clears the VLAN; 4095 is reserved)", arg);
		s->has_vlan = true;
		return 0;
	case OPT_QOS:
		if (tool_parse_uint(arg, 0, 7, &s->qos) < 0)
			return tool_usage(t, "invalid QoS '%s' for --qos: a priority from 0 to 7", arg);
		s->has_qos = true;
		return 0;
	case OPT_VLAN_PROTO:
		r = mvl_vlan_proto_from_string(arg);
		if (r <= 0)
			return tool_usage(t, "invalid VLAN protocol '%s' for --vlan-proto (allowed: "
					  "802.1Q, 802.1ad)", arg);
		s->vlan_proto = r;
		return 0;
	case OPT_SPOOFCHK:
	case OPT_TRUST:
		if (strcmp(arg, "on") != 0 && strcmp(arg, "off") != 0)
			return tool_usage(t, "invalid value '%s' for --%s (allowed: on, off)", arg,
					  opt_name(opt));
		*(opt == OPT_SPOOFCHK ? &s->spoofchk : &s->trust) =
			strcmp(arg, "on") == 0 ? MVL_ON : MVL_OFF;
		return 0;
	case OPT_LINK_STATE:
		r = mvl_vf_link_state_from_string(arg);
		if (r <= 0)
			return tool_usage(t, "invalid link state '%s' for --link-state (allowed: auto, "
					  "enable, disable)", arg);
		s->link_state = (enum mvl_vf_link_state)r;
		return 0;
	case OPT_MIN_RATE:
	case OPT_MAX_RATE:
		if (tool_parse_uint(arg, 0, MAX_RATE, &u) < 0)
			return tool_usage(t, "invalid rate '%s' for --%s: Mbit/s, a number from 0 "
					  "(no %s) to %u", arg, opt_name(opt),
					  opt == OPT_MIN_RATE ? "minimum" : "limit", MAX_RATE);
		if (opt == OPT_MIN_RATE) {
			s->min_rate = u;
			s->has_min_rate = true;
		} else {
			s->max_rate = u;
			s->has_max_rate = true;
		}
		return 0;
	case OPT_NO_VFIO:
		s->no_vfio = true;
		return 0;
	case OPT_FORCE:
		s->force = true;
		return 0;
	case OPT_DEVICE:
		return tool_parse_pci_addr(t, arg, "--device", s->device);
	}
	return -1;
}

int iface_spec_check(struct tool *t, const struct iface_spec *s, const char *which)
{
	const struct create_mode *m;
	unsigned long long missing, extra;

	if (s->mode == MVL_MODE_NONE)
		return tool_usage(t, "%smissing --mode (allowed: %s)", which, mode_names());
	m = find_mode(s->mode);
	missing = m->required & ~s->seen;
	if (s->vm) /* exec: carried over from the previous interface */
		missing &= ~BIT(OPT_VM);
	if (missing & BIT(OPT_VM))
		return tool_usage(t, "%smissing --vm ID: every interface is tagged with the VM it "
				  "belongs to", which);
	for (int opt = OPT_IFACE_BASE; opt < OPT_IFACE_END; opt++)
		if (missing & BIT(opt))
			return tool_usage(t, "%s--mode %s needs --%s", which, m->name,
					  opt_name(opt));
	extra = s->seen & ~m->allowed;
	for (int opt = OPT_IFACE_BASE; opt < OPT_IFACE_END; opt++)
		if (extra & BIT(opt))
			return tool_usage(t, "%s--%s does not apply to --mode %s", which,
					  opt_name(opt), m->name);
	return m->check ? m->check(t, s, which) : 0;
}

int iface_spec_create(struct tool *t, const struct iface_spec *s, unsigned flags,
		      struct mvl_iface **ret_iface)
{
	const struct create_mode *m = find_mode(s->mode);

	if (!tool_ctx(t))
		return -ENOMEM;
	return m->create(t, s, flags, ret_iface);
}

void iface_options_help(bool all_modes)
{
	printf("Interface options:\n"
	       "  --mode MODE          %s (required)\n"
	       "  --vm ID              the VM the interface belongs to (required): 1-64\n"
	       "                       characters of A-Z a-z 0-9 . _ -; the interface is tagged\n"
	       "                       with it, so `mvlink delete --vm ID` finds it again\n"
	       "tap and macvtap:\n"
	       "  --name NAME          interface name (required), or a template such as\n"
	       "                       'vm-%%d' that takes the lowest free number\n"
	       "  --mac MAC            the guest's MAC address (unicast, not all zero), e.g.\n"
	       "                       02:00:00:00:00:01.  tap: the host side gets the same\n"
	       "                       address with fe as the first byte (fa when the\n"
	       "                       guest's is fe); macvtap: the macvtap's own address\n"
	       "                       (random when not given)\n"
	       "  --mtu N              MTU, 68-65535 (default: the bridge's or the link's)\n"
	       "  --queues N           number of queues, 1-%d (more than one: multi-queue)\n"
	       "  --owner USER         user (name or number) allowed to use the tap / owning\n"
	       "                       the macvtap's device node\n"
	       "  --group GROUP        group (name or number), likewise\n"
	       "  --no-vnet-hdr        do not enable the virtio-net header (IFF_VNET_HDR)\n"
	       "tap only:\n"
	       "  --bridge BR          create bridge BR unless it exists, and put the tap on it\n"
	       "  --uplink IF          also enslave IF to the bridge (refused when IF carries IP\n"
	       "                       addresses or the default route)\n"
	       "  --force-uplink       enslave the uplink even then (the host may lose its\n"
	       "                       connectivity)\n"
	       "macvtap only:\n"
	       "  --link IF            the lower device (the uplink) (required)\n"
	       "  --macvtap-mode MODE  bridge (default), vepa, private, passthru or source\n"
	       "  --source-mac MAC     with --macvtap-mode source: a MAC allowed to send;\n"
	       "                       repeat for more\n"
	       "  --link-up            bring the lower device up when it is down\n",
	       all_modes ? "tap, macvtap, sriov or pci" : "tap or macvtap", MAX_QUEUES);
	if (!all_modes)
		return;
	printf("sriov (an SR-IOV VF, configured through its PF and bound to vfio-pci):\n"
	       "  --pf PF              the PF: its network interface (eno1) or PCI address\n"
	       "                       (required)\n"
	       "  --vf N               the VF's index (default: the first free VF)\n"
	       "  --mac MAC            the VF's MAC address, the one the guest uses\n"
	       "  --vlan N             VLAN id 0-4094 the PF tags the VF's traffic with (0:\n"
	       "                       none)\n"
	       "  --qos N              with --vlan: the VLAN priority, 0-7\n"
	       "  --vlan-proto PROTO   with --vlan: 802.1Q (default) or 802.1ad\n"
	       "  --spoofchk on|off    MAC spoof checking on the VF's transmits\n"
	       "  --trust on|off       let the guest change its MAC or go promiscuous\n"
	       "  --link-state STATE   auto (follow the PF), enable or disable\n"
	       "  --min-rate M         minimum transmit rate in Mbit/s (0: none)\n"
	       "  --max-rate M         maximum transmit rate in Mbit/s (0: no limit)\n"
	       "  --owner USER         give /dev/vfio/N to this user (the VMM's)\n"
	       "  --group GROUP        give /dev/vfio/N to this group\n"
	       "  --no-vfio            only configure the VF; leave it on its host driver\n"
	       "                       (required when the PF is no PCI device: netdevsim)\n"
	       "  --force              bind even the device that carries the default route\n"
	       "pci (a whole PCI device bound to vfio-pci):\n"
	       "  --device ADDR        its PCI address, e.g. 0000:03:00.0 (required)\n"
	       "  --owner USER         give /dev/vfio/N to this user (the VMM's)\n"
	       "  --group GROUP        give /dev/vfio/N to this group\n"
	       "  --force              bind even the device that carries the default route\n");
}

static void help(void)
{
	printf("Usage: mvlink create --mode tap --vm ID --name NAME [--bridge BR [--uplink IF\n"
	       "                     [--force-uplink]]] [--mac MAC] [--mtu N] [--queues N]\n"
	       "                     [--owner USER] [--group GROUP] [--no-vnet-hdr]\n"
	       "       mvlink create --mode macvtap --vm ID --link IF --name NAME [--mac MAC]\n"
	       "                     [--macvtap-mode MODE] [--source-mac MAC]... [--mtu N]\n"
	       "                     [--queues N] [--owner USER] [--group GROUP]\n"
	       "                     [--no-vnet-hdr] [--link-up]\n"
	       "       mvlink create --mode sriov --vm ID --pf PF [--vf N] [--mac MAC]\n"
	       "                     [--vlan N [--qos N] [--vlan-proto 802.1Q|802.1ad]]\n"
	       "                     [--spoofchk on|off] [--trust on|off]\n"
	       "                     [--link-state auto|enable|disable] [--min-rate M]\n"
	       "                     [--max-rate M] [--owner USER] [--group GROUP]\n"
	       "                     [--no-vfio] [--force]\n"
	       "       mvlink create --mode pci --vm ID --device ADDR [--owner USER]\n"
	       "                     [--group GROUP] [--force]\n"
	       "\n"
	       "Create an interface for a VM and print it.  The interface outlives mvlink:\n"
	       "a tap is made persistent (a VMM attaches to it by name, as --owner/--group),\n"
	       "a macvtap's device node (devnode) is opened by the VMM.  Remove it with\n"
	       "`mvlink delete`.  Running create again with the same options for the same VM\n"
	       "adopts the existing interface (\"adopted\": true); anything else of that name\n"
	       "is an error and stays untouched.  For interfaces that live exactly as long as\n"
	       "the VMM, with their fds handed over, see `mvlink exec --help`.\n"
	       "\n"
	       "sriov and pci give the VM a PCI function: its original state (driver, VF\n"
	       "settings) is written to a journal first, then the VF's settings are made\n"
	       "through its PF and the function is bound to vfio-pci; the VMM opens the\n"
	       "devnode /dev/vfio/N (QEMU: -device vfio-pci,host=ADDR).  Its name is its PCI\n"
	       "address (PF:vfN for a VF of a PF that is no PCI device, such as netdevsim's):\n"
	       "`mvlink delete ADDR` (or --vm ID) restores the original state, also after a\n"
	       "crash (see `mvlink recover`).  Enable VFs first: `mvlink sriov`.\n"
	       "\n");
	iface_options_help(true);
	printf("Other options:\n"
	       "  --json               print the interface as a JSON object: name, mode, vm,\n"
	       "                       ifindex, link, mtu, mac, devnode, iommu_group,\n"
	       "                       guest_mac, adopted, queues (sriov: also vf)\n"
	       "  -v, --verbose        show the library's log (-vv: debug)\n"
	       "  -h, --help           show this help\n"
	       "\n"
	       "Exit status: 0 created or adopted, 1 usage error, 2 failed and undone,\n"
	       "3 failed and could not undo everything.\n"
	       "\n"
	       "Examples:\n"
	       "  mvlink create --mode tap --vm test1 --name vm-test1 --bridge br0 \\\n"
	       "                --uplink eno1 --mac 02:00:00:00:00:01\n"
	       "  mvlink create --mode sriov --vm test1 --pf eno1 --mac 02:00:00:00:00:01 \\\n"
	       "                --vlan 10 --spoofchk on --owner microvm\n"
	       "  mvlink create --mode pci --vm test1 --device 0000:03:00.0\n");
}

/* The index of VF @addr of PF @pf, or -1 when the listing does not say. */
static int vf_index(struct tool *t, const char *pf, const char *addr)
{
	struct mvl_sriov_list *list = NULL;
	int index = -1;

	if (!pf || mvl_sriov_list_new(t->ctx, pf, &list) < 0)
		return -1;
	for (size_t i = 0; i < mvl_sriov_list_count(list); i++) {
		const struct mvl_sriov_pf *p = mvl_sriov_list_get(list, i);

		for (unsigned k = 0; k < mvl_sriov_pf_get_num_vfs(p); k++) {
			const struct mvl_sriov_vf *vf = mvl_sriov_pf_get_vf(p, k);

			if (vf && mvl_sriov_vf_get_addr(vf) &&
			    strcmp(mvl_sriov_vf_get_addr(vf), addr) == 0)
				index = (int)mvl_sriov_vf_get_index(vf);
		}
	}
	mvl_sriov_list_free(list);
	return index;
}

static int parse(struct tool *t, int argc, char **argv, void *args)
{
	static const struct option longopts[] = { IFACE_LONGOPTS, TOOL_COMMON_LONGOPTS, {} };
	struct iface_spec *s = args;
	int opt, r;

	iface_spec_init(s);
	while ((opt = tool_getopt(argc, argv, ":vh", longopts)) != -1) {
		r = iface_spec_opt(t, s, opt, optarg);
		if (r == 0)
			continue;
		if (r > 0)
			return r;
		r = tool_common_opt(t, opt, argv, help);
		if (r >= 0)
			return r;
	}
	if (optind < argc)
		return tool_usage(t, "unexpected argument '%s'", argv[optind]);
	r = iface_spec_check(t, s, "");
	return r ? r : TOOL_RUN;
}

static int run(struct tool *t, void *args)
{
	const struct iface_spec *s = args;
	struct mvl_iface *iface = NULL;
	int r;

	if (!tool_ctx(t))
		return EXIT_FAILED;
	r = iface_spec_create(t, s, IFACE_CREATE_PERSIST, &iface);
	if (r < 0)
		return tool_fail(t, r);
	switch (s->mode) {
	case MVL_MODE_SRIOV: {
		int vf = vf_index(t, s->pf, mvl_iface_get_name(iface));

		/* the guest uses the VF's MAC (when the PF reports it) */
		out_iface(iface, IFACE_CREATE | IFACE_OPEN, mvl_iface_get_mac(iface), 0);
		out_int_opt(PRINT_ANY, "vf", vf, vf >= 0);
		out_object_close();
		break;
	}
	case MVL_MODE_PCI:
		out_iface(iface, IFACE_CREATE, NULL, 0);
		break;
	default:
		out_iface(iface, IFACE_CREATE,
			  s->mode == MVL_MODE_MACVTAP ? mvl_iface_get_mac(iface) :
			  s->has_mac		      ? s->mac :
							NULL,
			  iface_spec_queues(s));
	}
	/* closes the fds a create may hold: a persistent tap stays */
	mvl_iface_unref(iface);
	return EXIT_OK;
}

static void clear(void *args)
{
	iface_spec_clear(args);
}

const struct tool_cmd tool_cmd_create = {
	.name = "create",
	.synopsis = "create --mode tap --vm ID --name NAME [--bridge BR [--uplink IF]] [...]\n"
		    "create --mode macvtap --vm ID --link IF --name NAME [...]\n"
		    "create --mode sriov --vm ID --pf PF [--vf N] [--mac MAC] [--vlan N] [...]\n"
		    "create --mode pci --vm ID --device ADDR [...]",
	.summary = "create an interface for a VM, or give it a VF or PCI device",
	.args_size = sizeof(struct iface_spec),
	.parse = parse,
	.run = run,
	.clear = clear,
};
