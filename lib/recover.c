// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * recover.c - finishing what crashed creates left behind, and the locks
 * around it; mvl_recover().
 *
 * A create of a bridge, a macvtap, an ipvtap or a persistent tap writes an
 * intent journal (linkjournal.c) before its first change that a crash would
 * leave behind, naming every link it creates or changes by name, ifindex
 * (chosen by mvlink before the link exists) and kind, and removes it once
 * it completed or was undone.  The journal of a dead process is undone
 * here, in reverse order of the create, touching a device only when it is
 * still the one the journal names (and, for a link mvlink created,
 * untagged or tagged for the journal's VM):
 *   1. the tap, macvtap or ipvtap is deleted (with it the addresses an
 *      ipvtap carried; the kernel gives a passthru lower its MAC back);
 *   2. an adopted macvtap's or ipvtap's device node gets its owner and
 *      mode back;
 *   3. the lower device gets its MAC back (when it still has the one set
 *      through passthru) and goes down again (when it was down);
 *   4. the uplink leaves the bridge (when it is still its port) and goes
 *      down again (when it was down);
 *   5. a bridge brought up goes down again; a bridge created is deleted
 *      when it has no ports, else kept and tagged (someone uses it now).
 *
 * Who undoes it: mvl_recover() (every dead journal), mvl_vm_delete() and
 * mvl_gc() (those of their VMs), and any create or delete that takes a
 * lock the journal names, before it looks at the host: a journal whose
 * locks are all free (or held by the caller) belongs to a process that is
 * gone, and nobody can act on what it names before it is undone.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "operations.h"

/* --------------------------------------------------------- the checks */

/* Look up what @dv names: 1 when it is still that link, 0 when it is gone
 * or is another link now (left alone), or -errno. */
static int find_dev(struct mvl_ctx *ctx, const struct mvl_lj_dev *dv, struct mvl_link_info *li)
{
	int r = mvl_nl_link_get(ctx, NULL, dv->ifindex, li);

	if (r == -ENODEV)
		return 0;
	if (r < 0)
		return mvl_fail_kernel(ctx, r, "cannot look up %s (ifindex %d)", dv->name,
				       dv->ifindex);
	if (strcmp(li->name, dv->name) != 0 || strcmp(li->kind, dv->kind) != 0) {
		info(ctx, "ifindex %d is %s %s now, not %s %s; left untouched", dv->ifindex,
		     li->kind[0] ? li->kind : "plain", li->name, dv->kind[0] ? dv->kind : "plain",
		     dv->name);
		return 0;
	}
	return 1;
}

/* A link mvlink created is untagged (the crash came before the tag) or
 * carries the journal's own tag. */
static bool ours(const char *alias, const char *vm_id, enum mvl_mode mode)
{
	char vm[128];
	enum mvl_mode m;

	if (!alias[0])
		return true;
	return vm_id[0] && mvl_tag_parse(alias, vm, sizeof(vm), &m) == 1 &&
	       strcmp(vm, vm_id) == 0 && m == mode;
}

/* -------------------------------------------------------------- undo */

static int undo_link(struct mvl_ctx *ctx, const struct mvl_link_journal *j)
{
	const struct mvl_link_kind *k = mvl_link_kind_by_jop(j->op);
	enum mvl_mode mode = k ? k->mode : MVL_MODE_NONE;
	struct mvl_link_info li;
	int r = find_dev(ctx, &j->link, &li);

	if (r <= 0 || !k)
		return r < 0 ? r : 0;
	if (!ours(li.alias, j->vm_id, mode) || (k->on_lower && li.link != j->link_lower)) {
		info(ctx, "%s is not the %s mvlink was creating for VM %s; left untouched", li.name,
		     mvl_mode_to_string(mode), j->vm_id);
		return 0;
	}
	r = mvl_nl_link_del(ctx, li.ifindex);
	if (r == -ENODEV)
		return 0;
	if (r < 0)
		return mvl_fail_kernel(ctx, r, "cannot delete %s %s", mvl_mode_to_string(mode),
				       li.name);
	return 1;
}

static int undo_node(struct mvl_ctx *ctx, const struct mvl_link_journal *j)
{
	struct stat st;
	int r;

	if (lstat(j->node, &st) < 0 || !S_ISCHR(st.st_mode) ||
	    st.st_rdev != makedev(j->node_major, j->node_minor))
		return 0; /* gone, or another device: not ours to change */
	if (st.st_uid == (uid_t)j->node_uid && st.st_gid == (gid_t)j->node_gid &&
	    (st.st_mode & 07777) == j->node_mode)
		return 0;
	r = mvl_step(ctx, "chown macvtap node back");
	if (r == 0 && (fchownat(AT_FDCWD, j->node, (uid_t)j->node_uid, (gid_t)j->node_gid,
				AT_SYMLINK_NOFOLLOW) < 0 ||
		       fchmodat(AT_FDCWD, j->node, j->node_mode, 0) < 0))
		r = -errno;
	if (r < 0)
		return mvl_fail(ctx, r, "cannot give %s back to %lld:%lld mode %04o: %s", j->node,
				j->node_uid, j->node_gid, j->node_mode, MVL_STRERROR(r));
	return 0;
}

static int undo_lower(struct mvl_ctx *ctx, const struct mvl_link_journal *j)
{
	struct mvl_link_change chg = MVL_LINK_CHANGE_INIT;
	struct mvl_link_info li;
	char a[18];
	int r = find_dev(ctx, &j->lower, &li);

	if (r <= 0)
		return r;
	/* only the MAC mvlink set: one set by someone else since stays */
	if (j->lower_set_mac && memcmp(li.mac, j->lower_new_mac, 6) == 0 &&
	    memcmp(li.mac, j->lower_mac, 6) != 0)
		chg.mac = j->lower_mac;
	if (j->lower_was_down && (li.flags & IFF_UP))
		chg.up = 0;
	if (!chg.mac && chg.up < 0)
		return 0;
	r = mvl_nl_link_change(ctx, li.ifindex, &chg);
	if (r < 0)
		return mvl_fail_kernel(ctx, r, "cannot restore lower device %s (MAC %s%s)", li.name,
				       mvl_mac_format(j->lower_mac, a),
				       chg.up == 0 ? ", down" : "");
	return 0;
}

static int undo_uplink(struct mvl_ctx *ctx, const struct mvl_link_journal *j)
{
	struct mvl_link_change chg = MVL_LINK_CHANGE_INIT;
	struct mvl_link_info li;
	int r = find_dev(ctx, &j->uplink, &li);

	if (r <= 0 || li.master != j->bridge.ifindex)
		return r < 0 ? r : 0;
	chg.master = 0;
	if (j->uplink_was_down && (li.flags & IFF_UP))
		chg.up = 0;
	r = mvl_nl_link_change(ctx, li.ifindex, &chg);
	if (r < 0)
		return mvl_fail_kernel(ctx, r, "cannot release uplink %s from bridge %s", li.name,
				       j->bridge.name);
	return 0;
}

static int undo_bridge(struct mvl_ctx *ctx, const struct mvl_link_journal *j)
{
	struct mvl_link_change chg = MVL_LINK_CHANGE_INIT;
	struct mvl_link_info li;
	char port[IFNAMSIZ] = "", tag[128];
	int r = find_dev(ctx, &j->bridge, &li);

	if (r <= 0)
		return r;
	if (j->bridge_brought_up) {
		if (!(li.flags & IFF_UP))
			return 0;
		chg.up = 0;
		r = mvl_nl_link_change(ctx, li.ifindex, &chg);
		return r < 0 ? mvl_fail_kernel(ctx, r, "cannot bring bridge %s down again",
					       li.name) :
			       0;
	}
	if (!j->bridge_created)
		return 0;
	if (!ours(li.alias, j->vm_id, mvl_bridge_kind.mode)) {
		info(ctx, "bridge %s is tagged '%s' now; left untouched", li.name, li.alias);
		return 0;
	}
	r = mvl_bridge_port_count(ctx, li.ifindex, port, sizeof(port));
	if (r < 0)
		return mvl_fail_kernel(ctx, r, "cannot list the ports of bridge %s", li.name);
	if (r > 0) {
		/* someone put a port on it meanwhile (not mvlink: it would
		 * have undone this journal first): keep it, known as ours */
		info(ctx, "bridge %s has gained port %s; keeping it", li.name, port);
		if (li.alias[0] || !j->vm_id[0] ||
		    mvl_tag_format(tag, sizeof(tag), j->vm_id, mvl_bridge_kind.mode) < 0)
			return 0;
		chg.alias = tag;
		r = mvl_nl_link_change(ctx, li.ifindex, &chg);
		return r < 0 ? mvl_fail_kernel(ctx, r, "cannot tag bridge %s", li.name) : 0;
	}
	r = mvl_nl_link_del(ctx, li.ifindex);
	if (r == -ENODEV)
		return 0;
	if (r < 0)
		return mvl_fail_kernel(ctx, r, "cannot delete bridge %s", li.name);
	return 1;
}

/* Undo @j (its locks held) and remove it.  The number of links deleted,
 * or the first error (the journal then stays, for a later try). */
static int undo_journal(struct mvl_ctx *ctx, struct mvl_link_journal *j)
{
	struct mvl_first_err fe = { 0 };
	int r, removed = 0;

	info(ctx, "undoing the %s create of VM %s that process %lld left half done (%s)",
	     mvl_lj_op_name(j->op), j->vm_id[0] ? j->vm_id : "-", j->pid, j->file);
	if (j->link.set) {
		r = undo_link(ctx, j);
		mvl_first_err_note(ctx, &fe, r);
		removed += r > 0;
	}
	if (j->has_node)
		mvl_first_err_note(ctx, &fe, undo_node(ctx, j));
	if (j->lower.set)
		mvl_first_err_note(ctx, &fe, undo_lower(ctx, j));
	if (j->uplink.set)
		mvl_first_err_note(ctx, &fe, undo_uplink(ctx, j));
	if (j->bridge.set && !fe.err) {
		r = undo_bridge(ctx, j);
		mvl_first_err_note(ctx, &fe, r);
		removed += r > 0;
	}
	if (!fe.err)
		mvl_first_err_note(ctx, &fe, mvl_link_journal_remove(ctx, j));
	if (fe.err)
		return mvl_fail(ctx, fe.err,
				"cannot undo what a crashed mvlink process left of the %s create "
				"of VM %s: %s (journal %s/links/%s kept)",
				mvl_lj_op_name(j->op), j->vm_id[0] ? j->vm_id : "-", fe.msg,
				mvl_ctx_get_state_dir(ctx), j->file);
	return removed;
}

/* ------------------------------------------------- locks with recovery */

static bool lockset_subset(const struct mvl_lockset *a, const struct mvl_lockset *b)
{
	for (unsigned i = 0; i < a->n; i++)
		if (!mvl_lockset_has(b, a->l[i].kind, a->l[i].name))
			return false;
	return true;
}

static bool lockset_meet(const struct mvl_lockset *a, const struct mvl_lockset *b)
{
	for (unsigned i = 0; i < a->n; i++)
		if (mvl_lockset_has(b, a->l[i].kind, a->l[i].name))
			return true;
	return false;
}

struct held_scan {
	struct mvl_lockset *held;
	unsigned long long netns;
	bool grow;
};

static int held_cb(struct mvl_ctx *ctx, const char *file, void *data)
{
	struct held_scan *hs = data;
	struct mvl_link_journal j;
	struct mvl_lockset js;
	int r;

	r = mvl_link_journal_read(ctx, file, &j);
	if (r < 0) {
		/* gone meanwhile, or corrupt: mvl_recover() reports that one */
		if (r != -ENOENT)
			dbg(ctx, "%s", mvl_ctx_get_error(ctx));
		mvl_ctx_clear_error(ctx);
		return 0;
	}
	mvl_lockset_init(&js);
	if (j.netns != hs->netns || mvl_link_journal_locks(&j, &js) < 0 ||
	    !lockset_meet(&js, hs->held))
		return 0;
	if (!lockset_subset(&js, hs->held)) {
		/* take its other locks too, all again in order */
		for (unsigned i = 0; i < js.n; i++)
			if (mvl_lockset_add(hs->held, js.l[i].kind, js.l[i].name) < 0)
				return mvl_fail(ctx, -EBUSY,
						"too many locks to undo what a crashed mvlink "
						"process left (journal %s/links/%s); run mvlink "
						"recover",
						mvl_ctx_get_state_dir(ctx), file);
		hs->grow = true;
		return 0;
	}
	/* its writer held all these locks while it worked: it is gone */
	r = undo_journal(ctx, &j);
	return r < 0 ? r : 0;
}

int mvl_locks_take_recover(struct mvl_ctx *ctx, struct mvl_lockset *set)
{
	struct held_scan hs = { .held = set };
	int r;

	r = mvl_netns_id(&hs.netns);
	if (r < 0)
		return mvl_fail(ctx, r, "cannot identify the network namespace: %s",
				MVL_STRERROR(r));
	for (int round = 0; round < 4; round++) {
		r = mvl_lockset_take(ctx, set, true);
		if (r < 0)
			return r;
		hs.grow = false;
		r = mvl_link_journal_foreach(ctx, held_cb, &hs);
		if (r < 0) {
			mvl_lockset_drop(set);
			return r;
		}
		if (!hs.grow)
			return 0;
		mvl_lockset_drop(set);
	}
	return mvl_fail(ctx, -EBUSY,
			"busy: journals of crashed mvlink processes keep asking for more locks; "
			"run mvlink recover");
}

/* ------------------------------------------------------ recover them all */

struct recover_scan {
	bool (*want)(const char *vm_id, void *data);
	void *data;
	unsigned flags;
	unsigned long long netns;
	int count;
	struct mvl_first_err fe;
};

static int recover_cb(struct mvl_ctx *ctx, const char *file, void *data)
{
	struct recover_scan *rs = data;
	struct mvl_link_journal j;
	struct mvl_lockset set;
	int r;

	r = mvl_link_journal_read(ctx, file, &j);
	if (r == -ENOENT)
		return 0;
	if (r < 0) {
		/* whose it is cannot be told: never acted on */
		if (rs->flags & MVL_LR_REPORT_CORRUPT)
			mvl_first_err_note(ctx, &rs->fe, r);
		else
			dbg(ctx, "%s", mvl_ctx_get_error(ctx));
		mvl_ctx_clear_error(ctx);
		return 0;
	}
	/* another namespace's: its devices are not visible from here */
	if (j.netns != rs->netns || (rs->want && !rs->want(j.vm_id, rs->data)))
		return 0;
	mvl_lockset_init(&set);
	r = mvl_link_journal_locks(&j, &set);
	if (r == 0)
		r = mvl_lockset_take(ctx, &set, false);
	if (r == -EBUSY) {
		/* its writer is still at work */
		mvl_ctx_clear_error(ctx);
		return 0;
	}
	if (r < 0) {
		mvl_first_err_note(ctx, &rs->fe, r);
		return 0;
	}
	/* undone by another process meanwhile? */
	r = mvl_link_journal_read(ctx, file, &j);
	if (r == 0 && (rs->flags & MVL_LR_DRY_RUN))
		rs->count++;
	else if (r == 0) {
		r = undo_journal(ctx, &j);
		if (r >= 0)
			rs->count++;
	}
	if (r < 0 && r != -ENOENT)
		mvl_first_err_note(ctx, &rs->fe, r);
	mvl_lockset_drop(&set);
	return 0;
}

int mvl_links_recover(struct mvl_ctx *ctx, bool (*want)(const char *vm_id, void *data), void *data,
		      unsigned flags)
{
	struct recover_scan rs = { .want = want, .data = data, .flags = flags };
	int r;

	r = mvl_netns_id(&rs.netns);
	if (r < 0)
		return mvl_fail(ctx, r, "cannot identify the network namespace: %s",
				MVL_STRERROR(r));
	r = mvl_link_journal_foreach(ctx, recover_cb, &rs);
	if (r < 0)
		return r;
	return rs.fe.err ? mvl_first_err_get(ctx, &rs.fe) : rs.count;
}

/* Every dead journal: the devices' (vfio.c) first, then the links'. */
MVL_EXPORT int mvl_recover(struct mvl_ctx *ctx, unsigned flags)
{
	struct mvl_first_err fe = { 0 };
	int count, r;

	r = mvl_ctx_enter(ctx);
	if (r < 0)
		return r;
	if (flags & ~(unsigned)MVL_RECOVER_DRY_RUN)
		return mvl_fail(ctx, -EINVAL, "unknown recover flags 0x%x", flags);
	/* the devices' journals first, then what crashed link creates left
	 * (recover.c) */
	r = mvl_vfio_recover(ctx, flags & MVL_RECOVER_DRY_RUN, &fe);
	if (r < 0)
		return r;
	count = r;
	r = mvl_links_recover(ctx, NULL, NULL,
			      MVL_LR_REPORT_CORRUPT |
				      ((flags & MVL_RECOVER_DRY_RUN) ? MVL_LR_DRY_RUN : 0));
	if (r > 0)
		count += r;
	else if (r < 0)
		mvl_first_err_note(ctx, &fe, r);
	r = mvl_private_nodes_clean(ctx, flags & MVL_RECOVER_DRY_RUN);
	if (r < 0)
		mvl_first_err_note(ctx, &fe, r);
	/* and the index entries of links a crashed create never finished
	 * (index.c) */
	if (!(flags & MVL_RECOVER_DRY_RUN)) {
		r = mvl_index_prune(ctx);
		if (r < 0)
			mvl_first_err_note(ctx, &fe, r);
	}
	return fe.err ? mvl_first_err_get(ctx, &fe) : count;
}
