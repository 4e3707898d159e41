// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer target: mvl_pci_addr_parse.  A PCI address becomes a path
 * component under /sys/bus/pci/devices and the state directory, so what it
 * accepts is checked against an independent oracle (a regular expression of
 * the documented forms), and what it returns must be the canonical
 * "dddd:bb:dd.f" that parses back to itself. */
#include <ctype.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "operations.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* [DOMAIN:]BUS:DEVICE.FUNCTION in hex; device 00-1f, function 0-7 */
static regex_t addr_re;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char addr[MVL_PCI_ADDR_LEN];

	(void)argc;
	(void)argv;
	if (mvl_pci_addr_parse(NULL, addr) != -EINVAL ||
	    mvl_pci_addr_parse("af:06.0", NULL) != -EINVAL)
		abort();
	if (regcomp(&addr_re, "^([0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[01][0-9a-fA-F]\\.[0-7]$",
		    REG_EXTENDED | REG_NOSUB) != 0)
		abort();
	return 0;
}

/* "dddd:bb:dd.f" in lower case */
static bool canonical(const char *s)
{
	static const char shape[] = "xxxx:xx:xx.x";

	if (strlen(s) != sizeof(shape) - 1)
		return false;
	for (size_t i = 0; shape[i]; i++) {
		if (shape[i] != 'x' && s[i] != shape[i])
			return false;
		if (shape[i] == 'x' && !isdigit((unsigned char)s[i]) &&
		    !(s[i] >= 'a' && s[i] <= 'f'))
			return false;
	}
	return s[8] <= '1' && s[11] <= '7';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = strndup((const char *)data, size);
	char addr[MVL_PCI_ADDR_LEN + 8], again[MVL_PCI_ADDR_LEN], want[MVL_PCI_ADDR_LEN];
	int r;

	if (!text)
		return 0;
	memset(addr, 0x5a, sizeof(addr));
	r = mvl_pci_addr_parse(text, addr);
	if (r != 0 && r != -EINVAL)
		abort();
	/* accepted exactly when the oracle matches */
	if ((r == 0) != (regexec(&addr_re, text, 0, NULL, 0) == 0))
		abort();
	if (r < 0) {
		/* a refusal leaves the result alone */
		for (size_t i = 0; i < sizeof(addr); i++)
			if (addr[i] != 0x5a)
				abort();
		free(text);
		return 0;
	}
	/* nothing written past the documented length */
	for (size_t i = MVL_PCI_ADDR_LEN; i < sizeof(addr); i++)
		if (addr[i] != 0x5a)
			abort();
	/* safe as a path component */
	if (strchr(text, '/') || strstr(text, "..") || strchr(addr, '/') || strstr(addr, ".."))
		abort();
	if (!canonical(addr))
		abort();
	/* the same address: the input lower-cased, domain 0000 when left out */
	snprintf(want, sizeof(want), "%s%s", strlen(text) == 7 ? "0000:" : "", text);
	for (char *p = want; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (strcmp(addr, want) != 0)
		abort();
	/* canonical: parses back to itself */
	if (mvl_pci_addr_parse(addr, again) != 0 || strcmp(addr, again) != 0)
		abort();
	free(text);
	return 0;
}
