// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd-list.c - `mvlink list` and `mvlink show`.
 */
#include <stdio.h>

#include "mvlink.h"

enum {
	OPT_LIST_ALL = OPT_CMD_BASE,
	OPT_LIST_VM,
};

static void list_help(void)
{
	printf("Usage: mvlink list [--all] [--vm ID]\n"
	       "\n"
	       "List the interfaces mvlink created (those tagged with a VM), as a table:\n"
	       "NAME MODE VM LINK MTU MAC DEVNODE.  LINK is the bridge of a tap or the lower\n"
	       "device of a macvtap; MAC is the interface's own address (for a tap the host\n"
	       "side, fe:...); DEVNODE is what a VMM opens (/dev/tapN of a macvtap).\n"
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
	printf("Usage: mvlink show NAME\n"
	       "\n"
	       "Show every field of interface NAME (mvlink's or not): name, mode, vm,\n"
	       "ifindex, link, mtu, mac, devnode, iommu_group; \"-\" (JSON null) where a\n"
	       "field does not apply.\n"
	       "\n"
	       "Options:\n"
	       "  --json         print a JSON object with those keys\n"
	       "  -v, --verbose  show the library's log (-vv: debug)\n"
	       "  -h, --help     show this help\n"
	       "\n"
	       "Exit status: 0 shown, 1 usage error, 2 failed (e.g. NAME does not exist).\n");
}

static int show_run(struct tool *t, int argc, char **argv)
{
	static const struct option longopts[] = { TOOL_COMMON_LONGOPTS, {} };
	struct mvl_iface *iface = NULL;
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
	if (mvl_ifname_check(name) < 0)
		return tool_usage(t, "invalid interface name '%s': 1-15 bytes without '/', ':' or "
				  "whitespace, not '.' or '..'", name);
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
	.synopsis = "show NAME",
	.summary = "show one interface",
	.run = show_run,
};
