// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd-create.c - `mvlink create`, and the interface options it shares with
 * `mvlink exec` (struct iface_spec).
 *
 * A mode is a row of modes[]: its name, the options it requires and
 * allows, its checks, the library call that creates it, what exec and
 * create's output take from it (queue fds, the guest's MAC) and its part
 * of --help.  An option is a row of iface_opts[] (with an OPT_ id to name
 * it in the modes' masks) and a field of struct iface_spec.  A new mode:
 * its options' rows, its create function and its row in modes[] (and its
 * line in create's synopsis below and in mvlink(8)).
 */
#include <arpa/inet.h>
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
#define MAX_RATE_TEXT "4294967295"
#define STR_(x) #x
#define STR(x) STR_(x)

/* The interface options: their rows in iface_opts[] */
enum {
	OPT_MODE,
	OPT_VM,
	OPT_NAME,
	OPT_BRIDGE,
	OPT_UPLINK,
	OPT_FORCE_UPLINK,
	OPT_LINK,
	OPT_MAC,
	OPT_MTU,
	OPT_QUEUES,
	OPT_OWNER,
	OPT_GROUP,
	OPT_NO_VNET_HDR,
	OPT_MACVTAP_MODE,
	OPT_SOURCE_MAC,
	OPT_LINK_UP,
	OPT_IPVLAN_MODE,
	OPT_IPVLAN_FLAG,
	OPT_IP,
	OPT_PF,
	OPT_VF,
	OPT_VLAN,
	OPT_QOS,
	OPT_VLAN_PROTO,
	OPT_SPOOFCHK,
	OPT_TRUST,
	OPT_QUERY_RSS,
	OPT_LINK_STATE,
	OPT_MIN_RATE,
	OPT_MAX_RATE,
	OPT_NO_VFIO,
	OPT_FORCE,
	OPT_DEVICE,
	OPT_IFACE_END, /* one past the last: at most 64 (bits of .seen) */
};
_Static_assert(OPT_IFACE_END <= 64, "too many interface options for iface_spec.seen");

#define BIT(opt) (1ull << (opt))

/* Where the guest's MAC comes from. */
enum guest_mac {
	GUEST_MAC_NONE,   /* nowhere: a whole PCI device */
	GUEST_MAC_OPTION, /* --mac, when given: the host side has another (tap) */
	GUEST_MAC_IFACE,  /* the interface's own MAC (macvtap, a VF) */
};

struct create_mode {
	const char *name;
	enum mvl_mode mode;
	bool fds; /* the interface has queue fds: exec can run a VMM on it */
	enum guest_mac guest_mac;
	unsigned long long required; /* BIT(OPT_*) */
	unsigned long long allowed;  /* BIT(OPT_*), including the required ones */
	/* combinations of options beyond required/allowed, or NULL */
	int (*check)(struct tool *t, const struct iface_spec *s, const char *which);
	int (*create)(struct tool *t, const struct iface_spec *s, unsigned flags,
		      struct mvl_iface **ret_iface);
	/* more members of create's output, or NULL */
	void (*describe)(struct tool *t, const struct iface_spec *s, struct mvl_iface *iface);
	const char *usage; /* its lines of create's Usage, after "mvlink create " */
	const char *help;  /* its section of the interface options' help */
};

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

/* ---------------------------------------------------------------- ipvtap */

static int check_ipvtap(struct tool *t, const struct iface_spec *s, const char *which)
{
	if (s->has_mac)
		return tool_usage(t, "%s--mac does not apply to --mode ipvtap: an ipvtap has the MAC "
				  "of its lower device, and the guest must use that one (printed as "
				  "\"mac\", or {mac} in exec)", which);
	return 0;
}

static int create_ipvtap(struct tool *t, const struct iface_spec *s, unsigned flags,
			 struct mvl_iface **ret_iface)
{
	struct mvl_ipvtap_opts o = {
		.sz = sizeof(o),
		.vm_id = s->vm,
		.name = s->name,
		.link = s->link,
		/* explicit: unset means the library's defaults, l2 and bridge */
		.mode = s->ipvlan_mode >= 0 ? (enum mvl_ipvlan_mode)s->ipvlan_mode : MVL_IPVLAN_L2,
		.ipvlan_flag = s->ipvlan_flag >= 0 ? (enum mvl_ipvlan_flag)s->ipvlan_flag
						   : MVL_IPVLAN_BRIDGE,
		.addrs = s->addrs,
		.n_addrs = s->n_addrs,
		.mtu = s->mtu,
		.queues = s->queues,
		.owner = s->owner,
		.group = s->group,
	};

	/* as a macvtap's: the VMM opens the node */
	if (flags & IFACE_CREATE_PERSIST)
		o.flags |= MVL_IPVTAP_NO_FDS;
	if (s->no_vnet_hdr)
		o.flags |= MVL_IPVTAP_NO_VNET_HDR;
	if (s->link_up)
		o.flags |= MVL_IPVTAP_LINK_UP;
	if (s->has_owner)
		o.flags |= MVL_IPVTAP_OWNER;
	if (s->has_group)
		o.flags |= MVL_IPVTAP_GROUP;
	return mvl_ipvtap_create(tool_ctx(t), &o, ret_iface);
}

/* ---------------------------------------------------------------- sriov */

#define BIT_VF_ATTRS                                                                         \
	(BIT(OPT_MAC) | BIT(OPT_VLAN) | BIT(OPT_QOS) | BIT(OPT_VLAN_PROTO) | BIT(OPT_SPOOFCHK) | \
	 BIT(OPT_TRUST) | BIT(OPT_QUERY_RSS) | BIT(OPT_LINK_STATE) | BIT(OPT_MIN_RATE) |     \
	 BIT(OPT_MAX_RATE))

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
		.query_rss = s->query_rss,
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

/* create's output: the VF's index */
static void describe_sriov(struct tool *t, const struct iface_spec *s, struct mvl_iface *iface)
{
	int vf = vf_index(t, s->pf, mvl_iface_get_name(iface));

	out_int_opt(PRINT_ANY, "vf", vf, vf >= 0);
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

/* ---------------------------------------------------------------- the modes */

#define COMMON_OPTS                                                                          \
	(BIT(OPT_MODE) | BIT(OPT_VM) | BIT(OPT_NAME) | BIT(OPT_MAC) | BIT(OPT_MTU) |          \
	 BIT(OPT_QUEUES) | BIT(OPT_OWNER) | BIT(OPT_GROUP) | BIT(OPT_NO_VNET_HDR))

static const struct create_mode modes[] = {
	{
		.name = "tap",
		.mode = MVL_MODE_TAP,
		.fds = true,
		.guest_mac = GUEST_MAC_OPTION,
		.required = BIT(OPT_VM) | BIT(OPT_NAME),
		.allowed = COMMON_OPTS | BIT(OPT_BRIDGE) | BIT(OPT_UPLINK) |
			   BIT(OPT_FORCE_UPLINK),
		.check = check_tap,
		.create = create_tap,
		.usage = "--mode tap --vm ID --name NAME [--bridge BR [--uplink IF\n"
			 "[--force-uplink]]] [--mac MAC] [--mtu N] [--queues N]\n"
			 "[--owner USER] [--group GROUP] [--no-vnet-hdr]",
		.help = "tap only:\n"
			"  --bridge BR          create bridge BR unless it exists, and put the tap on it\n"
			"  --uplink IF          also enslave IF to the bridge (refused when IF carries IP\n"
			"                       addresses or the default route)\n"
			"  --force-uplink       enslave the uplink even then (the host may lose its\n"
			"                       connectivity)\n",
	},
	{
		.name = "macvtap",
		.mode = MVL_MODE_MACVTAP,
		.fds = true,
		.guest_mac = GUEST_MAC_IFACE,
		.required = BIT(OPT_VM) | BIT(OPT_NAME) | BIT(OPT_LINK),
		.allowed = COMMON_OPTS | BIT(OPT_LINK) | BIT(OPT_MACVTAP_MODE) |
			   BIT(OPT_SOURCE_MAC) | BIT(OPT_LINK_UP),
		.check = check_macvtap,
		.create = create_macvtap,
		.usage = "--mode macvtap --vm ID --link IF --name NAME [--mac MAC]\n"
			 "[--macvtap-mode MODE] [--source-mac MAC]... [--mtu N]\n"
			 "[--queues N] [--owner USER] [--group GROUP]\n"
			 "[--no-vnet-hdr] [--link-up]",
		.help = "macvtap only:\n"
			"  --link IF            the lower device (the uplink) (required)\n"
			"  --macvtap-mode MODE  bridge (default), vepa, private, passthru or source\n"
			"  --source-mac MAC     with --macvtap-mode source: a MAC allowed to send;\n"
			"                       repeat for more\n"
			"  --link-up            bring the lower device up when it is down\n",
	},
	{
		.name = "ipvtap",
		.mode = MVL_MODE_IPVTAP,
		.fds = true,
		.guest_mac = GUEST_MAC_IFACE, /* its lower's */
		.required = BIT(OPT_VM) | BIT(OPT_NAME) | BIT(OPT_LINK),
		/* (--mac is refused by check_ipvtap(), saying why) */
		.allowed = COMMON_OPTS | BIT(OPT_LINK) | BIT(OPT_IPVLAN_MODE) |
			   BIT(OPT_IPVLAN_FLAG) | BIT(OPT_IP) | BIT(OPT_LINK_UP),
		.check = check_ipvtap,
		.create = create_ipvtap,
		.usage = "--mode ipvtap --vm ID --link IF --name NAME\n"
			 "[--ipvlan-mode l2|l3|l3s]\n"
			 "[--ipvlan-flag bridge|private|vepa] [--ip ADDR]...\n"
			 "[--mtu N] [--queues N] [--owner USER] [--group GROUP]\n"
			 "[--no-vnet-hdr] [--link-up]",
		.help = "ipvtap only (for uplinks that allow one MAC: the guest uses the uplink's):\n"
			"  --link IF            the lower device (the uplink) (required)\n"
			"  --ipvlan-mode MODE   l2 (default), l3 or l3s; with --ipvlan-flag, the lower\n"
			"                       device's: its other ipvlan/ipvtap devices must agree\n"
			"  --ipvlan-flag FLAG   bridge (default), private or vepa\n"
			"  --ip ADDR            an IPv4 or IPv6 address of the guest, added to the\n"
			"                       ipvtap (as /32 or /128): the kernel hands unicast\n"
			"                       packets to the ipvtap by destination address, so\n"
			"                       without --ip the guest gets only broadcasts and\n"
			"                       multicasts (l2); repeat for more\n"
			"  --link-up            bring the lower device up when it is down\n",
	},
	{
		.name = "sriov",
		.mode = MVL_MODE_SRIOV,
		.guest_mac = GUEST_MAC_IFACE, /* when the PF reports it */
		.required = BIT(OPT_VM) | BIT(OPT_PF),
		.allowed = BIT(OPT_MODE) | BIT(OPT_VM) | BIT(OPT_PF) | BIT(OPT_VF) | BIT_VF_ATTRS |
			   BIT(OPT_OWNER) | BIT(OPT_GROUP) | BIT(OPT_NO_VFIO) | BIT(OPT_FORCE),
		.check = check_sriov,
		.create = create_sriov,
		.describe = describe_sriov,
		.usage = "--mode sriov --vm ID --pf PF [--vf N] [--mac MAC]\n"
			 "[--vlan N [--qos N] [--vlan-proto 802.1Q|802.1ad]]\n"
			 "[--spoofchk on|off] [--trust on|off] [--query-rss on|off]\n"
			 "[--link-state auto|enable|disable] [--min-rate M]\n"
			 "[--max-rate M] [--owner USER] [--group GROUP]\n"
			 "[--no-vfio] [--force]",
		.help = "sriov (an SR-IOV VF, configured through its PF and bound to vfio-pci):\n"
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
			"  --query-rss on|off   let the guest read the PF's RSS table and hash key\n"
			"  --link-state STATE   auto (follow the PF), enable or disable\n"
			"  --min-rate M         minimum transmit rate in Mbit/s (0: none)\n"
			"  --max-rate M         maximum transmit rate in Mbit/s (0: no limit)\n"
			"  --owner USER         give /dev/vfio/N to this user (the VMM's)\n"
			"  --group GROUP        give /dev/vfio/N to this group\n"
			"  --no-vfio            only configure the VF; leave it on its host driver\n"
			"                       (required when the PF is no PCI device: netdevsim)\n"
			"  --force              bind even the device that carries the default route\n",
	},
	{
		.name = "pci",
		.mode = MVL_MODE_PCI,
		.guest_mac = GUEST_MAC_NONE,
		.required = BIT(OPT_VM) | BIT(OPT_DEVICE),
		.allowed = BIT(OPT_MODE) | BIT(OPT_VM) | BIT(OPT_DEVICE) | BIT(OPT_OWNER) |
			   BIT(OPT_GROUP) | BIT(OPT_FORCE),
		.create = create_pci,
		.usage = "--mode pci --vm ID --device ADDR [--owner USER]\n"
			 "[--group GROUP] [--force]",
		.help = "pci (a whole PCI device bound to vfio-pci):\n"
			"  --device ADDR        its PCI address, e.g. 0000:03:00.0 (required)\n"
			"  --owner USER         give /dev/vfio/N to this user (the VMM's)\n"
			"  --group GROUP        give /dev/vfio/N to this group\n"
			"  --force              bind even the device that carries the default route\n",
	},
};

static const struct create_mode *find_mode(enum mvl_mode mode)
{
	for (size_t i = 0; i < ARRAY_SIZE(modes); i++)
		if (modes[i].mode == mode)
			return &modes[i];
	return NULL;
}

bool iface_mode_has_fds(enum mvl_mode mode)
{
	const struct create_mode *m = find_mode(mode);

	return m && m->fds;
}

const char *iface_mode_names(bool fds_only, const char *last_sep)
{
	static char buf[128];
	size_t n = 0, k = 0, count = 0;

	for (size_t i = 0; i < ARRAY_SIZE(modes); i++)
		count += !fds_only || modes[i].fds;
	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(modes) && n < sizeof(buf); i++) {
		if (fds_only && !modes[i].fds)
			continue;
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s",
				      !k ? "" : k + 1 < count ? ", " : last_sep, modes[i].name);
		k++;
	}
	return buf;
}

