// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd-list.c - `mvlink list` and `mvlink show`.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mvlink.h"

enum {
	OPT_LIST_ALL = OPT_CMD_BASE,
	OPT_LIST_VM,
};

static void list_help(void)
{
	printf("Usage: mvlink list [--all] [--vm ID]\n"
	       "\n"
	       "List the interfaces mvlink created (those tagged with a VM) and the VFs and\n"
	       "PCI devices it gave to VMs, as a table: NAME MODE VM LINK MTU MAC DEVNODE.\n"
	       "LINK is the bridge of a tap, the lower device of a macvtap or the PF of a VF;\n"
	       "MAC is the interface's own address (for a tap the host side, fe:...);\n"
	       "DEVNODE is what a VMM opens (/dev/tapN of a macvtap, /dev/vfio/N).  A VF or\n"
	       "PCI device is named by its PCI address.\n"
	       "\n"
	       "Options:\n"
	       "  --all          also list links mvlink did not create (MODE and VM \"-\")\n"
	       "  --vm ID        only the interfaces of VM ID\n"
	       "  --json         print a JSON array of objects with the keys name, mode, vm,\n"
	       "                 ifindex, link, mtu, mac, devnode, iommu_group (null when\n"
	       "                 not applicable)\n"
	       "  -v, --verbose  show the library's log (-vv: debug)\n"
	       "  -h, --help     show this help\n"
	       "\n"
	       "Exit status: 0 listed, 1 usage error, 2 failed.\n");
}

static int list_run(struct tool *t, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, OPT_LIST_ALL },
		{ "vm", required_argument, NULL, OPT_LIST_VM },
		TOOL_COMMON_LONGOPTS,
		{},
	};
	struct mvl_iface_list *list = NULL;
	const char *vm = NULL;
	unsigned flags = 0;
	int opt, r;

	while ((opt = tool_getopt(argc, argv, ":vh", longopts)) != -1) {
		switch (opt) {
		case OPT_LIST_ALL:
			flags |= MVL_LIST_ALL;
			break;
		case OPT_LIST_VM:
			if (mvl_vm_id_check(optarg) < 0)
				return tool_usage(t, "invalid VM id '%s' for --vm: 1-64 characters "
						  "of A-Z a-z 0-9 . _ -, not starting with '.' or "
						  "'-'", optarg);
			vm = optarg;
			break;
		default:
			r = tool_common_opt(t, opt, argv, list_help);
			if (r >= 0)
				return r;
		}
	}
	if (optind < argc)
		return tool_usage(t, "unexpected argument '%s'", argv[optind]);
	if (!tool_ctx(t))
		return EXIT_FAILED;
	r = mvl_iface_list_new(t->ctx, vm, flags, &list);
	if (r < 0)
		return tool_fail(t, r);
	out_table_open(NULL, out_iface_columns);
	for (size_t i = 0; i < mvl_iface_list_count(list); i++)
		out_iface(mvl_iface_list_get(list, i), IFACE_ROW, NULL, 0);
	out_array_close();
	mvl_iface_list_free(list);
	return EXIT_OK;
}

const struct tool_cmd tool_cmd_list = {
	.name = "list",
	.synopsis = "list [--all] [--vm ID]",
	.summary = "list mvlink's interfaces",
	.run = list_run,
};

static void show_help(void)
{
	printf("Usage: mvlink show NAME | ADDR\n"
	       "\n"
	       "Show every field of interface NAME (mvlink's or not), or of the VF or PCI\n"
	       "device ADDR given to a VM: name, mode, vm, ifindex, link, mtu, mac, devnode,\n"
	       "iommu_group; \"-\" (JSON null) where a field does not apply.\n"
	       "\n"
	       "Options:\n"
	       "  --json         print a JSON object with those keys\n"
	       "  -v, --verbose  show the library's log (-vv: debug)\n"
	       "  -h, --help     show this help\n"
	       "\n"
	       "Exit status: 0 shown, 1 usage error, 2 failed (e.g. NAME does not exist,\n"
	       "ADDR is not attached to a VM).\n");
}

/* A VF or PCI device given to a VM: from the listing (its journal). */
static int show_pci(struct tool *t, const char *addr)
{
	struct mvl_iface_list *list = NULL;
	bool found = false;
	int r;

	if (!tool_ctx(t))
		return EXIT_FAILED;
	r = mvl_iface_list_new(t->ctx, NULL, 0, &list);
	if (r < 0)
		return tool_fail(t, r);
	for (size_t i = 0; i < mvl_iface_list_count(list) && !found; i++) {
		struct mvl_iface *iface = mvl_iface_list_get(list, i);

		if (strcmp(mvl_iface_get_name(iface), addr) == 0) {
			out_iface(iface, 0, NULL, 0);
			found = true;
		}
	}
	mvl_iface_list_free(list);
	if (!found)
		return tool_fail_msg(t, -ENODEV, false, "%s is not attached to a VM (no mvlink "
				     "journal); `mvlink sriov list` shows every VF", addr);
	return EXIT_OK;
}

static int show_run(struct tool *t, int argc, char **argv)
{
	static const struct option longopts[] = { TOOL_COMMON_LONGOPTS, {} };
	struct mvl_iface *iface = NULL;
	char addr[MVL_PCI_ADDR_LEN];
	const char *name;
	int opt, r;

	while ((opt = tool_getopt(argc, argv, ":vh", longopts)) != -1) {
		r = tool_common_opt(t, opt, argv, show_help);
		if (r >= 0)
			return r;
	}
	if (optind >= argc)
		return tool_usage(t, "missing NAME");
	name = argv[optind++];
	if (optind < argc)
		return tool_usage(t, "unexpected argument '%s': show takes one NAME",
				  argv[optind]);
	if (mvl_pci_addr_parse(name, addr) == 0)
		return show_pci(t, addr);
	if (mvl_ifname_check(name) < 0)
		return tool_usage(t, "invalid interface name '%s': 1-15 bytes without '/', ':' or "
				  "whitespace, not '.' or '..' (or a PCI address such as "
				  "0000:af:06.0)", name);
	if (!tool_ctx(t))
		return EXIT_FAILED;
	r = mvl_iface_get(t->ctx, name, &iface);
	if (r < 0)
		return tool_fail(t, r);
	out_iface(iface, 0, NULL, 0);
	mvl_iface_unref(iface);
	return EXIT_OK;
}

const struct tool_cmd tool_cmd_show = {
	.name = "show",
	.synopsis = "show NAME | ADDR",
	.summary = "show one interface",
	.run = show_run,
};
