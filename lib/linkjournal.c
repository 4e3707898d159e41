// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * linkjournal.c - the intent journals of link creates:
 *
 *   <state_dir>/links/<op>-<16 hex>.json
 *                                   the intent journal of a tap, bridge,
 *                                   macvtap or ipvtap create at work (or
 *                                   crashed)
 *
 * A journal holds the original state of what a create changes and is
 * written before the first change, atomically (statedir.c).  Decoding
 * validates every field, so a truncated or edited file gives a clear
 * error and never a wrong restore.  The JSON is journal.c's codec: this
 * file holds the table of field descriptors, the checks no table can say
 * (which parts each op has) and the files.
 */
#include "store.h"

#define LINK_JOURNAL_VERSION 1
#define L(k, m, t, ...) MVL_JF(struct mvl_link_journal, k, m, t, __VA_ARGS__)

static const struct mvl_jname lj_op_names[] = {
	{ "tap", MVL_LJ_TAP },
	{ "bridge", MVL_LJ_BRIDGE },
	{ "macvtap", MVL_LJ_MACVTAP },
	{ "ipvtap", MVL_LJ_IPVTAP },
	{ NULL, 0 },
};

/* The parts the journal of each op has, beside its name above. */
static const struct lj_op_parts {
	const char *link;  /* the IFLA kind of its link (NULL: none; a bridge) */
	bool link_always;  /* the link is always there (a tap); else it may be
			    * adopted, with only its lower or node changed */
	bool on_lower;     /* the link sits on a lower device it names */
} lj_op_parts[] = {
	[MVL_LJ_TAP] = { "tun", true, false },
	[MVL_LJ_BRIDGE] = { NULL, false, false },
	[MVL_LJ_MACVTAP] = { "macvtap", false, true },
	[MVL_LJ_IPVTAP] = { "ipvtap", false, true },
};

const char *mvl_lj_op_name(enum mvl_lj_op op)
{
	for (const struct mvl_jname *n = lj_op_names; n->name; n++)
		if (n->value == (int)op)
			return n->name;
	return NULL;
}

static const struct lj_op_parts *lj_parts(enum mvl_lj_op op)
{
	return (unsigned)op < ARRAY_SIZE(lj_op_parts) && mvl_lj_op_name(op) ? &lj_op_parts[op] :
									   NULL;
}

/* Whether the link of the journal at @base names its lower device. */
static bool lj_on_lower(const void *base)
{
	const struct lj_op_parts *p = lj_parts(((const struct mvl_link_journal *)base)->op);

	return p && p->on_lower;
}

static bool lj_op_valid(const char *s)
{
	for (const struct mvl_jname *n = lj_op_names; n->name; n++)
		if (strcmp(n->name, s) == 0)
			return true;
	return false;
}

MVL_JSTR_CHECK(check_ifname, mvl_ifname_check(s) == 0)

/* IFLA_INFO_KIND as the kernel names kinds: [a-z0-9_-], may be empty. */
static bool kind_valid(const char *kind)
{
	for (const char *p = kind; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' ||
		      *p == '-'))
			return false;
	return true;
}

MVL_JSTR_CHECK(check_kind, kind_valid(s))

static bool lj_dev_valid(const struct mvl_lj_dev *dv)
{
	if (!dv->set)
		return true;
	return dv->ifindex > 0 && kind_valid(dv->kind) && mvl_ifname_check(dv->name) == 0;
}

/* Whether @vm fits @op: a VM id; none only for a bridge. */
static bool lj_vm_valid(enum mvl_lj_op op, const char *vm)
{
	return vm[0] ? mvl_vm_id_check(vm) == 0 : op == MVL_LJ_BRIDGE;
}

/* Whether @name fits @op: an interface name; none for a bridge. */
static bool lj_name_valid(enum mvl_lj_op op, const char *name)
{
	return op == MVL_LJ_BRIDGE ? name[0] == '\0' : mvl_ifname_check(name) == 0;
}