/* ---------------------------------------------------------------- the options */

static int parse_mode(struct tool *t, const struct tool_opt *o, const char *arg, void *dst)
{
	struct iface_spec *s = dst;

	(void)o;
	s->mode = MVL_MODE_NONE;
	for (size_t i = 0; i < ARRAY_SIZE(modes); i++)
		if (strcmp(arg, modes[i].name) == 0)
			s->mode = modes[i].mode;
	if (s->mode == MVL_MODE_NONE)
		return tool_usage(t, "invalid mode '%s' for --mode (allowed: %s)", arg,
				  iface_mode_names(false, ", "));
	return 0;
}

static int parse_name(struct tool *t, const struct tool_opt *o, const char *arg, void *dst)
{
	(void)o;
	if (mvl_ifname_template_check(arg) < 0)
		return tool_usage(t, "invalid interface name '%s' for --name: 1-15 bytes without "
				  "'/', ':' or whitespace, not '.' or '..', or a template with one "
				  "%%d such as 'vm-%%d'", arg);
	((struct iface_spec *)dst)->name = arg;
	return 0;
}

/* An interface name into the const char * field of the row. */
static int parse_ifname(struct tool *t, const struct tool_opt *o, const char *arg, void *dst)
{
	if (mvl_ifname_check(arg) < 0)
		return tool_usage(t, "invalid interface name '%s' for --%s: 1-15 bytes without '/', "
				  "':', '%%' or whitespace, not '.' or '..'", arg, o->name);
	*(const char **)tool_opt_field(o, dst) = arg;
	return 0;
}

