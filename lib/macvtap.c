// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * macvtap.c - macvtaps on an uplink and their /dev/tapN queue fds.
 */
#include "libmvlink-private.h"

int mvl_macvtap_delete_link(struct mvl_ctx *ctx, const struct mvl_link_info *li)
{
	int r = mvl_nl_link_del(ctx, li->ifindex);

	if (r == -ENODEV)
		return 0;
	if (r < 0)
		return mvl_fail_kernel(ctx, r, "cannot delete macvtap %s", li->name);
	return 1;
}
