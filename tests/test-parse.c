// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-parse.c - the pure parsers and validators: MAC addresses, interface
 * names and templates, VM ids, mode names, the tag format.  No privileges.
 */
#include <string.h>

#include "testutil.h"
#include "operations.h"

START_TEST(mac_parse)
{
	static const struct {
		const char *text;
		int ret;
		uint8_t mac[6];
	} cases[] = {
		{ "02:00:00:00:00:01", 0, { 2, 0, 0, 0, 0, 1 } },
		{ "FE:dc:BA:98:76:54", 0, { 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54 } },
		{ "02-00-00-00-00-01", 0, { 2, 0, 0, 0, 0, 1 } },
		{ "02:00-00:00:00:01", -EINVAL, { 0 } },  /* mixed separators */
		{ "02:00:00:00:00", -EINVAL, { 0 } },     /* short */
		{ "02:00:00:00:00:01:02", -EINVAL, { 0 } },
		{ "2:0:0:0:0:1", -EINVAL, { 0 } },        /* not two digits each */
		{ "02:00:00:00:00:0g", -EINVAL, { 0 } },
		{ "02.00.00.00.00.01", -EINVAL, { 0 } },
		{ "", -EINVAL, { 0 } },
		{ " 02:00:00:00:00:01", -EINVAL, { 0 } },
		{ "02:00:00:00:00:01 ", -EINVAL, { 0 } },
		{ "0x:00:00:00:00:01", -EINVAL, { 0 } },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t mac[6] = { 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa };
		int r = mvl_mac_parse(cases[i].text, mac);

		ck_assert_msg(r == cases[i].ret, "'%s': %d", cases[i].text, r);
		if (r == 0)
			ck_assert_mem_eq(mac, cases[i].mac, 6);
		else
			ck_assert_uint_eq(mac[0], 0xaa); /* untouched on failure */
	}
	ck_assert_int_eq(mvl_mac_parse(NULL, (uint8_t[6]){ 0 }), -EINVAL);
}
END_TEST

START_TEST(mac_check_and_format)
{
	uint8_t m[6];
	char buf[18];

	ck_assert_int_eq(mvl_mac_check((uint8_t[6]){ 2, 0, 0, 0, 0, 1 }), 0);
	ck_assert_int_eq(mvl_mac_check((uint8_t[6]){ 0, 0, 0, 0, 0, 0 }), -EINVAL);
	ck_assert_int_eq(mvl_mac_check((uint8_t[6]){ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }),
			 -EINVAL);
	ck_assert_int_eq(mvl_mac_check((uint8_t[6]){ 0x01, 0, 0x5e, 0, 0, 1 }), -EINVAL);
	ck_assert_int_eq(mvl_mac_check((uint8_t[6]){ 0x33, 0x33, 0, 0, 0, 1 }), -EINVAL);
	ck_assert_int_eq(mvl_mac_check(NULL), -EINVAL);
	ck_assert_int_eq(mvl_mac_parse("Fe:00:0A:bc:de:0f", m), 0);
	ck_assert_str_eq(mvl_mac_format(m, buf), "fe:00:0a:bc:de:0f");
}
END_TEST

