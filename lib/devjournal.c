// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * devjournal.c - the journals of the devices given to VMs:
 *
 *   <state_dir>/vf/<addr>.json      an SR-IOV VF given to a VM
 *   <state_dir>/pci/<addr>.json     a whole PCI device given to a VM
 *
 * A journal holds the original state of what an attach changes and is
 * written before the first change, atomically (statedir.c).  Decoding
 * validates every field, so a truncated or edited file gives a clear
 * error and never a wrong restore.  The JSON is journal.c's codec: this
 * file holds the table of field descriptors, the checks no table can say
 * and the files.
 */
#include <linux/if_ether.h>
#include <linux/if_link.h>

#include "store.h"

#define JOURNAL_VERSION 1
#define J(k, m, t, ...) MVL_JF(struct mvl_journal, k, m, t, __VA_ARGS__)

static const struct mvl_jname jmode_names[] = {
	{ "sriov", MVL_MODE_SRIOV },
	{ "pci", MVL_MODE_PCI },
	{ NULL, 0 },
};

static const struct mvl_jname jstate_names[] = {
	{ "attaching", MVL_J_ATTACHING },
	{ "attached", MVL_J_ATTACHED },
	{ "releasing", MVL_J_RELEASING },
	{ NULL, 0 },
};

/* ---- the VF attributes' original values ("sriov.orig") ----------------
 * One row per MVL_VF_A_* attribute, at the index of its bit, listing its
 * JSON keys: the row is there when the attribute's bit is in .have (and
 * the row's first key in the text).  The order of the rows is the order
 * of the keys in the text. */
#define VF_A_INDEX(bit) __builtin_ctz(bit)
#define VF_ORIG(bit, ...)                                                      \
	[VF_A_INDEX(bit)] = { .key = "" /* (a group has none) */,              \
			      .type = MVL_JT_GROUP,                            \
			      .cond = MVL_JC_BIT,                              \
			      .cond_off = offsetof(struct mvl_vf_state, have), \
			      .cond_val = bit,                                 \
			      .sub = (const struct mvl_jfield[]){ __VA_ARGS__, MVL_JEND } }
#define VF(k, m, t, ...) MVL_JF(struct mvl_vf_state, k, m, t, __VA_ARGS__)

/* IFLA_VF_LINK_STATE_* as the journal names them */
static const struct mvl_jname vf_link_state_json[] = {
	{ "auto", IFLA_VF_LINK_STATE_AUTO },
	{ "enable", IFLA_VF_LINK_STATE_ENABLE },
	{ "disable", IFLA_VF_LINK_STATE_DISABLE },
	{ NULL, 0 },
};

/* ETH_P_* as the journal names them (anything else is written 802.1Q) */
static const struct mvl_jname vf_vlan_proto_json[] = {
	{ "802.1Q", ETH_P_8021Q },
	{ "802.1ad", ETH_P_8021AD },
	{ NULL, 0 },
};

static const struct mvl_jfield vf_orig_fields[] = {
	VF_ORIG(MVL_VF_A_MAC, VF("mac", mac, MVL_JT_MAC)),
	VF_ORIG(MVL_VF_A_VLAN, VF("vlan", vlan, MVL_JT_UINT, MVL_JRANGE(0, 4095)),
		VF("qos", qos, MVL_JT_UINT, MVL_JRANGE(0, 7)),
		VF("vlan_proto", vlan_proto, MVL_JT_ENUM, .names = vf_vlan_proto_json, .len = 32)),
	VF_ORIG(MVL_VF_A_SPOOFCHK, VF("spoofchk", spoofchk, MVL_JT_TRI)),
	VF_ORIG(MVL_VF_A_TRUST, VF("trust", trust, MVL_JT_TRI)),
	VF_ORIG(MVL_VF_A_LINK_STATE,
		VF("link_state", link_state, MVL_JT_ENUM, .names = vf_link_state_json, .len = 32)),
	VF_ORIG(MVL_VF_A_RATE,
		VF("min_tx_rate", min_tx_rate, MVL_JT_UINT, MVL_JRANGE(0, UINT32_MAX)),
		VF("max_tx_rate", max_tx_rate, MVL_JT_UINT, MVL_JRANGE(0, UINT32_MAX))),
	VF_ORIG(MVL_VF_A_QUERY_RSS, VF("query_rss", query_rss, MVL_JT_TRI)),
	MVL_JEND,
};
/* ---- end of the VF attributes' rows ---------------------------------- */

