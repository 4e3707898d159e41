// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ifindex.c - the ifindex of a link mvlink creates: chosen before the link
 * exists, so that the intent journal and the index name it first.  Every
 * kind that creates a link (bridge.c, tap.c, macvtap.c) and the create
 * transaction (txn.c) use it; it uses only the store.
 */
#include "kinds.h"
#include "testhooks.h"

int mvl_link_pick_ifindex(struct mvl_ctx *ctx)
{
	struct mvl_test_seams *t = mvl_ctx_test(ctx);
	uint32_t v = 0;

	if (t->next_ifindex > 0)
		return t->next_ifindex++;

	/* far above what the kernel hands out (it counts up from 1): a
	 * journal can name the link before it exists, and nobody else is
	 * given that number meanwhile */
	if (mvl_random_bytes(&v, sizeof(v)) < 0)
		v = (uint32_t)getpid() * 2654435761u;
	return (int)(MVL_IFINDEX_MIN + v % (MVL_IFINDEX_MAX - MVL_IFINDEX_MIN));
}

int mvl_link_repick_ifindex(struct mvl_ctx *ctx, struct mvl_link_journal *j)
{
	int r;

	j->link.ifindex = mvl_link_pick_ifindex(ctx);
	if (j->file[0]) {
		r = mvl_link_journal_write(ctx, j);
		if (r < 0)
			return r;
	}
	return mvl_index_add(ctx, j->vm_id, j->link.ifindex, j->link.name);
}