static int read_mac(struct tool *t, const struct tool_opt *o, const char *arg, uint8_t mac[6])
{
	if (mvl_mac_parse(arg, mac) < 0)
		return tool_usage(t, "invalid MAC address '%s' for --%s: expected six hex bytes "
				  "such as 02:00:00:00:00:01", arg, o->name);
	if (mvl_mac_check(mac) < 0)
		return tool_usage(t, "MAC address '%s' for --%s is %s; a NIC cannot use it (use a "
				  "locally administered unicast address such as "
				  "02:00:00:00:00:01)", arg, o->name,
				  (mac[0] & 1) ? "a multicast address" : "all zero");
	return 0;
}

static int parse_mac(struct tool *t, const struct tool_opt *o, const char *arg, void *dst)
{
	struct iface_spec *s = dst;
	int r = read_mac(t, o, arg, s->mac);

	if (r)
		return r;
	s->has_mac = true;
	return 0;
}

static int parse_source_mac(struct tool *t, const struct tool_opt *o, const char *arg,
			    void *dst)
{
	struct iface_spec *s = dst;
	uint8_t mac[6], (*m)[6];
	int r = read_mac(t, o, arg, mac);

	if (r)
		return r;
	m = realloc(s->source_macs, (s->n_source_macs + 1) * sizeof(*m));
	if (!m)
		return tool_fail_msg(t, -ENOMEM, false, "out of memory");
	memcpy(m[s->n_source_macs++], mac, 6);
	s->source_macs = m;
	return 0;
}