MVL_JSTR_CHECK(check_ifname_or_empty, !s[0] || mvl_ifname_check(s) == 0)
MVL_JSTR_CHECK(check_vm_id, mvl_vm_id_check(s) == 0)

/* "device": a normalised PCI address, or (a VF only) "<pf>:vf<N>" */
static const char *check_device(const void *base, const struct mvl_jfield *f, const void *val)
{
	const struct mvl_journal *j = base;

	if (!mvl_dev_name_valid(val) ||
	    (j->mode != MVL_MODE_SRIOV && mvl_dev_lock_kind(val) == MVL_LOCK_VF))
		return "\"device\" is neither a PCI address nor a VF name";
	return NULL;
}

static const char *check_drivers(const void *base, const struct mvl_jfield *f, const void *val)
{
	const struct mvl_journal *j = base;
	const char *override = val;

	if ((j->driver[0] && !mvl_driver_name_valid(j->driver)) ||
	    (override[0] && !mvl_driver_name_valid(override)))
		return "\"driver\" or \"driver_override\" is not a driver name";
	return NULL;
}

static const char *check_devnode(const void *base, const struct mvl_jfield *f, const void *val)
{
	const struct mvl_journal *j = base;

	return j->iommu_group < 0 ? "\"devnode\" without an IOMMU group" : NULL;
}

/* The VF named "<pf>:vf<N>" (no PCI function) of @j, or false. */
static bool netdev_vf(const struct mvl_journal *j, char pf[IFNAMSIZ], unsigned *vf)
{
	return mvl_vf_name_parse(j->addr, pf, vf) == 0;
}

static const char *check_pf(const void *base, const struct mvl_jfield *f, const void *val)
{
	char addr[MVL_PCI_ADDR_LEN], pf[IFNAMSIZ];
	const char *s = val;
	unsigned vf;

	if (netdev_vf(base, pf, &vf))
		return s[0] ? "\"pf\" of a VF without PCI function is not empty" : NULL;
	if (mvl_pci_addr_parse(s, addr) < 0 || strcmp(s, addr) != 0)
		return "\"pf\" is not a PCI address";
	return NULL;
}

/* such a VF is its PF's settings only: named after both, never vfio */
static const char *check_vf(const void *base, const struct mvl_jfield *f, const void *val)
{
	const struct mvl_journal *j = base;
	char pf[IFNAMSIZ];
	unsigned vf;

	if (!netdev_vf(j, pf, &vf))
		return NULL;
	if (strcmp(pf, j->pf_ifname) != 0 || vf != (unsigned)j->vf)
		return "the VF name does not match \"pf_ifname\" and \"vf\"";
	if (j->vfio || j->has_devnode)
		return "a VF without PCI function cannot be on vfio-pci";
	return NULL;
}

