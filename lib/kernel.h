/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/kernel.h - layer 2 (kernel): the files that talk to the kernel's
 * network and device interfaces (netlink.c, sysfs.c, pci.c, tundev.c).
 * See lib/base.h.
 */
#ifndef MVLINK_KERNEL_H
#define MVLINK_KERNEL_H

#include "base.h"

/* ---- netlink.c: the only file that talks libnl ----------------------- */
#define MVL_MACVTAP_MAX_SOURCE 64 /* source-mode MACs mvlink sets and reads back */
struct mvl_link_info {
	int ifindex;
	char name[IFNAMSIZ];
	char kind[32];      /* IFLA_INFO_KIND: "bridge", "tun", "macvtap", "veth"... */
	char alias[256];    /* IFLA_IFALIAS */
	unsigned mtu;
	unsigned flags;     /* IFF_* */
	uint8_t mac[6];
	bool has_mac;
	int master;         /* ifindex of the master, 0 for none */
	int link;           /* IFLA_LINK (lower device), 0 for none */
	uint32_t group;
	int macvtap_mode;   /* MVL_MACVTAP_*, -1 when not a macvtap */
	/* macvtap/macvlan source mode: the allowed source MACs (kernel order);
	 * n_source is the kernel's count, of which the first
	 * MVL_MACVTAP_MAX_SOURCE are kept */
	unsigned macvtap_n_source;
	uint8_t macvtap_source[MVL_MACVTAP_MAX_SOURCE][6];
	int ipvlan_mode;    /* ipvlan, ipvtap: MVL_IPVLAN_*, else -1 */
	int ipvlan_flag;    /* ipvlan, ipvtap: MVL_IPVLAN_BRIDGE..., else -1 */
	char slave_kind[32]; /* IFLA_INFO_SLAVE_KIND: "bridge", "bond"... */
	/* kind "tun" (IFLA_TUN_*), valid when is_tun */
	bool is_tun;
	int tun_type;        /* IFF_TUN or IFF_TAP */
	long long tun_owner; /* -1: none */
	long long tun_group; /* -1: none */
	bool tun_pi, tun_vnet_hdr, tun_persist, tun_multi_queue;
	unsigned tun_num_queues;
};

/* Get one link by name (ifindex 0) or by ifindex.  -ENODEV when absent. */
int mvl_nl_link_get(struct mvl_ctx *ctx, const char *name, int ifindex,
		    struct mvl_link_info *ret);
/* Dump all links, calling @cb for each; a non-zero return of @cb stops the
 * dump and is returned.  Retries when the kernel marks a dump interrupted. */
int mvl_nl_link_dump(struct mvl_ctx *ctx,
		     int (*cb)(struct mvl_ctx *ctx, const struct mvl_link_info *li, void *data),
		     void *data);

/* A change of an existing link: only the fields that are set are sent. */
struct mvl_link_change {
	const uint8_t *mac;  /* NULL: unchanged */
	unsigned mtu;        /* 0: unchanged */
	const char *alias;   /* NULL: unchanged; "" clears */
	int master;          /* -1: unchanged; 0: no master; >0: ifindex */
	int up;              /* -1: unchanged; 0 down; 1 up */
};
#define MVL_LINK_CHANGE_INIT { .mac = NULL, .mtu = 0, .alias = NULL, .master = -1, .up = -1 }
int mvl_nl_link_change(struct mvl_ctx *ctx, int ifindex, const struct mvl_link_change *chg);

/* Creation of a new link with NLM_F_CREATE|NLM_F_EXCL. */
struct mvl_link_new {
	const char *name;
	const char *kind;     /* "bridge", "macvtap", "ipvtap" */
	int ifindex;          /* 0: the kernel's choice; taken: -EEXIST */
	int link;             /* lower device ifindex (macvtap) */
	const uint8_t *mac;
	unsigned mtu;
	const char *alias;
	int up;               /* 1: IFF_UP */
	int macvtap_mode;     /* MVL_MACVTAP_* */
	const uint8_t (*source_macs)[6];
	unsigned n_source_macs;
	int ipvlan_mode;      /* MVL_IPVLAN_* (ipvlan, ipvtap) */
	int ipvlan_flag;      /* MVL_IPVLAN_BRIDGE... */
};
int mvl_nl_link_new(struct mvl_ctx *ctx, const struct mvl_link_new *spec, int *ret_ifindex);
int mvl_nl_link_del(struct mvl_ctx *ctx, int ifindex);
/* Dump the links of one kind ("tun", "macvtap"; NULL: all), filtered by the
 * kernel (IFLA_LINKINFO), so that the cost does not grow with links of
 * other kinds.  Like mvl_nl_link_dump(), but when an interrupted dump is
 * retried, @restart (if not NULL) is called first: forget what @cb saw. */