/* --ip ADDR[/32|/128]: one more address into addrs */
static int parse_ip(struct tool *t, const struct tool_opt *o, const char *arg, void *dst)
{
	struct iface_spec *s = dst;
	struct mvl_ip_addr a = { .family = strchr(arg, ':') ? AF_INET6 : AF_INET };
	size_t n = strcspn(arg, "/");
	unsigned full = a.family == AF_INET ? 32 : 128, prefix = full;
	char text[INET6_ADDRSTRLEN];
	struct mvl_ip_addr *v;

	if (n >= sizeof(text) || (snprintf(text, sizeof(text), "%.*s", (int)n, arg),
				  inet_pton(a.family, text, a.addr) != 1))
		return tool_usage(t, "invalid address '%s' for --%s: expected an IPv4 or IPv6 "
				  "address such as 192.0.2.10 or 2001:db8::10", arg, o->name);
	if (arg[n] && tool_parse_uint(arg + n + 1, 0, 128, &prefix) < 0)
		prefix = 0;
	if (prefix != full)
		return tool_usage(t, "--%s %s: the ipvtap gets the guest's address alone (/%u); give "
				  "it without the prefix (the guest's own prefix is set in the guest)",
				  o->name, arg, full);
	for (unsigned i = 0; i < s->n_addrs; i++)
		if (s->addrs[i].family == a.family && memcmp(s->addrs[i].addr, a.addr, 16) == 0)
			return tool_usage(t, "--%s %s is given twice", o->name, text);
	v = realloc(s->addrs, (s->n_addrs + 1) * sizeof(*v));
	if (!v)
		return tool_fail_msg(t, -ENOMEM, false, "out of memory");
	v[s->n_addrs++] = a;
	s->addrs = v;
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
static int parse_id(struct tool *t, const struct tool_opt *o, const char *arg, bool group,
		    unsigned *ret)
{
	const char *what = group ? "group" : "user";
	unsigned id = 0;
	int r;

	r = (t->lookup_id ? t->lookup_id : lookup_db)(arg, group, &id);
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
			  what, arg, o->name, what);
}