START_TEST(ifname)
{
	static const char *const good[] = { "vm-test1", "eno1", "a", "123456789012345", "br_0",
					    "x.y", "vm@1" };
	static const char *const bad[] = { "", "1234567890123456", "a/b", "a b", "a:b", ".",
					   "..", "tab\there", "new\nline", "del\x7f",
					   /* the kernel would expand these as templates */
					   "br%d", "%d", "a%b", "%", "vm-%%" };

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(mvl_ifname_check(good[i]) == 0, "'%s'", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(mvl_ifname_check(bad[i]) == -EINVAL, "'%s'", bad[i]);
	ck_assert_int_eq(mvl_ifname_check(NULL), -EINVAL);
}
END_TEST

START_TEST(ifname_template)
{
	ck_assert_int_eq(mvl_ifname_template_check("vm-%d"), 1);
	ck_assert_int_eq(mvl_ifname_template_check("%d-vm"), 1);
	ck_assert_int_eq(mvl_ifname_template_check("vm-test1"), 0);
	ck_assert_int_eq(mvl_ifname_template_check("vm-%d-%d"), -EINVAL); /* two % */
	ck_assert_int_eq(mvl_ifname_template_check("vm-%s"), -EINVAL);
	ck_assert_int_eq(mvl_ifname_template_check("vm-%"), -EINVAL);
	ck_assert_int_eq(mvl_ifname_template_check("vm-%%"), -EINVAL);
	ck_assert_int_eq(mvl_ifname_template_check("a-long-name-%d"), -EINVAL); /* 19 bytes */
	ck_assert_int_eq(mvl_ifname_template_check("0123456789%d"), 1);   /* 15 with 5 digits */
	ck_assert_int_eq(mvl_ifname_template_check("01234567890%d"), -EINVAL);
	ck_assert_int_eq(mvl_ifname_template_check("a/%d"), -EINVAL);
	/* the expansion of a template, and a plain name, have no '%' */
	ck_assert_int_eq(mvl_ifname_template_check("br%d"), 1);
	ck_assert_int_eq(mvl_ifname_template_check("a%b"), -EINVAL);
	ck_assert_int_eq(mvl_ifname_template_check("%"), -EINVAL);
	ck_assert_int_eq(mvl_ifname_template_check(NULL), -EINVAL);
}
END_TEST

START_TEST(vm_id)
{
	ck_assert_int_eq(mvl_vm_id_check("test1"), 0);
	ck_assert_int_eq(mvl_vm_id_check("my-vm_1.prod"), 0);
	ck_assert_int_eq(mvl_vm_id_check(""), -EINVAL);
	ck_assert_int_eq(mvl_vm_id_check("-x"), -EINVAL);
	ck_assert_int_eq(mvl_vm_id_check(".x"), -EINVAL);
	ck_assert_int_eq(mvl_vm_id_check("a;mode=tap"), -EINVAL);
	ck_assert_int_eq(mvl_vm_id_check("a b"), -EINVAL);
	ck_assert_int_eq(mvl_vm_id_check("a/b"), -EINVAL);
	ck_assert_int_eq(mvl_vm_id_check(
		"0123456789012345678901234567890123456789012345678901234567890123"), 0);
	ck_assert_int_eq(mvl_vm_id_check(
		"01234567890123456789012345678901234567890123456789012345678901234"), -EINVAL);
	ck_assert_int_eq(mvl_vm_id_check(NULL), -EINVAL);
}
END_TEST

START_TEST(modes)
{
	ck_assert_str_eq(mvl_mode_to_string(MVL_MODE_TAP), "tap");
	ck_assert_str_eq(mvl_mode_to_string(MVL_MODE_MACVTAP), "macvtap");
	ck_assert_str_eq(mvl_mode_to_string(MVL_MODE_SRIOV), "sriov");
	ck_assert_str_eq(mvl_mode_to_string(MVL_MODE_PCI), "pci");
	ck_assert_ptr_null(mvl_mode_to_string(MVL_MODE_NONE));
	ck_assert_ptr_null(mvl_mode_to_string((enum mvl_mode)99));
	ck_assert_int_eq(mvl_mode_from_string("macvtap"), MVL_MODE_MACVTAP);
	ck_assert_int_eq(mvl_mode_from_string("Tap"), MVL_MODE_NONE);
	ck_assert_int_eq(mvl_mode_from_string(NULL), MVL_MODE_NONE);
	ck_assert_int_eq(mvl_macvtap_mode_from_string("bridge"), MVL_MACVTAP_BRIDGE);
	ck_assert_int_eq(mvl_macvtap_mode_from_string("passthru"), MVL_MACVTAP_PASSTHRU);
	ck_assert_int_eq(mvl_macvtap_mode_from_string("passthrough"), -EINVAL);
	ck_assert_str_eq(mvl_macvtap_mode_to_string(MVL_MACVTAP_SOURCE), "source");
}
END_TEST

START_TEST(tag)
{
	char buf[128], vm[65];
	enum mvl_mode mode = MVL_MODE_NONE;

	ck_assert_int_eq(mvl_tag_format(buf, sizeof(buf), "test1", MVL_MODE_TAP), 0);
	ck_assert_str_eq(buf, "mvlink:vm=test1;mode=tap");
	ck_assert_int_eq(mvl_tag_parse(buf, vm, sizeof(vm), &mode), 1);
	ck_assert_str_eq(vm, "test1");
	ck_assert_int_eq(mode, MVL_MODE_TAP);
	ck_assert_int_eq(mvl_tag_format(buf, 10, "test1", MVL_MODE_TAP), -ENAMETOOLONG);
	ck_assert_int_eq(mvl_tag_format(buf, sizeof(buf), "bad id", MVL_MODE_TAP), -EINVAL);
	/* foreign aliases are not tags */
	ck_assert_int_eq(mvl_tag_parse("", vm, sizeof(vm), &mode), 0);
	ck_assert_int_eq(mvl_tag_parse("mvlink-ish", vm, sizeof(vm), &mode), 0);
	ck_assert_int_eq(mvl_tag_parse("mvlink:vm=;mode=tap", vm, sizeof(vm), &mode), 0);
	ck_assert_int_eq(mvl_tag_parse("mvlink:vm=x;mode=frob", vm, sizeof(vm), &mode), 0);
	ck_assert_int_eq(mvl_tag_parse("mvlink:vm=a b;mode=tap", vm, sizeof(vm), &mode), 0);
	ck_assert_int_eq(mvl_tag_parse("mvlink:vm=x", vm, sizeof(vm), &mode), 0);
	ck_assert_int_eq(mvl_tag_parse(NULL, vm, sizeof(vm), &mode), 0);
}
END_TEST

START_TEST(uint_parse)
{
	unsigned long v = 0;

	ck_assert_int_eq(mvl_parse_uint("42", 100, &v), 0);
	ck_assert_uint_eq(v, 42);
	ck_assert_int_eq(mvl_parse_uint("101", 100, &v), -ERANGE);
	ck_assert_int_eq(mvl_parse_uint("99999999999999999999999", ~0UL, &v), -ERANGE);
	ck_assert_int_eq(mvl_parse_uint("-1", 100, &v), -EINVAL);
	ck_assert_int_eq(mvl_parse_uint("", 100, &v), -EINVAL);
	ck_assert_int_eq(mvl_parse_uint("1x", 100, &v), -EINVAL);
}
END_TEST

int main(void)
{
	return mvt_run(mvt_suite("parse", "parse", 0, mac_parse, mac_check_and_format, ifname,
				 ifname_template, vm_id, modes, tag, uint_parse),
		       false);
}
