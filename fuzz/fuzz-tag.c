// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer target: the tag parser reads IFLA_IFALIAS, which anyone with
 * CAP_NET_ADMIN can set: it must never overflow and only accept valid ids. */
#include <stdlib.h>
#include <string.h>

#include "operations.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = strndup((const char *)data, size);
	char vm[65], val[64];
	enum mvl_mode mode;

	if (!s)
		return 0;
	if (mvl_tag_parse(s, vm, sizeof(vm), &mode) == 1) {
		if (mvl_vm_id_check(vm) != 0 || !mvl_mode_to_string(mode))
			abort();
	}
	(void)mvl_tag_get_field(s, "lower_mac", val, sizeof(val));
	free(s);
	return 0;
}