_Static_assert(sizeof(uid_t) == sizeof(unsigned) && sizeof(gid_t) == sizeof(unsigned),
	       "uid_t, gid_t");

/* --owner, --group: the id into the uid_t or gid_t field of the row, and
 * true into the bool at offset param (has_owner, has_group). */
static int parse_owner_group(struct tool *t, const struct tool_opt *o, const char *arg,
			     void *dst)
{
	bool group = o->off == offsetof(struct iface_spec, group);
	int r = parse_id(t, o, arg, group, tool_opt_field(o, dst));

	if (r)
		return r;
	*(bool *)((char *)dst + o->param) = true;
	return 0;
}

static int parse_pf(struct tool *t, const struct tool_opt *o, const char *arg, void *dst)
{
	(void)o;
	return tool_parse_pf(t, arg, "--pf", ((struct iface_spec *)dst)->pf);
}

/*
 * A number in a range, into the unsigned (or int) field of the row; when
 * the rule says, its bool has_ field is set too.
 */
struct number_rule {
	const char *what;  /* "MTU": "invalid MTU '9' for --mtu: ..." */
	unsigned min, max;
	const char *range; /* the reason: "a number from 68 to 65535" */
	bool has;          /* has_off is the offset of the field's has_ bool */
	size_t has_off;
};

static int parse_number(struct tool *t, const struct tool_opt *o, const char *arg, void *dst)
{
	const struct number_rule *n = o->rule;

	if (tool_parse_uint(arg, n->min, n->max, tool_opt_field(o, dst)) < 0)
		return tool_usage(t, "invalid %s '%s' for --%s: %s", n->what, arg, o->name,
				  n->range);
	if (n->has)
		*(bool *)((char *)dst + n->has_off) = true;
	return 0;
}

/* A name of a library enum, into the int-sized field of the row. */
struct keyword_rule {
	const char *what;    /* "link state" */
	int (*from_string)(const char *s);
	int min;             /* the lowest valid value from_string() returns */
	const char *allowed; /* "auto, enable, disable" */
};

static int parse_keyword(struct tool *t, const struct tool_opt *o, const char *arg, void *dst)
{
	const struct keyword_rule *k = o->rule;
	int r = k->from_string(arg);

	if (r < k->min)
		return tool_usage(t, "invalid %s '%s' for --%s (allowed: %s)", k->what, arg, o->name,
				  k->allowed);
	*(int *)tool_opt_field(o, dst) = r;
	return 0;
}