/* What decode() also checks: the parts an operation has, and nothing else. */
static bool lj_consistent(const struct mvl_link_journal *j)
{
	const struct lj_op_parts *parts = lj_parts(j->op);

	if (!parts || !lj_vm_valid(j->op, j->vm_id) || !lj_name_valid(j->op, j->name))
		return false;
	if (j->link.set && strcmp(j->link.name, j->name) != 0)
		return false;
	if (!lj_dev_valid(&j->bridge) || !lj_dev_valid(&j->uplink) || !lj_dev_valid(&j->link) ||
	    !lj_dev_valid(&j->lower))
		return false;
	if ((j->bridge_created || j->bridge_brought_up) && !j->bridge.set)
		return false;
	if (j->bridge.set && strcmp(j->bridge.kind, "bridge") != 0)
		return false;
	if (j->bridge_created && j->bridge_brought_up)
		return false;
	if (j->uplink.set && !j->bridge.set)
		return false;
	if (!parts->link) {
		/* a bridge: created or brought up */
		if (!j->bridge.set || j->link.set || j->lower.set || j->has_node)
			return false;
	} else if (parts->link_always) {
		if (!j->link.set || strcmp(j->link.kind, parts->link) != 0 || j->lower.set ||
		    j->has_node || j->link_lower)
			return false;
	} else {
		/* a link created, or an adopted one's lower or node changed */
		if (j->bridge.set || j->uplink.set ||
		    (!j->link.set && !j->lower.set && !j->has_node))
			return false;
		if (j->link.set ? strcmp(j->link.kind, parts->link) != 0 || j->link_lower <= 0 :
				  j->link_lower != 0)
			return false;
		if (j->lower.set && j->link.set && j->lower.ifindex != j->link_lower)
			return false;
	}
	if ((j->lower_set_mac || j->lower_was_down) && !j->lower.set)
		return false;
	if (j->has_node && (j->node[0] != '/' || strstr(j->node, "/..") || j->node_mode > 07777 ||
			    j->node_uid < 0 || j->node_gid < 0 || j->node_uid > UINT32_MAX - 1 ||
			    j->node_gid > UINT32_MAX - 1))
		return false;
	return true;
}

static const char *check_lj_vm(const void *base, const struct mvl_jfield *f, const void *val)
{
	const struct mvl_link_journal *j = base;

	return lj_vm_valid(j->op, val) ? NULL : "\"vm\" is not a VM id";
}

static const char *check_lj_name(const void *base, const struct mvl_jfield *f, const void *val)
{
	const struct mvl_link_journal *j = base;

	return lj_name_valid(j->op, val) ? NULL : "\"name\" is not an interface name";
}

