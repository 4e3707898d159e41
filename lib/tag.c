// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * tag.c - the tag mvlink stores in IFLA_IFALIAS of every link it creates:
 * "mvlink:vm=<vm id>;mode=<mode>", optionally followed by extra fields
 * ";<key>=<value>" that a mode needs to undo its work from any process
 * (macvtap passthru: ";lower_mac=<mac>;lower_up=<0|1>").  It survives the
 * process, lets every link of a VM be found again, and tells our links from
 * foreign ones.  Keys and values never contain ';'.
 */
#include "base.h"

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
	{
		/* the mode ends at the next ';' (extra fields may follow) */
		const char *ms = semi + 6, *end = strchr(ms, ';');
		char mbuf[16];
		size_t ml = end ? (size_t)(end - ms) : strlen(ms);

		if (ml >= sizeof(mbuf))
			return 0;
		memcpy(mbuf, ms, ml);
		mbuf[ml] = '\0';
		m = mvl_mode_from_string(mbuf);
	}
	if (m == MVL_MODE_NONE)
		return 0;
	memcpy(vm_id, p, n);
	vm_id[n] = '\0';
	if (mvl_vm_id_check(vm_id) < 0)
		return 0;
	*mode = m;
	return 1;
}

int mvl_tag_get_field(const char *alias, const char *key, char *buf, size_t len)
{
	size_t kl = strlen(key);
	const char *p;

	if (!alias || strncmp(alias, MVL_TAG_PREFIX, strlen(MVL_TAG_PREFIX)) != 0)
		return 0;
	/* the fields after "vm=" and "mode=" */
	for (p = strchr(alias, ';'); p; p = strchr(p + 1, ';')) {
		const char *v, *end;
		size_t n;

		if (strncmp(p + 1, key, kl) != 0 || p[1 + kl] != '=')
			continue;
		v = p + 1 + kl + 1;
		end = strchr(v, ';');
		n = end ? (size_t)(end - v) : strlen(v);
		if (n >= len)
			return -ENAMETOOLONG;
		memcpy(buf, v, n);
		buf[n] = '\0';
		return 1;
	}
	return 0;
}