/* on|off into the enum mvl_tristate field of the row */
static int parse_on_off(struct tool *t, const struct tool_opt *o, const char *arg, void *dst)
{
	if (strcmp(arg, "on") != 0 && strcmp(arg, "off") != 0)
		return tool_usage(t, "invalid value '%s' for --%s (allowed: on, off)", arg, o->name);
	*(enum mvl_tristate *)tool_opt_field(o, dst) = strcmp(arg, "on") == 0 ? MVL_ON : MVL_OFF;
	return 0;
}

static int parse_device(struct tool *t, const struct tool_opt *o, const char *arg, void *dst)
{
	(void)o;
	return tool_parse_pci_addr(t, arg, "--device", ((struct iface_spec *)dst)->device);
}

#define SPEC_FIELD(field) offsetof(struct iface_spec, field)
#define SPEC_TRUE(name, field) TOOL_OPT_TRUE(name, struct iface_spec, field)
/* a number row: @what (from the rule) into @field, and has_@field when @has */
#define SPEC_NUMBER(name, field, ...) \
	{ name, required_argument, parse_number, SPEC_FIELD(field), 0, \
	  &(const struct number_rule){ __VA_ARGS__ } }
#define HAS(field) .has = true, .has_off = SPEC_FIELD(field)
#define SPEC_KEYWORD(name, field, ...) \
	{ name, required_argument, parse_keyword, SPEC_FIELD(field), 0, \
	  &(const struct keyword_rule){ __VA_ARGS__ } }

const struct tool_opt iface_opts[OPT_IFACE_END + 1] = {
	[OPT_MODE] = { "mode", required_argument, parse_mode },
	[OPT_VM] = TOOL_OPT_VM(struct iface_spec, vm),
	[OPT_NAME] = { "name", required_argument, parse_name },
	[OPT_BRIDGE] = { "bridge", required_argument, parse_ifname, SPEC_FIELD(bridge) },
	[OPT_UPLINK] = { "uplink", required_argument, parse_ifname, SPEC_FIELD(uplink) },
	[OPT_FORCE_UPLINK] = SPEC_TRUE("force-uplink", force_uplink),
	[OPT_LINK] = { "link", required_argument, parse_ifname, SPEC_FIELD(link) },
	[OPT_MAC] = { "mac", required_argument, parse_mac },
	[OPT_MTU] = SPEC_NUMBER("mtu", mtu, "MTU", 68, 65535, "a number from 68 to 65535"),
	[OPT_QUEUES] = SPEC_NUMBER("queues", queues, "queue count", 1, MAX_QUEUES,
				   "a number from 1 to " STR(MAX_QUEUES)),
	[OPT_OWNER] = { "owner", required_argument, parse_owner_group, SPEC_FIELD(owner),
			 SPEC_FIELD(has_owner) },
	[OPT_GROUP] = { "group", required_argument, parse_owner_group, SPEC_FIELD(group),
			 SPEC_FIELD(has_group) },
	[OPT_NO_VNET_HDR] = SPEC_TRUE("no-vnet-hdr", no_vnet_hdr),
	[OPT_MACVTAP_MODE] = SPEC_KEYWORD("macvtap-mode", macvtap_mode, "macvtap mode",
					  mvl_macvtap_mode_from_string, 0,
					  "bridge, vepa, private, passthru, source"),
	[OPT_SOURCE_MAC] = { "source-mac", required_argument, parse_source_mac },
	[OPT_LINK_UP] = SPEC_TRUE("link-up", link_up),
	[OPT_IPVLAN_MODE] = SPEC_KEYWORD("ipvlan-mode", ipvlan_mode, "ipvlan mode",
					 mvl_ipvlan_mode_from_string, 0, "l2, l3, l3s"),
	[OPT_IPVLAN_FLAG] = SPEC_KEYWORD("ipvlan-flag", ipvlan_flag, "ipvlan flag",
					 mvl_ipvlan_flag_from_string, 0, "bridge, private, vepa"),
	[OPT_IP] = { "ip", required_argument, parse_ip },
	[OPT_PF] = { "pf", required_argument, parse_pf },
	[OPT_VF] = SPEC_NUMBER("vf", vf, "VF index", 0, MAX_VF,
			       "a number from 0 to " STR(MAX_VF) " (VFs count from 0)"),
	[OPT_VLAN] = SPEC_NUMBER("vlan", vlan, "VLAN id", 0, 4094,
				 "a number from 0 to 4094 (0 clears the VLAN; 4095 is reserved)",
				 HAS(has_vlan)),
	[OPT_QOS] = SPEC_NUMBER("qos", qos, "QoS", 0, 7, "a priority from 0 to 7", HAS(has_qos)),
	[OPT_VLAN_PROTO] = SPEC_KEYWORD("vlan-proto", vlan_proto, "VLAN protocol",
					mvl_vlan_proto_from_string, 1, "802.1Q, 802.1ad"),
	[OPT_SPOOFCHK] = { "spoofchk", required_argument, parse_on_off, SPEC_FIELD(spoofchk) },
	[OPT_TRUST] = { "trust", required_argument, parse_on_off, SPEC_FIELD(trust) },
	[OPT_QUERY_RSS] = { "query-rss", required_argument, parse_on_off, SPEC_FIELD(query_rss) },
	[OPT_LINK_STATE] = SPEC_KEYWORD("link-state", link_state, "link state",
					mvl_vf_link_state_from_string, 1, "auto, enable, disable"),
	[OPT_MIN_RATE] = SPEC_NUMBER("min-rate", min_rate, "rate", 0, MAX_RATE,
				     "Mbit/s, a number from 0 (no minimum) to " MAX_RATE_TEXT,
				     HAS(has_min_rate)),
	[OPT_MAX_RATE] = SPEC_NUMBER("max-rate", max_rate, "rate", 0, MAX_RATE,
				     "Mbit/s, a number from 0 (no limit) to " MAX_RATE_TEXT,
				     HAS(has_max_rate)),
	[OPT_NO_VFIO] = SPEC_TRUE("no-vfio", no_vfio),
	[OPT_FORCE] = SPEC_TRUE("force", force),
	[OPT_DEVICE] = { "device", required_argument, parse_device },
	[OPT_IFACE_END] = {},
};

