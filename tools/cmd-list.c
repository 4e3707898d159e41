// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd-list.c - `mvlink list` and `mvlink show`.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mvlink.h"

static void list_help(void)
{
	printf("Usage: mvlink list [--all] [--vm ID]\n"
	       "\n"
	       "List the interfaces mvlink created (those tagged with a VM) and the VFs and\n"
	       "PCI devices it gave to VMs, as a table: NAME MODE VM LINK MTU MAC DEVNODE.\n"
	       "LINK is the bridge of a tap, the lower device of a macvtap or the PF of a VF;\n"
	       "MAC is the interface's own address (for a tap the host side: the guest's\n"
	       "MAC with first byte fe, or fa when the guest's is fe);\n"
	       "DEVNODE is what a VMM opens (/dev/tapN of a macvtap, /dev/vfio/N).  A VF or\n"
	       "PCI device is named by its PCI address, a VF of a PF that is no PCI device\n"
	       "(netdevsim) by PF:vfN.\n"
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

struct list_args {
	const char *vm;
	unsigned flags;
};

static int list_parse(struct tool *t, int argc, char **argv, void *args)
{
	static const struct tool_opt opts[] = {
		TOOL_OPT_FLAG("all", struct list_args, flags, MVL_LIST_ALL),
		TOOL_OPT_VM(struct list_args, vm),
		{},
	};
	static const struct tool_opt_group groups[] = { { opts } };
	int r;

	r = tool_parse_opts(t, argc, argv, ":vh", groups, ARRAY_SIZE(groups), args, list_help);
	if (r != TOOL_RUN)
		return r;
	if (optind < argc)
		return tool_usage(t, "unexpected argument '%s'", argv[optind]);
	return TOOL_RUN;
}

static int list_run(struct tool *t, void *args)
{
	const struct list_args *a = args;
	struct mvl_iface_list *list = NULL;
	int r;

	if (!tool_ctx(t))
		return EXIT_FAILED;
	r = mvl_iface_list_new(t->ctx, a->vm, a->flags, &list);
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
	.args_size = sizeof(struct list_args),
	.parse = list_parse,
	.run = list_run,
};

static void show_help(void)
{
	printf("Usage: mvlink show NAME | ADDR\n"
	       "\n"
	       "Show every field of interface NAME (mvlink's or not), or of the VF or PCI\n"
	       "device ADDR given to a VM (its PCI address, or PF:vfN for a VF of a PF that\n"
	       "is no PCI device, such as netdevsim's): name, mode, vm, ifindex, link, mtu,\n"
	       "mac, devnode, iommu_group; \"-\" (JSON null) where a field does not apply.\n"
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

struct show_args {
	const char *name;
	char addr[MVL_VF_NAME_LEN]; /* name, when it is a device's: PCI address, PF:vfN */
	bool pci;
};

static int show_parse(struct tool *t, int argc, char **argv, void *args)
{
	struct show_args *a = args;
	int r;

	r = tool_parse_opts(t, argc, argv, ":vh", NULL, 0, a, show_help);
	if (r != TOOL_RUN)
		return r;
	if (optind >= argc)
		return tool_usage(t, "missing NAME");
	a->name = argv[optind++];
	if (optind < argc)
		return tool_usage(t, "unexpected argument '%s': show takes one NAME",
				  argv[optind]);
	r = tool_parse_iface_name(t, a->name, "show", a->addr);
	if (r)
		return r;
	a->pci = a->addr[0] != '\0';
	return TOOL_RUN;
}

static int show_run(struct tool *t, void *args)
{
	const struct show_args *a = args;
	struct mvl_iface *iface = NULL;
	int r;

	if (a->pci)
		return show_pci(t, a->addr);
	if (!tool_ctx(t))
		return EXIT_FAILED;
	r = mvl_iface_get(t->ctx, a->name, &iface);
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
	.args_size = sizeof(struct show_args),
	.parse = show_parse,
	.run = show_run,
};
