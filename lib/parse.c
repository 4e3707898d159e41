// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * parse.c - parsers and validators for what users type: MAC addresses,
 * interface names and templates, VM ids, mode names.
 */
#include <ctype.h>

#include "base.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

MVL_EXPORT int mvl_mac_parse(const char *text, uint8_t ret_mac[6])
{
	uint8_t mac[6];
	char sep = 0;

	if (!text || !ret_mac)
		return -EINVAL;
	/* exactly "xx:xx:xx:xx:xx:xx" with one separator kind, ':' or '-' */
	if (strlen(text) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		const char *p = text + i * 3;
		int hi = hexval(p[0]), lo = hexval(p[1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
		if (i < 5) {
			if (p[2] != ':' && p[2] != '-')
				return -EINVAL;
			if (sep && p[2] != sep)
				return -EINVAL;
			sep = p[2];
		}
	}
	memcpy(ret_mac, mac, 6);
	return 0;
}

MVL_EXPORT int mvl_mac_check(const uint8_t mac[6])
{
	static const uint8_t zero[6];

	if (!mac)
		return -EINVAL;
	if (mac[0] & 0x01) /* multicast, broadcast included */
		return -EINVAL;
	if (memcmp(mac, zero, 6) == 0)
		return -EINVAL;
	return 0;
}

MVL_EXPORT char *mvl_mac_format(const uint8_t mac[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
		 mac[4], mac[5]);
	return buf;
}

MVL_EXPORT int mvl_ifname_check(const char *name)
{
	size_t n;

	if (!name)
		return -EINVAL;
	n = strlen(name);
	if (n == 0 || n >= IFNAMSIZ)
		return -EINVAL;
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return -EINVAL;
	for (const char *p = name; *p; p++) {
		unsigned char c = (unsigned char)*p;

		/* '%': the kernel would expand it as a template (br%d ->
		 * br0, br1, ...), and never names a device with one */
		if (c == '/' || c == ':' || c == '%' || isspace(c) || c < 0x20 || c == 0x7f)
			return -EINVAL;
	}
	return 0;
}

MVL_EXPORT int mvl_ifname_template_check(const char *name)
{
	const char *pct;
	char probe[64];

	if (!name)
		return -EINVAL;
	pct = strchr(name, '%');
	if (!pct)
		return mvl_ifname_check(name) == 0 ? 0 : -EINVAL;
	if (pct[1] != 'd' || strchr(pct + 2, '%'))
		return -EINVAL;
	if (strlen(name) > 32)
		return -EINVAL;
	/* the longest expansion must still be a valid name */
	snprintf(probe, sizeof(probe), "%.*s99999%s", (int)(pct - name), name, pct + 2);
	return mvl_ifname_check(probe) == 0 ? 1 : -EINVAL;
}

MVL_EXPORT int mvl_vm_id_check(const char *vm_id)
{
	size_t n;

	if (!vm_id)
		return -EINVAL;
	n = strlen(vm_id);
	if (n == 0 || n > 64)
		return -EINVAL;
	if (vm_id[0] == '.' || vm_id[0] == '-')
		return -EINVAL;
	for (const char *p = vm_id; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '_' && *p != '-')
			return -EINVAL;
	return 0;
}

int mvl_fail_vm_id(struct mvl_ctx *ctx, const char *vm_id, const char *where)
{
	return mvl_fail(ctx, -EINVAL, "invalid VM id '%s'%s: 1-64 characters of A-Z a-z 0-9 . _ -",
			vm_id ? vm_id : "", where ? where : "");
}

/* The index of @s in @names (@n of them, NULL holes skipped), or -EINVAL. */
static int name_index(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; s && i < n; i++)
		if (names[i] && strcmp(s, names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

/* Name @i of @names (@n of them), NULL outside. */
static const char *name_at(const char *const *names, size_t n, unsigned i)
{
	return i < n ? names[i] : NULL;
}

static const char *const mode_names[] = {
	[MVL_MODE_TAP] = "tap",   [MVL_MODE_MACVTAP] = "macvtap", [MVL_MODE_SRIOV] = "sriov",
	[MVL_MODE_PCI] = "pci",   [MVL_MODE_BRIDGE] = "bridge",   [MVL_MODE_IPVTAP] = "ipvtap",
};

MVL_EXPORT const char *mvl_mode_to_string(enum mvl_mode mode)
{
	return name_at(mode_names, ARRAY_SIZE(mode_names), (unsigned)mode);
}

MVL_EXPORT enum mvl_mode mvl_mode_from_string(const char *s)
{
	int i = name_index(mode_names, ARRAY_SIZE(mode_names), s);

	return i < 0 ? MVL_MODE_NONE : (enum mvl_mode)i;
}

static const char *const macvtap_mode_names[] = {
	[MVL_MACVTAP_BRIDGE] = "bridge",     [MVL_MACVTAP_VEPA] = "vepa",
	[MVL_MACVTAP_PRIVATE] = "private",   [MVL_MACVTAP_PASSTHRU] = "passthru",
	[MVL_MACVTAP_SOURCE] = "source",
};

MVL_EXPORT const char *mvl_macvtap_mode_to_string(enum mvl_macvtap_mode mode)
{
	return name_at(macvtap_mode_names, ARRAY_SIZE(macvtap_mode_names), (unsigned)mode);
}

MVL_EXPORT int mvl_macvtap_mode_from_string(const char *s)
{
	return name_index(macvtap_mode_names, ARRAY_SIZE(macvtap_mode_names), s);
}

static const char *const ipvlan_mode_names[] = {
	[MVL_IPVLAN_L2] = "l2",
	[MVL_IPVLAN_L3] = "l3",
	[MVL_IPVLAN_L3S] = "l3s",
};

MVL_EXPORT const char *mvl_ipvlan_mode_to_string(enum mvl_ipvlan_mode mode)
{
	return name_at(ipvlan_mode_names, ARRAY_SIZE(ipvlan_mode_names), (unsigned)mode);
}

MVL_EXPORT int mvl_ipvlan_mode_from_string(const char *s)
{
	return name_index(ipvlan_mode_names, ARRAY_SIZE(ipvlan_mode_names), s);
}

static const char *const ipvlan_flag_names[] = {
	[MVL_IPVLAN_BRIDGE] = "bridge",
	[MVL_IPVLAN_PRIVATE] = "private",
	[MVL_IPVLAN_VEPA] = "vepa",
};

MVL_EXPORT const char *mvl_ipvlan_flag_to_string(enum mvl_ipvlan_flag flag)
{
	return name_at(ipvlan_flag_names, ARRAY_SIZE(ipvlan_flag_names), (unsigned)flag);
}

MVL_EXPORT int mvl_ipvlan_flag_from_string(const char *s)
{
	return name_index(ipvlan_flag_names, ARRAY_SIZE(ipvlan_flag_names), s);
}

MVL_EXPORT int mvl_vf_name_parse(const char *text, char ret_pf[MVL_IFNAMSIZ], unsigned *ret_vf)
{
	const char *colon, *p;
	char pf[MVL_IFNAMSIZ];
	unsigned long vf = 0;

	if (!text)
		return -EINVAL;
	/* "<pf>:vf<N>": no netdev name has a ':', so the split is unique */
	colon = strchr(text, ':');
	if (!colon || (size_t)(colon - text) >= sizeof(pf) || strncmp(colon, ":vf", 3) != 0)
		return -EINVAL;
	memcpy(pf, text, (size_t)(colon - text));
	pf[colon - text] = '\0';
	if (mvl_ifname_check(pf) < 0)
		return -EINVAL;
	p = colon + 3;
	/* decimal, no sign, no leading zero: one spelling per VF */
	if (!isdigit((unsigned char)*p) || (p[0] == '0' && p[1]))
		return -EINVAL;
	for (; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		vf = vf * 10 + (unsigned long)(*p - '0');
		if (vf > MVL_VF_INDEX_MAX)
			return -EINVAL;
	}
	if (ret_pf)
		memcpy(ret_pf, pf, sizeof(pf));
	if (ret_vf)
		*ret_vf = (unsigned)vf;
	return 0;
}