/* ---------------------------------------------------------------- specs */

void iface_spec_seen(void *spec, size_t row)
{
	struct iface_spec *s = spec;

	s->n_opts++;
	s->seen |= BIT(row);
}

void iface_spec_init(struct iface_spec *s)
{
	*s = (struct iface_spec){ .mode = MVL_MODE_NONE, .macvtap_mode = -1, .ipvlan_mode = -1,
				  .ipvlan_flag = -1, .vf = -1 };
}

void iface_spec_clear(struct iface_spec *s)
{
	free(s->source_macs);
	free(s->addrs);
	iface_spec_init(s);
}

unsigned iface_spec_queues(const struct iface_spec *s)
{
	return s->queues ? s->queues : 1;
}

bool iface_spec_guest_mac_known(const struct iface_spec *s)
{
	const struct create_mode *m = find_mode(s->mode);

	return m && (m->guest_mac == GUEST_MAC_IFACE ||
		     (m->guest_mac == GUEST_MAC_OPTION && s->has_mac));
}

const uint8_t *iface_spec_guest_mac(const struct iface_spec *s, struct mvl_iface *iface)
{
	switch (find_mode(s->mode)->guest_mac) {
	case GUEST_MAC_OPTION:
		return s->has_mac ? s->mac : NULL;
	case GUEST_MAC_IFACE:
		return mvl_iface_get_mac(iface);
	default:
		return NULL;
	}
}

int iface_spec_check(struct tool *t, const struct iface_spec *s, const char *which)
{
	const struct create_mode *m;
	unsigned long long missing, extra;

	if (s->mode == MVL_MODE_NONE)
		return tool_usage(t, "%smissing --mode (allowed: %s)", which,
				  iface_mode_names(false, ", "));
	m = find_mode(s->mode);
	missing = m->required & ~s->seen;
	if (s->vm) /* exec: carried over from the previous interface */
		missing &= ~BIT(OPT_VM);
	if (missing & BIT(OPT_VM))
		return tool_usage(t, "%smissing --vm ID: every interface is tagged with the VM it "
				  "belongs to", which);
	for (int opt = 0; opt < OPT_IFACE_END; opt++)
		if (missing & BIT(opt))
			return tool_usage(t, "%s--mode %s needs --%s", which, m->name,
					  iface_opts[opt].name);
	extra = s->seen & ~m->allowed;
	for (int opt = 0; opt < OPT_IFACE_END; opt++)
		if (extra & BIT(opt))
			return tool_usage(t, "%s--%s does not apply to --mode %s", which,
					  iface_opts[opt].name, m->name);
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
	       "                       with it, so `mvlink delete --vm ID` finds it again\n",
	       iface_mode_names(!all_modes, " or "));
	/* the options of the modes with queue fds, then each mode's own */
	printf("%s:\n"
	       "  --name NAME          interface name (required), or a template such as\n"
	       "                       'vm-%%d' that takes the lowest free number\n"
	       "  --mac MAC            the guest's MAC address (unicast, not all zero), e.g.\n"
	       "                       02:00:00:00:00:01.  tap: the host side gets the same\n"
	       "                       address with fe as the first byte (fa when the\n"
	       "                       guest's is fe); macvtap: the macvtap's own address\n"
	       "                       (random when not given); ipvtap: not given (the\n"
	       "                       lower device's)\n"
	       "  --mtu N              MTU, 68-65535 (default: the bridge's or the link's)\n"
	       "  --queues N           number of queues, 1-%d (more than one: multi-queue)\n"
	       "  --owner USER         user (name or number) allowed to use the tap / owning\n"
	       "                       the macvtap's or ipvtap's device node\n"
	       "  --group GROUP        group (name or number), likewise\n"
	       "  --no-vnet-hdr        do not enable the virtio-net header (IFF_VNET_HDR)\n",
	       iface_mode_names(true, " and "), MAX_QUEUES);
	for (size_t i = 0; i < ARRAY_SIZE(modes); i++)
		if (all_modes || modes[i].fds)
			fputs(modes[i].help, stdout);
}

