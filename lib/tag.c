// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * tag.c - the tag mvlink stores in IFLA_IFALIAS of every link it creates:
 * "mvlink:vm=<vm id>;mode=<mode>".  It survives the process, lets every
 * link of a VM be found again, and tells our links from foreign ones.
 */
#include "libmvlink-private.h"

int mvl_tag_format(char *buf, size_t len, const char *vm_id, enum mvl_mode mode)
{
	const char *m = mvl_mode_to_string(mode);
	int n;

	if (!m || mvl_vm_id_check(vm_id) < 0)
		return -EINVAL;
	n = snprintf(buf, len, MVL_TAG_PREFIX "vm=%s;mode=%s", vm_id, m);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

int mvl_tag_parse(const char *alias, char *vm_id, size_t len, enum mvl_mode *mode)
{
	const char *p, *semi;
	size_t n;
	enum mvl_mode m;

	if (!alias || strncmp(alias, MVL_TAG_PREFIX "vm=", strlen(MVL_TAG_PREFIX "vm=")) != 0)
		return 0;
	p = alias + strlen(MVL_TAG_PREFIX "vm=");
	semi = strchr(p, ';');
	if (!semi || strncmp(semi, ";mode=", 6) != 0)
		return 0;
	n = (size_t)(semi - p);
	if (n == 0 || n >= len)
		return 0;
	m = mvl_mode_from_string(semi + 6);
	if (m == MVL_MODE_NONE)
		return 0;
	memcpy(vm_id, p, n);
	vm_id[n] = '\0';
	if (mvl_vm_id_check(vm_id) < 0)
		return 0;
	*mode = m;
	return 1;
}