/* the fields of a part {"name", "ifindex", "kind"}, then its own */
#define LJ_DEV(part, ...)                                                                    \
	MVL_JOBJ(#part,                                                                      \
		 ((const struct mvl_jfield[]){                                               \
			 L("name", part.name, MVL_JT_STR,                                    \
			   MVL_JCHECK(check_ifname,                                          \
				      "\"" #part ".name\" is not an interface name")),       \
			 L("ifindex", part.ifindex, MVL_JT_INT, MVL_JRANGE(1, INT_MAX)),     \
			 L("kind", part.kind, MVL_JT_STR,                                    \
			   MVL_JCHECK(check_kind, "\"" #part ".kind\" is not a link kind")), \
			 __VA_ARGS__, MVL_JEND }),                                           \
		 MVL_JIF_BOOL(struct mvl_link_journal, part.set))

static const struct mvl_jfield link_journal_fields[] = {
	L("op", op, MVL_JT_ENUM, .names = lj_op_names),
	L("vm", vm_id, MVL_JT_STR, .check = check_lj_vm),
	L("name", name, MVL_JT_STR, .check = check_lj_name),
	L("netns", netns, MVL_JT_UINT, MVL_JRANGE(1, INT64_MAX)),
	MVL_JOBJ("owner", ((const struct mvl_jfield[]){ MVL_JOWNER(struct mvl_link_journal) })),
	LJ_DEV(bridge, L("created", bridge_created, MVL_JT_BOOL),
	       L("brought_up", bridge_brought_up, MVL_JT_BOOL)),
	LJ_DEV(uplink, L("was_down", uplink_was_down, MVL_JT_BOOL)),
	LJ_DEV(link,
	       L("lower", link_lower, MVL_JT_INT, MVL_JRANGE(1, INT_MAX), MVL_JIF_FN(lj_on_lower))),
	LJ_DEV(lower, L("mac", lower_mac, MVL_JT_MAC),
	       L("new_mac", lower_new_mac, MVL_JT_MAC,
		 MVL_JIF_BOOL(struct mvl_link_journal, lower_set_mac)),
	       L("was_down", lower_was_down, MVL_JT_BOOL)),
	MVL_JOBJ("node",
		 ((const struct mvl_jfield[]){
			 L("path", node, MVL_JT_STR),
			 L("major", node_major, MVL_JT_UINT, MVL_JRANGE(0, 4095)),
			 L("minor", node_minor, MVL_JT_UINT, MVL_JRANGE(0, (1 << 20) - 1)),
			 L("uid", node_uid, MVL_JT_INT, MVL_JRANGE(0, UINT32_MAX - 1)),
			 L("gid", node_gid, MVL_JT_INT, MVL_JRANGE(0, UINT32_MAX - 1)),
			 L("mode", node_mode, MVL_JT_UINT, MVL_JRANGE(0, 07777)), MVL_JEND }),
		 MVL_JIF_BOOL(struct mvl_link_journal, has_node)),
	MVL_JEND,
};

static bool lj_encodable(const void *j)
{
	return lj_consistent(j);
}

static int lj_finish(struct mvl_jdec *d, void *p)
{
	const struct mvl_link_journal *j = p;

	if (!lj_consistent(j))
		return mvl_jdec_bad(d, "the parts do not fit a %s operation",
				    mvl_lj_op_name(j->op));
	return 0;
}

static const struct mvl_jformat link_journal_format = {
	.format = "mvlink-link-journal",
	.what = "an mvlink link journal",
	.version = LINK_JOURNAL_VERSION,
	.fields = link_journal_fields,
	.encodable = lj_encodable,
	.finish = lj_finish,
};

int mvl_link_journal_encode(const struct mvl_link_journal *j, char **ret_text)
{
	return mvl_jcodec_encode(&link_journal_format, j, ret_text);
}

int mvl_link_journal_decode(const char *text, size_t len, struct mvl_link_journal *ret, char *why,
			    size_t whylen)
{
	struct mvl_link_journal j = { .op = MVL_LJ_TAP };
	int r = mvl_jcodec_decode(&link_journal_format, text, len, &j, why, whylen);

	if (r < 0)
		return r;
	*ret = j;
	return 0;
}

int mvl_link_journal_locks(const struct mvl_link_journal *j, struct mvl_lockset *set)
{
	int r = 0;

	if (j->bridge.set)
		r = mvl_lockset_add(set, MVL_LOCK_BRIDGE, j->bridge.name);
	if (r == 0 && j->uplink.set)
		r = mvl_lockset_add(set, MVL_LOCK_UPLINK, j->uplink.name);
	if (r == 0 && j->lower.set)
		r = mvl_lockset_add(set, MVL_LOCK_UPLINK, j->lower.name);
	if (r == 0 && j->name[0])
		r = mvl_lockset_add(set, MVL_LOCK_NAME, j->name);
	return r;
}

/* "<op>-<16 hex>.json" */
static bool lj_file_valid(const char *file)
{
	const char *dash = strchr(file, '-');
	size_t n = strlen(file);
	char op[16];

	if (!dash || n != (size_t)(dash - file) + 1 + 16 + 5 || strcmp(file + n - 5, ".json"))
		return false;
	if ((size_t)(dash - file) >= sizeof(op))
		return false;
	snprintf(op, sizeof(op), "%.*s", (int)(dash - file), file);
	if (!lj_op_valid(op))
		return false;
	for (const char *p = dash + 1; p < file + n - 5; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

int mvl_link_journal_write(struct mvl_ctx *ctx, struct mvl_link_journal *j)
{
	_cleanup_free_ char *text = NULL;
	int r;

	mvl_owner_stamp_ctx(ctx, &j->pid, &j->pid_start, j->boot_id);
	r = mvl_netns_id(&j->netns);
	if (r < 0)
		return mvl_fail(ctx, r, "cannot identify the network namespace: %s",
				MVL_STRERROR(r));
	r = mvl_link_journal_encode(j, &text);
	if (r < 0)
		return mvl_fail(ctx, r, "cannot encode the journal of a %s create",
				mvl_lj_op_name(j->op) ?: "?");
	if (!j->file[0]) {
		uint8_t rnd[8];

		r = mvl_random_bytes(rnd, sizeof(rnd));
		if (r < 0)
			return mvl_fail(ctx, r, "cannot get random bytes");
		snprintf(j->file, sizeof(j->file), "%s-%02x%02x%02x%02x%02x%02x%02x%02x.json",
			 mvl_lj_op_name(j->op), rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5],
			 rnd[6], rnd[7]);
	}
	return mvl_statedir_write(ctx, "links", j->file, "journal", text);
}

int mvl_link_journal_remove(struct mvl_ctx *ctx, struct mvl_link_journal *j)
{
	char path[PATH_MAX];
	int r, n;

	if (!j->file[0])
		return 0;
	n = snprintf(path, sizeof(path), "%s/links/%s", mvl_ctx_get_state_dir(ctx), j->file);
	if (n < 0 || (size_t)n >= sizeof(path))
		return mvl_fail(ctx, -ENAMETOOLONG, "journal path too long");
	r = mvl_statedir_unlink(ctx, path, "journal");
	if (r == 0)
		j->file[0] = '\0';
	return r;
}

int mvl_link_journal_read(struct mvl_ctx *ctx, const char *file, struct mvl_link_journal *ret)
{
	_cleanup_free_ char *buf = NULL;
	char path[PATH_MAX], why[256] = "";
	size_t len = 0;
	int r, n;

	if (!lj_file_valid(file))
		return -EINVAL;
	n = snprintf(path, sizeof(path), "%s/links/%s", mvl_ctx_get_state_dir(ctx), file);
	if (n < 0 || (size_t)n >= sizeof(path))
		return mvl_fail(ctx, -ENAMETOOLONG, "journal path too long");
	r = mvl_statedir_read(path, MVL_JOURNAL_MAX_SIZE, &buf, &len, why, sizeof(why));
	if (r == 0)
		r = mvl_link_journal_decode(buf, len, ret, why, sizeof(why));
	if (r == -EBADMSG)
		return mvl_fail(ctx, r,
				"journal %s is corrupt: %s; nothing was done.  Check the links it "
				"may name by hand (ip -d link), then remove the file",
				path, why);
	if (r == -ENOENT)
		return r;
	if (r < 0)
		return mvl_fail(ctx, r, "cannot read journal %s: %s", path, MVL_STRERROR(r));
	snprintf(ret->file, sizeof(ret->file), "%s", file);
	return 0;
}

int mvl_link_journal_foreach(struct mvl_ctx *ctx,
			     int (*cb)(struct mvl_ctx *ctx, const char *file, void *data),
			     void *data)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s/links", mvl_ctx_get_state_dir(ctx));
	/* not temp files ('.'), nor strangers */
	return mvl_statedir_foreach(ctx, dir, lj_file_valid, cb, data);
}