/* ---------------------------------------------------------------- the command */

static void help(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
		const char *p = modes[i].usage;

		/* the mode's lines, continued under its first */
		printf("%smvlink create ", i ? "       " : "Usage: ");
		while (*p) {
			size_t n = strcspn(p, "\n");

			printf("%.*s\n", (int)n, p);
			p += n;
			if (*p && *++p)
				printf("%21s", "");
		}
	}
	printf("\n"
	       "Create an interface for a VM and print it.  The interface outlives mvlink:\n"
	       "a tap is made persistent (a VMM attaches to it by name, as --owner/--group),\n"
	       "a macvtap's or ipvtap's device node (devnode) is opened by the VMM.  Remove\n"
	       "it with `mvlink delete`.  Running create again with the same options for\n"
	       "the same VM adopts the existing interface (\"adopted\": true); anything else\n"
	       "of that name is an error and stays untouched.  For interfaces that live\n"
	       "exactly as long as the VMM, with their fds handed over, see\n"
	       "`mvlink exec --help`.\n"
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
	       "  mvlink create --mode ipvtap --vm test1 --link wlan0 --name ipvt-test1 \\\n"
	       "                --ip 192.0.2.10 --ip 2001:db8::10\n"
	       "  mvlink create --mode sriov --vm test1 --pf eno1 --mac 02:00:00:00:00:01 \\\n"
	       "                --vlan 10 --spoofchk on --owner microvm\n"
	       "  mvlink create --mode pci --vm test1 --device 0000:03:00.0\n");
}

static int parse(struct tool *t, int argc, char **argv, void *args)
{
	static const struct tool_opt_group groups[] = { IFACE_OPT_GROUP(NULL) };
	struct iface_spec *s = args;
	int r;

	iface_spec_init(s);
	r = tool_parse_opts(t, argc, argv, ":vh", groups, ARRAY_SIZE(groups), s, help);
	if (r != TOOL_RUN)
		return r;
	if (optind < argc)
		return tool_usage(t, "unexpected argument '%s'", argv[optind]);
	r = iface_spec_check(t, s, "");
	return r ? r : TOOL_RUN;
}

static int run(struct tool *t, void *args)
{
	const struct iface_spec *s = args;
	const struct create_mode *m = find_mode(s->mode);
	struct mvl_iface *iface = NULL;
	int r;

	if (!tool_ctx(t))
		return EXIT_FAILED;
	r = iface_spec_create(t, s, IFACE_CREATE_PERSIST, &iface);
	if (r < 0)
		return tool_fail(t, r);
	out_iface(iface, IFACE_CREATE | IFACE_OPEN, iface_spec_guest_mac(s, iface),
		  m->fds ? iface_spec_queues(s) : 0);
	if (m->describe)
		m->describe(t, s, iface);
	out_object_close();
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
		    "create --mode ipvtap --vm ID --link IF --name NAME [--ip ADDR]... [...]\n"
		    "create --mode sriov --vm ID --pf PF [--vf N] [--mac MAC] [--vlan N] [...]\n"
		    "create --mode pci --vm ID --device ADDR [...]",
	.summary = "create an interface for a VM, or give it a VF or PCI device",
	.args_size = sizeof(struct iface_spec),
	.parse = parse,
	.run = run,
	.clear = clear,
};