int mvl_nl_link_dump_kind(struct mvl_ctx *ctx, const char *kind,
			  int (*cb)(struct mvl_ctx *ctx, const struct mvl_link_info *li, void *data),
			  void (*restart)(void *data), void *data);
/* RTM_SETLINK of IFLA_GROUP only. */
int mvl_nl_link_set_group(struct mvl_ctx *ctx, int ifindex, uint32_t group);
/* RTM_DELLINK of every link of link group @group (not 0) in one request:
 * the kernel unregisters them together and waits for one RCU grace period
 * instead of one per link.  -ENODEV when no link has the group. */
int mvl_nl_link_del_group(struct mvl_ctx *ctx, uint32_t group);

/* Number of IPv4/IPv6 addresses on @ifindex, and the first one as text. */
int mvl_nl_addr_count(struct mvl_ctx *ctx, int ifindex, char *first, size_t len);
/* Add @a to @ifindex as a /32 or /128 of scope host (IPv4), with
 * IFA_F_NOPREFIXROUTE (and IFA_F_NODAD for IPv6); one mvl_step().  The
 * kernel's errno. */
int mvl_nl_addr_add(struct mvl_ctx *ctx, int ifindex, const struct mvl_ip_addr *a);
/* The IPv4/IPv6 addresses of @ifindex but IPv6 link-local ones, the first
 * @max into @ret (prefixlen as the kernel has it): their number, or the
 * kernel's -errno. */
int mvl_nl_addr_list(struct mvl_ctx *ctx, int ifindex, struct mvl_ip_addr *ret, size_t max);
/* Whether @ifindex is the output device of a default route (1/0/-errno). */
int mvl_nl_has_default_route(struct mvl_ctx *ctx, int ifindex);

/* The extended-ack text of the last failed request ("" when none). */
const char *mvl_nl_extack(struct mvl_ctx *ctx);
/*
 * mvl_fail_kernel - mvl_fail() for an error the kernel returned: appends
 * the human wording of @err (see mvl_link_errno_hint()) and strerror, and
 * always the kernel's extended-ack text when there is one ("(kernel: ...)").
 */
int mvl_fail_kernel(struct mvl_ctx *ctx, int err, const char *format, ...) _printf_(3, 4);
/* The same with the extended-ack text @extack saved before other requests
 * (which clear mvl_nl_extack()) were made. */
int mvl_fail_kernel_extack(struct mvl_ctx *ctx, int err, const char *extack, const char *format,
			   ...) _printf_(4, 5);

/* SR-IOV VF attributes, set and read through the PF (IFLA_VFINFO_LIST).
 * One bit per attribute: the unit of a request, a journal and a restore. */
enum {
	MVL_VF_A_MAC = 1u << 0,
	MVL_VF_A_VLAN = 1u << 1,       /* vlan, qos and protocol together */
	MVL_VF_A_SPOOFCHK = 1u << 2,
	MVL_VF_A_TRUST = 1u << 3,
	MVL_VF_A_LINK_STATE = 1u << 4,
	MVL_VF_A_RATE = 1u << 5,       /* min and max together */
	MVL_VF_A_QUERY_RSS = 1u << 6,  /* IFLA_VF_RSS_QUERY_EN */
	MVL_VF_A_ALL = (1u << 7) - 1,
};
struct mvl_vf_state {
	int vf;
	unsigned have;          /* MVL_VF_A_* the kernel reported */
	uint8_t mac[6];
	unsigned vlan, qos;
	uint16_t vlan_proto;    /* ETH_P_8021Q or ETH_P_8021AD, host order */
	int spoofchk, trust;    /* 0/1, or -1 when the driver does not say */
	int query_rss;          /* 0/1, or -1 when the driver does not say */
	int link_state;         /* IFLA_VF_LINK_STATE_AUTO/ENABLE/DISABLE */
	unsigned min_tx_rate, max_tx_rate; /* Mbps */
};
/* "mac", "vlan", "spoofchk", "trust", "link-state", "rate", "query-rss"
 * for one bit, "?" for none. */
const char *mvl_vf_attr_name(unsigned attr);
/* Pure: the RTM_SETLINK request that sets attribute @attr (one MVL_VF_A_*
 * bit) of VF @val->vf of PF @pf_ifindex to @val, copied into @buf.
 * Returns its length, -ENOBUFS when @len is too small, -EINVAL. */