static const struct mvl_jfield journal_fields[] = {
	J("mode", mode, MVL_JT_ENUM, .names = jmode_names),
	J("state", state, MVL_JT_ENUM, .names = jstate_names),
	J("device", addr, MVL_JT_STR, .len = 80, .check = check_device),
	J("vm", vm_id, MVL_JT_STR, MVL_JCHECK(check_vm_id, "\"vm\" is not a VM id")),
	MVL_JOBJ("owner", ((const struct mvl_jfield[]){ MVL_JOWNER(struct mvl_journal) })),
	J("vfio", vfio, MVL_JT_BOOL),
	J("iommu_group", iommu_group, MVL_JT_INT, MVL_JRANGE(-1, INT_MAX)),
	MVL_JOBJ("orig",
		 ((const struct mvl_jfield[]){
			 J("driver", driver, MVL_JT_STR),
			 J("driver_override", driver_override, MVL_JT_STR, .check = check_drivers),
			 MVL_JOBJ("devnode",
				  ((const struct mvl_jfield[]){ J("uid", dev_uid, MVL_JT_INT,
								  MVL_JRANGE(0, UINT32_MAX - 1)),
								J("gid", dev_gid, MVL_JT_INT,
								  MVL_JRANGE(0, UINT32_MAX - 1)),
								MVL_JEND }),
				  MVL_JIF_BOOL(struct mvl_journal, has_devnode),
				  .check = check_devnode),
			 MVL_JEND })),
	MVL_JOBJ(
		"sriov",
		((const struct mvl_jfield[]){
			J("pf", pf_addr, MVL_JT_STR, .len = 32, .check = check_pf),
			J("pf_ifname", pf_ifname, MVL_JT_STR,
			  MVL_JCHECK(check_ifname_or_empty,
				     "\"pf_ifname\" is not an interface name")),
			J("vf", vf, MVL_JT_INT, MVL_JRANGE(0, MVL_VF_INDEX_MAX), .check = check_vf),
			J("changes", vf_changes, MVL_JT_BITS, .bits = MVL_VF_A_ALL,
			  .bit_name = mvl_vf_attr_name),
			MVL_JOBJ("orig", vf_orig_fields, .name = "sriov.orig",
				 .off = offsetof(struct mvl_journal, vf_orig)),
			MVL_JEND }),
		MVL_JIF_IS(struct mvl_journal, mode, MVL_MODE_SRIOV)),
	MVL_JEND,
};

static bool journal_encodable(const void *p)
{
	const struct mvl_journal *j = p;

	return (j->mode == MVL_MODE_SRIOV || j->mode == MVL_MODE_PCI) &&
	       j->state >= MVL_J_ATTACHING && j->state <= MVL_J_RELEASING &&
	       !(j->vf_orig.have & MVL_VF_A_LINK_STATE && (unsigned)j->vf_orig.link_state > 2);
}

static int journal_finish(struct mvl_jdec *d, void *p)
{
	struct mvl_journal *j = p;
	struct mvl_vf_state *s = &j->vf_orig;

	if (j->mode != MVL_MODE_SRIOV)
		return 0;
	s->vf = j->vf;
	/* a change whose original value is unknown could not be undone */
	if (j->vf_changes & ~s->have & ~(unsigned)MVL_VF_A_MAC)
		return mvl_jdec_bad(d, "\"changes\" names an attribute without its original value");
	if ((j->vf_changes & MVL_VF_A_MAC) && !(s->have & MVL_VF_A_MAC))
		return mvl_jdec_bad(d, "\"changes\" names the MAC without its original value");
	return 0;
}

static const struct mvl_jformat journal_format = {
	.format = "mvlink-journal",
	.what = "an mvlink journal",
	.version = JOURNAL_VERSION,
	.fields = journal_fields,
	.encodable = journal_encodable,
	.finish = journal_finish,
};

int mvl_journal_encode(const struct mvl_journal *j, char **ret_text)
{
	return mvl_jcodec_encode(&journal_format, j, ret_text);
}

int mvl_journal_decode(const char *text, size_t len, struct mvl_journal *ret, char *why,
		       size_t whylen)
{
	struct mvl_journal j = { .iommu_group = -1, .vf = -1 };
	int r = mvl_jcodec_decode(&journal_format, text, len, &j, why, whylen);

	if (r < 0)
		return r;
	*ret = j;
	return 0;
}

bool mvl_journal_owner_alive(const struct mvl_journal *j)
{
	return mvl_owner_alive(j->pid, j->pid_start, j->boot_id);
}

/* ------------------------------------------------------------ the files */

static const char *mode_dir(enum mvl_mode mode)
{
	return mode == MVL_MODE_SRIOV ? "vf" : "pci";
}

