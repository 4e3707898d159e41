// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer target: mvl_mac_parse, mvl_mac_check and mvl_mac_format must
 * agree with each other on any input. */
#include <stdlib.h>
#include <string.h>

#include "operations.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = strndup((const char *)data, size);
	uint8_t mac[6], again[6];
	char buf[18];

	if (!text)
		return 0;
	if (mvl_mac_parse(text, mac) == 0) {
		/* a parsed MAC formats and parses back to itself */
		mvl_mac_format(mac, buf);
		if (mvl_mac_parse(buf, again) != 0 || memcmp(mac, again, 6) != 0)
			abort();
		if (strcasecmp(buf, text) != 0 && strchr(text, ':'))
			abort();
		(void)mvl_mac_check(mac);
	}
	free(text);
	return 0;
}