int mvl_nl_vf_build(int pf_ifindex, unsigned attr, const struct mvl_vf_state *val, void *buf,
		    size_t len);
/* Pure: the VFs of an RTM_NEWLINK message (malloc'd array in @ret, count
 * in @ret_n; none is success).  -EBADMSG for a malformed message. */
int mvl_nl_vf_parse(const void *msg, size_t len, struct mvl_vf_state **ret, size_t *ret_n);
/* Every VF of PF @pf_ifindex (RTM_GETLINK with RTEXT_FILTER_VF). */
int mvl_nl_vf_get_all(struct mvl_ctx *ctx, int pf_ifindex, struct mvl_vf_state **ret,
		      size_t *ret_n);
/* VF @vf of PF @pf_ifindex; -ENODEV when the PF does not report it. */
int mvl_nl_vf_get(struct mvl_ctx *ctx, int pf_ifindex, int vf, struct mvl_vf_state *ret);
/* Set one attribute (mvl_step() first).  The kernel's errno. */
int mvl_nl_vf_set(struct mvl_ctx *ctx, int pf_ifindex, unsigned attr,
		  const struct mvl_vf_state *val);
/* mvl_nl_has_default_route(), through the test hooks (testhooks.h). */
int mvl_nl_dev_has_default_route(struct mvl_ctx *ctx, int ifindex);

/* ---- sysfs.c ---------------------------------------------------------- */
/* Path below the context's sysfs root: mvl_sysfs_path(ctx, buf, "class/net/%s/mtu", n) */
int mvl_sysfs_path(struct mvl_ctx *ctx, char *buf, size_t len, const char *fmt, ...)
	_printf_(4, 5);
int mvl_sysfs_read(struct mvl_ctx *ctx, char *buf, size_t len, const char *fmt, ...)
	_printf_(4, 5);
/* A kernel-changing sysfs write: goes through mvl_step() and the write hook. */
int mvl_sysfs_write(struct mvl_ctx *ctx, const char *value, const char *fmt, ...)
	_printf_(3, 4);
/* A number (decimal or 0x hex) from a sysfs file: -EBADMSG when it is none. */
int mvl_sysfs_read_ulong(struct mvl_ctx *ctx, unsigned long *ret, const char *fmt, ...)
	_printf_(3, 4);
/* Whether sysfs (which must be mounted: class/net) has no class/@cls. */
bool mvl_sysfs_class_absent(struct mvl_ctx *ctx, const char *cls);

/* ---- pci.c: PCI devices (the only file that talks libpci) ------------ */
/* Identity through libpci; strings are "" when unknown. */
struct mvl_pci_info {
	unsigned vendor_id, device_id, class_id; /* class_id: 0x0200 = Ethernet */
	char vendor_name[128];
	char device_name[128];
	char driver[64];
	int iommu_group;  /* -1: none */
	int numa_node;    /* -1: none */
};
struct mvl_pci;
/* A libpci session on ctx->sysfs_root; its errors never end the process. */
int mvl_pci_open(struct mvl_ctx *ctx, struct mvl_pci **ret);
void mvl_pci_close(struct mvl_pci *pci);
/* Identify @addr (with names from the ID database when @names). */
int mvl_pci_identify(struct mvl_ctx *ctx, struct mvl_pci *pci, const char *addr, bool names,
		     struct mvl_pci_info *ret);

/* Exact, uncached facts from sysfs about device @addr (normalised). */
bool mvl_pci_exists(struct mvl_ctx *ctx, const char *addr);
/* The bound driver into @buf ("" when unbound).  0 or -errno. */
int mvl_pci_driver(struct mvl_ctx *ctx, const char *addr, char *buf, size_t len);
/* driver_override into @buf ("" for none). */
int mvl_pci_driver_override(struct mvl_ctx *ctx, const char *addr, char *buf, size_t len);
/* IOMMU group number, or -ENOENT when the device has none. */
int mvl_pci_iommu_group(struct mvl_ctx *ctx, const char *addr);
/* A numeric attribute ("sriov_numvfs", "class" in hex...). */
int mvl_pci_read_ulong(struct mvl_ctx *ctx, const char *addr, const char *attr,
		       unsigned long *ret);
/* The device a symlink of @addr points to ("virtfn3", "physfn"). */
int mvl_pci_link_addr(struct mvl_ctx *ctx, const char *addr, const char *link,
		      char ret[MVL_PCI_ADDR_LEN]);
/* Call @cb for each netdev of @addr (its net/ directory); stops at a
 * non-zero return, which is returned.  No net/ directory: 0. */
int mvl_pci_foreach_netdev(struct mvl_ctx *ctx, const char *addr,
			   int (*cb)(struct mvl_ctx *ctx, const char *ifname, void *data),
			   void *data);