int mvl_journal_path(struct mvl_ctx *ctx, enum mvl_mode mode, const char *addr, char *buf,
		     size_t len)
{
	int n = snprintf(buf, len, "%s/%s/%s.json", mvl_ctx_get_state_dir(ctx), mode_dir(mode),
			 addr);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int mvl_journal_write(struct mvl_ctx *ctx, struct mvl_journal *j)
{
	_cleanup_free_ char *text = NULL;
	char name[64];
	int r;

	mvl_owner_stamp_ctx(ctx, &j->pid, &j->pid_start, j->boot_id);
	r = mvl_journal_encode(j, &text);
	if (r < 0)
		return mvl_fail(ctx, r, "cannot encode the journal of %s", j->addr);
	snprintf(name, sizeof(name), "%s.json", j->addr);
	return mvl_statedir_write(ctx, mode_dir(j->mode), name, "journal", text);
}

static int read_one(struct mvl_ctx *ctx, const char *path, struct mvl_journal *ret)
{
	_cleanup_free_ char *buf = NULL;
	char why[256] = "";
	size_t len = 0;
	int r;

	r = mvl_statedir_read(path, MVL_JOURNAL_MAX_SIZE, &buf, &len, why, sizeof(why));
	if (r == 0)
		r = mvl_journal_decode(buf, len, ret, why, sizeof(why));
	if (r != -EBADMSG)
		return r;
	return mvl_fail(ctx, -EBADMSG,
			"journal %s is corrupt: %s; nothing was done.  Check the device by hand "
			"(driver, VF settings), then remove the file",
			path, why);
}

static const enum mvl_mode journal_modes[] = { MVL_MODE_SRIOV, MVL_MODE_PCI };

int mvl_journal_read(struct mvl_ctx *ctx, const char *addr, struct mvl_journal *ret)
{
	struct mvl_journal j;
	char path[PATH_MAX], found[PATH_MAX] = "";
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(journal_modes); i++) {
		r = mvl_journal_path(ctx, journal_modes[i], addr, path, sizeof(path));
		if (r < 0)
			return r;
		r = read_one(ctx, path, &j);
		if (r == -ENOENT)
			continue;
		if (r < 0)
			return r == -EBADMSG ? r :
					       mvl_fail(ctx, r, "cannot read journal %s: %s", path,
							MVL_STRERROR(r));
		if (found[0])
			return mvl_fail(
				ctx, -EBADMSG,
				"%s has two journals, %s and %s; remove the wrong one by hand",
				addr, found, path);
		if (j.mode != journal_modes[i] || strcmp(j.addr, addr) != 0)
			return mvl_fail(
				ctx, -EBADMSG,
				"journal %s describes %s device %s; it does not belong there", path,
				mvl_mode_to_string(j.mode), j.addr);
		snprintf(found, sizeof(found), "%s", path);
		*ret = j;
	}
	return found[0] ? 0 : -ENOENT;
}

int mvl_journal_remove(struct mvl_ctx *ctx, const struct mvl_journal *j)
{
	char path[PATH_MAX];
	int r;

	r = mvl_journal_path(ctx, j->mode, j->addr, path, sizeof(path));
	if (r < 0)
		return r;
	return mvl_statedir_unlink(ctx, path, "journal");
}

/* "<device>.json" into @name: false when it is not such a name */
static bool journal_file_dev(const char *file, char name[64])
{
	size_t n = strlen(file);

	if (n <= 5 || n - 5 >= 64 || strcmp(file + n - 5, ".json"))
		return false;
	memcpy(name, file, n - 5);
	name[n - 5] = '\0';
	return mvl_dev_name_valid(name);
}

static bool journal_file_valid(const char *file)
{
	char name[64];

	return journal_file_dev(file, name);
}

struct journal_foreach {
	int (*cb)(struct mvl_ctx *ctx, const char *addr, void *data);
	void *data;
};

static int journal_foreach_one(struct mvl_ctx *ctx, const char *file, void *data)
{
	struct journal_foreach *f = data;
	char name[64];

	journal_file_dev(file, name);
	return f->cb(ctx, name, f->data);
}

int mvl_journal_foreach(struct mvl_ctx *ctx,
			int (*cb)(struct mvl_ctx *ctx, const char *addr, void *data), void *data)
{
	struct journal_foreach f = { .cb = cb, .data = data };
	char dir[PATH_MAX];
	int r = 0;

	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(journal_modes); i++) {
		snprintf(dir, sizeof(dir), "%s/%s", mvl_ctx_get_state_dir(ctx),
			 mode_dir(journal_modes[i]));
		r = mvl_statedir_foreach(ctx, dir, journal_file_valid, journal_foreach_one, &f);
	}
	return r;
}
