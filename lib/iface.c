// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * iface.c - struct mvl_iface: what a create returns (name, tag, queue fds)
 * and what a listing holds, and the lists listings fill.
 */
#include "base.h"

struct mvl_iface *mvl_iface_new(enum mvl_mode mode, const char *name, const char *vm_id)
{
	struct mvl_iface *iface = calloc(1, sizeof(*iface));

	if (!iface)
		return NULL;
	iface->refcount = 1;
	iface->mode = mode;
	iface->iommu_group = -1;
	if (mvl_iface_set_str(&iface->name, name) < 0 ||
	    mvl_iface_set_str(&iface->vm_id, vm_id) < 0)
		return mvl_iface_unref(iface);
	return iface;
}

int mvl_iface_set_str(char **field, const char *value)
{
	char *copy = NULL;

	if (value) {
		copy = strdup(value);
		if (!copy)
			return -ENOMEM;
	}
	free(*field);
	*field = copy;
	return 0;
}

MVL_EXPORT struct mvl_iface *mvl_iface_ref(struct mvl_iface *iface)
{
	if (iface)
		iface->refcount++;
	return iface;
}

MVL_EXPORT struct mvl_iface *mvl_iface_unref(struct mvl_iface *iface)
{
	if (!iface || --iface->refcount > 0)
		return NULL;
	for (unsigned i = 0; i < iface->n_fds; i++)
		if (iface->fds[i] >= 0)
			close(iface->fds[i]);
	free(iface->fds);
	free(iface->name);
	free(iface->vm_id);
	free(iface->link);
	free(iface->devnode);
	free(iface);
	return NULL;
}

MVL_EXPORT enum mvl_mode mvl_iface_get_mode(const struct mvl_iface *iface)
{
	return iface ? iface->mode : MVL_MODE_NONE;
}

MVL_EXPORT const char *mvl_iface_get_name(const struct mvl_iface *iface)
{
	return iface ? iface->name : NULL;
}

MVL_EXPORT const char *mvl_iface_get_vm_id(const struct mvl_iface *iface)
{
	return iface ? iface->vm_id : NULL;
}

MVL_EXPORT int mvl_iface_get_ifindex(const struct mvl_iface *iface)
{
	return iface ? iface->ifindex : 0;
}

MVL_EXPORT const uint8_t *mvl_iface_get_mac(const struct mvl_iface *iface)
{
	return iface ? iface->mac : NULL;
}

MVL_EXPORT unsigned mvl_iface_get_mtu(const struct mvl_iface *iface)
{
	return iface ? iface->mtu : 0;
}

MVL_EXPORT const char *mvl_iface_get_link(const struct mvl_iface *iface)
{
	return iface ? iface->link : NULL;
}

MVL_EXPORT bool mvl_iface_get_adopted(const struct mvl_iface *iface)
{
	return iface && iface->adopted;
}

MVL_EXPORT unsigned mvl_iface_get_queue_count(const struct mvl_iface *iface)
{
	return iface ? iface->n_fds : 0;
}

MVL_EXPORT int mvl_iface_get_queue_fd(const struct mvl_iface *iface, unsigned i)
{
	if (!iface || i >= iface->n_fds)
		return -EINVAL;
	return iface->fds[i] >= 0 ? iface->fds[i] : -EBADF;
}

MVL_EXPORT int mvl_iface_take_queue_fd(struct mvl_iface *iface, unsigned i)
{
	int fd;

	if (!iface || i >= iface->n_fds)
		return -EINVAL;
	fd = iface->fds[i];
	if (fd < 0)
		return -EBADF;
	iface->fds[i] = -1;
	return fd;
}

MVL_EXPORT const char *mvl_iface_get_devnode(const struct mvl_iface *iface)
{
	return iface ? iface->devnode : NULL;
}

MVL_EXPORT int mvl_iface_get_iommu_group(const struct mvl_iface *iface)
{
	return iface ? iface->iommu_group : -1;
}

/* ---- lists of interfaces (listings fill them) ---- */
int mvl_iface_list_add(struct mvl_iface_list *list, struct mvl_iface *iface)
{
	struct mvl_iface **items = mvl_grow(list->items, &list->cap, list->n, sizeof(*items), 16);

	if (!items)
		return -ENOMEM;
	list->items = items;
	list->items[list->n++] = iface;
	return 0;
}

MVL_EXPORT size_t mvl_iface_list_count(const struct mvl_iface_list *list)
{
	return list ? list->n : 0;
}

MVL_EXPORT struct mvl_iface *mvl_iface_list_get(const struct mvl_iface_list *list, size_t i)
{
	if (!list || i >= list->n)
		return NULL;
	return list->items[i];
}

MVL_EXPORT struct mvl_iface_list *mvl_iface_list_free(struct mvl_iface_list *list)
{
	if (!list)
		return NULL;
	for (size_t i = 0; i < list->n; i++)
		mvl_iface_unref(list->items[i]);
	free(list->items);
	free(list);
	return NULL;
}