/* Call @cb for each device of IOMMU group @group. */
int mvl_pci_foreach_group_dev(struct mvl_ctx *ctx, int group,
			      int (*cb)(struct mvl_ctx *ctx, const char *addr, void *data),
			      void *data);
/* Whether a driver is registered (bus/pci/drivers/<name>). */
bool mvl_pci_driver_exists(struct mvl_ctx *ctx, const char *driver);
/* The PCI device of netdev @ifname: -ENODEV no such netdev, -ENOTTY not PCI. */
int mvl_netdev_pci_addr(struct mvl_ctx *ctx, const char *ifname, char ret[MVL_PCI_ADDR_LEN]);
/* ifindex and IFF_* flags of netdev @ifname from sysfs. */
int mvl_netdev_info(struct mvl_ctx *ctx, const char *ifname, int *ret_ifindex,
		    unsigned *ret_flags);
/* A kernel driver name as sysfs shows it: 1-63 of [A-Za-z0-9_.-], not . or .. */
bool mvl_driver_name_valid(const char *name);
/* The last component of symlink @fmt... into @buf: -ENOENT when absent. */
int mvl_sysfs_link_base(struct mvl_ctx *ctx, char *buf, size_t len, const char *fmt, ...)
	_printf_(4, 5);

/* The name of a device given to a VM: a normalised PCI address, or
 * "<pf>:vf<N>" for a VF that has no PCI function (mvl_vf_name_parse()). */
#define MVL_DEV_NAME_LEN MVL_VF_NAME_LEN
bool mvl_dev_name_valid(const char *name);

/* ---- tundev.c: tun fds and the char devices of tap-like links --------- */
/* Open /dev/net/tun and attach to (or create, with @ifindex unless 0) tap
 * @name with @flags (IFF_*).  Returns the fd (O_CLOEXEC) or a negative
 * errno (-EBUSY: the name or the ifindex is taken). */
int mvl_tun_open(struct mvl_ctx *ctx, const char *name, int flags, int ifindex);
/* One ioctl on a tun fd, after mvl_step(ctx, @what); 0 or -errno. */
int mvl_tun_ioctl(struct mvl_ctx *ctx, int fd, unsigned long req, unsigned long arg,
		  const char *what);
/* Close the fds of @fds that are open (set to -1). */
void mvl_fds_close(int *fds, unsigned n);
/* The char device of a macvtap-like link (class @cls: "macvtap",
 * "ipvtap"). */
struct mvl_tapdev_node {
	const char *cls;
	char path[PATH_MAX]; /* <dev root>/tap<ifindex> */
	dev_t rdev;          /* what sysfs says the link's char device is */
	bool usable;         /* path is that char device */
	bool missing;        /* path does not exist */
	char why[128];       /* when not usable: why not */
};
/* Find the char device of link @name (@ifindex) through sysfs, which must
 * show this network namespace; 0 or -errno with a message. */
int mvl_tapdev_find(struct mvl_ctx *ctx, const char *cls, const char *name, int ifindex,
		    struct mvl_tapdev_node *n);
/* Open @node @count times into @fds, through a private node (made with
 * mknod in <state dir>/dev or <dev root>/.mvlink, unlinked at once) when
 * the node is missing or another device, then TUNSETIFF @tun_flags on each;
 * on failure none is open (-errno with a message). */
int mvl_tapdev_open_queues(struct mvl_ctx *ctx, const struct mvl_tapdev_node *node,
			   const char *name, int ifindex, unsigned count, int tun_flags, int *fds);
/* A node's owner and mode before mvl_tapdev_give() changed them. */
struct mvl_tapdev_owner {
	bool changed;
	char node[PATH_MAX];
	dev_t rdev;
	uid_t uid;
	gid_t gid;
	mode_t mode;
};
/* chown (and for a group chmod g+rw) @node, for VMMs that open it by path;
 * (uid_t)-1 / (gid_t)-1: unchanged.  What it was goes into @was. */
int mvl_tapdev_give(struct mvl_ctx *ctx, const struct mvl_tapdev_node *node, const char *name,
		    uid_t uid, gid_t gid, struct mvl_tapdev_owner *was);
/* Undo mvl_tapdev_give() (if the node is still that device); a failure is
 * an undo failure. */
void mvl_tapdev_give_back(struct mvl_ctx *ctx, const struct mvl_tapdev_owner *was);
/* Remove private nodes left by killed processes; the number. */
int mvl_private_nodes_clean(struct mvl_ctx *ctx, bool dry_run);

#endif
