// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * kind.c - the link kinds mvlink creates, one table row each (struct
 * mvl_link_kind, defined by its own file: tap.c, macvtap.c, ipvtap.c,
 * bridge.c), and
 * their lookups by IFLA_INFO_KIND, by the mode of a tag and by the op of a
 * journal.  Generic code (list, delete, recover, gc) asks the row instead
 * of comparing kind strings.
 *
 * The rows are data that only this file references: the kinds' files never
 * call back here, so the table is one-way (kind.c -> tap.c, macvtap.c,
 * ipvtap.c, bridge.c) and needs no registration at run time.
 */
#include "kinds.h"

/* In the order their links are listed and deleted. */
static const struct mvl_link_kind *const kinds[] = {
	&mvl_tap_kind,
	&mvl_macvtap_kind,
	&mvl_ipvtap_kind,
	&mvl_bridge_kind,
};

const struct mvl_link_kind *mvl_link_kind_at(size_t i)
{
	return i < ARRAY_SIZE(kinds) ? kinds[i] : NULL;
}

const struct mvl_link_kind *mvl_link_kind_by_name(const char *kind)
{
	for (size_t i = 0; kind && i < ARRAY_SIZE(kinds); i++)
		if (strcmp(kinds[i]->kind, kind) == 0)
			return kinds[i];
	return NULL;
}

const struct mvl_link_kind *mvl_link_kind_by_mode(enum mvl_mode mode)
{
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		if (kinds[i]->mode == mode)
			return kinds[i];
	return NULL;
}

const struct mvl_link_kind *mvl_link_kind_by_jop(enum mvl_lj_op op)
{
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		if (kinds[i]->jop == op)
			return kinds[i];
	return NULL;
}

bool mvl_link_mode_shared(enum mvl_mode mode)
{
	const struct mvl_link_kind *k = mvl_link_kind_by_mode(mode);

	return k && k->shared;
}

enum mvl_lock_kind mvl_link_lock_kind(const struct mvl_link_info *li)
{
	const struct mvl_link_kind *k = mvl_link_kind_by_name(li->kind);

	return k ? k->lock : MVL_LOCK_NAME;
}
