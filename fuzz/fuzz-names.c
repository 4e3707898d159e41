// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer target: interface names, name templates and VM ids.  Whatever
 * the validators accept must be safe to use as a path component and in a
 * tag, and a template's expansion must be a valid name. */
#include <stdlib.h>
#include <string.h>

#include "operations.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = strndup((const char *)data, size);
	char tag[256], vm[128];
	enum mvl_mode mode;
	int t;

	if (!s)
		return 0;
	if (mvl_ifname_check(s) == 0) {
		if (strlen(s) >= IFNAMSIZ || strchr(s, '/') || !strcmp(s, ".") || !strcmp(s, ".."))
			abort();
	}
	t = mvl_ifname_template_check(s);
	if (t == 1) {
		const char *pct = strstr(s, "%d");
		char name[64];

		if (!pct || strchr(pct + 2, '%'))
			abort();
		snprintf(name, sizeof(name), "%.*s%u%s", (int)(pct - s), s, 99999u, pct + 2);
		if (mvl_ifname_check(name) != 0)
			abort();
	} else if (t == 0 && mvl_ifname_check(s) != 0) {
		abort();
	}
	if (mvl_vm_id_check(s) == 0) {
		/* an accepted VM id round-trips through the tag */
		if (mvl_tag_format(tag, sizeof(tag), s, MVL_MODE_TAP) != 0)
			abort();
		if (mvl_tag_parse(tag, vm, sizeof(vm), &mode) != 1 || strcmp(vm, s) != 0 ||
		    mode != MVL_MODE_TAP)
			abort();
	}
	free(s);
	return 0;
}
