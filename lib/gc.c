// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * gc.c - garbage collection with the CNI GC contract: given the VMs whose
 * attachments are still valid, remove everything mvlink made for any other
 * VM, and nothing it did not make.
 *
 * Found by what mvlink itself records: the tag of every link it created,
 * the journals of VFs and PCI devices it gave to VMs, and the intent
 * journals of creates that crashed.  Untagged links are never looked at
 * twice.  A bridge is shared by the VMs on it: one tagged for a VM that is
 * not kept goes only once it has no ports left (an uplink is a port: a
 * bridge holding the host's uplink stays until someone deletes it by name).
 */
#include "operations.h"

struct gc {
	const char **keep; /* sorted */
	size_t n_keep;
	struct mvl_link_info *links; /* every link, for the bridges */
	size_t n_links, cap_links;
	const char **ids; /* VMs to delete (strdup'd) */
	size_t n_ids, cap_ids;
	int n_journals; /* VF and PCI journals of those VMs */
	struct mvl_first_err fe;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool kept(const struct gc *g, const char *vm_id)
{
	return g->n_keep && bsearch(&vm_id, g->keep, g->n_keep, sizeof(*g->keep), cmp_str);
}

static bool not_kept(const char *vm_id, void *data)
{
	return !kept(data, vm_id);
}

static int add_id(struct gc *g, const char *vm_id)
{
	const char **v;
	char *copy;

	for (size_t i = 0; i < g->n_ids; i++)
		if (strcmp(g->ids[i], vm_id) == 0)
			return 0;
	v = mvl_grow(g->ids, &g->cap_ids, g->n_ids, sizeof(*v), 16);
	if (!v)
		return -ENOMEM;
	g->ids = v;
	copy = strdup(vm_id);
	if (!copy)
		return -ENOMEM;
	g->ids[g->n_ids++] = copy;
	return 0;
}

/* (dump callback: only collects) */
static int link_cb(struct mvl_ctx *ctx, const struct mvl_link_info *li, void *data)
{
	struct gc *g = data;
	struct mvl_link_info *v = mvl_grow(g->links, &g->cap_links, g->n_links, sizeof(*v), 64);

	(void)ctx;
	if (!v)
		return -ENOMEM;
	g->links = v;
	g->links[g->n_links++] = *li;
	return 0;
}

static void links_restart(void *data)
{
	((struct gc *)data)->n_links = 0;
}

static int dump_links(struct mvl_ctx *ctx, struct gc *g)
{
	int r = mvl_nl_link_dump_kind(ctx, NULL, link_cb, links_restart, g);

	return r < 0 ? mvl_fail_kernel(ctx, r, "cannot list links") : 0;
}

/* The VM a link is tagged for, when it is one GC removes (mode in @mode). */
static bool collectable(const struct gc *g, const struct mvl_link_info *li, char vm[128],
			enum mvl_mode *mode)
{
	return mvl_tag_parse(li->alias, vm, 128, mode) == 1 && !kept(g, vm);
}

static int journal_cb(struct mvl_ctx *ctx, const char *addr, void *data)
{
	struct gc *g = data;
	struct mvl_journal j;
	int r = mvl_journal_read(ctx, addr, &j);

	if (r < 0) {
		/* whose it is cannot be told: never acted on */
		warn(ctx, "%s", mvl_ctx_get_error(ctx));
		mvl_ctx_clear_error(ctx);
		return 0;
	}
	if (kept(g, j.vm_id))
		return 0;
	g->n_journals++;
	return add_id(g, j.vm_id);
}

/* Whether every port of bridge @br goes with the VMs (dry run). */
static bool ports_all_collected(const struct gc *g, int br)
{
	for (size_t i = 0; i < g->n_links; i++) {
		char vm[128];
		enum mvl_mode m;

		if (g->links[i].master == br &&
		    (!collectable(g, &g->links[i], vm, &m) || mvl_link_mode_shared(m)))
			return false;
	}
	return true;
}

static int gc_run(struct mvl_ctx *ctx, struct gc *g, bool dry)
{
	int r, count = 0;

	/* 1. what crashed creates of these VMs left */
	r = mvl_links_recover(ctx, not_kept, g, dry ? MVL_LR_DRY_RUN : 0);
	if (r > 0)
		count += r;
	mvl_first_err_note(ctx, &g->fe, r);

	/* 2. the VMs' links, VFs and PCI devices */
	r = dump_links(ctx, g);
	if (r < 0)
		return r;
	for (size_t i = 0; i < g->n_links; i++) {
		char vm[128];
		enum mvl_mode m;

		if (!collectable(g, &g->links[i], vm, &m) || mvl_link_mode_shared(m))
			continue;
		if (dry)
			count++;
		else if (add_id(g, vm) < 0)
			return mvl_fail(ctx, -ENOMEM, "out of memory");
	}
	r = mvl_journal_foreach(ctx, journal_cb, g);
	if (r < 0)
		return r;
	if (dry)
		count += g->n_journals;
	else {
		if (g->n_ids) {
			r = mvl_vm_delete_many(ctx, g->ids, g->n_ids);
			if (r > 0)
				count += r;
			mvl_first_err_note(ctx, &g->fe, r);
		}
		/* the bridges as they are now */
		r = dump_links(ctx, g);
		if (r < 0)
			return r;
	}

	/* 3. the bridges of those VMs that have no ports (left) */
	for (size_t i = 0; i < g->n_links; i++) {
		const struct mvl_link_info *li = &g->links[i];
		const struct mvl_link_kind *k = mvl_link_kind_by_name(li->kind);
		char vm[128];
		enum mvl_mode m;

		/* (the shared kinds: bridges) */
		if (!k || !k->shared || !collectable(g, li, vm, &m) || m != k->mode)
			continue;
		if (dry) {
			count += ports_all_collected(g, li->ifindex);
			continue;
		}
		r = mvl_link_delete_locked(ctx, li);
		if (r == -EBUSY) {
			dbg(ctx, "%s", mvl_ctx_get_error(ctx)); /* it has ports: stays */
			mvl_ctx_clear_error(ctx);
			continue;
		}
		if (r > 0) {
			info(ctx, "removed bridge %s of VM %s", li->name, vm);
			count++;
		}
		mvl_first_err_note(ctx, &g->fe, r);
	}

	/* 4. the index entries of links gone without mvlink (a tap that
	 * went with its VMM, a crashed create) */
	if (!dry)
		mvl_first_err_note(ctx, &g->fe, mvl_index_prune(ctx));
	return count;
}

MVL_EXPORT int mvl_gc(struct mvl_ctx *ctx, const char *const *keep_vm_ids, size_t n_keep,
		      unsigned flags)
{
	struct gc g = { .n_keep = n_keep };
	int r;

	r = mvl_ctx_enter(ctx);
	if (r < 0)
		return r;
	if (flags & ~(unsigned)MVL_GC_DRY_RUN)
		return mvl_fail(ctx, -EINVAL, "unknown gc flags 0x%x", flags);
	if (n_keep && !keep_vm_ids)
		return mvl_fail(ctx, -EINVAL, "keep_vm_ids is NULL");
	for (size_t i = 0; i < n_keep; i++)
		if (mvl_vm_id_check(keep_vm_ids[i]) < 0)
			return mvl_fail_vm_id(ctx, keep_vm_ids[i], " in the keep list");
	g.keep = malloc((n_keep ? n_keep : 1) * sizeof(*g.keep));
	if (!g.keep)
		return mvl_fail(ctx, -ENOMEM, "out of memory");
	if (n_keep)
		memcpy(g.keep, keep_vm_ids, n_keep * sizeof(*g.keep));
	qsort(g.keep, n_keep, sizeof(*g.keep), cmp_str);

	r = gc_run(ctx, &g, flags & MVL_GC_DRY_RUN);
	if (r >= 0 && g.fe.err)
		r = mvl_first_err_get(ctx, &g.fe);
	for (size_t i = 0; i < g.n_ids; i++)
		free((char *)g.ids[i]);
	free(g.ids);
	free(g.links);
	free(g.keep);
	if (r >= 0)
		info(ctx, "gc: %s %d object%s",
		     (flags & MVL_GC_DRY_RUN) ? "would remove" : "removed", r, r == 1 ? "" : "s");
	return r;
}
